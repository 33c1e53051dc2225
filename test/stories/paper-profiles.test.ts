/**
 * The paper-scale profiles of the Model A notebooks (00, 10, 11, 12) and the two size-dependent pieces
 * they rest on: the finite-n/d slope of KFAC's noise floor (notebook 11's A4 window), checked against
 * its closed form and against the inverse-Wishart mean it is derived from, and the A3 rate measurement,
 * whose labels must be float64 under a float32 engine once the batch is large (d = 200).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkKnobs, profileKnobs, type AnyStory } from '../../src/stories/story.js';
import { platformDemo } from '../../src/stories/00-platform-demo.js';
import { sgdRateStory } from '../../src/stories/10-linear-sgd-rate.js';
import { kfacStory, floorSlopePrediction } from '../../src/stories/11-linear-kfac.js';
import { familyStory } from '../../src/stories/12-linear-family.js';
import { initBackend, activeBackend } from '../../src/backend.js';
import { DEFAULT_SETUP, measureSgdContraction } from '../../src/experiments/linear-common.js';
import { geometricCovariance } from '../../src/data/covariance.js';
import { sampleInputs, secondMoment } from '../../src/data/inputs.js';
import { invSPD } from '../../src/linalg.js';
import { Rng } from '../../src/rng.js';

const num = (x: unknown, what: string): number => {
  if (typeof x !== 'number') throw new TypeError(`${what} is not a number`);
  return x;
};

test('every Model A paper profile has the paper sizes (d ≥ 200, k ≥ 8, d_y ≥ 16) and passes the story validator', () => {
  const stories: AnyStory[] = [platformDemo, sgdRateStory, kfacStory, familyStory];
  for (const s of stories) {
    const v = checkKnobs(s, profileKnobs(s, 'paper'));
    const [d, k, dy, n] = ['d', 'k', 'dy', 'n'].map((x) => num(v[x], `${s.notebook} ${x}`)) as [number, number, number, number];
    assert.ok(d >= 200 && k >= 8 && dy >= 16, `${s.notebook}: d ${d}, k ${k}, dy ${dy}`);
    assert.ok(n >= d, `${s.notebook}: n ${n} < d ${d}`);
  }
  // the statistical claims of 10 and 11 get more seeds than their defaults
  for (const s of [sgdRateStory, kfacStory] as AnyStory[]) assert.ok(num(checkKnobs(s, profileKnobs(s, 'paper')).seeds, 'seeds') > num(checkKnobs(s).seeds, 'seeds'), s.notebook);
  // DFW whitens half a batch: the family's n must give it more than d samples
  const f = checkKnobs(familyStory, profileKnobs(familyStory, 'paper'));
  assert.ok(f.n / 2 > f.d);
});

test('the floor slope prediction: the least-squares slope of −½ log(n − d − 1) on log n (closed form for two points; −½ as n/d → ∞)', () => {
  const two = (d: number, a: number, b: number) => (-0.5 * Math.log((b - d - 1) / (a - d - 1))) / Math.log(b / a);
  assert.ok(Math.abs(floorSlopePrediction(200, [1200, 2400]) - two(200, 1200, 2400)) < 1e-12);
  assert.ok(Math.abs(floorSlopePrediction(200, [1200, 2400]) - -0.5691) < 1e-4);
  assert.ok(Math.abs(floorSlopePrediction(20, [128, 256, 512, 1024]) - -0.5374) < 1e-4);
  assert.ok(Math.abs(floorSlopePrediction(20, [1e7, 2e7, 4e7]) - -0.5) < 1e-5);
  // steeper the closer n is to d; undefined at n ≤ d + 1
  assert.ok(floorSlopePrediction(200, [300, 600]) < floorSlopePrediction(200, [1200, 2400]));
  assert.ok(Number.isNaN(floorSlopePrediction(200, [201, 400])));
});

test('the inverse-Wishart mean behind it: E tr Σ̂⁻¹ = n/(n − d − 1) · tr Σ⁻¹ for Gaussian inputs (simulation)', async () => {
  await initBackend('js64');
  const d = 6, n = 24, draws = 3000;
  const cov = geometricCovariance(d, 10, { rotation: 'haar', rng: new Rng(3) });
  const trInv = Array.from(cov.values).reduce((a, l) => a + 1 / l, 0);
  const rng = new Rng(11);
  const xs: number[] = [];
  for (let i = 0; i < draws; i++) {
    const S = invSPD(secondMoment(sampleInputs(cov, n, rng)));
    let t = 0;
    for (let j = 0; j < d; j++) t += S.data[j * d + j]!;
    xs.push(t / trInv);
  }
  const mean = xs.reduce((a, b) => a + b, 0) / draws;
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (draws - 1));
  const want = n / (n - d - 1); // 24/17 ≈ 1.412; the large-n scaling would say 1
  // 4.5 standard errors: a false failure about once in 10⁵ runs (the draws are fixed by the seeds anyway)
  assert.ok(Math.abs(mean - want) < 4.5 * sd / Math.sqrt(draws), `mean ${mean}, want ${want}, se ${sd / Math.sqrt(draws)}`);
  assert.ok(Math.abs(mean - 1) > 10 * sd / Math.sqrt(draws));
});

test('A3 rate under the float32 engine at a size where the label product is float32-sized: the fit window is reached and the rate matches', async () => {
  await initBackend('simd');
  try {
    assert.equal(activeBackend(), 'simd');
    // n = 8d = 512, n·d·k = 262144 ≥ 32³: a float32 product in the engine; the labels must not be
    const r = measureSgdContraction({ ...DEFAULT_SETUP, d: 64, k: 8, dy: 16, kappaSigma: 10, kappaF: 1, rotated: true, noise: 0 }, new Rng(5), 20_000);
    assert.ok(r.steps < 20_000, `ran to the step limit (${r.steps}): the error stalled above 10⁻¹⁰ of its start`);
    assert.ok(Math.abs(Math.log(r.measured) / Math.log(r.predicted) - 1) < 0.05, `measured ${r.measured}, predicted ${r.predicted}`);
  } finally {
    await initBackend('js64');
  }
});
