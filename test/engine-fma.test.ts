/**
 * The `simd-fma` engine (backend.ts): the `simd` engine with the float32 GEMM's multiply-add fused
 * (`wasm32Fused`, f32x4.relaxed_madd), started only where the probe shows that it fuses. Its float32
 * products must then be exact IEEE operations in a fixed order: each entry ŝ ← fma(â, b̂, ŝ), rounded once
 * to float32, over the inner index in ascending order from +0, â and b̂ the operands rounded to float32.
 * Checked with `Object.is` against that loop emulated exactly in float64 (`fma32` below), on odd sizes,
 * every transpose, partial tiles and more than one inner-index block, and shown not to be `simd`'s bits
 * (so the equalities are not those of the unfused kernel). On this machine (x86-64 with FMA3, Node 20 with
 * --experimental-wasm-relaxed-simd set by src/node/backend.ts) the engine must start.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import '../src/node/backend.js'; // turns on relaxed SIMD in Node 20 before any module is compiled
import { activeBackend, engineMatmul, initBackend } from '../src/backend.js';
import { float32Fuses, matmulF32With, wasm32Fused } from '../src/kernels32.js';
import { setRelaxedSimd, wasm32, wasm32Core } from '../src/wasm64.js';
import { availableEngines } from '../src/node/backend.js';
import { Rng } from '../src/rng.js';

after(async () => { setRelaxedSimd(true); await initBackend('js64'); });

const f = Math.fround;

/**
 * fl32(c + a·b) rounded once, for float32 values a, b, c: p = a·b is exact in float64 (24 + 24 bits), and
 * s + e = c + p exactly (TwoSum). Rounding s to float32 rounds c + p correctly unless s lies exactly halfway
 * between two float32 values (the float64 neighbours of s are nearer to it than any float32 midpoint other
 * than s itself, and |e| is at most half an ulp of s); then e's sign picks the neighbour.
 */
function fma32(a: number, b: number, c: number): number {
  const p = a * b, s = c + p, bb = s - c, e = (c - (s - bb)) + (p - bb);
  const r = f(s);
  if (e === 0 || r === s) return r;
  const o = s + (s - r); // the other float32 neighbour of s when s is a midpoint
  if (f(o) !== o || o === r) return r;
  return e > 0 ? Math.max(r, o) : Math.min(r, o);
}

test('fma32 (the reference) rounds once: hand-worked cases', () => {
  // (1 + 2⁻¹²)² = 1 + 2⁻¹¹ + 2⁻²⁴ (exact in float64): halfway between two float32 values, to even: 1 + 2⁻¹¹
  assert.equal(fma32(1 + 2 ** -12, 1 + 2 ** -12, 0), 1 + 2 ** -11);
  // the same product plus −(1 + 2⁻¹¹) is exactly 2⁻²⁴ (an unfused multiply-add gives 0)
  assert.equal(fma32(1 + 2 ** -12, 1 + 2 ** -12, -(1 + 2 ** -11)), 2 ** -24);
  // a float64 sum that is a float32 midpoint while the exact one is not: a = 1 + 2⁻²³, b = 2⁻²⁴ − 2⁻⁴⁷ (both
  // float32), a·b = 2⁻²⁴ − 2⁻⁷⁰; with c = 1 + 2⁻²³ the exact sum 1 + 2⁻²³ + 2⁻²⁴ − 2⁻⁷⁰ rounds in float64 to the
  // midpoint 1 + 2⁻²³ + 2⁻²⁴ (e = −2⁻⁷⁰), which would round to even, 1 + 2⁻²²; the exact sum is below it: 1 + 2⁻²³
  const a = 1 + 2 ** -23, b = 2 ** -24 - 2 ** -47;
  assert.ok(f(a) === a && f(b) === b);
  assert.equal(fma32(a, b, a), 1 + 2 ** -23);
  assert.equal(f(a + a * b), 1 + 2 ** -22); // the float64 sum rounded to float32: the other neighbour
  // negated: e = +2⁻⁷⁰ picks the neighbour nearer zero, −(1 + 2⁻²³)
  assert.equal(fma32(-a, b, -a), -(1 + 2 ** -23));
  // e ≠ 0 and s a float32 value: a·b = 2³⁰ + 2⁷ exactly, plus 2⁻³⁰ (below half a float32 ulp): 2³⁰ + 2⁷
  assert.equal(fma32(2 ** 30, 1 + 2 ** -23, 2 ** -30), 2 ** 30 + 2 ** 7);
});

/** The float32 loop the engine's products must be: ŝ ← fma32(fl32(a), fl32(b), ŝ) from +0, inner index ascending. */
function reference(a: Float64Array, ar: number, ac: number, ta: boolean, b: Float64Array, br: number, bc: number, tb: boolean, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s = fma32(f(ta ? a[p * ac + i] : a[i * ac + p]), f(tb ? b[j * bc + p] : b[p * bc + j]), s);
      c[i * n + j] = s;
    }
  }
  return c;
}

function firstDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) return -2;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return i;
  return -1;
}

test('the fused float32 module fuses here and the core one does not (the probe), so simd-fma is available', async () => {
  assert.equal(float32Fuses(wasm32Core()!), false);
  assert.ok(wasm32()?.relaxed, 'the relaxed-SIMD module should load here (Node 20 with the flag src/node/backend.ts sets)');
  assert.equal(float32Fuses(wasm32()!), true);
  assert.ok(wasm32Fused());
  assert.ok((await availableEngines()).includes('simd-fma'));
});

test('simd-fma float32 products are the exactly rounded fused loop bit for bit, and not simd\'s', async () => {
  const w = wasm32Fused()!;
  const rng = new Rng(2026);
  let differFromCore = 0;
  // odd sizes, partial 4×8 tiles, k past the float32 panel depth (512: two inner-index blocks), thin shapes
  for (const [m, k, n] of [[5, 7, 9], [37, 41, 43], [64, 600, 33], [3, 257, 150], [150, 64, 12], [9, 1100, 17]] as const) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const A = rng.normalMat(ta ? k : m, ta ? m : k), B = rng.normalMat(tb ? n : k, tb ? k : n);
      const want = reference(A.data, A.rows, A.cols, ta, B.data, B.rows, B.cols, tb, m, k, n);
      // several calls, so that V8's optimising tier (not only its baseline one) runs the kernel too
      for (let rep = 0; rep < 3; rep++) {
        const got = matmulF32With(w, A.data, A.rows, A.cols, ta, B.data, B.rows, B.cols, tb, m, k, n);
        assert.equal(firstDiff(got, want), -1, `${m}×${k}×${n} ta=${ta} tb=${tb}: entry ${firstDiff(got, want)}`);
      }
      const core = matmulF32With(wasm32Core()!, A.data, A.rows, A.cols, ta, B.data, B.rows, B.cols, tb, m, k, n);
      for (let i = 0; i < core.length; i++) if (!Object.is(core[i], want[i])) differFromCore++;
    }
  }
  assert.ok(differFromCore > 100, `the fused and unfused kernels should differ on many entries; ${differFromCore} did`);
});

test('the simd-fma engine sends the float32-sized products to the fused kernel and the others to simd\'s float64 kernel', async () => {
  const rng = new Rng(7);
  const A = rng.normalMat(130, 300), B = rng.normalMat(300, 67);
  await initBackend('simd-fma');
  assert.equal(activeBackend(), 'simd-fma');
  const fma = engineMatmul(A.data, 130, 300, false, B.data, 300, 67, false, 130, 300, 67);
  assert.equal(firstDiff(fma, reference(A.data, 130, 300, false, B.data, 300, 67, false, 130, 300, 67)), -1);
  // a product with at most 16 rows, and XᵀX, stay in float64: the same bits as under simd
  const S = rng.normalMat(12, 300), X = rng.normalMat(300, 40);
  const thin = engineMatmul(S.data, 12, 300, false, B.data, 300, 67, false, 12, 300, 67);
  const gram = engineMatmul(X.data, 300, 40, true, X.data, 300, 40, false, 40, 300, 40);
  await initBackend('simd');
  assert.equal(firstDiff(thin, engineMatmul(S.data, 12, 300, false, B.data, 300, 67, false, 12, 300, 67)), -1);
  assert.equal(firstDiff(gram, engineMatmul(X.data, 300, 40, true, X.data, 300, 40, false, 40, 300, 40)), -1);
  assert.notEqual(firstDiff(fma, engineMatmul(A.data, 130, 300, false, B.data, 300, 67, false, 130, 300, 67)), -1);
});

test('simd-fma is refused, naming the engine and why, where the relaxed module is not allowed; never chosen unless named', async () => {
  setRelaxedSimd(false);
  try {
    await assert.rejects(initBackend('simd-fma'), /engine 'simd-fma' needs WebAssembly relaxed SIMD whose f32x4\.relaxed_madd fuses: relaxed SIMD is forbidden here/);
    assert.ok(!(await availableEngines()).includes('simd-fma'));
  } finally {
    setRelaxedSimd(true);
  }
  // started, then the relaxed module forbidden: its products stop with a message, not on another kernel
  await initBackend('simd-fma');
  const A = new Rng(1).normalMat(64, 64), B = new Rng(2).normalMat(64, 64); // 64³ multiply-adds, not symmetric: float32
  setRelaxedSimd(false);
  try {
    assert.throws(() => engineMatmul(A.data, 64, 64, false, B.data, 64, 64, true, 64, 64, 64), /engine 'simd-fma': its float32 kernel is not available \(WebAssembly or relaxed SIMD turned off after the engine started\)/);
  } finally {
    setRelaxedSimd(true);
  }
  assert.equal(engineMatmul(A.data, 64, 64, false, B.data, 64, 64, true, 64, 64, 64).length, 64 * 64);
  assert.equal(await initBackend(), 'simd'); // the default order stops at simd (no tfjs-node here)
  await assert.rejects(initBackend('simd_fma'), /backend must be one of tensorflow, simd, simd-fma, wasm, cpu, js64; got 'simd_fma'/);
});
