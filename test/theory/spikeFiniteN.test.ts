/**
 * Finite-n spike alignment (B2, B3) against Monte Carlo over independent batches. Axis-aligned Σ with a
 * random β* keep sampling cheap; every formula depends on Σ and β* only through rotation-invariant
 * quantities (Σβ*, tr Σ, tr Σ⁻¹, ||β*||), so rotation would not change what is tested.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/rng.js';
import { geometricCovariance, covTracePower } from '../../src/data/covariance.js';
import { makeSingleIndexTeacher, sampleSingleIndex, type SingleIndexTeacher } from '../../src/data/teachers.js';
import { spikeVector } from '../../src/models/singleIndex.js';
import { cosine } from '../../src/metrics.js';
import { b2PlainCos2, b3PrecondCos2, plainSpikeMoments } from '../../src/theory/singleIndex.js';

/** Mean and standard error of f over R independent batches of size n. */
function monteCarlo(t: SingleIndexTeacher, n: number, R: number, rng: Rng, f: (X: import('../../src/mat.js').Mat, y: Float64Array) => number[]): { mean: number[]; se: number[] } {
  let s: number[] | null = null, s2: number[] | null = null;
  for (let r = 0; r < R; r++) {
    const b = sampleSingleIndex(t, n, rng), v = f(b.X, b.y);
    s ??= v.map(() => 0); s2 ??= v.map(() => 0);
    v.forEach((x, i) => { s![i] += x; s2![i] += x * x; });
  }
  const mean = s!.map((x) => x / R);
  return { mean, se: s2!.map((x, i) => Math.sqrt(Math.max(x / R - mean[i] ** 2, 0) / R)) };
}

test('exact second moments of h = Xᵀy/n: E⟨h,β*⟩² and E||h||² (5 SE)', () => {
  const rng = new Rng(81), d = 30, n = 40;
  const cov = geometricCovariance(d, 10);
  // poly(1, 1.5): large m₄ = E y²ξ², so the m₄ terms of the moments are visible
  const t = makeSingleIndexTeacher({ cov, link: 'poly', poly: { a1: 1, a2: 1.5 }, noise: 0.3 }, rng);
  const m = plainSpikeMoments({ n, sigma: cov, beta: t.beta, c1: t.c1, s2: t.s2, m4: t.m4 });
  const mc = monteCarlo(t, n, 3000, rng, (X, y) => {
    const h = spikeVector(X, y);
    let ip = 0, nn = 0;
    for (let j = 0; j < d; j++) { ip += h[j] * t.beta[j]; nn += h[j] * h[j]; }
    return [ip * ip, nn];
  });
  // CLT over R = 3000 batches; 5 SE per quantity (false failure ≈ 6e-7 each).
  assert.ok(Math.abs(mc.mean[0] - m.innerSq) < 5 * mc.se[0], `E⟨h,β⟩² ${mc.mean[0]} vs ${m.innerSq} (SE ${mc.se[0]})`);
  assert.ok(Math.abs(mc.mean[1] - m.normSq) < 5 * mc.se[1], `E||h||² ${mc.mean[1]} vs ${m.normSq} (SE ${mc.se[1]})`);
  // The finite-n term (m₄ − c₁²)/n of E⟨h,β⟩² is over 10 SE, so the asymptotic value c₁² would fail:
  assert.ok((t.m4 - t.c1 ** 2) / n > 10 * mc.se[0]);
});

test('B2: plain spike cos² at d = 200, n = 2d matches the DIGEST formula', () => {
  const rng = new Rng(82), d = 200, n = 400;
  const cov = geometricCovariance(d, 10);
  const t = makeSingleIndexTeacher({ cov, link: 'relu', noise: 0.5 }, rng);
  const mc = monteCarlo(t, n, 150, rng, (X, y) => [cosine(spikeVector(X, y), t.beta) ** 2]);
  const b2 = b2PlainCos2({ n, sigma: cov, beta: t.beta, c1: t.c1, s2: t.s2 });
  // Tolerance 3 SE (Monte Carlo) + 3 % of the value (B2 is leading order: it drops O(||Σβ||²/(n)) terms
  // and uses a ratio of expectations; measured deviations ≤ 1 % at d ∈ {60, 200}). Dropping the
  // s² tr Σ/n term would give 0.76 (the B1 limit squared) instead of 0.36.
  assert.ok(Math.abs(mc.mean[0] - b2) < 3 * mc.se[0] + 0.03 * b2, `MC ${mc.mean[0]} ± ${mc.se[0]} vs B2 ${b2}`);
});

test('B3 variance: OLS spike error E||Σ̂⁻¹h − c₁β*||² = σ² tr Σ⁻¹/(n − d − 1) exactly for a linear link (5 SE)', () => {
  // Linear link: r = ε is independent of X, so the homoscedastic assumption of B3 holds exactly and the
  // inverse-Wishart mean gives the error norm without approximation.
  const rng = new Rng(83), d = 20, n = 50, sigma = 0.5;
  const cov = geometricCovariance(d, 30);
  const t = makeSingleIndexTeacher({ cov, link: 'linear', noise: sigma }, rng);
  const mc = monteCarlo(t, n, 1500, rng, (X, y) => {
    const b = spikeVector(X, y, 'preconditioned');
    let e = 0;
    for (let j = 0; j < d; j++) e += (b[j] - t.c1 * t.beta[j]) ** 2;
    return [e];
  });
  const want = (sigma * sigma * covTracePower(cov, -1)) / (n - d - 1);
  assert.ok(Math.abs(mc.mean[0] - want) < 5 * mc.se[0], `E||e||² ${mc.mean[0]} vs ${want} (SE ${mc.se[0]})`);
});

test('B3: preconditioned spike cos² (relu, λ = 0) matches the DIGEST formula', () => {
  const rng = new Rng(84), d = 60, n = 240; // 150 batches: ~2 s
  const cov = geometricCovariance(d, 30);
  const t = makeSingleIndexTeacher({ cov, link: 'relu', noise: 0.5 }, rng);
  const mc = monteCarlo(t, n, 150, rng, (X, y) => [cosine(spikeVector(X, y, 'preconditioned'), t.beta) ** 2]);
  const b3 = b3PrecondCos2({ n, sigma: cov, beta: t.beta, c1: t.c1, r2: t.r2 });
  // Tolerance 3 SE + 4 % of the value: B3 treats r as homoscedastic and takes a ratio of expectations;
  // measured deviations are +2.5–5 % at d = 60 (a ≈3 % bias plus noise) and < 1 % at d = 200 (relu and
  // poly links). Wrong variants move the prediction 0.41 much further: tr Σ for tr Σ⁻¹ → 0.95,
  // n for n − d − 1 → 0.48, s² for E r² → 0.31.
  assert.ok(Math.abs(mc.mean[0] - b3) < 3 * mc.se[0] + 0.04 * b3, `MC ${mc.mean[0]} ± ${mc.se[0]} vs B3 ${b3}`);
});
