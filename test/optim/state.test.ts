/**
 * Checkpointing: an optimizer's state saved mid-run (`saveState`, JSON text) and restored
 * (`restoreState`) continues the run bit for bit, for every named optimizer (the model-aware ones
 * included) and for a chain. Exact comparisons (Object.is on every float64, so −0 and NaN count).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mat } from '../../src/mat.js';
import { linearNet } from '../../src/models/linear.js';
import { makeOptimizer, optimizerNames, saveState, restoreState, chain, scaleByAdam, scaleByLearningRate } from '../../src/optim/index.js';
import { modelAProblem, feed } from './_helpers.js';
import { Rng } from '../../src/rng.js';

const OPTIONS: Record<string, Record<string, unknown>> = {
  sgd: { lr: 0.05, momentum: 0.9 }, adam: { lr: 0.01 }, adamw: { lr: 0.01 }, kfac: { lr: 0.3, emaDecay: 0.5, updateEvery: 3 },
  'kfac-input': { lr: 0.3, updateEvery: 2 }, shampoo: { lr: 0.03, updateEvery: 3 }, 'shampoo-half': { lr: 0.03 },
  'shampoo-one-sided': { lr: 0.03 }, soap: { lr: 0.01, precondFrequency: 3 }, muon: { lr: 0.03 },
  'gauss-newton': { lr: 0.5, damping: 1e-3 }, amd: {}, dfw: { lr: 0.5 },
};

function sameBits(a: Mat, b: Mat): boolean {
  if (a.rows !== b.rows || a.cols !== b.cols) return false;
  for (let i = 0; i < a.data.length; i++) if (!Object.is(a.data[i], b.data[i])) return false;
  return true;
}

for (const name of optimizerNames()) {
  test(`${name}: state saved after 7 steps and restored continues bit-identically`, () => {
    const { params, batch } = modelAProblem(31);
    const opt = makeOptimizer(name, OPTIONS[name] ?? {});
    let p = params, s = opt.init(p);
    for (let i = 0; i < 7; i++) { const r = opt.step(p, batch, s, linearNet); p = r.params; s = r.state; }
    const text = saveState(s);
    assert.equal(typeof JSON.parse(text), 'object');
    // the original continues, and so does a fresh optimizer from the restored state
    let pa = p, sa = s, pb = p, sb = restoreState(text);
    const opt2 = makeOptimizer(name, OPTIONS[name] ?? {});
    for (let i = 0; i < 6; i++) {
      const ra = opt.step(pa, batch, sa, linearNet), rb = opt2.step(pb, batch, sb, linearNet);
      assert.ok(sameBits(ra.params.F, rb.params.F) && sameBits(ra.params.G, rb.params.G), `step ${8 + i}`);
      assert.ok(Object.is(ra.loss, rb.loss));
      pa = ra.params; sa = ra.state; pb = rb.params; sb = rb.state;
    }
    assert.equal(saveState(sb), saveState(sa)); // the continued states are the same too
  });
}

test('a chain’s state round-trips; −0, NaN, ±∞ and Float64Array survive; unknown data is refused', () => {
  const rng = new Rng(3), W = rng.normalMat(3, 2), gs = Array.from({ length: 4 }, () => rng.normalMat(3, 2));
  const tx = chain(scaleByAdam(), scaleByLearningRate(0.1));
  const first = feed(tx, W, gs.slice(0, 2));
  const restored = restoreState<unknown[]>(saveState(first.states[1]));
  const a = tx.update(gs[2], first.states[1] as never, W, 3).u, b = tx.update(gs[2], restored as never, W, 3).u;
  assert.ok(sameBits(a, b));
  const odd = { x: -0, y: NaN, z: -Infinity, v: Float64Array.of(-0, 1e-310, NaN), m: new Mat(1, 2, Float64Array.of(-0, Infinity)) };
  const back = restoreState<typeof odd>(saveState(odd));
  assert.ok(Object.is(back.x, -0) && Number.isNaN(back.y) && back.z === -Infinity);
  assert.ok(Object.is(back.v[0], -0) && back.v[1] === 1e-310 && Number.isNaN(back.v[2]));
  assert.ok(sameBits(back.m, odd.m));
  assert.throws(() => saveState({ f: () => 1 }), /cannot save \[object Function\] at state\.f/);
  assert.throws(() => restoreState('{"format":"other"}'), /not an optimizer state/);
});
