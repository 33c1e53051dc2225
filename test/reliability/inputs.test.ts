/**
 * Issue 10, items 2 and 3: options dropped without a word, and values accepted but wrong. Each test
 * reproduces one reported defect (it failed before the fix) and checks that the input is now refused
 * with a message naming the parameter and what is allowed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { covarianceFromSpectrum, geometricCovariance, makeCovariance, MAX_HAAR_DIM, powerLawCovariance, type CovarianceSpec } from '../../src/data/covariance.js';
import { makeLinearTeacher, makeSingleIndexTeacher, sampleLinear, sampleSingleIndex, type LinearTeacherOptions } from '../../src/data/teachers.js';
import { effectiveGrid, GridError } from '../../src/sweep/grid.js';
import { loadRegistered } from '../../src/experiments/registry.js';
import { initSingleIndexNet } from '../../src/models/singleIndex.js';
import { makeOptimizer } from '../../src/optim/index.js';
import { Mat } from '../../src/mat.js';
import { Rng } from '../../src/rng.js';

const throwsNaming = (f: () => unknown, re: RegExp) =>
  assert.throws(f, (e: unknown) => e instanceof RangeError && re.test((e as Error).message), String(re));

// ------------------------------------------------------------------------------------------ item 2

test('a misspelled generator option is refused, naming it and the allowed keys (was: silently ignored)', () => {
  const rng = new Rng(1);
  throwsNaming(() => makeCovariance({ family: 'geometric', d: 4, kappa: 10, rotaton: 'haar' } as unknown as CovarianceSpec, rng),
    /unknown spec \(family 'geometric'\)\.rotaton; allowed keys: family, d, kappa, rotation, normalizeTrace/);
  // a parameter of another family is not silently ignored either
  throwsNaming(() => makeCovariance({ family: 'identity', d: 4, kappa: 10 } as CovarianceSpec), /unknown spec \(family 'identity'\)\.kappa/);
  const cov = geometricCovariance(4, 10);
  throwsNaming(() => makeLinearTeacher({ cov, k: 2, dy: 3, nosie: 0.5 } as unknown as LinearTeacherOptions, rng),
    /makeLinearTeacher: unknown option 'nosie'; allowed keys: cov, k, dy, kappaF, noise, tasks, law/);
  throwsNaming(() => makeSingleIndexTeacher({ cov, link: 'relu', nosie: 0.5 } as never, rng), /unknown option 'nosie'/);
  throwsNaming(() => covarianceFromSpectrum([2, 1], { rotatoin: 'haar' } as never), /unknown option 'rotatoin'/);
  throwsNaming(() => initSingleIndexNet(4, 3, rng, { activaton: 'tanh' } as never), /unknown option 'activaton'/);
});

test('an optimizer variant given {leftFactor: undefined} or its fixed option is refused (was: silently its base method)', () => {
  throwsNaming(() => makeOptimizer('kfac-input', { lr: 0.1, leftFactor: undefined }), /kfac-input: option 'leftFactor' is undefined/);
  throwsNaming(() => makeOptimizer('kfac-input', { lr: 0.1, leftFactor: 'gn' }), /kfac-input: option 'leftFactor' is fixed by this variant/);
  throwsNaming(() => makeOptimizer('shampoo-half', { exponent: 0.25 }), /shampoo-half: option 'exponent' is fixed/);
  throwsNaming(() => makeOptimizer('sgd', { lr: undefined }), /sgd: option 'lr' is undefined/);
  // the variant itself still works
  assert.equal(typeof makeOptimizer('kfac-input', { lr: 0.1 }).step, 'function');
});

test("linear-family run objects are validated: 'adam+bn', an extra key, a missing optimizer (was: wrong label, dropped key, a TypeError)", async () => {
  const e = await loadRegistered('linear-family');
  const refuse = (v: unknown, re: RegExp) => assert.throws(() => effectiveGrid(e, { set: { run: [v as never] } }),
    (err: unknown) => err instanceof GridError && /parameter 'run'/.test((err as Error).message) && re.test((err as Error).message), String(re));
  refuse({ optimizer: 'adam+bn', lr: 0.1 }, /key 'optimizer' = "adam\+bn".*allowed values: .*"sgd\+bn"/);
  refuse({ optimizer: 'sgd', lr: 0.1, momentum: 0.9 }, /unknown key 'momentum'; allowed keys: optimizer, lr/);
  refuse({ lr: 0.1 }, /key 'optimizer' is missing/);
  refuse({ optimizer: 'sgd', lr: -1 }, /key 'lr' = -1/);
  refuse({ optimizer: 'sgd', lr: '0.1' }, /key 'lr' = "0.1"/);
  assert.doesNotThrow(() => effectiveGrid(e, { set: { run: [{ optimizer: 'sgd+bn', lr: 0.5 }] } }));
});

// ------------------------------------------------------------------------------------------ item 3

test('sizes: d = 2.5, "3", -1, 1e6 and a Haar rotation at d = 2500 are refused naming d (was: 2, accepted, a typed-array error, minutes)', () => {
  const rng = new Rng(1);
  for (const d of [2.5, '3', -1, Number.NaN]) {
    throwsNaming(() => makeCovariance({ family: 'identity', d } as unknown as CovarianceSpec), /makeCovariance: d must be an integer >= 1, got/);
    throwsNaming(() => geometricCovariance(d as number, 10), /geometricSpectrum: d must be an integer >= 1/);
  }
  throwsNaming(() => makeCovariance({ family: 'identity', d: 1e6 }), /makeCovariance: d must be at most 8192/);
  const t0 = performance.now();
  throwsNaming(() => makeCovariance({ family: 'geometric', d: 2500, kappa: 10, rotation: 'haar' }, rng),
    new RegExp(`makeCovariance: d = 2500 is too large for a Haar rotation \\(at most ${MAX_HAAR_DIM}`));
  assert.ok(performance.now() - t0 < 1000, 'refused before any work');
});

test('a NaN in a teacher or infinite noise is refused when sampling (was: NaN batches reported as divergence)', () => {
  const rng = new Rng(2), cov = geometricCovariance(4, 10);
  const t = makeLinearTeacher({ cov, k: 2, dy: 3 }, rng);
  const G = t.G.clone(); G.data[3] = Number.NaN;
  throwsNaming(() => sampleLinear({ ...t, G }, 8, rng), /sampleLinear: teacher\.G\[3\] must be finite, got NaN/);
  throwsNaming(() => sampleLinear({ ...t, noise: Infinity }, 8, rng), /sampleLinear: teacher\.noise must be a finite number in \[0, inf\), got Infinity/);
  throwsNaming(() => makeLinearTeacher({ cov, k: 2, dy: 3, noise: Infinity }, rng), /noise must be a finite number/);
  const s = makeSingleIndexTeacher({ cov, link: 'relu' }, rng);
  throwsNaming(() => sampleSingleIndex({ ...s, beta: Float64Array.from([1, NaN, 0, 0]) }, 8, rng), /teacher\.beta\[1\] must be finite/);
});

test('a custom link returning NaN is refused naming the link (was: s² = NaN)', () => {
  const cov = geometricCovariance(3, 2);
  const link = { name: 'bad', f: (x: number) => (x > 1 ? Number.NaN : x), df: () => 1 };
  throwsNaming(() => makeSingleIndexTeacher({ cov, link }, new Rng(3)), /link 'bad' has a non-finite Gaussian moment (mean|m2|m2xi2) = NaN/);
});

test('spectra with overflowing ratios are refused naming the parameter (was: κ = ∞ or NaN)', () => {
  throwsNaming(() => covarianceFromSpectrum([1e300, 1e-300]), /κ\(Σ\) = λ_max\/λ_min = 1e\+300\/1e-300 overflows/);
  throwsNaming(() => powerLawCovariance(10, 400), /spectrum of family powerLaw with alpha = 400/);
  throwsNaming(() => covarianceFromSpectrum([1e308, 1e308], { normalizeTrace: true }), /normalizeTrace overflows/);
  assert.ok(Number.isFinite(geometricCovariance(5, 1e300).kappa));
});

test('seeds: -1, 1e300, 0.5, "1" are refused naming seed; seeds below 2^32 give distinct streams; the fold of larger ones is as documented', () => {
  for (const s of [-1, 1e300, 0.5, Number.NaN, Infinity, 2 ** 53]) throwsNaming(() => new Rng(s), /seed must be (a finite integer|an integer) in \[0, 2\^53 - 1\]/);
  throwsNaming(() => new Rng('1' as unknown as number), /seed must be a finite integer in \[0, 2\^53 - 1\], got "1"/);
  const first = (s: number) => new Rng(s).nextU32();
  assert.notEqual(first(0), first(1));
  assert.notEqual(first(2 ** 32 - 1), first(0));
  // documented (src/rng.ts): a seed >= 2^32 shares its generator state with a 32-bit one; its forks differ
  assert.equal(first(2 ** 32), first(1));
  assert.notEqual(new Rng(2 ** 32).fork('x').nextU32(), new Rng(1).fork('x').nextU32());
});

test('a wrong-typed option value names the parameter (sample of the library-wide rule)', () => {
  const cov = geometricCovariance(4, 10);
  throwsNaming(() => makeCovariance({ family: 'geometric', d: 4, kappa: 10, rotation: 'Haar' } as unknown as CovarianceSpec), /rotation must be 'none' or 'haar', got "Haar"/);
  throwsNaming(() => makeLinearTeacher({ cov, k: 2, dy: 3, law: 'uniform' } as unknown as LinearTeacherOptions, new Rng(1)), /law must be 'gaussian' or 'rademacher'/);
  throwsNaming(() => sampleLinear({ ...makeLinearTeacher({ cov, k: 2, dy: 3 }, new Rng(1)), G: 'x' as unknown as Mat }, 4, new Rng(1)), /teacher\.G must be a Mat/);
});
