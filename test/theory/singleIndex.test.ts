import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/rng.js';
import { geometricCovariance, covApply, covEigenvector, covTracePower } from '../../src/data/covariance.js';
import { makeSingleIndexTeacher, sampleSingleIndex } from '../../src/data/teachers.js';
import { spikeVector } from '../../src/models/singleIndex.js';
import { cosine } from '../../src/metrics.js';
import {
  B1_PRECONDITIONED_COSINE_LIMIT, b1PlainCosineLimit, b2PlainCos2, b2PlainCos2Refined, b3PrecondCos2, plainSpikeMoments,
  spikeTheoryForTeacher,
} from '../../src/theory/singleIndex.js';

const norm = (v: ArrayLike<number>): number => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));

test('B1: at n = 200k, d = 20 the plain spike tends to cos = 1/(||Σβ*|| ||β*||) < 1, the preconditioned one to 1', () => {
  const rng = new Rng(71), d = 20, n = 200_000;
  const cov = geometricCovariance(d, 100, { rotation: 'haar', rng });
  const t = makeSingleIndexTeacher({ cov, link: 'relu', noise: 0.1 }, rng);
  const b = sampleSingleIndex(t, n, rng);
  const L = b1PlainCosineLimit(cov, t.beta);
  const sb = covApply(cov, t.beta);
  assert.ok(Math.abs(L - 1 / (norm(sb) * norm(t.beta))) < 1e-14); // βᵀΣβ = 1 form of the DIGEST
  assert.ok(L < 0.9, `the limit must be visibly below 1 for the test to discriminate, got ${L}`);

  // Plain: h = c₁Σβ + e with E||e||² = E||h||² − c₁²||Σβ||² (exact finite-n moment, `plainSpikeMoments`).
  // |cos(h, β) − cos(Σβ, β)| ≤ ∠(h, Σβ) ≤ asin(||e||/||c₁Σβ||). e is a mean of n i.i.d. vectors, so
  // ||e||² is close to a weighted χ² with total weight E||e||²; P(||e||² > 16 E||e||²) is at most that of
  // a single χ²₁ exceeding 16, ≈ 6e-5. Tolerance: asin(4 RMS(e)/||c₁Σβ||) ≈ 0.049 here (limit 0.724,
  // measured 0.7225), while the gap to the preconditioned limit is 1 − L ≈ 0.28.
  const h = spikeVector(b.X, b.y, 'plain');
  const m = plainSpikeMoments({ n, sigma: cov, beta: t.beta, c1: t.c1, s2: t.s2, m4: t.m4 });
  const rmsE = Math.sqrt(m.normSq - t.c1 * t.c1 * norm(sb) ** 2);
  const tolPlain = Math.asin(Math.min(1, (4 * rmsE) / (t.c1 * norm(sb))));
  const cPlain = cosine(h, t.beta);
  assert.ok(Math.abs(cPlain - L) < tolPlain, `plain cos ${cPlain} vs limit ${L} (tol ${tolPlain})`);

  // Preconditioned (λ = 0): b = c₁β + e', E||e'||² ≈ E r² tr Σ⁻¹/(n − d − 1) (B3's variance; the
  // homoscedastic approximation is off by O(1/d), covered by the factor 4 together with the χ² tail).
  // 1 − cos(b, β) ≤ 1 − √(1 − (||e'||/||c₁β||)²): tolerance ≈ 0.0035 here (measured 1 − cos ≈ 2e-4).
  const p = spikeVector(b.X, b.y, 'preconditioned');
  const rmsP = Math.sqrt((t.r2 * covTracePower(cov, -1)) / (n - d - 1));
  const ratio = (4 * rmsP) / (t.c1 * norm(t.beta));
  const tolPre = 1 - Math.sqrt(1 - ratio * ratio);
  const cPre = cosine(p, t.beta);
  assert.ok(1 - cPre < tolPre, `preconditioned cos ${cPre} (tol ${tolPre})`);
  assert.ok(tolPre < (1 - L) / 10, 'the preconditioned tolerance is far tighter than the plain bias');
  assert.equal(B1_PRECONDITIONED_COSINE_LIMIT, 1);
});

test('B1 limit: 1 for eigenvector β*, scale-free, and ≤ 1 (Cauchy–Schwarz in the Σ geometry)', () => {
  const rng = new Rng(72);
  const cov = geometricCovariance(8, 50, { rotation: 'haar', rng });
  const e = covEigenvector(cov, 2);
  assert.ok(Math.abs(b1PlainCosineLimit(cov, e) - 1) < 1e-14);
  for (let r = 0; r < 20; r++) {
    const v = rng.fillNormal(new Float64Array(8)), L = b1PlainCosineLimit(cov, v);
    assert.ok(L > 0 && L <= 1 + 1e-15);
    assert.ok(Math.abs(b1PlainCosineLimit(cov, v.map((x) => -3 * x)) - L) < 1e-14);
    // A Mat Σ gives the same value as the Covariance object
    assert.ok(Math.abs(b1PlainCosineLimit(cov.sigma, v) - L) < 1e-13);
  }
});

test('B2/B3 formulas: closed-form checks against hand-computed cases', () => {
  // Σ = I, β = e₁ (βᵀΣβ = 1): B2 = c₁²/(c₁² + s² d/n); B3 = c₁²/(c₁² + E r² d/(n − d − 1)).
  const d = 4, beta = [1, 0, 0, 0];
  const I = geometricCovariance(d, 1);
  const c1 = 0.5, s2 = 0.7, n = 40;
  assert.ok(Math.abs(b2PlainCos2({ n, sigma: I, beta, c1, s2 }) - 0.25 / (0.25 + (0.7 * 4) / 40)) < 1e-15);
  assert.ok(Math.abs(b3PrecondCos2({ n, sigma: I, beta, c1, r2: s2 - 0.25 }) - 0.25 / (0.25 + (0.45 * 4) / 35)) < 1e-15);
  // n → ∞: B2 → the square of the B1 limit; B3 → 1
  const rng = new Rng(73), cov = geometricCovariance(10, 20, { rotation: 'haar', rng });
  const t = makeSingleIndexTeacher({ cov, link: 'tanh', noise: 0.2 }, rng);
  const big = spikeTheoryForTeacher(t, 1e12);
  assert.ok(Math.abs(big.b2 - big.b1Plain ** 2) < 1e-9 && Math.abs(big.b2Refined - big.b1Plain ** 2) < 1e-9);
  assert.ok(Math.abs(big.b3 - 1) < 1e-9);
  assert.ok(Number.isNaN(spikeTheoryForTeacher(t, 11).b3));
  // the refinement differs from B2 only at order 1/n
  const small = spikeTheoryForTeacher(t, 200);
  assert.ok(Math.abs(small.b2Refined - small.b2) < 0.05 && small.b2Refined !== small.b2);
});

test('theory functions reject unnormalised β*, n ≤ d + 1 for B3 and bad shapes', () => {
  const cov = geometricCovariance(3, 4);
  const beta = [1, 0, 0];
  assert.throws(() => b2PlainCos2({ n: 10, sigma: cov, beta: [2, 0, 0], c1: 0.5, s2: 1 }), /betaᵀΣbeta = 1/);
  assert.throws(() => b3PrecondCos2({ n: 4, sigma: cov, beta, c1: 0.5, r2: 1 }), /n must be an integer >= 5, got 4/);
  assert.throws(() => b2PlainCos2({ n: 10, sigma: cov, beta: [1, 0], c1: 0.5, s2: 1 }), /beta must have length d = 3/);
  assert.throws(() => b2PlainCos2({ n: 0, sigma: cov, beta, c1: 0.5, s2: 1 }), /n must be an integer >= 1/);
  assert.throws(() => b2PlainCos2Refined({ n: 5, sigma: cov, beta, c1: NaN, s2: 1, m4: 1 }), /c1/);
  assert.throws(() => b1PlainCosineLimit(cov, [0, 0, 0]), /nonzero/);
});

test('B3 is the exact finite-(n, d) ratio of expectations (E⟨b,β⟩)²/(‖β‖² E‖b‖²) when r is independent of X (linear link, d = 6, n = 12)', async () => {
  const { fixedProblem, crossMoment, dampedSolve, dot } = await import('../../src/experiments/single-index-common.js');
  const { sampleSingleIndex } = await import('../../src/data/teachers.js');
  const { secondMoment } = await import('../../src/data/inputs.js');
  const { Rng } = await import('../../src/rng.js');
  const { b3PrecondCos2 } = await import('../../src/theory/singleIndex.js');
  const d = 6, n = 12, S = 40000;
  const { cov, teacher: t } = fixedProblem({ d, kappa: 10, rotation: 'none', link: 'linear', noise: 0.7 }, 3);
  const rng = new Rng(99);
  let sI = 0, sQ = 0, sQQ = 0, sII = 0, sIQ = 0;
  for (let k = 0; k < S; k++) {
    const { X, y } = sampleSingleIndex(t, n, rng);
    const b = dampedSolve(secondMoment(X), crossMoment(X, y), 0);
    const I = dot(b, t.beta), Q = dot(b, b);
    sI += I; sQ += Q; sII += I * I; sQQ += Q * Q; sIQ += I * Q;
  }
  const mI = sI / S, mQ = sQ / S, vI = sII / S - mI * mI, vQ = sQQ / S - mQ * mQ, cIQ = sIQ / S - mI * mQ;
  const bb = dot(t.beta, t.beta), R = (mI * mI) / (bb * mQ);
  // delta method: ∂R/∂I = 2I/(bb Q), ∂R/∂Q = −I²/(bb Q²)
  const gI = (2 * mI) / (bb * mQ), gQ = -(mI * mI) / (bb * mQ * mQ);
  const se = Math.sqrt((gI * gI * vI + gQ * gQ * vQ + 2 * gI * gQ * cIQ) / S);
  const b3 = b3PrecondCos2({ n, sigma: cov, beta: t.beta, c1: t.c1, r2: t.r2 });
  assert.ok(Math.abs(R - b3) < 3.5 * se, `ratio ${R} vs B3 ${b3} (SE ${se})`);
  // the test discriminates: n − d in place of the inverse-Wishart n − d − 1 is rejected
  const a = t.c1 * t.c1 * bb, wrong = a / (a + (t.r2 * Array.from(cov.values).reduce((s, l) => s + 1 / l, 0)) / (n - d));
  assert.ok(Math.abs(R - wrong) > 5 * se, `n − d should be rejected: ratio ${R} vs ${wrong} (SE ${se})`);
  // and the mean cos² is far from it at this tiny d: the Jensen gap is what separates them
  let mc = 0;
  const rng2 = new Rng(100);
  for (let k = 0; k < 4000; k++) { const { X, y } = sampleSingleIndex(t, n, rng2); const b = dampedSolve(secondMoment(X), crossMoment(X, y), 0); mc += dot(b, t.beta) ** 2 / (bb * dot(b, b)); }
  assert.ok(mc / 4000 - b3 > 20 * se, `mean cos² ${mc / 4000} should exceed B3 ${b3} clearly at d = 6`);
});
