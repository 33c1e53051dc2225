/**
 * The optimizer algebra (optax-style): small pure per-matrix pieces, composed with `chain`, routed by
 * parameter name over a record of named matrices, and turned into an `Optimizer` for Model A ({F, G})
 * or used directly on Model B ({W, a}).
 *
 * A piece is a `MatrixTransform`: `init(w)` gives its state, `update(u, state, w)` maps the incoming
 * update u (the gradient for the first piece) to a new one. Sign convention: the final update is
 * *subtracted*, W ← W − u, so `scaleByLearningRate(η)` multiplies by +η (optax multiplies by −η and
 * adds). Pieces never mutate their inputs; states are plain data (matrices, numbers, null, arrays),
 * saved and restored exactly by `optim/state.ts`.
 *
 * The pieces that define the named optimizers live beside their update rules: `scaleByAdam`
 * (`adam.ts`), `scaleByShampoo` (`shampoo.ts`), `scaleBySoap` (`soap.ts`), `scaleByPolar` and
 * `scaleByShape` (`muon.ts`), `trace` (momentum, `sgd.ts`); the generic ones are here.
 *
 * $$ \texttt{chain}(T_1, \dots, T_k)(g) = T_k(\cdots T_2(T_1(g))), \qquad
 *    \texttt{addDecayedWeights}(\lambda)(u) = u + \lambda W, \qquad
 *    \texttt{scaleByLearningRate}(\eta)(u) = \eta u . $$
 */
import { Mat } from '../mat.js';
import type { Batch, LinearParams, TwoLayerModel } from '../models/linear.js';
import type { MatrixTransform, Optimizer } from './types.js';
import { num, validateOptions, type OptionSpecs, type OptionValue } from './options.js';

export type { MatrixTransform } from './types.js';

/** A stateless piece: its state is null and it maps (u, w) to a new update. */
export function stateless(f: (u: Mat, w: Mat) => Mat): MatrixTransform<null> {
  return { init: () => null, update: (u, _s, w) => ({ u: f(u, w), state: null }) };
}

/** u ↦ c·u (entry-wise c * u, exactly as written). */
export const scale = (c: number): MatrixTransform<null> => stateless((u) => {
  const out = new Mat(u.rows, u.cols);
  for (let i = 0; i < out.data.length; i++) out.data[i] = c * u.data[i];
  return out;
});

/** u ↦ η·u: the step size, last in a chain (the update is subtracted). */
export const scaleByLearningRate = (lr: number): MatrixTransform<null> => scale(lr);

/**
 * u ↦ u + λW. Before a preconditioner it is coupled L2 regularisation (torch's `weight_decay` of SGD
 * and Adam); after it, decoupled weight decay (AdamW).
 */
export const addDecayedWeights = (wd: number): MatrixTransform<null> => stateless((u, w) => {
  checkGradShape('addDecayedWeights', u, w);
  const out = new Mat(u.rows, u.cols);
  for (let i = 0; i < out.data.length; i++) out.data[i] = u.data[i] + wd * w.data[i];
  return out;
});

/** u ↦ 0: a parameter that this optimizer leaves fixed (optax's `set_to_zero`). */
export const frozen = (): MatrixTransform<null> => stateless((u) => new Mat(u.rows, u.cols));

/** The identity piece. */
export const identity = (): MatrixTransform<null> => stateless((u) => u);

/** The state of a chain: one entry per piece, in order. */
export type ChainState = readonly unknown[];

/** Apply the pieces in order; the state is the array of their states. */
export function chain(...pieces: MatrixTransform<any>[]): MatrixTransform<ChainState> {
  return {
    init: (w) => pieces.map((p) => p.init(w)),
    update(g, state, w, t) {
      if (state.length !== pieces.length) throw new RangeError(`chain: state has ${state.length} entries for ${pieces.length} pieces`);
      let u = g;
      const next: unknown[] = [];
      pieces.forEach((p, i) => { const r = p.update(u, state[i], w, t); u = r.u; next.push(r.state); });
      return { u, state: next };
    },
  };
}

/**
 * A chain with one stateful piece (`head`) between stateless ones, keeping the head's own state (not
 * an array): how the named optimizers' per-matrix transforms (`adamTransform`, `shampooTransform`, …)
 * expose their moments and factors directly. Same arithmetic as `chain(...before, head, ...after)`.
 */
export function around<S>(before: readonly MatrixTransform<null>[], head: MatrixTransform<S>, after: readonly MatrixTransform<null>[] = []): MatrixTransform<S> {
  return {
    init: (w) => head.init(w),
    update(g, state, w, t) {
      let u = g;
      for (const p of before) u = p.update(u, null, w, t).u;
      const r = head.update(u, state, w, t);
      u = r.u;
      for (const p of after) u = p.update(u, null, w, t).u;
      return { u, state: r.state };
    },
  };
}
/** `around([], head, tail)`. */
export const withTail = <S>(head: MatrixTransform<S>, ...tail: MatrixTransform<null>[]): MatrixTransform<S> => around([], head, tail);

/** A piece that checks the gradient's shape against the weight's, naming `owner`. */
export const shapeCheck = (owner: string): MatrixTransform<null> => stateless((u, w) => { checkGradShape(owner, u, w); return u; });

/** Throws unless `g` and `w` have the same shape. */
export function checkGradShape(owner: string, g: Mat, w: Mat): void {
  if (g.rows !== w.rows || g.cols !== w.cols) {
    throw new RangeError(`${owner}: gradient is ${g.rows}x${g.cols} but the weight is ${w.rows}x${w.cols}`);
  }
}

// ------------------------------------------------------------------ named matrices

/** The parameters of a model as named matrices: Model A's {F, G}, Model B's {W, a} (a as N×1). */
export type NamedMatrices = Readonly<Record<string, Mat>>;

/** A transform over a record of named matrices; its state is a record of per-name states. */
export interface ParamsTransform<S = Record<string, unknown>> {
  init(params: NamedMatrices): S;
  update(grads: NamedMatrices, state: S, params: NamedMatrices, t?: number): { updates: Record<string, Mat>; state: S };
}

/**
 * Route each named matrix to its own piece (optax's `partition`/`multi_transform`): `routes[name]`, or
 * `fallback` for names without a route. A name with neither is an error, so a parameter cannot be
 * left out by a typo.
 */
export function route(routes: Readonly<Record<string, MatrixTransform<any>>>, fallback?: MatrixTransform<any>): ParamsTransform<Record<string, unknown>> {
  const pick = (name: string): MatrixTransform<any> => {
    const r = Object.prototype.hasOwnProperty.call(routes, name) ? routes[name] : fallback;
    if (!r) throw new RangeError(`route: no transform for parameter '${name}' (routes: ${Object.keys(routes).join(', ')})`);
    return r;
  };
  return {
    init: (params) => Object.fromEntries(Object.entries(params).map(([k, w]) => [k, pick(k).init(w)])),
    update(grads, state, params, t) {
      const updates: Record<string, Mat> = {}, next: Record<string, unknown> = {};
      for (const [k, w] of Object.entries(params)) {
        const g = grads[k];
        if (!g) throw new RangeError(`route: no gradient for parameter '${k}'`);
        if (!Object.prototype.hasOwnProperty.call(state, k)) throw new RangeError(`route: no state for parameter '${k}'`);
        const r = pick(k).update(g, state[k], w, t ?? 0);
        updates[k] = r.u; next[k] = r.state;
      }
      return { updates, state: next };
    },
  };
}

/** The same piece (a separate state each) for every named matrix. */
export const forEachMatrix = (piece: MatrixTransform<any>): ParamsTransform<Record<string, unknown>> => route({}, piece);

/** W − u for every named matrix (shapes checked). */
export function applyUpdates<P extends NamedMatrices>(params: P, updates: Readonly<Record<string, Mat>>): P {
  const out: Record<string, Mat> = {};
  for (const [k, w] of Object.entries(params)) {
    const u = updates[k];
    if (!u) throw new RangeError(`applyUpdates: no update for parameter '${k}'`);
    out[k] = subtract(w, u);
  }
  return out as P;
}

function subtract(w: Mat, u: Mat): Mat {
  if (u.rows !== w.rows || u.cols !== w.cols) {
    throw new RangeError(`layerwise: update is ${u.rows}x${u.cols} but the weight is ${w.rows}x${w.cols}`);
  }
  const out = w.clone(), d = out.data, ud = u.data;
  for (let i = 0; i < d.length; i++) d[i] -= ud[i];
  return out;
}

// ------------------------------------------------------------------ Model A

/** The step-size options every layer-wise optimizer has. `lr` is required here; factories give its default. */
export interface LrOptions { lr?: number; lrF?: number; lrG?: number }
export const lrSpecs = (lrDefault: number): OptionSpecs => ({
  lr: num(lrDefault, 0), lrF: num(undefined, 0), lrG: num(undefined, 0),
});

export interface LayerwiseState<SF = unknown, SG = unknown> { t: number; F: SF; G: SG }

/**
 * An `Optimizer` for Model A from a per-matrix transform, with *simultaneous* gradients: both taken
 * at the incoming (F_t, G_t),
 *
 * $$ (g^F_t, g^G_t) = \big(\nabla_F \hat L(F_t, G_t),\ \nabla_G \hat L(F_t, G_t)\big),\qquad
 *    F_{t+1} = F_t - u^F_t,\quad G_{t+1} = G_t - u^G_t, $$
 *
 * where $u^W_t$ is the update of `makeTransform(η_W, W)` ($\eta_F = \eta_G = $ `lr` unless `lrF`/`lrG`
 * override it), routed by name over {F, G}. The state is (t, s^F, s^G) with t the 1-based step count.
 * `options` must contain `lr` and may contain `lrF`, `lrG`; they are validated here and the whole
 * record is exposed as `optimizer.options`.
 */
export function layerwise(
  name: string,
  makeTransform: (lr: number, layer: 'F' | 'G') => MatrixTransform<any>,
  options: Readonly<Record<string, OptionValue>>,
): Optimizer<LayerwiseState> {
  const o = options as Record<string, unknown>;
  if (o.lr === undefined) throw new RangeError(`${name}: option 'lr' is required`);
  // only the step-size keys that are set (a strict validator refuses keys set to undefined)
  validateOptions(name, Object.fromEntries(['lr', 'lrF', 'lrG'].filter((k) => o[k] !== undefined).map((k) => [k, o[k]])), lrSpecs(0));
  const lr = o.lr as number;
  const lrF = (o.lrF as number | undefined) ?? lr, lrG = (o.lrG as number | undefined) ?? lr;
  const tx = route({ F: makeTransform(lrF, 'F'), G: makeTransform(lrG, 'G') });
  return {
    name,
    options: Object.isFrozen(options) ? options : Object.freeze({ ...options }),
    init(params: LinearParams): LayerwiseState {
      const s = tx.init({ F: params.F, G: params.G });
      return { t: 0, F: s.F, G: s.G };
    },
    step(params: LinearParams, batch: Batch, state: LayerwiseState, model: TwoLayerModel) {
      const g = model.grads(params, batch); // both gradients at (F_t, G_t): a simultaneous step
      const t = state.t + 1;
      const p = { F: params.F, G: params.G };
      const r = tx.update({ F: g.F, G: g.G }, { F: state.F, G: state.G }, p, t);
      const next = applyUpdates(p, r.updates);
      return { params: { F: next.F, G: next.G }, state: { t, F: r.state.F, G: r.state.G }, loss: g.loss };
    },
  };
}
