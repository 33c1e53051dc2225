/**
 * Adam and AdamW. Tolerances: the first step is compared at 1e-16 absolute (updates ≤ 0.1, a few
 * float64 operations). From step 2 on, the bias correction 1 − β₂ᵗ = 1 − 0.999² cancels about
 * log10(1/0.002) ≈ 2.7 digits, so float64 results carry relative error up to ~1e-13: the step-2 trace
 * is compared at 1e-14 absolute (updates ≤ 0.1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mat, fromArray, scale } from '../../src/mat.js';
import { linearNet, type TwoLayerModel } from '../../src/models/linear.js';
import { adam, adamw, adamTransform, adamwTransform } from '../../src/optim/adam.js';
import { feed, maxDiff, modelAProblem, run } from './_helpers.js';

const W = fromArray([[1, -1], [2, 0.5]]);
const g1 = fromArray([[1, -2], [0.5, 4]]);
const g2 = fromArray([[-1, 1], [2, 0.25]]);

test('Adam step 1 is η g/(|g| + ε) = η sign(g) up to ε', () => {
  const { us } = feed(adamTransform({ lr: 0.1 }), W, [g1]);
  const expected = [[0.1 / (1 + 1e-8), -0.1 * 2 / (2 + 1e-8)], [0.1 * 0.5 / (0.5 + 1e-8), 0.1 * 4 / (4 + 1e-8)]];
  assert.ok(maxDiff(us[0], fromArray(expected)) < 1e-15);
  // |u − η sign(g)| = η ε/(|g| + ε) ≤ 0.1·1e-8/0.5 = 2e-9, and it is not 0 (ε does enter)
  const dev = maxDiff(us[0], fromArray([[0.1, -0.1], [0.1, 0.1]]));
  assert.ok(dev <= 2e-9 && dev > 1.9e-9, `deviation ${dev}`);
  // With ε = 0 it is η sign(g) to round-off.
  assert.ok(maxDiff(feed(adamTransform({ lr: 0.1, eps: 0 }), W, [g1]).us[0], fromArray([[0.1, -0.1], [0.1, 0.1]])) < 1e-16);
});

test('Adam step 2 by hand (β1 = 0.9, β2 = 0.999, ε = 1e-8, η = 0.1)', () => {
  // m2 = 0.09 g1 + 0.1 g2, v2 = 0.000999 g1² + 0.001 g2², m̂ = m2/0.19, v̂ = v2/0.001999, u = η m̂/(√v̂ + ε).
  // entry (0,0): m = 0.09 − 0.1 = −0.01, v = 0.000999 + 0.001 = 0.001999 → v̂ = 1, u = 0.1·(−0.01/0.19)/(1 + 1e-8)
  // entry (0,1): m = −0.18 + 0.1 = −0.08, v = 0.003996 + 0.001 = 0.004996
  // entry (1,0): m = 0.045 + 0.2 = 0.245, v = 0.00024975 + 0.004 = 0.00424975
  // entry (1,1): m = 0.36 + 0.025 = 0.385, v = 0.015984 + 0.0000625 = 0.0160465
  // (values to 15 digits from 30-digit decimal arithmetic)
  const expected = fromArray([
    [-0.00526315784210526, -0.0266337037975686],
    [0.0884376484510562, 0.0715193179062730],
  ]);
  const { us } = feed(adamTransform({ lr: 0.1 }), W, [g1, g2]);
  assert.ok(maxDiff(us[1], expected) < 1e-14, `diff ${maxDiff(us[1], expected)}`);
  // entry (0,0) has v̂ = 1 exactly in exact arithmetic: u = η (m2/0.19)/(1 + ε)
  assert.ok(Math.abs(us[1].get(0, 0) - (0.1 * (-0.01 / 0.19)) / (1 + 1e-8)) < 1e-14);
});

test('Adam with ε = 0 is invariant to rescaling the gradients (g → c g, c > 0)', () => {
  const a = feed(adamTransform({ lr: 0.1, eps: 0 }), W, [g1, g2]).us[1];
  const b = feed(adamTransform({ lr: 0.1, eps: 0 }), W, [scale(g1, 1e3), scale(g2, 1e3)]).us[1];
  assert.ok(maxDiff(a, b) < 1e-16);
});

test('AdamW = Adam step + η λ W (decoupled: the moments never see W)', () => {
  const ad = feed(adamTransform({ lr: 0.1 }), W, [g1, g2]).us;
  const aw = feed(adamwTransform({ lr: 0.1, weightDecay: 0.25 }), W, [g1, g2]).us;
  for (let t = 0; t < 2; t++) {
    const expected = new Mat(2, 2, ad[t].data.map((x, i) => x + 0.1 * 0.25 * W.data[i]));
    assert.ok(maxDiff(aw[t], expected) < 1e-16);
  }
});

test('zero gradient: AdamW shrinks W geometrically, W_t = (1 − ηλ)^t W; coupled-L2 Adam moves by η sign(W) instead', () => {
  const zeroModel: TwoLayerModel = {
    ...linearNet, name: 'zero',
    grads: (p) => ({ loss: 0, F: new Mat(p.F.rows, p.F.cols), G: new Mat(p.G.rows, p.G.cols) }),
  };
  const { params, batch } = modelAProblem(2);
  const r = run(adamw({ lr: 0.1, weightDecay: 0.5 }), zeroModel, params, batch, 3);
  assert.ok(maxDiff(r.traj[3].G, scale(params.G, 0.95 ** 3)) < 1e-15);
  // Coupled L2: g̃ = λW, so step 1 is η λW/(|λW| + ε): η sign(W) up to η ε/(λ|W|) per entry.
  const c = run(adam({ lr: 0.1, weightDecay: 0.5 }), zeroModel, params, batch, 1);
  params.G.data.forEach((x, i) => {
    const dev = Math.abs(c.traj[1].G.data[i] - (x - 0.1 * Math.sign(x)));
    assert.ok(dev <= (0.1 * 1e-8) / (0.5 * Math.abs(x)) + 1e-16, `entry ${i}: ${dev}`);
  });
});

test('adam and adamw record their options in force', () => {
  assert.deepEqual({ ...adam().options }, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 });
  assert.deepEqual({ ...adamw({ lrG: 0.5 }).options }, { lr: 1e-3, lrG: 0.5, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
});

test('Adam on Model A: same seed, same numbers; loss decreases', () => {
  const { params, batch } = modelAProblem(21);
  const a = run(adam({ lr: 0.02 }), linearNet, params, batch, 8), b = run(adam({ lr: 0.02 }), linearNet, params, batch, 8);
  assert.deepEqual(Array.from(a.traj[8].F.data), Array.from(b.traj[8].F.data));
  assert.deepEqual(a.losses, b.losses);
  assert.ok(a.losses[7] < a.losses[0]);
});

test('a gradient that does not match the state is refused', () => {
  const t = adamTransform();
  const s = t.init(W);
  const W3 = new Mat(3, 2);
  assert.throws(() => t.update(new Mat(3, 2), s, W3, 1), /adam: state is for a 2x2 matrix, gradient is 3x2/);
});
