/**
 * The training loop for Model A: fresh batch each step from a seeded sampler, one optimizer step,
 * metrics every `evalEvery` steps, divergence detection and optional early stop.
 *
 * A run is reported as diverged (and stops) when the batch loss or any parameter is not finite, or the
 * loss exceeds `divergeFactor` × the first step's loss. Diverged runs keep their history up to that
 * point and carry `diverged: true`; plotting code must show them as diverged.
 */
import { Rng } from './rng.js';
import { isFinite } from './mat.js';
import { NonFiniteError } from './linalg.js';
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
  stoppedAt: number | null;
  params: LinearParams;
}

export function train(cfg: TrainConfig): TrainResult {
  const { optimizer, steps } = cfg;
  const model = cfg.model ?? linearNet;
  const evalEvery = cfg.evalEvery ?? 1;
  const divergeFactor = cfg.divergeFactor ?? 1e6;
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`train: steps must be an integer >= 0, got ${steps}`);
  if (!Number.isInteger(evalEvery) || evalEvery < 1) throw new RangeError(`train: evalEvery must be an integer >= 1, got ${evalEvery}`);
  if (!(divergeFactor > 1)) throw new RangeError(`train: divergeFactor must be > 1, got ${divergeFactor}`);
  const rng = new Rng(cfg.seed);
  let params = cfg.init, state = optimizer.init(params);
  const history: TrainRecord[] = [];
  const evalAt = (t: number, loss: number) => {
    const m = cfg.metrics ? cfg.metrics(params) : {};
    history.push({ step: t, loss, ...m });
    return m;
  };
  let first = NaN, diverged = false, divergedAt: number | null = null, stoppedAt: number | null = null;
  for (let t = 1; t <= steps; t++) {
    const batch = cfg.sample(rng, t);
    let out: ReturnType<typeof optimizer.step>;
    try {
      out = optimizer.step(params, batch, state, model);
    } catch (e) {
      if (!(e instanceof NonFiniteError)) throw e;
      diverged = true; divergedAt = t; history.push({ step: t, loss: Number.NaN }); break;
    }
    if (t === 1) {
      first = out.loss;
      const m = evalAt(0, cfg.evalBatch ? model.loss(params, cfg.evalBatch) : out.loss);
      if (cfg.stopWhen?.(m, 0)) { stoppedAt = 0; break; }
    }
    const bad = !Number.isFinite(out.loss) || out.loss > divergeFactor * Math.max(first, 1e-300) ||
      !isFinite(out.params.F) || !isFinite(out.params.G);
    if (bad) { diverged = true; divergedAt = t; history.push({ step: t, loss: out.loss }); break; }
    params = out.params; state = out.state;
    if (t % evalEvery === 0 || t === steps) {
      const m = evalAt(t, model.loss(params, cfg.evalBatch ?? batch));
      if (cfg.stopWhen?.(m, t)) { stoppedAt = t; break; }
    }
  }
  return { optimizer: optimizer.name, history, diverged, divergedAt, stoppedAt, params };
}
