/**
 * Checks shared by test/kernels-gemm.test.ts and its relaxed-SIMD child process
 * (test/kernels-relaxed.child.ts): the float32 GEMM against a float64 reference within the bound that
 * its precision gives.
 *
 * Bound. â = fl32(a), b̂ = fl32(b) (|â − a| ≤ u|a|, u = 2⁻²⁴). The kernel sums k terms in float32,
 * each term's product rounded or fused with the sum (relaxed_madd may do either); the standard analysis
 * of a recursive dot product (Higham, Accuracy and Stability, §3.1: with or without a fused
 * multiply-add, |fl(x̂ᵀŷ) − x̂ᵀŷ| ≤ γ_k |x̂|ᵀ|ŷ|, γ_k = k·u/(1 − k·u)) gives
 *   |Ĉ − ÂB̂| ≤ γ_k |Â||B̂| ≤ γ_k (1 + u)² |A||B|,   |ÂB̂ − AB| ≤ (2u + u²)|A||B|,
 * so |Ĉ − C| ≤ (γ_k (1 + u)² + 2u + u²)·(|A||B|)_ij. The float64 reference itself is within
 * γ_k(2⁻⁵³)·(|A||B|)_ij of C, which is added. Widening the float32 result to float64 is exact.
 */
export const U32 = 2 ** -24;
const gamma = (k: number, u: number) => (k * u) / (1 - k * u);
export const f32Bound = (k: number) => gamma(k, U32) * (1 + U32) ** 2 + 2 * U32 + U32 * U32 + gamma(k, 2 ** -53);

/** Reference: every entry accumulated in float64 from +0 in ascending p, and |A||B| alongside. */
export function refProduct(a: Float64Array, ac: number, ta: boolean, b: Float64Array, bc: number, tb: boolean, m: number, k: number, n: number) {
  const C = new Float64Array(m * n), Abs = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0, t = 0;
    for (let p = 0; p < k; p++) {
      const x = ta ? a[p * ac + i] : a[i * ac + p], y = tb ? b[j * bc + p] : b[p * bc + j];
      s += x * y; t += Math.abs(x) * Math.abs(y);
    }
    C[i * n + j] = s; Abs[i * n + j] = t;
  }
  return { C, Abs };
}

/**
 * The float32 kernel's exact result with two roundings per term (the core-SIMD module): operands
 * rounded to float32, ŝ ← fl32(ŝ + fl32(â·b̂)) in ascending p from +0.
 */
export function refF32(a: Float64Array, ac: number, ta: boolean, b: Float64Array, bc: number, tb: boolean, m: number, k: number, n: number): Float64Array {
  const f = Math.fround, C = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s = f(s + f(f(ta ? a[p * ac + i] : a[i * ac + p]) * f(tb ? b[j * bc + p] : b[p * bc + j])));
    C[i * n + j] = s;
  }
  return C;
}

/** Largest |Ĉ − C| / (bound·(|A||B|)_ij) over the entries (≤ 1 when within the bound); throws on a shape error. */
export function worstRatio(got: Float64Array, C: Float64Array, Abs: Float64Array, k: number): number {
  if (got.length !== C.length) throw new Error(`length ${got.length} ≠ ${C.length}`);
  const bnd = f32Bound(k);
  let worst = 0;
  for (let i = 0; i < C.length; i++) {
    const e = Math.abs(got[i] - C[i]), lim = bnd * Abs[i];
    const r = e === 0 ? 0 : lim === 0 ? Infinity : e / lim;
    if (!(r <= worst)) worst = Number.isNaN(r) ? Infinity : r;
  }
  return worst;
}

/** Shapes of the float32 tests: odd sizes, sizes not a multiple of the 4×8 tile, k below and above the 512-index panel depth. */
export const F32_SHAPES: [number, number, number][] = [
  [1, 1, 1], [3, 5, 7], [4, 8, 8], [5, 9, 13], [17, 3, 9], [33, 511, 15], [12, 512, 24], [9, 513, 31], [70, 1100, 41], [131, 200, 133],
];
