/**
 * The training loop for Model A: fresh batch each step from a seeded sampler, one optimizer step,
 * metrics every `evalEvery` steps, divergence detection and optional early stop.
 *
 * A run is reported as diverged (and stops) when the batch loss or any parameter is not finite, the
 * loss exceeds `divergeFactor` × the first step's loss, a parameter exceeds 10¹² × its initial scale, or
 * a factorisation inside a step after the first fails (overflowed input, or damping lost to rounding). Diverged runs keep their history up to that
 * point and carry `diverged: true`; plotting code must show them as diverged.
 */
import { Rng } from './rng.js';
import { checkKeys } from './validate.js';
import { isFinite, maxAbs } from './mat.js';
import { NonFiniteError, NotPositiveDefiniteError } from './linalg.js';

/** Parameters this many times larger than at the start count as blown up (see `train`). */
const BLOWUP = 1e12;
import { linearNet, type Batch, type LinearParams, type TwoLayerModel } from './models/linear.js';
import type { Optimizer } from './optim/types.js';

export interface TrainConfig {
  optimizer: Optimizer<any>;
  init: LinearParams;
  /** Draws the batch for step t (1-based) from the run's generator. */
  sample: (rng: Rng, t: number) => Batch;
  steps: number;
  seed: number;
  model?: TwoLayerModel;
  evalEvery?: number;
  metrics?: (p: LinearParams) => Record<string, number>;
  /** Held-out batch on which `loss` is recorded; without it, the step's own batch after the update. */
  evalBatch?: Batch;
  /**
   * Record the loss at each evaluation (default true). With false the records carry `loss: NaN` and
   * no loss is computed there (for runs that read only their metrics; divergence detection uses the
   * step's own loss and is unaffected).
   */
  evalLoss?: boolean;
  /** Stop early once this returns true on the metrics of an evaluation. */
  stopWhen?: (m: Record<string, number>, t: number) => boolean;
  divergeFactor?: number;
}
export interface TrainRecord { step: number; loss: number; [metric: string]: number }
export interface TrainResult {
  optimizer: string;
  history: TrainRecord[];
  diverged: boolean;
  divergedAt: number | null;
  /** Why the run was declared diverged (null if it was not). */
  divergeReason: string | null;
  stoppedAt: number | null;
  params: LinearParams;
}

export function train(cfg: TrainConfig): TrainResult {
  checkKeys('train', 'options', cfg, ['optimizer', 'init', 'sample', 'steps', 'seed', 'model', 'evalEvery', 'metrics', 'evalBatch', 'evalLoss', 'stopWhen', 'divergeFactor']);
  const { optimizer, steps } = cfg;
  const model = cfg.model ?? linearNet;
  const evalEvery = cfg.evalEvery ?? 1;
  const divergeFactor = cfg.divergeFactor ?? 1e6;
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`train: steps must be an integer >= 0, got ${steps}`);
  if (!Number.isInteger(evalEvery) || evalEvery < 1) throw new RangeError(`train: evalEvery must be an integer >= 1, got ${evalEvery}`);
  if (!(divergeFactor > 1)) throw new RangeError(`train: divergeFactor must be > 1, got ${divergeFactor}`);
  const evalLoss = cfg.evalLoss ?? true;
  if (typeof evalLoss !== 'boolean') throw new RangeError(`train: evalLoss must be true or false, got ${String(evalLoss)}`);
  const rng = new Rng(cfg.seed);
  let params = cfg.init, state = optimizer.init(params);
  const history: TrainRecord[] = [];
  const evalAt = (t: number, loss: number) => {
    const m = cfg.metrics ? cfg.metrics(params) : {};
    history.push({ step: t, loss, ...m });
    return m;
  };
  const scale0 = Math.max(1, maxAbs(cfg.init.F), maxAbs(cfg.init.G));
  let reason: string | null = null;
  let first = NaN, diverged = false, divergedAt: number | null = null, stoppedAt: number | null = null;
  for (let t = 1; t <= steps; t++) {
    const batch = cfg.sample(rng, t);
    let out: ReturnType<typeof optimizer.step>;
    try {
      out = optimizer.step(params, batch, state, model);
    } catch (e) {
      // A factor that overflowed, or one that lost its damping to rounding after earlier steps went well
      // (the parameters grew, e.g. along the F ↔ G gauge, while the loss stayed moderate): the run
      // diverged. A factor that fails on the first step is a setting to fix (n < d without damping): rethrow.
      if (!(e instanceof NonFiniteError) && !(e instanceof NotPositiveDefiniteError && t > 1)) throw e;
      diverged = true; divergedAt = t; reason = `step ${t}: ${(e as Error).message}`;
      history.push({ step: t, loss: Number.NaN }); break;
    }
    if (t === 1) {
      first = out.loss;
      const m = evalAt(0, !evalLoss ? Number.NaN : cfg.evalBatch ? model.loss(params, cfg.evalBatch) : out.loss);
      if (cfg.stopWhen?.(m, 0)) { stoppedAt = 0; break; }
    }
    const bad = !Number.isFinite(out.loss) || out.loss > divergeFactor * Math.max(first, 1e-300) ||
      !isFinite(out.params.F) || !isFinite(out.params.G) ||
      maxAbs(out.params.F) > BLOWUP * scale0 || maxAbs(out.params.G) > BLOWUP * scale0;
    if (bad) {
      diverged = true; divergedAt = t; history.push({ step: t, loss: out.loss });
      reason = `step ${t}: ${!Number.isFinite(out.loss) ? 'non-finite loss' : out.loss > divergeFactor * first ? `loss ${out.loss.toExponential(2)} > ${divergeFactor} × the first` : 'parameters blew up'}`;
      break;
    }
    params = out.params; state = out.state;
    if (t % evalEvery === 0 || t === steps) {
      const m = evalAt(t, evalLoss ? model.loss(params, cfg.evalBatch ?? batch) : Number.NaN);
      if (cfg.stopWhen?.(m, t)) { stoppedAt = t; break; }
    }
  }
  return { optimizer: optimizer.name, history, diverged, divergedAt, divergeReason: reason, stoppedAt, params };
}
