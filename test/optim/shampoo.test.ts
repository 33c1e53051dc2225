import { haarOrthogonal } from '../../src/data/covariance.js';
/**
 * Shampoo. Tolerances (float64, js64 engine, no float32 anywhere in these paths): matrix roots of
 * factors with condition number ≤ 1e4 from a float64 eigendecomposition are accurate to ~1e-14
 * relative; we compare at 1e-10 (absolute, on O(1) matrices) to leave room for the eigen-solver's
 * round-off amplified by the root. Reductions to SGD repeat the same operations and are exact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mat, diag, fromArray, matmul, matmulNT, matmulTN, add, scale } from '../../src/mat.js';
import { svd } from '../../src/linalg.js';
import { Rng } from '../../src/rng.js';
import { linearNet } from '../../src/models/linear.js';
import { factorInvRoot, shampoo, shampooTransform, type ShampooState } from '../../src/optim/shampoo.js';
import { rootLeft, rootMatrix, rootRight } from '../../src/optim/factor.js';
import { sgd } from '../../src/optim/sgd.js';
import { feed, fromSvd, maxDiff, modelAProblem, run, withSpectrum } from './_helpers.js';

const rng = new Rng(20250201);

test('factorInvRoot on Q diag(λ) Qᵀ equals Q diag((λ + ε)^{-p}) Qᵀ', () => {
  const Q = haarOrthogonal(5, rng);
  const lam = [10, 3, 1, 0.1, 1e-3];
  const A = withSpectrum(Q, lam);
  for (const p of [0.25, 0.5]) {
    for (const eps of [0, 1e-3]) {
      const expected = withSpectrum(Q, lam.map((l) => (l + eps) ** -p));
      assert.ok(maxDiff(factorInvRoot(A, p, eps), expected) < 1e-10, `p=${p} eps=${eps}`);
    }
  }
  // p = 0 is exactly the identity
  assert.equal(maxDiff(factorInvRoot(A, 0, 0), diag([1, 1, 1, 1, 1])), 0);
  // ε = 0 on a singular factor: pseudo-inverse root (0 on the null space), no NaN or ∞
  const S = withSpectrum(Q, [4, 1, 0, 0, 0]);
  assert.ok(maxDiff(factorInvRoot(S, 0.5, 0), withSpectrum(Q, [0.5, 1, 0, 0, 0])) < 1e-10);
});

test("Shampoo's state after one step: L = g gᵀ, R = gᵀ g and the cached roots have the known spectra", () => {
  // g = Q diag(√λ) ⇒ L = g gᵀ = Q diag(λ) Qᵀ and R = gᵀ g = diag(λ).
  const Q = haarOrthogonal(4, rng), lam = [4, 1, 0.25, 0.0625], eps = 1e-6;
  const g = matmul(Q, diag(lam.map(Math.sqrt)));
  const { states } = feed(shampooTransform({ lr: 1, eps }), new Mat(4, 4), [g]);
  const s = states[0];
  assert.ok(maxDiff(s.L!, withSpectrum(Q, lam)) < 1e-14);
  assert.ok(maxDiff(rootMatrix(s.PL!), withSpectrum(Q, lam.map((l) => (l + eps) ** -0.25))) < 1e-10);
  assert.ok(maxDiff(rootMatrix(s.PR!), diag(lam.map((l) => (l + eps) ** -0.25))) < 1e-10);
});

test('first step is η U diag(s_i (s_i² + ε)^{-2p}) Vᵀ for g = U S Vᵀ; with ε = 0, η times the polar factor U Vᵀ', () => {
  const g = rng.normalMat(3, 5); // rank 3: R = gᵀg (5×5) is singular
  const { U, s, V } = svd(g);
  const polar = matmulNT(U, V);
  const lr = 0.3;
  // classic pair p = 1/4, ε = 0 (pseudo-inverse root on R's null space)
  const u0 = feed(shampooTransform({ lr, eps: 0 }), new Mat(3, 5), [g]).us[0];
  assert.ok(maxDiff(u0, scale(polar, lr)) < 1e-10);
  // ε > 0: each singular value s ↦ s (s² + ε)^{-1/2}, for p = 1/4 both-sided and p = 1/2 one-sided (either side)
  const eps = 0.5;
  const damped = scale(fromSvd(U, Array.from(s, (x) => x / Math.sqrt(x * x + eps)), V), lr);
  for (const sides of ['both', 'left', 'right', 'smaller'] as const) {
    const u = feed(shampooTransform({ lr, eps, sides }), new Mat(3, 5), [g]).us[0];
    assert.ok(maxDiff(u, damped) < 1e-10, sides);
  }
  // exponent −1/2 on both sides: s ↦ s/(s² + ε)
  const u5 = feed(shampooTransform({ lr, eps, exponent: 0.5 }), new Mat(3, 5), [g]).us[0];
  assert.ok(maxDiff(u5, scale(fromSvd(U, Array.from(s, (x) => x / (x * x + eps)), V), lr)) < 1e-10);
});

test('step 2 by definition: sums (β₂ = 1) or moving averages (β₂ < 1) of g gᵀ and gᵀ g, then the roots', () => {
  const g1 = rng.normalMat(3, 4), g2 = rng.normalMat(3, 4), eps = 1e-3, lr = 0.1;
  const cases: [number, Mat, Mat][] = [
    [1, add(matmulNT(g1, g1), matmulNT(g2, g2)), add(matmulTN(g1, g1), matmulTN(g2, g2))],
    [0.9, add(scale(matmulNT(g1, g1), 0.9 * 0.1), scale(matmulNT(g2, g2), 0.1)), add(scale(matmulTN(g1, g1), 0.9 * 0.1), scale(matmulTN(g2, g2), 0.1))],
  ];
  for (const [beta2, L, R] of cases) {
    const { us, states } = feed(shampooTransform({ lr, eps, beta2 }), new Mat(3, 4), [g1, g2]);
    assert.ok(maxDiff(states[1].L!, L) < 1e-14 && maxDiff(states[1].R!, R) < 1e-14, `factors, beta2=${beta2}`);
    const expected = scale(matmul(matmul(factorInvRoot(L, 0.25, eps), g2), factorInvRoot(R, 0.25, eps)), lr);
    assert.ok(maxDiff(us[1], expected) < 1e-10, `update, beta2=${beta2}`);
  }
  // The one-sided variants agree with the two-sided one on step 1 (previous test) but not on step 2.
  const both = feed(shampooTransform({ lr, eps }), new Mat(3, 4), [g1, g2]).us[1];
  const left = feed(shampooTransform({ lr, eps, sides: 'left' }), new Mat(3, 4), [g1, g2]).us[1];
  assert.ok(maxDiff(both, left) > 1e-3);
});

test('updateEvery = 3: roots computed at t = 1 and 4, reused at t = 2, 3; factors accumulate every step', () => {
  const gs = [0, 1, 2, 3].map(() => rng.normalMat(2, 3));
  const lr = 0.1, eps = 1e-2;
  const { us, states } = feed(shampooTransform({ lr, eps, updateEvery: 3 }), new Mat(2, 3), gs);
  const st = states as ShampooState[];
  assert.equal(st[1].PL, st[0].PL); // the very same cached roots
  assert.equal(st[2].PR, st[0].PR);
  for (const t of [1, 2]) {
    assert.ok(maxDiff(us[t], scale(rootRight(st[0].PR!, rootLeft(st[0].PL!, gs[t])), lr)) < 1e-14, `t=${t + 1}`);
  }
  const L4 = gs.reduce((acc, g) => add(acc, matmulNT(g, g)), new Mat(2, 2));
  assert.ok(maxDiff(st[3].L!, L4) < 1e-13);
  assert.ok(maxDiff(rootMatrix(st[3].PL!), factorInvRoot(L4, 0.25, eps)) < 1e-10);
  assert.ok(maxDiff(rootMatrix(st[3].PL!), rootMatrix(st[0].PL!)) > 1e-3); // it was refreshed
  // With updateEvery = 1 the step-2 update differs (fresh roots), so reuse is observable.
  const fresh = feed(shampooTransform({ lr, eps }), new Mat(2, 3), gs).us[1];
  assert.ok(maxDiff(fresh, us[1]) > 1e-3);
});

test('with ε = 0 and β₂ = 1 the update is invariant to rescaling all gradients (degree-0 homogeneous)', () => {
  const gs = [rng.normalMat(3, 3), rng.normalMat(3, 3)];
  const a = feed(shampooTransform({ eps: 0 }), new Mat(3, 3), gs).us[1];
  const b = feed(shampooTransform({ eps: 0 }), new Mat(3, 3), gs.map((g) => scale(g, 1e4))).us[1];
  assert.ok(maxDiff(a, b) < 1e-10);
});

test('preconditioning off (precondition: false, or exponent 0) is SGD on Model A, step for step', () => {
  const { params, batch } = modelAProblem(8);
  const ref = run(sgd({ lr: 0.05 }), linearNet, params, batch, 5);
  const off = run(shampoo({ lr: 0.05, precondition: false }), linearNet, params, batch, 5);
  const p0 = run(shampoo({ lr: 0.05, exponent: 0 }), linearNet, params, batch, 5);
  for (let t = 1; t <= 5; t++) {
    assert.equal(maxDiff(off.traj[t].G, ref.traj[t].G), 0);
    assert.equal(maxDiff(off.traj[t].F, ref.traj[t].F), 0);
    assert.ok(maxDiff(p0.traj[t].G, ref.traj[t].G) < 1e-15);
  }
  // and with preconditioning on it is not SGD
  const on = run(shampoo({ lr: 0.05 }), linearNet, params, batch, 1);
  assert.ok(maxDiff(on.traj[1].G, ref.traj[1].G) > 1e-3);
});

test('Shampoo on Model A: deterministic, loss decreases, options recorded with the side-dependent exponent', () => {
  const { params, batch } = modelAProblem(4);
  const a = run(shampoo({ lr: 0.05 }), linearNet, params, batch, 10), b = run(shampoo({ lr: 0.05 }), linearNet, params, batch, 10);
  assert.deepEqual(Array.from(a.traj[10].G.data), Array.from(b.traj[10].G.data));
  assert.ok(a.losses[9] < a.losses[0]);
  assert.equal(shampoo().options.exponent, 0.25);
  assert.equal(shampoo({ sides: 'smaller' }).options.exponent, 0.5);
  assert.equal(shampoo({ sides: 'left', exponent: 0.25 }).options.exponent, 0.25);
});

test('a gradient of the wrong shape is refused', () => {
  const t = shampooTransform(), W = fromArray([[1, 2]]);
  assert.throws(() => t.update(fromArray([[1], [2]]), t.init(W), W, 1), /shampoo: gradient is 2x1 but the weight is 1x2/);
});
