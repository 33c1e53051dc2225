/**
 * The layer-wise construction shared by the gradient-based members of the family (SGD, Adam, Shampoo,
 * SOAP, Muon): one `MatrixTransform` per weight matrix, applied to F and to G separately, with
 * *simultaneous* gradients: both gradients are taken at the incoming parameters (F_t, G_t),
 *
 * $$
 * (g^F_t, g^G_t) = \big(\nabla_F \hat L(F_t, G_t),\ \nabla_G \hat L(F_t, G_t)\big),\qquad
 * F_{t+1} = F_t - u^F_t,\quad G_{t+1} = G_t - u^G_t,
 * $$
 *
 * where $u^W_t = \mathcal T_W(g^W_t; s^W_{t-1})$ is the update of that matrix's transform, which
 * includes its step size $\eta_F$ or $\eta_G$ ($\eta_F = \eta_G = $ `lr` unless `lrF`/`lrG` override it).
 * Each matrix keeps its own transform state $s^W$ (moments, Kronecker factors, bases); the optimizer
 * state is $(t, s^F, s^G)$ with $t$ the 1-based step count passed to the transforms.
 *
 * Option validation lives in `options.ts` (re-exported here).
 */
import type { Mat } from '../mat.js';
import type { LinearParams } from '../models/linear.js';
import type { MatrixTransform, Optimizer } from './types.js';

export { num, bool, oneOf, describeOption, validateOptions, type OptionSpec, type OptionSpecs, type OptionValue } from './options.js';
import { num, validateOptions, type OptionSpecs, type OptionValue } from './options.js';

/** The step-size options every layer-wise optimizer has. `lr` is required here; factories give its default. */
export interface LrOptions { lr?: number; lrF?: number; lrG?: number }
export const lrSpecs = (lrDefault: number): OptionSpecs => ({
  lr: num(lrDefault, 0), lrF: num(undefined, 0), lrG: num(undefined, 0),
});

/** Throws unless `g` and `w` have the same shape. */
export function checkGradShape(owner: string, g: Mat, w: Mat): void {
  if (g.rows !== w.rows || g.cols !== w.cols) {
    throw new RangeError(`${owner}: gradient is ${g.rows}x${g.cols} but the weight is ${w.rows}x${w.cols}`);
  }
}

export interface LayerwiseState<SF = unknown, SG = unknown> { t: number; F: SF; G: SG }

/**
 * Build an `Optimizer` that applies `makeTransform(η_W, 'F' | 'G')` separately to F and G with
 * simultaneous gradients from `model.grads`. `options` must contain `lr` (η for both matrices) and may
 * contain `lrF`, `lrG` (overrides); they are validated here, and the whole record (the options in force)
 * is exposed as `optimizer.options`. Other keys are passed through untouched (the factories that call
 * this validate them).
 */
export function layerwise(
  name: string,
  makeTransform: (lr: number, layer: 'F' | 'G') => MatrixTransform<any>,
  options: Readonly<Record<string, OptionValue>>,
): Optimizer<LayerwiseState> {
  const o = options as Record<string, unknown>;
  if (o.lr === undefined) throw new RangeError(`${name}: option 'lr' is required`);
  validateOptions(name, { lr: o.lr, lrF: o.lrF, lrG: o.lrG }, lrSpecs(0));
  const lr = o.lr as number;
  const lrF = (o.lrF as number | undefined) ?? lr, lrG = (o.lrG as number | undefined) ?? lr;
  const tF = makeTransform(lrF, 'F'), tG = makeTransform(lrG, 'G');
  return {
    name,
    options: Object.isFrozen(options) ? options : Object.freeze({ ...options }),
    init(params: LinearParams): LayerwiseState {
      return { t: 0, F: tF.init(params.F), G: tG.init(params.G) };
    },
    step(params, batch, state, model) {
      const g = model.grads(params, batch); // both gradients at (F_t, G_t): a simultaneous step
      const t = state.t + 1;
      const rF = tF.update(g.F, state.F, params.F, t);
      const rG = tG.update(g.G, state.G, params.G, t);
      return {
        params: { F: subtract(params.F, rF.u), G: subtract(params.G, rG.u) },
        state: { t, F: rF.state, G: rG.state },
        loss: g.loss,
      };
    },
  };
}

function subtract(w: Mat, u: Mat): Mat {
  if (u.rows !== w.rows || u.cols !== w.cols) {
    throw new RangeError(`layerwise: update is ${u.rows}x${u.cols} but the weight is ${w.rows}x${w.cols}`);
  }
  const out = w.clone(), d = out.data, ud = u.data;
  for (let i = 0; i < d.length; i++) d[i] -= ud[i];
  return out;
}
