/**
 * One Kronecker-factor block, shared by KFAC (power −1), Shampoo (−1/4, −1/2) and SOAP (eigenbasis),
 * and by Model B's preconditioned step (as kfac-jax's curvature block): a factor A of one side of one
 * weight matrix is
 *
 * 1. **estimated** from a per-step statistic Â_t (Σ̂ = XᵀX/n, FᵀF, g gᵀ, gᵀg) by an average
 *    (`FactorAverage`):
 *    $$A_t = \beta A_{t-1} + (1-\beta)\hat A_t \ \ (\texttt{ema}),\qquad A_t = A_{t-1} + \hat A_t \ \ (\texttt{sum}),$$
 *    started either at the first statistic ($A_1 = \hat A_1$, KFAC) or at zero ($A_0 = 0$, Shampoo, SOAP);
 * 2. **refreshed** every k-th estimate (`refreshDue`: at estimates 1, 1 + k, 1 + 2k, …): a cache holds
 *    the damped power $(A + \lambda I)^{p}$ (a Cholesky factor for p = −1, else an eigendecomposition),
 *    or the eigenbasis of A (SOAP);
 * 3. **applied** to a matrix from the left ($(A + \lambda I)^p V$) or the right ($V (A + \lambda I)^p$).
 *
 * Rank-deficient factors (n < d, a one-sample statistic, a rank-r gradient) are handled as a typed
 * option, `RankDeficiency`, never a constant buried in a function: either damping (add λI before the
 * power; λ = 0 keeps the exact inverse, which fails with a clear error on a singular factor) or a
 * pseudo-inverse power with a stated relative cut (eigenvalues ≤ rcond·λ_max map to 0), as Distributed
 * Shampoo's `matrix_functions_types`.
 *
 * Everything here is float64 and pure: functions return new states and never mutate their inputs.
 */
import { Mat, addDiag, axpy, eye, matmul, matmulNT, matmulTN, scale, transpose } from '../mat.js';
import { cholesky, cholSolveL, eigSym, eigSymFactors, eigTimesFn, fromEig, qr, solveRightL, symPow, type SymEigFactors } from '../linalg.js';
import type { MatrixTransform } from './types.js';

/** How a factor that may be singular is raised to a negative power. */
export type RankDeficiency =
  /** (A + λI)^p; eigenvalues clipped at 0 first. λ = 0 with p = −1: exact Cholesky inverse (errors if singular). */
  | { kind: 'damping'; damping: number }
  /** Pseudo-inverse power: eigenvalues ≤ rcond·max(λ_max, 0) (and ≤ 0) map to 0, the others to λ^p. */
  | { kind: 'pseudo-inverse'; rcond: number };

/**
 * How the estimate averages the statistics. `ema` with `start: 'first'` sets A₁ = Â₁ (KFAC's moving
 * average; β = 0 keeps only the current statistic); `start: 'zero'` sets A₀ = 0. `arithmetic: 'lerp'`
 * evaluates the same average as A + (1 − β)(Â − A), torch's `lerp_` (SOAP's reference); the default
 * evaluates βA + (1 − β)Â. The two agree up to rounding.
 */
export type FactorAverage =
  | { kind: 'sum' }
  | { kind: 'ema'; decay: number; start: 'first' | 'zero'; arithmetic?: 'weighted' | 'lerp' };

/** The cached power or basis of the last refresh. */
export type FactorCache =
  /** Cholesky factor L of A + λI: applies (A + λI)^{-1} by two triangular solves. */
  | { kind: 'cholesky'; L: Mat }
  /** The matrix (A + λI)^p (or its pseudo-inverse power) itself. */
  | { kind: 'matrix'; P: Mat }
  /** Orthogonal Q whose columns are A's eigenvectors, eigenvalues descending. */
  | { kind: 'basis'; Q: Mat };

/** The state of one factor: the estimate, how many statistics it has seen, and the cache. */
export interface FactorState { readonly estimate: Mat | null; readonly count: number; readonly cache: FactorCache | null }

/** What `refresh` caches: a damped power p (p = 0 gives I exactly), or the eigenbasis. */
export type FactorRoot =
  | { power: number; rankDeficiency: RankDeficiency }
  | { basis: 'eigh' };

export const factorInit = (): FactorState => ({ estimate: null, count: 0, cache: null });

/** The averaged estimate after statistic `stat` (a new matrix, or `stat` itself where that is exact). */
export function averageFactor(prev: Mat | null, stat: Mat, avg: FactorAverage): Mat {
  if (avg.kind === 'sum') {
    if (!prev) return stat;
    const out = new Mat(stat.rows, stat.cols), o = out.data, p = prev.data, q = stat.data;
    for (let i = 0; i < o.length; i++) o[i] = p[i] + q[i];
    return out;
  }
  const beta = avg.decay;
  if (avg.arithmetic === 'lerp') {
    // prev + w (stat − prev) with w = 1 − β, prev = 0 when absent (torch lerp_ semantics)
    const w = 1 - beta, out = new Mat(stat.rows, stat.cols), o = out.data, t = stat.data, p = prev?.data;
    for (let i = 0; i < o.length; i++) { const a = p ? p[i] : 0; o[i] = a + w * (t[i] - a); }
    return out;
  }
  if (avg.start === 'first') return prev && beta > 0 ? axpy(beta, prev, scale(stat, 1 - beta)) : stat;
  if (!prev) return scale(stat, 1 - beta);
  const out = new Mat(stat.rows, stat.cols), o = out.data, p = prev.data, q = stat.data;
  for (let i = 0; i < o.length; i++) o[i] = beta * p[i] + (1 - beta) * q[i];
  return out;
}

/** Fold one statistic into the estimate (the cache is kept: refresh it with `refresh`). */
export function updateEstimate(s: FactorState, stat: Mat, avg: FactorAverage): FactorState {
  return { estimate: averageFactor(s.estimate, stat, avg), count: s.count + 1, cache: s.cache };
}

/** Whether the cache is due: at the 1st, (1 + k)th, (1 + 2k)th, … estimate, or when there is none. */
export const refreshDue = (s: FactorState, every: number): boolean => s.cache === null || (s.count - 1) % every === 0;

/**
 * (A + λI)^p (or the pseudo-inverse power) of a symmetric positive semi-definite A, in float64, by
 * eigendecomposition. p = 0 gives the identity exactly.
 */
export function dampedPower(a: Mat, p: number, rd: RankDeficiency): Mat {
  if (p === 0) {
    const id = new Mat(a.rows, a.cols);
    for (let i = 0; i < a.rows; i++) id.data[i * a.cols + i] = 1;
    return id;
  }
  if (rd.kind === 'damping') return symPow(a, p, rd.damping);
  const e = eigSym(a);
  const cut = rd.rcond * Math.max(0, e.values[e.values.length - 1] ?? 0);
  return fromEig(e, (l) => (l > cut && l > 0 ? Math.pow(l, p) : 0));
}

/**
 * A damped power (A + λI)^p (or the pseudo-inverse power) of a symmetric positive semi-definite A, held
 * as A's factored eigendecomposition (`linalg.eigSymFactors`) and the map of its eigenvalues, and
 * applied without forming the n×n matrix: V ↦ V (A + λI)^p (`rootRight`) and V ↦ (A + λI)^p V
 * (`rootLeft`) cost O(m n²) for m rows (columns) of V, against O(n³) for `dampedPower` and its product.
 * The same numbers as `dampedPower` up to rounding (the same eigenvalues, bit for bit, the same map).
 * Plain data (optimizer states hold it); `factors` null is the identity (p = 0), applied exactly.
 */
export interface PowerRoot {
  readonly n: number;
  readonly factors: SymEigFactors | null;
  /** The mapped eigenvalues, (λ_j clipped at 0 + λ)^p or the pseudo-inverse power, in the order of `factors.values`. */
  readonly scale: Float64Array | null;
}

/** `dampedPower` as a `PowerRoot`. */
export function dampedPowerRoot(a: Mat, p: number, rd: RankDeficiency): PowerRoot {
  const n = a.rows;
  if (p === 0) return { n, factors: null, scale: null };
  const factors = eigSymFactors(a), lam = factors.values;
  let scale: Float64Array;
  if (rd.kind === 'damping') scale = Float64Array.from(lam, (l) => Math.pow(Math.max(l, 0) + rd.damping, p));
  else {
    const cut = rd.rcond * Math.max(0, lam[lam.length - 1] ?? 0);
    scale = Float64Array.from(lam, (l) => (l > cut && l > 0 ? Math.pow(l, p) : 0));
  }
  return { n, factors, scale };
}

/** V (A + λI)^p for V with n columns (V itself for the identity root). */
export const rootRight = (r: PowerRoot, v: Mat): Mat => (r.factors ? eigTimesFn(r.factors, v, r.scale!) : v);
/** (A + λI)^p V for V with n rows. */
export const rootLeft = (r: PowerRoot, v: Mat): Mat => (r.factors ? transpose(eigTimesFn(r.factors, transpose(v), r.scale!)) : v);
/** The n×n matrix (A + λI)^p itself (for inspection and tests: O(n³)). */
export const rootMatrix = (r: PowerRoot): Mat => rootRight(r, eye(r.n));

/** Eigenvectors of a symmetric matrix as columns, eigenvalues descending (float64). */
export function eigenbasis(a: Mat): Mat {
  const { vectors } = eigSym(a), n = a.rows, out = new Mat(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out.data[i * n + j] = vectors.data[i * n + (n - 1 - j)];
  return out;
}

/**
 * SOAP's refresh of a basis from the factor f and the old basis q: the old basis vectors sorted by
 * their Rayleigh quotients under f (`order`: new position i ↔ old column order[i]), and the new basis,
 * either f's eigenbasis (`'eigh'`) or one power iteration with QR from the sorted old basis (`'power-qr'`).
 */
export function refreshBasis(f: Mat, q: Mat, mode: 'eigh' | 'power-qr'): { Q: Mat; order: number[] } {
  const n = f.rows, fq = matmul(f, q);
  const est = new Float64Array(n); // diag(qᵀ f q): Rayleigh quotients of the old basis vectors
  for (let j = 0; j < n; j++) { let s = 0; for (let i = 0; i < n; i++) s += q.data[i * n + j] * fq.data[i * n + j]; est[j] = s; }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => est[b] - est[a] || a - b);
  if (mode === 'eigh') return { Q: eigenbasis(f), order };
  const sortedFq = new Mat(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) sortedFq.data[i * n + j] = fq.data[i * n + order[j]];
  return { Q: qr(sortedFq).Q, order };
}

/** The cache for `root` computed from the estimate. */
export function computeCache(estimate: Mat, root: FactorRoot): FactorCache {
  if ('basis' in root) return { kind: 'basis', Q: eigenbasis(estimate) };
  const rd = root.rankDeficiency;
  if (root.power === -1 && rd.kind === 'damping') return { kind: 'cholesky', L: cholesky(addDiag(estimate, rd.damping)) };
  return { kind: 'matrix', P: dampedPower(estimate, root.power, rd) };
}

/** Recompute the cache from the current estimate. */
export function refresh(s: FactorState, root: FactorRoot): FactorState {
  if (!s.estimate) throw new RangeError('factor: refresh needs an estimate (call updateEstimate first)');
  return { ...s, cache: computeCache(s.estimate, root) };
}

/** One step of the block: fold in the statistic, refresh the cache when due (every `every` estimates). */
export function stepFactor(s: FactorState, stat: Mat, o: { average: FactorAverage; every: number; root: FactorRoot }): FactorState {
  const next = updateEstimate(s, stat, o.average);
  return refreshDue(next, o.every) ? refresh(next, o.root) : next;
}

function cacheOf(s: FactorState | FactorCache): FactorCache {
  const c = 'kind' in s ? s : s.cache;
  if (!c) throw new RangeError('factor: no cached power yet (refresh the factor first)');
  return c;
}

/** (A + λI)^p V from the cache (a basis cache gives Qᵀ V, the rotation into the eigenbasis). */
export function applyLeft(s: FactorState | FactorCache, v: Mat): Mat {
  const c = cacheOf(s);
  if (c.kind === 'cholesky') return cholSolveL(c.L, v);
  if (c.kind === 'matrix') return matmul(c.P, v);
  return matmulTN(c.Q, v);
}

/** V (A + λI)^p from the cache (a basis cache gives V Q). */
export function applyRight(s: FactorState | FactorCache, v: Mat): Mat {
  const c = cacheOf(s);
  if (c.kind === 'cholesky') return solveRightL(v, c.L);
  if (c.kind === 'matrix') return matmul(v, c.P);
  return matmul(v, c.Q);
}

/** Q_Lᵀ X Q_R and back, Q_L X Q_Rᵀ (null = identity on that side): rotations into an eigenbasis. */
export function rotateIn(x: Mat, QL: Mat | null, QR: Mat | null): Mat {
  let y = QL ? matmulTN(QL, x) : x;
  if (QR) y = matmul(y, QR);
  return y;
}
export function rotateOut(x: Mat, QL: Mat | null, QR: Mat | null): Mat {
  let y = QL ? matmul(QL, x) : x;
  if (QR) y = matmulNT(y, QR);
  return y;
}

/**
 * A per-matrix piece that applies fixed, already refreshed factors: u ↦ (A_L + λI)^p u (A_R + λI)^p
 * (either side may be absent). Model B's preconditioned step is `chain(preconditionByFactors({ right:
 * Σ̂ block }), scaleByLearningRate(η))`.
 */
export function preconditionByFactors(f: { left?: FactorState | FactorCache; right?: FactorState | FactorCache }): MatrixTransform<null> {
  return {
    init: () => null,
    update(u) {
      let d = u;
      if (f.right) d = applyRight(f.right, d);
      if (f.left) d = applyLeft(f.left, d);
      return { u: d, state: null };
    },
  };
}
