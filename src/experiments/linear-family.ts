/**
 * The family side by side on one anisotropic Model A problem (the paper's Fig. 1): training loss,
 * subspace distance and transfer loss against iterations, per optimizer and step size. `run` is an axis
 * of {optimizer, lr, bn} triples so that each optimizer gets its own step-size grid (`FAMILY_LR_GRID`);
 * the notebook tunes on a few seeds, then reruns the best step size of each optimizer on more seeds.
 */
import { defineExperiment } from '../sweep/types.js';
import { DEFAULT_SETUP, makeLinearProblem, runLinear, orFailed } from './linear-common.js';

/** Step-size grid per optimizer (bn: SGD on the batch-norm network). */
export const FAMILY_LR_GRID: Record<string, number[]> = {
  sgd: [0.1, 0.3, 0.5, 1],
  'sgd+bn': [0.1, 0.3, 1, 2],
  adam: [0.003, 0.01, 0.03, 0.1, 0.3],
  adamw: [0.003, 0.01, 0.03, 0.1, 0.3],
  kfac: [0.1, 0.3, 0.5, 1],
  'kfac-input': [0.1, 0.3, 1, 2],
  shampoo: [0.01, 0.03, 0.1, 0.3],
  'shampoo-half': [0.01, 0.03, 0.1, 0.3],
  soap: [0.003, 0.01, 0.03, 0.1],
  muon: [0.01, 0.03, 0.1, 0.3],
  dfw: [0.1, 0.3, 0.5, 1],
  'gauss-newton': [0.1, 0.3, 0.5, 1],
};
export const familyRuns = (grid = FAMILY_LR_GRID) =>
  Object.entries(grid).flatMap(([optimizer, lrs]) => lrs.map((lr) => ({ optimizer, lr })));

/**
 * Domain of a run object {optimizer, lr}: exactly these two keys, an optimizer of the family ('sgd+bn':
 * SGD on the batch-norm network; no other '+bn' exists) and a step size > 0 (finite).
 */
export const runDomain = (optimizers: readonly string[]) => ({
  type: 'object', fields: { optimizer: { oneOf: optimizers }, lr: { type: 'number', min: Number.MIN_VALUE } },
} as const);

export default defineExperiment({
  name: 'linear-family',
  version: '1',
  description: 'Fig. 1: loss, distance and transfer curves for the optimizer family on a rotated κ = 100 problem',
  grid: {
    axes: {
      run: familyRuns(),
      kappaSigma: [100], rotated: [true], targetKappaSigma: [10],
      d: [24], k: [3], dy: [6], n: [64], noise: [0], kappaF: [2], steps: [200], evalEvery: [5],
    },
    seeds: 2,
  },
  params: {
    run: runDomain(Object.keys(FAMILY_LR_GRID)),
    kappaSigma: { type: 'number', min: 1 }, targetKappaSigma: { type: 'number', min: 1 }, rotated: { type: 'boolean' },
    d: { type: 'integer', min: 2 }, k: { type: 'integer', min: 1 }, dy: { type: 'integer', min: 1 }, n: { type: 'integer', min: 2 },
    noise: { type: 'number', min: 0 }, kappaF: { type: 'number', min: 1 }, steps: { type: 'integer', min: 1 }, evalEvery: { type: 'integer', min: 1 },
  },
  run: (p, rng) => orFailed(() => {
    const { optimizer, lr } = p.run as { optimizer: string; lr: number };
    const bn = optimizer.endsWith('+bn');
    const setup = { ...DEFAULT_SETUP, d: p.d, k: p.k, dy: p.dy, n: p.n, noise: p.noise, kappaF: p.kappaF,
      kappaSigma: p.kappaSigma, rotated: p.rotated, targetKappaSigma: p.targetKappaSigma };
    const problem = makeLinearProblem(setup, rng.fork('problem'));
    const options: Record<string, number> = { lr };
    if (optimizer === 'gauss-newton') options.damping = 1e-3;
    if (optimizer === 'soap') options.weightDecay = 0; // SOAP's reference default decays weights; compare it with Adam without
    const r = runLinear(problem, { optimizer: bn ? 'sgd' : optimizer, options, steps: p.steps, evalEvery: p.evalEvery, batchNorm: bn }, rng.fork('run'));
    const fin = (xs: number[]) => xs.map((x) => (Number.isFinite(x) ? x : null));
    return { optimizer, lr, step: r.step, loss: fin(r.loss), dist: fin(r.dist), transfer: fin(r.transfer), diverged: r.diverged, divergedAt: r.divergedAt };
  }),
});
