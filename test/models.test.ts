import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/rng.js';
import { Mat } from '../src/mat.js';
import { linearNet, type LinearParams, type TwoLayerModel } from '../src/models/linear.js';
import { batchNormNet } from '../src/models/batchnorm.js';
import { batch, initParams, problem } from './fixtures.js';

/** Central finite differences of the loss; error O(h²·L''') + O(ε/h) ≈ 1e-9 at h = 1e-5 in float64. */
function fdCheck(model: TwoLayerModel, p: LinearParams, b: { X: Mat; Y: Mat }) {
  const g = model.grads(p, b);
  const h = 1e-5;
  for (const key of ['F', 'G'] as const) {
    for (let i = 0; i < p[key].data.length; i++) {
      const plus = { F: p.F.clone(), G: p.G.clone() }, minus = { F: p.F.clone(), G: p.G.clone() };
      plus[key].data[i] += h; minus[key].data[i] -= h;
      const fd = (model.loss(plus, b) - model.loss(minus, b)) / (2 * h);
      assert.ok(Math.abs(fd - g[key].data[i]) < 1e-7 * Math.max(1, Math.abs(fd)), `${model.name} ${key}[${i}]: fd ${fd} vs ${g[key].data[i]}`);
    }
  }
  assert.ok(Math.abs(g.loss - model.loss(p, b)) < 1e-14 * Math.max(1, g.loss));
}

test('linear network gradients match finite differences', () => {
  const rng = new Rng(1);
  const pr = problem(rng, 6, 2, 3, 10);
  fdCheck(linearNet, initParams(rng, pr), batch(rng, pr, 15, 0.3));
});

test('batch-norm network gradients match finite differences', () => {
  const rng = new Rng(2);
  const pr = problem(rng, 6, 3, 2, 10);
  fdCheck(batchNormNet, initParams(rng, pr), batch(rng, pr, 20, 0.3));
});

test('batch-norm output is invariant to rescaling a row of G (it standardises each feature)', () => {
  const rng = new Rng(3);
  const pr = problem(rng, 5, 2, 2, 10);
  const p = initParams(rng, pr), b = batch(rng, pr, 30);
  const G2 = p.G.clone();
  for (let j = 0; j < 5; j++) G2.data[j] *= 7;
  const a = batchNormNet.predict(p, b.X), c = batchNormNet.predict({ F: p.F, G: G2 }, b.X);
  // ε = 1e-5 inside √(σ² + ε) breaks exact invariance by a relative ε/(2σ²) ≲ 1e-4 for these features
  for (let i = 0; i < a.data.length; i++) assert.ok(Math.abs(a.data[i] - c.data[i]) < 1e-4 * Math.max(1, Math.abs(a.data[i])));
  const G3 = p.G.clone();
  G3.data[0] += 1; // but it does depend on the direction of the row
  const e = batchNormNet.predict({ F: p.F, G: G3 }, b.X);
  assert.ok(Math.abs(e.data[0] - a.data[0]) > 1e-3);
});

test('shape mismatches are refused with the dimensions named', () => {
  const rng = new Rng(4);
  const pr = problem(rng, 6, 2, 3, 10);
  const p = initParams(rng, pr), b = batch(rng, pr, 5);
  assert.throws(() => linearNet.loss({ F: p.F, G: new Mat(2, 7) }, b), /X has 6 columns, G expects d = 7/);
  assert.throws(() => linearNet.loss({ F: new Mat(3, 3), G: p.G }, b), /F.cols must equal G.rows/);
});
