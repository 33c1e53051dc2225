/**
 * The packed-panel GEMMs (asm/kernels.ts through kernels.ts / kernels32.ts):
 * - float64 (f64x2, 4×4 register tiles): bit-for-bit `matmulJs` and the textbook loop (`Object.is` on
 *   every entry), on odd sizes, all four transpose combinations, sizes not a multiple of the tile, k
 *   below, at and above the 256-index panel depth, m above the 128-row block, the symmetric path, zeros
 *   and non-finite entries (the zero padding of partial tiles must not leak into real entries);
 * - float32 (f32x4, 4×8 tiles), core-SIMD module: bit-for-bit the float32 emulation with Math.fround
 *   (operands rounded, two roundings per term, ascending p), and within the precision bound of
 *   test/gemm-check.ts against a float64 reference;
 * - the relaxed-SIMD module (f32x4.relaxed_madd): within the same bound, here where the runtime has it
 *   and otherwise in a child Node with --experimental-wasm-relaxed-simd (Node 20);
 * - hand-checkable cases, the original gemm4x4 entry, and the engine's float32 kernel switch.
 * "Strides": the matmul interface takes operands in stored row-major layout, so the strided reads are
 * those of the transposed operands (op(A)[i, p] = a[p·ac + i]), plus operand arrays longer than r·c.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { matmulF64, matmulJs, packedGemm } from '../src/kernels.js';
import { matmulF32, float32KernelRelaxed } from '../src/kernels32.js';
import { MR64, NR64, relaxedSimdAvailable, setRelaxedSimd, wasm32, wasm64 } from '../src/wasm64.js';
import { activeBackend, engineMatmul, float32Kernel, initBackend, setFloat32Kernel } from '../src/backend.js';
import { Rng } from '../src/rng.js';
import { F32_SHAPES, refF32, refProduct, worstRatio } from './gemm-check.js';

function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return -2;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}
/** Stored operands for op(A) m×k and op(B) k×n (B = A for the symmetric case). */
function operands(rng: Rng, m: number, k: number, n: number, ta: boolean, tb: boolean, sym: boolean) {
  const A = rng.normalMat(ta ? k : m, ta ? m : k);
  const B = sym ? A : rng.normalMat(tb ? n : k, tb ? k : n);
  return { a: A.data, ar: A.rows, ac: A.cols, b: B.data, br: B.rows, bc: B.cols };
}
const f64Wasm = (o: ReturnType<typeof operands>, ta: boolean, tb: boolean, m: number, k: number, n: number, sym: boolean) => {
  const w = wasm64()!;
  return packedGemm(w, w.gemm64, MR64, NR64, false, o.a, o.ar, o.ac, ta, o.b, o.br, o.bc, tb, m, k, n, sym);
};

test('float64 packed GEMM: hand-checkable products', () => {
  assert.ok(wasm64() !== null, 'WebAssembly SIMD should be available on Node 20');
  // [1 2 3; 4 5 6] · [7 8; 9 10; 11 12] = [58 64; 139 154]
  const a = Float64Array.of(1, 2, 3, 4, 5, 6), b = Float64Array.of(7, 8, 9, 10, 11, 12);
  const w = wasm64()!;
  assert.deepEqual([...packedGemm(w, w.gemm64, MR64, NR64, false, a, 2, 3, false, b, 3, 2, false, 2, 3, 2, false)], [58, 64, 139, 154]);
  // transposes: Aᵀ (3×2 stored, read as 2×3) · Bᵀ
  const at = Float64Array.of(1, 4, 2, 5, 3, 6), bt = Float64Array.of(7, 9, 11, 8, 10, 12);
  assert.deepEqual([...packedGemm(w, w.gemm64, MR64, NR64, false, at, 3, 2, true, bt, 2, 3, true, 2, 3, 2, false)], [58, 64, 139, 154]);
  // symmetric XᵀX of X = [1 2; 3 4; 5 6]: [35 44; 44 56]
  const x = Float64Array.of(1, 2, 3, 4, 5, 6);
  assert.deepEqual([...packedGemm(w, w.gemm64, MR64, NR64, false, x, 3, 2, true, x, 3, 2, false, 2, 3, 2, true)], [35, 44, 44, 56]);
  // the same products in float32 (integers: exact in both precisions)
  const w32 = wasm32()!;
  assert.deepEqual([...matmulF32(a, 2, 3, false, b, 3, 2, false, 2, 3, 2)!], [58, 64, 139, 154]);
  assert.deepEqual([...matmulF32(x, 3, 2, true, x, 3, 2, false, 2, 3, 2)!], [35, 44, 44, 56]);
  assert.ok(w32.relaxed === relaxedSimdAvailable());
  // float32 rounding is visible: 1 + 2⁻³⁰ is 1 in float32, so [1 + 2⁻³⁰]·[1] − [1]·[1] = 0 there, 2⁻³⁰ in float64
  const e = Float64Array.of(1 + 2 ** -30, -1), one = Float64Array.of(1, 1);
  assert.equal(matmulF32(e, 1, 2, false, one, 2, 1, false, 1, 2, 1)![0], 0);
  assert.equal(packedGemm(w, w.gemm64, MR64, NR64, false, e, 1, 2, false, one, 2, 1, false, 1, 2, 1, false)[0], 2 ** -30);
});

test('gemm4x4 (the original entry) accumulates packed 4×4 tiles in ascending p', () => {
  const w = wasm64()!;
  const kc = 3, rng = new Rng(4);
  const A = rng.normalMat(4, kc), B = rng.normalMat(kc, 4);
  w.reserve(4096);
  const M = w.f64();
  for (let q = 0; q < kc; q++) for (let r = 0; r < 4; r++) { M[q * 4 + r] = A.data[r * kc + q]; M[64 + q * 4 + r] = B.data[q * 4 + r]; }
  M.fill(0, 128, 144);
  w.gemm4x4(0, 64 * 8, 128 * 8, 1, 1, kc, 32, 0);
  const want = refProduct(A.data, kc, false, B.data, 4, false, 4, kc, 4).C;
  assert.equal(firstDiff(M.subarray(128, 144), want), -1);
});

test('float64 packed GEMM is bit-for-bit matmulJs and the textbook loop (shapes around the tile, panel and block sizes)', () => {
  const rng = new Rng(21);
  const dims = [1, 2, 3, 4, 5, 7, 8, 9, 13, 31];
  const ks = [1, 3, 17, 255, 256, 257, 600];
  let cases = 0;
  for (const [m, n] of [[1, 1], [3, 5], [4, 4], [5, 9], [13, 7], [31, 33], [133, 6], [6, 140], [129, 129]]) {
    for (const k of ks) for (const ta of [false, true]) for (const tb of [false, true]) {
      if ((m > 31 || n > 31) && k > 257 && (ta || tb)) continue; // keep the big ones to one layout each
      const o = operands(rng, m, k, n, ta, tb, false);
      const got = f64Wasm(o, ta, tb, m, k, n, false);
      assert.equal(firstDiff(got, matmulJs(o.a, o.ar, o.ac, ta, o.b, o.br, o.bc, tb, m, k, n, false)), -1, `${m}×${k}×${n} ta=${ta} tb=${tb} vs matmulJs`);
      assert.equal(firstDiff(got, refProduct(o.a, o.ac, ta, o.b, o.bc, tb, m, k, n).C), -1, `${m}×${k}×${n} ta=${ta} tb=${tb} vs loop`);
      cases++;
    }
  }
  for (const n of [...dims, 130]) for (const k of [1, 5, 256, 300]) for (const ta of [false, true]) { // symmetric XᵀX / XXᵀ
    const o = operands(rng, n, k, n, ta, !ta, true);
    const got = f64Wasm(o, ta, !ta, n, k, n, true);
    assert.equal(firstDiff(got, matmulJs(o.a, o.ar, o.ac, ta, o.b, o.br, o.bc, !ta, n, k, n, true)), -1, `sym ${n}×${k} ta=${ta}`);
    assert.equal(firstDiff(got, refProduct(o.a, o.ac, ta, o.b, o.bc, !ta, n, k, n).C), -1, `sym ${n}×${k} ta=${ta} vs loop`);
    cases++;
  }
  assert.ok(cases > 200);
});

test('float64 packed GEMM: zeros, signed zeros, infinities and NaN as the JavaScript kernel (padding does not leak)', () => {
  const rng = new Rng(5);
  for (const [m, k, n] of [[5, 6, 7], [9, 300, 6], [4, 4, 4]]) {
    for (const ta of [false, true]) for (const tb of [false, true]) {
      const o = operands(rng, m, k, n, ta, tb, false);
      o.a[0] = Infinity; o.a[o.a.length - 1] = -0; o.b[1] = NaN; o.b[o.b.length - 1] = -Infinity;
      for (let i = 2; i < o.a.length; i += 4) o.a[i] = 0;
      const got = f64Wasm(o, ta, tb, m, k, n, false);
      assert.equal(firstDiff(got, matmulJs(o.a, o.ar, o.ac, ta, o.b, o.br, o.bc, tb, m, k, n, false)), -1, `${m}×${k}×${n} ta=${ta} tb=${tb}`);
    }
  }
  // an all −0 product: every entry is +0 (0 + (−0) = +0), as the loop from +0 gives
  const z = new Float64Array(12).fill(-0), one = new Float64Array(12).fill(1);
  const got = f64Wasm({ a: z, ar: 3, ac: 4, b: one, br: 4, bc: 3 }, false, false, 3, 4, 3, false);
  assert.ok(got.every((x) => Object.is(x, 0)));
});

test('matmulF64 takes the WebAssembly path for large products, same bits; operand arrays longer than r·c', () => {
  const rng = new Rng(8);
  const o = operands(rng, 70, 90, 50, true, false, false);
  const want = matmulJs(o.a, o.ar, o.ac, true, o.b, o.br, o.bc, false, 70, 90, 50, false);
  assert.equal(firstDiff(matmulF64(o.a, o.ar, o.ac, true, o.b, o.br, o.bc, false, 70, 90, 50), want), -1);
  const longA = new Float64Array(o.a.length + 7); longA.set(o.a); longA.fill(NaN, o.a.length);
  const w = wasm64()!;
  assert.equal(firstDiff(packedGemm(w, w.gemm64, MR64, NR64, false, longA, o.ar, o.ac, true, o.b, o.br, o.bc, false, 70, 90, 50, false), want), -1);
});

for (const relaxed of [false, true]) {
  const name = relaxed ? 'relaxed-SIMD (f32x4.relaxed_madd)' : 'core-SIMD';
  test(`float32 GEMM, ${name} module: within γ_k(1+u)² + 2u + u² of the float64 product${relaxed ? '' : ', and bit-for-bit the Math.fround emulation'}`, () => {
    if (relaxed && !relaxedSimdAvailable()) {
      // Node 20 has relaxed SIMD behind a flag: run the same check in a child process that sets it.
      const child = fileURLToPath(new URL('./kernels-relaxed.child.ts', import.meta.url));
      const r = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--import', 'tsx', child], { encoding: 'utf8' });
      assert.equal(r.status, 0, `child failed:\n${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /relaxed: true; \d+ products within the bound/);
      return;
    }
    setRelaxedSimd(relaxed);
    try {
      assert.equal(float32KernelRelaxed(), relaxed);
      const rng = new Rng(relaxed ? 32 : 31);
      let cases = 0, maxRatio = 0;
      for (const [m, k, n] of F32_SHAPES) for (const ta of [false, true]) for (const tb of [false, true]) {
        const o = operands(rng, m, k, n, ta, tb, false);
        const got = matmulF32(o.a, o.ar, o.ac, ta, o.b, o.br, o.bc, tb, m, k, n)!;
        const { C, Abs } = refProduct(o.a, o.ac, ta, o.b, o.bc, tb, m, k, n);
        const r = worstRatio(got, C, Abs, k);
        assert.ok(r <= 1, `${m}×${k}×${n} ta=${ta} tb=${tb}: error ${r} × the bound`);
        if (!relaxed) assert.equal(firstDiff(got, refF32(o.a, o.ac, ta, o.b, o.bc, tb, m, k, n)), -1, `${m}×${k}×${n} ta=${ta} tb=${tb} vs fround emulation`);
        maxRatio = Math.max(maxRatio, r); cases++;
      }
      for (const n of [3, 8, 21, 130]) for (const ta of [false, true]) { // symmetric
        const o = operands(rng, n, 600, n, ta, !ta, true);
        const got = matmulF32(o.a, o.ar, o.ac, ta, o.b, o.br, o.bc, !ta, n, 600, n)!;
        const { C, Abs } = refProduct(o.a, o.ac, ta, o.b, o.bc, !ta, n, 600, n);
        assert.ok(worstRatio(got, C, Abs, 600) <= 1, `sym ${n} ta=${ta}`);
        for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) assert.ok(Object.is(got[i * n + j], got[j * n + i]));
        if (!relaxed) assert.equal(firstDiff(got, refF32(o.a, o.ac, ta, o.b, o.bc, !ta, n, 600, n)), -1, `sym ${n} vs fround emulation`);
        cases++;
      }
      assert.ok(maxRatio > 0, 'float32 rounding should be visible against the float64 reference');
      assert.ok(cases >= 48);
    } finally {
      setRelaxedSimd(true);
    }
  });
}

test('setFloat32Kernel: tfjs by default; own routes the float32 products to matmulF32; a bad name is a RangeError', async () => {
  await initBackend('wasm');
  try {
    assert.equal(float32Kernel(), 'tfjs');
    assert.throws(() => setFloat32Kernel('xnnpack'), /float32 kernel must be one of tfjs, own; got 'xnnpack'/);
    const rng = new Rng(9), m = 64, k = 96, n = 80; // 491 520 multiply-adds, m > 16: a float32 product under wasm
    const o = operands(rng, m, k, n, false, true, false);
    const tfjs = engineMatmul(o.a, o.ar, o.ac, false, o.b, o.br, o.bc, true, m, k, n);
    setFloat32Kernel('own');
    const own = engineMatmul(o.a, o.ar, o.ac, false, o.b, o.br, o.bc, true, m, k, n);
    assert.equal(firstDiff(own, matmulF32(o.a, o.ar, o.ac, false, o.b, o.br, o.bc, true, m, k, n)!), -1);
    const { C, Abs } = refProduct(o.a, o.ac, false, o.b, o.bc, true, m, k, n);
    assert.ok(worstRatio(own, C, Abs, k) <= 1 && worstRatio(tfjs, C, Abs, k) <= 1);
  } finally {
    setFloat32Kernel('tfjs');
    await initBackend('js64');
  }
});

test('the simd engine and tfjs-wasm (XNNPACK) give bit-for-bit the same float32 products, so the switch of the default changed no number', async () => {
  // Both narrow the operands to float32 (round to nearest) and accumulate each entry as fl(s + fl(a·b))
  // in ascending inner index from +0 (wasm SIMD has no fused multiply-add; XNNPACK's f32 GEMM does not
  // split k): found when every committed cell recomputed under simd came out identical (5329 of 5329).
  const rng = new Rng(14);
  for (const [m, k, n] of [[64, 200, 48], [256, 200, 16], [1024, 24, 24], [333, 517, 129], [40, 1000, 40], [100, 3000, 50]]) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const o = operands(rng, m, k, n, ta, tb, false);
      await initBackend('wasm');
      const viaTfjs = engineMatmul(o.a, o.ar, o.ac, ta, o.b, o.br, o.bc, tb, m, k, n);
      await initBackend('simd');
      const viaSimd = engineMatmul(o.a, o.ar, o.ac, ta, o.b, o.br, o.bc, tb, m, k, n);
      assert.equal(firstDiff(viaSimd, viaTfjs), -1, `${m}×${k}×${n} ta=${ta} tb=${tb}`);
    }
  }
  await initBackend('js64');
});

test('narrow (the float64→float32 copy before tfjs products) rounds as a Float32Array store, transposed or not', () => {
  const w = wasm64()!, rng = new Rng(12);
  for (const [r, c] of [[1, 1], [3, 7], [8, 8], [9, 17], [64, 33]]) for (const t of [false, true]) {
    const X = rng.normalMat(r, c);
    X.data[0] = 1 + 2 ** -24; X.data[X.data.length - 1] = 1e300; // a tie (rounds to even: 1) and an overflow (∞)
    const want = new Float32Array(r * c);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) want[t ? j * r + i : i * c + j] = X.data[i * c + j];
    const dst = (r * c * 8 + 63) & ~63;
    w.reserve(dst + r * c * 4);
    w.f64().set(X.data, 0);
    w.narrow(0, dst, r, c, t ? 1 : 0);
    assert.equal(firstDiff(w.f32().subarray(dst / 4, dst / 4 + r * c), want), -1, `${r}×${c} t=${t}`);
  }
});

test('matmul with out: the same bits as without, written into out (every engine path), and clear errors for a bad out', async () => {
  // The paths: float64 JavaScript (small), float64 WebAssembly (symmetric and not, n a multiple of the
  // tile and not: C copied out at once or row by row), the simd engine's float32 GEMM, a zero inner
  // dimension, and the tfjs engine (copied into out).
  const { Mat, matmul } = await import('../src/mat.js');
  const rng = new Rng(77);
  const shapes: Array<[number, number, number, boolean, boolean]> = [
    [3, 5, 2, false, false], [40, 33, 37, false, true], [64, 48, 64, true, false], [130, 90, 70, false, false], [200, 256, 1, true, true], [4, 0, 4, false, false],
  ];
  const prev = activeBackend();
  try {
    for (const engine of ['simd', 'js64', 'wasm'] as const) {
      await initBackend(engine);
      for (const [m, k, n, ta, tb] of shapes) {
        const A = rng.normalMat(ta ? k : m, ta ? m : k), B = rng.normalMat(tb ? n : k, tb ? k : n);
        const plain = matmul(A, B, { transA: ta, transB: tb });
        const out = new Mat(m, n, new Float64Array(m * n).fill(Number.NaN)); // stale contents must not leak
        const r = matmul(A, B, { transA: ta, transB: tb, out });
        assert.equal(r, out, `${engine} ${m}x${k}x${n}: out is returned`);
        assert.equal(firstDiff(out.data, plain.data), -1, `${engine} ${m}x${k}x${n} ta=${ta} tb=${tb}`);
      }
      const S = rng.normalMat(90, 60), out = new Mat(60, 60, new Float64Array(3600).fill(7));
      matmul(S, S, { transA: true, out }); // AᵀA: the symmetric path, mirrored inside out
      assert.equal(firstDiff(out.data, matmul(S, S, { transA: true }).data), -1, `${engine} symmetric`);
    }
  } finally { await initBackend(prev); }
  const A = rng.normalMat(4, 3), B = rng.normalMat(3, 5);
  assert.throws(() => matmul(A, B, { out: new Mat(5, 4) }), /matmul: out must be a 4x5 Mat .*got 5x4/);
  assert.throws(() => matmul(A, B, { out: {} as never }), /matmul: out must be a 4x5 Mat/);
  // views of one buffer: overlapping ones are refused, disjoint ones are fine
  const shared = new Float64Array(32), A1 = new Mat(4, 3, shared.subarray(0, 12));
  A1.data.set(A.data);
  assert.throws(() => matmul(A1, B, { out: new Mat(4, 5, shared.subarray(11, 31)) }), /matmul: out must not share memory with A or B/);
  const Sq = rng.normalMat(4, 4);
  assert.throws(() => matmul(rng.normalMat(4, 4), Sq, { out: Sq }), /matmul: out must not share memory with A or B/);
  const r = matmul(A1, B, { out: new Mat(4, 5, shared.subarray(12, 32)) });
  assert.equal(firstDiff(r.data, matmul(A, B).data), -1);
});
