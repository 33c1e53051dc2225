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
 * factors are refreshed every `updateEvery` steps. All factor solves are float64 Cholesky.
 */
import { Mat, addDiag, axpy, gram, matmulNT, matmulTN, scale } from '../mat.js';
import { cholesky, solveRightL, cholSolveL } from '../linalg.js';
import type { LinearParams } from '../models/linear.js';
import type { Optimizer } from './types.js';
import { num, oneOf, validateOptions, type OptionSpecs } from './options.js';

export const KFAC_SPECS: OptionSpecs = {
  lr: num(0.5, 0), // η_G, step size on G
  lrF: num(undefined, 0), // η_F, step size on F (defaults to lr)
  leftFactor: oneOf(['gauss-newton', 'identity'], 'gauss-newton'), // P_G: FᵀF + λ_P I or I
  inputFactor: oneOf(['empirical', 'identity'], 'empirical'), // Σ̂ (and Σ̂_z) or I
  dampingG: num(0, 0), // λ_G added to Σ̂
  dampingF: num(0, 0), // λ_F added to Σ̂_z
  dampingP: num(0, 0), // λ_P added to FᵀF
  emaDecay: num(0, 0, 1, { maxOpen: true }), // β of the factors' moving average (0: current batch)
  updateEvery: num(1, 1, Infinity, { integer: true }), // refresh the factors' Cholesky factors every this many steps
};

export interface KfacOptions {
  lr: number; lrF: number; leftFactor: 'gauss-newton' | 'identity'; inputFactor: 'empirical' | 'identity';
  dampingG: number; dampingF: number; dampingP: number; emaDecay: number; updateEvery: number;
  [k: string]: number | string | boolean;
}
/** The (averaged) factors, or their Cholesky factors; null where the option makes that factor I. */
interface Factors { A: Mat | null; Az: Mat | null; P: Mat | null }
export interface KfacState { t: number; avg: Factors | null; chol: Factors | null }

/** β·prev + (1 − β)·cur, or cur on the first step (the average starts at the first batch's factor). */
const ema = (prev: Mat | null | undefined, cur: Mat, beta: number): Mat => (prev && beta > 0 ? axpy(beta, prev, scale(cur, 1 - beta)) : cur);

export function kfac(options: Partial<KfacOptions> = {}): Optimizer<KfacState> {
  const given = validateOptions<Partial<KfacOptions>>('kfac', options, KFAC_SPECS);
  const o = Object.freeze({ ...given, lrF: given.lrF ?? given.lr }) as KfacOptions;
  const refresh = (t: number) => (t - 1) % o.updateEvery === 0;
  return {
    name: o.leftFactor === 'identity' ? 'kfac-input' : 'kfac',
    options: o,
    init: () => ({ t: 0, avg: null, chol: null }),
    step(p: LinearParams, batch, state, model) {
      if (model.batchNorm) throw new RangeError('kfac: the stylised KFAC step is defined for the plain linear network, not batch-norm');
      const t = state.t + 1, n = batch.X.rows;
      const g = model.grads(p, batch);
      const beta = o.emaDecay;
      const empirical = o.inputFactor === 'empirical';
      const A = empirical ? ema(state.avg?.A, gram(batch.X, 1 / n), beta) : null;
      const P = o.leftFactor === 'gauss-newton' ? ema(state.avg?.P, matmulTN(p.F, p.F), beta) : null;
      const fresh = refresh(t) || !state.chol;
      const chol: Factors = fresh
        ? { A: A && cholesky(addDiag(A, o.dampingG)), P: P && cholesky(addDiag(P, o.dampingP)), Az: null }
        : { ...state.chol! };
      // G step: P⁻¹ ∇_G (Σ̂ + λ_G I)⁻¹
      let dG = g.G;
      if (chol.A) dG = solveRightL(dG, chol.A);
      if (chol.P) dG = cholSolveL(chol.P, dG);
      const G1 = axpy(-o.lr, dG, p.G);
      // F step at G₊: ∇_F L̂(F, G₊) = −Rᵀ Z / n with Z = X G₊ᵀ
      const Z = matmulNT(batch.X, G1);
      const R = matmulNT(Z, p.F);
      for (let i = 0; i < R.data.length; i++) R.data[i] = batch.Y.data[i] - R.data[i];
      const gF = matmulTN(R, Z);
      for (let i = 0; i < gF.data.length; i++) gF.data[i] *= -1 / n;
      const Az = empirical ? ema(state.avg?.Az, gram(Z, 1 / n), beta) : null;
      if (fresh && Az) chol.Az = cholesky(addDiag(Az, o.dampingF));
      const dF = chol.Az ? solveRightL(gF, chol.Az) : gF;
      const F1 = axpy(-o.lrF, dF, p.F);
      return {
        params: { F: F1, G: G1 },
        state: { t, avg: { A, Az, P }, chol },
        loss: g.loss,
      };
    },
  };
}
