/**
 * Metrics (DIGEST, Model A "Metric" and Model B): subspace distance and principal angles, vector
 * alignment, training loss, transfer loss, test error. All in float64, whatever the engine.
 *
 * - dist(G, G*) = ||(I − Q*ᵀQ*) Qᵀ||₂, with Q (resp. Q*) orthonormal rows spanning the row space of G
 *   (resp. G*; G* is re-orthonormalised, so any full-rank G* may be passed). For equal ranks this is the
 *   sine of the largest principal angle. It depends on G only through its row space, so
 *   dist(A G, G*) = dist(G, G*) for every invertible A. The residual matrix (I − Q*ᵀQ*)Qᵀ is formed
 *   explicitly and its largest singular value taken, so small distances keep full absolute accuracy
 *   (no 1 − cos² cancellation).
 * - Principal angles θ_1 ≤ … ≤ θ_m (m = smaller rank): cosines are the singular values of Q_S Q_Lᵀ,
 *   sines the singular values of (I − Q_Lᵀ Q_L) Q_Sᵀ (S the smaller, L the larger subspace); each angle
 *   is taken from its sine when cos² ≥ 1/2 and from its cosine otherwise (accurate for all angles).
 * - Losses use the Model A convention L̂ = ||Y − Ŷ||²_F / (2n). `transferLoss` fits a fresh head F on
 *   target-task features Z = X Gᵀ by least squares (float64 normal equations; optional ridge) and reports
 *   L̂ of (F, G) on an independent target batch. `mse` is (1/n) Σ ||y − ŷ||² (no factor 1/2), the test
 *   error of Model B.
 */
import { Mat, transpose } from './mat.js';
import { lstsq, mm64, qr, singularValues } from './linalg.js';
import type { Rng } from './rng.js';
import { type Batch, type LinearTeacher, sampleLinear } from './data/teachers.js';
import { checkFiniteArray, checkInt, checkKeys, checkReal } from './validate.js';

/**
 * k×d matrix with orthonormal rows spanning the row space of G (k×d, k ≤ d). Throws when G does not
 * have full row rank (a diagonal entry of R below 1e-12·max).
 */
export function rowBasis(G: Mat, fn = 'rowBasis'): Mat {
  if (G.rows < 1 || G.rows > G.cols) throw new RangeError(`${fn}: G must be k×d with 1 <= k <= d, got ${G.rows}x${G.cols}`);
  for (let i = 0, x = G.data; i < x.length; i++) if (!Number.isFinite(x[i])) throw new RangeError(`${fn}: G has a non-finite entry`);
  const { Q, R } = qr(transpose(G));
  let mx = 0;
  for (let i = 0; i < R.rows; i++) mx = Math.max(mx, Math.abs(R.get(i, i)));
  for (let i = 0; i < R.rows; i++) {
    if (!(Math.abs(R.get(i, i)) > 1e-12 * mx)) throw new RangeError(`${fn}: G must have full row rank (${G.rows})`);
  }
  return transpose(Q);
}

/** (I − Q_Bᵀ Q_B) Q_Aᵀ, d×k_A, for orthonormal-row Q_A, Q_B. */
function residual(QA: Mat, QB: Mat): Mat {
  const proj = mm64(QB, QA, false, true); // k_B×k_A
  const back = mm64(QB, proj, true, false); // d×k_A
  const out = transpose(QA);
  for (let i = 0; i < out.data.length; i++) out.data[i] -= back.data[i];
  return out;
}

/** dist(G, G*) = ||(I − Q*ᵀQ*) Qᵀ||₂ (see the module comment). G and G* need the same d. */
export function subspaceDistance(G: Mat, Gstar: Mat): number {
  if (G.cols !== Gstar.cols) throw new RangeError(`subspaceDistance: G has d = ${G.cols}, G* has d = ${Gstar.cols}`);
  const Q = rowBasis(G, 'subspaceDistance'), Qs = rowBasis(Gstar, 'subspaceDistance');
  return Math.min(1, singularValues(residual(Q, Qs))[0]);
}

/**
 * dist(·, G*) for a fixed G*, for a metric evaluated at every step: `subspaceDistanceTo(Gstar)(G)`
 * equals `subspaceDistance(G, Gstar)` bit for bit (same errors, in the same order), with G*'s row basis
 * computed at the first call and kept. G* is read then: changing its entries afterwards is not seen.
 */
export function subspaceDistanceTo(Gstar: Mat): (G: Mat) => number {
  let Qs: Mat | null = null;
  return (G) => {
    if (G.cols !== Gstar.cols) throw new RangeError(`subspaceDistance: G has d = ${G.cols}, G* has d = ${Gstar.cols}`);
    const Q = rowBasis(G, 'subspaceDistance');
    Qs ??= rowBasis(Gstar, 'subspaceDistance');
    return Math.min(1, singularValues(residual(Q, Qs))[0]);
  };
}

/** Principal angles (radians, ascending) between the row spaces of A and B (same d). */
export function principalAngles(A: Mat, B: Mat): Float64Array {
  if (A.cols !== B.cols) throw new RangeError(`principalAngles: A has d = ${A.cols}, B has d = ${B.cols}`);
  let QS = rowBasis(A, 'principalAngles'), QL = rowBasis(B, 'principalAngles');
  if (QS.rows > QL.rows) [QS, QL] = [QL, QS];
  const m = QS.rows;
  const cos = singularValues(mm64(QS, QL, false, true)); // descending → angles ascending
  const sin = Array.from(singularValues(residual(QS, QL))).sort((x, y) => x - y); // ascending
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const c = Math.min(1, Math.max(0, cos[i])), s = Math.min(1, Math.max(0, sin[i]));
    out[i] = c * c >= 0.5 ? Math.asin(s) : Math.acos(c);
  }
  return out;
}

/** ⟨u, v⟩/(||u|| ||v||) (signed). Throws for different lengths or a zero vector. */
export function cosine(u: ArrayLike<number>, v: ArrayLike<number>): number {
  if (u.length !== v.length) throw new RangeError(`cosine: lengths ${u.length} and ${v.length} differ`);
  checkFiniteArray('cosine', 'u', u);
  checkFiniteArray('cosine', 'v', v);
  // scaled by the largest entries, so that squares of entries near 1e154 or 1e-160 neither overflow nor vanish
  let su = 0, sv = 0;
  for (let i = 0; i < u.length; i++) { su = Math.max(su, Math.abs(u[i])); sv = Math.max(sv, Math.abs(v[i])); }
  if (!(su > 0 && sv > 0)) throw new RangeError('cosine: both vectors must be nonzero and finite');
  let uv = 0, uu = 0, vv = 0;
  for (let i = 0; i < u.length; i++) { const a = u[i] / su, b = v[i] / sv; uv += a * b; uu += a * a; vv += b * b; }
  return Math.max(-1, Math.min(1, uv / Math.sqrt(uu * vv)));
}

/** |cos| of the angle between two lines (sign-free alignment). */
export const alignment = (u: ArrayLike<number>, v: ArrayLike<number>): number => Math.abs(cosine(u, v));

/** (1/n) Σ_k ||y_k − ŷ_k||² for vectors (length n) or matrices (n rows). */
export function mse(pred: ArrayLike<number> | Mat, y: ArrayLike<number> | Mat): number {
  const p = pred instanceof Mat ? pred.data : pred, t = y instanceof Mat ? y.data : y;
  const n = y instanceof Mat ? y.rows : y.length;
  if (p.length !== t.length) throw new RangeError(`mse: sizes ${p.length} and ${t.length} differ`);
  if (n < 1) throw new RangeError('mse: needs at least one sample');
  checkFiniteArray('mse', 'pred', p);
  checkFiniteArray('mse', 'y', t);
  let s = 0;
  for (let i = 0; i < t.length; i++) s += (t[i] - p[i]) ** 2;
  if (!Number.isFinite(s / n)) throw new RangeError(`mse: the mean squared error of pred and y overflows (differences too large to square in float64)`);
  return s / n;
}

/** L̂(F, G) = ||Y − X Gᵀ Fᵀ||²_F / (2n) in float64 (F d_y×k, G k×d). */
export function linearLoss(F: Mat, G: Mat, b: Batch): number {
  if (F.cols !== G.rows) throw new RangeError(`linearLoss: F is ${F.rows}x${F.cols}, G is ${G.rows}x${G.cols}`);
  if (b.X.cols !== G.cols || b.Y.cols !== F.rows || b.X.rows !== b.Y.rows) {
    throw new RangeError(`linearLoss: batch X ${b.X.rows}x${b.X.cols}, Y ${b.Y.rows}x${b.Y.cols} do not fit F ${F.rows}x${F.cols}, G ${G.rows}x${G.cols}`);
  }
  const P = mm64(mm64(b.X, G, false, true), F, false, true);
  return mse(P, b.Y) / 2;
}

/** Training loss of a Model A student {F, G} on a batch (float64, L̂ convention). */
export const trainingLoss = (p: { F: Mat; G: Mat }, b: Batch): number => linearLoss(p.F, p.G, b);

/** Least-squares head for a representation G on a batch: F = argmin ||Y − Z Fᵀ||² + ridge||F||², Z = X Gᵀ. */
export function fitHead(G: Mat, b: Batch, ridge = 0): Mat {
  if (b.X.cols !== G.cols) throw new RangeError(`fitHead: X has ${b.X.cols} columns, G expects d = ${G.cols}`);
  checkReal('fitHead', 'ridge', ridge, { min: 0 });
  if (ridge === 0 && b.X.rows < G.rows) throw new RangeError(`fitHead: needs n >= k = ${G.rows} without ridge, got n = ${b.X.rows}`);
  const Z = mm64(b.X, G, false, true);
  return transpose(lstsq(Z, b.Y, ridge));
}

/** Transfer loss on given batches: head fitted on `fit`, L̂ on `test`. */
export function transferLossOnBatches(G: Mat, fit: Batch, test: Batch, ridge = 0): number {
  return linearLoss(fitHead(G, fit, ridge), G, test);
}

/**
 * Transfer loss of representation G on a target task: draw a fit batch (nFit) and a test batch (nTest)
 * from the target teacher (in that order), fit the head on the first, report L̂ on the second.
 */
export function transferLoss(
  G: Mat, target: LinearTeacher, rng: Rng, o: { nFit: number; nTest: number; ridge?: number; task?: number },
): number {
  checkKeys('transferLoss', 'options', o, ['nFit', 'nTest', 'ridge', 'task']);
  checkInt('transferLoss', 'nFit', o.nFit, 1);
  checkInt('transferLoss', 'nTest', o.nTest, 1);
  if (G.cols !== target.d) throw new RangeError(`transferLoss: G has d = ${G.cols}, the target has d = ${target.d}`);
  const fit = sampleLinear(target, o.nFit, rng, o.task ?? 0);
  const test = sampleLinear(target, o.nTest, rng, o.task ?? 0);
  return transferLossOnBatches(G, fit, test, o.ridge ?? 0);
}
