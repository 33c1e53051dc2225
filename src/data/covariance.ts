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
import { checkBool, checkDim, checkFiniteArray, checkInt, checkKeys, checkOneOf, checkReal } from '../validate.js';

/**
 * Largest d of a Haar rotation: its QR costs ~d³ (measured on one core: d = 500 in 0.3 s, 1000 in 2.4 s;
 * 2500 would take minutes), so a larger d is refused rather than left running.
 */
export const MAX_HAAR_DIM = 1024;

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
  checkDim('geometricSpectrum', 'd', d, 1);
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
  checkDim('twoLevelSpectrum', 'd', d, 2);
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
  checkDim('spikedSpectrum', 'd', d, 1);
  checkReal('spikedSpectrum', 'theta', theta, { min: -1, minOpen: true });
  const v = new Float64Array(d).fill(1);
  v[0] = 1 + theta;
  return v;
}

/** λ_i = i^{-α}, i = 1..d, α ≥ 0. */
export function powerLawSpectrum(d: number, alpha: number): Float64Array {
  checkDim('powerLawSpectrum', 'd', d, 1);
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
  checkHaarDim('haarOrthogonal', d);
  return qr(rng.normalMat(d, d)).Q;
}

/**
 * Haar-distributed d×k matrix with orthonormal columns (a uniformly random point of the Stiefel
 * manifold): Q of the sign-fixed QR of a d×k Gaussian matrix. k ≤ d.
 */
export function haarStiefel(d: number, k: number, rng: Rng): Mat {
  checkDim('haarStiefel', 'd', d, 1);
  if (Number.isInteger(k) && k > MAX_HAAR_DIM) checkHaarDim('haarStiefel', k, 'k');
  checkInt('haarStiefel', 'k', k, 1, d);
  return qr(rng.normalMat(d, k)).Q;
}

function checkHaarDim(fn: string, d: number, name = 'd'): void {
  checkInt(fn, name, d, 1);
  if (d > MAX_HAAR_DIM) {
    throw new RangeError(`${fn}: ${name} = ${d} is too large for a Haar rotation (at most ${MAX_HAAR_DIM}: its QR costs ~${name}³ and would run for minutes); use rotation 'none' or pass your own orthogonal Mat`);
  }
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
  const fn = 'covarianceFromSpectrum';
  checkKeys(fn, 'options', opts, ['rotation', 'rng', 'normalizeTrace', 'family', 'params'], true);
  if (values === null || typeof values !== 'object' || typeof (values as ArrayLike<number>).length !== 'number') {
    throw new RangeError(`${fn}: values must be an array of eigenvalues, got ${String(values)}`);
  }
  const d = values.length;
  checkDim(fn, 'd (the number of eigenvalues)', d, 1);
  checkFiniteArray(fn, 'values', values);
  if (opts.normalizeTrace !== undefined) checkBool(fn, 'normalizeTrace', opts.normalizeTrace);
  const lam = Float64Array.from(values);
  // which of the caller's parameters made the spectrum (named in errors about it)
  const made = opts.params && Object.keys(opts.params).length
    ? ` (spectrum of family ${opts.family ?? 'custom'} with ${Object.entries(opts.params).map(([k, v]) => `${k} = ${v}`).join(', ')})`
    : '';
  for (let i = 0; i < d; i++) {
    if (!(lam[i] > 0)) throw new RangeError(`${fn}: eigenvalues must be > 0, got values[${i}] = ${lam[i]}${made}`);
  }
  if (opts.normalizeTrace) {
    let s = 0;
    for (const v of lam) s += v;
    const c = d / s;
    for (let i = 0; i < d; i++) lam[i] *= c;
    for (let i = 0; i < d; i++) {
      if (!(lam[i] > 0 && Number.isFinite(lam[i]))) throw new RangeError(`${fn}: normalizeTrace overflows or underflows (tr = ${s}, values[${i}] becomes ${lam[i]})${made}`);
    }
  }
  {
    let mx = -Infinity, mn = Infinity;
    for (const v of lam) { mx = Math.max(mx, v); mn = Math.min(mn, v); }
    if (!Number.isFinite(mx / mn)) throw new RangeError(`${fn}: κ(Σ) = λ_max/λ_min = ${mx}/${mn} overflows${made}; the eigenvalue ratio must be a finite number`);
  }
  const rotation = opts.rotation ?? 'none';
  let q: Mat | null = null;
  if (rotation === 'haar') {
    checkHaarDim(fn, d);
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
  checkDim('identityCovariance', 'd', d, 1);
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
const FAMILY_PARAMS: Readonly<Record<string, readonly ('kappa' | 'fraction' | 'theta' | 'alpha')[]>> = {
  identity: [], geometric: ['kappa'], twoLevel: ['kappa', 'fraction'], spiked: ['theta'], powerLaw: ['alpha'],
};

export function makeCovariance(spec: CovarianceSpec, rng?: Rng): Covariance {
  const fn = 'makeCovariance';
  if (typeof spec !== 'object' || spec === null) throw new RangeError(`${fn}: spec must be an object {family, d, ...}, got ${String(spec)}`);
  const family = checkOneOf(fn, 'family', spec.family, Object.keys(FAMILY_PARAMS)) as CovarianceSpec['family'];
  const own = FAMILY_PARAMS[family];
  checkKeys(fn, `spec (family '${family}')`, spec, ['family', 'd', ...own, 'rotation', 'normalizeTrace']);
  checkDim(fn, 'd', spec.d, 1);
  if (spec.rotation !== undefined) checkOneOf(fn, 'rotation', spec.rotation, ['none', 'haar']);
  if (spec.normalizeTrace !== undefined) checkBool(fn, 'normalizeTrace', spec.normalizeTrace);
  if (spec.rotation === 'haar') checkHaarDim(fn, spec.d);
  const opts: CovarianceOptions = { rotation: spec.rotation ?? 'none' };
  if (rng !== undefined) opts.rng = rng;
  if (spec.normalizeTrace !== undefined) opts.normalizeTrace = spec.normalizeTrace;
  const need = (k: 'kappa' | 'fraction' | 'theta' | 'alpha'): number => {
    const v = spec[k];
    if (v === undefined) throw new RangeError(`${fn}: family '${spec.family}' needs parameter ${k}`);
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

