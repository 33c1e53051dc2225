/**
 * Features decide the test error (Model B, B4 and B5; the paper's Fig. 3): test error after one step on
 * the first layer and ridge regression on the second, against the anisotropy κ(Σ), for random features
 * (no step), the plain step, the preconditioned step, Adam's first step and the plain step on a
 * batch-norm network, with axis-aligned or Haar-rotated Σ.
 *
 * One cell = one independent problem (Σ's rotation and β* drawn from `rng.fork('problem')`) and one run
 * of `runPipeline` on it: all kinds share W₀, a and the four batches. Each kind's step size (a multiple
 * of its base step, `baseStep`) and ridge are chosen on the validation batch; the test error is on a
 * fresh batch (noise included, so the Bayes error is σ_ε²).
 */
import { defineExperiment } from '../sweep/types.js';
import { PIPELINE_KINDS, type PipelineKind, makeProblem, runPipeline } from './single-index-common.js';

export default defineExperiment({
  name: 'single-index-test-error',
  version: '1',
  description: 'test error after one step + ridge vs κ(Σ): random features, plain, preconditioned, Adam, batch-norm; axis-aligned vs rotated Σ',
  grid: {
    axes: {
      kappa: [1, 4, 16, 64, 256, 1024],
      rotation: ['haar', 'none'],
      d: [32],
      N: [128],
      ratio: [32],
      ridgeRatio: [16],
      valRatio: [4],
      nTest: [2000],
      link: ['poly'],
      noise: [0.1],
      lambda: [0],
      etaGrid: [[0.5, 1, 2, 4]],
      ridgeGrid: [[1e-5, 1e-4, 1e-3, 1e-2, 1e-1]],
      kinds: [PIPELINE_KINDS as unknown as string[]],
    },
    seeds: 6,
  },
  params: {
    etaGrid: { type: 'array', items: { type: 'number', min: Number.MIN_VALUE }, minLength: 1 },
    ridgeGrid: { type: 'array', items: { type: 'number', min: 0 }, minLength: 1 },
    kinds: { type: 'array', items: { oneOf: [...PIPELINE_KINDS] }, minLength: 1 },
    kappa: { type: 'number', min: 1 },
    rotation: { oneOf: ['none', 'haar'] },
    d: { type: 'integer', min: 2 },
    N: { type: 'integer', min: 1 },
    ratio: { type: 'number', min: 0 },
    ridgeRatio: { type: 'number', min: 0 },
    valRatio: { type: 'number', min: 0 },
    nTest: { type: 'integer', min: 1 },
    link: { oneOf: ['relu', 'tanh', 'poly', 'linear'] },
    noise: { type: 'number', min: 0 },
    lambda: { type: 'number', min: 0 },
  },
  run: (p, rng) => {
    const kinds = p.kinds as string[], etaGrid = p.etaGrid as number[], ridgeGrid = p.ridgeGrid as number[];
    for (const k of kinds) if (!PIPELINE_KINDS.includes(k as PipelineKind)) throw new RangeError(`single-index-test-error: unknown kind '${k}' (known: ${PIPELINE_KINDS.join(', ')})`);
    if (!etaGrid.length || etaGrid.some((e) => !(e > 0))) throw new RangeError('single-index-test-error: etaGrid must be a non-empty list of positive numbers');
    if (!ridgeGrid.length || ridgeGrid.some((r) => !(r >= 0))) throw new RangeError('single-index-test-error: ridgeGrid must be a non-empty list of numbers >= 0');
    const { d } = p, n = Math.round(p.ratio * d);
    if (p.lambda === 0 && kinds.includes('preconditioned') && !(n >= d)) throw new RangeError(`single-index-test-error: lambda = 0 needs n = ratio·d >= d, got n = ${n}, d = ${d}`);
    const { teacher } = makeProblem({ d, kappa: p.kappa, rotation: p.rotation as 'none' | 'haar', link: p.link as 'poly', noise: p.noise }, rng.fork('problem'));
    return runPipeline(teacher, {
      N: p.N, n, nRidge: Math.round(p.ridgeRatio * d), nVal: Math.round(p.valRatio * d), nTest: p.nTest,
      etaGrid, ridgeGrid, lambda: p.lambda, kinds: kinds as PipelineKind[],
    }, rng.fork('pipeline'));
  },
});
