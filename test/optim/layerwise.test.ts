/**
 * The layer-wise construction and option validation.
 * Tolerances: the comparisons here repeat the same float64 operations in the same order, so they are
 * exact (0), except where stated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mat, axpy } from '../../src/mat.js';
import { linearNet } from '../../src/models/linear.js';
import { layerwise, validateOptions, num, bool, oneOf } from '../../src/optim/layerwise.js';
import { sgd, sgdTransform } from '../../src/optim/sgd.js';
import { adam, adamw } from '../../src/optim/adam.js';
import { shampoo } from '../../src/optim/shampoo.js';
import { soap } from '../../src/optim/soap.js';
import { muon } from '../../src/optim/muon.js';
import type { MatrixTransform } from '../../src/optim/types.js';
import { maxDiff, modelAProblem } from './_helpers.js';

const SPECS = { lr: num(0.1, 0), beta: num(0.9, 0, 1, { maxOpen: true }), k: num(3, 1, Infinity, { integer: true }), flag: bool(false), mode: oneOf(['a', 'b'], 'a'), opt: num(undefined, 0) };

test('validateOptions applies defaults, leaves optional options absent, and freezes the result', () => {
  const o = validateOptions<Record<string, unknown>>('demo', { beta: 0.5, opt: undefined }, SPECS);
  assert.deepEqual({ ...o }, { lr: 0.1, beta: 0.5, k: 3, flag: false, mode: 'a' });
  assert.ok(Object.isFrozen(o));
  assert.ok(!('opt' in o));
});

test('validateOptions: unknown names and out-of-range values throw RangeError naming option and range', () => {
  const bad: [object, RegExp][] = [
    [{ foo: 1 }, /demo: unknown option 'foo'; known options: lr, beta/],
    [{ lr: -0.1 }, /demo: option 'lr' must be a finite number in \[0, ∞\), got -0.1/],
    [{ lr: NaN }, /option 'lr' .*got NaN/],
    [{ lr: Infinity }, /option 'lr' .*got Infinity/],
    [{ lr: '0.1' }, /option 'lr' .*got "0.1"/],
    [{ beta: 1 }, /option 'beta' must be a finite number in \[0, 1\), got 1/],
    [{ beta: -1e-9 }, /option 'beta' must be a finite number in \[0, 1\)/],
    [{ k: 2.5 }, /option 'k' must be an integer in \[1, ∞\), got 2.5/],
    [{ k: 0 }, /option 'k' must be an integer in \[1, ∞\), got 0/],
    [{ flag: 1 }, /option 'flag' must be true or false, got 1/],
    [{ mode: 'c' }, /option 'mode' must be one of 'a', 'b', got "c"/],
  ];
  for (const [given, re] of bad) assert.throws(() => validateOptions('demo', given, SPECS), (e: unknown) => e instanceof RangeError && re.test(e.message), JSON.stringify(given));
  // edge values inside the range pass
  assert.doesNotThrow(() => validateOptions('demo', { lr: 0, beta: 0, k: 1 }, SPECS));
});

test('every factory rejects unknown options and bad ranges with a RangeError naming itself', () => {
  const cases: [() => unknown, RegExp][] = [
    [() => sgd({ lr: -1 }), /sgd: option 'lr'/],
    [() => sgd({ momentum: 1 }), /sgd: option 'momentum' must be a finite number in \[0, 1\)/],
    [() => sgd({ lrF: NaN }), /sgd: option 'lrF'/],
    [() => sgd({ beta1: 0.9 } as object), /sgd: unknown option 'beta1'/],
    [() => adam({ beta1: 1 }), /adam: option 'beta1' must be a finite number in \[0, 1\)/],
    [() => adam({ beta2: NaN }), /adam: option 'beta2'/],
    [() => adamw({ eps: -1e-8 }), /adamw: option 'eps'/],
    [() => adamw({ weightDecay: -0.1 }), /adamw: option 'weightDecay'/],
    [() => shampoo({ beta2: 1.5 }), /shampoo: option 'beta2' must be a finite number in \[0, 1\]/],
    [() => shampoo({ sides: 'top' as 'left' }), /shampoo: option 'sides' must be one of 'both', 'left', 'right', 'smaller'/],
    [() => shampoo({ updateEvery: 0 }), /shampoo: option 'updateEvery' must be an integer in \[1, ∞\)/],
    [() => shampoo({ exponent: -0.25 }), /shampoo: option 'exponent' must be a finite number in \[0, 1\]/],
    [() => soap({ precondFrequency: 2.5 }), /soap: option 'precondFrequency' must be an integer/],
    [() => soap({ shampooBeta: 1 }), /soap: option 'shampooBeta' must be a finite number in \[0, 1\)/],
    [() => soap({ basis: 'qr' as 'eigh' }), /soap: option 'basis'/],
    [() => muon({ nsSteps: -1 }), /muon: option 'nsSteps' must be an integer in \[0, ∞\)/],
    [() => muon({ momentum: 1 }), /muon: option 'momentum'/],
    [() => muon({ orthogonalizer: 'polar' as 'svd' }), /muon: option 'orthogonalizer'/],
  ];
  for (const [f, re] of cases) assert.throws(f, (e: unknown) => e instanceof RangeError && re.test(e.message), re.source);
});

test('layerwise requires lr and validates lr, lrF, lrG itself', () => {
  const mk = () => sgdTransform();
  assert.throws(() => layerwise('x', mk, {}), /x: option 'lr' is required/);
  assert.throws(() => layerwise('x', mk, { lr: -1 }), /x: option 'lr' must be a finite number in \[0, ∞\), got -1/);
  assert.throws(() => layerwise('x', mk, { lr: 1, lrG: NaN }), /x: option 'lrG'/);
});

test('layerwise: simultaneous gradients at (F_t, G_t), per-layer step sizes, loss at the incoming point, inputs untouched', () => {
  const { params, batch } = modelAProblem(11);
  const F0 = params.F.clone(), G0 = params.G.clone(), X0 = batch.X.clone();
  const opt = sgd({ lr: 0.05, lrF: 0.2 });
  assert.deepEqual({ ...opt.options }, { lr: 0.05, lrF: 0.2, momentum: 0, nesterov: false, weightDecay: 0 });
  const r = opt.step(params, batch, opt.init(params), linearNet);
  const g = linearNet.grads(params, batch);
  // F uses lrF = 0.2, G uses lr = 0.05, both gradients at (F0, G0).
  assert.equal(maxDiff(r.params.F, axpy(-0.2, g.F, F0)), 0);
  assert.equal(maxDiff(r.params.G, axpy(-0.05, g.G, G0)), 0);
  assert.equal(r.loss, linearNet.loss(params, batch));
  assert.equal((r.state as { t: number }).t, 1);
  // The sequential (Gauss–Seidel) alternative, G stepped with the gradient at (F₊, G0), differs:
  // so the check above does distinguish a simultaneous step.
  const gSeq = linearNet.grads({ F: r.params.F, G: G0 }, batch);
  assert.ok(maxDiff(axpy(-0.05, gSeq.G, G0), r.params.G) > 1e-3);
  // No input was mutated.
  assert.equal(maxDiff(params.F, F0), 0);
  assert.equal(maxDiff(params.G, G0), 0);
  assert.equal(maxDiff(batch.X, X0), 0);
});

test('layerwise passes each layer its own step size and the 1-based step count', () => {
  const seen: string[] = [];
  const mk = (lr: number, layer: 'F' | 'G'): MatrixTransform<null> => ({
    init: () => null,
    update(g, s, w, t) { seen.push(`${layer}:${lr}:${t}`); return { u: new Mat(g.rows, g.cols), state: null }; },
  });
  const { params, batch } = modelAProblem(3);
  const opt = layerwise('probe', mk, { lr: 1, lrG: 3 });
  let s = opt.init(params);
  for (let i = 0; i < 2; i++) s = opt.step(params, batch, s, linearNet).state;
  assert.deepEqual(seen, ['F:1:1', 'G:3:1', 'F:1:2', 'G:3:2']);
});
