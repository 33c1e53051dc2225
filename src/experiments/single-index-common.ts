/**
 * Shared pieces of the Model B experiments (`single-index-*`): the problem (Σ, β*, teacher) built from
 * plain parameters, fast float64 spike statistics, and the one-step → ridge pipeline with the step size
 * and the ridge chosen on a validation batch. Browser-safe (no Node API); every random draw comes from
 * the `Rng` passed in or from a seed derived from the parameters.
 */
import { Mat } from '../mat.js';
import { cholesky, cholSolveL, mm64 } from '../linalg.js';
import { Rng, hashString } from '../rng.js';
import { type Covariance, covApply, geometricCovariance, identityCovariance } from '../data/covariance.js';
import { type LinkName, type SingleIndexTeacher, makeSingleIndexTeacher, sampleSingleIndex } from '../data/teachers.js';
import {
  type SingleIndexNet, activationFns, bnStatistics, gradientW, initSingleIndexNet, spikeVector, stepTransform, topRightSingularVector,
} from '../models/singleIndex.js';
import { secondMoment } from '../data/inputs.js';

// ---------------------------------------------------------------- problems

export interface ProblemSpec {
  d: number;
  /** κ(Σ) of the geometric spectrum (κ = 1: Σ = I). The spectrum is scaled to tr Σ = d. */
  kappa: number;
  /** 'none': Σ diagonal; 'haar': Haar-rotated. */
  rotation: 'none' | 'haar';
  link: LinkName;
  /** Coefficients of the 'poly' link (He₁ and He₂/√2). */
  poly?: { a1?: number; a2?: number };
  noise: number;
}

/**
 * Σ (geometric spectrum, tr Σ = d, axis-aligned or Haar-rotated) and the teacher with a Haar-random
 * direction β* (β*ᵀΣβ* = 1), both drawn from `rng`: first the rotation (when 'haar'), then the
 * direction. The Gaussian vector behind β*'s direction is drawn first from its own fork, so for a given
 * rng the direction u does not depend on κ (β* = u/√(uᵀΣu)): a κ sweep with one problem seed moves
 * only the spectrum.
 */
export function makeProblem(spec: ProblemSpec, rng: Rng): { cov: Covariance; teacher: SingleIndexTeacher } {
  const u = rng.fork('direction').fillNormal(new Float64Array(spec.d));
  const cov = spec.kappa === 1 && spec.rotation === 'none'
    ? identityCovariance(spec.d)
    : geometricCovariance(spec.d, spec.kappa, { rotation: spec.rotation, rng: rng.fork('rotation'), normalizeTrace: true });
  const teacher = makeSingleIndexTeacher({ cov, link: spec.link, poly: spec.poly, noise: spec.noise, direction: u });
  return { cov, teacher };
}

const fixedProblems = new Map<string, { cov: Covariance; teacher: SingleIndexTeacher }>();

/**
 * A problem that is the same for every replicate: drawn from a seed derived from the spec and
 * `problemSeed`. Memoised (the last 16 per thread): building a rotated Σ at d = 256 costs more than a
 * replicate, and the result is a pure function of the arguments. Callers must not mutate it.
 */
export function fixedProblem(spec: ProblemSpec, problemSeed: number): { cov: Covariance; teacher: SingleIndexTeacher } {
  const { d, rotation, link, noise } = spec;
  const key = JSON.stringify([spec.d, spec.kappa, spec.rotation, spec.link, spec.poly ?? null, spec.noise, problemSeed]);
  const hit = fixedProblems.get(key);
  if (hit) return hit;
  // κ is left out of the seed on purpose: the rotation and direction are shared along a κ sweep.
  const made = makeProblem(spec, new Rng(hashString(`single-index-problem/${d}/${rotation}/${link}/${noise}/${problemSeed}`)));
  if (fixedProblems.size >= 16) fixedProblems.delete(fixedProblems.keys().next().value as string);
  fixedProblems.set(key, made);
  return made;
}

// ---------------------------------------------------------------- float64 helpers

export const dot = (u: ArrayLike<number>, v: ArrayLike<number>): number => { let s = 0; for (let i = 0; i < u.length; i++) s += u[i] * v[i]; return s; };

/** cos²(u, v). */
export function cos2(u: ArrayLike<number>, v: ArrayLike<number>): number {
  const uv = dot(u, v), uu = dot(u, u), vv = dot(v, v);
  return (uv * uv) / (uu * vv);
}

/** Squared correlation of ⟨u, x⟩ and ⟨v, x⟩ for x ~ N(0, Σ): (uᵀΣv)² / (uᵀΣu · vᵀΣv). */
export function sigmaCorr2(cov: Covariance, u: ArrayLike<number>, v: ArrayLike<number>): number {
  const su = covApply(cov, u), uv = dot(su, v);
  return (uv * uv) / (dot(su, u) * dot(covApply(cov, v), v));
}

/** h = Xᵀy/n. */
export function crossMoment(X: Mat, y: ArrayLike<number>): Float64Array {
  const n = X.rows, d = X.cols, x = X.data, h = new Float64Array(d);
  for (let k = 0; k < n; k++) { const yk = y[k]; for (let j = 0, o = k * d; j < d; j++) h[j] += x[o + j] * yk; }
  for (let j = 0; j < d; j++) h[j] /= n;
  return h;
}

/** (S + λI)^{-1} h by Cholesky (S symmetric positive semi-definite; λ > 0 or S definite). */
export function dampedSolve(S: Mat, h: ArrayLike<number>, lambda: number): Float64Array {
  const d = S.rows, A = S.clone();
  for (let i = 0; i < d; i++) A.data[i * d + i] += lambda;
  return cholSolveL(cholesky(A), new Mat(d, 1, Float64Array.from(h))).data;
}

// ---------------------------------------------------------------- one step, then ridge

export type PipelineKind = 'rf' | 'plain' | 'preconditioned' | 'adam' | 'batchnorm';
export const PIPELINE_KINDS: readonly PipelineKind[] = ['rf', 'plain', 'preconditioned', 'adam', 'batchnorm'];

export interface PipelineOptions {
  N: number;
  /** Samples of the gradient step, of the ridge fit, of the validation batch, of the test batch. */
  n: number; nRidge: number; nVal: number; nTest: number;
  /** Step sizes tried per kind, as multiples of the kind's base step (see `baseStep`). */
  etaGrid: readonly number[];
  /** Ridge values ρ tried: a = argmin (1/n)||y − Φa||² + ρ||a||². */
  ridgeGrid: readonly number[];
  /** Damping λ of the preconditioned step (λ = 0 needs n ≥ d). */
  lambda: number;
  kinds: readonly PipelineKind[];
}

/**
 * The base step of each kind: η₀ = N for the gradient steps (the rank-one term of row i is then
 * ±μ₁ u with μ₁ = E σ'(·) = 1/2 for relu, an O(1) change of every pre-activation), and η₀ = 1/√d for
 * Adam (whose update has entries ±η: a row then moves by η·sign(h), of norm η√d).
 */
export function baseStep(kind: PipelineKind, N: number, d: number): number {
  return kind === 'adam' ? 1 / Math.sqrt(d) : N;
}

export type PipelineRecord = {
  kind: PipelineKind;
  testError: number;
  valError: number;
  /** Chosen step-size multiple (null for rf) and ridge. */
  eta: number | null;
  ridge: number;
  /** cos² between β* and the top right singular vector v₁ of W₁ − W₀ (null for rf). */
  svdCos2: number | null;
  /** Squared Σ-correlation of ⟨v₁, x⟩ with ξ = ⟨β*, x⟩ (null for rf). */
  svdCorr2: number | null;
  /**
   * cos² and squared Σ-correlation with β* of the kind's rank-one right vector: h (plain),
   * (Σ̂ + λI)^{-1}h (preconditioned), sign(h) (adam); null for rf and batchnorm.
   */
  rank1Cos2: number | null;
  rank1Corr2: number | null;
};

/** Features Φ = σ(U)/√N of pre-activations U (n×N), in place. */
function activate(U: Mat, act: SingleIndexNet['activation']): Mat {
  const { f } = activationFns(act), s = 1 / Math.sqrt(U.cols), u = U.data;
  for (let i = 0; i < u.length; i++) u[i] = s * f(u[i]);
  return U;
}

/** Pre-activations X Wᵀ (float64), batch-normalised with `stats` when given. */
function preacts(X: Mat, W: Mat, stats: { mean: Float64Array; std: Float64Array } | null): Mat {
  const Z = mm64(X, W, false, true);
  if (stats) {
    const N = Z.cols, z = Z.data;
    for (let k = 0; k < Z.rows; k++) for (let i = 0; i < N; i++) z[k * N + i] = (z[k * N + i] - stats.mean[i]) / stats.std[i];
  }
  return Z;
}

function mseOf(Phi: Mat, a: Float64Array, y: ArrayLike<number>): number {
  const n = Phi.rows, N = Phi.cols, p = Phi.data;
  let s = 0;
  for (let k = 0; k < n; k++) { let f = 0; for (let i = 0; i < N; i++) f += p[k * N + i] * a[i]; s += (y[k] - f) ** 2; }
  return s / n;
}

/**
 * Model B for several kinds on common random numbers: one W₀ and a (from `rng.fork('init')`), one
 * step batch, ridge batch, validation batch and test batch (in that order from `rng.fork('data')`). For each kind the update at unit
 * step is computed once; for every step size of the grid the features of the ridge batch are formed
 * once and the ridge solved for every ρ by Cholesky of ΦᵀΦ/n + ρI; the (η, ρ) of least validation error
 * is kept and its test error reported. 'rf': no step. 'batchnorm': the plain step on the network with
 * batch-norm before σ (ridge-batch statistics frozen for validation and test, as `fitSecondLayer`).
 */
export function runPipeline(t: SingleIndexTeacher, o: PipelineOptions, rng: Rng): PipelineRecord[] {
  const d = t.d, N = o.N;
  const net0 = initSingleIndexNet(d, N, rng.fork('init'));
  const data = rng.fork('data');
  const step = sampleSingleIndex(t, o.n, data), fit = sampleSingleIndex(t, o.nRidge, data);
  const val = sampleSingleIndex(t, o.nVal, data), test = sampleSingleIndex(t, o.nTest, data);
  const out: PipelineRecord[] = [];
  for (const kind of o.kinds) {
    let update: Mat | null = null;
    if (kind !== 'rf') {
      const base = kind === 'batchnorm' ? { ...net0, batchNorm: true } : net0;
      const g = gradientW(base, step.X, step.y).grad;
      // the update at unit step of the kind's member of the optimizer family: g, g (Σ̂ + λI)^{-1}, sign(g)
      const tx = stepTransform(kind === 'batchnorm' ? 'plain' : kind, step.X, { eta: 1, lambda: o.lambda });
      update = tx.update(g, tx.init(base.W), base.W, 1).u;
    }
    const eta0 = baseStep(kind, N, d);
    const etas = kind === 'rf' ? [0] : o.etaGrid;
    let best: { e: number; eta: number; rho: number; a: Float64Array; W: Mat; stats: ReturnType<typeof bnStatistics> | null } | null = null;
    for (const m of etas) {
      const W = net0.W.clone();
      if (update) { const s = m * eta0; for (let i = 0; i < W.data.length; i++) W.data[i] -= s * update.data[i]; }
      const Zfit = mm64(fit.X, W, false, true);
      const stats = kind === 'batchnorm' ? bnStatistics(Zfit, net0.bnEps) : null;
      if (stats) { const z = Zfit.data; for (let k = 0; k < Zfit.rows; k++) for (let i = 0; i < N; i++) z[k * N + i] = (z[k * N + i] - stats.mean[i]) / stats.std[i]; }
      const Phi = activate(Zfit, net0.activation);
      const G = secondMoment(Phi), b = crossMoment(Phi, fit.y);
      const PhiVal = activate(preacts(val.X, W, stats), net0.activation);
      for (const rho of o.ridgeGrid) {
        let a: Float64Array;
        try { a = dampedSolve(G, b, rho); } catch { continue; }
        const e = mseOf(PhiVal, a, val.y);
        if (Number.isFinite(e) && (best === null || e < best.e)) best = { e, eta: m, rho, a, W, stats };
      }
    }
    if (!best) throw new Error(`runPipeline: no (eta, ridge) pair gave a finite validation error for kind '${kind}'`);
    const PhiTest = activate(preacts(test.X, best.W, best.stats), net0.activation);
    let svdCos2: number | null = null, svdCorr2: number | null = null, rank1Cos2: number | null = null, rank1Corr2: number | null = null;
    if (update) {
      const v = topRightSingularVector(update).v;
      svdCos2 = cos2(v, t.beta);
      svdCorr2 = sigmaCorr2(t.cov, v, t.beta);
    }
    if (kind === 'plain' || kind === 'preconditioned' || kind === 'adam') {
      const u = spikeVector(step.X, step.y, kind, o.lambda);
      rank1Cos2 = cos2(u, t.beta);
      rank1Corr2 = sigmaCorr2(t.cov, u, t.beta);
    }
    out.push({
      kind, testError: mseOf(PhiTest, best.a, test.y), valError: best.e, eta: kind === 'rf' ? null : best.eta, ridge: best.rho,
      svdCos2, svdCorr2, rank1Cos2, rank1Corr2,
    });
  }
  return out;
}

