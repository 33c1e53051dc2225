import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/rng.js';
import { train } from '../src/train.js';
import { makeOptimizer, optimizerNames } from '../src/optim/index.js';
import { makeLinearProblem, runLinear, DEFAULT_SETUP } from '../src/experiments/linear-common.js';
import { sampleLinear } from '../src/data/teachers.js';
import { linearNet } from '../src/models/linear.js';
import { makeCovariance } from '../src/data/covariance.js';
import { makeLinearTeacher } from '../src/data/teachers.js';

test('same seed, same run: every optimizer of the family reproduces its trajectory bit for bit', () => {
  const problem = makeLinearProblem({ ...DEFAULT_SETUP, d: 8, k: 2, dy: 3, n: 32, kappaSigma: 10 }, new Rng(1));
  for (const name of optimizerNames()) {
    const options: Record<string, number> = name === 'gauss-newton' ? { lr: 0.3, damping: 1e-3 } : { lr: name.startsWith('adam') || name === 'soap' ? 0.01 : 0.1 };
    const a = runLinear(problem, { optimizer: name, options, steps: 6, transfer: false }, new Rng(2));
    const b = runLinear(problem, { optimizer: name, options, steps: 6, transfer: false }, new Rng(2));
    assert.deepEqual(a.dist, b.dist, name);
    assert.deepEqual(a.loss, b.loss, name);
    const c = runLinear(problem, { optimizer: name, options, steps: 6, transfer: false }, new Rng(3));
    assert.notDeepEqual(a.loss, c.loss, `${name}: another seed draws other batches`);
  }
});

test('a diverging run is reported as diverged, with the step, and stops', () => {
  const problem = makeLinearProblem({ ...DEFAULT_SETUP, d: 8, k: 2, dy: 3, n: 32, kappaSigma: 10 }, new Rng(1));
  const r = runLinear(problem, { optimizer: 'sgd', options: { lr: 50 }, steps: 200, transfer: false }, new Rng(2));
  assert.equal(r.diverged, true);
  assert.ok(r.divergedAt !== null && r.divergedAt < 200);
  assert.equal(r.itersToTarget, null);
  const ok = runLinear(problem, { optimizer: 'kfac', options: { lr: 1 }, steps: 5, transfer: false, targetDist: 1e-6 }, new Rng(2));
  assert.equal(ok.diverged, false);
  assert.equal(ok.itersToTarget, 1); // A2: one step with η = 1 on noiseless data
});

test('bad input is refused with the parameter named and the allowed values', () => {
  assert.throws(() => makeOptimizer('lbfgs'), /optimizer must be one of sgd, adam, .*; got 'lbfgs'/);
  assert.throws(() => makeOptimizer('kfac', { learningRate: 1 }), /unknown option 'learningRate'/);
  assert.throws(() => makeOptimizer('sgd', { lr: Number.NaN }), /lr/);
  assert.throws(() => makeCovariance({ family: 'geometric', d: 10, kappa: 0.5 }), /kappa/);
  const cov = makeCovariance({ family: 'geometric', d: 4, kappa: 10 });
  assert.throws(() => makeLinearTeacher({ cov, k: 5, dy: 6 }, new Rng(1)), /k/);
  const t = makeLinearTeacher({ cov, k: 2, dy: 3 }, new Rng(1));
  assert.throws(() => sampleLinear(t, 0, new Rng(1)), /n/);
  assert.throws(() => train({ optimizer: makeOptimizer('sgd'), init: { F: t.heads[0], G: t.G }, sample: (r) => sampleLinear(t, 4, r), steps: -1, seed: 1 }), /steps must be an integer >= 0/);
});

test('a run whose factors overflow mid-step is reported as diverged, not as an error', () => {
  // G of size 1e160: Σ̂_z = G₊ Σ̂ G₊ᵀ overflows to ∞ inside KFAC's step, where the Cholesky factorisation meets it
  const problem = makeLinearProblem({ ...DEFAULT_SETUP, d: 8, k: 2, dy: 3, n: 32, kappaSigma: 100 }, new Rng(1));
  const init = { F: problem.init.F, G: problem.init.G.clone() };
  for (let i = 0; i < init.G.data.length; i++) init.G.data[i] *= 1e160;
  const r = train({ optimizer: makeOptimizer('kfac-input', { lr: 1 }), init, steps: 5, seed: 3, sample: (rng) => sampleLinear(problem.task.source, 32, rng) });
  assert.equal(r.diverged, true);
  assert.equal(r.divergedAt, 1);
  // a singular factor on finite data is still an error: it is a setting to fix, not a divergence
  const tiny = { F: problem.init.F, G: problem.init.G };
  assert.throws(() => train({ optimizer: makeOptimizer('kfac'), init: tiny, steps: 1, seed: 3, sample: (rng) => sampleLinear(problem.task.source, 4, rng) }), /not positive definite/);
});

test('the KFAC-input run that once crashed with a lost damping is reported as diverged', async () => {
  // a cell of the A6 sweep: the F ↔ G gauge lets G grow huge while F shrinks, until Σ̂_z + λI loses λ to
  // rounding and its Cholesky factorisation fails; the run must come back as diverged, not as an error
  const exp = (await import('../src/experiments/linear-iterations.js')).default;
  const params = { d: 20, damping: 100, dy: 4, k: 2, kappaF: 1, kappaSigma: 100, lr: 101, maxSteps: 4000, method: 'kfac-input', n: 64, noise: 0, rotated: true, targetDist: 0.05 };
  const seed = 462821815510225;
  const r = await exp.run(params as never, new Rng(seed), { experiment: 'linear-iterations', replicate: 0, seed }) as { diverged: boolean; iters: number | null };
  assert.equal(r.diverged, true);
  assert.equal(r.iters, null);
});

test('evalLoss: false records NaN losses, computes none, and leaves the run and its metrics bit for bit the same', () => {
  const problem = makeLinearProblem({ ...DEFAULT_SETUP, d: 12, k: 2, dy: 3, n: 32, noise: 0.05 }, new Rng(3).fork('problem'));
  for (const [optimizer, lr, targetDist] of [['sgd', 0.3, 0.2], ['kfac', 0.5, undefined], ['sgd', 80, undefined]] as const) {
    const spec = { optimizer, options: { lr }, steps: 25, evalEvery: 2, targetDist, transfer: false };
    const a = runLinear(problem, spec, new Rng(4)), b = runLinear(problem, { ...spec, loss: false }, new Rng(4));
    assert.deepEqual(b.loss, []);
    assert.ok(a.loss.length > 0 && a.loss.every((v) => typeof v === 'number'));
    assert.deepEqual({ ...b, loss: a.loss }, a, `${optimizer} lr ${lr}`);
  }
  // held-out batches that are not drawn still have their sizes checked
  assert.throws(() => runLinear(problem, { optimizer: 'sgd', steps: 2, transfer: false, loss: false, nEval: 0 }, new Rng(4)), /runLinear: nEval must be an integer/);
  assert.throws(() => runLinear(problem, { optimizer: 'sgd', steps: 2, transfer: false, nTransferFit: 1.5 }, new Rng(4)), /runLinear: nTransferFit must be an integer/);
  // train itself: the model's loss is never called on the evaluations, records carry NaN
  let calls = 0;
  const counting = { ...linearNet, loss(p: Parameters<typeof linearNet.loss>[0], bb: Parameters<typeof linearNet.loss>[1]) { calls++; return linearNet.loss(p, bb); } };
  const t = problem.task.source, evalBatch = sampleLinear(t, 50, new Rng(5));
  const cfg = { optimizer: makeOptimizer('sgd', { lr: 0.3 }), init: problem.init, model: counting, sample: (r: Rng) => sampleLinear(t, 32, r), steps: 9, seed: 6, evalEvery: 3, evalBatch };
  const on = train(cfg), nOn = calls; calls = 0;
  const off = train({ ...cfg, evalLoss: false });
  assert.equal(nOn, 4); assert.equal(calls, 0); // evaluations at 0, 3, 6, 9
  assert.deepEqual(off.history.map((r) => r.step), on.history.map((r) => r.step));
  assert.ok(off.history.every((r) => Number.isNaN(r.loss)));
  assert.deepEqual(off.params, on.params);
  assert.throws(() => train({ ...cfg, evalLoss: 'no' as never }), /train: evalLoss must be true or false/);
});
