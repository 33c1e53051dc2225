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
import { bool, layerwise, lrSpecs, num, validateOptions, type LayerwiseState, type LrOptions, type OptionSpecs } from './layerwise.js';
import { addDecayedWeights, around, scaleByLearningRate, shapeCheck, withTail } from './transform.js';
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

/**
 * Momentum, lr-free (optax's `trace`). `form: 'sum'` (torch SGD): b_t = μ b_{t−1} + u_t, output
 * u_t + μ b_t (Nesterov) or b_t. `form: 'ema'` (Muon's reference, a lerp): b_t = μ b_{t−1} + (1 − μ) u_t,
 * output (1 − μ) u_t + μ b_t (Nesterov) or b_t. b_0 = 0; μ = 0 in the sum form keeps no buffer.
 */
export function trace(o: { momentum: number; nesterov?: boolean; form?: 'sum' | 'ema' }): MatrixTransform<SgdState> {
  const mu = o.momentum, nesterov = !!o.nesterov, ema = o.form === 'ema';
  return {
    init: (w) => ({ buf: ema ? new Mat(w.rows, w.cols) : null }),
    update(g, state) {
      const n = g.data.length, gd = g.data;
      if (ema) {
        if (!state.buf || state.buf.rows !== g.rows || state.buf.cols !== g.cols) {
          throw new RangeError(`trace: state is for a ${state.buf?.rows}x${state.buf?.cols} matrix, gradient is ${g.rows}x${g.cols}`);
        }
        const buf = new Mat(g.rows, g.cols), d = new Mat(g.rows, g.cols), prev = state.buf.data;
        for (let i = 0; i < n; i++) {
          const b = mu * prev[i] + (1 - mu) * gd[i];
          buf.data[i] = b;
          d.data[i] = nesterov ? (1 - mu) * gd[i] + mu * b : b;
        }
        return { u: d, state: { buf } };
      }
      if (mu === 0) return { u: g, state: { buf: null } };
      const buf = new Mat(g.rows, g.cols), b = buf.data, prev = state.buf?.data;
      for (let i = 0; i < n; i++) b[i] = (prev ? mu * prev[i] : 0) + gd[i];
      if (!nesterov) return { u: buf, state: { buf } };
      const u = new Mat(g.rows, g.cols);
      for (let i = 0; i < n; i++) u.data[i] = gd[i] + mu * b[i];
      return { u, state: { buf } };
    },
  };
}

/** SGD's lr-free direction: coupled L2, then momentum, d_t above: `chain(addDecayedWeights(λ), trace(μ))`. */
export const scaleBySgd = (o: { momentum?: number; nesterov?: boolean; weightDecay?: number } = {}): MatrixTransform<SgdState> =>
  around([shapeCheck('sgd'), addDecayedWeights(o.weightDecay ?? 0)], trace({ momentum: o.momentum ?? 0, nesterov: o.nesterov }));

/** The SGD `MatrixTransform`, step size included: u_t = η d_t. */
export function sgdTransform(options: SgdTransformOptions = {}): MatrixTransform<SgdState> {
  const o = validateOptions<Required<SgdTransformOptions>>('sgd', options, { lr: num(LR_DEFAULT, 0), ...SPECS });
  return withTail(scaleBySgd(o), scaleByLearningRate(o.lr));
}

/**
 * SGD on (F, G), layer-wise. Options (defaults): lr 0.1, lrF/lrG (= lr), momentum 0, nesterov false,
 * weightDecay 0. Per matrix: `chain(addDecayedWeights(λ), trace(μ), scaleByLearningRate(η))`.
 */
export function sgd(options: SgdOptions = {}): Optimizer<LayerwiseState<SgdState, SgdState>> {
  const o = validateOptions<Record<string, number | boolean>>('sgd', options, { ...lrSpecs(LR_DEFAULT), ...SPECS });
  const { lrF: _f, lrG: _g, ...rest } = o;
  return layerwise('sgd', (lr) => sgdTransform({ ...(rest as SgdTransformOptions), lr }), o) as Optimizer<LayerwiseState<SgdState, SgdState>>;
}

