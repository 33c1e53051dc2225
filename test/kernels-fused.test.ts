/**
 * The float64 GEMM's fused twins (`gemm64f_4x4`, `gemm64sf`: `f64x2.relaxed_madd` in the relaxed-SIMD
 * build; asm/kernels.ts MADD64T) and where `gemmInModule` uses them (kernels.ts): only on operands whose
 * entries are all float32 values (`f32exact`). There every product a·b is exact in float64 (two 24-bit
 * significands make at most 48 bits, and a product of float32 magnitudes, 2⁻²⁹⁸ to 2²⁵⁶, is a normal
 * float64), so c + a·b is rounded once whether the runtime fuses or not: the twins must give the unfused
 * kernel's bits, which are those of the textbook loop (`matmulJs`), checked with `Object.is` on every entry
 * for 1, 2 and 3 kernel threads. The checks are not vacuous: the twins are shown to round differently from
 * the unfused kernel on float64 operands here (this runtime fuses), and operands with one entry that is
 * not a float32 value are shown to take the unfused kernel.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { enableRelaxedSimd } from '../src/node/backend.js';
import { FUSED_MIN_WORK, fusedGemm64Count, gemmThreadsInstalled, matmulF64, matmulJs, PAR_MIN_WORK, setFusedGemm64, setGemmThreads } from '../src/kernels.js';
import { wasm64 } from '../src/wasm64.js';
import { Rng } from '../src/rng.js';
import { startKernelThreads, stopKernelThreads } from '../src/node/threads.js';

const minWork0 = PAR_MIN_WORK;
after(() => { stopKernelThreads(); setGemmThreads(null, minWork0); setFusedGemm64(true); });

function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return -2;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

/** The relaxed-SIMD build is the float64 module here (Node 20 with the flag `enableRelaxedSimd` sets; Node 22 and Chromium without). */
function fusedModule() {
  assert.equal(enableRelaxedSimd(), true, 'relaxed SIMD should be available here (Node 20 with --experimental-wasm-relaxed-simd set at run time)');
  const w = wasm64();
  assert.ok(w && w.fused, 'wasm64() should be the relaxed-SIMD build, with fused twins');
  return w;
}

test('f32exact: 1 exactly when every value is a float32 value (±0, ±∞, float32 subnormals yes; NaN, float64-only significands, out of range, float64 subnormals no)', () => {
  const w = fusedModule();
  const yes = [0, -0, 1, -1.5, Infinity, -Infinity, Math.fround(0.1), 2 ** 127 * (2 - 2 ** -23), 2 ** -126, 2 ** -149, -(2 ** -140) * 3, Math.fround(Math.PI)];
  const no = [NaN, 0.1, 1 + 2 ** -30, 2 ** 128, -(2 ** 200), 5e-324, 2 ** -150, 2 ** -1022, Math.PI];
  w.reserve(1 << 16);
  const at = 1024; // bytes
  for (const count of [0, 1, 7, 8, 9, 16, 19, 33]) {
    const M = w.f64();
    for (let i = 0; i < count; i++) M[at / 8 + i] = yes[i % yes.length];
    assert.equal(w.f32exact(at, count), 1, `${count} float32 values`);
    for (let pos = 0; pos < count; pos++) {
      for (const bad of no) {
        const keep = M[at / 8 + pos];
        M[at / 8 + pos] = bad;
        assert.equal(w.f32exact(at, count), 0, `${bad} at ${pos} of ${count}`);
        M[at / 8 + pos] = keep;
      }
    }
  }
});

test('the fused twin does fuse on this runtime: on float64 operands it rounds differently from the unfused kernel', () => {
  const w = fusedModule();
  const kc = 64, rng = new Rng(3);
  w.reserve(1 << 16);
  const M = w.f64();
  for (let i = 0; i < 2 * 4 * kc; i++) M[i] = rng.normal(); // A panel at 0, B panel right after (4 × kc each)
  const a = 0, b = 4 * kc * 8, c = 2 * b;
  w.gemm64(a, b, c, 0, 1, 1, kc, 32, 0, 1);
  const plain = w.f64().slice(c / 8, c / 8 + 16);
  w.gemm64f(a, b, c, 0, 1, 1, kc, 32, 0, 1);
  const fused = w.f64().slice(c / 8, c / 8 + 16);
  const differ = plain.filter((v, i) => !Object.is(v, fused[i])).length;
  assert.ok(differ > 0, 'gemm64f should give other roundings than gemm64 on float64 data here (x64 with FMA fuses relaxed_madd)');
  // and on float32 values the same bits
  for (let i = 0; i < 2 * 4 * kc; i++) M[i] = Math.fround(M[i]);
  w.gemm64(a, b, c, 0, 1, 1, kc, 32, 0, 1);
  const plain32 = w.f64().slice(c / 8, c / 8 + 16);
  w.gemm64f(a, b, c, 0, 1, 1, kc, 32, 0, 1);
  assert.equal(firstDiff(w.f64().slice(c / 8, c / 8 + 16), plain32), -1);
});

/** [m, k, n], all at least FUSED_MIN_WORK multiply-adds: partial tiles, k past the panel depth (256), operands read in place (n or m ≤ 16), the Gram shape of Model A. */
const SHAPES: [number, number, number][] = [[130, 300, 67], [64, 600, 33], [8, 100, 200], [513, 70, 131], [9, 2000, 8], [40, 1500, 5], [200, 1024, 200]];

/** A float32-valued r×c matrix over a wide range of exponents (and some ±0, subnormal float32 values). */
function f32Mat(rng: Rng, r: number, c: number): Float64Array {
  const x = new Float64Array(r * c);
  for (let i = 0; i < x.length; i++) {
    const u = rng.uniform();
    const s = u < 0.02 ? 0 : u < 0.03 ? -0 : u < 0.04 ? 2 ** -140 : u < 0.1 ? 2 ** (Math.floor(rng.uniform() * 200) - 100) : 1;
    x[i] = Math.fround(rng.normal() * s);
  }
  return x;
}

const allF32 = (x: Float64Array) => x.every((v) => Object.is(Math.fround(v), v));

/**
 * Every shape × transpose combination, plus XᵀX (the symmetric path): [got, matmulJs] pairs, how many ran
 * fused, and how many should have (operands all float32 values, checked in JavaScript, and at least FUSED_MIN_WORK
 * multiply-adds: one symmetric product, 8×100×8, is smaller).
 */
function products(rng: Rng, values: (r: number, c: number) => Float64Array): { pairs: [Float64Array, Float64Array][]; fused: number; exact: number } {
  const pairs: [Float64Array, Float64Array][] = [];
  const c0 = fusedGemm64Count();
  let exact = 0;
  for (const [m, k, n] of SHAPES) {
    assert.ok(m * k * n >= FUSED_MIN_WORK);
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const A = values(ta ? k : m, ta ? m : k), B = values(tb ? n : k, tb ? k : n);
      const ac = ta ? m : k, bc = tb ? k : n;
      if (allF32(A) && allF32(B)) exact++;
      pairs.push([matmulF64(A, A.length / ac, ac, ta, B, B.length / bc, bc, tb, m, k, n), matmulJs(A, A.length / ac, ac, ta, B, B.length / bc, bc, tb, m, k, n, false)]);
    }
    const X = values(k, m);
    if (allF32(X) && m * k * m >= FUSED_MIN_WORK) exact++;
    pairs.push([matmulF64(X, k, m, true, X, k, m, false, m, k, m), matmulJs(X, k, m, true, X, k, m, false, m, k, m, true)]);
  }
  return { pairs, fused: fusedGemm64Count() - c0, exact };
}

test('float64 products of float32-valued operands run on the fused twins and are bit-for-bit the textbook loop, for 1, 2 and 3 kernel threads', async () => {
  fusedModule();
  for (const count of [1, 2, 3]) {
    if (count === 1) setGemmThreads(null);
    else {
      assert.equal(await startKernelThreads(count), count);
      setGemmThreads(gemmThreadsInstalled()!, 0); // split every product
    }
    const rng = new Rng(40 + count);
    const { pairs, fused, exact } = products(rng, (r, c) => f32Mat(rng, r, c));
    assert.equal(exact, pairs.length - 1);
    assert.equal(fused, exact, `every product of at least FUSED_MIN_WORK should have run fused (${count} threads)`);
    pairs.forEach(([got, ref], i) => assert.equal(firstDiff(got, ref), -1, `product ${i} with ${count} threads differs from matmulJs at entry ${firstDiff(got, ref)}`));
  }
  setGemmThreads(gemmThreadsInstalled(), minWork0);
});

test('an operand with one entry that is not a float32 value takes the unfused kernel (the same bits as matmulJs); so does a product under FUSED_MIN_WORK', () => {
  fusedModule();
  setGemmThreads(null);
  const rng = new Rng(50);
  // every other operand carries one float64-only entry at a random place: each product of two operands
  // has one (A or B), the symmetric product's one operand in every other shape
  let flip = 0;
  const { pairs, fused, exact } = products(rng, (r, c) => {
    const x = f32Mat(rng, r, c);
    if (flip++ % 2 === 0) x[Math.floor(rng.uniform() * x.length)] = 1 + 2 ** -40;
    return x;
  });
  assert.ok(exact > 0 && exact < pairs.length);
  assert.equal(fused, exact, 'only the products whose operands are all float32 values run fused');
  pairs.forEach(([got, ref], i) => assert.equal(firstDiff(got, ref), -1, `product ${i} differs from matmulJs at entry ${firstDiff(got, ref)}`));
  const c0 = fusedGemm64Count(), A = f32Mat(rng, 40, 50), B = f32Mat(rng, 50, 60);
  assert.ok(40 * 50 * 60 < FUSED_MIN_WORK);
  matmulF64(A, 40, 50, false, B, 50, 60, false, 40, 50, 60);
  assert.equal(fusedGemm64Count(), c0);
  setFusedGemm64(false);
  const X = f32Mat(rng, 300, 100);
  matmulF64(X, 300, 100, true, X, 300, 100, false, 100, 300, 100);
  assert.equal(fusedGemm64Count(), c0, 'setFusedGemm64(false) turns them off');
  setFusedGemm64(true);
});
