/**
 * Stylised KFAC for the two-layer linear network (the paper's Eq. 5): one Kronecker factor per side
 * of each weight matrix, G updated first, then F with the updated G.
 *
 * $$G_+ = G - \eta_G\, P_G^{-1}\, \nabla_G \hat L(F, G)\, (\hat\Sigma + \lambda_G I)^{-1}$$
 * $$F_+ = F - \eta_F\, \nabla_F \hat L(F, G_+)\, (\hat\Sigma_z + \lambda_F I)^{-1},\quad
 *   \hat\Sigma_z = G_+ \hat\Sigma G_+^\top$$
 *
 * with $P_G = F^\top F + \lambda_P I$ (`leftFactor: 'gauss-newton'`, the output-side factor that makes
 * this KFAC) or $P_G = I$ (`leftFactor: 'identity'`, input-side "feature whitening" only).
 * `inputFactor: 'identity'` replaces Σ̂ and Σ̂_z by I: with both factors identity the step is SGD on G
 * followed by SGD on F at G₊. Factors may be exponential moving averages (`emaDecay` β:
 * $A_t = \beta A_{t-1} + (1-\beta)\hat A_t$, started at the first batch's factor) and their Cholesky
 * factors are refreshed every `updateEvery` steps. Each of Σ̂, Σ̂_z and P_G is one Kronecker-factor
 * block (`factor.ts`, shared with Shampoo, SOAP and Model B's preconditioned step): moving average,
 * cached power −1 refreshed every k steps, applied from the right (Σ̂, Σ̂_z) or the left (P_G). With
 * `factorInverse: 'cholesky'` (default) the inverses are float64 Cholesky solves of the damped factors
 * (λ = 0 and a singular factor, e.g. n < d, is an error that says so); `'pseudo-inverse'` applies the
 * Moore–Penrose inverse of an undamped factor instead (eigenvalues ≤ `rcond`·λ_max dropped; a damped
 * factor is invertible and keeps the Cholesky route).
 */
import { gram, matmulNT, matmulTN, axpy } from '../mat.js';
import type { LinearParams } from '../models/linear.js';
import type { Optimizer } from './types.js';
import { num, oneOf, validateOptions, type OptionSpecs } from './options.js';
import { applyLeft, applyRight, factorInit, stepFactor, type FactorAverage, type FactorRoot, type FactorState } from './factor.js';

export const KFAC_SPECS: OptionSpecs = {
  lr: num(0.5, 0), // η_G, step size on G
  lrF: num(undefined, 0), // η_F, step size on F (defaults to lr)
  leftFactor: oneOf(['gauss-newton', 'identity'], 'gauss-newton'), // P_G: FᵀF + λ_P I or I
  inputFactor: oneOf(['empirical', 'identity'], 'empirical'), // Σ̂ (and Σ̂_z) or I
  dampingG: num(0, 0), // λ_G added to Σ̂
  dampingF: num(0, 0), // λ_F added to Σ̂_z
  dampingP: num(0, 0), // λ_P added to FᵀF
  emaDecay: num(0, 0, 1, { maxOpen: true }), // β of the factors' moving average (0: current batch)
  updateEvery: num(1, 1, Infinity, { integer: true }), // refresh the factors' inverses every this many steps
  factorInverse: oneOf(['cholesky', 'pseudo-inverse'], 'cholesky'), // how (A + λI)^{-1} is applied
  rcond: num(1e-12, 0, 1), // pseudo-inverse: relative cut on the eigenvalues
};

export interface KfacOptions {
  lr: number; lrF: number; leftFactor: 'gauss-newton' | 'identity'; inputFactor: 'empirical' | 'identity';
  dampingG: number; dampingF: number; dampingP: number; emaDecay: number; updateEvery: number;
  factorInverse: 'cholesky' | 'pseudo-inverse'; rcond: number;
  [k: string]: number | string | boolean;
}
/** The three Kronecker-factor blocks; null where the option makes that factor I. */
export interface KfacState { t: number; A: FactorState | null; Az: FactorState | null; P: FactorState | null }

export function kfac(options: Partial<KfacOptions> = {}): Optimizer<KfacState> {
  const given = validateOptions<Partial<KfacOptions>>('kfac', options, KFAC_SPECS);
  const o = Object.freeze({ ...given, lrF: given.lrF ?? given.lr }) as KfacOptions;
  const average: FactorAverage = { kind: 'ema', decay: o.emaDecay, start: 'first' };
  // (A + λI)^{-1}: Cholesky; the pseudo-inverse only matters for an undamped factor (λ > 0 makes it the inverse).
  const block = (damping: number) => ({
    average, every: o.updateEvery,
    root: (o.factorInverse === 'pseudo-inverse' && damping === 0
      ? { power: -1, rankDeficiency: { kind: 'pseudo-inverse', rcond: o.rcond } }
      : { power: -1, rankDeficiency: { kind: 'damping', damping } }) as FactorRoot,
  });
  const bA = block(o.dampingG), bAz = block(o.dampingF), bP = block(o.dampingP);
  return {
    name: o.leftFactor === 'identity' ? 'kfac-input' : 'kfac',
    options: o,
    init: () => ({ t: 0, A: null, Az: null, P: null }),
    step(p: LinearParams, batch, state, model) {
      if (model.batchNorm) throw new RangeError('kfac: the stylised KFAC step is defined for the plain linear network, not batch-norm');
      const t = state.t + 1, n = batch.X.rows;
      const g = model.grads(p, batch);
      const empirical = o.inputFactor === 'empirical';
      // Factors of the G step: A ≈ Σ̂ = XᵀX/n (input side), P ≈ FᵀF (output side)
      const A = empirical ? stepFactor(state.A ?? factorInit(), gram(batch.X, 1 / n), bA) : null;
      const P = o.leftFactor === 'gauss-newton' ? stepFactor(state.P ?? factorInit(), matmulTN(p.F, p.F), bP) : null;
      // G step: P⁻¹ ∇_G (Σ̂ + λ_G I)⁻¹
      let dG = g.G;
      if (A) dG = applyRight(A, dG);
      if (P) dG = applyLeft(P, dG);
      const G1 = axpy(-o.lr, dG, p.G);
      // F step at G₊: ∇_F L̂(F, G₊) = −Rᵀ Z / n with Z = X G₊ᵀ
      const Z = matmulNT(batch.X, G1);
      const R = matmulNT(Z, p.F);
      for (let i = 0; i < R.data.length; i++) R.data[i] = batch.Y.data[i] - R.data[i];
      const gF = matmulTN(R, Z);
      for (let i = 0; i < gF.data.length; i++) gF.data[i] *= -1 / n;
      // F step: ∇_F (Σ̂_z + λ_F I)⁻¹ with Σ̂_z = Z Zᵀ/n = G₊ Σ̂ G₊ᵀ
      const Az = empirical ? stepFactor(state.Az ?? factorInit(), gram(Z, 1 / n), bAz) : null;
      const dF = Az ? applyRight(Az, gF) : gF;
      const F1 = axpy(-o.lrF, dF, p.F);
      return { params: { F: F1, G: G1 }, state: { t, A, Az, P }, loss: g.loss };
    },
  };
}
