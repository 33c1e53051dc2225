/**
 * Paired A/B timing of two checkouts in one process, for a lever whose gain is smaller than this
 * machine's drift (bench/README.md "Normals and float32 packing"): the same workloads are loaded from
 * both trees (separate module graphs, separate WebAssembly instances) and timed alternately, round by
 * round, so that both sides see the same machine state; the median of the per-round ratios B/A is
 * reported with its quartiles.
 *
 *   git worktree add -f /tmp/old <commit> && ln -s "$PWD/node_modules" /tmp/old/node_modules
 *   (cd /tmp/old && npx tsx tools/build-wasm.ts)
 *   LPFL_THREADS=1 npx tsx tools/pair-ab.ts /tmp/old . [--rounds=15] [--only=cell,A-sgd] [--out=FILE.json]
 *
 * Workloads: the bench's Model A items at d = 200, k = 8, d_y = 16 (loss on a held-out batch of 512,
 * fresh batches of 256 and 1024, batch of 1024 + one SGD / K-FAC / Shampoo / Gauss–Newton step), its Model B steps
 * (d = 512, N = 1024, n = 2048) and one linear-iterations sweep cell (d = 200, n = 256, SGD, κ(Σ) = 100,
 * ≤ 250 steps), one network cell of notebook 20 (d = 512, N = 1024, n = 8d, three step sizes) and eigSym of
 * Wishart matrices at n = 200 and 1024. Run with LPFL_THREADS=1 for one core.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stats } from '../bench/summary.js';

type Workloads = Record<string, [op: () => void, reps: number]>;

async function load(root: string): Promise<Workloads> {
  const at = (p: string) => import(pathToFileURL(resolve(root, p)).href);
  const { startBackend, threadsFromEnv } = await at('src/node/backend.ts');
  const { startKernelThreads } = await at('src/node/threads.ts');
  const { Rng } = await at('src/rng.ts');
  const { makeCovariance } = await at('src/data/covariance.ts');
  const { makeLinearTeacher, sampleLinear, makeSingleIndexTeacher, sampleSingleIndex } = await at('src/data/teachers.ts');
  const { linearNet } = await at('src/models/linear.ts');
  const { initSingleIndexNet, oneStep } = await at('src/models/singleIndex.ts');
  const { makeOptimizer } = await at('src/optim/index.ts');
  const linearIterations = (await at('src/experiments/linear-iterations.ts')).default;
  const spikeNetwork = (await at('src/experiments/single-index-spike-network.ts')).default;
  const { eigSym, mm64 } = await at('src/linalg.ts');
  await startBackend({ quiet: true });
  // startBackend starts the kernel threads in the background; the timed loops never yield to the event
  // loop, so wait here until they run (else both sides would be timed on one thread)
  await startKernelThreads(threadsFromEnv());
  const rng = new Rng(1);
  const d = 200, k = 8, dy = 16;
  const cov = makeCovariance({ family: 'geometric', d, kappa: 100, rotation: 'haar' }, rng.fork('c'));
  const teacher = makeLinearTeacher({ cov, k, dy, noise: 0.1 }, rng.fork('t'));
  const F = rng.normalMat(dy, k, 1 / 3), G = rng.normalMat(k, d, 1 / 14);
  const heldOut = sampleLinear(teacher, 512, rng);
  const r = rng.fork('b');
  const step = (name: string): [() => void, number] => {
    const opt = makeOptimizer(name), s = opt.init({ F, G });
    return [() => { opt.step({ F, G }, sampleLinear(teacher, 1024, r), s, linearNet); }, name === 'shampoo' || name === 'gauss-newton' ? 8 : 20];
  };
  const spd = (n: number) => { const Z = rng.normalMat(2 * n, n); return mm64(Z, Z, true); };
  const E200 = spd(200), E1024 = spd(1024);
  const b = { d: 512, N: 1024, n: 2048, kappa: 100 };
  const covB = makeCovariance({ family: 'geometric', d: b.d, kappa: b.kappa, rotation: 'haar' }, rng.fork('covB'));
  const tB = makeSingleIndexTeacher({ cov: covB, link: 'relu' }, rng.fork('teacherB'));
  const nr = rng.fork('netB'), net = initSingleIndexNet(b.d, b.N, nr), batch = sampleSingleIndex(tB, b.n, nr);
  const bStep = (kind: string): [() => void, number] => [() => { oneStep(net, batch.X, batch.y, kind, { eta: Math.sqrt(b.N), lambda: 0 }); }, 2];
  let seed = 0;
  const netCell = { N: 1024, etaScales: [0.5, 4, 32], d: 512, ratio: 8, kappa: 100, lambda: 0, rotation: 'none', link: 'relu', noise: 0.1, problemSeed: 0 };
  const cell = { method: 'sgd', kappaSigma: 100, lr: 0.5, d, k, dy, n: 256, kappaF: 1, damping: 0, noise: 0, rotated: true, targetDist: 0.05, maxSteps: 250 };
  return {
    loss512: [() => { linearNet.loss({ F, G }, heldOut); }, 100],
    batch256: [() => { sampleLinear(teacher, 256, r); }, 60],
    batch1024: [() => { sampleLinear(teacher, 1024, r); }, 20],
    'A-sgd': step('sgd'), 'A-kfac': step('kfac'), 'A-shampoo': step('shampoo'), 'A-gauss-newton': step('gauss-newton'), 'A-muon': step('muon'),
    eig200: [() => { eigSym(E200); }, 10], eig1024: [() => { eigSym(E1024); }, 1],
    'B-plain': bStep('plain'), 'B-preconditioned': bStep('preconditioned'),
    cell: [() => { const s = seed++; linearIterations.run(cell, new Rng(s), { experiment: 'linear-iterations', replicate: s, seed: s }); }, 1],
    network: [() => { spikeNetwork.run({ ...netCell }, new Rng(7), { experiment: 'single-index-spike-network', replicate: 7, seed: 7 }); }, 1],
  };
}

const args = process.argv.slice(2);
const roots = args.filter((a) => !a.startsWith('--'));
if (roots.length !== 2) throw new RangeError('pair-ab: give two checkout directories, A (before) and B (after)');
const opt = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const rounds = Number(opt('rounds') ?? 15), only = opt('only')?.split(',');
// one directory twice would load one module graph (the import cache), so both sides would be the same code
if (resolve(roots[0]) === resolve(roots[1])) throw new RangeError('pair-ab: A and B must be two different checkouts');
if (!(Number.isInteger(rounds) && rounds >= 3)) throw new RangeError(`pair-ab: --rounds must be an integer >= 3, got ${opt('rounds')}`);
const [wa, wb] = [await load(roots[0]), await load(roots[1])];
const med = (x: number[]) => stats(x).medianMs;
const rows: Record<string, { aMs: number; bMs: number; ratio: number; q1: number; q3: number; rounds: number }> = {};
for (const key of Object.keys(wa)) {
  if (only && !only.some((o) => key.includes(o))) continue;
  const [fa, reps] = wa[key], [fb] = wb[key];
  fa(); fb(); // warm-up: compilation and first-touch of each side's buffers
  const ta: number[] = [], tb: number[] = [];
  for (let q = 0; q < rounds; q++) {
    const order: [() => void, number[]][] = q % 2 ? [[fb, tb], [fa, ta]] : [[fa, ta], [fb, tb]];
    for (const [f, out] of order) {
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) f();
      out.push((performance.now() - t0) / reps);
    }
  }
  const ratios = tb.map((x, i) => x / ta[i]).sort((u, v) => u - v);
  rows[key] = { aMs: med(ta), bMs: med(tb), ratio: med(ratios), q1: ratios[Math.floor(rounds / 4)], q3: ratios[Math.floor((3 * rounds) / 4)], rounds };
  const x = rows[key];
  console.log(`${key.padEnd(17)} A ${x.aMs.toFixed(3)} ms  B ${x.bMs.toFixed(3)} ms  B/A ${x.ratio.toFixed(3)} (quartiles ${x.q1.toFixed(3)}–${x.q3.toFixed(3)})`);
}
const out = opt('out');
if (out) writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), a: resolve(roots[0]), b: resolve(roots[1]), threads: process.env.LPFL_THREADS ?? null, rows }, null, 1)}\n`);
