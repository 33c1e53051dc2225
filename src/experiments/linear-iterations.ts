/**
 * Iterations to reach a subspace distance, for one optimizer, step size and problem: the raw material
 * of the κ sweeps (A2, A3, A5, A6). Fresh batches every step; a run that does not reach the target within
 * `maxSteps` records null, a diverged run records `diverged: true`.
 */
import { defineExperiment } from '../sweep/types.js';
import { optimizerNames } from '../optim/index.js';
import { DEFAULT_SETUP, makeLinearProblem, runLinear, orFailed } from './linear-common.js';

export default defineExperiment({
  name: 'linear-iterations',
  version: '1',
  description: 'iterations to a target subspace distance vs κ(Σ), per optimizer and step size',
  grid: {
    axes: {
      method: ['sgd', 'amd', 'kfac', 'kfac-input'],
      kappaSigma: [1, 10, 100, 1000],
      lr: [0.3, 1, 2, 3],
      kappaF: [1], damping: [0], noise: [0], rotated: [true],
      d: [20], k: [2], dy: [4], n: [64], targetDist: [0.05], maxSteps: [4000],
    },
    seeds: 2,
  },
  params: {
    method: { oneOf: optimizerNames() },
    kappaSigma: { type: 'number', min: 1 }, lr: { type: 'number', min: 0 }, kappaF: { type: 'number', min: 1 },
    damping: { type: 'number', min: 0 }, rotated: { type: 'boolean' }, noise: { type: 'number', min: 0 }, targetDist: { type: 'number', min: 0, max: 1 },
    d: { type: 'integer', min: 2 }, k: { type: 'integer', min: 1 }, dy: { type: 'integer', min: 1 }, n: { type: 'integer', min: 2 },
    maxSteps: { type: 'integer', min: 1 },
  },
  run: (p, rng) => orFailed(() => {
    const setup = { ...DEFAULT_SETUP, d: p.d, k: p.k, dy: p.dy, n: p.n, kappaSigma: p.kappaSigma, kappaF: p.kappaF, noise: p.noise, rotated: p.rotated };
    const problem = makeLinearProblem(setup, rng.fork('problem'));
    const options: Record<string, number> = { lr: p.lr };
    if (p.damping > 0) {
      if (p.method.startsWith('kfac')) Object.assign(options, { dampingG: p.damping, dampingF: p.damping, dampingP: p.damping });
      else if (p.method === 'gauss-newton') options.damping = p.damping;
      else throw new RangeError(`linear-iterations: damping applies to kfac, kfac-input and gauss-newton, not '${p.method}'`);
    } else if (p.method === 'gauss-newton') {
      throw new RangeError('linear-iterations: gauss-newton needs damping > 0');
    }
    const r = runLinear(problem, { optimizer: p.method, options, steps: p.maxSteps, targetDist: p.targetDist, transfer: false, loss: false }, rng.fork('run'));
    return { iters: r.itersToTarget, diverged: r.diverged, finalDist: r.dist.length ? r.dist[r.dist.length - 1] : null };
  }),
});
