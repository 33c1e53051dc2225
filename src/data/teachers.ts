/**
 * Teachers (DIGEST, Model A and Model B) and fresh-batch samplers.
 *
 * Model A (linear representation learning): y = F* G* x + ε, ε ~ N(0, σ_ε² I_{d_y}).
 * - G* (k×d) has orthonormal rows, Haar-distributed: G* = Qᵀ with Q the sign-fixed QR factor of a d×k
 *   Gaussian matrix.
 * - F* (d_y×k, d_y ≥ k, rank k) = U diag(s) Vᵀ with U (d_y×k) and V (k×k) Haar and singular values
 *   geometric from 1 down to 1/κ_F: s_i = κ_F^{-(i-1)/(k-1)}. So σ_max(F*) = 1 and κ(F*) = κ_F exactly
 *   (k = 1 requires κ_F = 1).
 * - T heads F*_1..F*_T share G*, drawn independently with the same κ_F.
 *
 * Model B (single index): y = σ*(⟨β*, x⟩) + ε, ε ~ N(0, σ_ε²), β* scaled so that β*ᵀΣβ* = 1 (then
 * ξ = ⟨β*, x⟩ ~ N(0, 1) for Gaussian inputs). Links:
 * - 'relu': σ*(ξ) = max(ξ, 0);
 * - 'tanh': σ*(ξ) = tanh(ξ);
 * - 'poly': σ*(ξ) = a₁ He₁(ξ) + a₂ He₂(ξ)/√2 = a₁ ξ + a₂ (ξ² − 1)/√2 (defaults a₁ = a₂ = 1): a linear part
 *   with c₁ = a₁ plus a unit-variance quadratic part that no linear estimator can see;
 * - 'linear': σ*(ξ) = ξ;
 * - or a custom {name, f, df}.
 * Moments (all of ξ ~ N(0, 1)): c₁ = E σ*'(ξ) = E[ξ σ*(ξ)] (Stein), s² = E y² = E σ*(ξ)² + σ_ε²,
 * E r² = s² − c₁² for r = y − c₁ ξ (since E[ξ y] = c₁ and E ξ² = 1), and m₄ = E[y² ξ²] = E[σ*(ξ)² ξ²] + σ_ε²
 * (used by the finite-n refinement of B2). Closed forms for relu, poly and linear; Gauss–Hermite
 * quadrature (`gaussHermite.ts`, 200 nodes) for tanh and custom links; never sampling. With the
 * Rademacher input law ξ is not Gaussian, and these moments are the Gaussian-input values.
 */
import { Mat, matmul } from '../mat.js';
import { mm64 } from '../linalg.js';
import type { Rng } from '../rng.js';
import { type Covariance, covApply, covEigenvector, haarOrthogonal, haarStiefel } from './covariance.js';
import { type InputLaw, inputSampler, sampleInputs } from './inputs.js';
import { gaussianExpectation } from './gaussHermite.js';
import { checkInt, checkReal, checkFiniteArray, checkKeys, checkOneOf, checkDim, showValue } from '../validate.js';
import { checkCovariance } from './inputs.js';

// ================================================================ Model A

export interface LinearTeacher {
  readonly d: number; readonly k: number; readonly dy: number;
  /** G* (k×d), orthonormal rows. */
  readonly G: Mat;
  /** F*_t (d_y×k), t = 0..T−1. */
  readonly heads: Mat[];
  readonly kappaF: number;
  readonly noise: number;
  readonly cov: Covariance;
  readonly law: InputLaw;
}

export interface LinearTeacherOptions {
  cov: Covariance;
  k: number;
  dy: number;
  /** κ(F*) ≥ 1 (default 1). */
  kappaF?: number;
  /** σ_ε ≥ 0 (default 0). */
  noise?: number;
  /** Number of heads T ≥ 1 (default 1). */
  tasks?: number;
  law?: InputLaw;
}

/** Haar k×d matrix with orthonormal rows (k ≤ d). */
export function haarOrthonormalRows(k: number, d: number, rng: Rng): Mat {
  checkInt('haarOrthonormalRows', 'd', d, 1);
  checkInt('haarOrthonormalRows', 'k', k, 1, d);
  const Q = haarStiefel(d, k, rng), G = new Mat(k, d);
  for (let i = 0; i < d; i++) for (let j = 0; j < k; j++) G.data[j * d + i] = Q.data[i * k + j];
  return G;
}

/** s_i = κ_F^{-(i-1)/(k-1)}, i = 1..k ([1] when k = 1, which needs κ_F = 1). */
export function headSingularValues(k: number, kappaF: number): Float64Array {
  checkInt('headSingularValues', 'k', k, 1);
  checkReal('headSingularValues', 'kappaF', kappaF, { min: 1 });
  if (k === 1 && kappaF !== 1) throw new RangeError(`headSingularValues: kappaF must be 1 when k = 1 (a d_y×1 head has condition number 1), got ${kappaF}`);
  const s = new Float64Array(k);
  for (let i = 0; i < k; i++) s[i] = k === 1 ? 1 : Math.pow(kappaF, -i / (k - 1));
  return s;
}

/** F = U diag(s) Vᵀ, d_y×k, with U, V Haar and s from `headSingularValues`: κ(F) = κ_F, σ_max = 1. */
export function headWithCondition(dy: number, k: number, kappaF: number, rng: Rng): Mat {
  checkInt('headWithCondition', 'k', k, 1);
  checkInt('headWithCondition', 'dy', dy, k);
  const s = headSingularValues(k, kappaF);
  const U = haarStiefel(dy, k, rng), V = haarOrthogonal(k, rng);
  const Us = U.clone();
  for (let i = 0; i < dy; i++) for (let j = 0; j < k; j++) Us.data[i * k + j] *= s[j];
  return mm64(Us, V, false, true);
}

const LINEAR_KEYS = ['cov', 'k', 'dy', 'kappaF', 'noise', 'tasks', 'law'] as const;

function checkLinearOptions(fn: string, o: LinearTeacherOptions, extra: readonly string[] = []): void {
  checkKeys(fn, 'options', o, [...LINEAR_KEYS, ...extra]);
  checkCovariance(fn, o.cov);
  checkInt(fn, 'k', o.k, 1, o.cov.d);
  checkDim(fn, 'dy', o.dy, o.k);
  checkReal(fn, 'kappaF', o.kappaF ?? 1, { min: 1 });
  checkReal(fn, 'noise', o.noise ?? 0, { min: 0 });
  checkInt(fn, 'tasks', o.tasks ?? 1, 1, 10_000);
  checkOneOf(fn, 'law', o.law ?? 'gaussian', ['gaussian', 'rademacher']);
}

/** A teacher's parameters are finite (a hand-built or edited teacher with NaN would give NaN batches). */
function checkMats(fn: string, named: [string, Mat][]): void {
  for (const [name, m] of named) {
    if (!(m instanceof Mat)) throw new RangeError(`${fn}: ${name} must be a Mat, got ${showValue(m)}`);
    checkFiniteArray(fn, name, m.data);
  }
}

function checkLinearTeacher(fn: string, t: LinearTeacher, task: number): void {
  if (typeof t !== 'object' || t === null) throw new RangeError(`${fn}: teacher must be a LinearTeacher, got ${showValue(t)}`);
  checkReal(fn, 'teacher.noise', t.noise, { min: 0 });
  if (!Array.isArray(t.heads) || t.heads.length < 1) throw new RangeError(`${fn}: teacher.heads must be a non-empty array of Mats`);
  checkInt(fn, 'task', task, 0, t.heads.length - 1);
  checkMats(fn, [['teacher.G', t.G], [`teacher.heads[${task}]`, t.heads[task]]]);
  if (t.G.cols !== t.cov.d || t.heads[task].cols !== t.G.rows) throw new RangeError(`${fn}: teacher shapes disagree (G ${t.G.rows}x${t.G.cols}, heads[${task}] ${t.heads[task].rows}x${t.heads[task].cols}, d = ${t.cov.d})`);
}

/** Model A teacher: draws G* then the T heads from `rng`. Requires 1 ≤ k ≤ d and d_y ≥ k. */
export function makeLinearTeacher(o: LinearTeacherOptions, rng: Rng): LinearTeacher {
  checkLinearOptions('makeLinearTeacher', o);
  const kappaF = o.kappaF ?? 1, T = o.tasks ?? 1;
  const G = haarOrthonormalRows(o.k, o.cov.d, rng);
  const heads: Mat[] = [];
  for (let t = 0; t < T; t++) heads.push(headWithCondition(o.dy, o.k, kappaF, rng));
  return { d: o.cov.d, k: o.k, dy: o.dy, G, heads, kappaF, noise: o.noise ?? 0, cov: o.cov, law: o.law ?? 'gaussian' };
}

/** A Model A batch: X n×d (samples as rows), Y n×d_y. Defined with its sampler; the models import it from here. */
export interface Batch { X: Mat; Y: Mat }

/** A fresh batch {X (n×d), Y (n×d_y)} of task `task`: Y = X G*ᵀ F*ᵀ + σ_ε E. */
export function sampleLinear(t: LinearTeacher, n: number, rng: Rng, task = 0): Batch {
  return linearSampler(t, n, task)(rng);
}

/**
 * `sampleLinear` for a fresh batch every step: the teacher and n are validated once, here, and the
 * teacher is read then (treat it as immutable afterwards); each call of the returned function draws
 * from `rng` exactly what `sampleLinear(t, n, rng, task)` draws (X's draws, then the noise E row by row).
 * `reuse`: every call writes into the same X, Y (and product XGᵀ) and returns them, valid until the next
 * call (`inputSampler`'s option: a training loop's batches, used for one step each).
 */
export function linearSampler(t: LinearTeacher, n: number, task = 0, opts: { reuse?: boolean } = {}): (rng: Rng) => Batch {
  checkLinearTeacher('sampleLinear', t, task);
  checkInt('sampleLinear', 'n', n, 1);
  const inputs = inputSampler(t.cov, n, t.law, opts), G = t.G, F = t.heads[task], noise = t.noise;
  let E: Float64Array | null = null; // the noise draws of one batch (scratch, never handed out)
  const XG = opts.reuse ? new Mat(n, G.rows) : undefined, Yr = opts.reuse ? new Mat(n, F.rows) : undefined;
  return (rng) => {
    const X = inputs(rng);
    const Y = matmul(matmul(X, G, { transB: true, out: XG }), F, { transB: true, out: Yr }), y = Y.data;
    if (noise > 0) {
      E ??= new Float64Array(y.length);
      rng.fillNormal(E);
      for (let i = 0; i < y.length; i++) y[i] += noise * E[i];
    }
    return { X, Y };
  };
}

export interface TransferTask { source: LinearTeacher; target: LinearTeacher }

/**
 * A source and a target task sharing G* with independent heads. The source has `tasks` heads; the target
 * one head, with condition number `targetKappaF` (default: the source's) and covariance `targetCov`
 * (default: the source's; its d must match). Draw order: source (G*, heads), then the target head.
 */
export function makeTransferTask(
  o: LinearTeacherOptions & { targetCov?: Covariance; targetKappaF?: number; targetNoise?: number },
  rng: Rng,
): TransferTask {
  checkLinearOptions('makeTransferTask', o, ['targetCov', 'targetKappaF', 'targetNoise']);
  const { targetCov, targetKappaF, targetNoise, ...base } = o;
  const source = makeLinearTeacher(base, rng);
  if (targetCov !== undefined) checkCovariance('makeTransferTask', targetCov, 'targetCov');
  const cov = targetCov ?? o.cov;
  if (cov.d !== o.cov.d) throw new RangeError(`makeTransferTask: targetCov has d = ${cov.d}, source has d = ${o.cov.d}`);
  const kappaF = targetKappaF ?? source.kappaF, noise = targetNoise ?? source.noise;
  checkReal('makeTransferTask', 'targetKappaF', kappaF, { min: 1 });
  checkReal('makeTransferTask', 'targetNoise', noise, { min: 0 });
  const target: LinearTeacher = {
    ...source, cov, kappaF, noise, heads: [headWithCondition(o.dy, o.k, kappaF, rng)],
  };
  return { source, target };
}

// ================================================================ Model B

export type LinkName = 'relu' | 'tanh' | 'poly' | 'linear';

/** Gaussian moments of a link σ*, ξ ~ N(0, 1). */
export interface LinkMoments {
  /** E σ*(ξ). */ mean: number;
  /** c₁ = E σ*'(ξ) = E[ξ σ*(ξ)]. */ c1: number;
  /** E σ*(ξ)². */ m2: number;
  /** E[σ*(ξ)² ξ²]. */ m2xi2: number;
}

/** A link σ* with its derivative; `moments`, when present, are closed forms used instead of quadrature. */
export interface Link { readonly name: string; f(x: number): number; df(x: number): number; readonly moments?: LinkMoments }

const SQRT2 = Math.SQRT2;

/**
 * The named links, with closed-form moments: relu (mean 1/√(2π), c₁ = 1/2, E σ² = 1/2, E σ²ξ² = 3/2),
 * linear (0, 1, 1, 3), poly (0, a₁, a₁² + a₂², 3a₁² + 5a₂²); tanh has none (quadrature).
 * `poly` takes the coefficients (a₁, a₂) of He₁ and He₂/√2 (default 1, 1).
 */
export function makeLink(name: LinkName, poly: { a1?: number; a2?: number } = {}): Link {
  checkOneOf('makeLink', 'link', name, ['relu', 'tanh', 'poly', 'linear']);
  checkKeys('makeLink', 'poly', poly, ['a1', 'a2']);
  if (name !== 'poly' && Object.keys(poly).length > 0) throw new RangeError(`makeLink: poly coefficients are for the 'poly' link only, got link '${name}' with poly ${JSON.stringify(poly)}`);
  switch (name) {
    case 'relu': return { name, f: (x) => (x > 0 ? x : 0), df: (x) => (x > 0 ? 1 : 0), moments: { mean: 1 / Math.sqrt(2 * Math.PI), c1: 0.5, m2: 0.5, m2xi2: 1.5 } };
    case 'tanh': return { name, f: Math.tanh, df: (x) => { const t = Math.tanh(x); return 1 - t * t; } };
    case 'linear': return { name, f: (x) => x, df: () => 1, moments: { mean: 0, c1: 1, m2: 1, m2xi2: 3 } };
    case 'poly': {
      const a1 = poly.a1 ?? 1, a2 = poly.a2 ?? 1;
      checkReal('makeLink', 'poly.a1', a1);
      checkReal('makeLink', 'poly.a2', a2);
      return {
        name: `poly(${a1},${a2})`,
        f: (x) => a1 * x + (a2 * (x * x - 1)) / SQRT2,
        df: (x) => a1 + (2 * a2 * x) / SQRT2,
        moments: { mean: 0, c1: a1, m2: a1 * a1 + a2 * a2, m2xi2: 3 * a1 * a1 + 5 * a2 * a2 },
      };
    }
    default: throw new RangeError(`makeLink: link must be 'relu', 'tanh', 'poly' or 'linear', got '${String(name)}'`);
  }
}

/** Gauss–Hermite (m nodes) moments of a link, ignoring any closed form it carries. */
export function linkMomentsQuadrature(link: Link, m = 200): LinkMoments {
  const E = (g: (x: number) => number): number => gaussianExpectation(g, m);
  return {
    mean: E((x) => link.f(x)),
    c1: E((x) => link.df(x)),
    m2: E((x) => link.f(x) ** 2),
    m2xi2: E((x) => (link.f(x) * x) ** 2),
  };
}

/** Moments of a link: its closed form when it has one, else Gauss–Hermite quadrature. */
export function linkMoments(link: Link, m = 200): LinkMoments {
  return link.moments ? { ...link.moments } : linkMomentsQuadrature(link, m);
}

export interface SingleIndexTeacher {
  readonly d: number;
  /** β*, scaled so that β*ᵀΣβ* = 1. */
  readonly beta: Float64Array;
  readonly link: Link;
  readonly noise: number;
  readonly cov: Covariance;
  readonly law: InputLaw;
  /** c₁ = E σ*'(ξ). */ readonly c1: number;
  /** s² = E y² (noise included). */ readonly s2: number;
  /** E r², r = y − c₁ ξ: s² − c₁². */ readonly r2: number;
  /** E y = E σ*(ξ). */ readonly mean: number;
  /** E[y² ξ²]. */ readonly m4: number;
}

/** β* direction: a Haar-random unit vector, a given vector, or eigenvector i of Σ (0 = first in `values`). */
export type Direction = 'random' | ArrayLike<number> | { eigenvector: number };

export interface SingleIndexOptions {
  cov: Covariance;
  link: LinkName | Link;
  /** Coefficients of the 'poly' link. */
  poly?: { a1?: number; a2?: number };
  noise?: number;
  direction?: Direction;
  law?: InputLaw;
}

/** Model B teacher. `rng` is needed only for direction 'random' (the default). */
export function makeSingleIndexTeacher(o: SingleIndexOptions, rng?: Rng): SingleIndexTeacher {
  const fn = 'makeSingleIndexTeacher';
  checkKeys(fn, 'options', o, ['cov', 'link', 'poly', 'noise', 'direction', 'law']);
  checkCovariance(fn, o.cov);
  const d = o.cov.d;
  const noise = o.noise ?? 0;
  checkReal(fn, 'noise', noise, { min: 0 });
  const law = checkOneOf(fn, 'law', o.law ?? 'gaussian', ['gaussian', 'rademacher']);
  if (typeof o.link !== 'string' && o.poly !== undefined) throw new RangeError(`${fn}: poly is for the named 'poly' link only`);
  const link = typeof o.link === 'string' ? makeLink(o.link, o.poly) : o.link;
  if (!link || typeof link !== 'object' || typeof link.f !== 'function' || typeof link.df !== 'function') throw new RangeError(`${fn}: link must be one of 'relu', 'tanh', 'poly', 'linear' or an object {name, f, df}, got ${showValue(link)}`);
  if (typeof o.link !== 'string') checkKeys(fn, 'link', link, ['name', 'f', 'df', 'moments']);
  if (dir0(o.direction) && rng === undefined) throw new RangeError(`${fn}: direction 'random' needs an rng`);
  const dir = o.direction ?? 'random';
  let u: Float64Array;
  if (dir === 'random') {
    if (!rng) throw new RangeError(`${fn}: direction 'random' needs an rng`);
    u = rng.fillNormal(new Float64Array(d));
  } else if (typeof dir === 'object' && 'eigenvector' in dir) {
    u = covEigenvector(o.cov, dir.eigenvector);
  } else {
    const v = dir as ArrayLike<number>;
    if (v.length !== d) throw new RangeError(`${fn}: direction must have length d = ${d}, got ${v.length}`);
    checkFiniteArray(fn, 'direction', v);
    u = Float64Array.from(v);
  }
  const su = covApply(o.cov, u);
  let q = 0;
  for (let i = 0; i < d; i++) q += u[i] * su[i];
  if (!(q > 0)) throw new RangeError(`${fn}: direction must be a nonzero vector`);
  const beta = u.map((v) => v / Math.sqrt(q));
  const mo = linkMoments(link);
  for (const [k, v] of Object.entries(mo)) {
    if (!Number.isFinite(v)) throw new RangeError(`${fn}: link '${link.name}' has a non-finite Gaussian moment ${k} = ${v}: its f or df returns NaN or ±∞ (or grows too fast) on Gaussian inputs`);
  }
  if (!(Math.abs(mo.c1) > 1e-12)) throw new RangeError(`${fn}: the link's c1 = E σ*'(ξ) must be nonzero, got ${mo.c1}`);
  const s2 = mo.m2 + noise * noise;
  return { d, beta, link, noise, cov: o.cov, law, c1: mo.c1, s2, r2: s2 - mo.c1 * mo.c1, mean: mo.mean, m4: mo.m2xi2 + noise * noise };
}

const dir0 = (d: Direction | undefined): boolean => d === undefined || d === 'random';

export interface SingleIndexBatch { X: Mat; y: Float64Array; /** ξ = Xβ*. */ xi: Float64Array }

/** A fresh batch: X (n×d) from the teacher's input law, ξ = X β* (float64), y = σ*(ξ) + σ_ε ε. */
export function sampleSingleIndex(t: SingleIndexTeacher, n: number, rng: Rng): SingleIndexBatch {
  const fn = 'sampleSingleIndex';
  if (typeof t !== 'object' || t === null) throw new RangeError(`${fn}: teacher must be a SingleIndexTeacher, got ${showValue(t)}`);
  checkReal(fn, 'teacher.noise', t.noise, { min: 0 });
  checkFiniteArray(fn, 'teacher.beta', t.beta);
  checkInt(fn, 'n', n, 1);
  const X = sampleInputs(t.cov, n, rng, t.law), d = t.d, x = X.data, b = t.beta;
  const xi = new Float64Array(n), y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0, o = i * d; j < d; j++) s += x[o + j] * b[j];
    xi[i] = s;
    y[i] = t.link.f(s);
  }
  if (t.noise > 0) for (let i = 0; i < n; i++) y[i] += t.noise * rng.normal();
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(y[i])) throw new RangeError(`${fn}: the link '${t.link.name}' returned ${y[i]} at ξ = ${xi[i]}; a link must be finite on its inputs`);
  }
  return { X, y, xi };
}
