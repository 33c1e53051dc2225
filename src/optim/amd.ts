/**
 * Alternating minimisation–descent (AMD) and DFW (de-bias and feature-whiten) for the linear network.
 *
 * AMD: fit the head by least squares on the batch, take a gradient step on the representation, then
 * re-orthonormalise its rows (thin QR):
 * $$F_+ = \arg\min_F \hat L(F, G),\quad G_+ = \mathrm{orth}\big(G - \eta\,\nabla_G \hat L(F_+, G)\big).$$
 *
 * DFW: split the batch into two independent halves; fit the head on the first half, take the
 * gradient on the second, and right-multiply it by the inverse second moment of that half:
 * $$F_+ = \arg\min_F \hat L_1(F, G),\quad G_+ = \mathrm{orth}\big(G - \eta\,\nabla_G \hat L_2(F_+, G)\,\hat\Sigma_2^{-1}\big).$$
 * The returned F is the least-squares head for G (not refitted to G₊); the next step refits it.
 * DFW's Σ̂₂ is the input-side Kronecker-factor block of KFAC (`factor.ts`: power −1, damping λ,
 * Cholesky), applied from the right.
 */
import { Mat, axpy, gram, slice } from '../mat.js';
import { fitHead } from '../metrics.js';
import { orthonormalRows } from '../linalg.js';
import { applyRight, factorInit, stepFactor } from './factor.js';
import type { Batch, LinearParams, TwoLayerModel } from '../models/linear.js';
import type { Optimizer } from './types.js';
import { bool, num, validateOptions, type OptionSpecs } from './options.js';

export const AMD_SPECS: OptionSpecs = {
  lr: num(0.5, 0), // η, step size on G
  ridge: num(0, 0), // ridge added to the head's least-squares normal equations
  orthonormalize: bool(true), // re-orthonormalise G's rows after each step
};
export const DFW_SPECS: OptionSpecs = {
  ...AMD_SPECS,
  damping: num(0, 0), // λ added to Σ̂₂ before inverting
};
interface AmdOptions { lr: number; ridge: number; orthonormalize: boolean; [k: string]: number | string | boolean }
interface DfwOptions extends AmdOptions { damping: number }


function checkModel(name: string, model: TwoLayerModel): void {
  if (model.batchNorm) throw new RangeError(`${name}: defined for the plain linear network, not batch-norm`);
}

export function amd(options: Partial<AmdOptions> = {}): Optimizer<{ t: number }> {
  const o = validateOptions<AmdOptions>('amd', options, AMD_SPECS);
  return {
    name: 'amd',
    options: o,
    init: () => ({ t: 0 }),
    step(p: LinearParams, batch, state, model) {
      checkModel('amd', model);
      const loss = model.loss(p, batch);
      const F = fitHead(p.G, batch, o.ridge);
      const g = model.grads({ F, G: p.G }, batch);
      let G = axpy(-o.lr, g.G, p.G);
      if (o.orthonormalize) G = orthonormalRows(G);
      return { params: { F, G }, state: { t: state.t + 1 }, loss };
    },
  };
}

export function dfw(options: Partial<DfwOptions> = {}): Optimizer<{ t: number }> {
  const o = validateOptions<DfwOptions>('dfw', options, DFW_SPECS);
  return {
    name: 'dfw',
    options: o,
    init: () => ({ t: 0 }),
    step(p: LinearParams, batch, state, model) {
      checkModel('dfw', model);
      const n = batch.X.rows, h = Math.floor(n / 2);
      if (h < 1) throw new RangeError(`dfw: needs a batch of at least 2 samples to split, got n = ${n}`);
      const loss = model.loss(p, batch);
      const b1 = { X: slice(batch.X, 0, h), Y: slice(batch.Y, 0, h) };
      const b2 = { X: slice(batch.X, h, n), Y: slice(batch.Y, h, n) };
      const F = fitHead(p.G, b1, o.ridge);
      const g = model.grads({ F, G: p.G }, b2);
      const sigma2 = stepFactor(factorInit(), gram(b2.X, 1 / b2.X.rows), {
        average: { kind: 'ema', decay: 0, start: 'first' }, every: 1,
        root: { power: -1, rankDeficiency: { kind: 'damping', damping: o.damping } },
      });
      let G = axpy(-o.lr, applyRight(sigma2, g.G), p.G); // G − η ∇_G L̂₂ (Σ̂₂ + λI)⁻¹
      if (o.orthonormalize) G = orthonormalRows(G);
      return { params: { F, G }, state: { t: state.t + 1 }, loss };
    },
  };
}
