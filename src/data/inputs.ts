/**
 * Input samplers (DIGEST, "Input laws"): n samples as the rows of X (n×d).
 *
 * - 'gaussian':   x = Σ^{1/2} z, z ~ N(0, I_d)            (so x ~ N(0, Σ));
 * - 'rademacher': x = Σ^{1/2} s, s uniform on {±1}^d      (E x = 0, E x xᵀ = Σ, not Gaussian).
 *
 * Σ^{1/2} is the symmetric root of `Covariance.sqrt`. The distinction matters for the Rademacher law:
 * Σ^{1/2} s and Q diag(√λ) s have the same covariance but different laws; this module uses the first,
 * as the DIGEST states. For an axis-aligned Σ the colouring is a column scaling X_ij = √λ_j z_ij (no
 * product); for a rotated Σ it is the product X = Z Σ^{1/2} (rows: xᵢᵀ = zᵢᵀ Σ^{1/2}, Σ^{1/2} symmetric),
 * computed by the active engine (`mat.matmul`; float32 under tfjs engines, float64 under js64).
 */
import { Mat, matmul } from '../mat.js';
import { mm64 } from '../linalg.js';
import { NORMALS_AT, type Rng } from '../rng.js';
import { residentAProduct } from '../backend.js';
import type { Covariance } from './covariance.js';
import { checkAtMost, checkInt, checkOneOf } from '../validate.js';

/** Most entries of one sampled batch (n·d ≤ 2²⁸, 2 GiB of float64). */
export const MAX_BATCH_ENTRIES = 2 ** 28;

/** A Covariance as the samplers need it: integer d, d positive finite eigenvalues, a finite Σ^{1/2}. */
export function checkCovariance(fn: string, cov: Covariance, name = 'cov'): void {
  if (typeof cov !== 'object' || cov === null || !(cov.sqrt instanceof Mat) || !(cov.values instanceof Float64Array)) {
    throw new RangeError(`${fn}: ${name} must be a Covariance (from makeCovariance or covarianceFromSpectrum)`);
  }
  checkInt(fn, `${name}.d`, cov.d, 1);
  if (cov.values.length !== cov.d || cov.sqrt.rows !== cov.d || cov.sqrt.cols !== cov.d) throw new RangeError(`${fn}: ${name} has inconsistent shapes (d = ${cov.d})`);
  for (let i = 0; i < cov.d; i++) if (!(cov.values[i] > 0 && Number.isFinite(cov.values[i]))) throw new RangeError(`${fn}: ${name}.values[${i}] must be a finite number > 0, got ${cov.values[i]}`);
  const q = cov.sqrt.data;
  for (let i = 0; i < q.length; i++) if (!Number.isFinite(q[i])) throw new RangeError(`${fn}: ${name}.sqrt has a non-finite entry ${q[i]} at ${Math.floor(i / cov.d)},${i % cov.d}`);
}

export type InputLaw = 'gaussian' | 'rademacher';

/** n samples x ~ law coloured by Σ^{1/2}, as the rows of an n×d matrix. */
export function sampleInputs(cov: Covariance, n: number, rng: Rng, law: InputLaw = 'gaussian'): Mat {
  return inputSampler(cov, n, law)(rng);
}

/** Draws (n·d) from which a rotated Gaussian batch is drawn into the product's module (fewer: the JavaScript ziggurat, as `fillNormal`). */
const RESIDENT_MIN = 64;

/**
 * `sampleInputs` for repeated draws (a fresh batch every step): the arguments are validated once, here,
 * and the covariance is read then (treat it as immutable afterwards, as everything `makeCovariance`
 * returns); each call of the returned function draws from `rng` exactly what `sampleInputs(cov, n,
 * rng, law)` draws. `reuse`: every call writes its batch into the same n×d matrix and returns it (valid
 * until the next call): for a training loop that uses each batch for one step, where a new array per
 * step is garbage that the collector must trace and free (on two busy cores its background threads
 * slowed sweep cells by 4–34 %, median 23 %; bench/README.md).
 */
export function inputSampler(cov: Covariance, n: number, law: InputLaw = 'gaussian', opts: { reuse?: boolean } = {}): (rng: Rng) => Mat {
  checkCovariance('sampleInputs', cov);
  checkInt('sampleInputs', 'n', n, 1);
  checkAtMost('sampleInputs', 'n', n, Math.max(1, Math.floor(MAX_BATCH_ENTRIES / cov.d)), `n·d entries at most 2^28 with d = ${cov.d}`);
  checkOneOf('sampleInputs', 'law', law, ['gaussian', 'rademacher']);
  const d = cov.d, gaussian = law === 'gaussian', sqrt = cov.sqrt;
  let r: Float64Array | null = null; // axis-aligned Σ: the column scales √λ_j, null when all are 1
  if (cov.vectors === null) {
    const s = cov.values.map(Math.sqrt);
    for (const v of s) if (v !== 1) { r = s; break; }
  }
  const rotated = cov.vectors !== null;
  // Rotated Σ: the draws Z go into one scratch matrix, reused from batch to batch (only the product
  // X = Z Σ^{1/2} is handed out; the engine reads its operands and keeps no reference to them). Where
  // the engine runs that product in a WebAssembly kernel, Z is drawn straight into the kernel's memory
  // and multiplied there: the same draws and the same product, without copying Z out and back in. The
  // scratch is made at the first batch that needs it (a one-shot `sampleInputs` on the kernel path never
  // does: an n×d array of zeros per call, page faults included, was 5 % of a fresh batch of 1024 at d = 200).
  let scratch: Mat | null = null;
  const reused = opts.reuse ? new Mat(n, d) : null;
  return (rng) => {
    if (rotated && gaussian && n * d >= RESIDENT_MIN) {
      const p = residentAProduct(n, d, d);
      if (p) {
        // Z's rows drawn block by block in order (the same stream as one call), multiplied as they come
        const draw = (r0: number, r1: number) => rng.fillNormalAt(p.module, NORMALS_AT + r0 * d * 8, (r1 - r0) * d);
        if (reused) { p.multiply(NORMALS_AT, sqrt.data, reused.data, draw); return reused; }
        return new Mat(n, d, p.multiply(NORMALS_AT, sqrt.data, undefined, draw));
      }
    }
    const Z = rotated ? (scratch ??= new Mat(n, d)) : reused ?? new Mat(n, d);
    if (gaussian) rng.fillNormal(Z.data); else rng.fillRademacher(Z.data);
    if (rotated) return matmul(Z, sqrt, { out: reused ?? undefined });
    if (r) { const z = Z.data; for (let i = 0; i < n; i++) for (let j = 0, o = i * d; j < d; j++) z[o + j] *= r[j]; }
    return Z;
  };
}

/**
 * Σ̂ = XᵀX / n (d×d, exactly symmetric). Float64 products by default (`mm64`): Σ̂ feeds Cholesky
 * solves where float32 round-off matters when n is close to d; `engine: true` uses the active engine.
 */
export function secondMoment(X: Mat, opts: { engine?: boolean } = {}): Mat {
  const n = X.rows;
  checkInt('secondMoment', 'n (rows of X)', n, 1);
  const S = opts.engine ? matmul(X, X, { transA: true }) : mm64(X, X, true, false);
  const d = S.rows, s = S.data;
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      const v = (0.5 * (s[i * d + j] + s[j * d + i])) / n;
      s[i * d + j] = v; s[j * d + i] = v;
    }
  }
  return S;
}
