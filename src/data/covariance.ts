/**
 * Input covariance families (DIGEST, "Covariance families").
 *
 * Every family is first defined by its spectrum, with an explicit normalisation:
 *
 * | family      | eigenvalues (in the order of `values`)                           | convention        |
 * |-------------|------------------------------------------------------------------|-------------------|
 * | identity    | λ_i = 1                                                          | Σ = I             |
 * | geometric   | λ_i = κ^{-(i-1)/(d-1)}, i = 1..d (λ_1 = 1 when d = 1)            | λ_max = 1, λ_min = 1/κ |
 * | twoLevel    | the first m = round(f·d) eigenvalues are κ, the other d − m are 1 | λ_min = 1, λ_max = κ |
 * | spiked      | Σ = I + θ v vᵀ: λ_1 = 1 + θ, the others 1                         | bulk at 1         |
 * | powerLaw    | λ_i = i^{-α}                                                     | λ_1 = 1           |
 *
 * With `normalizeTrace: true` the spectrum is multiplied by d / Σλ_i so that tr Σ = d (this replaces
 * the convention of the table; the condition number is unchanged).
 *
 * Each spectrum is placed either on the coordinate axes (`rotation: 'none'`, Σ diagonal, `vectors`
 * null) or in a Haar-random orthonormal basis Q (`rotation: 'haar'`: Q from the QR factorisation of a
 * d×d standard Gaussian matrix with the signs fixed so that diag(R) > 0, which makes Q exactly Haar
 * distributed; Mezzadri 2007), or in a caller-given orthogonal matrix. Then Σ = Q diag(λ) Qᵀ and the
 * symmetric square root Σ^{1/2} = Q diag(√λ) Qᵀ is computed from the spectrum (no iterative root), in
 * float64. For the spiked family the spike direction v is the first column of Q (e_1 when axis-aligned).
 */
import { Mat, diag, symmetrize } from '../mat.js';
import { mm64, qr } from '../linalg.js';
import type { Rng } from '../rng.js';
import { checkInt, checkReal, checkFiniteArray } from './validate.js';

export type CovFamily = 'identity' | 'geometric' | 'twoLevel' | 'spiked' | 'powerLaw' | 'custom';
/** 'none': axis-aligned; 'haar': Haar-random rotation (needs an Rng); a Mat: that orthogonal basis (columns). */
export type Rotation = 'none' | 'haar' | Mat;

export interface Covariance {
  readonly family: CovFamily;
  readonly d: number;
  /** The family's parameters as given (kappa, fraction, theta, alpha), for records. */
  readonly params: Readonly<Record<string, number>>;
  /** values[i] is the eigenvalue of column i of `vectors` (of the coordinate axis e_i when axis-aligned). */
  readonly values: Float64Array;
  /** Orthogonal d×d matrix whose columns are the eigenvectors; null when Σ is diagonal (axis-aligned). */
  readonly vectors: Mat | null;
  /** Σ (d×d, exactly symmetric). */
  readonly sigma: Mat;
  /** Σ^{1/2}, the symmetric positive square root (d×d). */
  readonly sqrt: Mat;
  /** κ(Σ) = λ_max / λ_min. */
  readonly kappa: number;
  readonly trace: number;
}

export interface CovarianceOptions {
  rotation?: Rotation;
  /** Required when rotation is 'haar'. */
  rng?: Rng;
  /** Rescale the spectrum so that tr Σ = d. Default false. */
  normalizeTrace?: boolean;
}

// ---------------------------------------------------------------- spectra

/** λ_i = κ^{-(i-1)/(d-1)}: from 1 down to 1/κ (λ = [1] when d = 1). κ ≥ 1. */
export function geometricSpectrum(d: number, kappa: number): Float64Array {
  checkInt('geometricSpectrum', 'd', d, 1);
  checkReal('geometricSpectrum', 'kappa', kappa, { min: 1 });
  const v = new Float64Array(d);
  for (let i = 0; i < d; i++) v[i] = d === 1 ? 1 : Math.pow(kappa, -i / (d - 1));
  return v;
}

/**
 * The first m = round(fraction·d) eigenvalues equal κ, the remaining d − m equal 1. fraction in (0, 1)
 * and m must land in [1, d − 1] (so both levels are present; d ≥ 2). κ ≥ 1.
 */
export function twoLevelSpectrum(d: number, kappa: number, fraction: number): Float64Array {
  checkInt('twoLevelSpectrum', 'd', d, 2);
  checkReal('twoLevelSpectrum', 'kappa', kappa, { min: 1 });
  checkReal('twoLevelSpectrum', 'fraction', fraction, { min: 0, max: 1, minOpen: true, maxOpen: true });
  const m = Math.round(fraction * d);
  if (m < 1 || m > d - 1) {
    throw new RangeError(`twoLevelSpectrum: round(fraction·d) must be in [1, d-1] = [1, ${d - 1}], got round(${fraction}·${d}) = ${m}`);
  }
  const v = new Float64Array(d).fill(1);
  for (let i = 0; i < m; i++) v[i] = kappa;
  return v;
}

/** Spectrum of I + θ v vᵀ (|v| = 1): [1 + θ, 1, …, 1]. θ > −1 keeps Σ positive definite. */
export function spikedSpectrum(d: number, theta: number): Float64Array {
  checkInt('spikedSpectrum', 'd', d, 1);
  checkReal('spikedSpectrum', 'theta', theta, { min: -1, minOpen: true });
  const v = new Float64Array(d).fill(1);
  v[0] = 1 + theta;
  return v;
}

/** λ_i = i^{-α}, i = 1..d, α ≥ 0. */
export function powerLawSpectrum(d: number, alpha: number): Float64Array {
  checkInt('powerLawSpectrum', 'd', d, 1);
  checkReal('powerLawSpectrum', 'alpha', alpha, { min: 0 });
  const v = new Float64Array(d);
  for (let i = 0; i < d; i++) v[i] = Math.pow(i + 1, -alpha);
  return v;
}

// ---------------------------------------------------------------- rotations

/**
 * Haar-distributed d×d orthogonal matrix: Q of the QR factorisation of a standard Gaussian matrix,
 * with column signs chosen so that diag(R) > 0 (`linalg.qr` already enforces this sign convention).
 */
export function haarOrthogonal(d: number, rng: Rng): Mat {
  checkInt('haarOrthogonal', 'd', d, 1);
  return qr(rng.normalMat(d, d)).Q;
}

/**
 * Haar-distributed d×k matrix with orthonormal columns (a uniformly random point of the Stiefel
 * manifold): Q of the sign-fixed QR of a d×k Gaussian matrix. k ≤ d.
 */
export function haarStiefel(d: number, k: number, rng: Rng): Mat {
  checkInt('haarStiefel', 'd', d, 1);
  checkInt('haarStiefel', 'k', k, 1, d);
  return qr(rng.normalMat(d, k)).Q;
}

function checkOrthogonal(q: Mat, d: number): void {
  if (q.rows !== d || q.cols !== d) throw new RangeError(`covariance: rotation must be ${d}x${d}, got ${q.rows}x${q.cols}`);
  const qtq = mm64(q, q, true, false);
  let err = 0;
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) err = Math.max(err, Math.abs(qtq.get(i, j) - (i === j ? 1 : 0)));
  if (!(err <= 1e-10)) throw new RangeError(`covariance: rotation must be orthogonal (max |QᵀQ − I| <= 1e-10), got ${err}`);
}

/** Q diag(f) Qᵀ, exactly symmetric. */
function conjugate(q: Mat, f: Float64Array): Mat {
  const d = f.length, qd = new Mat(d, d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) qd.data[i * d + j] = q.data[i * d + j] * f[j];
  return symmetrize(mm64(qd, q, false, true));
}

// ---------------------------------------------------------------- construction

/**
 * Covariance with the given (positive) spectrum, axis-aligned or rotated. The building block of the
 * named families; `family` and `params` are recorded as given.
 */
export function covarianceFromSpectrum(
  values: ArrayLike<number>,
  opts: CovarianceOptions & { family?: CovFamily; params?: Record<string, number> } = {},
): Covariance {
  const d = values.length;
  if (d < 1) throw new RangeError('covarianceFromSpectrum: d must be an integer >= 1, got 0');
  checkFiniteArray('covarianceFromSpectrum', 'values', values);
  const lam = Float64Array.from(values);
  for (let i = 0; i < d; i++) {
    if (!(lam[i] > 0)) throw new RangeError(`covarianceFromSpectrum: eigenvalues must be > 0, got values[${i}] = ${lam[i]}`);
  }
  if (opts.normalizeTrace) {
    let s = 0;
    for (const v of lam) s += v;
    const c = d / s;
    for (let i = 0; i < d; i++) lam[i] *= c;
  }
  const rotation = opts.rotation ?? 'none';
  let q: Mat | null = null;
  if (rotation === 'haar') {
    if (!opts.rng) throw new RangeError("covariance: rotation 'haar' needs an rng");
    q = haarOrthogonal(d, opts.rng);
  } else if (rotation instanceof Mat) {
    checkOrthogonal(rotation, d);
    q = rotation.clone();
  } else if (rotation !== 'none') {
    throw new RangeError(`covariance: rotation must be 'none', 'haar' or an orthogonal Mat, got ${String(rotation)}`);
  }
  const root = lam.map(Math.sqrt);
  const sigma = q ? conjugate(q, lam) : diag(lam);
  const sqrt = q ? conjugate(q, root) : diag(root);
  let mx = -Infinity, mn = Infinity, tr = 0;
  for (const v of lam) { mx = Math.max(mx, v); mn = Math.min(mn, v); tr += v; }
  return {
    family: opts.family ?? 'custom', d, params: { ...(opts.params ?? {}) },
    values: lam, vectors: q, sigma, sqrt, kappa: mx / mn, trace: tr,
  };
}

export const identityCovariance = (d: number): Covariance => {
  checkInt('identityCovariance', 'd', d, 1);
  return covarianceFromSpectrum(new Float64Array(d).fill(1), { family: 'identity' });
};
export const geometricCovariance = (d: number, kappa: number, opts: CovarianceOptions = {}): Covariance =>
  covarianceFromSpectrum(geometricSpectrum(d, kappa), { ...opts, family: 'geometric', params: { kappa } });
export const twoLevelCovariance = (d: number, kappa: number, fraction: number, opts: CovarianceOptions = {}): Covariance =>
  covarianceFromSpectrum(twoLevelSpectrum(d, kappa, fraction), { ...opts, family: 'twoLevel', params: { kappa, fraction } });
export const spikedCovariance = (d: number, theta: number, opts: CovarianceOptions = {}): Covariance =>
  covarianceFromSpectrum(spikedSpectrum(d, theta), { ...opts, family: 'spiked', params: { theta } });
export const powerLawCovariance = (d: number, alpha: number, opts: CovarianceOptions = {}): Covariance =>
  covarianceFromSpectrum(powerLawSpectrum(d, alpha), { ...opts, family: 'powerLaw', params: { alpha } });

/** A covariance described by plain data (for sweeps and notebook cells). */
export interface CovarianceSpec {
  family: Exclude<CovFamily, 'custom'>;
  d: number;
  kappa?: number; fraction?: number; theta?: number; alpha?: number;
  rotation?: 'none' | 'haar';
  normalizeTrace?: boolean;
}

/** Build a covariance from a spec; `rng` is needed for rotation 'haar'. Missing family parameters are errors. */
export function makeCovariance(spec: CovarianceSpec, rng?: Rng): Covariance {
  const opts: CovarianceOptions = { rotation: spec.rotation ?? 'none', rng, normalizeTrace: spec.normalizeTrace };
  const need = (k: 'kappa' | 'fraction' | 'theta' | 'alpha'): number => {
    const v = spec[k];
    if (v === undefined) throw new RangeError(`makeCovariance: family '${spec.family}' needs parameter ${k}`);
    return v;
  };
  switch (spec.family) {
    case 'identity': return covarianceFromSpectrum(new Float64Array(spec.d).fill(1), { ...opts, family: 'identity' });
    case 'geometric': return geometricCovariance(spec.d, need('kappa'), opts);
    case 'twoLevel': return twoLevelCovariance(spec.d, need('kappa'), need('fraction'), opts);
    case 'spiked': return spikedCovariance(spec.d, need('theta'), opts);
    case 'powerLaw': return powerLawCovariance(spec.d, need('alpha'), opts);
    default: throw new RangeError(`makeCovariance: family must be identity, geometric, twoLevel, spiked or powerLaw, got '${String((spec as { family: unknown }).family)}'`);
  }
}

// ---------------------------------------------------------------- functions of Σ

/** Σ^p (symmetric; any real p), from the spectrum. */
export function covPower(cov: Covariance, p: number): Mat {
  checkReal('covPower', 'p', p);
  const f = cov.values.map((l) => Math.pow(l, p));
  return cov.vectors ? conjugate(cov.vectors, f) : diag(f);
}

/** Σ^p v for a vector v (float64), from the spectrum. */
export function covApply(cov: Covariance, v: ArrayLike<number>, p = 1): Float64Array {
  const d = cov.d;
  if (v.length !== d) throw new RangeError(`covApply: v must have length ${d}, got ${v.length}`);
  const out = new Float64Array(d);
  if (!cov.vectors) {
    for (let i = 0; i < d; i++) out[i] = Math.pow(cov.values[i], p) * v[i];
    return out;
  }
  const Q = cov.vectors.data, c = new Float64Array(d); // c = diag(λ^p) Qᵀ v
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += Q[i * d + j] * v[i];
    c[j] = s * Math.pow(cov.values[j], p);
  }
  for (let i = 0; i < d; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += Q[i * d + j] * c[j];
    out[i] = s;
  }
  return out;
}

/** tr(Σ^p) = Σ λ_i^p. */
export function covTracePower(cov: Covariance, p: number): number {
  let s = 0;
  for (const l of cov.values) s += Math.pow(l, p);
  return s;
}

/** Eigenvector i (column i of `vectors`, or e_i when axis-aligned). */
export function covEigenvector(cov: Covariance, i: number): Float64Array {
  checkInt('covEigenvector', 'i', i, 0, cov.d - 1);
  const v = new Float64Array(cov.d);
  if (!cov.vectors) { v[i] = 1; return v; }
  for (let r = 0; r < cov.d; r++) v[r] = cov.vectors.data[r * cov.d + i];
  return v;
}

/** The spike direction v of a spiked covariance (first eigenvector). */
export const spikeDirection = (cov: Covariance): Float64Array => covEigenvector(cov, 0);

