/**
 * SGD. The hand traces use small integers and dyadic step sizes (η = 0.5, μ = 0.5), so every quantity
 * is exactly representable and the comparisons are exact (tolerance 0).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromArray, axpy } from '../../src/mat.js';
import { linearNet } from '../../src/models/linear.js';
import { sgd, sgdTransform } from '../../src/optim/sgd.js';
import { feed, maxDiff, modelAProblem, run } from './_helpers.js';

const W = fromArray([[1, 2], [3, 4]]);
const g1 = fromArray([[1, -2], [4, 0]]), g2 = fromArray([[2, 2], [-2, 6]]), g3 = fromArray([[0, 1], [1, 0]]);

test('plain SGD: u = η g', () => {
  const { us } = feed(sgdTransform({ lr: 0.5 }), W, [g1, g2]);
  assert.deepEqual(us[0].toArray(), [[0.5, -1], [2, 0]]);
  assert.deepEqual(us[1].toArray(), [[1, 1], [-1, 3]]);
});

test('heavy ball: b1 = g1, b2 = μ g1 + g2, b3 = μ² g1 + μ g2 + g3; u = η b', () => {
  const { us } = feed(sgdTransform({ lr: 0.5, momentum: 0.5 }), W, [g1, g2, g3]);
  // b2 = 0.5·[[1,-2],[4,0]] + [[2,2],[-2,6]] = [[2.5, 1], [0, 6]]
  assert.deepEqual(us[1].toArray(), [[1.25, 0.5], [0, 3]]);
  // b3 = 0.5·b2 + g3 = [[1.25, 1.5], [1, 3]]
  assert.deepEqual(us[2].toArray(), [[0.625, 0.75], [0.5, 1.5]]);
});

test('Nesterov: u = η (g_t + μ b_t)', () => {
  const { us } = feed(sgdTransform({ lr: 0.5, momentum: 0.5, nesterov: true }), W, [g1, g2]);
  // t=1: b1 = g1, d = g1 + 0.5 g1 = 1.5 g1
  assert.deepEqual(us[0].toArray(), [[0.75, -1.5], [3, 0]]);
  // t=2: b2 = [[2.5,1],[0,6]], d = g2 + 0.5 b2 = [[3.25, 2.5], [-2, 9]]
  assert.deepEqual(us[1].toArray(), [[1.625, 1.25], [-1, 4.5]]);
});

test('coupled L2: u = η (g + λ W)', () => {
  const { us } = feed(sgdTransform({ lr: 0.5, weightDecay: 0.25 }), W, [g1]);
  // g + 0.25·W = [[1.25, -1.5], [4.75, 1]]
  assert.deepEqual(us[0].toArray(), [[0.625, -0.75], [2.375, 0.5]]);
});

test('momentum 0 (with or without Nesterov) equals plain gradient descent on Model A, step for step', () => {
  const { params, batch } = modelAProblem(5);
  const a = run(sgd({ lr: 0.05 }), linearNet, params, batch, 6);
  const b = run(sgd({ lr: 0.05, momentum: 0, nesterov: true }), linearNet, params, batch, 6);
  // hand-rolled GD with simultaneous gradients
  let p = params;
  for (let i = 0; i < 6; i++) {
    const g = linearNet.grads(p, batch);
    p = { F: axpy(-0.05, g.F, p.F), G: axpy(-0.05, g.G, p.G) };
    assert.equal(maxDiff(a.traj[i + 1].F, p.F), 0);
    assert.equal(maxDiff(a.traj[i + 1].G, p.G), 0);
    assert.equal(maxDiff(b.traj[i + 1].G, p.G), 0);
  }
  assert.ok(a.losses[5] < a.losses[0], 'GD decreases the loss on this problem');
});

test('SGD is deterministic and does not share state between runs', () => {
  const { params, batch } = modelAProblem(9);
  const opt = sgd({ lr: 0.05, momentum: 0.9 });
  const a = run(opt, linearNet, params, batch, 5), b = run(opt, linearNet, params, batch, 5);
  assert.deepEqual(Array.from(a.traj[5].G.data), Array.from(b.traj[5].G.data));
  const c = run(opt, linearNet, modelAProblem(10).params, modelAProblem(10).batch, 5);
  assert.notDeepEqual(Array.from(a.traj[5].G.data), Array.from(c.traj[5].G.data));
});

test('a gradient of the wrong shape is refused', () => {
  const t = sgdTransform();
  assert.throws(() => t.update(fromArray([[1, 2, 3]]), t.init(W), W, 1), /sgd: gradient is 1x3 but the weight is 2x2/);
});
