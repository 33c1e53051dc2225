/**
 * Demo experiment of the sweep machinery: the first four sample moments of n draws from N(mean, std²).
 *
 * Small and real: the sample mean has standard error std/√n and the unbiased sample variance has
 * standard error std²·√(2/(n−1)), so over the replicates `mean − μ` and `variance − σ²` shrink like
 * 1/√n; skewness ≈ 0 and excess kurtosis ≈ 0 for a Gaussian. Used by the runner's tests.
 */
import { defineExperiment } from '../sweep/types.js';

export default defineExperiment({
  name: 'demo-gaussian-moments',
  version: '1',
  description: 'Sample mean, variance, skewness and excess kurtosis of n seeded normal draws',
  grid: {
    axes: { n: [100, 1000, 10000], mean: [0, 2], std: [1, 3] },
    seeds: 4,
  },
  params: {
    n: { type: 'integer', min: 2 },
    mean: { type: 'number' },
    std: { type: 'number', min: 0 },
  },
  run({ n, mean, std }, rng) {
    let s1 = 0;
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) { x[i] = mean + std * rng.normal(); s1 += x[i]; }
    const m = s1 / n;
    let m2 = 0, m3 = 0, m4 = 0;
    for (let i = 0; i < n; i++) { const d = x[i] - m, d2 = d * d; m2 += d2; m3 += d2 * d; m4 += d2 * d2; }
    m2 /= n; m3 /= n; m4 /= n;
    return {
      mean: m,
      variance: (m2 * n) / (n - 1),
      skewness: m2 > 0 ? m3 / m2 ** 1.5 : 0,
      excessKurtosis: m2 > 0 ? m4 / (m2 * m2) - 3 : 0,
    };
  },
});
