import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/rng.js';
import { Mat } from '../../src/mat.js';
import { eigSym, mm64 } from '../../src/linalg.js';
import { geometricCovariance } from '../../src/data/covariance.js';
import { headWithCondition } from '../../src/data/teachers.js';
import { a3Contraction, a3ContractionForHead, gdContraction, gdOptimalStep, iterationsToAccuracy } from '../../src/theory/linear.js';

const fro = (m: Mat): number => Math.sqrt(m.data.reduce((s, v) => s + v * v, 0));

test('A3 formula values', () => {
  assert.equal(a3Contraction(1, 1), 0);
  assert.ok(Math.abs(a3Contraction(3, 3) - 0.8) < 1e-15);
  assert.equal(a3ContractionForHead(3, 2), a3Contraction(9, 2));
  assert.ok(a3Contraction(10, 10) < a3Contraction(10, 20));
  assert.equal(iterationsToAccuracy(0.5, 1e-3), 10);
  // for large K, iterations ≈ K log(1/ε)/2
  const K = 1000, it = iterationsToAccuracy(a3Contraction(K, 1), 1e-6);
  assert.ok(Math.abs(it / ((K * Math.log(1e6)) / 2) - 1) < 1e-3);
  assert.throws(() => a3Contraction(0.5, 2), /kappaFtF must be a finite number in \[1, inf\)/);
  assert.throws(() => iterationsToAccuracy(1, 0.1), /rho/);
});

test('A3: GD on G with F frozen contracts at (κ(F)²κ(Σ) − 1)/(κ(F)²κ(Σ) + 1) at the best step — κ(FᵀF), not κ(F)', () => {
  const rng = new Rng(91), k = 3, d = 6, dy = 4, kF = 2, kS = 3;
  const F = headWithCondition(dy, k, kF, rng);
  const cov = geometricCovariance(d, kS, { rotation: 'haar', rng });
  const FtF = mm64(F, F, true, false);
  const { eta, rate } = gdOptimalStep(eigSym(FtF).values, cov.values);
  // E ↦ E − η FᵀF E Σ, iterated from a random start. The asymptotic per-step norm ratio is the spectral
  // radius ρ*; the other modes decay at most at rate ρ₂ < ρ*, so after T₀ = 200 steps their relative
  // weight is (ρ₂/ρ*)^200, negligible. Measured over 100 further steps, the geometric-mean rate equals ρ*
  // to 1e-6.
  let E = rng.normalMat(k, d);
  const step = (e: Mat): Mat => {
    const u = mm64(mm64(FtF, e), cov.sigma);
    return new Mat(k, d, e.data.map((v, i) => v - eta * u.data[i]));
  };
  for (let t = 0; t < 200; t++) E = step(E);
  const n0 = fro(E);
  for (let t = 0; t < 100; t++) E = step(E);
  const measured = Math.pow(fro(E) / n0, 1 / 100);
  const K = kF * kF * kS;
  assert.ok(Math.abs(rate - (K - 1) / (K + 1)) < 1e-12);
  assert.ok(Math.abs(measured - a3ContractionForHead(kF, kS)) < 1e-6, `measured ${measured} vs ${a3ContractionForHead(kF, kS)}`);
  // The DIGEST's formula with κ_F = κ(F) (not squared) predicts 5/7 ≈ 0.714 here, against 11/13 ≈ 0.846:
  assert.ok(Math.abs(measured - a3Contraction(kF, kS)) > 0.1);
  // No step size beats η*: the contraction over a grid of step sizes is never below ρ*.
  const lam = eigSym(FtF).values;
  for (let s = 0.05; s < 2; s += 0.05) assert.ok(gdContraction(lam, cov.values, s * eta) >= rate - 1e-15);
  assert.ok(Math.abs(gdContraction(lam, cov.values, eta) - rate) < 1e-14);
});
