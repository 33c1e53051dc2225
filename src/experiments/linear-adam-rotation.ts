/**
 * Adam against SGD and KFAC with axis-aligned against Haar-rotated Σ (claim 3): a diagonal
 * preconditioner can undo axis-aligned anisotropy, not a rotated one. Final distance after `steps`.
 */
import { defineExperiment } from '../sweep/types.js';
import { DEFAULT_SETUP, makeLinearProblem, runLinear, orFailed } from './linear-common.js';
import { FAMILY_LR_GRID, runDomain } from './linear-family.js';

const runs = ['sgd', 'adam', 'kfac'].flatMap((optimizer) => FAMILY_LR_GRID[optimizer].map((lr) => ({ optimizer, lr })));

export default defineExperiment({
  name: 'linear-adam-rotation',
  version: '1',
  description: 'Adam’s gain over SGD with axis-aligned vs rotated Σ',
  grid: {
    axes: { run: runs, rotated: [false, true], kappaSigma: [100], d: [24], k: [3], dy: [6], n: [64], noise: [0.01], kappaF: [2], steps: [300] },
    seeds: 3,
  },
  params: {
    run: runDomain(Object.keys(FAMILY_LR_GRID)),
    rotated: { type: 'boolean' }, kappaSigma: { type: 'number', min: 1 }, d: { type: 'integer', min: 2 }, k: { type: 'integer', min: 1 },
    dy: { type: 'integer', min: 1 }, n: { type: 'integer', min: 2 }, noise: { type: 'number', min: 0 }, kappaF: { type: 'number', min: 1 },
    steps: { type: 'integer', min: 1 },
  },
  run: (p, rng) => orFailed(() => {
    const { optimizer, lr } = p.run as { optimizer: string; lr: number };
    const setup = { ...DEFAULT_SETUP, d: p.d, k: p.k, dy: p.dy, n: p.n, noise: p.noise, kappaF: p.kappaF, kappaSigma: p.kappaSigma, rotated: p.rotated };
    const problem = makeLinearProblem(setup, rng.fork('problem'));
    const r = runLinear(problem, { optimizer, options: { lr }, steps: p.steps, evalEvery: p.steps, transfer: false, loss: false }, rng.fork('run'));
    const last = r.dist[r.dist.length - 1];
    return { optimizer, lr, finalDist: r.diverged || !Number.isFinite(last) ? null : last, diverged: r.diverged };
  }),
});
