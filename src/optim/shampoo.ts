/**
 * Shampoo (Gupta, Koren & Singer 2018), per weight matrix: one Kronecker factor per axis.
 *
 * For W ∈ ℝ^{m×n} with gradient g_t, step size η, factor decay β₂, damping ε and per-side exponent p:
 *
 * $$
 * \begin{aligned}
 * L_t &= \begin{cases} L_{t-1} + g_t g_t^\top & \beta_2 = 1 \ (\text{sum, the original}) \\
 *        \beta_2 L_{t-1} + (1-\beta_2)\, g_t g_t^\top & \beta_2 < 1 \ (\text{moving average}) \end{cases}
 * \qquad R_t \text{ likewise with } g_t^\top g_t, \qquad L_0 = R_0 = 0, \\
 * P^L_t &= (L_{\tau(t)} + \epsilon I_m)^{-p}, \qquad P^R_t = (R_{\tau(t)} + \epsilon I_n)^{-p},
 * \qquad \tau(t) = 1 + k\,\lfloor (t-1)/k \rfloor, \\
 * W_t &= W_{t-1} - \eta\, P^L_t\, g_t\, P^R_t .
 * \end{aligned}
 * $$
 *
 * The roots are recomputed every k = `updateEvery` steps (at t = 1, 1 + k, 1 + 2k, …) and reused in
 * between; the factors are accumulated every step. `sides` chooses the variant:
 * - `'both'` (default, p = 1/4): the classic W −= η L^{-1/4} g R^{-1/4}; `exponent: 0.5` gives the
 *   exponent −1/2 per side variant L^{-1/2} g R^{-1/2};
 * - `'left'`, `'right'`, `'smaller'` (p = 1/2 by default): one-sided Shampoo, W −= η (L + εI)^{-1/2} g
 *   or η g (R + εI)^{-1/2}; `'smaller'` preconditions the smaller axis (left when m ≤ n).
 *
 * Roots come from a float64 eigendecomposition (eigenvalues clipped at 0, then ε added), kept in factored
 * form (`factor.dampedPowerRoot`, `linalg.eigSymFactors`): the n×n root is never formed, P g costs
 * O(m n²) instead of the O(n³) of forming it. With ε = 0 the root is a pseudo-inverse root: eigenvalues
 * ≤ 1e-12·λ_max count as 0 and map to 0.
 * `precondition: false` (or `exponent: 0`) turns the preconditioners into the identity, so the step is
 * exactly SGD's, W −= η g.
 *
 * Useful identity (checked in the tests): on the first step with β₂ = 1 and ε → 0, writing g = U S Vᵀ,
 * L^{-1/4} g R^{-1/4} = U S^{-1/2} S S^{-1/2} Vᵀ = U Vᵀ and (g gᵀ)^{-1/2} g = U Vᵀ: Shampoo's first step is
 * the polar factor of the gradient, Muon's direction. With ε > 0 it is U diag(s_i (s_i² + ε)^{-2p}) Vᵀ.
 */
import { Mat, matmulNT, matmulTN } from '../mat.js';
import { bool, layerwise, lrSpecs, num, oneOf, validateOptions, type LayerwiseState, type LrOptions, type OptionSpecs } from './layerwise.js';
import { averageFactor, dampedPower, dampedPowerRoot, rootLeft, rootRight, type FactorAverage, type PowerRoot, type RankDeficiency } from './factor.js';
import { around, scaleByLearningRate, shapeCheck } from './transform.js';
import type { MatrixTransform, Optimizer } from './types.js';

export type ShampooSides = 'both' | 'left' | 'right' | 'smaller';
export interface ShampooTransformOptions {
  /** Step size η (default 0.1). */
  lr?: number;
  /** Factor decay β₂ ∈ [0, 1]; 1 (default) accumulates sums, < 1 an exponential moving average. */
  beta2?: number;
  /** Damping ε ≥ 0 added to each factor as εI before the root (default 1e-6); 0: pseudo-inverse root, cut 1e-12. */
  eps?: number;
  /** Per-side root p ∈ [0, 1]: the preconditioners are (factor + εI)^{-p}. Default 1/4 for 'both', 1/2 one-sided. */
  exponent?: number;
  /** Which axes to precondition (default 'both'). */
  sides?: ShampooSides;
  /** Recompute the roots every this many steps (integer ≥ 1, default 1). */
  updateEvery?: number;
  /** false: no preconditioning at all (the step is SGD's). Default true. */
  precondition?: boolean;
}
export type ShampooOptions = ShampooTransformOptions & LrOptions;

const LR_DEFAULT = 0.1;
const SPECS: OptionSpecs = {
  beta2: num(1, 0, 1),
  eps: num(1e-6, 0),
  exponent: num(undefined, 0, 1),
  sides: oneOf(['both', 'left', 'right', 'smaller'], 'both'),
  updateEvery: num(1, 1, Infinity, { integer: true }),
  precondition: bool(true),
};

/** Fill in the side-dependent default exponent so the recorded options are the ones in force. */
function resolve(name: string, options: object, specs: OptionSpecs): Record<string, number | string | boolean> {
  const o = validateOptions<Record<string, number | string | boolean>>(name, options, specs);
  if (o.exponent !== undefined) return o;
  return Object.freeze({ ...o, exponent: o.sides === 'both' ? 0.25 : 0.5 });
}

/** The named options' rank-deficiency rule: ε > 0 damps, ε = 0 takes the pseudo-inverse root (cut 1e-12·λ_max). */
export const shampooRankDeficiency = (eps: number): RankDeficiency =>
  (eps > 0 ? { kind: 'damping', damping: eps } : { kind: 'pseudo-inverse', rcond: 1e-12 });

/**
 * (A + εI)^{-p} for a symmetric positive semi-definite factor A, in float64 (`factor.dampedPower`).
 * ε > 0: damped; ε = 0: pseudo-inverse root (eigenvalues ≤ 1e-12·λ_max map to 0). p = 0 gives I exactly.
 */
export const factorInvRoot = (a: Mat, p: number, eps: number): Mat => dampedPower(a, -p, shampooRankDeficiency(eps));

export interface ShampooState {
  /** Left factor (m×m), or null when the left side is not preconditioned. */
  L: Mat | null;
  /** Right factor (n×n), or null when the right side is not preconditioned. */
  R: Mat | null;
  /** Cached roots (L + εI)^{-p}, (R + εI)^{-p} from the last refresh, in factored form (`factor.rootMatrix` forms one). */
  PL: PowerRoot | null;
  PR: PowerRoot | null;
  count: number;
}

/** Options of the lr-free Shampoo piece, with the rank-deficiency rule as a typed option. */
export interface ScaleByShampooOptions {
  beta2?: number;
  /** Per-side power p (the preconditioners are factor^{-p}); default 1/4 for 'both', 1/2 one-sided. */
  exponent?: number;
  sides?: ShampooSides;
  updateEvery?: number;
  precondition?: boolean;
  /** How singular factors are raised to −p (default: damping 1e-6). */
  rankDeficiency?: RankDeficiency;
}

/**
 * Shampoo's lr-free direction P^L_t g_t P^R_t, each side a Kronecker-factor block (`factor.ts`):
 * statistic g gᵀ (gᵀg), summed (β₂ = 1) or averaged from zero, power −p refreshed every k steps.
 */
export function scaleByShampoo(o: ScaleByShampooOptions = {}): MatrixTransform<ShampooState> {
  const beta2 = o.beta2 ?? 1, sides = o.sides ?? 'both', every = o.updateEvery ?? 1, on = o.precondition ?? true;
  const p = o.exponent ?? (sides === 'both' ? 0.25 : 0.5);
  const rd = o.rankDeficiency ?? { kind: 'damping', damping: 1e-6 };
  const average: FactorAverage = beta2 === 1 ? { kind: 'sum' } : { kind: 'ema', decay: beta2, start: 'zero' };
  const useSides = (w: Mat): [boolean, boolean] => {
    if (!on) return [false, false];
    if (sides === 'both') return [true, true];
    if (sides === 'left') return [true, false];
    if (sides === 'right') return [false, true];
    return w.rows <= w.cols ? [true, false] : [false, true];
  };
  return {
    init: () => ({ L: null, R: null, PL: null, PR: null, count: 0 }),
    update(g, state, w) {
      const count = state.count + 1;
      const [left, right] = useSides(w);
      if (!left && !right) return { u: g, state: { ...state, count } };
      const L = left ? averageFactor(state.L, matmulNT(g, g), average) : null;
      const R = right ? averageFactor(state.R, matmulTN(g, g), average) : null;
      const refresh = (count - 1) % every === 0; // the block's schedule: estimates 1, 1 + k, 1 + 2k, …
      const PL = left ? (refresh || !state.PL ? dampedPowerRoot(L!, -p, rd) : state.PL) : null;
      const PR = right ? (refresh || !state.PR ? dampedPowerRoot(R!, -p, rd) : state.PR) : null;
      let d = g;
      if (PL) d = rootLeft(PL, d);
      if (PR) d = rootRight(PR, d);
      return { u: d, state: { L, R, PL, PR, count } };
    },
  };
}

function shampooCore(o: Record<string, number | string | boolean>): MatrixTransform<ShampooState> {
  const head = scaleByShampoo({
    beta2: o.beta2 as number, exponent: o.exponent as number, sides: o.sides as ShampooSides,
    updateEvery: o.updateEvery as number, precondition: o.precondition as boolean,
    rankDeficiency: shampooRankDeficiency(o.eps as number),
  });
  return around([shapeCheck('shampoo')], head, [scaleByLearningRate(o.lr as number)]);
}

/** The Shampoo `MatrixTransform`: `chain(scaleByShampoo, scaleByLearningRate(η))`. */
export function shampooTransform(options: ShampooTransformOptions = {}): MatrixTransform<ShampooState> {
  return shampooCore(resolve('shampoo', options, { lr: num(LR_DEFAULT, 0), ...SPECS }));
}

/**
 * Shampoo on (F, G), layer-wise. Options (defaults): lr 0.1, lrF/lrG (= lr), beta2 1 (sum), eps 1e-6,
 * exponent 1/4 ('both') or 1/2 (one-sided), sides 'both', updateEvery 1, precondition true.
 */
export function shampoo(options: ShampooOptions = {}): Optimizer<LayerwiseState<ShampooState, ShampooState>> {
  const o = resolve('shampoo', options, { ...lrSpecs(LR_DEFAULT), ...SPECS });
  return layerwise('shampoo', (lr) => shampooCore({ ...o, lr }), o) as Optimizer<LayerwiseState<ShampooState, ShampooState>>;
}
