/**
 * CPU-profile workloads of the hot paths (bench/README.md "Levers"): run one under
 *   node --import tsx --cpu-prof --cpu-prof-dir=DIR tools/profile-step.ts WORKLOAD [reps]
 * and summarise with `npx tsx tools/profile-summary.ts DIR` (self time per function).
 * Workloads: `sweep-sgd`, `sweep-kfac` (one linear-iterations cell of the bench's sweep item: d = 200,
 * k = 8, d_y = 16, n = 256, κ(Σ) = 100, lr 0.5, evaluation every step, `reps` cells of ≤ 250 steps),
 * `A-<optimizer>` (the bench's Model A item: fresh batch n = 1024 + one step, `reps` steps), `A-batch`
 * (the fresh batch alone),
 * `B-plain`, `B-preconditioned` (the bench's Model B oneStep, `reps` steps).
 * Prints wall and CPU ms per op (after one untimed warm-up op; the CPU time of the process, all threads).
 */
import { startBackend, threadsFromEnv } from '../src/node/backend.js';
import { startKernelThreads } from '../src/node/threads.js';
import { Rng } from '../src/rng.js';
import { makeCovariance } from '../src/data/covariance.js';
import { makeLinearTeacher, sampleLinear, makeSingleIndexTeacher, sampleSingleIndex } from '../src/data/teachers.js';
import { linearNet, type LinearParams } from '../src/models/linear.js';
import { makeOptimizer } from '../src/optim/index.js';
import { initSingleIndexNet, oneStep } from '../src/models/singleIndex.js';
import linearIterations from '../src/experiments/linear-iterations.js';

await startBackend({ quiet: true });
// the kernel threads load in the background and install themselves from a message to this thread's event
// loop, which the synchronous loop below never yields to: wait for them, or every op would run on one thread
const threads = threadsFromEnv();
if (threads > 1 && (await startKernelThreads(threads)) !== threads) throw new Error(`profile-step: ${threads} kernel threads did not start`);
const [what = 'sweep-sgd', repsArg] = process.argv.slice(2);
const rng = new Rng(20261201);
let op: () => void, reps: number;
if (what.startsWith('sweep-')) {
  const method = what.slice(6);
  reps = Number(repsArg ?? 4);
  let seed = 0;
  const p = { method, kappaSigma: 100, lr: 0.5, d: 200, k: 8, dy: 16, n: 256, kappaF: 1, damping: 0, noise: 0, rotated: true, targetDist: 0.05, maxSteps: 250 };
  op = () => { const s = seed++; linearIterations.run(p as never, new Rng(s), { experiment: 'linear-iterations', replicate: s, seed: s }); };
} else if (what.startsWith('A-')) {
  reps = Number(repsArg ?? 300);
  const a = { d: 200, k: 8, dy: 16, n: 1024, kappa: 100, noise: 0.1 };
  const cov = makeCovariance({ family: 'geometric', d: a.d, kappa: a.kappa, rotation: 'haar' }, rng.fork('covA'));
  const teacher = makeLinearTeacher({ cov, k: a.k, dy: a.dy, noise: a.noise }, rng.fork('teacherA'));
  const ir = rng.fork('initA');
  const init: LinearParams = { F: ir.normalMat(a.dy, a.k, 1 / Math.sqrt(a.k)), G: ir.normalMat(a.k, a.d, 1 / Math.sqrt(a.d)) };
  if (what === 'A-batch') { const r = rng.fork(what); op = () => { sampleLinear(teacher, a.n, r); }; } else {
  const opt = makeOptimizer(what.slice(2)), r = rng.fork(what);
  let pp = init, s = opt.init(pp);
  op = () => {
    const res = opt.step(pp, sampleLinear(teacher, a.n, r), s, linearNet);
    if (res.params.F.data.every(Number.isFinite) && res.params.G.data.every(Number.isFinite)) { pp = res.params; s = res.state; } else { pp = init; s = opt.init(pp); }
  };
  }
} else if (what.startsWith('B-')) {
  reps = Number(repsArg ?? 20);
  const b = { d: 512, N: 1024, n: 2048, kappa: 100 };
  const cov = makeCovariance({ family: 'geometric', d: b.d, kappa: b.kappa, rotation: 'haar' }, rng.fork('covB'));
  const t = makeSingleIndexTeacher({ cov, link: 'relu' }, rng.fork('teacherB'));
  const nr = rng.fork('netB'), net = initSingleIndexNet(b.d, b.N, nr), batch = sampleSingleIndex(t, b.n, nr);
  const kind = what.slice(2) as 'plain' | 'preconditioned';
  op = () => { oneStep(net, batch.X, batch.y, kind, { eta: Math.sqrt(b.N), lambda: 0 }); };
} else throw new RangeError(`profile-step: unknown workload '${what}'`);
op();
const t0 = performance.now(), c0 = process.cpuUsage();
for (let i = 0; i < reps; i++) op();
const c1 = process.cpuUsage(c0), cpu = (c1.user + c1.system) / 1e3;
// CPU time beside wall time: on a shared machine the wall time includes waiting for a core
console.log(`${what}: ${((performance.now() - t0) / reps).toFixed(2)} ms per op (CPU ${(cpu / reps).toFixed(2)} ms) over ${reps}`);
