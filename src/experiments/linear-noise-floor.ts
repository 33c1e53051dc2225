/**
 * A4: KFAC's subspace distance floor with noisy labels and fresh batches of size n, against the digest's
 * scale σ_ε √(d/n) / σ_min(F*) and against σ_ε √(tr(Σ⁻¹)/n) / σ_min(F*), which equals it at Σ = I (λ_max = 1)
 * and accounts for the noise the Σ̂⁻¹ preconditioner amplifies along small-variance directions.
 * The run averages the distance over the second half of `steps`.
 */
import { defineExperiment } from '../sweep/types.js';
import { DEFAULT_SETUP, makeLinearProblem, runLinear, orFailed } from './linear-common.js';
import { headSingularValues } from '../data/teachers.js';

export default defineExperiment({
  name: 'linear-noise-floor',
  version: '2',
  description: 'A4: KFAC distance floor vs batch size n, noise σ_ε and κ(F*)',
  grid: { axes: { n: [32, 64, 128, 256, 512, 1024], noise: [0.1], kappaF: [1, 3], lr: [1], kappaSigma: [1, 100], d: [20], k: [2], dy: [4], steps: [60] }, seeds: 3 },
  params: {
    n: { type: 'integer', min: 2 }, noise: { type: 'number', min: 0 }, kappaF: { type: 'number', min: 1 }, lr: { type: 'number', min: 0 },
    kappaSigma: { type: 'number', min: 1 }, d: { type: 'integer', min: 2 }, k: { type: 'integer', min: 2 }, dy: { type: 'integer', min: 2 },
    steps: { type: 'integer', min: 4 },
  },
  run: (p, rng) => orFailed(() => {
    const setup = { ...DEFAULT_SETUP, ...p };
    const problem = makeLinearProblem(setup, rng.fork('problem'));
    const r = runLinear(problem, { optimizer: 'kfac', options: { lr: p.lr }, steps: p.steps, transfer: false, loss: false }, rng.fork('run'));
    const tail = r.dist.slice(Math.floor(r.dist.length / 2));
    const floor = tail.reduce((a, b) => a + b, 0) / tail.length;
    const sMin = headSingularValues(p.k, p.kappaF)[p.k - 1];
    const scale = (p.noise * Math.sqrt(p.d / p.n)) / sMin;
    const trInv = Array.from(problem.task.source.cov.values).reduce((a, l) => a + 1 / l, 0);
    const scaleTr = (p.noise * Math.sqrt(trInv / p.n)) / sMin;
    return { floor, scale, ratio: floor / scale, scaleTr, ratioTr: floor / scaleTr, diverged: r.diverged };
  }),
});
