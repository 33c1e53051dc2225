/**
 * Float64 linear algebra on factor-sized matrices: Cholesky solves, symmetric eigendecompositions and
 * matrix functions, thin QR, SVD, least squares, Newton–Schulz polar factor.
 *
 * The symmetric eigensolver is the JAMA algorithm of `ml-matrix` ported to flat Float64Arrays (same
 * operations, same results, several times faster); the SVD comes from `ml-matrix` itself. Cholesky,
 * triangular solves and Householder QR are written here on Float64Array for speed. Nothing here goes through
 * the float32 engine: every product inside these routines is float64.
 */
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { Mat, transpose, symmetrize, eye } from './mat.js';
import { matmulF64, rotateSweeps, solvePanels, transposeF64 } from './kernels.js';
import { kernelMemoryEpoch, wasm64 } from './wasm64.js';

/** Float64 product regardless of the active engine. */
export function mm64(a: Mat, b: Mat, transA = false, transB = false): Mat {
  const m = transA ? a.cols : a.rows, k = transA ? a.rows : a.cols, n = transB ? b.rows : b.cols;
  const kb = transB ? b.cols : b.rows;
  if (k !== kb) throw new RangeError(`mm64: inner dimensions ${k} and ${kb} differ`);
  return new Mat(m, n, matmulF64(a.data, a.rows, a.cols, transA, b.data, b.rows, b.cols, transB, m, k, n));
}

/**
 * Thrown when a factorisation receives non-finite entries: the usual sign of a run whose parameters
 * overflowed. The training loop reports such a run as diverged instead of failing.
 */
export class NonFiniteError extends RangeError {
  constructor(where: string) { super(`${where}: matrix has non-finite entries (the run has diverged or overflowed)`); this.name = 'NonFiniteError'; }
}
/** Thrown by `cholesky` when a pivot is not positive: a singular factor (add damping) or a degenerate state. */
export class NotPositiveDefiniteError extends RangeError {
  constructor(message: string) { super(message); this.name = 'NotPositiveDefiniteError'; }
}
function checkFinite(a: Mat, where: string): void {
  // x·0 is ±0 for finite x and NaN for ±∞ and NaN, and NaN survives the sums: one test at the end, four
  // independent sums (a Number.isFinite test per entry took 14 % of a 200×200 Cholesky in a profile)
  const x = a.data; // indexed loops here and below: for-of over a typed array measured ~3x slower
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, i = 0;
  for (; i + 3 < x.length; i += 4) { s0 += x[i] * 0; s1 += x[i + 1] * 0; s2 += x[i + 2] * 0; s3 += x[i + 3] * 0; }
  for (; i < x.length; i++) s0 += x[i] * 0;
  if (s0 + s1 + s2 + s3 !== 0) throw new NonFiniteError(where);
}

function square(a: Mat, name: string): number {
  if (a.rows !== a.cols) throw new RangeError(`${name}: matrix must be square, got ${a.rows}x${a.cols}`);
  return a.rows;
}

/**
 * Lower-triangular L with A = L Lᵀ. Throws when A is not (numerically) positive definite.
 * Column by column (left-looking): L_ij = (A_ij − Σ_{p<j} L_ip L_jp) / L_jj, each sum in ascending p,
 * four rows i at a time so that each L_jp is loaded once for four dot products.
 */
export function cholesky(a: Mat): Mat {
  const n = square(a, 'cholesky');
  checkFinite(a, 'cholesky');
  const w = n >= 32 ? wasm64() : null;
  return new Mat(n, n, w ? choleskyWasm(w, a.data, n) : choleskyJs(a.data, n));
}

/**
 * Row stride, in doubles, of an n-wide matrix in the WebAssembly module's memory: n rounded up to
 * `multiple` (the kernel's alignment), plus 8 when that is a multiple of 32. A stride of a multiple of
 * 256 bytes puts entry k of every row in the same cache sets, and the kernels that walk down columns
 * (cholcol, QL's rotations) then miss on every row: measured at n = 1024 (2026-12-02, one core, without
 * → with the padding, two alternated runs), cholesky 118–126 → 65–70 ms, and eigSym 1.14–1.22 → 0.69–0.80 s
 * with the per-sweep rotation kernel, 1.09–1.27 → 0.76–1.00 s with `rotSweeps`' 16-column strips (three
 * calls each in two alternated runs). Layout only: the results are the same bits.
 */
function rowStride(n: number, multiple: number): number {
  const ld = Math.ceil(n / multiple) * multiple;
  return ld % 32 === 0 ? ld + 8 : ld;
}

/**
 * The same factorisation with the column updates in WebAssembly (f64x2 over rows i, on the transposed
 * factor so that L[i..i+1, p] are adjacent): t_i = A_ij − Σ_{p<j} L_ip L_jp term by term in ascending p,
 * then L_jj = √t_j and L_ij = t_i / L_jj (in the same kernel call, IEEE root and division as `choleskyJs`'s).
 */
function choleskyWasm(w: NonNullable<ReturnType<typeof wasm64>>, A: Float64Array, n: number): Float64Array {
  const ld = rowStride(n, 8);
  w.reserve(ld * n * 8);
  const M = w.f64();
  for (let j = 0; j < n; j++) {
    const r = j * ld;
    for (let i = 0; i < n; i++) M[r + i] = A[i * n + j]; // Lt[j, i] = A[i, j] (the lower triangle is used)
    M.fill(0, r + n, r + ld);
  }
  for (let j = 0; j < n; j++) {
    const s = w.cholcol(0, j, ld); // the pivot; the kernel took its root and divided the column by it
    if (!(s > 0)) throw new NotPositiveDefiniteError(`cholesky: matrix is not positive definite (pivot ${j} = ${s}); add damping`);
  }
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) { const r = j * ld; for (let i = j; i < n; i++) L[i * n + j] = M[r + i]; }
  return L;
}

function choleskyJs(A: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let s = A[rj + j];
    for (let p = 0; p < j; p++) s -= L[rj + p] * L[rj + p];
    if (!(s > 0)) throw new NotPositiveDefiniteError(`cholesky: matrix is not positive definite (pivot ${j} = ${s}); add damping`);
    const ljj = Math.sqrt(s);
    L[rj + j] = ljj;
    let i = j + 1;
    for (; i + 3 < n; i += 4) {
      const r0 = i * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
      let t0 = A[r0 + j], t1 = A[r1 + j], t2 = A[r2 + j], t3 = A[r3 + j];
      for (let p = 0; p < j; p++) {
        const x = L[rj + p];
        t0 -= L[r0 + p] * x; t1 -= L[r1 + p] * x; t2 -= L[r2 + p] * x; t3 -= L[r3 + p] * x;
      }
      L[r0 + j] = t0 / ljj; L[r1 + j] = t1 / ljj; L[r2 + j] = t2 / ljj; L[r3 + j] = t3 / ljj;
    }
    for (; i < n; i++) {
      const ri = i * n;
      let t = A[ri + j];
      for (let p = 0; p < j; p++) t -= L[ri + p] * L[rj + p];
      L[ri + j] = t / ljj;
    }
  }
  return L;
}

/** X with A X = B for symmetric positive definite A (Cholesky, float64). */
export function cholSolve(a: Mat, b: Mat): Mat {
  square(a, 'cholSolve');
  return cholSolveL(cholesky(a), b);
}

/**
 * Solve x L Lᵀ = b in place for each of the r rows b of X (r×n, row-major), given L and U = Lᵀ.
 * Per row: forward y_i = (b_i − Σ_{p<i} L_ip y_p)/L_ii, then backward x_i = (y_i − Σ_{p>i} L_pi x_p)/L_ii,
 * sums in ascending p: the operations of a column-by-column substitution on Xᵀ, in the same order.
 * Four rows at a time share the loads of L and U.
 */
function solveRowsLLt(X: Float64Array, r: number, n: number, L: Float64Array, U: Float64Array): void {
  let q = 0;
  for (; q + 3 < r; q += 4) {
    const x0 = q * n, x1 = x0 + n, x2 = x1 + n, x3 = x2 + n;
    for (let i = 0; i < n; i++) {
      const li = i * n;
      let s0 = X[x0 + i], s1 = X[x1 + i], s2 = X[x2 + i], s3 = X[x3 + i];
      for (let p = 0; p < i; p++) {
        const l = L[li + p];
        s0 -= l * X[x0 + p]; s1 -= l * X[x1 + p]; s2 -= l * X[x2 + p]; s3 -= l * X[x3 + p];
      }
      const d = L[li + i];
      X[x0 + i] = s0 / d; X[x1 + i] = s1 / d; X[x2 + i] = s2 / d; X[x3 + i] = s3 / d;
    }
    for (let i = n - 1; i >= 0; i--) {
      const ui = i * n;
      let s0 = X[x0 + i], s1 = X[x1 + i], s2 = X[x2 + i], s3 = X[x3 + i];
      for (let p = i + 1; p < n; p++) {
        const u = U[ui + p];
        s0 -= u * X[x0 + p]; s1 -= u * X[x1 + p]; s2 -= u * X[x2 + p]; s3 -= u * X[x3 + p];
      }
      const d = U[ui + i];
      X[x0 + i] = s0 / d; X[x1 + i] = s1 / d; X[x2 + i] = s2 / d; X[x3 + i] = s3 / d;
    }
  }
  for (; q < r; q++) {
    const x0 = q * n;
    for (let i = 0; i < n; i++) {
      const li = i * n;
      let s = X[x0 + i];
      for (let p = 0; p < i; p++) s -= L[li + p] * X[x0 + p];
      X[x0 + i] = s / L[li + i];
    }
    for (let i = n - 1; i >= 0; i--) {
      const ui = i * n;
      let s = X[x0 + i];
      for (let p = i + 1; p < n; p++) s -= U[ui + p] * X[x0 + p];
      X[x0 + i] = s / U[ui + i];
    }
  }
}

/**
 * Solve x L Lᵀ = b in place for `count` vectors of length n stored in X: vector v's component i is
 * X[v·n + i] (`cols` false: the rows of an count×n matrix) or X[i·count + v] (`cols` true: the columns
 * of an n×count matrix). Groups of 8 vectors go to the WebAssembly kernel (same operations, lane by
 * lane, as `solveRowsLLt`), the rest to `solveRowsLLt`.
 */
function solveLLt(X: Float64Array, count: number, n: number, L: Float64Array, cols: boolean): void {
  const w = count >= 8 && n >= 8 ? wasm64() : null;
  const c8 = w ? count & ~7 : 0;
  if (w && c8 > 0) {
    const nn = n * n, np = c8 >> 3, uOff = nn, pOff = 2 * nn; // doubles: L, U = Lᵀ, panels
    w.reserve((pOff + np * n * 8) * 8);
    const M = w.f64();
    M.set(L, 0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) M[uOff + j * n + i] = L[i * n + j];
    for (let k = 0; k < np; k++) {
      const base = pOff + k * n * 8, v0 = k * 8;
      if (cols) for (let i = 0; i < n; i++) { const src = i * count + v0, dst = base + i * 8; for (let t = 0; t < 8; t++) M[dst + t] = X[src + t]; }
      else for (let t = 0; t < 8; t++) { const src = (v0 + t) * n; for (let i = 0; i < n; i++) M[base + i * 8 + t] = X[src + i]; }
    }
    solvePanels(w, 0, uOff * 8, pOff * 8, np, n);
    for (let k = 0; k < np; k++) {
      const base = pOff + k * n * 8, v0 = k * 8;
      if (cols) for (let i = 0; i < n; i++) { const dst = i * count + v0, src = base + i * 8; for (let t = 0; t < 8; t++) X[dst + t] = M[src + t]; }
      else for (let t = 0; t < 8; t++) { const dst = (v0 + t) * n; for (let i = 0; i < n; i++) X[dst + i] = M[base + i * 8 + t]; }
    }
  }
  const rest = count - c8;
  if (rest === 0) return;
  const U = transposeF64(L, n, n);
  if (!cols) { solveRowsLLt(X.subarray(c8 * n), rest, n, L, U); return; }
  const T = new Float64Array(rest * n); // the remaining columns as rows
  for (let i = 0; i < n; i++) for (let t = 0; t < rest; t++) T[t * n + i] = X[i * count + c8 + t];
  solveRowsLLt(T, rest, n, L, U);
  for (let i = 0; i < n; i++) for (let t = 0; t < rest; t++) X[i * count + c8 + t] = T[t * n + i];
}

/** X with L Lᵀ X = B, for a Cholesky factor L from `cholesky` (reuse one factor for many solves). */
export function cholSolveL(l: Mat, b: Mat): Mat {
  const n = l.rows;
  if (b.rows !== n) throw new RangeError(`cholSolve: B has ${b.rows} rows, A is ${n}x${n}`);
  const X = b.data.slice();
  solveLLt(X, b.cols, n, l.data, true);
  return new Mat(n, b.cols, X);
}

/** B A⁻¹ for symmetric positive definite A: (A⁻¹ Bᵀ)ᵀ. */
export function solveRightSPD(b: Mat, a: Mat): Mat {
  square(a, 'solveRightSPD');
  return solveRightL(b, cholesky(a));
}

/** B A⁻¹ given the Cholesky factor L of A. */
export function solveRightL(b: Mat, l: Mat): Mat {
  const n = l.rows;
  if (b.cols !== n) throw new RangeError(`cholSolve: B has ${b.cols} columns, A is ${n}x${n}`);
  const X = b.data.slice();
  solveLLt(X, b.rows, n, l.data, false);
  return new Mat(b.rows, n, X);
}

/**
 * v ↦ S·v for a square S (float64), for many v: entry i is `t = 0; for j: t += S_ij·v_j` (JavaScript's row
 * loop, bit for bit). With WebAssembly (n ≥ 16), Sᵀ is copied into the module's memory once and each
 * product runs in the `gemvt` kernel (four rows of Sᵀ per pass, the same sums). That memory is scratch
 * shared by every kernel, so after any other kernel has used it (`kernelMemoryEpoch` moved) the next
 * product copies Sᵀ again. S is read at each copy: change it and the products may or may not see it.
 */
export function matvecs(S: Mat): (v: Float64Array) => Float64Array {
  const n = square(S, 'matvecs'), s = S.data;
  const check = (v: Float64Array) => { if (v.length !== n) throw new RangeError(`matvecs: v has length ${v.length}, S is ${n}x${n}`); };
  const js = (v: Float64Array): Float64Array => {
    check(v);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) { let t = 0; for (let j = 0, o = i * n; j < n; j++) t += s[o + j] * v[j]; out[i] = t; }
    return out;
  };
  const w = n >= 16 ? wasm64() : null;
  if (!w) return js;
  const ld = rowStride(n, 2), vOff = ld * n, yOff = vOff + ld;
  let epoch = -1;
  return (v) => {
    check(v);
    if (epoch !== kernelMemoryEpoch()) {
      w.reserve((yOff + ld) * 8);
      const M = w.f64();
      for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) M[j * ld + i] = s[i * n + j];
      epoch = kernelMemoryEpoch();
    }
    const M = w.f64();
    M.set(v, vOff);
    w.gemvt(yOff * 8, 0, ld * 8, vOff * 8, n, n);
    return M.slice(yOff, yOff + n);
  };
}

/** Inverse of a symmetric positive definite matrix. */
export function invSPD(a: Mat): Mat { return cholSolve(a, eye(a.rows)); }

export interface SymEig { values: Float64Array; vectors: Mat } // ascending values; columns of `vectors`

/**
 * Eigendecomposition A = V diag(λ) Vᵀ of a symmetric matrix (symmetrised first), eigenvalues ascending.
 * Householder tridiagonalisation and implicit QL (the JAMA `tred2`/`tql2` of `ml-matrix` 6.15, operation
 * for operation, so the results are bit-for-bit ml-matrix's) on one flat Float64Array holding Vᵀ, so
 * the hot loops of both phases scan contiguous memory. With WebAssembly (n ≥ 16), tridiagonalisation
 * runs in the `tred2` kernel of asm/kernels.ts, QL's iteration in its `ql` kernel, which records each
 * sweep's rotations (they depend only on the tridiagonal matrix), and the recorded rotations are applied
 * to V afterwards by `rotSweeps` (`rotateSweeps`: split by columns between the kernel threads when they
 * run): the same operations in the same order, in f64x2 lanes.
 */
export function eigSym(a: Mat): SymEig {
  // V[r*ld + c] holds the logical V(c, r) (transposed storage). With WebAssembly, V lives in the
  // module's memory with an even row stride (16-byte aligned rows, `rowStride`) so QL's rotations run in f64x2.
  const { n, sym, w, ld } = eigStart(a, 'eigSym');
  let V: Float64Array, d: Float64Array, e: Float64Array, ql: () => void;
  if (w) {
    const { dOff, eOff, xOff, gOff, stOff, swOff, cap, coefOff } = eigLayout(w, sym, n, ld);
    const M = w.f64();
    V = M.subarray(0, ld * n);
    d = M.subarray(dOff, dOff + n);
    e = M.subarray(eOff, eOff + n);
    w.tred2(0, dOff * 8, eOff * 8, xOff * 8, gOff * 8, n, ld, 1);
    ql = () => {
      M.fill(0, stOff, stOff + 8);
      do {
        const sweeps = w.ql(dOff * 8, eOff * 8, n, coefOff * 8, swOff * 8, cap, stOff * 8);
        if (sweeps) rotateSweeps(w, 0, coefOff * 8, swOff * 8, sweeps, M[stOff + 5], ld);
      } while (M[stOff] < n);
    };
  } else {
    V = sym;
    d = new Float64Array(n);
    e = new Float64Array(n);
    tred2(n, ld, e, d, V);
    ql = () => tql2(n, ld, e, d, V);
  }
  // tql2's first step, before either QL: the subdiagonal moves down one place
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  ql();
  const order = sortEig(d, (i, k) => {
    const ri = i * ld, rk = k * ld;
    for (let j = 0; j < n; j++) { const p = V[ri + j]; V[ri + j] = V[rk + j]; V[rk + j] = p; }
  });
  const out = new Mat(n, n), values = new Float64Array(n), o = out.data;
  for (let dst = 0; dst < n; dst++) {
    const src = order[dst], row = src * ld;
    values[dst] = d[src];
    for (let i = 0; i < n; i++) o[i * n + dst] = V[row + i];
  }
  return { values, vectors: out };
}

/**
 * A symmetric matrix's eigendecomposition A = V diag(λ) Vᵀ kept in factored form, for products with a
 * few rows: V = Q Z P, with Q the n − 1 Householder reflectors of `eigSym`'s tridiagonalisation, Z the
 * recorded rotations of its QL iteration and P its sort. `eigSym` forms V (the accumulation of Q, then
 * every rotation applied to all n columns: O(n³) and most of its time at n = 200); here B ↦ B V and
 * B ↦ B Vᵀ cost O(m n² + m·rotations) for m rows, and V is never formed. The eigenvalues are `eigSym`'s
 * bit for bit (the same reduction, QL iteration and sort); the products equal those with `eigSym`'s V
 * up to rounding (Q and Z are applied to B rather than to each other), and are the same bits on every
 * backend: the kernels (`reflectors`, `rotSweeps`, `rotSweepsBack`) are the JavaScript loops below in
 * f64x2 lanes.
 */
export interface SymEigOperator {
  readonly n: number;
  /** The factors as plain data (`eigTimes`, `eigTimesT`, `eigTimesFn` apply them; optimizer states keep them). */
  readonly factors: SymEigFactors;
  /** Eigenvalues ascending: `eigSym(a).values`, bit for bit. */
  readonly values: Float64Array;
  /** B V for an m×n matrix B: column j is B times the eigenvector of values[j]. */
  times(b: Mat): Mat;
  /** B Vᵀ for an m×n matrix B. */
  timesT(b: Mat): Mat;
  /** B V diag(s) Vᵀ for n numbers s in the order of `values` (B f(A) for s_j = f(λ_j)), in one pass. */
  timesFn(b: Mat, s: ArrayLike<number>): Mat;
}

/**
 * `SymEigOperator`'s data, plain (numbers and Float64Arrays, so that an optimizer state holding it can be
 * saved and restored): eigenvalues ascending; `rows[j]`, the row of the rotated block that holds
 * eigenvector j; tred2's reflectors (u⁽ⁱ⁾ packed at u[i(i−1)/2 …], h_i); QL's rotations (c, s pairs)
 * and sweeps (l, m pairs).
 */
export interface SymEigFactors {
  readonly n: number;
  readonly values: Float64Array;
  readonly rows: Float64Array;
  readonly u: Float64Array;
  readonly h: Float64Array;
  readonly coef: Float64Array;
  readonly sw: Float64Array;
}

/** The factored eigendecomposition of a symmetric matrix (symmetrised first); see `SymEigOperator`. */
export function eigSymOperator(a: Mat): SymEigOperator {
  const f = eigSymFactors(a);
  return { n: f.n, values: f.values, factors: f, times: (b) => eigTimes(f, b), timesT: (b) => eigTimesT(f, b), timesFn: (b, s) => eigTimesFn(f, b, s) };
}

/** B V for the factored eigendecomposition f (`SymEigOperator.times`). */
export const eigTimes = (f: SymEigFactors, b: Mat): Mat => runFactored(f, b, 'times', null);
/** B Vᵀ (`SymEigOperator.timesT`). */
export const eigTimesT = (f: SymEigFactors, b: Mat): Mat => runFactored(f, b, 'timesT', null);
/** B V diag(s) Vᵀ (`SymEigOperator.timesFn`). */
export function eigTimesFn(f: SymEigFactors, b: Mat, s: ArrayLike<number>): Mat {
  if (s.length !== f.n) throw new RangeError(`timesFn: ${s.length} values for a ${f.n}x${f.n} matrix`);
  return runFactored(f, b, 'fn', s);
}

/** `SymEigFactors` of a symmetric matrix (symmetrised first). */
export function eigSymFactors(a: Mat): SymEigFactors {
  const { n, sym, w, ld } = eigStart(a, 'eigSymOperator');
  const u = new Float64Array(Math.max(1, (n * (n - 1)) / 2)), h = new Float64Array(n);
  let d: Float64Array, e: Float64Array, coef: Float64Array, sw: Float64Array;
  const takeReduction = (V: Float64Array, dd: Float64Array, ee: Float64Array) => {
    for (let i = 1; i < n; i++) { h[i] = dd[i]; u.set(V.subarray(i * ld, i * ld + i), (i * (i - 1)) / 2); }
    d = new Float64Array(n);
    for (let j = 0; j < n; j++) d[j] = V[j * ld + j];
    e = ee.slice(0, n);
    e[0] = 0;
    for (let i = 1; i < n; i++) e[i - 1] = e[i]; // tql2's first step, as in eigSym
    e[n - 1] = 0;
  };
  if (w) {
    const { dOff, eOff, xOff, gOff, stOff, swOff, cap, coefOff } = eigLayout(w, sym, n, ld);
    let M = w.f64();
    const V = M.subarray(0, ld * n);
    w.tred2(0, dOff * 8, eOff * 8, xOff * 8, gOff * 8, n, ld, 0);
    takeReduction(V, M.subarray(dOff, dOff + n), M.subarray(eOff, eOff + n));
    M.set(d!, dOff);
    M.set(e!, eOff);
    M.fill(0, stOff, stOff + 8);
    const coefs: Float64Array[] = [], sws: Int32Array[] = [];
    do {
      const sweeps = w.ql(dOff * 8, eOff * 8, n, coefOff * 8, swOff * 8, cap, stOff * 8);
      M = w.f64();
      coefs.push(M.slice(coefOff, coefOff + 2 * M[stOff + 5]));
      sws.push(new Int32Array(w.memory.buffer, swOff * 8, 2 * sweeps).slice());
    } while (M[stOff] < n);
    d = M.slice(dOff, dOff + n);
    coef = coefs.length === 1 ? coefs[0] : concatF64(coefs);
    sw = Float64Array.from(sws.flatMap((x) => Array.from(x)));
  } else {
    const V = sym.slice(), dd = new Float64Array(n), ee = new Float64Array(n);
    tred2Reduce(n, ld, ee, dd, V);
    takeReduction(V, dd, ee);
    const rec = { coef: [] as number[], sw: [] as number[] };
    tql2(n, ld, e!, d!, null, rec);
    coef = Float64Array.from(rec.coef);
    sw = Float64Array.from(rec.sw);
  }
  // eigSym's sort, on a permutation of the rotated rows instead of V's rows
  const dd = d!, perm = Array.from({ length: n }, (_, i) => i);
  const order = sortEig(dd, (i, k) => { const t = perm[i]; perm[i] = perm[k]; perm[k] = t; });
  const values = Float64Array.from(order, (i) => dd[i]), rows = Float64Array.from(order, (i) => perm[i]);
  return { n, values, rows, u, h, coef, sw };
}

function concatF64(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((t, p) => t + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** The factors whose data the kernels' memory holds, and when they were copied there. */
let loadedEig: { f: SymEigFactors | null; epoch: number; bytes: number } = { f: null, epoch: -1, bytes: 0 };

/**
 * Y = Bᵀ (n rows of ldm, m columns: B's rows in the columns, so that each kernel step runs over m
 * contiguous numbers), then Y·Q·Z (times, fn), the rows scaled (fn), Y·Zᵀ·Qᵀ (timesT, fn); the sort by
 * where rows are read and written.
 */
function runFactored(f: SymEigFactors, b: Mat, mode: 'times' | 'timesT' | 'fn', s: ArrayLike<number> | null): Mat {
  const n = f.n, m = b.rows, rows = f.rows, bd = b.data;
  if (b.cols !== n) throw new RangeError(`eigSymOperator: B has ${b.cols} columns, A is ${n}x${n}`);
  const ldm = m + (m & 1), out = new Mat(m, n), o = out.data;
  if (m === 0) return out;
  const w = n >= 16 ? wasm64() : null;
  const nu = f.u.length + 1 & ~1, nsw = f.sw.length >> 1, nrot = f.coef.length >> 1;
  // doubles: h (n, even), u (packed), the sweeps (one double per i32 pair), the rotations, s, Y
  const hOff = 0, uOff = hOff + (n + 1 & ~1), swOff = uOff + nu, coefOff = swOff + (nsw + 1 & ~1);
  const sOff = coefOff + 2 * nrot, yOff = sOff + ldm, bytes = (yOff + n * ldm) * 8;
  let Y: Float64Array;
  if (w) {
    const L = loadedEig;
    if (L.f !== f || L.epoch !== kernelMemoryEpoch() || bytes > L.bytes) {
      w.reserve(bytes);
      const M = w.f64();
      M.set(f.h, hOff); M.set(f.u, uOff); M.set(f.coef, coefOff);
      new Int32Array(w.memory.buffer, swOff * 8, 2 * nsw).set(f.sw);
      loadedEig = { f, epoch: kernelMemoryEpoch(), bytes };
    }
    Y = w.f64().subarray(yOff, yOff + n * ldm);
  } else Y = new Float64Array(n * ldm);
  const inRow = (j: number) => (mode === 'timesT' ? rows[j] : j); // B's column j goes to Y's row inRow(j)
  for (let j = 0; j < n; j++) {
    const y = inRow(j) * ldm;
    for (let r = 0; r < m; r++) Y[y + r] = bd[r * n + j];
    if (ldm > m) Y[y + m] = 0;
  }
  if (mode !== 'timesT') {
    if (w) {
      w.reflectors(yOff * 8, ldm * 8, m, uOff * 8, hOff * 8, n, 0, sOff * 8);
      w.rotSweeps(yOff * 8, coefOff * 8, swOff * 8, nsw, ldm, 0, ldm >> 1);
    } else {
      applyReflectors(Y, ldm, m, f.u, f.h, n, false);
      rotateForward(Y, ldm, m, f.coef, f.sw);
    }
  }
  if (s) for (let j = 0; j < n; j++) { const y = rows[j] * ldm, sj = s[j]; for (let r = 0; r < m; r++) Y[y + r] = Y[y + r] * sj; }
  if (mode !== 'times') {
    if (w) {
      w.rotSweepsBack(yOff * 8, coefOff * 8, swOff * 8, nsw, ldm, 0, ldm >> 1, nrot);
      w.reflectors(yOff * 8, ldm * 8, m, uOff * 8, hOff * 8, n, 1, sOff * 8);
    } else {
      rotateBack(Y, ldm, m, f.coef, f.sw);
      applyReflectors(Y, ldm, m, f.u, f.h, n, true);
    }
  }
  const outRow = (j: number) => (mode === 'times' ? rows[j] : j); // Y's row outRow(j) is the result's column j
  for (let j = 0; j < n; j++) { const y = outRow(j) * ldm; for (let r = 0; r < m; r++) o[r * n + j] = Y[y + r]; }
  return out;
}

/**
 * Y·H_{n−1}⋯H_1 = Y·Q (`up` false) or Y·H_1⋯H_{n−1} = Y·Qᵀ (`up` true) for tred2's reflectors
 * H_i = I − u⁽ⁱ⁾u⁽ⁱ⁾ᵀ/h_i (u⁽ⁱ⁾ at u[i(i−1)/2 …], length i; skipped when h_i = 0), Y stored transposed
 * (row q holds coordinate q of m rows, stride ldm): s = Σ_q u_q Y_q, s /= h_i, Y_q −= s u_q. The
 * reference of the `reflectors` kernel.
 */
function applyReflectors(Y: Float64Array, ldm: number, m: number, u: Float64Array, h: Float64Array, n: number, up: boolean): void {
  const s = new Float64Array(m);
  for (let t = 1; t < n; t++) {
    const i = up ? t : n - t, hi = h[i];
    if (hi === 0) continue;
    const o = (i * (i - 1)) / 2;
    s.fill(0);
    for (let q = 0; q < i; q++) { const a = u[o + q], y = q * ldm; for (let r = 0; r < m; r++) s[r] = s[r] + Y[y + r] * a; }
    for (let r = 0; r < m; r++) s[r] = s[r] / hi;
    for (let q = 0; q < i; q++) { const a = u[o + q], y = q * ldm; for (let r = 0; r < m; r++) Y[y + r] = Y[y + r] - s[r] * a; }
  }
}

/** The recorded QL rotations in order on Y's rows (tql2's update of V): the reference of `rotSweeps` here. */
function rotateForward(Y: Float64Array, ldm: number, m: number, coef: Float64Array, sw: Float64Array): void {
  let cp = 0;
  for (let q = 0; q < sw.length; q += 2) {
    for (let i = sw[q + 1] - 1; i >= sw[q]; i--, cp += 2) {
      const c = coef[cp], s = coef[cp + 1], ri = i * ldm, ri1 = ri + ldm;
      for (let r = 0; r < m; r++) { const hk = Y[ri1 + r], vk = Y[ri + r]; Y[ri1 + r] = s * vk + c * hk; Y[ri + r] = c * vk - s * hk; }
    }
  }
}

/** Their transposes in reverse order (rows i, i+1 ← c·x + s·y, c·y − s·x): the reference of `rotSweepsBack`. */
function rotateBack(Y: Float64Array, ldm: number, m: number, coef: Float64Array, sw: Float64Array): void {
  let cp = coef.length;
  for (let q = sw.length - 2; q >= 0; q -= 2) {
    for (let i = sw[q]; i < sw[q + 1]; i++) {
      cp -= 2;
      const c = coef[cp], s = coef[cp + 1], ri = i * ldm, ri1 = ri + ldm;
      for (let r = 0; r < m; r++) { const x = Y[ri + r], y = Y[ri1 + r]; Y[ri + r] = c * x + s * y; Y[ri1 + r] = c * y - s * x; }
    }
  }
}

/** The start of `eigSym` and `eigSymFactors`: A checked and symmetrised; the kernels (n ≥ 16) and V's row stride. */
function eigStart(a: Mat, fn: string): { n: number; sym: Float64Array; w: ReturnType<typeof wasm64>; ld: number } {
  const n = square(a, fn);
  if (n === 0) throw new RangeError(`${fn}: matrix must be non-empty`);
  const w = n >= 16 ? wasm64() : null;
  return { n, sym: symmetrize(a).data, w, ld: w ? rowStride(n, 2) : n };
}

/**
 * eigSym's layout in the module's memory, in doubles: V (n rows of ld), then d, e and two scratch vectors
 * of ld each (rows stay 16-byte aligned), QL's state (8), the record of its sweeps (two i32 each) and
 * their rotations (c, s): room for `cap`. Reserves it and copies the symmetric matrix into V.
 */
function eigLayout(w: NonNullable<ReturnType<typeof wasm64>>, sym: Float64Array, n: number, ld: number) {
  const dOff = ld * n, eOff = dOff + ld, xOff = eOff + ld, gOff = xOff + ld, stOff = gOff + ld, swOff = stOff + 8;
  const cap = Math.max(n, Math.min(4 * n * n, rotationsMax)), coefOff = swOff + cap;
  w.reserve((coefOff + 2 * cap) * 8);
  const V = w.f64().subarray(0, ld * n);
  V.fill(0);
  for (let i = 0; i < n; i++) V.set(sym.subarray(i * n, (i + 1) * n), i * ld);
  return { dOff, eOff, xOff, gOff, stOff, swOff, cap, coefOff };
}

/** Most QL rotations recorded before they are applied to V (16 bytes each: 16 MiB). */
const ROTATIONS_MAX = 1 << 20;
let rotationsMax = ROTATIONS_MAX;
/** For tests: record at most max(n, `max`) QL rotations before applying them, so that the record fills and QL resumes; no argument restores the default. */
export function setRotationRecordForTests(max = ROTATIONS_MAX): void { rotationsMax = max; }

/** ml-matrix 6.15's `hypotenuse`: √(a² + b²) without overflow, the same operations. */
function hypot(a: number, b: number): number {
  let r: number;
  if (Math.abs(a) > Math.abs(b)) { r = b / a; return Math.abs(a) * Math.sqrt(1 + r * r); }
  if (b !== 0) { r = a / b; return Math.abs(b) * Math.sqrt(1 + r * r); }
  return 0;
}

/** JAMA tred2 on transposed flat storage: V[r*ld + c] is ml-matrix's V.get(c, r). */
function tred2(n: number, ld: number, e: Float64Array, d: Float64Array, V: Float64Array): void {
  tred2Reduce(n, ld, e, d, V);
  tred2Accumulate(n, ld, e, d, V);
}

/**
 * tred2's reduction: afterwards e holds the subdiagonal (e[0] not yet zeroed), V's diagonal the
 * tridiagonal matrix's diagonal, d_i = h_i and V's row i the Householder vector u⁽ⁱ⁾ in its first i
 * entries (i ≥ 1): A = Q T Qᵀ with Q = H_{n−1} ⋯ H_1, H_i = I − u⁽ⁱ⁾u⁽ⁱ⁾ᵀ/h_i (the identity when h_i = 0).
 */
function tred2Reduce(n: number, ld: number, e: Float64Array, d: Float64Array, V: Float64Array): void {
  let f: number, g: number, h: number, hh: number, scale: number;
  for (let j = 0; j < n; j++) d[j] = V[j * ld + n - 1];
  for (let i = n - 1; i > 0; i--) {
    scale = 0;
    h = 0;
    for (let k = 0; k < i; k++) scale = scale + Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = V[j * ld + i - 1];
        V[j * ld + i] = 0;
        V[i * ld + j] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      f = d[i - 1];
      g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h = h - f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      // e = (upper triangle of V, rows < i) · d, the JAMA loop order kept per entry: row j's sum
      // g_j = (e_j + V_jj d_j) + Σ_{k>j} V_jk d_k in ascending k, and each e_k collecting V_jk d_j in
      // ascending j. Four rows at a time (a triangular prologue inside the block, then all four per k),
      // so that four independent sums are in flight.
      let j = 0;
      for (; j + 3 < i; j += 4) {
        const r0 = j * ld, r1 = r0 + ld, r2 = r1 + ld, r3 = r2 + ld;
        const f0 = d[j], f1 = d[j + 1], f2 = d[j + 2], f3 = d[j + 3];
        V[i * ld + j] = f0; V[i * ld + j + 1] = f1; V[i * ld + j + 2] = f2; V[i * ld + j + 3] = f3;
        let g0 = e[j] + V[r0 + j] * f0;
        g0 += V[r0 + j + 1] * d[j + 1]; e[j + 1] += V[r0 + j + 1] * f0;
        g0 += V[r0 + j + 2] * d[j + 2]; e[j + 2] += V[r0 + j + 2] * f0;
        g0 += V[r0 + j + 3] * d[j + 3]; e[j + 3] += V[r0 + j + 3] * f0;
        let g1 = e[j + 1] + V[r1 + j + 1] * f1;
        g1 += V[r1 + j + 2] * d[j + 2]; e[j + 2] += V[r1 + j + 2] * f1;
        g1 += V[r1 + j + 3] * d[j + 3]; e[j + 3] += V[r1 + j + 3] * f1;
        let g2 = e[j + 2] + V[r2 + j + 2] * f2;
        g2 += V[r2 + j + 3] * d[j + 3]; e[j + 3] += V[r2 + j + 3] * f2;
        let g3 = e[j + 3] + V[r3 + j + 3] * f3;
        for (let k = j + 4; k <= i - 1; k++) {
          const v0 = V[r0 + k], v1 = V[r1 + k], v2 = V[r2 + k], v3 = V[r3 + k], dk = d[k];
          g0 += v0 * dk; g1 += v1 * dk; g2 += v2 * dk; g3 += v3 * dk;
          let ek = e[k];
          ek += v0 * f0; ek += v1 * f1; ek += v2 * f2; ek += v3 * f3;
          e[k] = ek;
        }
        e[j] = g0; e[j + 1] = g1; e[j + 2] = g2; e[j + 3] = g3;
      }
      for (; j < i; j++) {
        const rj = j * ld;
        f = d[j];
        V[i * ld + j] = f;
        g = e[j] + V[rj + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          const v = V[rj + k];
          g += v * d[k];
          e[k] += v * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      // V[j, k] −= f_j e_k + g_j d_k for k = j … i−1 (f_j = d_j, g_j = e_j), then d_j ← V[j, i−1]: each
      // entry is updated once, so four rows go together (d is overwritten only after their updates).
      j = 0;
      for (; j + 3 < i; j += 4) {
        const r0 = j * ld, r1 = r0 + ld, r2 = r1 + ld, r3 = r2 + ld;
        const f0 = d[j], f1 = d[j + 1], f2 = d[j + 2], f3 = d[j + 3];
        const g0 = e[j], g1 = e[j + 1], g2 = e[j + 2], g3 = e[j + 3];
        for (let k = j; k < j + 3; k++) V[r0 + k] = V[r0 + k] - (f0 * e[k] + g0 * d[k]);
        for (let k = j + 1; k < j + 3; k++) V[r1 + k] = V[r1 + k] - (f1 * e[k] + g1 * d[k]);
        V[r2 + j + 2] = V[r2 + j + 2] - (f2 * e[j + 2] + g2 * d[j + 2]);
        for (let k = j + 3; k <= i - 1; k++) {
          const ek = e[k], dk = d[k];
          V[r0 + k] = V[r0 + k] - (f0 * ek + g0 * dk);
          V[r1 + k] = V[r1 + k] - (f1 * ek + g1 * dk);
          V[r2 + k] = V[r2 + k] - (f2 * ek + g2 * dk);
          V[r3 + k] = V[r3 + k] - (f3 * ek + g3 * dk);
        }
        d[j] = V[r0 + i - 1]; d[j + 1] = V[r1 + i - 1]; d[j + 2] = V[r2 + i - 1]; d[j + 3] = V[r3 + i - 1];
        V[r0 + i] = 0; V[r1 + i] = 0; V[r2 + i] = 0; V[r3 + i] = 0;
      }
      for (; j < i; j++) {
        const rj = j * ld;
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) V[rj + k] = V[rj + k] - (f * e[k] + g * d[k]);
        d[j] = V[rj + i - 1];
        V[rj + i] = 0;
      }
    }
    d[i] = h;
  }
}

/** tred2's accumulation of Q into V (transposed storage), d and e becoming the tridiagonal matrix's. */
function tred2Accumulate(n: number, ld: number, e: Float64Array, d: Float64Array, V: Float64Array): void {
  let g: number, h: number;
  for (let i = 0; i < n - 1; i++) {
    const ri = i * ld, ri1 = ri + ld;
    V[ri + n - 1] = V[ri + i];
    V[ri + i] = 1;
    h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[ri1 + k] / h;
      // Rows j ≤ i: g_j = Σ_k V[i+1, k] V[j, k] (ascending k), then V[j, ·] −= g_j d. Row i+1 is not
      // among the updated rows, so four rows' sums can run together.
      let j = 0;
      for (; j + 3 <= i; j += 4) {
        const r0 = j * ld, r1 = r0 + ld, r2 = r1 + ld, r3 = r2 + ld;
        let g0 = 0, g1 = 0, g2 = 0, g3 = 0;
        for (let k = 0; k <= i; k++) {
          const x = V[ri1 + k];
          g0 += x * V[r0 + k]; g1 += x * V[r1 + k]; g2 += x * V[r2 + k]; g3 += x * V[r3 + k];
        }
        for (let k = 0; k <= i; k++) {
          const dk = d[k];
          V[r0 + k] = V[r0 + k] - g0 * dk; V[r1 + k] = V[r1 + k] - g1 * dk;
          V[r2 + k] = V[r2 + k] - g2 * dk; V[r3 + k] = V[r3 + k] - g3 * dk;
        }
      }
      for (; j <= i; j++) {
        const rj = j * ld;
        g = 0;
        for (let k = 0; k <= i; k++) g += V[ri1 + k] * V[rj + k];
        for (let k = 0; k <= i; k++) V[rj + k] = V[rj + k] - g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) V[ri1 + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[j * ld + n - 1];
    V[j * ld + n - 1] = 0;
  }
  V[(n - 1) * ld + n - 1] = 1;
  e[0] = 0;
}

/**
 * JAMA tql2 (implicit QL with Wilkinson-type shifts) on transposed flat storage, as `tred2`, each
 * rotation applied to V's rows i, i+1 as it is computed: the path without WebAssembly, and the reference
 * of the `ql` and `rotSweeps` kernels (which record a sweep's rotations and apply them later, in the
 * same order). e arrives shifted down one place (JAMA's first step, done in `eigSym` for both); the
 * eigenvalues are left unsorted (`sortEig`).
 */
function tql2(n: number, ld: number, e: Float64Array, d: Float64Array, V: Float64Array | null, rec?: { coef: number[]; sw: number[] }): void {
  let g: number, h: number, p: number, r: number, dl1: number, c: number, c2: number, c3: number;
  let el1: number, s: number, s2: number;
  let f = 0, tst1 = 0;
  const eps = Number.EPSILON;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      do {
        g = d[l];
        p = (d[l + 1] - g) / (2 * e[l]);
        r = hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        dl1 = d[l + 1];
        h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f = f + h;
        p = d[m];
        c = 1;
        c2 = c;
        c3 = c;
        el1 = e[l + 1];
        s = 0;
        s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          if (!V) { rec!.coef.push(c, s); continue; } // recording (`eigSymOperator`): V is not formed
          const ri = i * ld, ri1 = ri + ld;
          for (let k = 0; k < n; k++) {
            const hk = V[ri1 + k], vk = V[ri + k];
            V[ri1 + k] = s * vk + c * hk;
            V[ri + k] = c * vk - s * hk;
          }
        }
        if (rec) rec.sw.push(l, m);
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] = d[l] + f;
    e[l] = 0;
  }
}

/**
 * tql2's last step, eigenvalues ascending by selection (`swap(i, k)` exchanges the eigenvectors of i and k
 * as d's entries are exchanged), then `eigSym`'s stable ascending order of the result: position j of the
 * output takes d[order[j]].
 */
function sortEig(d: Float64Array, swap: (i: number, k: number) => void): number[] {
  const n = d.length;
  for (let i = 0; i < n - 1; i++) {
    let k = i, p = d[i];
    for (let j = i + 1; j < n; j++) if (d[j] < p) { k = j; p = d[j]; }
    if (k !== i) { d[k] = d[i]; d[i] = p; swap(i, k); }
  }
  return Array.from(d, (_, i) => i).sort((i, j) => d[i] - d[j]);
}

/** V diag(f(λ)) Vᵀ from an eigendecomposition. */
export function fromEig(e: SymEig, f: (lambda: number) => number): Mat {
  const n = e.values.length, V = e.vectors.data, W = new Float64Array(n * n);
  const fv = Array.from(e.values, f);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) W[i * n + j] = V[i * n + j] * fv[j];
  return mm64(new Mat(n, n, W), e.vectors, false, true);
}

/** f(A) for symmetric A. */
export function symFn(a: Mat, f: (lambda: number) => number): Mat { return fromEig(eigSym(a), f); }

/**
 * (A + εI)^p for symmetric positive semi-definite A; eigenvalues are clipped at 0 before damping,
 * so round-off negatives do not produce NaN.
 */
export function symPow(a: Mat, p: number, eps = 0): Mat {
  return symFn(a, (l) => Math.pow(Math.max(l, 0) + eps, p));
}

/**
 * Thin QR of an m×n matrix (m ≥ n) by Householder reflections: Q m×n with orthonormal columns, R n×n.
 * With WebAssembly (n ≥ 8), A, Q and the reflection vectors live in the module's memory and each
 * reflection runs in its `reflect` kernel: the same operations in the same order, in f64x2 lanes.
 */
export function qr(a: Mat): { Q: Mat; R: Mat } {
  const m = a.rows, n = a.cols;
  if (m < n) throw new RangeError(`qr: needs rows >= cols, got ${m}x${n}`);
  const w = n >= 8 ? wasm64() : null;
  // Doubles in the module's memory: A, Q, the vectors (m − k each, 2-aligned) and the scratch s.
  const aOff = 0, qOff = aOff + m * n + 1 & ~1, vOff = qOff + m * n + 1 & ~1, sOff = vOff + n * (m + 1);
  let A: Float64Array, Qm: Float64Array | null = null, M: Float64Array | null = null;
  if (w) {
    w.reserve((sOff + n) * 8);
    M = w.f64();
    A = M.subarray(aOff, aOff + m * n);
    A.set(a.data);
    Qm = M.subarray(qOff, qOff + m * n);
  } else A = a.data.slice();
  const vs: Float64Array[] = [], vAt: number[] = [];
  let vNext = vOff;
  const newVec = (len: number): Float64Array => {
    if (!M) return new Float64Array(len);
    const v = M.subarray(vNext, vNext + len);
    vAt.push(vNext);
    vNext += len + 1 & ~1;
    return v;
  };
  const reflectAt = (X: Float64Array, xOff: number, k: number, j0: number, vi: number, vn: number | null): void => {
    if (w) w.reflect(xOff * 8, m, n, k, j0, vAt[vi] * 8, vn ?? 0, sOff * 8);
    else reflect(X, m, n, k, j0, vs[vi], vn);
  };
  let finite = true; // every Householder vector finite (then Q's accumulation may skip columns, below)
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += A[i * n + k] ** 2;
    norm = Math.sqrt(norm);
    const v = newVec(m - k);
    const alpha = A[k * n + k] > 0 ? -norm : norm;
    for (let i = k; i < m; i++) v[i - k] = A[i * n + k];
    v[0] -= alpha;
    let vn = 0;
    for (let i = 0; i < v.length; i++) vn += v[i] * v[i];
    if (!Number.isFinite(vn)) finite = false;
    vs.push(v);
    if (vn > 0) {
      // R's reflection uses v; Q's accumulation the unit vector u = v/√vn, stored in v's place after it
      reflectAt(A, aOff, k, k, k, vn);
      const r = Math.sqrt(vn);
      for (let i = 0; i < v.length; i++) v[i] = v[i] / r;
    }
  }
  const R = new Mat(n, n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) R.data[i * n + j] = A[i * n + j];
  // Q = H_0 ... H_{n-1} applied to the first n columns of I. When H_k is applied, columns j < k are
  // still e_j, zero in rows ≥ k: their sum is +0 and each entry stays +0, so with finite vectors those
  // columns are skipped (the same numbers; a non-finite vector, 0·∞ = NaN, takes every column as before).
  const Q = Qm ?? new Float64Array(m * n);
  Q.fill(0);
  for (let i = 0; i < n; i++) Q[i * n + i] = 1;
  for (let k = n - 1; k >= 0; k--) reflectAt(Q, qOff, k, finite ? k : 0, k, null);
  // Make R's diagonal non-negative so the factorisation is unique.
  for (let i = 0; i < n; i++) {
    if (R.data[i * n + i] < 0) {
      for (let j = 0; j < n; j++) R.data[i * n + j] = -R.data[i * n + j];
      for (let r = 0; r < m; r++) Q[r * n + i] = -Q[r * n + i];
    }
  }
  return { Q: new Mat(m, n, Qm ? Q.slice() : Q), R };
}

/**
 * Apply a Householder reflection to columns j0… of rows k… of X (m×n, row-major): for each column j,
 * s_j = Σ_{i≥k} v_{i−k} X_ij in ascending i, then s_j ← (2 s_j)/vn (`vn` given, for R) or 2 s_j (`vn`
 * null, for Q), then X_ij −= s_j v_{i−k}: `qr`'s column-by-column loop, with the sums of all columns
 * accumulated row by row (contiguous memory); columns are independent, so every entry sees the same
 * operations in the same order.
 */
function reflect(X: Float64Array, m: number, n: number, k: number, j0: number, v: Float64Array, vn: number | null): void {
  const w = n - j0, s = new Float64Array(w);
  let i = k;
  for (; i + 3 < m; i += 4) { // four rows per pass over s, each s_j still summed in ascending i
    const v0 = v[i - k], v1 = v[i - k + 1], v2 = v[i - k + 2], v3 = v[i - k + 3];
    const r0 = i * n + j0, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
    for (let j = 0; j < w; j++) {
      let t = s[j];
      t += v0 * X[r0 + j]; t += v1 * X[r1 + j]; t += v2 * X[r2 + j]; t += v3 * X[r3 + j];
      s[j] = t;
    }
  }
  for (; i < m; i++) {
    const vi = v[i - k], r = i * n + j0;
    for (let j = 0; j < w; j++) s[j] += vi * X[r + j];
  }
  if (vn !== null) for (let j = 0; j < w; j++) s[j] = (2 * s[j]) / vn;
  else for (let j = 0; j < w; j++) s[j] *= 2;
  for (let i = k; i < m; i++) {
    const vi = v[i - k], r = i * n + j0;
    for (let j = 0; j < w; j++) X[r + j] -= s[j] * vi;
  }
}

/** A matrix with orthonormal rows spanning the row space of G (k×d, k ≤ d, full row rank). */
export function orthonormalRows(g: Mat): Mat { return transpose(qr(transpose(g)).Q); }

export interface Svd { U: Mat; s: Float64Array; V: Mat } // thin: A = U diag(s) Vᵀ, s descending

/** Thin singular value decomposition (float64). */
export function svd(a: Mat): Svd {
  const wide = a.rows < a.cols;
  const src = wide ? transpose(a) : a; // ml-matrix's SVD wants rows >= cols
  const e = new SingularValueDecomposition(Matrix.from1DArray(src.rows, src.cols, src.data), { autoTranspose: false });
  const U = fromMl(e.leftSingularVectors), V = fromMl(e.rightSingularVectors);
  const s = Float64Array.from(e.diagonal);
  return wide ? { U: V, s, V: U } : { U, s, V };
}

/**
 * The singular values of A, descending: `svd(a).s` bit for bit, without forming U and V (ml-matrix's
 * Golub–Kahan iteration computes the values by the same operations whether or not it accumulates the
 * vectors; those are skipped), for the metrics that need only the values.
 */
export function singularValues(a: Mat): Float64Array {
  if (a.rows === 0 || a.cols === 0) throw new Error('Matrix must be non-empty'); // as ml-matrix
  return a.rows < a.cols ? svdValues(transpose(a).data, a.cols, a.rows) : svdValues(a.data, a.rows, a.cols);
}

/**
 * Singular values of a row-major m×n matrix (m ≥ n), descending: ml-matrix 6.15's
 * `SingularValueDecomposition` (JAMA's Golub–Kahan bidiagonalisation and implicit-shift QR) with
 * `computeLeftSingularVectors` and `computeRightSingularVectors` false, ported operation for operation
 * onto one flat array holding the transpose (at[j·m + i] = A_ij, as ml-matrix's `at`), so that the values
 * are ml-matrix's bit for bit (tested against `svd`). With WebAssembly the bidiagonalisation (all but
 * O(n²) of the work) runs in the `bidiag` kernel of asm/kernels.ts, the same operations in the same order.
 */
function svdValues(a: Float64Array, m: number, n: number): Float64Array {
  const ni = Math.min(m + 1, n), nct = Math.min(m - 1, n), nrt = Math.max(0, Math.min(n - 2, m));
  const s = new Float64Array(ni), e = new Float64Array(n);
  let at: Float64Array;
  const w = wasm64();
  if (w) {
    // at, s, e and work in the module's memory; the bidiagonalisation there, the QR iteration below here
    const sOff = n * m, eOff = sOff + ni, workOff = eOff + n;
    w.reserve((workOff + m) * 8);
    at = w.f64();
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) at[j * m + i] = a[i * n + j];
    w.bidiag(0, m, n, sOff * 8, eOff * 8, workOff * 8);
    s.set(at.subarray(sOff, sOff + ni));
    e.set(at.subarray(eOff, eOff + n));
  } else {
    at = new Float64Array(n * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) at[j * m + i] = a[i * n + j];
    bidiagonalize(at, m, n, s, e);
  }
  let p = Math.min(n, m + 1);
  if (nct < n) s[nct] = at[nct * m + nct];
  if (m < p) s[p - 1] = 0;
  if (nrt + 1 < p) e[nrt] = at[(p - 1) * m + nrt];
  e[p - 1] = 0;
  const pp = p - 1, eps = Number.EPSILON;
  while (p > 0) {
    let k: number, kase: number;
    for (k = p - 2; k >= -1; k--) {
      if (k === -1) break;
      const alpha = Number.MIN_VALUE + eps * Math.abs(s[k] + Math.abs(s[k + 1]));
      if (Math.abs(e[k]) <= alpha || Number.isNaN(e[k])) { e[k] = 0; break; }
    }
    if (k === p - 2) {
      kase = 4;
    } else {
      let ks: number;
      for (ks = p - 1; ks >= k; ks--) {
        if (ks === k) break;
        const t = (ks !== p ? Math.abs(e[ks]) : 0) + (ks !== k + 1 ? Math.abs(e[ks - 1]) : 0);
        if (Math.abs(s[ks]) <= eps * t) { s[ks] = 0; break; }
      }
      if (ks === k) kase = 3;
      else if (ks === p - 1) kase = 1;
      else { kase = 2; k = ks; }
    }
    k++;
    switch (kase) {
      case 1: {
        let f = e[p - 2];
        e[p - 2] = 0;
        for (let j = p - 2; j >= k; j--) {
          const t = hypot(s[j], f), cs = s[j] / t, sn = f / t;
          s[j] = t;
          if (j !== k) { f = -sn * e[j - 1]; e[j - 1] = cs * e[j - 1]; }
        }
        break;
      }
      case 2: {
        let f = e[k - 1];
        e[k - 1] = 0;
        for (let j = k; j < p; j++) {
          const t = hypot(s[j], f), cs = s[j] / t, sn = f / t;
          s[j] = t;
          f = -sn * e[j];
          e[j] = cs * e[j];
        }
        break;
      }
      case 3: {
        const scale = Math.max(Math.abs(s[p - 1]), Math.abs(s[p - 2]), Math.abs(e[p - 2]), Math.abs(s[k]), Math.abs(e[k]));
        const sp = s[p - 1] / scale, spm1 = s[p - 2] / scale, epm1 = e[p - 2] / scale, sk = s[k] / scale, ek = e[k] / scale;
        const b = ((spm1 + sp) * (spm1 - sp) + epm1 * epm1) / 2;
        const c = sp * epm1 * (sp * epm1);
        let shift = 0;
        if (b !== 0 || c !== 0) {
          if (b < 0) shift = 0 - Math.sqrt(b * b + c);
          else shift = Math.sqrt(b * b + c);
          shift = c / (b + shift);
        }
        let f = (sk + sp) * (sk - sp) + shift;
        let g = sk * ek;
        for (let j = k; j < p - 1; j++) {
          let t = hypot(f, g);
          if (t === 0) t = Number.MIN_VALUE;
          let cs = f / t, sn = g / t;
          if (j !== k) e[j - 1] = t;
          f = cs * s[j] + sn * e[j];
          e[j] = cs * e[j] - sn * s[j];
          g = sn * s[j + 1];
          s[j + 1] = cs * s[j + 1];
          t = hypot(f, g);
          if (t === 0) t = Number.MIN_VALUE;
          cs = f / t;
          sn = g / t;
          s[j] = t;
          f = cs * e[j] + sn * s[j + 1];
          s[j + 1] = -sn * e[j] + cs * s[j + 1];
          g = sn * e[j + 1];
          e[j + 1] = cs * e[j + 1];
        }
        e[p - 2] = f;
        break;
      }
      case 4: {
        if (s[k] <= 0) s[k] = s[k] < 0 ? -s[k] : 0;
        while (k < pp) {
          if (s[k] >= s[k + 1]) break;
          const t = s[k];
          s[k] = s[k + 1];
          s[k + 1] = t;
          k++;
        }
        p--;
        break;
      }
      // no default
    }
  }
  return s;
}

/**
 * The Householder bidiagonalisation of ml-matrix 6.15's `SingularValueDecomposition` without vectors, on
 * the transpose at of the m×n matrix (at[j·m + i] = A_ij; overwritten), into s and e: `svdValues`'s first
 * phase in JavaScript, and the reference of the WebAssembly `bidiag` kernel.
 */
function bidiagonalize(at: Float64Array, m: number, n: number, s: Float64Array, e: Float64Array): void {
  const work = new Float64Array(m);
  const nct = Math.min(m - 1, n), nrt = Math.max(0, Math.min(n - 2, m)), mrc = Math.max(nct, nrt);
  for (let k = 0; k < mrc; k++) {
    const rk = k * m;
    if (k < nct) {
      s[k] = 0;
      for (let i = k; i < m; i++) s[k] = hypot(s[k], at[rk + i]);
      if (s[k] !== 0) {
        if (at[rk + k] < 0) s[k] = -s[k];
        for (let i = k; i < m; i++) at[rk + i] = at[rk + i] / s[k];
        at[rk + k] = at[rk + k] + 1;
      }
      s[k] = -s[k];
    }
    for (let j = k + 1; j < n; j++) {
      const rj = j * m;
      if (k < nct && s[k] !== 0) {
        let t = 0;
        for (let i = k; i < m; i++) t += at[rk + i] * at[rj + i];
        t = -t / at[rk + k];
        for (let i = k; i < m; i++) at[rj + i] = at[rj + i] + t * at[rk + i];
      }
      e[j] = at[rj + k];
    }
    if (k < nrt) {
      e[k] = 0;
      for (let i = k + 1; i < n; i++) e[k] = hypot(e[k], e[i]);
      if (e[k] !== 0) {
        if (e[k + 1] < 0) e[k] = 0 - e[k];
        for (let i = k + 1; i < n; i++) e[i] /= e[k];
        e[k + 1] += 1;
      }
      e[k] = -e[k];
      if (k + 1 < m && e[k] !== 0) {
        for (let i = k + 1; i < m; i++) work[i] = 0;
        for (let i = k + 1; i < m; i++) for (let j = k + 1; j < n; j++) work[i] += e[j] * at[j * m + i];
        for (let j = k + 1; j < n; j++) {
          const t = -e[j] / e[k + 1], rj = j * m;
          for (let i = k + 1; i < m; i++) at[rj + i] = at[rj + i] + t * work[i];
        }
      }
    }
  }
}
function fromMl(m: Matrix): Mat {
  const out = new Mat(m.rows, m.columns);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.columns; j++) out.data[i * m.columns + j] = m.get(i, j);
  return out;
}

/** Condition number λ_max/λ_min of a symmetric positive definite matrix. */
export function condSym(a: Mat): number {
  const v = eigSym(a).values;
  return v[v.length - 1] / v[0];
}

/**
 * Least squares: argmin_B ||Y − X B||²_F + ridge·||B||²_F, via the normal equations in float64.
 * Returns B (p×q) for X n×p and Y n×q.
 */
export function lstsq(x: Mat, y: Mat, ridge = 0): Mat {
  if (x.rows !== y.rows) throw new RangeError(`lstsq: X has ${x.rows} rows, Y has ${y.rows}`);
  if (!(ridge >= 0)) throw new RangeError(`lstsq: ridge must be >= 0, got ${ridge}`);
  const xtx = mm64(x, x, true, false), xty = mm64(x, y, true, false);
  for (let i = 0; i < xtx.rows; i++) xtx.data[i * xtx.cols + i] += ridge;
  return cholSolve(xtx, xty);
}

/**
 * Orthogonal polar factor of A by the cubic Newton–Schulz iteration X ← 1.5X − 0.5 X Xᵀ X, started
 * from A/||A||_F (so every singular value is in (0, 1], where the iteration converges to 1).
 * Runs `steps` iterations, or until ||X Xᵀ − I|| < tol when `steps` is undefined.
 */
export function newtonSchulz(a: Mat, steps?: number, tol = 1e-12): Mat {
  let norm = 0;
  for (let i = 0, x = a.data; i < x.length; i++) norm += x[i] * x[i];
  norm = Math.sqrt(norm);
  if (norm === 0) return a.clone();
  const tall = a.rows > a.cols;
  let X = tall ? transpose(a) : a.clone();
  for (let i = 0; i < X.data.length; i++) X.data[i] /= norm;
  const maxIt = steps ?? 100;
  const w = steps !== undefined && steps > 0 ? wasm64() : null;
  if (w) {
    // a fixed number of iterations runs whole in the `newtonSchulz` kernel: the loop below, the same bits
    const r = X.rows, c = X.cols, gOff = r * c + 1 & ~1, yOff = gOff + (r * r + 1 & ~1);
    w.reserve((yOff + r * c) * 8);
    const M = w.f64();
    M.set(X.data);
    w.newtonSchulz(0, gOff * 8, yOff * 8, r, c, maxIt);
    X = new Mat(r, c, M.slice(0, r * c));
    return tall ? transpose(X) : X;
  }
  for (let it = 0; it < maxIt; it++) {
    const XXt = mm64(X, X, false, true);
    if (steps === undefined) {
      let err = 0;
      for (let i = 0; i < XXt.rows; i++) for (let j = 0; j < XXt.cols; j++) err = Math.max(err, Math.abs(XXt.get(i, j) - (i === j ? 1 : 0)));
      if (err < tol) break;
    }
    const XXtX = mm64(XXt, X);
    const next = new Mat(X.rows, X.cols);
    for (let i = 0; i < next.data.length; i++) next.data[i] = 1.5 * X.data[i] - 0.5 * XXtX.data[i];
    X = next;
  }
  return tall ? transpose(X) : X;
}
