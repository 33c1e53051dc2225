/**
 * Model B theory (DIGEST, B1–B3): alignment of the one-step spike with β*.
 *
 * Setting: Gaussian inputs x ~ N(0, Σ), y = σ*(⟨β*, x⟩) + ε with β*ᵀΣβ* = 1, so ξ = ⟨β*, x⟩ ~ N(0, 1);
 * c₁ = E σ*'(ξ), s² = E y², E r² = s² − c₁² (r = y − c₁ξ), m₄ = E[y² ξ²] (the teacher's fields).
 * h = Xᵀy/n (plain spike), b = Σ̂^{-1} h (preconditioned spike, λ = 0, n > d + 1).
 *
 * - B1 (n → ∞): h → c₁ Σβ*, so cos(h, β*) → β*ᵀΣβ* / (||Σβ*|| ||β*||) (= 1/(||Σβ*|| ||β*||) when
 *   normalised); b → c₁β*, cos → 1.
 * - B2 (finite n, leading order in d): cos²(h, β*) ≈ c₁² / (||β*||² (c₁²||Σβ*||² + s² tr Σ / n)).
 * - B2, finite-n refinement (derived here; exact second moments for Gaussian inputs): writing
 *   x = ξ Σβ* + x⊥ with x⊥ independent of ξ and Cov(x⊥) = Σ − Σβ*β*ᵀΣ,
 *     E⟨h, β*⟩² = c₁² + (m₄ − c₁²)/n,
 *     E||h||²   = c₁²||Σβ*||² + [s² tr Σ + (m₄ − s² − c₁²)||Σβ*||²]/n,
 *   and cos² ≈ E⟨h, β*⟩² / (||β*||² E||h||²) (ratio of expectations). B2 keeps only the s² tr Σ / n
 *   correction, which dominates when ||Σβ*||² ≪ tr Σ (large d).
 * - B3 (λ = 0, n > d + 1; homoscedastic approximation): b = c₁β* + (XᵀX)^{-1}Xᵀr with E(XᵀX)^{-1} =
 *   Σ^{-1}/(n − d − 1) (inverse Wishart), so cos²(b, β*) ≈ c₁²||β*||² / (c₁²||β*||² + E r² tr Σ^{-1}/(n − d − 1)).
 *
 * Σ may be given as a `Covariance` (traces from its spectrum) or a Mat (traces by float64 Cholesky).
 */
import { Mat, trace } from '../mat.js';
import { eigSym, invSPD } from '../linalg.js';
import { type Covariance, covApply, covTracePower } from '../data/covariance.js';
import type { SingleIndexTeacher } from '../data/teachers.js';
import { checkInt, checkReal, checkFiniteArray } from '../validate.js';

export type SigmaLike = Covariance | Mat;

function dim(s: SigmaLike): number { return s instanceof Mat ? s.rows : s.d; }

function sigmaTimes(s: SigmaLike, v: ArrayLike<number>): Float64Array {
  if (!(s instanceof Mat)) return covApply(s, v);
  const d = s.rows, out = new Float64Array(d);
  for (let i = 0; i < d; i++) { let t = 0; for (let j = 0; j < d; j++) t += s.data[i * d + j] * v[j]; out[i] = t; }
  return out;
}
const traceSigma = (s: SigmaLike): number => (s instanceof Mat ? trace(s) : s.trace);
const traceSigmaInv = (s: SigmaLike): number => (s instanceof Mat ? trace(invSPD(s)) : covTracePower(s, -1));

const dot = (u: ArrayLike<number>, v: ArrayLike<number>): number => { let t = 0; for (let i = 0; i < u.length; i++) t += u[i] * v[i]; return t; };

/** Σβ, ||Σβ||², ||β||², βᵀΣβ after shape checks. */
function geometry(fn: string, s: SigmaLike, beta: ArrayLike<number>, normalised: boolean) {
  const d = dim(s);
  if (beta.length !== d) throw new RangeError(`${fn}: beta must have length d = ${d}, got ${beta.length}`);
  checkFiniteArray(fn, 'beta', beta);
  const sb = sigmaTimes(s, beta), quad = dot(beta, sb), bb = dot(beta, beta);
  if (!(bb > 0)) throw new RangeError(`${fn}: beta must be nonzero`);
  if (normalised && !(Math.abs(quad - 1) <= 1e-8)) {
    throw new RangeError(`${fn}: the formula assumes betaᵀΣbeta = 1 (within 1e-8), got ${quad}`);
  }
  return { d, sbb: dot(sb, sb), bb, quad };
}

/** B1: lim_{n→∞} cos(Xᵀy/n, β*) = β*ᵀΣβ* / (||Σβ*|| ||β*||) (scale-free). */
export function b1PlainCosineLimit(sigma: SigmaLike, beta: ArrayLike<number>): number {
  const g = geometry('b1PlainCosineLimit', sigma, beta, false);
  return g.quad / Math.sqrt(g.sbb * g.bb);
}

/** B1: the preconditioned spike's limiting cosine. */
export const B1_PRECONDITIONED_COSINE_LIMIT = 1;

export interface PlainSpikeInputs { n: number; sigma: SigmaLike; beta: ArrayLike<number>; c1: number; s2: number }

/** B2 as in the DIGEST: c₁² / (||β||² (c₁²||Σβ||² + s² tr Σ / n)). Requires βᵀΣβ = 1. */
export function b2PlainCos2(o: PlainSpikeInputs): number {
  const fn = 'b2PlainCos2';
  checkInt(fn, 'n', o.n, 1);
  checkReal(fn, 'c1', o.c1);
  checkReal(fn, 's2', o.s2, { min: 0 });
  const g = geometry(fn, o.sigma, o.beta, true), c2 = o.c1 * o.c1;
  return c2 / (g.bb * (c2 * g.sbb + (o.s2 * traceSigma(o.sigma)) / o.n));
}

/** The exact second moments of h = Xᵀy/n for Gaussian inputs (see the module comment). Requires βᵀΣβ = 1. */
export function plainSpikeMoments(o: PlainSpikeInputs & { m4: number }): { innerSq: number; normSq: number } {
  const fn = 'plainSpikeMoments';
  checkInt(fn, 'n', o.n, 1);
  checkReal(fn, 'c1', o.c1);
  checkReal(fn, 's2', o.s2, { min: 0 });
  checkReal(fn, 'm4', o.m4, { min: 0 });
  const g = geometry(fn, o.sigma, o.beta, true), c2 = o.c1 * o.c1;
  return {
    innerSq: c2 + (o.m4 - c2) / o.n,
    normSq: c2 * g.sbb + (o.s2 * traceSigma(o.sigma) + (o.m4 - o.s2 - c2) * g.sbb) / o.n,
  };
}

/** B2 refined: E⟨h, β⟩² / (||β||² E||h||²) with the exact finite-n moments. */
export function b2PlainCos2Refined(o: PlainSpikeInputs & { m4: number }): number {
  const m = plainSpikeMoments(o);
  let bb = 0;
  for (let i = 0; i < o.beta.length; i++) bb += o.beta[i] ** 2;
  return m.innerSq / (bb * m.normSq);
}

export interface PrecondSpikeInputs { n: number; sigma: SigmaLike; beta: ArrayLike<number>; c1: number; r2: number }

/** B3 (λ = 0): c₁²||β||² / (c₁²||β||² + E r² tr Σ^{-1}/(n − d − 1)). Requires n > d + 1 and βᵀΣβ = 1. */
export function b3PrecondCos2(o: PrecondSpikeInputs): number {
  const fn = 'b3PrecondCos2';
  const d = dim(o.sigma);
  checkInt(fn, 'n', o.n, d + 2);
  checkReal(fn, 'c1', o.c1);
  checkReal(fn, 'r2', o.r2, { min: 0 });
  const g = geometry(fn, o.sigma, o.beta, true), a = o.c1 * o.c1 * g.bb;
  return a / (a + (o.r2 * traceSigmaInv(o.sigma)) / (o.n - d - 1));
}

/** Convenience: the three predictions for a teacher at sample size n (B3 is NaN when n ≤ d + 1). */
export function spikeTheoryForTeacher(t: SingleIndexTeacher, n: number): {
  b1Plain: number; b2: number; b2Refined: number; b3: number;
} {
  const base = { n, sigma: t.cov, beta: t.beta, c1: t.c1, s2: t.s2 };
  return {
    b1Plain: b1PlainCosineLimit(t.cov, t.beta),
    b2: b2PlainCos2(base),
    b2Refined: b2PlainCos2Refined({ ...base, m4: t.m4 }),
    b3: n > t.d + 1 ? b3PrecondCos2({ n, sigma: t.cov, beta: t.beta, c1: t.c1, r2: t.r2 }) : NaN,
  };
}

// ================================================================ ridge-preconditioned spike (λ > 0)

/**
 * Eigenvalues of Σ and the squared coordinates of β in its eigenbasis: from the spectrum and Qᵀβ for
 * a `Covariance`, from a float64 eigendecomposition for a Mat.
 */
export function spectralCoordinates(sigma: SigmaLike, beta: ArrayLike<number>): { lam: Float64Array; b2: Float64Array } {
  const d = dim(sigma);
  if (beta.length !== d) throw new RangeError(`spectralCoordinates: beta must have length d = ${d}, got ${beta.length}`);
  checkFiniteArray('spectralCoordinates', 'beta', beta);
  let lam: Float64Array, V: Mat | null;
  if (sigma instanceof Mat) { const e = eigSym(sigma); lam = e.values; V = e.vectors; } else { lam = sigma.values; V = sigma.vectors; }
  const b2 = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    if (!V) { b2[j] = beta[j] ** 2; continue; }
    let c = 0;
    for (let i = 0; i < d; i++) c += V.data[i * d + j] * beta[i];
    b2[j] = c * c;
  }
  return { lam: Float64Array.from(lam), b2 };
}

/**
 * The effective regularisation μ of ridge with n samples and damping λ ≥ 0 on inputs with covariance
 * eigenvalues `lam`: the solution of λ = μ (1 − df₁(μ)/n), df₁(μ) = Σᵢ λᵢ/(λᵢ + μ), on the branch where
 * the right side increases (μ ≥ λ). For λ = 0 it is 0 when n > d, and the root of df₁(μ) = n when n < d
 * (the min-norm interpolator). Deterministic equivalent: λ(Σ̂ + λI)^{-1} ≍ μ(Σ + μI)^{-1}.
 * Bisection in log μ to relative accuracy 1e-14.
 */
export function ridgeEffectiveRegularization(lam: ArrayLike<number>, n: number, lambda: number): number {
  const fn = 'ridgeEffectiveRegularization';
  checkInt(fn, 'n', n, 1);
  checkReal(fn, 'lambda', lambda, { min: 0 });
  checkFiniteArray(fn, 'lam', lam);
  const d = lam.length;
  let tr = 0;
  for (let i = 0; i < d; i++) { if (!(lam[i] > 0)) throw new RangeError(`${fn}: eigenvalues must be > 0, got lam[${i}] = ${lam[i]}`); tr += lam[i]; }
  const df1 = (mu: number): number => { let s = 0; for (let i = 0; i < d; i++) s += lam[i] / (lam[i] + mu); return s; };
  if (lambda === 0) {
    if (n > d) return 0;
    if (n === d) throw new RangeError(`${fn}: lambda = 0 with n = d has no finite deterministic equivalent (the interpolation threshold)`);
  }
  // φ(μ) = μ(1 − df₁(μ)/n) is increasing where it is positive, φ(μ) ≤ μ and φ(μ) ≥ μ − tr Σ/n.
  const phi = (mu: number): number => mu * (1 - df1(mu) / n);
  // Bracket: φ(lo) < λ (φ(λ) < λ; for λ = 0, df₁(lo) ≈ d > n) and φ(hi) ≥ λ.
  let lo = lambda > 0 ? lambda : Math.min(...Array.from(lam)) * 1e-12, hi = lambda + tr / n;
  for (let it = 0; it < 400 && hi / lo - 1 > 1e-14; it++) {
    const mid = Math.sqrt(lo * hi);
    if (phi(mid) >= lambda) hi = mid; else lo = mid;
  }
  return hi;
}

export interface RidgeSpikeInputs extends PrecondSpikeInputs { lambda: number }

export interface RidgeSpikeEquivalent {
  /** Effective regularisation μ. */ mu: number;
  /** df₁ = tr Σ(Σ+μ)^{-1}, df₂ = tr Σ²(Σ+μ)^{-2}. */ df1: number; df2: number;
  /** Deterministic equivalent of ⟨b, β⟩ = c₁ βᵀΣ(Σ+μ)^{-1}β. */ inner: number;
  /** Deterministic equivalent of E||b||². */ normSq: number;
  /** cos²(b, β) ≈ inner² / (||β||² normSq). */ cos2: number;
}

/**
 * Deterministic equivalent of the ridge-preconditioned spike b = (Σ̂ + λI)^{-1} Xᵀy/n (derived in
 * notebooks/20-single-index-spike.ipynb). With y = c₁ξ + r and r treated as noise of variance E r²
 * independent of X (the homoscedastic approximation of B3), and μ from `ridgeEffectiveRegularization`:
 *   ⟨b, β⟩ ≍ c₁ p,  p = βᵀΣ(Σ+μ)^{-1}β,
 *   E||b||² ≍ c₁² ||Σ(Σ+μ)^{-1}β||² + (c₁² μ² βᵀΣ(Σ+μ)^{-2}β + E r²) · tr Σ(Σ+μ)^{-2} / (n − df₂),
 *   cos²(b, β) ≈ c₁² p² / (||β||² E||b||²).
 * Limits: λ → ∞ gives B2 exactly; λ = 0 with n > d gives B3 with n − d in place of n − d − 1.
 * Requires βᵀΣβ = 1 and (when λ = 0) n ≠ d.
 */
export function ridgeSpikeEquivalent(o: RidgeSpikeInputs): RidgeSpikeEquivalent {
  const fn = 'ridgeSpikeEquivalent';
  checkInt(fn, 'n', o.n, 1);
  checkReal(fn, 'c1', o.c1);
  checkReal(fn, 'r2', o.r2, { min: 0 });
  checkReal(fn, 'lambda', o.lambda, { min: 0 });
  geometry(fn, o.sigma, o.beta, true);
  const { lam, b2 } = spectralCoordinates(o.sigma, o.beta);
  const mu = ridgeEffectiveRegularization(lam, o.n, o.lambda);
  let df1 = 0, df2 = 0, T2 = 0, p = 0, q = 0, s2 = 0, bb = 0;
  for (let i = 0; i < lam.length; i++) {
    const l = lam[i], r = l / (l + mu);
    df1 += r; df2 += r * r; T2 += r / (l + mu);
    p += r * b2[i]; q += (r / (l + mu)) * b2[i]; s2 += r * r * b2[i]; bb += b2[i];
  }
  const c2 = o.c1 * o.c1;
  const normSq = c2 * s2 + ((c2 * mu * mu * q + o.r2) * T2) / (o.n - df2);
  const inner = o.c1 * p;
  return { mu, df1, df2, inner, normSq, cos2: (inner * inner) / (bb * normSq) };
}

/** cos² of the ridge-preconditioned spike with β (deterministic equivalent; see `ridgeSpikeEquivalent`). */
export const ridgeSpikeCos2 = (o: RidgeSpikeInputs): number => ridgeSpikeEquivalent(o).cos2;
