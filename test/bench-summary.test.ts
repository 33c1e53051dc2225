/**
 * The bench's pure summary logic (bench/summary.ts): statistics, ratios, the NumPy processes'
 * environments, sweep throughput. Hand-computed cases; no timing (speed is measured by `npm run bench`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stats, ratios, numpyEnv, throughput, throughputRatio, cellSteps, maxAbsDiff } from '../bench/summary.js';

test('stats: median of odd and even counts, min, mean, reps', () => {
  assert.deepEqual(stats([3, 1, 2]), { medianMs: 2, minMs: 1, meanMs: 2, reps: 3 });
  assert.deepEqual(stats([4, 1, 3, 2]), { medianMs: 2.5, minMs: 1, meanMs: 2.5, reps: 4 });
  assert.throws(() => stats([]), /no samples/);
});

test('ratios: ours over numpy, of medians and of minima; null without numpy', () => {
  const ours = stats([2, 4, 6]), theirs = stats([1, 2, 3]);
  assert.deepEqual(ratios(ours, theirs), { ratio: 2, ratioOfMins: 2 });
  assert.deepEqual(ratios(stats([1, 5, 9]), stats([3, 10, 30])), { ratio: 0.5, ratioOfMins: 0.333 });
  assert.deepEqual(ratios(ours, undefined), { ratio: null, ratioOfMins: null });
});

test('numpyEnv: kernel overrides removed together, thread variables = 1 only for the one-thread process', () => {
  const base = { PATH: '/bin', OPENBLAS_CORETYPE: 'Haswell', OPENBLAS_L2_SIZE: '1048576', OPENBLAS_NUM_THREADS: '2', UNSET: undefined };
  const d = numpyEnv(base, false);
  assert.deepEqual(d.env, { PATH: '/bin', OPENBLAS_NUM_THREADS: '2' });
  assert.deepEqual(d.removed, ['OPENBLAS_CORETYPE=Haswell', 'OPENBLAS_L2_SIZE=1048576']);
  const one = numpyEnv(base, true);
  assert.deepEqual(one.env, { PATH: '/bin', OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' });
  assert.deepEqual(numpyEnv({ PATH: '/bin' }, false), { env: { PATH: '/bin' }, removed: [] });
  assert.equal(base.OPENBLAS_CORETYPE, 'Haswell', 'the caller\'s environment is not changed');
});

test('throughput: medians over rounds of cells/s and steps/s; ratio numpy over ours', () => {
  const ours = throughput({ wallS: [4, 2, 8], cells: 16, steps: [800, 800, 800] });
  assert.deepEqual(ours, { cellsPerSec: 4, stepsPerSec: 200, roundsCellsPerSec: [4, 8, 2] });
  const np = throughput({ wallS: [1, 1], cells: 16, steps: [600, 1000] });
  assert.deepEqual(np, { cellsPerSec: 16, stepsPerSec: 800, roundsCellsPerSec: [16, 16] });
  assert.deepEqual(throughputRatio(ours, np), { cells: 4, steps: 4 });
  assert.throws(() => throughput({ wallS: [1], cells: 16, steps: [] }), /one wall time and one step count/);
  assert.throws(() => throughput({ wallS: [1], cells: 0, steps: [1] }), /cells must be > 0/);
});

test('cellSteps: iterations when the target was hit (at least 1), maxSteps when not, null when diverged or failed', () => {
  assert.equal(cellSteps({ iters: 37, diverged: false, finalDist: 0.04 }, 250), 37);
  assert.equal(cellSteps({ iters: 0, diverged: false, finalDist: 0.01 }, 250), 1);
  assert.equal(cellSteps({ iters: null, diverged: false, finalDist: 0.3 }, 250), 250);
  assert.equal(cellSteps({ iters: null, diverged: true, finalDist: 0.9 }, 250), null);
  assert.equal(cellSteps({ failed: 'NotPositiveDefiniteError: …' }, 250), null);
});

test('maxAbsDiff: largest difference over a common trajectory, Infinity on different lengths', () => {
  assert.equal(maxAbsDiff([1, 2, 3], [1, 2.5, 2]), 1);
  assert.equal(maxAbsDiff([], []), 0);
  assert.equal(maxAbsDiff([1], [1, 2]), Infinity);
});
