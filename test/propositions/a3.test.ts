import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/rng.js';
import { Mat, axpy, gram } from '../../src/mat.js';
import { cholSolve, eigSym, mm64 } from '../../src/linalg.js';
import { linearNet } from '../../src/models/linear.js';
import { batch, initParams, problem } from '../fixtures.js';

// A3: with F frozen and noiseless data, a gradient step on G maps E = G − (FᵀF)⁻¹FᵀF*G* to
// E − η FᵀF E Σ̂: a linear map on k×d matrices with eigenvalues 1 − η λ_i(FᵀF) μ_j(Σ̂).

function gdOperator(rng: Rng, kappa: number, eta: number) {
  const pr = problem(rng, 6, 2, 3, kappa);
  const b = batch(rng, pr, 40);
  const p = initParams(rng, pr);
  const Gopt = mm64(cholSolve(mm64(p.F, p.F, true), mm64(p.F, pr.Fs, true)), pr.Gs);
  const k = 2, d = 6, N = k * d, M = new Mat(N, N);
  for (let c = 0; c < N; c++) { // column c: image of the c-th basis matrix
    const G = Gopt.clone();
    G.data[c] += 1;
    const G1 = axpy(-eta, linearNet.grads({ F: p.F, G }, b).G, G);
    for (let r = 0; r < N; r++) M.set(r, c, G1.data[r] - Gopt.data[r]);
  }
  const lam = eigSym(mm64(p.F, p.F, true)).values, mu = eigSym(gram(b.X, 1 / 40)).values;
  return { M, lam, mu };
}

test('A3: the GD iteration on G has eigenvalues 1 − η λ_i(FᵀF) μ_j(Σ̂)', () => {
  const rng = new Rng(31);
  const eta = 0.2;
  const { M, lam, mu } = gdOperator(rng, 50, eta);
  // M = I − η (Σ̂ ⊗ FᵀF) in row-major vec: symmetric, so eigSym applies
  const got = Array.from(eigSym(M).values).sort((a, b) => a - b);
  const want = Array.from(lam).flatMap((l) => Array.from(mu, (m) => 1 - eta * l * m)).sort((a, b) => a - b);
  for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-10, `${got[i]} vs ${want[i]}`);
});

test('A3: no step size beats (κ_F κ_Σ − 1)/(κ_F κ_Σ + 1), and η* = 2/(λ_max μ_max + λ_min μ_min) attains it', () => {
  const rng = new Rng(32);
  const { lam, mu } = gdOperator(rng, 100, 0.1);
  const lmin = lam[0], lmax = lam[lam.length - 1], mmin = mu[0], mmax = mu[mu.length - 1];
  const K = (lmax / lmin) * (mmax / mmin);
  const best = (K - 1) / (K + 1);
  const radius = (eta: number) => Math.max(...Array.from(lam).flatMap((l) => Array.from(mu, (m) => Math.abs(1 - eta * l * m))));
  const etaStar = 2 / (lmax * mmax + lmin * mmin);
  assert.ok(Math.abs(radius(etaStar) - best) < 1e-12);
  for (let i = 1; i <= 400; i++) {
    const eta = (i / 400) * 2.5 * etaStar;
    assert.ok(radius(eta) >= best - 1e-12, `η=${eta}: ${radius(eta)} < ${best}`);
  }
  // and the operator built from real gradient steps at η* has that spectral radius
  const op = gdOperator(new Rng(32), 100, etaStar);
  const ev = eigSym(op.M).values;
  assert.ok(Math.abs(Math.max(Math.abs(ev[0]), Math.abs(ev[ev.length - 1])) - best) < 1e-10);
});
