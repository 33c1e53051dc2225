/**
 * Kernel benchmark: GFLOP/s of the product paths on the shapes of the bench's items (square 256³–1024³,
 * Model A's products at d = 200, k = 8, d_y = 16, n = 256 and 1024, Model B's at d = 512, N = 1024,
 * n = 2048), each timed as `mat.matmul` calls it (operands and result Float64Array, conversions and
 * copies included):
 *   f64     `matmulF64` (our f64x2 WebAssembly kernel; bit-for-bit the JavaScript kernel)
 *   tfjs    `matmulTfjs`: the wasm engine's float32 path as it is (toF32 copies, XNNPACK, dataSync, widening)
 *   own32   `matmulF32` with the core-SIMD module (f32x4 mul + add)
 *   relaxed `matmulF32` with the relaxed-SIMD module (f32x4.relaxed_madd), where the runtime validates it
 *           (on Node 20 too: importing src/node/backend.ts turns on --experimental-wasm-relaxed-simd)
 * Minimum time over repetitions for ≥ --min-time seconds per cell (default 0.4), after one warm-up
 * call. Prints a markdown table with the load average; `--out=FILE` also writes JSON. Not a test: on a
 * shared machine, compare ratios within one run.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { startBackend } from '../src/node/backend.js';
import { matmulTfjs } from '../src/backend.js';
import { matmulF64 } from '../src/kernels.js';
import { matmulF32 } from '../src/kernels32.js';
import { relaxedSimdAvailable, setRelaxedSimd } from '../src/wasm64.js';

type Shape = { name: string; m: number; k: number; n: number; ta: boolean; tb: boolean; sym?: boolean };
const SHAPES: Shape[] = [
  { name: '256³', m: 256, k: 256, n: 256, ta: false, tb: false },
  { name: '512³', m: 512, k: 512, n: 512, ta: false, tb: false },
  { name: '1024³', m: 1024, k: 1024, n: 1024, ta: false, tb: false },
];
for (const nA of [256, 1024]) {
  const d = 200, k = 8, dy = 16;
  SHAPES.push(
    { name: `A n=${nA}: XᵀX ${d}×${nA}×${d} (sym)`, m: d, k: nA, n: d, ta: true, tb: false, sym: true },
    { name: `A n=${nA}: X·Fᵀ ${nA}×${d}×${k}`, m: nA, k: d, n: k, ta: false, tb: true },
    { name: `A n=${nA}: H·Gᵀ ${nA}×${k}×${dy}`, m: nA, k, n: dy, ta: false, tb: true },
    { name: `A n=${nA}: Rᵀ·H ${dy}×${nA}×${k}`, m: dy, k: nA, n: k, ta: true, tb: false },
    { name: `A n=${nA}: (RG)ᵀ·X ${k}×${nA}×${d}`, m: k, k: nA, n: d, ta: true, tb: false },
    { name: `A n=${nA}: X·Σ ${nA}×${d}×${d}`, m: nA, k: d, n: d, ta: false, tb: false },
  );
}
SHAPES.push(
  { name: 'B: X·W₁ᵀ 2048×512×1024', m: 2048, k: 512, n: 1024, ta: false, tb: true },
  { name: 'B: Δᵀ·X 1024×2048×512', m: 1024, k: 2048, n: 512, ta: true, tb: false },
  { name: 'B: Δ·W₁ 2048×1024×512', m: 2048, k: 1024, n: 512, ta: false, tb: false },
);

const args = process.argv.slice(2);
const minTime = Number(args.find((a) => a.startsWith('--min-time='))?.slice(11) ?? 0.4);
const out = args.find((a) => a.startsWith('--out='))?.slice(6);
const only = args.find((a) => a.startsWith('--only='))?.slice(7).split(',');

await startBackend({ name: 'wasm', quiet: true });
const relaxed = relaxedSimdAvailable();
let seed = 12345;
const rnd = (len: number) => { const x = new Float64Array(len); for (let i = 0; i < len; i++) { seed = (seed * 1103515245 + 12345) >>> 0; x[i] = seed / 2 ** 32 - 0.5; } return x; };
const time = (fn: () => void): number => {
  fn();
  let best = Infinity, reps = 0;
  const t0 = performance.now();
  while (reps < 3 || performance.now() - t0 < 1000 * minTime) { const s = performance.now(); fn(); best = Math.min(best, performance.now() - s); reps++; }
  return best;
};
const load0 = loadavg();
const rows: Record<string, unknown>[] = [];
console.log(`${cpus().length} × ${cpus()[0]?.model}, node ${process.version}; relaxed SIMD ${relaxed ? 'available' : 'not available'}; load average at start ${load0.map((x) => x.toFixed(2)).join(', ')}`);
console.log('\n| shape | f64 GFLOP/s | tfjs (XNNPACK, conversions) | own f32 | own f32 relaxed | own / tfjs | relaxed / tfjs |\n|---|---:|---:|---:|---:|---:|---:|');
for (const s of SHAPES) {
  if (only && !only.some((o) => s.name.includes(o))) continue;
  const a = rnd(s.m * s.k), b = s.sym ? a : rnd(s.k * s.n);
  const [ar, ac] = s.ta ? [s.k, s.m] : [s.m, s.k], [br, bc] = s.tb ? [s.n, s.k] : [s.k, s.n];
  const gf = (ms: number) => (2 * s.m * s.k * s.n) / ms / 1e6;
  const f64 = gf(time(() => matmulF64(a, ar, ac, s.ta, b, br, bc, s.tb, s.m, s.k, s.n)));
  const tfjs = gf(time(() => matmulTfjs(a, ar, ac, s.ta, b, br, bc, s.tb, s.m, s.k, s.n)));
  setRelaxedSimd(false);
  const own = gf(time(() => matmulF32(a, ar, ac, s.ta, b, br, bc, s.tb, s.m, s.k, s.n)));
  setRelaxedSimd(true);
  const rel = relaxed ? gf(time(() => matmulF32(a, ar, ac, s.ta, b, br, bc, s.tb, s.m, s.k, s.n))) : NaN;
  rows.push({ shape: s.name, m: s.m, k: s.k, n: s.n, f64, tfjs, own32: own, relaxed32: relaxed ? rel : null });
  const f = (x: number) => (Number.isNaN(x) ? '—' : x.toFixed(1));
  console.log(`| ${s.name} | ${f(f64)} | ${f(tfjs)} | ${f(own)} | ${f(rel)} | ${(own / tfjs).toFixed(2)} | ${relaxed ? (rel / tfjs).toFixed(2) : '—'} |`);
}
const load1 = loadavg();
console.log(`\nload average at end ${load1.map((x) => x.toFixed(2)).join(', ')}`);
if (out) writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, relaxed, loadAvgStart: load0, loadAvgEnd: load1, minTime, rows }, null, 1) + '\n');
