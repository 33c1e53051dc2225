import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/rng.js';
import { Mat, diag, fromArray } from '../../src/mat.js';
import { eigSym, mm64 } from '../../src/linalg.js';
import {
  covApply, covEigenvector, covPower, covTracePower, geometricCovariance, geometricSpectrum, haarOrthogonal,
  identityCovariance, makeCovariance, powerLawCovariance, spikeDirection, spikedCovariance, twoLevelCovariance,
  covarianceFromSpectrum, type Covariance,
} from '../../src/data/covariance.js';

const maxDiff = (a: Mat, b: Mat): number => {
  assert.deepEqual(a.shape, b.shape);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
  return m;
};
const sortedDesc = (v: ArrayLike<number>): number[] => Array.from(v).sort((x, y) => y - x);

// Round-off budget: Σ and Σ^{1/2} are O(d) float64 sums of products of O(1) numbers, so entry errors are
// a few d·2⁻⁵³ ≈ 1e-15; the tolerances 1e-12 below leave three orders of margin and still catch any
// formula error (which would be O(1)).

test('geometric spectrum: λ_1 = 1, λ_d = 1/κ, constant ratio κ^{-1/(d-1)}', () => {
  const d = 9, kappa = 50, v = geometricSpectrum(d, kappa);
  assert.equal(v[0], 1);
  assert.ok(Math.abs(v[d - 1] * kappa - 1) < 1e-14);
  const ratio = Math.pow(kappa, -1 / (d - 1));
  for (let i = 1; i < d; i++) assert.ok(Math.abs(v[i] / v[i - 1] - ratio) < 1e-14, `ratio at ${i}`);
  assert.deepEqual(Array.from(geometricSpectrum(1, 7)), [1]);
  const c = geometricCovariance(d, kappa);
  assert.equal(c.vectors, null);
  assert.ok(Math.abs(c.kappa - kappa) < 1e-12 * kappa);
  assert.equal(maxDiff(c.sigma, diag(v)), 0); // axis-aligned: exactly diagonal
  assert.equal(maxDiff(c.sqrt, diag(v.map(Math.sqrt))), 0);
});

test('two-level, spiked and power-law spectra are exactly as documented', () => {
  const t = twoLevelCovariance(10, 8, 0.3);
  assert.deepEqual(Array.from(t.values), [8, 8, 8, 1, 1, 1, 1, 1, 1, 1]);
  assert.equal(t.kappa, 8);
  const s = spikedCovariance(5, 3);
  assert.deepEqual(Array.from(s.values), [4, 1, 1, 1, 1]);
  const p = powerLawCovariance(6, 1.5);
  for (let i = 0; i < 6; i++) assert.ok(Math.abs(p.values[i] * Math.pow(i + 1, 1.5) - 1) < 1e-15);
  assert.ok(Math.abs(p.kappa - Math.pow(6, 1.5)) < 1e-12);
});

test('rotated covariances keep the spectrum; Σ symmetric; eigenvectors are the columns of Q', () => {
  const rng = new Rng(3);
  const cases: Covariance[] = [
    geometricCovariance(12, 100, { rotation: 'haar', rng }),
    twoLevelCovariance(12, 20, 0.25, { rotation: 'haar', rng }),
    spikedCovariance(12, 5, { rotation: 'haar', rng }),
    powerLawCovariance(12, 1, { rotation: 'haar', rng }),
  ];
  for (const c of cases) {
    assert.ok(c.vectors !== null);
    const e = eigSym(c.sigma);
    const want = sortedDesc(c.values), got = sortedDesc(e.values);
    for (let i = 0; i < 12; i++) assert.ok(Math.abs(want[i] - got[i]) < 1e-12 * want[0], `${c.family} eigenvalue ${i}: ${got[i]} vs ${want[i]}`);
    for (let i = 0; i < 12; i++) for (let j = 0; j < 12; j++) assert.equal(c.sigma.get(i, j), c.sigma.get(j, i));
    for (let i = 0; i < 12; i++) {
      const v = covEigenvector(c, i), Sv = covApply(c, v);
      for (let r = 0; r < 12; r++) assert.ok(Math.abs(Sv[r] - c.values[i] * v[r]) < 1e-12 * want[0]);
    }
  }
});

test('spiked rotated Σ = I + θ v vᵀ with v the first column of Q', () => {
  const rng = new Rng(4), theta = 2.5;
  const c = spikedCovariance(7, theta, { rotation: 'haar', rng });
  const v = spikeDirection(c);
  let nv = 0;
  for (const x of v) nv += x * x;
  assert.ok(Math.abs(nv - 1) < 1e-14);
  for (let i = 0; i < 7; i++) for (let j = 0; j < 7; j++) {
    assert.ok(Math.abs(c.sigma.get(i, j) - ((i === j ? 1 : 0) + theta * v[i] * v[j])) < 1e-13);
  }
});

test('Σ^{1/2} Σ^{1/2} = Σ and Σ^{1/2} is symmetric positive definite; covPower inverts', () => {
  const rng = new Rng(5);
  for (const c of [geometricCovariance(15, 1e3, { rotation: 'haar', rng }), twoLevelCovariance(15, 30, 0.4), powerLawCovariance(15, 2, { rotation: 'haar', rng })]) {
    assert.ok(maxDiff(mm64(c.sqrt, c.sqrt), c.sigma) < 1e-13 * Math.max(...c.values), c.family);
    const e = eigSym(c.sqrt);
    assert.ok(e.values[0] > 0);
    const want = sortedDesc(c.values.map(Math.sqrt)), got = sortedDesc(e.values);
    for (let i = 0; i < 15; i++) assert.ok(Math.abs(want[i] - got[i]) < 1e-12);
    const w = covPower(c, -0.5);
    const I = mm64(mm64(w, c.sigma), w);
    // κ = 1e3: relative round-off of Σ^{-1/2} Σ Σ^{-1/2} is about κ·d·2⁻⁵³ ≈ 3e-12
    assert.ok(maxDiff(I, diag(new Float64Array(15).fill(1))) < 1e-10);
    assert.ok(Math.abs(covTracePower(c, -1) - c.values.reduce((s, l) => s + 1 / l, 0)) < 1e-12 * covTracePower(c, -1));
  }
});

test('normalizeTrace rescales to tr Σ = d and keeps κ', () => {
  const rng = new Rng(6);
  const c = geometricCovariance(20, 40, { rotation: 'haar', rng, normalizeTrace: true });
  assert.ok(Math.abs(c.trace - 20) < 1e-12);
  let tr = 0;
  for (let i = 0; i < 20; i++) tr += c.sigma.get(i, i);
  assert.ok(Math.abs(tr - 20) < 1e-12);
  assert.ok(Math.abs(c.kappa - 40) < 1e-10);
});

test('Haar orthogonal: QᵀQ = I, and sign-fixed (diagonal entries have mean 0, which an unfixed Householder QR violates)', () => {
  const rng = new Rng(7), d = 3, M = 600;
  const sums = new Float64Array(d);
  for (let m = 0; m < M; m++) {
    const Q = haarOrthogonal(d, rng);
    if (m < 5) assert.ok(maxDiff(mm64(Q, Q, true, false), diag(new Float64Array(d).fill(1))) < 1e-14);
    for (let i = 0; i < d; i++) sums[i] += Q.get(i, i);
  }
  // Under Haar measure each entry has mean 0 and variance 1/d: SE of the mean = 1/√(dM) ≈ 0.024.
  // 4 SE ≈ 0.094; without the sign fix Q_00 = −|a_0|/||a|| ≤ 0 always (mean −1/2 for d = 3).
  const se = 1 / Math.sqrt(d * M);
  for (let i = 0; i < d; i++) assert.ok(Math.abs(sums[i] / M) < 4 * se, `mean Q_${i}${i} = ${sums[i] / M}`);
});

test('makeCovariance builds the named families and is deterministic in the seed', () => {
  const a = makeCovariance({ family: 'geometric', d: 8, kappa: 10, rotation: 'haar' }, new Rng(9));
  const b = makeCovariance({ family: 'geometric', d: 8, kappa: 10, rotation: 'haar' }, new Rng(9));
  const c = makeCovariance({ family: 'geometric', d: 8, kappa: 10, rotation: 'haar' }, new Rng(10));
  assert.deepEqual(Array.from(a.sigma.data), Array.from(b.sigma.data));
  assert.ok(maxDiff(a.sigma, c.sigma) > 1e-3);
  assert.equal(makeCovariance({ family: 'identity', d: 4 }).kappa, 1);
  assert.deepEqual(Array.from(makeCovariance({ family: 'spiked', d: 3, theta: 1 }).values), [2, 1, 1]);
  assert.equal(identityCovariance(3).trace, 3);
});

test('a caller-given rotation is used and checked', () => {
  const q = fromArray([[0, 1], [1, 0]]);
  const c = covarianceFromSpectrum([2, 1], { rotation: q });
  assert.deepEqual(c.sigma.toArray(), [[1, 0], [0, 2]]);
  assert.throws(() => covarianceFromSpectrum([2, 1], { rotation: fromArray([[1, 1], [0, 1]]) }), RangeError);
});

test('bad parameters throw RangeError naming the parameter and its range', () => {
  const cases: [() => unknown, RegExp][] = [
    [() => geometricSpectrum(0, 2), /d must be an integer >= 1, got 0/],
    [() => geometricSpectrum(2.5, 2), /d must be an integer >= 1/],
    [() => geometricSpectrum(5, 0.5), /kappa must be a finite number in \[1, inf\), got 0.5/],
    [() => geometricSpectrum(5, NaN), /kappa must be a finite number in \[1, inf\), got NaN/],
    [() => twoLevelCovariance(10, 2, 0), /fraction must be a finite number in \(0, 1\), got 0/],
    [() => twoLevelCovariance(10, 2, 1), /fraction must be a finite number in \(0, 1\), got 1/],
    [() => twoLevelCovariance(10, 2, NaN), /fraction/],
    [() => twoLevelCovariance(10, 2, 0.01), /round\(fraction·d\) must be in \[1, d-1\]/],
    [() => spikedCovariance(4, -1), /theta must be a finite number in \(-1, inf\)/],
    [() => powerLawCovariance(4, -0.5), /alpha must be a finite number in \[0, inf\)/],
    [() => geometricCovariance(4, 2, { rotation: 'haar' }), /needs an rng/],
    [() => makeCovariance({ family: 'geometric', d: 4 }), /needs parameter kappa/],
    [() => covarianceFromSpectrum([1, 0]), /eigenvalues must be > 0/],
  ];
  for (const [f, re] of cases) assert.throws(f, (e: unknown) => e instanceof RangeError && re.test((e as Error).message), String(re));
});
