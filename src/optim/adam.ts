/**
 * Adam and AdamW: entry-wise ("diagonal") preconditioning with bias-corrected moments
 * (Kingma & Ba 2015; Loshchilov & Hutter 2019), with the semantics of `torch.optim.Adam/AdamW` and
 * `optax.adam/adamw` (ε outside the square root).
 *
 * For a weight matrix W with gradient g_t (all operations entry-wise, t = 1, 2, …, m_0 = v_0 = 0):
 *
 * $$
 * \begin{aligned}
 * \tilde g_t &= g_t + \lambda_{L2} W_{t-1} \quad(\text{Adam only; } \lambda_{L2} = \texttt{weightDecay}), \\
 * m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, \tilde g_t, \qquad
 * v_t = \beta_2 v_{t-1} + (1-\beta_2)\, \tilde g_t^{\,2}, \\
 * \hat m_t &= \frac{m_t}{1-\beta_1^t}, \qquad \hat v_t = \frac{v_t}{1-\beta_2^t}, \\
 * W_t &= W_{t-1} - \eta \Big( \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon} + \lambda_{dec} W_{t-1} \Big)
 * \quad(\text{AdamW only; } \lambda_{dec} = \texttt{weightDecay}).
 * \end{aligned}
 * $$
 *
 * AdamW's decoupled decay equals torch's W ← (1 − ηλ)W followed by the Adam step, and optax's
 * `add_decayed_weights` before `scale(−η)`. On the first step m̂₁ = g̃₁ and v̂₁ = g̃₁², so the step is
 * η g̃₁/(|g̃₁| + ε) = η sign(g̃₁) up to ε (the digest's B5).
 */
import { Mat } from '../mat.js';
import { layerwise, lrSpecs, num, validateOptions, type LayerwiseState, type LrOptions, type OptionSpecs } from './layerwise.js';
import { addDecayedWeights, around, scaleByLearningRate, shapeCheck } from './transform.js';
import type { MatrixTransform, Optimizer } from './types.js';

export interface AdamTransformOptions {
  /** Step size η (default 1e-3). */
  lr?: number;
  /** First-moment decay β₁ ∈ [0, 1) (default 0.9). */
  beta1?: number;
  /** Second-moment decay β₂ ∈ [0, 1) (default 0.999). */
  beta2?: number;
  /** ε ≥ 0 added to √v̂ (default 1e-8). */
  eps?: number;
  /** Adam: coupled L2 coefficient (default 0). AdamW: decoupled decay coefficient (default 0.01, torch). */
  weightDecay?: number;
}
export type AdamOptions = AdamTransformOptions & LrOptions;

const LR_DEFAULT = 1e-3;
const specs = (wdDefault: number): OptionSpecs => ({
  beta1: num(0.9, 0, 1, { maxOpen: true }),
  beta2: num(0.999, 0, 1, { maxOpen: true }),
  eps: num(1e-8, 0),
  weightDecay: num(wdDefault, 0),
});

export interface AdamState { m: Mat; v: Mat; count: number }

/**
 * Adam's lr-free direction m̂_t/(√v̂_t + ε) (optax's `scale_by_adam`). Where √v̂ + ε = 0 (a gradient
 * entry that has always been 0, with ε = 0) the direction is 0, as sign(0).
 */
export function scaleByAdam(o: { beta1?: number; beta2?: number; eps?: number } = {}): MatrixTransform<AdamState> {
  const b1 = o.beta1 ?? 0.9, b2 = o.beta2 ?? 0.999, eps = o.eps ?? 1e-8;
  return {
    init: (w) => ({ m: new Mat(w.rows, w.cols), v: new Mat(w.rows, w.cols), count: 0 }),
    update(g, state) {
      if (state.m.rows !== g.rows || state.m.cols !== g.cols) {
        throw new RangeError(`adam: state is for a ${state.m.rows}x${state.m.cols} matrix, gradient is ${g.rows}x${g.cols}`);
      }
      const t = state.count + 1;
      const bc1 = 1 - b1 ** t, bc2 = 1 - b2 ** t;
      const n = g.data.length, gd = g.data;
      const m = new Mat(g.rows, g.cols), v = new Mat(g.rows, g.cols), u = new Mat(g.rows, g.cols);
      const m0 = state.m.data, v0 = state.v.data;
      for (let i = 0; i < n; i++) {
        const gi = gd[i];
        const mi = b1 * m0[i] + (1 - b1) * gi;
        const vi = b2 * v0[i] + (1 - b2) * gi * gi;
        m.data[i] = mi; v.data[i] = vi;
        const den = Math.sqrt(vi / bc2) + eps;
        u.data[i] = den === 0 ? 0 : (mi / bc1) / den;
      }
      return { u, state: { m, v, count: t } };
    },
  };
}

function adamCore(name: string, options: AdamTransformOptions, decoupled: boolean): MatrixTransform<AdamState> {
  const o = validateOptions<Required<AdamTransformOptions>>(name, options, { lr: num(LR_DEFAULT, 0), ...specs(decoupled ? 0.01 : 0) });
  const { lr, weightDecay: wd } = o;
  // Adam: chain(addDecayedWeights(λ), scaleByAdam, scaleByLearningRate(η)) (coupled L2);
  // AdamW: chain(scaleByAdam, addDecayedWeights(λ), scaleByLearningRate(η)) (decoupled).
  return decoupled
    ? around([shapeCheck(name)], scaleByAdam(o), [addDecayedWeights(wd), scaleByLearningRate(lr)])
    : around([shapeCheck(name), addDecayedWeights(wd)], scaleByAdam(o), [scaleByLearningRate(lr)]);
}

/** The Adam `MatrixTransform` (weightDecay is coupled L2, default 0). */
export const adamTransform = (options: AdamTransformOptions = {}): MatrixTransform<AdamState> => adamCore('adam', options, false);
/** The AdamW `MatrixTransform` (weightDecay is decoupled, default 0.01). */
export const adamwTransform = (options: AdamTransformOptions = {}): MatrixTransform<AdamState> => adamCore('adamw', options, true);

function build(name: 'adam' | 'adamw', options: AdamOptions): Optimizer<LayerwiseState<AdamState, AdamState>> {
  const decoupled = name === 'adamw';
  const o = validateOptions<Record<string, number>>(name, options, { ...lrSpecs(LR_DEFAULT), ...specs(decoupled ? 0.01 : 0) });
  const { lrF: _f, lrG: _g, ...rest } = o;
  return layerwise(name, (lr) => adamCore(name, { ...rest, lr }, decoupled), o) as Optimizer<LayerwiseState<AdamState, AdamState>>;
}

/** Adam on (F, G), layer-wise. Options (defaults): lr 1e-3, lrF/lrG (= lr), beta1 0.9, beta2 0.999, eps 1e-8, weightDecay 0 (coupled L2). */
export const adam = (options: AdamOptions = {}) => build('adam', options);
/** AdamW on (F, G), layer-wise. Options (defaults): lr 1e-3, lrF/lrG (= lr), beta1 0.9, beta2 0.999, eps 1e-8, weightDecay 0.01 (decoupled). */
export const adamw = (options: AdamOptions = {}) => build('adamw', options);
