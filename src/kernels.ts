/**
 * Float64 kernels in plain JavaScript, shared by the engines.
 *
 * `matmulF64` computes every entry of op(A)·op(B) as one dot product accumulated in ascending order of
 * the inner index, starting from +0: C_ij = ((0 + a_i0 b_0j) + a_i1 b_1j) + …, which is the order of the
 * textbook i-p-j loop; the blocking below changes how often operands are loaded, never that order, so
 * the results are bit-for-bit those of the naive kernel (for finite inputs; see `matmulF64`).
 */

import { wasm64, type Wasm64 } from './wasm64.js';

/** Transpose of a row-major r×c matrix (a fresh c×r row-major array), in cache-sized blocks. */
export function transposeF64(x: Float64Array, r: number, c: number): Float64Array {
  const out = new Float64Array(r * c), B = 32;
  for (let i0 = 0; i0 < r; i0 += B) {
    const i1 = i0 + B < r ? i0 + B : r;
    for (let j0 = 0; j0 < c; j0 += B) {
      const j1 = j0 + B < c ? j0 + B : c;
      for (let i = i0; i < i1; i++) for (let j = j0, o = i * c; j < j1; j++) out[j * r + i] = x[o + j];
    }
  }
  return out;
}

/** Inner-index block: a 4-row strip of A and of Bᵀ over KC indices stays in L1. */
const KC = 256;
/** Column block: NC rows of Bᵀ (NC·KC doubles) stay in L2 while A's rows stream past. */
const NC = 32;

/**
 * Float64 product op(A)·op(B) in plain JavaScript, with either operand transposed (the `js64` engine).
 *
 * Both operands are brought to "rows hold the inner index" form (A as m×k, B as Bᵀ n×k; a copy only
 * where the stored layout differs), and 4×4 tiles of C are accumulated in registers over blocks of the
 * inner index. A symmetric product (the same array as A and B, one side transposed: XᵀX or XXᵀ) computes
 * the upper triangle and mirrors it: C_ji uses the same products in the same order as C_ij
 * (floating-point multiplication commutes), so the mirror is exact.
 *
 * Non-finite inputs: every term a_ip·b_pj is added, so 0·∞ = NaN propagates as in BLAS (the previous
 * kernel skipped a_ip = 0 and did not propagate it); finite inputs give identical results.
 */
export function matmulF64(
  a: Float64Array, ar: number, ac: number, ta: boolean,
  b: Float64Array, br: number, bc: number, tb: boolean,
  m: number, k: number, n: number,
): Float64Array {
  if (m === 0 || n === 0 || k === 0) return new Float64Array(m * n);
  const sym = a === b && ta !== tb && m === n;
  if (m >= 4 && n >= 4 && m * n * k >= WASM_MIN_WORK) {
    const w = wasm64();
    if (w) return matmulWasm(w, a, ac, ta, b, bc, tb, m, k, n, sym);
  }
  return matmulJs(a, ar, ac, ta, b, br, bc, tb, m, k, n, sym);
}

/** Multiply-adds from which `matmulF64` uses the WebAssembly kernel (where available). */
export const WASM_MIN_WORK = 1 << 14;
/** Inner-index block of the WebAssembly path (packed panels of 4 × KCW doubles stay in L1). */
const KCW = 256;

/**
 * op(A)·op(B) with the f64x2 kernel on the 4×4 tiles of the leading (m − m mod 4)×(n − n mod 4) block
 * (operands packed into 4-wide panels per block of KCW inner indices) and JavaScript dot products on
 * the remaining rows and columns; every entry is accumulated in ascending inner index from +0.
 */
function matmulWasm(
  w: Wasm64, a: Float64Array, ac: number, ta: boolean, b: Float64Array, bc: number, tb: boolean,
  m: number, k: number, n: number, sym: boolean,
): Float64Array {
  const C = new Float64Array(m * n);
  const m4 = m & ~3, n4 = n & ~3, mt = m4 >> 2, nt = n4 >> 2;
  const kcMax = k < KCW ? k : KCW;
  const aOff = 0, bOff = aOff + mt * kcMax * 4, cOff = bOff + nt * kcMax * 4; // in doubles
  w.reserve((cOff + m4 * n4) * 8);
  const M = w.f64();
  M.fill(0, cOff, cOff + m4 * n4);
  for (let p0 = 0; p0 < k; p0 += KCW) {
    const kc = k - p0 < KCW ? k - p0 : KCW;
    // A panels: for each 4-row strip, the 4 entries of op(A)[·, p] for p in the block
    for (let it = 0; it < mt; it++) {
      const base = aOff + it * kc * 4, i0 = it * 4;
      if (ta) { // stored a is k×m: op(A)[i, p] = a[p·m + i], four consecutive i
        for (let q = 0; q < kc; q++) { const src = (p0 + q) * ac + i0, dst = base + q * 4; M[dst] = a[src]; M[dst + 1] = a[src + 1]; M[dst + 2] = a[src + 2]; M[dst + 3] = a[src + 3]; }
      } else {
        const r0 = i0 * ac + p0, r1 = r0 + ac, r2 = r1 + ac, r3 = r2 + ac;
        for (let q = 0; q < kc; q++) { const dst = base + q * 4; M[dst] = a[r0 + q]; M[dst + 1] = a[r1 + q]; M[dst + 2] = a[r2 + q]; M[dst + 3] = a[r3 + q]; }
      }
    }
    // B panels: for each 4-column strip, the 4 entries of op(B)[p, ·]
    for (let jt = 0; jt < nt; jt++) {
      const base = bOff + jt * kc * 4, j0 = jt * 4;
      if (tb) { // stored b is n×k: op(B)[p, j] = b[j·k + p]
        const r0 = j0 * bc + p0, r1 = r0 + bc, r2 = r1 + bc, r3 = r2 + bc;
        for (let q = 0; q < kc; q++) { const dst = base + q * 4; M[dst] = b[r0 + q]; M[dst + 1] = b[r1 + q]; M[dst + 2] = b[r2 + q]; M[dst + 3] = b[r3 + q]; }
      } else {
        for (let q = 0; q < kc; q++) { const src = (p0 + q) * bc + j0, dst = base + q * 4; M[dst] = b[src]; M[dst + 1] = b[src + 1]; M[dst + 2] = b[src + 2]; M[dst + 3] = b[src + 3]; }
      }
    }
    w.gemm4x4(aOff * 8, bOff * 8, cOff * 8, mt, nt, kc, n4 * 8, sym ? 1 : 0);
  }
  for (let i = 0; i < m4; i++) C.set(M.subarray(cOff + i * n4, cOff + (i + 1) * n4), i * n);
  // Edges: rows m4..m−1 (all columns) and columns n4..n−1 (rows < m4), as plain dot products.
  const A = (i: number, p: number) => (ta ? a[p * ac + i] : a[i * ac + p]);
  const B = (p: number, j: number) => (tb ? b[j * bc + p] : b[p * bc + j]);
  for (let i = 0; i < m; i++) {
    for (let j = i < m4 ? n4 : 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += A(i, p) * B(p, j);
      C[i * n + j] = s;
    }
  }
  if (sym) for (let i = 1; i < n; i++) for (let j = 0; j < i; j++) C[i * n + j] = C[j * n + i];
  return C;
}

function matmulJs(
  a: Float64Array, ar: number, ac: number, ta: boolean,
  b: Float64Array, br: number, bc: number, tb: boolean,
  m: number, k: number, n: number, sym: boolean,
): Float64Array {
  const C = new Float64Array(m * n);
  const A = ta ? transposeF64(a, ar, ac) : a; // m×k
  const Bt = sym ? A : tb ? b : transposeF64(b, br, bc); // n×k
  for (let p0 = 0; p0 < k; p0 += KC) {
    const p1 = p0 + KC < k ? p0 + KC : k;
    for (let j0 = 0; j0 < n; j0 += NC) {
      const j1 = j0 + NC < n ? j0 + NC : n;
      let i = 0;
      for (; i + 3 < m; i += 4) {
        const a0 = i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
        const c0 = i * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
        let j = sym && i > j0 ? i : j0;
        for (; j + 3 < j1; j += 4) {
          const b0 = j * k, b1 = b0 + k, b2 = b1 + k, b3 = b2 + k;
          let s00 = C[c0 + j], s01 = C[c0 + j + 1], s02 = C[c0 + j + 2], s03 = C[c0 + j + 3];
          let s10 = C[c1 + j], s11 = C[c1 + j + 1], s12 = C[c1 + j + 2], s13 = C[c1 + j + 3];
          let s20 = C[c2 + j], s21 = C[c2 + j + 1], s22 = C[c2 + j + 2], s23 = C[c2 + j + 3];
          let s30 = C[c3 + j], s31 = C[c3 + j + 1], s32 = C[c3 + j + 2], s33 = C[c3 + j + 3];
          for (let p = p0; p < p1; p++) {
            const y0 = Bt[b0 + p], y1 = Bt[b1 + p], y2 = Bt[b2 + p], y3 = Bt[b3 + p];
            let x = A[a0 + p];
            s00 += x * y0; s01 += x * y1; s02 += x * y2; s03 += x * y3;
            x = A[a1 + p];
            s10 += x * y0; s11 += x * y1; s12 += x * y2; s13 += x * y3;
            x = A[a2 + p];
            s20 += x * y0; s21 += x * y1; s22 += x * y2; s23 += x * y3;
            x = A[a3 + p];
            s30 += x * y0; s31 += x * y1; s32 += x * y2; s33 += x * y3;
          }
          C[c0 + j] = s00; C[c0 + j + 1] = s01; C[c0 + j + 2] = s02; C[c0 + j + 3] = s03;
          C[c1 + j] = s10; C[c1 + j + 1] = s11; C[c1 + j + 2] = s12; C[c1 + j + 3] = s13;
          C[c2 + j] = s20; C[c2 + j + 1] = s21; C[c2 + j + 2] = s22; C[c2 + j + 3] = s23;
          C[c3 + j] = s30; C[c3 + j + 1] = s31; C[c3 + j + 2] = s32; C[c3 + j + 3] = s33;
        }
        for (; j < j1; j++) {
          const b0 = j * k;
          let s0 = C[c0 + j], s1 = C[c1 + j], s2 = C[c2 + j], s3 = C[c3 + j];
          for (let p = p0; p < p1; p++) {
            const y = Bt[b0 + p];
            s0 += A[a0 + p] * y; s1 += A[a1 + p] * y; s2 += A[a2 + p] * y; s3 += A[a3 + p] * y;
          }
          C[c0 + j] = s0; C[c1 + j] = s1; C[c2 + j] = s2; C[c3 + j] = s3;
        }
      }
      for (; i < m; i++) {
        const a0 = i * k, c0 = i * n;
        for (let j = sym && i > j0 ? i : j0; j < j1; j++) {
          const b0 = j * k;
          let s = C[c0 + j];
          for (let p = p0; p < p1; p++) s += A[a0 + p] * Bt[b0 + p];
          C[c0 + j] = s;
        }
      }
    }
  }
  if (sym) for (let i = 1; i < n; i++) for (let j = 0; j < i; j++) C[i * n + j] = C[j * n + i];
  return C;
}
