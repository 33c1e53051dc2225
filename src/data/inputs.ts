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
import type { Rng } from '../rng.js';
import type { Covariance } from './covariance.js';
import { checkInt } from './validate.js';

export type InputLaw = 'gaussian' | 'rademacher';

/** n samples x ~ law coloured by Σ^{1/2}, as the rows of an n×d matrix. */
export function sampleInputs(cov: Covariance, n: number, rng: Rng, law: InputLaw = 'gaussian'): Mat {
  checkInt('sampleInputs', 'n', n, 1);
  if (law !== 'gaussian' && law !== 'rademacher') {
    throw new RangeError(`sampleInputs: law must be 'gaussian' or 'rademacher', got '${String(law)}'`);
  }
  const d = cov.d, Z = new Mat(n, d);
  if (law === 'gaussian') rng.fillNormal(Z.data); else rng.fillRademacher(Z.data);
  if (cov.vectors === null) {
    const r = cov.values.map(Math.sqrt), z = Z.data;
    let allOne = true;
    for (const v of r) if (v !== 1) { allOne = false; break; }
    if (!allOne) for (let i = 0; i < n; i++) for (let j = 0, o = i * d; j < d; j++) z[o + j] *= r[j];
    return Z;
  }
  return matmul(Z, cov.sqrt);
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
