import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/rng.js';
import { Mat, gram } from '../../src/mat.js';
import { cholSolve } from '../../src/linalg.js';
import { linearNet } from '../../src/models/linear.js';
import { gaussNewton, gaussNewtonDirection } from '../../src/optim/gaussNewton.js';
import { batch, initParams, maxDiff, problem } from '../fixtures.js';

/** Dense Jacobian of the n·d_y outputs of F G x w.r.t. θ = [vec(F); vec(G)] (row-major vec). */
function denseJ(F: Mat, G: Mat, X: Mat): Mat {
  const dy = F.rows, k = F.cols, d = G.cols, n = X.rows, P = dy * k + k * d;
  const J = new Mat(n * dy, P);
  for (let s = 0; s < n; s++) {
    const z = new Float64Array(k);
    for (let b = 0; b < k; b++) for (let c = 0; c < d; c++) z[b] += G.get(b, c) * X.get(s, c);
    for (let a = 0; a < dy; a++) {
      const row = s * dy + a;
      for (let b = 0; b < k; b++) J.set(row, a * k + b, z[b]); // ∂f_a/∂F_ab = z_b
      for (let b = 0; b < k; b++) for (let c = 0; c < d; c++) J.set(row, dy * k + b * d + c, F.get(a, b) * X.get(s, c));
    }
  }
  return J;
}

test('the structured Gauss–Newton solve equals (JᵀJ/n + λI)⁻¹∇ computed from the dense Jacobian', () => {
  for (const [kappa, lambda] of [[1, 1e-2], [100, 1e-3], [1000, 1e-1]] as const) {
    const rng = new Rng(kappa + 1);
    const pr = problem(rng, 7, 2, 3, kappa);
    const b = batch(rng, pr, 25, 0.2);
    const p = initParams(rng, pr);
    const g = linearNet.grads(p, b);
    const dir = gaussNewtonDirection(p, gram(b.X, 1 / 25), g.F, g.G, lambda);
    const J = denseJ(p.F, p.G, b.X);
    const H = gram(J, 1 / 25);
    for (let i = 0; i < H.rows; i++) H.data[i * H.cols + i] += lambda;
    const grad = new Mat(H.rows, 1, Float64Array.from([...g.F.data, ...g.G.data]));
    // the dense gradient J ᵀ r / n must agree with the model's gradient (checks the Jacobian)
    const delta = cholSolve(H, grad).data;
    const dF = new Mat(3, 2, delta.slice(0, 6)), dG = new Mat(2, 7, delta.slice(6));
    // condition number of H ≤ ||H||/λ ≈ 1e3–1e5 here: 1e-8 relative to the direction's size
    const scaleDir = Math.max(...Array.from(delta, Math.abs));
    assert.ok(maxDiff(dir.F, dF) < 1e-8 * scaleDir, `κ=${kappa}: F ${maxDiff(dir.F, dF)}`);
    assert.ok(maxDiff(dir.G, dG) < 1e-8 * scaleDir, `κ=${kappa}: G ${maxDiff(dir.G, dG)}`);
  }
});

test('the dense Jacobian reproduces the model gradient: ∇ = −Jᵀ r / n', () => {
  const rng = new Rng(2);
  const pr = problem(rng, 5, 2, 3, 10);
  const b = batch(rng, pr, 9, 0.1);
  const p = initParams(rng, pr);
  const J = denseJ(p.F, p.G, b.X);
  const pred = linearNet.predict(p, b.X);
  const g = linearNet.grads(p, b);
  const flat = [...g.F.data, ...g.G.data];
  for (let j = 0; j < J.cols; j++) {
    let s = 0;
    for (let r = 0; r < J.rows; r++) s -= J.get(r, j) * (b.Y.data[r] - pred.data[r]);
    assert.ok(Math.abs(s / 9 - flat[j]) < 1e-12);
  }
});

test('gauss-newton refuses zero damping (JᵀJ is singular along the F A⁻¹, A G directions)', () => {
  assert.throws(() => gaussNewton({ damping: 0 }), /gauss-newton: option 'damping' must be a finite number in \(0, ∞\)/);
  const rng = new Rng(4);
  const pr = problem(rng, 8, 2, 3, 10);
  const b = batch(rng, pr, 40);
  const p = initParams(rng, pr);
  // (JᵀJ/n + λI)⁻¹ is positive definite, so the direction is a descent direction and a short step descends
  const g = linearNet.grads(p, b);
  const dir = gaussNewtonDirection(p, gram(b.X, 1 / 40), g.F, g.G, 1e-6);
  let inner = 0;
  for (let i = 0; i < g.F.data.length; i++) inner += g.F.data[i] * dir.F.data[i];
  for (let i = 0; i < g.G.data.length; i++) inner += g.G.data[i] * dir.G.data[i];
  assert.ok(inner > 0);
  const opt = gaussNewton({ lr: 0.05, damping: 1e-6 });
  const out = opt.step(p, b, opt.init(p), linearNet);
  assert.ok(linearNet.loss(out.params, b) < linearNet.loss(p, b));
});
