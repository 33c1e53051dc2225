/**
 * `npm run bench`: timings of the library's hot paths on the active numeric engine, and the same work
 * in NumPy (float64) when `python3 -c "import numpy"` works, with ratio = ours / NumPy per item.
 *
 * Items (sizes in `SPEC`, shared with `numpy_bench.py`):
 * - matmul n×n·n×n at 256 and 1024 through `mat.matmul` (the engine: float32 tfjs above
 *   `TFJS_MIN_WORK` multiply-adds, float64 JavaScript under js64), reported as GFLOP/s too;
 * - one optimizer step of every family member on Model A (d = 200, k = 8, d_y = 16, n = 1024), each
 *   step including a fresh batch (rotated geometric Σ, κ = 100, Gaussian inputs, noise 0.1), the
 *   optimizer state and parameters carried from rep to rep (reset to the start if they stop being finite);
 * - one Model B step (d = 512, N = 1024, n = 2048; relu teacher and student, same rotated Σ family):
 *   `oneStep` 'plain' and 'preconditioned' (Σ̂ + λI)⁻¹ with λ = 0, on one fixed batch;
 * - standard normals per second for a 1024×1024 draw;
 * - float64 components the steps spend their time in (mm64, Cholesky, triangular solves, eigSym).
 *
 * Timing: per item, our reps then NumPy's (a persistent `numpy_bench.py` process), alternated for
 * `rounds` rounds (default 3) of `minTime`/rounds seconds each (default 1.2 s in all), so that changes in the machine's load
 * hit both sides alike; warm-up in the first round; reps until the round's time and reps are met or
 * `maxReps`; median, min and mean ms per op over each side's pooled samples; ratio = ours/NumPy medians.
 * Flags: `--quick` (0.3 s per item), `--only=a,b` (items whose id contains one of the strings),
 * `--no-numpy`, `--out=DIR` (default bench/results), `--no-save`, `--min-time=S`, `--rounds=R`,
 * `--max-reps=N`.
 * Output: DIR/latest.json and DIR/<date>-<engine>.json, plus a table on stdout.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, platform, arch } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBackend } from '../src/node/backend.js';
import { TFJS_MIN_WORK } from '../src/backend.js';
import { Mat, matmul, gram, isFinite as matFinite } from '../src/mat.js';
import { mm64, cholesky, cholSolveL, eigSym } from '../src/linalg.js';
import { Rng } from '../src/rng.js';
import { makeCovariance } from '../src/data/covariance.js';
import { makeLinearTeacher, sampleLinear, makeSingleIndexTeacher, sampleSingleIndex } from '../src/data/teachers.js';
import { linearNet, type LinearParams } from '../src/models/linear.js';
import { initSingleIndexNet, oneStep } from '../src/models/singleIndex.js';
import { makeOptimizer, optimizerNames } from '../src/optim/index.js';

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

interface Stats { medianMs: number; minMs: number; meanMs: number; reps: number }
interface Item {
  id: string; group: string; label: string;
  /** Work per op for a derived rate: flops (GFLOP/s) or normals (per second). */
  flops?: number; normals?: number;
  prepare: () => () => void;
}

function parseArgs(argv: string[]) {
  const o = { quick: false, only: [] as string[], numpy: true, out: join(HERE, 'results'), save: true, minTime: 1.2, minReps: 3, maxReps: 300, rounds: 3 };
  for (const a of argv) {
    if (a === '--quick') { o.quick = true; o.minTime = 0.3; }
    else if (a.startsWith('--only=')) o.only = a.slice(7).split(',').filter(Boolean);
    else if (a === '--no-numpy') o.numpy = false;
    else if (a.startsWith('--out=')) o.out = a.slice(6);
    else if (a === '--no-save') o.save = false;
    else if (a.startsWith('--min-time=')) o.minTime = Number(a.slice(11));
    else if (a.startsWith('--max-reps=')) o.maxReps = Number(a.slice(11));
    else if (a.startsWith('--rounds=')) o.rounds = Math.max(1, Math.round(Number(a.slice(9))));
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

function stats(samples: number[]): Stats {
  const v = [...samples].sort((a, b) => a - b), m = v.length, mid = m >> 1;
  return {
    medianMs: m % 2 ? v[mid] : 0.5 * (v[mid - 1] + v[mid]),
    minMs: v[0],
    meanMs: v.reduce((a, b) => a + b, 0) / m,
    reps: m,
  };
}

/** NumPy reference process (numpy_bench.py in server mode), one JSON line per request and reply. */
class NumpyServer {
  private child: ChildProcessWithoutNullStreams;
  private lines: string[] = [];
  private waiting: ((line: string | null) => void)[] = [];
  private closed = false;
  constructor(spec: unknown) {
    this.child = spawn('python3', [join(HERE, 'numpy_bench.py')], { stdio: ['pipe', 'pipe', 'pipe'] });
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
    if (r.error) throw new Error(`numpy_bench.py: ${r.item}: ${r.error}`);
    return r;
  }
  async run(req: Record<string, unknown>): Promise<number[]> { return (await this.request(req)).samples as number[]; }
  close(): void { if (!this.closed) this.child.stdin.end(JSON.stringify({ cmd: 'quit' }) + '\n'); }
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

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const engine = await startBackend();
  const all = items().filter((it) => args.only.length === 0 || args.only.some((s) => it.id.includes(s)));
  let np: NumpyServer | null = null;
  let numpyConfig: Record<string, unknown> | null = null;
  let numpyNote = 'not run (--no-numpy)';
  let verify: Record<string, number> | null = null;
  if (args.numpy) {
    if (!numpyAvailable()) numpyNote = 'python3 with numpy not found';
    else {
      try {
        np = new NumpyServer(SPEC);
        const hello = await np.next();
        numpyConfig = hello.config;
        numpyNote = 'ok';
        verify = await verifyPorts(np);
        const worst = Object.entries(verify).filter(([, v]) => !(v < 1e-8));
        process.stderr.write(`  ports checked against ours on small float64 problems: ${worst.length ? `DIFFER: ${worst.map(([k, v]) => `${k} ${v}`).join(', ')}` : 'all agree to < 1e-8'}\n`);
      } catch (e) { np?.close(); np = null; numpyNote = `numpy_bench.py failed to start: ${(e as Error).message}`; }
    }
  }
  // Item by item, ours then NumPy's, for `rounds` rounds of minTime/rounds each, so that a change in the
  // machine's load between items affects both sides alike; each side's samples are pooled over rounds.
  const R = args.rounds, per = args.minTime / R, reps = Math.max(1, Math.ceil(args.minReps / R));
  const rows: Record<string, unknown>[] = [];
  for (const it of all) {
    const run = it.prepare();
    const mine: number[] = [], theirs: number[] = [];
    for (let r = 0; r < R; r++) {
      mine.push(...time(run, per, reps, args.maxReps, r === 0));
      if (np) {
        try { theirs.push(...await np.run({ item: it.id, minTime: per, minReps: reps, maxReps: args.maxReps, warmUp: r === 0 })); }
        catch (e) { numpyNote = (e as Error).message; np.close(); np = null; }
      }
    }
    const o = stats(mine), n = theirs.length ? stats(theirs) : undefined;
    process.stderr.write(`  ${it.id.padEnd(26)} ours ${fmt(o.medianMs)} ms (${o.reps})  numpy ${fmt(n?.medianMs)} ms (${n?.reps ?? 0})\n`);
    const row: Record<string, unknown> = {
      id: it.id, group: it.group, label: it.label,
      ours: roundStats(o), numpy: n ? roundStats(n) : null,
      ratio: n ? round(o.medianMs / n.medianMs, 3) : null,
      ratioOfMins: n ? round(o.minMs / n.minMs, 3) : null,
    };
    if (it.flops) { row.oursGflops = round(it.flops / o.medianMs / 1e6, 3); if (n) row.numpyGflops = round(it.flops / n.medianMs / 1e6, 3); }
    if (it.normals) { row.oursNormalsPerSec = Math.round(it.normals / o.medianMs * 1e3); if (n) row.numpyNormalsPerSec = Math.round(it.normals / n.medianMs * 1e3); }
    rows.push(row);
  }
  np?.close();
  const date = new Date().toISOString();
  const result = {
    date,
    machine: {
      cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memGiB: round(totalmem() / 2 ** 30, 1),
      platform: `${platform()}-${arch()}`, node: process.version, engine, tfjsMinWork: TFJS_MIN_WORK,
      wasmF64Kernels: await import('../src/wasm64.js').then((m) => m.wasm64() !== null, () => false),
    },
    settings: { minTime: args.minTime, minReps: args.minReps, maxReps: args.maxReps, rounds: args.rounds, spec: SPEC, timing: 'per item, ours then numpy, alternated for `rounds` rounds; median ms per op over the pooled samples after warm-up; ratio = ours median / numpy median (the figure of merit); ratioOfMins = ours min / numpy min (less sensitive to load from other processes)' },
    numpy: numpyConfig ? { status: numpyNote, ...numpyConfig, portCheck: verify } : { status: numpyNote },
    items: rows,
  };
  printTable(result.machine, rows, numpyNote);
  if (args.save) {
    mkdirSync(args.out, { recursive: true });
    const json = compactJson(result) + '\n';
    writeFileSync(join(args.out, 'latest.json'), json);
    writeFileSync(join(args.out, `${date.slice(0, 10)}-${engine}.json`), json);
    process.stderr.write(`wrote ${join(args.out, 'latest.json')}\n`);
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

const round = (x: number, d: number) => Number(x.toFixed(d));
const roundStats = (s: Stats) => ({ medianMs: round(s.medianMs, 4), minMs: round(s.minMs, 4), meanMs: round(s.meanMs, 4), reps: s.reps });

function printTable(machine: Record<string, unknown>, rows: Record<string, any>[], note: string): void {
  const lines = [
    `engine ${machine.engine}, node ${machine.node}, ${machine.cpus} × ${machine.cpuModel}; numpy: ${note}`,
    `${'item'.padEnd(34)} ${'ours ms'.padStart(9)} ${'numpy ms'.padStart(9)} ${'ratio'.padStart(7)} ${'(mins)'.padStart(7)}  rate`,
  ];
  for (const r of rows) {
    let rate = '';
    if (r.oursGflops !== undefined) rate = `${fmt(r.oursGflops)} vs ${fmt(r.numpyGflops)} GFLOP/s`;
    if (r.oursNormalsPerSec !== undefined) rate = `${fmt(r.oursNormalsPerSec / 1e6)} vs ${fmt(r.numpyNormalsPerSec / 1e6)} M normals/s`;
    lines.push(`${r.label.padEnd(34)} ${fmt(r.ours.medianMs).padStart(9)} ${fmt(r.numpy?.medianMs).padStart(9)} ${fmt(r.ratio).padStart(7)} ${fmt(r.ratioOfMins).padStart(7)}  ${rate}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}

await main();
