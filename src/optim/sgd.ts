/**
 * SGD with optional heavy-ball or Nesterov momentum (PyTorch `torch.optim.SGD` semantics, dampening 0).
 *
 * For a weight matrix W with gradient g_t, step size η, momentum μ and L2 coefficient λ:
 *
 * $$
 * \begin{aligned}
 * \tilde g_t &= g_t + \lambda W_{t-1}, \\
 * b_t &= \mu\, b_{t-1} + \tilde g_t, \qquad b_0 = 0, \\
 * d_t &= \begin{cases} \tilde g_t + \mu\, b_t & \text{Nesterov} \\ b_t & \text{heavy ball} \end{cases}, \\
 * W_t &= W_{t-1} - \eta\, d_t .
 * \end{aligned}
 * $$
 *
 * With μ = 0 (the default) this is plain gradient descent, W_t = W_{t−1} − η g̃_t, in either variant.
 * `weightDecay` is *coupled* L2 regularisation (added to the gradient, as in torch), not decoupled decay.
 */
import { Mat } from '../mat.js';
import { bool, checkGradShape, layerwise, lrSpecs, num, validateOptions, type LayerwiseState, type LrOptions, type OptionSpecs } from './layerwise.js';
import type { MatrixTransform, Optimizer } from './types.js';

export interface SgdTransformOptions {
  /** Step size η (default 0.1). */
  lr?: number;
  /** Momentum μ ∈ [0, 1) (default 0). */
  momentum?: number;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
  /** Coupled L2 coefficient λ ≥ 0 (default 0). */
  weightDecay?: number;
}
export type SgdOptions = SgdTransformOptions & LrOptions;

const SPECS: OptionSpecs = {
  momentum: num(0, 0, 1, { maxOpen: true }),
  nesterov: bool(false),
  weightDecay: num(0, 0),
};
const LR_DEFAULT = 0.1;

export interface SgdState { buf: Mat | null }

/** The SGD `MatrixTransform`: u_t = η d_t as above. */
export function sgdTransform(options: SgdTransformOptions = {}): MatrixTransform<SgdState> {
  const o = validateOptions<Required<SgdTransformOptions>>('sgd', options, { lr: num(LR_DEFAULT, 0), ...SPECS });
  const { lr, momentum: mu, nesterov, weightDecay: wd } = o;
  return {
    init: () => ({ buf: null }),
    update(g, state, w) {
      checkGradShape('sgd', g, w);
      const n = g.data.length, gd = g.data, wdata = w.data;
      const gt = new Float64Array(n);
      for (let i = 0; i < n; i++) gt[i] = gd[i] + wd * wdata[i];
      if (mu === 0) {
        const u = new Mat(g.rows, g.cols);
        for (let i = 0; i < n; i++) u.data[i] = lr * gt[i];
        return { u, state: { buf: null } };
      }
      const buf = new Mat(g.rows, g.cols), b = buf.data, prev = state.buf?.data;
      for (let i = 0; i < n; i++) b[i] = (prev ? mu * prev[i] : 0) + gt[i];
      const u = new Mat(g.rows, g.cols);
      for (let i = 0; i < n; i++) u.data[i] = lr * (nesterov ? gt[i] + mu * b[i] : b[i]);
      return { u, state: { buf } };
    },
  };
}

/**
 * SGD on (F, G), layer-wise. Options (defaults): lr 0.1, lrF/lrG (= lr), momentum 0, nesterov false,
 * weightDecay 0.
 */
export function sgd(options: SgdOptions = {}): Optimizer<LayerwiseState<SgdState, SgdState>> {
  const o = validateOptions<Record<string, number | boolean>>('sgd', options, { ...lrSpecs(LR_DEFAULT), ...SPECS });
  const { lrF: _f, lrG: _g, ...rest } = o;
  return layerwise('sgd', (lr) => sgdTransform({ ...(rest as SgdTransformOptions), lr }), o) as Optimizer<LayerwiseState<SgdState, SgdState>>;
}
