/**
 * Muon. Tolerances (float64 throughout: Newton–Schulz here uses linalg.mm64 whatever the engine):
 * the cubic iteration with 30 steps converges to the polar factor to round-off (~1e-15) when
 * σ_min/‖d‖_F ≥ 1e-3, as in every test matrix below; we compare at 1e-12. The SVD route is exact to
 * round-off; quintic results are compared with the scalar polynomial applied to the singular values at 1e-12.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mat, add, matmulNT, scale } from '../../src/mat.js';
import { qr, svd } from '../../src/linalg.js';
import { Rng } from '../../src/rng.js';
import { linearNet } from '../../src/models/linear.js';
import { muon, muonTransform, newtonSchulzQuintic, orthogonalize, polarSvd, QUINTIC_COEFFS } from '../../src/optim/muon.js';
import { shampooTransform } from '../../src/optim/shampoo.js';
import { feed, fromSvd, maxDiff, modelAProblem, run } from './_helpers.js';

const rng = new Rng(314);
const orthCols = (m: number, r: number) => qr(rng.normalMat(m, r)).Q; // m×r, orthonormal columns

test('on a matrix with known SVD U diag(s) Vᵀ the update is η c U Vᵀ (wide: c = 1; tall: c = √(m/n))', () => {
  const s = [3, 1, 0.2];
  for (const [m, n] of [[3, 5], [5, 3]]) {
    const U = orthCols(m, 3), V = orthCols(n, 3);
    const A = fromSvd(U, s, V), polar = matmulNT(U, V), c = Math.sqrt(Math.max(1, m / n));
    for (const orthogonalizer of ['cubic', 'svd'] as const) {
      const u = feed(muonTransform({ lr: 0.1, momentum: 0, orthogonalizer }), new Mat(m, n), [A]).us[0];
      assert.ok(maxDiff(u, scale(polar, 0.1 * c)) < 1e-12, `${m}x${n} ${orthogonalizer}`);
    }
  }
});

test('the update has all singular values equal to η c (orthogonality), for both scale conventions', () => {
  const g = rng.normalMat(7, 4), lr = 0.05;
  for (const [scaleName, c] of [['reference', Math.sqrt(7 / 4)], ['none', 1], ['spectral', Math.sqrt(7 / 4)]] as const) {
    const u = feed(muonTransform({ lr, momentum: 0, scale: scaleName }), new Mat(7, 4), [g]).us[0];
    for (const sv of svd(u).s) assert.ok(Math.abs(sv - lr * c) < 1e-12, `${scaleName}: ${sv}`);
  }
  // wide matrix: 'spectral' shrinks by √(m/n) < 1, 'reference' does not
  const w = rng.normalMat(2, 8);
  const us = feed(muonTransform({ lr: 1, momentum: 0, scale: 'spectral' }), new Mat(2, 8), [w]).us[0];
  for (const sv of svd(us).s) assert.ok(Math.abs(sv - 0.5) < 1e-12);
});

test('quintic Newton–Schulz acts on singular values by φ(σ) = aσ + bσ³ + cσ⁵ five times from σ/‖A‖_F; only approximately orthogonal', () => {
  const U = orthCols(4, 3), V = orthCols(6, 3), s = [2, 1, 0.3];
  const A = fromSvd(U, s, V), fro = Math.hypot(...s);
  const [a, b, c] = QUINTIC_COEFFS;
  const phi5 = (x: number) => { for (let i = 0; i < 5; i++) x = a * x + b * x ** 3 + c * x ** 5; return x; };
  const expected = fromSvd(U, s.map((x) => phi5(x / fro)), V);
  assert.ok(maxDiff(newtonSchulzQuintic(A, 5), expected) < 1e-12);
  const sv = svd(newtonSchulzQuintic(A, 5)).s.slice(0, 3); // rank 3: the 4th is round-off
  assert.ok(Math.max(...Array.from(sv, (x) => Math.abs(x - 1))) > 1e-2, 'the quintic is not exactly orthogonal');
  for (const x of sv) assert.ok(x > 0.6 && x < 1.25, `singular value ${x}`);
});

test('momentum trace (β = 0.5): Nesterov gives polar(g1) then polar(g1 + 6 g2); heavy ball polar(g1) then polar(g1 + 2 g2)', () => {
  // b1 = 0.5 g1; Nesterov d1 = 0.5 g1 + 0.5 b1 = 0.75 g1. b2 = 0.25 g1 + 0.5 g2;
  // Nesterov d2 = 0.5 g2 + 0.5 b2 = 0.125 g1 + 0.75 g2 ∝ g1 + 6 g2; heavy ball d2 = b2 ∝ g1 + 2 g2.
  const g1 = rng.normalMat(3, 4), g2 = rng.normalMat(3, 4), W = new Mat(3, 4);
  const nes = feed(muonTransform({ lr: 1, momentum: 0.5, orthogonalizer: 'svd' }), W, [g1, g2]).us;
  assert.ok(maxDiff(nes[0], polarSvd(g1)) < 1e-12);
  assert.ok(maxDiff(nes[1], polarSvd(add(g1, scale(g2, 6)))) < 1e-12);
  const hb = feed(muonTransform({ lr: 1, momentum: 0.5, nesterov: false, orthogonalizer: 'svd' }), W, [g1, g2]).us;
  assert.ok(maxDiff(hb[1], polarSvd(add(g1, scale(g2, 2)))) < 1e-12);
  assert.ok(maxDiff(nes[1], hb[1]) > 1e-3);
});

test('decoupled weight decay: u = η (c O + λ W); zero gradient with λ = 0 gives u = 0 (no NaN)', () => {
  const g = rng.normalMat(3, 3), W = rng.normalMat(3, 3);
  const u = feed(muonTransform({ lr: 0.1, momentum: 0, weightDecay: 0.5 }), W, [g]).us[0];
  assert.ok(maxDiff(u, add(scale(polarSvd(g), 0.1), scale(W, 0.05))) < 1e-12);
  for (const orthogonalizer of ['cubic', 'quintic', 'svd'] as const) {
    const z = feed(muonTransform({ orthogonalizer }), W, [new Mat(3, 3)]).us[0];
    assert.deepEqual(Array.from(z.data), new Array(9).fill(0));
  }
});

test('rank-deficient momentum: 30 cubic steps give the partial isometry U_r V_rᵀ (null directions stay 0)', () => {
  const U = orthCols(4, 2), V = orthCols(6, 2);
  const A = fromSvd(U, [1, 0.05], V); // rank 2 in 4×6
  assert.ok(maxDiff(orthogonalize(A, 'cubic', 30), matmulNT(U, V)) < 1e-10);
  assert.ok(maxDiff(polarSvd(A), matmulNT(U, V)) < 1e-12);
});

test("Muon's direction is Shampoo's first step: momentum 0, scale 'none' equals Shampoo (β₂ = 1, ε = 0) at t = 1", () => {
  const g = rng.normalMat(4, 6);
  const a = feed(muonTransform({ lr: 0.3, momentum: 0, scale: 'none' }), new Mat(4, 6), [g]).us[0];
  const b = feed(shampooTransform({ lr: 0.3, eps: 0 }), new Mat(4, 6), [g]).us[0];
  assert.ok(maxDiff(a, b) < 1e-10);
});

test('Muon on Model A: momentum 0 is W −= η c polar(∇W) for both layers; deterministic; loss decreases', () => {
  const { params, batch } = modelAProblem(30);
  const r = run(muon({ lr: 0.05, momentum: 0 }), linearNet, params, batch, 1);
  const g = linearNet.grads(params, batch);
  // F is 3×2 (tall: c = √(3/2)), G is 2×6 (wide: c = 1)
  assert.ok(maxDiff(r.traj[1].F, add(params.F, scale(polarSvd(g.F), -0.05 * Math.sqrt(1.5)))) < 1e-12);
  assert.ok(maxDiff(r.traj[1].G, add(params.G, scale(polarSvd(g.G), -0.05))) < 1e-12);
  const a = run(muon({ lr: 0.02 }), linearNet, params, batch, 10), b = run(muon({ lr: 0.02 }), linearNet, params, batch, 10);
  assert.deepEqual(Array.from(a.traj[10].G.data), Array.from(b.traj[10].G.data));
  assert.ok(a.losses[9] < a.losses[0]);
  assert.deepEqual({ ...muon().options }, { lr: 0.02, momentum: 0.95, nesterov: true, orthogonalizer: 'cubic', scale: 'reference', weightDecay: 0, nsSteps: 30 });
  assert.equal(muon({ orthogonalizer: 'quintic' }).options.nsSteps, 5);
  assert.equal(muon({ orthogonalizer: 'svd' }).options.nsSteps, undefined);
});

test('a gradient that does not match the state is refused', () => {
  const t = muonTransform(), W = new Mat(2, 2);
  assert.throws(() => t.update(new Mat(3, 2), t.init(W), new Mat(3, 2), 1), /muon: state is for a 2x2 matrix, gradient is 3x2/);
});
