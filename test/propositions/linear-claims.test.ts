/**
 * The claims of the Model A notebooks, checked at reduced size (the notebooks check them at full size).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/rng.js';
import { DEFAULT_SETUP, makeLinearProblem, measureSgdContraction, runLinear } from '../../src/experiments/linear-common.js';

const setup = { ...DEFAULT_SETUP, d: 12, k: 2, dy: 4, n: 48 };

/** Best mean iterations to dist < 0.05 over step sizes, two seeds. */
function bestIters(method: string, kappaSigma: number, lrs: number[], maxSteps: number): number {
  let best = Infinity;
  for (const lr of lrs) {
    const its = [0, 1].map((s) => runLinear(makeLinearProblem({ ...setup, kappaSigma }, new Rng(10 + s)),
      { optimizer: method, options: { lr }, steps: maxSteps, targetDist: 0.05, transfer: false }, new Rng(20 + s)).itersToTarget);
    if (its.every((i) => i !== null)) best = Math.min(best, (its[0]! + its[1]!) / 2);
  }
  return best;
}

test('A2/A3 at reduced size: KFAC needs the same iterations at κ(Σ) = 1 and 1000, SGD at least ten times more', () => {
  const k1 = bestIters('kfac', 1, [1], 20), k1000 = bestIters('kfac', 1000, [1], 20);
  assert.ok(Math.abs(k1000 - k1) / k1 < 0.25, `KFAC ${k1} vs ${k1000}`);
  const s1 = bestIters('sgd', 1, [0.3, 0.5], 5000), s1000 = bestIters('sgd', 1000, [0.5, 1], 5000);
  assert.ok(s1000 / s1 >= 10, `SGD ${s1} → ${s1000}`);
});

test('A3 at reduced size: measured SGD contraction matches (K − 1)/(K + 1) within 5% in log-rate', () => {
  for (const [kappaSigma, kappaF] of [[100, 1], [10, 2]]) {
    const r = measureSgdContraction({ ...setup, kappaSigma, kappaF }, new Rng(kappaSigma));
    const rel = Math.abs(Math.log(r.measured) / Math.log(r.predicted) - 1);
    assert.ok(rel < 0.05, `κΣ=${kappaSigma} κF=${kappaF}: measured ${r.measured}, predicted ${r.predicted}`);
  }
});

test('Fig. 1 at reduced size: KFAC ends below SGD, SGD + batch-norm and Adam in distance and transfer loss', () => {
  const problem = makeLinearProblem({ ...setup, kappaSigma: 100, kappaF: 2, targetKappaSigma: 10 }, new Rng(5));
  const run = (optimizer: string, lr: number, batchNorm = false) => runLinear(problem, { optimizer, options: { lr }, steps: 80, evalEvery: 80, batchNorm }, new Rng(6));
  const k = run('kfac', 0.5);
  const last = (xs: number[]) => xs[xs.length - 1];
  for (const [name, r] of [['sgd', run('sgd', 0.3)], ['sgd+bn', run('sgd', 0.3, true)], ['adam', run('adam', 0.03)]] as const) {
    assert.ok(!r.diverged, name);
    assert.ok(last(k.dist) < last(r.dist), `${name}: dist ${last(k.dist)} vs ${last(r.dist)}`);
    assert.ok(last(k.transfer) < last(r.transfer), `${name}: transfer ${last(k.transfer)} vs ${last(r.transfer)}`);
  }
});
