/**
 * Float64 linear algebra on factor-sized matrices: Cholesky solves, symmetric eigendecompositions and
 * matrix functions, thin QR, SVD, least squares, Newton–Schulz polar factor.
 *
 * Eigen- and singular-value decompositions come from `ml-matrix` (float64, the JAMA algorithms);
 * Cholesky and Householder QR are written here on Float64Array for speed. Nothing here goes through
 * the float32 engine: every product inside these routines is float64.
 */
import { EigenvalueDecomposition, Matrix, SingularValueDecomposition } from 'ml-matrix';
import { Mat, transpose, symmetrize, eye } from './mat.js';
import { matmulF64 } from './kernels.js';

/** Float64 product regardless of the active engine. */
export function mm64(a: Mat, b: Mat, transA = false, transB = false): Mat {
  const m = transA ? a.cols : a.rows, k = transA ? a.rows : a.cols, n = transB ? b.rows : b.cols;
  const kb = transB ? b.cols : b.rows;
  if (k !== kb) throw new RangeError(`mm64: inner dimensions ${k} and ${kb} differ`);
  return new Mat(m, n, matmulF64(a.data, a.rows, a.cols, transA, b.data, b.rows, b.cols, transB, m, k, n));
}

function square(a: Mat, name: string): number {
  if (a.rows !== a.cols) throw new RangeError(`${name}: matrix must be square, got ${a.rows}x${a.cols}`);
  return a.rows;
}

/** Lower-triangular L with A = L Lᵀ. Throws when A is not (numerically) positive definite. */
export function cholesky(a: Mat): Mat {
  const n = square(a, 'cholesky'), A = a.data, L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let s = A[j * n + j];
    for (let p = 0; p < j; p++) s -= L[j * n + p] * L[j * n + p];
    if (!(s > 0)) throw new RangeError(`cholesky: matrix is not positive definite (pivot ${j} = ${s}); add damping`);
    const ljj = Math.sqrt(s);
    L[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let t = A[i * n + j];
      for (let p = 0; p < j; p++) t -= L[i * n + p] * L[j * n + p];
      L[i * n + j] = t / ljj;
    }
  }
  return new Mat(n, n, L);
}

/** X with A X = B for symmetric positive definite A (Cholesky, float64). */
export function cholSolve(a: Mat, b: Mat): Mat {
  square(a, 'cholSolve');
  return cholSolveL(cholesky(a), b);
}

/** X with L Lᵀ X = B, for a Cholesky factor L from `cholesky` (reuse one factor for many solves). */
export function cholSolveL(l: Mat, b: Mat): Mat {
  const n = l.rows;
  if (b.rows !== n) throw new RangeError(`cholSolve: B has ${b.rows} rows, A is ${n}x${n}`);
  const L = l.data, m = b.cols, X = b.data.slice();
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < n; i++) { // forward: L y = b
      let s = X[i * m + c];
      for (let p = 0; p < i; p++) s -= L[i * n + p] * X[p * m + c];
      X[i * m + c] = s / L[i * n + i];
    }
    for (let i = n - 1; i >= 0; i--) { // backward: Lᵀ x = y
      let s = X[i * m + c];
      for (let p = i + 1; p < n; p++) s -= L[p * n + i] * X[p * m + c];
      X[i * m + c] = s / L[i * n + i];
    }
  }
  return new Mat(n, m, X);
}

/** B A⁻¹ for symmetric positive definite A: (A⁻¹ Bᵀ)ᵀ. */
export function solveRightSPD(b: Mat, a: Mat): Mat {
  return transpose(cholSolve(a, transpose(b)));
}

/** B A⁻¹ given the Cholesky factor L of A. */
export function solveRightL(b: Mat, l: Mat): Mat {
  return transpose(cholSolveL(l, transpose(b)));
}

/** Inverse of a symmetric positive definite matrix. */
export function invSPD(a: Mat): Mat { return cholSolve(a, eye(a.rows)); }

export interface SymEig { values: Float64Array; vectors: Mat } // ascending values; columns of `vectors`

/** Eigendecomposition A = V diag(λ) Vᵀ of a symmetric matrix, eigenvalues ascending. */
export function eigSym(a: Mat): SymEig {
  const n = square(a, 'eigSym');
  const s = symmetrize(a);
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) rows.push(Array.from(s.data.subarray(i * n, (i + 1) * n)));
  const e = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
  const vals = e.realEigenvalues, V = e.eigenvectorMatrix;
  const order = vals.map((v, i) => i).sort((i, j) => vals[i] - vals[j]);
  const out = new Mat(n, n), values = new Float64Array(n);
  order.forEach((src, dst) => {
    values[dst] = vals[src];
    for (let i = 0; i < n; i++) out.data[i * n + dst] = V.get(i, src);
  });
  return { values, vectors: out };
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

/** Thin QR of an m×n matrix (m ≥ n) by Householder reflections: Q m×n with orthonormal columns, R n×n. */
export function qr(a: Mat): { Q: Mat; R: Mat } {
  const m = a.rows, n = a.cols;
  if (m < n) throw new RangeError(`qr: needs rows >= cols, got ${m}x${n}`);
  const A = a.data.slice(), vs: Float64Array[] = [];
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += A[i * n + k] ** 2;
    norm = Math.sqrt(norm);
    const v = new Float64Array(m - k);
    const alpha = A[k * n + k] > 0 ? -norm : norm;
    for (let i = k; i < m; i++) v[i - k] = A[i * n + k];
    v[0] -= alpha;
    let vn = 0;
    for (const x of v) vn += x * x;
    if (vn > 0) {
      for (let j = k; j < n; j++) {
        let s = 0;
        for (let i = k; i < m; i++) s += v[i - k] * A[i * n + j];
        s = (2 * s) / vn;
        for (let i = k; i < m; i++) A[i * n + j] -= s * v[i - k];
      }
    }
    vs.push(vn > 0 ? v.map((x) => x / Math.sqrt(vn)) : v);
  }
  const R = new Mat(n, n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) R.data[i * n + j] = A[i * n + j];
  // Q = H_0 ... H_{n-1} applied to the first n columns of I.
  const Q = new Float64Array(m * n);
  for (let i = 0; i < n; i++) Q[i * n + i] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k];
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = k; i < m; i++) s += v[i - k] * Q[i * n + j];
      s *= 2;
      for (let i = k; i < m; i++) Q[i * n + j] -= s * v[i - k];
    }
  }
  // Make R's diagonal non-negative so the factorisation is unique.
  for (let i = 0; i < n; i++) {
    if (R.data[i * n + i] < 0) {
      for (let j = 0; j < n; j++) R.data[i * n + j] = -R.data[i * n + j];
      for (let r = 0; r < m; r++) Q[r * n + i] = -Q[r * n + i];
    }
  }
  return { Q: new Mat(m, n, Q), R };
}

/** A matrix with orthonormal rows spanning the row space of G (k×d, k ≤ d, full row rank). */
export function orthonormalRows(g: Mat): Mat { return transpose(qr(transpose(g)).Q); }

export interface Svd { U: Mat; s: Float64Array; V: Mat } // thin: A = U diag(s) Vᵀ, s descending

/** Thin singular value decomposition (float64). */
export function svd(a: Mat): Svd {
  const wide = a.rows < a.cols;
  const src = wide ? transpose(a) : a; // ml-matrix's SVD wants rows >= cols
  const e = new SingularValueDecomposition(new Matrix(src.toArray()), { autoTranspose: false });
  const U = fromMl(e.leftSingularVectors), V = fromMl(e.rightSingularVectors);
  const s = Float64Array.from(e.diagonal);
  return wide ? { U: V, s, V: U } : { U, s, V };
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
  for (const v of a.data) norm += v * v;
  norm = Math.sqrt(norm);
  if (norm === 0) return a.clone();
  const tall = a.rows > a.cols;
  let X = tall ? transpose(a) : a.clone();
  for (let i = 0; i < X.data.length; i++) X.data[i] /= norm;
  const maxIt = steps ?? 100;
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
