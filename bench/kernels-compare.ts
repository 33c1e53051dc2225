/**
 * Float64 products of two checkouts, alternated per shape so that the machine's load hits both alike:
 * GFLOP/s of `matmulF64` (minimum time over four rounds of ≥ 120 ms each) in OTHER (e.g. a clone at an
 * earlier commit, after its `npm ci`) and in this tree, on the shapes of bench/kernels.ts, after
 * checking that both give the same bits.
 *
 *   npx tsx bench/kernels-compare.ts /path/to/other/checkout
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const other = process.argv[2];
if (!other) throw new RangeError('bench/kernels-compare.ts: give the path of the other checkout (its src/kernels.ts is compared with ours)');
const rootA = resolve(other), rootB = join(dirname(fileURLToPath(import.meta.url)), '..');
const A = await import(join(rootA, "src/kernels.ts")), B = await import(join(rootB, "src/kernels.ts"));
const shapes: [string, number, number, number, boolean, boolean, boolean][] = [
  ['256³', 256, 256, 256, false, false, false], ['512³', 512, 512, 512, false, false, false], ['1024³', 1024, 1024, 1024, false, false, false],
  ['A n=256 XᵀX 200×256×200 sym', 200, 256, 200, true, false, true], ['A n=1024 XᵀX 200×1024×200 sym', 200, 1024, 200, true, false, true],
  ['A n=256 X·Fᵀ 256×200×8', 256, 200, 8, false, true, false], ['A n=1024 X·Fᵀ 1024×200×8', 1024, 200, 8, false, true, false],
  ['A n=1024 Rᵀ·H 16×1024×8', 16, 1024, 8, true, false, false], ['A n=1024 (RG)ᵀ·X 8×1024×200', 8, 1024, 200, true, false, false],
  ['A n=1024 X·Σ 1024×200×200', 1024, 200, 200, false, false, false],
  ['B X·W₁ᵀ 2048×512×1024', 2048, 512, 1024, false, true, false], ['B Δᵀ·X 1024×2048×512', 1024, 2048, 512, true, false, false],
];
let seed = 7;
const rnd = (len: number) => { const x = new Float64Array(len); for (let i = 0; i < len; i++) { seed = (seed * 1103515245 + 12345) >>> 0; x[i] = seed / 2 ** 32 - 0.5; } return x; };
console.log('| shape | before GFLOP/s | after GFLOP/s | after / before |\n|---|---:|---:|---:|');
for (const [name, m, k, n, ta, tb, sym] of shapes) {
  const a = rnd(m * k), b = sym ? a : rnd(k * n);
  const [ar, ac] = ta ? [k, m] : [m, k], [br, bc] = tb ? [n, k] : [k, n];
  const fa = () => A.matmulF64(a, ar, ac, ta, b, br, bc, tb, m, k, n), fb = () => B.matmulF64(a, ar, ac, ta, b, br, bc, tb, m, k, n);
  const x = fa(), y = fb();
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) throw new Error(`${name}: before and after differ at ${i}`);
  let ba = Infinity, bb = Infinity;
  for (let round = 0; round < 4; round++) for (const [f, which] of [[fa, 0], [fb, 1]] as const) {
    const t0 = performance.now(); let reps = 0;
    while (reps < 2 || performance.now() - t0 < 120) { const s = performance.now(); f(); const d = performance.now() - s; if (which === 0) ba = Math.min(ba, d); else bb = Math.min(bb, d); reps++; }
  }
  const gf = (ms: number) => 2 * m * k * n / ms / 1e6;
  console.log(`| ${name} | ${gf(ba).toFixed(1)} | ${gf(bb).toFixed(1)} | ${(ba / bb).toFixed(2)} |`);
}
