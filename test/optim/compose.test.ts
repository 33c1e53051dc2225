/**
 * A new optimizer composed from existing pieces in a few lines — Shampoo with Adam grafting (the
 * direction of Shampoo, the per-matrix norm of Adam's step, as Distributed Shampoo's grafting) — trained
 * on Model A and taking Model B's large first step, with no change to the library.
 *
 * Model A: measured, the loss falls from O(1) to ≤ 1e-16 in 200 steps at η = 0.1 on the five
 * problems below; the test asks for a 1e-10 relative reduction (deterministic seeds, so not a
 * statistical claim). Model B: on the first step L = g gᵀ, R = gᵀg, so with damping ε the update is
 * U diag(s (s² + ε)^{-1/2}) Vᵀ for g = U S Vᵀ — a monotone map of the singular values that keeps their
 * vectors — hence the spike of the grafted step points where the plain step's does (to the eigensolver's
 * accuracy, 1e-15/gap with measured gaps σ₂/σ₁ ≤ 0.1: 1e-8 asked), and its alignment with β* is ≥ 0.6
 * (measured 0.65–0.77), far above a random direction's ≈ √(2/(πd)) ≈ 0.15 at d = 30.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frob, scale } from '../../src/mat.js';
import { Rng } from '../../src/rng.js';
import { linearNet } from '../../src/models/linear.js';
import { geometricCovariance } from '../../src/data/covariance.js';
import { makeSingleIndexTeacher, sampleSingleIndex } from '../../src/data/teachers.js';
import { initSingleIndexNet, oneStep, topRightSingularVector } from '../../src/models/singleIndex.js';
import { chain, layerwise, makeTransform, scaleByAdam, scaleByShampoo, scaleByLearningRate, type MatrixTransform } from '../../src/optim/index.js';
import { modelAProblem } from './_helpers.js';

// ---- the new optimizer: 11 lines ----
function graft<SA, SB>(magnitude: MatrixTransform<SA>, direction: MatrixTransform<SB>): MatrixTransform<[SA, SB]> {
  return {
    init: (w) => [magnitude.init(w), direction.init(w)],
    update(g, [sa, sb], w, t) {
      const m = magnitude.update(g, sa, w, t), d = direction.update(g, sb, w, t), nd = frob(d.u);
      return { u: nd > 0 ? scale(d.u, frob(m.u) / nd) : d.u, state: [m.state, d.state] };
    },
  };
}
const shampooAdamGraft = (lr: number, damping = 1e-6) =>
  chain(graft(scaleByAdam(), scaleByShampoo({ rankDeficiency: { kind: 'damping', damping } })), scaleByLearningRate(lr));
// ----

test('Shampoo with Adam grafting trains Model A: loss reduced by ≥ 1e10 in 200 steps on five problems', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const { params, batch } = modelAProblem(seed);
    const opt = layerwise('shampoo+adam-graft', (lr) => shampooAdamGraft(lr), { lr: 0.1 });
    let p = params, s = opt.init(p);
    const l0 = linearNet.loss(p, batch);
    for (let i = 0; i < 200; i++) { const r = opt.step(p, batch, s, linearNet); p = r.params; s = r.state; }
    const l1 = linearNet.loss(p, batch);
    assert.ok(l1 < 1e-10 * l0, `seed ${seed}: ${l0} → ${l1}`);
  }
});

test('Shampoo with Adam grafting takes Model B’s large first step: its spike is the plain step’s, aligned with β*', () => {
  for (const seed of [64, 65, 66]) {
    const rng = new Rng(seed), d = 30;
    const cov = geometricCovariance(d, 50, { rotation: 'haar', rng });
    const t = makeSingleIndexTeacher({ cov, link: 'relu', noise: 0.1 }, rng);
    const b = sampleSingleIndex(t, 3000, rng);
    const net = initSingleIndexNet(d, 200, rng, { activation: 'tanh' });
    const cos = (v: ArrayLike<number>) => {
      let a = 0, n1 = 0, n2 = 0;
      for (let i = 0; i < d; i++) { a += v[i] * t.beta[i]; n1 += v[i] ** 2; n2 += t.beta[i] ** 2; }
      return Math.abs(a) / Math.sqrt(n1 * n2);
    };
    const grafted = oneStep(net, b.X, b.y, shampooAdamGraft(1, 1e-4));
    assert.equal(grafted.net.a, net.a); // routed by name: a stays fixed
    const v = topRightSingularVector(grafted.update), vPlain = topRightSingularVector(oneStep(net, b.X, b.y, 'plain', { eta: 1 }).update);
    assert.ok(v.s2 / v.s1 < 0.2, `seed ${seed}: gap ${v.s2 / v.s1}`);
    assert.ok(Math.abs(cos(v.v) - cos(vPlain.v)) < 1e-8, `seed ${seed}: ${cos(v.v)} vs ${cos(vPlain.v)}`);
    assert.ok(cos(v.v) >= 0.6, `seed ${seed}: alignment ${cos(v.v)}`);
  }
});

test('Model B: every per-matrix optimizer of the family takes the step; SGD’s is the plain step, bit for bit', () => {
  const rng = new Rng(9), d = 8;
  const t = makeSingleIndexTeacher({ cov: geometricCovariance(d, 10, { rotation: 'haar', rng }), link: 'relu', noise: 0 }, rng);
  const b = sampleSingleIndex(t, 100, rng), net = initSingleIndexNet(d, 12, rng);
  assert.deepEqual(Array.from(oneStep(net, b.X, b.y, makeTransform('sgd', { lr: 3 })).net.W.data), Array.from(oneStep(net, b.X, b.y, 'plain', { eta: 3 }).net.W.data));
  for (const name of ['adam', 'adamw', 'shampoo', 'shampoo-half', 'shampoo-one-sided', 'soap', 'muon']) {
    const r = oneStep(net, b.X, b.y, makeTransform(name, { lr: 0.1 }));
    assert.ok(r.net.W.data.every(Number.isFinite) && r.net.a === net.a, name);
  }
  assert.throws(() => makeTransform('kfac'), /model-aware/);
});
