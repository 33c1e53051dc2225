/**
 * A3: SGD's per-step contraction on G (F frozen at F*, noiseless, full batch, best step size) measured
 * against the prediction (κ − 1)/(κ + 1), κ = κ(FᵀF)·κ(Σ̂). `kappaF` is κ(F*), so κ(F*ᵀF*) = kappaF².
 */
import { defineExperiment } from '../sweep/types.js';
import { DEFAULT_SETUP, measureSgdContraction, orFailed } from './linear-common.js';

export default defineExperiment({
  name: 'linear-sgd-rate',
  version: '1',
  description: 'A3: measured vs predicted SGD contraction over a grid of κ(Σ) and κ(F*)',
  grid: { axes: { kappaSigma: [1, 10, 100, 1000], kappaF: [1, 2], d: [20], k: [2], dy: [4] }, seeds: 1 },
  params: {
    kappaSigma: { type: 'number', min: 1 }, kappaF: { type: 'number', min: 1 },
    d: { type: 'integer', min: 2 }, k: { type: 'integer', min: 2 }, dy: { type: 'integer', min: 2 },
  },
  run: (p, rng) => orFailed(() => {
    const r = measureSgdContraction({ ...DEFAULT_SETUP, ...p, rotated: true, noise: 0 }, rng);
    return { ...r };
  }),
});
