/** Small Model A problems for the optimizer tests. */
import { Mat, diag, matmul, matmulNT } from '../src/mat.js';
import { haarOrthogonal } from '../src/data/covariance.js';
import { mm64, orthonormalRows } from '../src/linalg.js';
import { Rng } from '../src/rng.js';
import type { Batch, LinearParams } from '../src/models/linear.js';

export interface Problem { d: number; k: number; dy: number; sigmaHalf: Mat; sigma: Mat; Gs: Mat; Fs: Mat }

/** Rotated geometric spectrum with condition number κ (λ_max = 1); G* orthonormal rows; F* Gaussian. */
export function problem(rng: Rng, d: number, k: number, dy: number, kappa: number): Problem {
  const Q = haarOrthogonal(d, rng);
  const lam = Array.from({ length: d }, (_, i) => kappa ** (-i / Math.max(d - 1, 1)));
  const sigmaHalf = mm64(mm64(Q, diag(lam.map(Math.sqrt))), Q, false, true);
  const sigma = mm64(mm64(Q, diag(lam)), Q, false, true);
  const Gs = orthonormalRows(rng.normalMat(k, d));
  const Fs = rng.normalMat(dy, k);
  return { d, k, dy, sigmaHalf, sigma, Gs, Fs };
}

/** n samples x = Σ^{1/2} z, y = F* G* x + σ_ε ε. */
export function batch(rng: Rng, p: Problem, n: number, noise = 0): Batch {
  const X = matmul(rng.normalMat(n, p.d), p.sigmaHalf);
  const Y = matmulNT(matmulNT(X, p.Gs), p.Fs);
  if (noise > 0) for (let i = 0; i < Y.data.length; i++) Y.data[i] += noise * rng.normal();
  return { X, Y };
}

export function initParams(rng: Rng, p: Problem): LinearParams {
  return { F: rng.normalMat(p.dy, p.k, 1 / Math.sqrt(p.k)), G: rng.normalMat(p.k, p.d, 1 / Math.sqrt(p.d)) };
}

export { maxDiff } from './optim/_helpers.js';
