/**
 * `npm run bench`: timings of the library's hot paths on the active numeric engine, and the same work
 * in NumPy (float64) when `python3 -c "import numpy"` works, with ratio = ours / NumPy per item.
 *
 * Items (sizes in `SPEC`, shared with `numpy_bench.py`):
 * - matmul n×n·n×n at 256 and 1024 through `mat.matmul` (the engine: under `simd` our float32 kernel
 *   above `TFJS_MIN_WORK` multiply-adds, tfjs's under the tfjs engines, float64 JavaScript under js64),
 *   reported as GFLOP/s too;
 * - one optimizer step of every family member on Model A (d = 200, k = 8, d_y = 16, n = 1024), each
 *   step including a fresh batch (rotated geometric Σ, κ = 100, Gaussian inputs, noise 0.1), the
 *   optimizer state and parameters carried from rep to rep (reset to the start if they stop being finite);
 * - one Model B step (d = 512, N = 1024, n = 2048; relu teacher and student, same rotated Σ family):
 *   `oneStep` 'plain' and 'preconditioned' (Σ̂ + λI)⁻¹ with λ = 0, on one fixed batch;
 * - standard normals per second for a 1024×1024 draw;
 * - float64 components the steps spend their time in (mm64, Cholesky, triangular solves, eigSym).
 *
 * - sweep throughput (`SWEEP`): a linear-iterations grid at d = 200 on all cores, ours through
 *   `runSweep`'s worker pool against the same cells on a NumPy process pool (one BLAS thread each).
 *
 * Timing: per item, our reps on one core (kernel threads off), our reps on all cores (the kernel threads
 * that `startBackend` starts, $LPFL_THREADS, default all cores: `oursAll`), then those of two persistent
 * `numpy_bench.py` processes, one with
 * NumPy's default BLAS threads and one with one BLAS thread (both without OPENBLAS_CORETYPE and
 * OPENBLAS_L2_SIZE; `numpyEnv` in summary.ts), alternated for `rounds` rounds (default 3) of
 * `minTime`/rounds seconds each (default 1.2 s in all), so that changes in the machine's load hit all
 * sides alike; warm-up in the first round; reps until the round's time and reps are met or `maxReps`;
 * median, min and mean ms per op over each side's pooled samples; ratio = oursAll / NumPy medians (all
 * cores against NumPy's default threads), ratio1 = ours (one core) / NumPy with one BLAS thread.
 * Flags: `--quick` (0.3 s per item, one sweep round), `--only=a,b` (items whose id contains one of the
 * strings; `sweep` selects the sweep item), `--no-numpy`, `--no-sweep`, `--out=DIR` (default
 * bench/results), `--no-save`, `--min-time=S`, `--rounds=R`, `--sweep-rounds=R`, `--max-reps=N`,
 * `--f32-kernel=tfjs|own` (tfjs engines only; `simd`, the default, always runs our kernels: the engine's
 * float32 products in this process, tfjs's, the default, or our f32x4 kernel, `setFloat32Kernel`; the
 * sweep's workers keep tfjs).
 * Output: DIR/latest.json and DIR/<date>-<engine>.json (…-<HHMMSS>.json when that day's file exists: a
 * second run of the day never overwrites the first), plus a table on stdout.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, platform, arch, availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBackend, threadsFromEnv } from '../src/node/backend.js';
import { startKernelThreads } from '../src/node/threads.js';
import { gemmThreadsInstalled, setGemmThreads } from '../src/kernels.js';
import { TFJS_MIN_WORK, float32Kernel, setFloat32Kernel } from '../src/backend.js';
import { float32KernelRelaxed } from '../src/kernels32.js';
import { Mat, matmul, gram, isFinite as matFinite } from '../src/mat.js';
import { mm64, cholesky, cholSolveL, eigSym } from '../src/linalg.js';
import { Rng } from '../src/rng.js';
import { makeCovariance } from '../src/data/covariance.js';
import { makeLinearTeacher, sampleLinear, makeSingleIndexTeacher, sampleSingleIndex } from '../src/data/teachers.js';
import { linearNet, type LinearParams } from '../src/models/linear.js';
import { initSingleIndexNet, oneStep } from '../src/models/singleIndex.js';
import { makeOptimizer, optimizerNames } from '../src/optim/index.js';
import { train } from '../src/train.js';
import { subspaceDistance } from '../src/metrics.js';
import { DEFAULT_SETUP, makeLinearProblem } from '../src/experiments/linear-common.js';
import { runSweep } from '../src/node/runner.js';
import { stopIdleWorkers } from '../src/node/pool.js';
import {
  stats, ratios, round, numpyEnv, throughput, throughputRatio, cellSteps, maxAbsDiff, type Stats, cpuIdText, type CpuId,
} from './summary.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Sizes and settings shared with numpy_bench.py (passed to it as JSON). */
export const SPEC = {
  seed: 20250201,
  matmulSizes: [256, 1024],
  modelA: { d: 200, k: 8, dy: 16, n: 1024, kappa: 100, noise: 0.1 },
  modelB: { d: 512, N: 1024, n: 2048, kappa: 100, lambda: 0 },
  sampling: { rows: 1024, cols: 1024 },
  components: { mm64: [256, 512], chol: 512, cholSolveCols: 1024, eig: 200 },
  optimizers: optimizerNames(),
};

interface Item {
  id: string; group: string; label: string;
  /** Work per op for a derived rate: flops (GFLOP/s) or normals (per second). */
  flops?: number; normals?: number;
  prepare: () => () => void;
}

function parseArgs(argv: string[]) {
  const o = { quick: false, only: [] as string[], numpy: true, out: join(HERE, 'results'), save: true, minTime: 1.2, minReps: 3, maxReps: 300, rounds: 3, sweep: true, sweepRounds: 3, f32Kernel: 'tfjs' };
  for (const a of argv) {
    if (a === '--quick') { o.quick = true; o.minTime = 0.3; o.sweepRounds = 1; }
    else if (a.startsWith('--only=')) o.only = a.slice(7).split(',').filter(Boolean);
    else if (a === '--no-numpy') o.numpy = false;
    else if (a.startsWith('--out=')) o.out = a.slice(6);
    else if (a === '--no-save') o.save = false;
    else if (a.startsWith('--min-time=')) o.minTime = Number(a.slice(11));
    else if (a.startsWith('--max-reps=')) o.maxReps = Number(a.slice(11));
    else if (a.startsWith('--rounds=')) o.rounds = Math.max(1, Math.round(Number(a.slice(9))));
    else if (a === '--no-sweep') o.sweep = false;
    else if (a.startsWith('--f32-kernel=')) o.f32Kernel = a.slice(13);
    else if (a.startsWith('--sweep-rounds=')) o.sweepRounds = Math.max(1, Math.round(Number(a.slice(15))));
    else throw new RangeError(`bench: unknown flag '${a}'`);
  }
  return o;
}

/** Per-op times (ms): warm-up when asked (≥ 1 call, up to ~25 % of the budget), then reps until the budget and minReps are met, or maxReps. */
function time(fn: () => void, minTime: number, minReps: number, maxReps: number, warmUp: boolean): number[] {
  const w0 = performance.now();
  let warm = 0;
  while (warmUp && (warm < 1 || (performance.now() - w0 < 250 * minTime && warm < 20))) { fn(); warm++; }
  const samples: number[] = [];
  const t0 = performance.now();
  while (samples.length < minReps || (performance.now() - t0 < 1000 * minTime && samples.length < maxReps)) {
    const s = performance.now();
    fn();
    samples.push(performance.now() - s);
  }
  return samples;
}


/** NumPy reference process (numpy_bench.py in server mode), one JSON line per request and reply. */
class NumpyServer {
  private child: ChildProcessWithoutNullStreams;
  private lines: string[] = [];
  private waiting: ((line: string | null) => void)[] = [];
  private closed = false;
  constructor(spec: unknown, env: Record<string, string>) {
    this.child = spawn('python3', [join(HERE, 'numpy_bench.py')], { stdio: ['pipe', 'pipe', 'pipe'], env });
    this.child.stderr.on('data', (d) => process.stderr.write(d));
    let buf = '';
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const l = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const w = this.waiting.shift();
        if (w) w(l); else this.lines.push(l);
      }
    });
    this.child.on('close', () => { this.closed = true; for (const w of this.waiting.splice(0)) w(null); });
    this.child.stdin.write(JSON.stringify(spec) + '\n');
  }
  next(): Promise<any> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(JSON.parse(l));
    if (this.closed) return Promise.reject(new Error('numpy_bench.py exited'));
    return new Promise((res, rej) => this.waiting.push((x) => (x === null ? rej(new Error('numpy_bench.py exited')) : res(JSON.parse(x)))));
  }
  async request(req: Record<string, unknown>): Promise<any> {
    this.child.stdin.write(JSON.stringify(req) + '\n');
    const r = await this.next();
    if (r.error) throw new Error(`numpy_bench.py: ${r.item ?? req.cmd}: ${r.error}`);
    return r;
  }
  async run(req: Record<string, unknown>): Promise<number[]> { return (await this.request(req)).samples as number[]; }
  close(): void { if (!this.closed) this.child.stdin.end(JSON.stringify({ cmd: 'quit' }) + '\n'); }
}

/**
 * The CPU's family, model and whether it has AVX-512, from /proc/cpuinfo (Linux; null elsewhere): VMs report
 * "AMD EPYC" for every generation, and the NumPy side depends on it. NumPy's one-thread matmul 1024³ took
 * 25–28 ms on a family-26 VM (2026-12-07) against 41–45 ms on 2026-12-02 (family not recorded), while our
 * kernels took about the same on both.
 */
function cpuId(): CpuId | null {
  try {
    const t = readFileSync('/proc/cpuinfo', 'utf8');
    const num = (k: string) => Number(new RegExp(`^${k}\\s*:\\s*(\\d+)`, 'm').exec(t)?.[1] ?? NaN);
    return { family: num('cpu family'), model: num('model'), avx512: /^flags\s*:.*\bavx512f\b/m.test(t) };
  } catch { return null; }
}

function items(): Item[] {
  const out: Item[] = [];
  const rng = new Rng(SPEC.seed);
  for (const n of SPEC.matmulSizes) {
    out.push({
      id: `matmul-${n}`, group: 'matmul', label: `matmul ${n}³ (engine)`, flops: 2 * n ** 3,
      prepare: () => { const A = rng.normalMat(n, n), B = rng.normalMat(n, n); return () => { matmul(A, B); }; },
    });
  }
  // Model A: one fresh batch + one optimizer step per op, state carried.
  const a = SPEC.modelA;
  const covA = makeCovariance({ family: 'geometric', d: a.d, kappa: a.kappa, rotation: 'haar' }, rng.fork('covA'));
  const teacher = makeLinearTeacher({ cov: covA, k: a.k, dy: a.dy, noise: a.noise }, rng.fork('teacherA'));
  const initRng = rng.fork('initA');
  const init: LinearParams = { F: initRng.normalMat(a.dy, a.k, 1 / Math.sqrt(a.k)), G: initRng.normalMat(a.k, a.d, 1 / Math.sqrt(a.d)) };
  for (const name of SPEC.optimizers) {
    out.push({
      id: `A-${name}`, group: 'model A step', label: `A: batch + ${name} step`,
      prepare: () => {
        const opt = makeOptimizer(name), r = rng.fork(`A-${name}`);
        let p = init, s = opt.init(p);
        return () => {
          const batch = sampleLinear(teacher, a.n, r);
          const res = opt.step(p, batch, s, linearNet);
          if (matFinite(res.params.F) && matFinite(res.params.G)) { p = res.params; s = res.state; } else { p = init; s = opt.init(p); }
        };
      },
    });
  }
  out.push({
    id: 'A-batch', group: 'model A step', label: 'A: fresh batch only',
    prepare: () => { const r = rng.fork('A-batch'); return () => { sampleLinear(teacher, a.n, r); }; },
  });
  // Model B: one step on a fixed batch.
  const b = SPEC.modelB;
  const covB = makeCovariance({ family: 'geometric', d: b.d, kappa: b.kappa, rotation: 'haar' }, rng.fork('covB'));
  const tB = makeSingleIndexTeacher({ cov: covB, link: 'relu' }, rng.fork('teacherB'));
  const netRng = rng.fork('netB');
  const net = initSingleIndexNet(b.d, b.N, netRng);
  const batchB = sampleSingleIndex(tB, b.n, netRng);
  const eta = Math.sqrt(b.N);
  for (const kind of ['plain', 'preconditioned'] as const) {
    out.push({
      id: `B-${kind}`, group: 'model B step', label: `B: ${kind} step`,
      prepare: () => () => { oneStep(net, batchB.X, batchB.y, kind, { eta, lambda: b.lambda }); },
    });
  }
  const sm = SPEC.sampling;
  out.push({
    id: 'normals', group: 'sampling', label: `normals ${sm.rows}×${sm.cols}`, normals: sm.rows * sm.cols,
    prepare: () => { const r = rng.fork('normals'); return () => { r.normalMat(sm.rows, sm.cols); }; },
  });
  // Components (float64 on every engine).
  const c = SPEC.components;
  for (const n of c.mm64) {
    out.push({
      id: `mm64-${n}`, group: 'float64 components', label: `mm64 ${n}³`, flops: 2 * n ** 3,
      prepare: () => { const A = rng.normalMat(n, n), B = rng.normalMat(n, n); return () => { mm64(A, B); }; },
    });
  }
  const spd = (n: number) => { const X = rng.normalMat(2 * n, n); return mm64(X, X, true, false); };
  out.push({
    id: `cholesky-${c.chol}`, group: 'float64 components', label: `cholesky ${c.chol}`, flops: c.chol ** 3 / 3,
    prepare: () => { const S = spd(c.chol); return () => { cholesky(S); }; },
  });
  out.push({
    id: `cholsolve-${c.chol}x${c.cholSolveCols}`, group: 'float64 components', label: `chol solve ${c.chol}, ${c.cholSolveCols} rhs`,
    flops: 2 * c.chol ** 2 * c.cholSolveCols,
    prepare: () => { const L = cholesky(spd(c.chol)), B = rng.normalMat(c.chol, c.cholSolveCols); return () => { cholSolveL(L, B); }; },
  });
  out.push({
    id: `eigsym-${c.eig}`, group: 'float64 components', label: `eigSym ${c.eig}`,
    prepare: () => { const S = gram(rng.normalMat(2 * c.eig, c.eig)); return () => { eigSym(S); }; },
  });
  return out;
}

const packMat = (m: Mat) => ({ rows: m.rows, cols: m.cols, data: Array.from(m.data) });
function relDiff(ours: Float64Array, theirs: number[]): number {
  let num = 0, den = 0;
  for (let i = 0; i < ours.length; i++) { num = Math.max(num, Math.abs(ours[i] - theirs[i])); den = Math.max(den, Math.abs(theirs[i])); }
  return ours.length === theirs.length ? num / (den || 1) : Infinity;
}

/**
 * Faithfulness check of the NumPy ports: 12 steps of each optimizer from one start on one sequence of
 * fresh batches, and one Model B step of each kind, run by both sides on the same data; the reply is
 * max |ours − numpy| / max |numpy| per item. The problems are small enough (every product under
 * TFJS_MIN_WORK multiply-adds) that both sides compute in float64 whatever the engine, so agreement
 * is to round-off. SOAP runs on a square problem (d = k = d_y): with d > k its first eigenbasis is that
 * of a rank-deficient factor, whose null-space basis is arbitrary (solver-dependent).
 */
async function verifyPorts(np: NumpyServer): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const problems: { d: number; k: number; dy: number; names: string[] }[] = [
    { d: 20, k: 3, dy: 5, names: SPEC.optimizers.filter((n) => n !== 'soap') },
    { d: 4, k: 4, dy: 4, names: ['soap'] },
  ];
  const rng = new Rng(SPEC.seed + 1);
  for (const pr of problems) {
    const cov = makeCovariance({ family: 'geometric', d: pr.d, kappa: 10, rotation: 'haar' }, rng);
    const teacher = makeLinearTeacher({ cov, k: pr.k, dy: pr.dy, noise: 0.1 }, rng);
    const init: LinearParams = { F: rng.normalMat(pr.dy, pr.k, 1 / Math.sqrt(pr.k)), G: rng.normalMat(pr.k, pr.d, 1 / Math.sqrt(pr.d)) };
    const batches = Array.from({ length: 12 }, () => sampleLinear(teacher, 64, rng));
    const req: Record<string, unknown> = {
      cmd: 'verify', F: packMat(init.F), G: packMat(init.G), optimizers: pr.names,
      batches: batches.map((b) => ({ X: packMat(b.X), Y: packMat(b.Y) })),
    };
    const covB = makeCovariance({ family: 'geometric', d: 16, kappa: 10, rotation: 'haar' }, rng);
    const tB = makeSingleIndexTeacher({ cov: covB, link: 'relu' }, rng);
    const net = initSingleIndexNet(16, 24, rng), bb = sampleSingleIndex(tB, 48, rng);
    req.modelB = { W: packMat(net.W), a: Array.from(net.a), X: packMat(bb.X), y: Array.from(bb.y), eta: Math.sqrt(24), lambda: 0 };
    const theirs = (await np.request(req)).verify;
    for (const name of pr.names) {
      const opt = makeOptimizer(name);
      let p = init, s = opt.init(p);
      for (const b of batches) { const r = opt.step(p, b, s, linearNet); p = r.params; s = r.state; }
      out[`A-${name}`] = round(Math.max(relDiff(p.F.data, theirs[name].F), relDiff(p.G.data, theirs[name].G)), 15);
    }
    for (const kind of ['plain', 'preconditioned'] as const) {
      const W1 = oneStep(net, bb.X, bb.y, kind, { eta: Math.sqrt(24), lambda: 0 }).net.W;
      out[`B-${kind}`] = Math.max(out[`B-${kind}`] ?? 0, round(relDiff(W1.data, theirs[`B-${kind}`].W), 15));
    }
  }
  return out;
}

/**
 * The sweep-throughput item: a Model A iterations-to-target grid at d = 200 (`linear-iterations`),
 * cells per second on all cores. Ours: `runSweep` on the real worker pool (workers =
 * os.availableParallelism()) into a fresh temporary data directory per round. NumPy: the same cells
 * (same parameters, NumPy's own random numbers seeded by each cell's seed) on a process pool of as many
 * processes, each with one BLAS thread, run by the one-thread NumPy process (its children inherit its
 * environment). Per-cell steps differ between sides (each draws its own batches), so fresh-batch steps
 * per second are recorded beside cells per second.
 */
export const SWEEP = {
  id: 'sweep-A-iterations',
  experiment: 'linear-iterations',
  set: {
    method: ['sgd', 'kfac'], kappaSigma: [10, 100], lr: [0.25, 0.5],
    d: [200], k: [8], dy: [16], n: [256], kappaF: [1], damping: [0], noise: [0], rotated: [true],
    targetDist: [0.05], maxSteps: [250],
  },
  seeds: 2,
};

interface SweepRow { ours: { wallS: number[]; steps: number[]; warmUpS: number; outcomes: Record<string, number> }; numpy: { wallS: number[]; steps: number[]; warmUpS: number; workers: unknown; outcomes: Record<string, number> } | null; cells: number }

async function sweepItem(np1: NumpyServer | null, rounds: number, workers: number): Promise<SweepRow> {
  const maxSteps = SWEEP.set.maxSteps[0];
  const sumSteps = (results: unknown[]) => results.reduce<number>((a, r) => a + (cellSteps(r, maxSteps) ?? maxSteps), 0);
  /** Cells that reached the target, did not, diverged or failed, summed over the timed rounds. */
  const tally = (into: Record<string, number>, results: unknown[]) => {
    for (const r of results as { iters?: number | null; diverged?: boolean; failed?: string }[]) {
      const k = r.failed !== undefined ? 'failed' : r.diverged ? 'diverged' : typeof r.iters === 'number' ? 'reached' : 'notReached';
      into[k] = (into[k] ?? 0) + 1;
    }
  };
  const oursRun = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lpfl-bench-sweep-'));
    try {
      const t0 = performance.now();
      const res = await runSweep(SWEEP.experiment, {
        dataDir: dir, workers, set: SWEEP.set, seeds: SWEEP.seeds, readDirs: [], writeResults: false, quietEngine: true,
        onNotice: (m) => process.stderr.write(`  sweep: ${m}\n`),
      });
      const wall = (performance.now() - t0) / 1000;
      if (res.computed !== res.cells.length) throw new Error(`bench sweep: ${res.cached} cell(s) came from a cache`);
      return { wall, cells: res.cells };
    } finally { rmSync(dir, { recursive: true, force: true }); }
  };
  // warm-up round (worker start-up, module loading, the NumPy pool's fork), then timed rounds, alternated
  const w = await oursRun();
  const cells = w.cells.map((c) => ({ params: c.params, seed: c.seed }));
  const row: SweepRow = { ours: { wallS: [], steps: [], warmUpS: w.wall, outcomes: {} }, numpy: null, cells: cells.length };
  let npReq: Record<string, unknown> | null = np1 ? { cmd: 'sweep', processes: workers, cells } : null;
  if (np1 && npReq) {
    const r = (await np1.request(npReq)).sweep;
    row.numpy = { wallS: [], steps: [], warmUpS: r.wallS, workers: r.workers, outcomes: {} };
  }
  for (let i = 0; i < rounds; i++) {
    const o = await oursRun();
    row.ours.wallS.push(o.wall);
    row.ours.steps.push(sumSteps(o.cells.map((c) => c.result)));
    tally(row.ours.outcomes, o.cells.map((c) => c.result));
    if (np1 && npReq && row.numpy) {
      const r = (await np1.request(npReq)).sweep;
      row.numpy.wallS.push(r.wallS);
      row.numpy.steps.push(sumSteps(r.results));
      tally(row.numpy.outcomes, r.results);
      row.numpy.workers = r.workers;
    }
    process.stderr.write(`  ${SWEEP.id} round ${i + 1}: ours ${fmt(o.wall)} s${row.numpy ? `, numpy ${fmt(row.numpy.wallS[i])} s` : ''} for ${cells.length} cells\n`);
  }
  npReq = null;
  return row;
}

/**
 * Port check of the sweep's cell: both sides train from the same problem (G*, the student's start, the
 * held-out batch) on the same sequence of fresh batches, made here and sent to NumPy, so that the
 * only difference is the arithmetic. The TypeScript side is runLinear's training for linear-iterations
 * (train with evaluation every step, subspace distance to G*, loss on the held-out batch, stop at the
 * target) with the batches fed in place of its own draws. Cases: a small problem (every product under
 * TFJS_MIN_WORK, float64 on both sides: agreement to round-off), and the sweep's size d = 200 for a few
 * steps (our products above TFJS_MIN_WORK run in float32 on the wasm engine: agreement to float32
 * precision). Reply per case: iteration counts (must be equal) and max |Δ dist| over the trajectory.
 */
async function verifyCellPort(np: NumpyServer): Promise<Record<string, { iters: [number | null, number | null]; maxDistDiff: number; steps: number }>> {
  const rng = new Rng(SPEC.seed + 2);
  const cases = [
    { id: 'small-sgd', method: 'sgd', lr: 0.5, kappaSigma: 10, d: 20, k: 3, dy: 5, n: 64, steps: 200, targetDist: 0.05 },
    { id: 'small-kfac', method: 'kfac', lr: 0.5, kappaSigma: 100, d: 20, k: 3, dy: 5, n: 64, steps: 40, targetDist: 0.05 },
    { id: 'd200-sgd', method: 'sgd', lr: 0.5, kappaSigma: 100, d: 200, k: 8, dy: 16, n: 256, steps: 10, targetDist: 0.05 },
    { id: 'd200-kfac', method: 'kfac', lr: 0.5, kappaSigma: 100, d: 200, k: 8, dy: 16, n: 256, steps: 10, targetDist: 0.05 },
  ];
  const ours: Record<string, { iters: number | null; dist: number[] }> = {};
  const reqCells: Record<string, unknown>[] = [];
  for (const c of cases) {
    const r = rng.fork(c.id);
    const problem = makeLinearProblem({ ...DEFAULT_SETUP, d: c.d, k: c.k, dy: c.dy, n: c.n, kappaSigma: c.kappaSigma, kappaF: 1, noise: 0, rotated: true }, r.fork('problem'));
    const src = problem.task.source;
    const evalBatch = sampleLinear(src, 512, r.fork('eval'));
    const br = r.fork('batches');
    const batches = Array.from({ length: c.steps }, () => sampleLinear(src, c.n, br));
    const res = train({
      optimizer: makeOptimizer(c.method, { lr: c.lr }), init: problem.init, model: linearNet, steps: c.steps, seed: 0,
      sample: (_r, t) => batches[t - 1], evalEvery: 1, evalBatch,
      metrics: (q) => ({ dist: subspaceDistance(q.G, src.G) }), stopWhen: (m) => m.dist < c.targetDist,
    });
    const h = res.history.filter((x) => x.dist !== undefined);
    const hit = res.diverged ? undefined : h.find((x) => x.dist < c.targetDist);
    ours[c.id] = { iters: hit ? hit.step : null, dist: h.map((x) => x.dist) };
    reqCells.push({
      id: c.id, method: c.method, lr: c.lr, targetDist: c.targetDist, F: packMat(problem.init.F), G: packMat(problem.init.G), Gs: packMat(src.G),
      eval: { X: packMat(evalBatch.X), Y: packMat(evalBatch.Y) }, batches: batches.map((b) => ({ X: packMat(b.X), Y: packMat(b.Y) })),
    });
  }
  const theirs = (await np.request({ cmd: 'verifyCell', cells: reqCells })).verifyCell;
  const out: Record<string, { iters: [number | null, number | null]; maxDistDiff: number; steps: number }> = {};
  for (const c of cases) {
    const t = theirs[c.id];
    out[c.id] = { iters: [ours[c.id].iters, t.iters], maxDistDiff: Number(maxAbsDiff(ours[c.id].dist, t.dist).toPrecision(3)), steps: ours[c.id].dist.length - 1 };
  }
  return out;
}

function numpyAvailable(): boolean {
  try { execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }); return true; } catch { return false; }
}

function fmt(x: number | null | undefined): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(3);
}

/** Tolerances of the port checks (see verifyPorts and verifyCellPort). */
const PORT_TOL = 1e-8, CELL_TOL_F64 = 1e-9, CELL_TOL_F32 = 1e-3;

async function startNumpy(kind: 'default' | 'oneThread'): Promise<{ np: NumpyServer | null; config: Record<string, unknown> | null; note: string; removed: string[] }> {
  const { env, removed } = numpyEnv(process.env, kind === 'oneThread');
  let np: NumpyServer | null = null;
  try {
    np = new NumpyServer(SPEC, env);
    const hello = await np.next();
    return { np, config: hello.config, note: 'ok', removed };
  } catch (e) { np?.close(); return { np: null, config: null, note: `numpy_bench.py failed to start: ${(e as Error).message}`, removed }; }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const engine = await startBackend();
  setFloat32Kernel(args.f32Kernel);
  // the kernel threads ($LPFL_THREADS, default all cores), loaded before any item is timed
  const threadCount = await startKernelThreads(threadsFromEnv()), threads = gemmThreadsInstalled();
  const load0 = loadavg();
  const all = items().filter((it) => args.only.length === 0 || args.only.some((s) => it.id.includes(s)));
  const doSweep = args.sweep && (args.only.length === 0 || args.only.some((s) => SWEEP.id.includes(s)));
  // Two NumPy processes: default threads, and one BLAS thread; both without the kernel overrides.
  const sides: { key: 'numpy' | 'numpy1'; kind: 'default' | 'oneThread'; np: NumpyServer | null; config: Record<string, unknown> | null; note: string; removed: string[]; verify: Record<string, number> | null }[] = [
    { key: 'numpy', kind: 'default', np: null, config: null, note: 'not run (--no-numpy)', removed: [], verify: null },
    { key: 'numpy1', kind: 'oneThread', np: null, config: null, note: 'not run (--no-numpy)', removed: [], verify: null },
  ];
  let cellCheck: Awaited<ReturnType<typeof verifyCellPort>> | null = null;
  if (args.numpy) {
    const ok = numpyAvailable();
    for (const s of sides) {
      if (!ok) { s.note = 'python3 with numpy not found'; continue; }
      Object.assign(s, await startNumpy(s.kind));
      if (!s.np) continue;
      try {
        s.verify = await verifyPorts(s.np);
        const worst = Object.entries(s.verify).filter(([, v]) => !(v < PORT_TOL));
        process.stderr.write(`  ${s.kind} numpy (${s.config?.openblasThreads ?? '?'} BLAS thread(s), kernel ${s.config?.openblasCore ?? '?'}${s.removed.length ? `, without ${s.removed.join(' ')}` : ''}): ports ${worst.length ? `DIFFER: ${worst.map(([k, v]) => `${k} ${v}`).join(', ')}` : `all agree to < ${PORT_TOL}`}\n`);
      } catch (e) { s.np.close(); s.np = null; s.note = (e as Error).message; }
    }
    const np1 = sides[1].np;
    if (np1 && doSweep) {
      cellCheck = await verifyCellPort(np1);
      const bad = Object.entries(cellCheck).filter(([k, v]) => v.iters[0] !== v.iters[1] || !(v.maxDistDiff < (k.startsWith('small') ? CELL_TOL_F64 : CELL_TOL_F32)));
      process.stderr.write(`  sweep cell port (same batches fed to both): ${bad.length ? `DIFFERS: ${bad.map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ')}` : `same iteration counts, distances agree to < ${CELL_TOL_F64} (float64 sizes) and < ${CELL_TOL_F32} (d = 200)`}\n`);
    }
  }
  // Item by item, ours then each NumPy process, for `rounds` rounds of minTime/rounds each, so that a
  // change in the machine's load affects all sides alike; each side's samples are pooled over rounds.
  const R = args.rounds, per = args.minTime / R, reps = Math.max(1, Math.ceil(args.minReps / R));
  const rows: Record<string, unknown>[] = [];
  for (const it of all) {
    const run = it.prepare();
    const mine: number[] = [], mineAll: number[] = [];
    const theirs: Record<string, number[]> = { numpy: [], numpy1: [] };
    for (let r = 0; r < R; r++) {
      setGemmThreads(null); // one core
      mine.push(...time(run, per, reps, args.maxReps, r === 0));
      if (threads) { // all cores: the same item with the kernel threads
        setGemmThreads(threads);
        mineAll.push(...time(run, per, reps, args.maxReps, r === 0));
      }
      for (const s of sides) {
        if (!s.np) continue;
        try { theirs[s.key].push(...await s.np.run({ item: it.id, minTime: per, minReps: reps, maxReps: args.maxReps, warmUp: r === 0 })); }
        catch (e) { s.note = (e as Error).message; s.np.close(); s.np = null; }
      }
    }
    const o = stats(mine), oAll = mineAll.length ? stats(mineAll) : o;
    const n = theirs.numpy.length ? stats(theirs.numpy) : undefined, n1 = theirs.numpy1.length ? stats(theirs.numpy1) : undefined;
    const r0 = ratios(oAll, n), r1 = ratios(o, n1);
    process.stderr.write(`  ${it.id.padEnd(26)} ours ${fmt(o.medianMs)} ms (${o.reps}), ${threadCount} threads ${fmt(oAll.medianMs)} ms  numpy ${fmt(n?.medianMs)} ms (${n?.reps ?? 0})  numpy 1-thread ${fmt(n1?.medianMs)} ms (${n1?.reps ?? 0})\n`);
    const row: Record<string, unknown> = {
      id: it.id, group: it.group, label: it.label,
      ours: roundStats(o), oursAll: mineAll.length ? roundStats(oAll) : null, threadSpeedup: round(o.medianMs / oAll.medianMs, 3), numpy: n ? roundStats(n) : null, numpy1: n1 ? roundStats(n1) : null,
      ratio: r0.ratio, ratio1: r1.ratio, ratioOfMins: r0.ratioOfMins, ratioOfMins1: r1.ratioOfMins,
    };
    if (it.flops) {
      row.oursGflops = round(it.flops / o.medianMs / 1e6, 3);
      row.oursAllGflops = round(it.flops / oAll.medianMs / 1e6, 3);
      if (n) row.numpyGflops = round(it.flops / n.medianMs / 1e6, 3);
      if (n1) row.numpy1Gflops = round(it.flops / n1.medianMs / 1e6, 3);
    }
    if (it.normals) {
      row.oursNormalsPerSec = Math.round(it.normals / o.medianMs * 1e3);
      if (n) row.numpyNormalsPerSec = Math.round(it.normals / n.medianMs * 1e3);
      if (n1) row.numpy1NormalsPerSec = Math.round(it.normals / n1.medianMs * 1e3);
    }
    rows.push(row);
  }
  let sweep: Record<string, unknown> | null = null;
  if (doSweep) {
    const workers = availableParallelism();
    const sr = await sweepItem(sides[1].np, args.sweepRounds, workers);
    const to = throughput({ wallS: sr.ours.wallS, cells: sr.cells, steps: sr.ours.steps });
    const tn = sr.numpy ? throughput({ wallS: sr.numpy.wallS, cells: sr.cells, steps: sr.numpy.steps }) : null;
    sweep = {
      id: SWEEP.id, experiment: SWEEP.experiment, set: SWEEP.set, seeds: SWEEP.seeds, cells: sr.cells, workers, rounds: args.sweepRounds,
      ours: { ...to, wallS: sr.ours.wallS.map((x) => round(x, 3)), steps: sr.ours.steps, outcomes: sr.ours.outcomes, warmUpS: round(sr.ours.warmUpS, 3), how: `runSweep, ${workers} worker thread(s), fresh temporary data directory per round` },
      numpy: tn && sr.numpy ? { ...tn, wallS: sr.numpy.wallS.map((x) => round(x, 3)), steps: sr.numpy.steps, outcomes: sr.numpy.outcomes, warmUpS: round(sr.numpy.warmUpS, 3), poolWorkers: sr.numpy.workers, how: `multiprocessing fork pool of ${workers} process(es), one BLAS thread each` } : null,
      ratio: tn ? throughputRatio(to, tn) : null,
      portCheck: cellCheck,
      note: 'ratio = NumPy throughput / ours (above 1: NumPy does more per second); steps = fresh-batch steps summed over the cells (a cell that reached the target counts its iterations, one that did not counts maxSteps, a diverged one maxSteps)',
    };
  }
  for (const s of sides) s.np?.close();
  await stopIdleWorkers();
  const load1 = loadavg();
  const date = new Date().toISOString();
  const result = {
    date,
    machine: {
      cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', cpuId: cpuId(), memGiB: round(totalmem() / 2 ** 30, 1),
      platform: `${platform()}-${arch()}`, node: process.version, engine, tfjsMinWork: TFJS_MIN_WORK, kernelThreads: threadCount,
      wasmF64Kernels: await import('../src/wasm64.js').then((m) => m.wasm64() !== null, () => false),
      // the float64 GEMM's fused twins (relaxed SIMD) run on products whose operands are all float32 values, with the same bits
      fusedF64Kernels: await import('../src/wasm64.js').then((m) => m.wasm64()?.fused === true, () => false),
      float32Kernel: float32Kernel() === 'own' ? (float32KernelRelaxed() ? 'own (relaxed SIMD)' : 'own') : 'tfjs',
      loadAvgStart: load0.map((x) => round(x, 2)), loadAvgEnd: load1.map((x) => round(x, 2)),
    },
    settings: { minTime: args.minTime, minReps: args.minReps, maxReps: args.maxReps, rounds: args.rounds, sweepRounds: args.sweepRounds, spec: SPEC, timing: 'per item, ours on one core (kernel threads off), ours on all cores (kernel threads on: oursAll), then the default-thread numpy process, then the one-thread numpy process, alternated for `rounds` rounds; median ms per op over the pooled samples after warm-up; ratio = oursAll median / numpy median (all cores against all cores), ratio1 = ours median / one-BLAS-thread numpy median (one core against one core); ratioOfMins(1) = ours min / numpy min (less sensitive to load from other processes)' },
    numpy: sides[0].config ? { status: sides[0].note, removedFromEnv: sides[0].removed, ...sides[0].config, portCheck: sides[0].verify } : { status: sides[0].note },
    numpy1: sides[1].config ? { status: sides[1].note, removedFromEnv: sides[1].removed, ...sides[1].config, portCheck: sides[1].verify } : { status: sides[1].note },
    items: rows,
    sweep,
  };
  printTable(result.machine, rows, sweep, `${sides[0].note} / ${sides[1].note}`);
  if (args.save) {
    mkdirSync(args.out, { recursive: true });
    const json = compactJson(result) + '\n';
    writeFileSync(join(args.out, 'latest.json'), json);
    // <date>-<engine>.json, or -HHMMSS after it when a run of that day is already there (never overwritten)
    let dated = join(args.out, `${date.slice(0, 10)}-${engine}.json`);
    if (existsSync(dated)) dated = join(args.out, `${date.slice(0, 10)}-${engine}-${date.slice(11, 19).replaceAll(':', '')}.json`);
    writeFileSync(dated, json, { flag: 'wx' });
    process.stderr.write(`wrote ${join(args.out, 'latest.json')} and ${dated}\n`);
  }
}

/** JSON with one line per item (and per nested object below the second level): small, diff-friendly. */
function compactJson(v: unknown, depth = 0): string {
  if (v === null || typeof v !== 'object' || depth >= 2) return JSON.stringify(v);
  const pad = ' '.repeat(depth + 1), end = ' '.repeat(depth);
  if (Array.isArray(v)) return `[\n${v.map((x) => pad + compactJson(x, depth + 1)).join(',\n')}\n${end}]`;
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
  return `{\n${entries.map(([k, x]) => `${pad}${JSON.stringify(k)}: ${compactJson(x, depth + 1)}`).join(',\n')}\n${end}}`;
}

const roundStats = (s: Stats) => ({ medianMs: round(s.medianMs, 4), minMs: round(s.minMs, 4), meanMs: round(s.meanMs, 4), reps: s.reps });

function printTable(machine: Record<string, any>, rows: Record<string, any>[], sweep: Record<string, any> | null, note: string): void {
  const lines = [
    `engine ${machine.engine}, node ${machine.node}, ${machine.cpus} × ${machine.cpuModel}${cpuIdText(machine.cpuId)}; load ${machine.loadAvgStart.join(' ')} → ${machine.loadAvgEnd.join(' ')}; numpy: ${note}`,
    `${'item'.padEnd(34)} ${'ours ms'.padStart(9)} ${'all cores'.padStart(9)} ${'numpy ms'.padStart(9)} ${'np 1t ms'.padStart(9)} ${'ratio'.padStart(7)} ${'ratio 1t'.padStart(8)} ${'(mins)'.padStart(7)} ${'(1t)'.padStart(7)}  rate (ours / numpy / numpy 1t)`,
  ];
  for (const r of rows) {
    let rate = '';
    if (r.oursGflops !== undefined) rate = `${fmt(r.oursGflops)} / ${fmt(r.numpyGflops)} / ${fmt(r.numpy1Gflops)} GFLOP/s`;
    if (r.oursNormalsPerSec !== undefined) rate = `${fmt(r.oursNormalsPerSec / 1e6)} / ${fmt(r.numpyNormalsPerSec / 1e6)} / ${fmt(r.numpy1NormalsPerSec / 1e6)} M normals/s`;
    lines.push(`${r.label.padEnd(34)} ${fmt(r.ours.medianMs).padStart(9)} ${fmt(r.oursAll?.medianMs).padStart(9)} ${fmt(r.numpy?.medianMs).padStart(9)} ${fmt(r.numpy1?.medianMs).padStart(9)} ${fmt(r.ratio).padStart(7)} ${fmt(r.ratio1).padStart(8)} ${fmt(r.ratioOfMins).padStart(7)} ${fmt(r.ratioOfMins1).padStart(7)}  ${rate}`);
  }
  if (sweep) {
    lines.push(`sweep ${sweep.experiment}, ${sweep.cells} cells at d = 200, ${sweep.workers} workers: ours ${fmt(sweep.ours.cellsPerSec)} cells/s (${fmt(sweep.ours.stepsPerSec)} steps/s)` +
      (sweep.numpy ? `, numpy pool ${fmt(sweep.numpy.cellsPerSec)} cells/s (${fmt(sweep.numpy.stepsPerSec)} steps/s); numpy/ours ${fmt(sweep.ratio.cells)} (cells), ${fmt(sweep.ratio.steps)} (steps)` : ''));
  }
  process.stdout.write(lines.join('\n') + '\n');
}

await main();
