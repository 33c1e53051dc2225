import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/rng.js';
import { axpy, eye, gram, slice } from '../../src/mat.js';
import { mm64, orthonormalRows, solveRightSPD } from '../../src/linalg.js';
import { linearNet } from '../../src/models/linear.js';
import { amd, dfw } from '../../src/optim/amd.js';
import { fitHead } from '../../src/metrics.js';
import { batchNormNet } from '../../src/models/batchnorm.js';
import { batch, initParams, maxDiff, problem } from '../fixtures.js';

test('the least-squares head zeroes the head gradient', () => {
  const rng = new Rng(1);
  const pr = problem(rng, 12, 3, 4, 30);
  const b = batch(rng, pr, 50, 0.5);
  const p = initParams(rng, pr);
  const F = fitHead(p.G, b);
  const g = linearNet.grads({ F, G: p.G }, b);
  assert.ok(Math.max(...Array.from(g.F.data, Math.abs)) < 1e-12);
});

test('AMD: head by least squares, gradient step on G, rows re-orthonormalised', () => {
  const rng = new Rng(2);
  const pr = problem(rng, 10, 2, 3, 10);
  const b = batch(rng, pr, 40, 0.1);
  const p = initParams(rng, pr);
  const opt = amd({ lr: 0.3 });
  const out = opt.step(p, b, opt.init(p), linearNet);
  const F = fitHead(p.G, b);
  const expectG = orthonormalRows(axpy(-0.3, linearNet.grads({ F, G: p.G }, b).G, p.G));
  assert.ok(maxDiff(out.params.G, expectG) < 1e-13);
  assert.ok(maxDiff(mm64(out.params.G, out.params.G, false, true), eye(2)) < 1e-13);
  assert.ok(maxDiff(out.params.F, F) < 1e-13);
});

test('DFW: head on the first half, whitened gradient from the second half', () => {
  const rng = new Rng(3);
  const pr = problem(rng, 8, 2, 3, 100);
  const b = batch(rng, pr, 60, 0.1);
  const p = initParams(rng, pr);
  const opt = dfw({ lr: 0.5 });
  const out = opt.step(p, b, opt.init(p), linearNet);
  const b1 = { X: slice(b.X, 0, 30), Y: slice(b.Y, 0, 30) }, b2 = { X: slice(b.X, 30, 60), Y: slice(b.Y, 30, 60) };
  const F = fitHead(p.G, b1);
  const g = linearNet.grads({ F, G: p.G }, b2).G;
  const expectG = orthonormalRows(axpy(-0.5, solveRightSPD(g, gram(b2.X, 1 / 30)), p.G));
  assert.ok(maxDiff(out.params.G, expectG) < 1e-12);
});

test('AMD and DFW refuse the batch-norm model and a batch too small to split', () => {
  const rng = new Rng(4);
  const pr = problem(rng, 6, 2, 2, 10);
  const p = initParams(rng, pr);
  assert.throws(() => amd().step(p, batch(rng, pr, 10), amd().init(p), batchNormNet), /amd: .*not batch-norm/);
  assert.throws(() => dfw().step(p, batch(rng, pr, 1), dfw().init(p), linearNet), /dfw: needs a batch of at least 2/);
});
