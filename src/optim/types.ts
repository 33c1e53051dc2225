/**
 * The optimizer interface of the family (optax-like: `init` then pure `step`).
 *
 * An optimizer trains the two matrices (F, G) of a Model A student. `step` never mutates its inputs;
 * it returns new parameters and a new state. Gradient-only optimizers (SGD, Adam, Shampoo, …) work on
 * any `TwoLayerModel` (including batch-norm); model-aware ones (KFAC, Gauss–Newton, AMD, DFW) need the
 * plain linear network and say so.
 */
import type { Mat } from '../mat.js';
import type { Batch, LinearParams, TwoLayerModel } from '../models/linear.js';

export interface StepResult<S> { params: LinearParams; state: S; loss: number }

export interface Optimizer<S = unknown> {
  readonly name: string;
  /** The options in force after defaults were applied. */
  readonly options: Readonly<Record<string, number | string | boolean>>;
  init(params: LinearParams): S;
  /** One step on a batch; `loss` is the batch loss at the incoming parameters. */
  step(params: LinearParams, batch: Batch, state: S, model: TwoLayerModel): StepResult<S>;
}

/**
 * A per-matrix transform: maps a gradient to an update u, applied as W ← W − u (u includes the step size).
 * `t` is the 1-based step count.
 */
export interface MatrixTransform<S = unknown> {
  init(w: Mat): S;
  update(g: Mat, state: S, w: Mat, t: number): { u: Mat; state: S };
}
