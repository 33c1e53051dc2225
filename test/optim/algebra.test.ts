/**
 * The optimizer algebra, optax `equivalence_test`-style: one table in which each named optimizer equals
 * its composition written out by hand from the pieces, and the family's reductions (KFAC with identity
 * factors = SGD on G then on F, Shampoo off = its base SGD, SOAP with identity basis = Adam, Muon = the
 * polar factor) sit beside them.
 *
 * Tolerances (js64 engine, float64): a named optimizer and its hand-written composition perform the same
 * operations in the same order, so they agree exactly (0). Reductions that reorder arithmetic state
 * their bound in the row: SOAP vs Adam fold the bias correction differently (a few ulps of updates
 * ≤ 0.1: 1e-14); KFAC's F gradient at G₊ is −RᵀZ/n against the model's own gradient formula (1e-13 on
 * O(1) entries after 5 steps); Muon's SVD polar factor against U Vᵀ of an independent SVD (1e-12,
 * singular-value gaps ≥ 0.1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mat, matmulNT, scale } from '../../src/mat.js';
import { svd } from '../../src/linalg.js';
import { Rng } from '../../src/rng.js';
import { linearNet, type LinearParams } from '../../src/models/linear.js';
import {
  makeOptimizer, chain, route, applyUpdates, scaleByLearningRate, addDecayedWeights, trace, scaleByAdam,
  scaleByShampoo, scaleBySoap, decayStepped, scaleByPolar, scaleByShape, type MatrixTransform,
} from '../../src/optim/index.js';
import { adamTransform } from '../../src/optim/adam.js';
import { soapTransform } from '../../src/optim/soap.js';
import { feed, maxDiff, modelAProblem } from './_helpers.js';

const STEPS = 5;

/** A named optimizer's trajectory on Model A (fresh batch-independent problem: one batch, STEPS steps). */
function named(name: string, options: Record<string, unknown>): Mat[] {
  const { params, batch } = modelAProblem(5);
  const opt = makeOptimizer(name, options);
  let p = params, s = opt.init(p);
  const out: Mat[] = [];
  for (let i = 0; i < STEPS; i++) { const r = opt.step(p, batch, s, linearNet); p = r.params; s = r.state; out.push(p.F, p.G); }
  return out;
}

/** The same run written out by hand: simultaneous gradients, pieces routed by name, W ← W − u. */
function composed(perMatrix: (layer: 'F' | 'G') => MatrixTransform<any>): Mat[] {
  const { params, batch } = modelAProblem(5);
  const tx = route({ F: perMatrix('F'), G: perMatrix('G') });
  let p: LinearParams = params, s = tx.init({ F: p.F, G: p.G });
  const out: Mat[] = [];
  for (let t = 1; t <= STEPS; t++) {
    const g = linearNet.grads(p, batch);
    const r = tx.update({ F: g.F, G: g.G }, s, { F: p.F, G: p.G }, t);
    p = applyUpdates({ F: p.F, G: p.G }, r.updates); s = r.state; out.push(p.F, p.G);
  }
  return out;
}

/** KFAC's reduction by hand: SGD on G, then SGD on F with the gradient at (F, G₊). */
function sequentialSgd(lr: number): Mat[] {
  const { params, batch } = modelAProblem(5);
  const sgdStep = chain(scaleByLearningRate(lr));
  let p: LinearParams = params;
  const out: Mat[] = [];
  for (let t = 1; t <= STEPS; t++) {
    const G1 = applyUpdates({ G: p.G }, { G: sgdStep.update(linearNet.grads(p, batch).G, [null], p.G, t).u }).G;
    const F1 = applyUpdates({ F: p.F }, { F: sgdStep.update(linearNet.grads({ F: p.F, G: G1 }, batch).F, [null], p.F, t).u }).F;
    p = { F: F1, G: G1 }; out.push(p.F, p.G);
  }
  return out;
}

const rng = new Rng(2718);
const grads = Array.from({ length: 6 }, () => rng.normalMat(3, 4));
const W = rng.normalMat(3, 4);

/** U Vᵀ of an independent SVD, for Muon's reduction. */
function polarBySvd(g: Mat): Mat {
  const { U, V } = svd(g);
  return matmulNT(U, V);
}

type Row = { name: string; a: () => Mat[]; b: () => Mat[]; tol: number };
const TABLE: Row[] = [
  // named optimizer = its composition
  { name: 'sgd', a: () => named('sgd', { lr: 0.1 }), b: () => composed(() => chain(addDecayedWeights(0), trace({ momentum: 0 }), scaleByLearningRate(0.1))), tol: 0 },
  {
    name: 'sgd (Nesterov, L2, lrF)', a: () => named('sgd', { lr: 0.05, lrF: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 }),
    b: () => composed((l) => chain(addDecayedWeights(0.01), trace({ momentum: 0.9, nesterov: true }), scaleByLearningRate(l === 'F' ? 0.1 : 0.05))), tol: 0,
  },
  { name: 'adam (coupled L2)', a: () => named('adam', { lr: 0.01, weightDecay: 0.1 }), b: () => composed(() => chain(addDecayedWeights(0.1), scaleByAdam(), scaleByLearningRate(0.01))), tol: 0 },
  { name: 'adamw', a: () => named('adamw', { lr: 0.01 }), b: () => composed(() => chain(scaleByAdam(), addDecayedWeights(0.01), scaleByLearningRate(0.01))), tol: 0 },
  { name: 'shampoo', a: () => named('shampoo', { lr: 0.03 }), b: () => composed(() => chain(scaleByShampoo(), scaleByLearningRate(0.03))), tol: 0 },
  {
    name: 'shampoo-half (β₂ = 0.9, every 2)', a: () => named('shampoo-half', { lr: 0.03, beta2: 0.9, updateEvery: 2 }),
    b: () => composed(() => chain(scaleByShampoo({ exponent: 0.5, beta2: 0.9, updateEvery: 2 }), scaleByLearningRate(0.03))), tol: 0,
  },
  {
    name: 'shampoo-one-sided (ε = 0: pseudo-inverse)', a: () => named('shampoo-one-sided', { lr: 0.03, eps: 0 }),
    b: () => composed(() => chain(scaleByShampoo({ sides: 'smaller', rankDeficiency: { kind: 'pseudo-inverse', rcond: 1e-12 } }), scaleByLearningRate(0.03))), tol: 0,
  },
  { name: 'soap', a: () => named('soap', { lr: 0.01, weightDecay: 0 }), b: () => composed(() => chain(scaleBySoap({ stepSize: 0.01 }), decayStepped(0.01, 0))), tol: 0 },
  {
    name: 'muon', a: () => named('muon', { lr: 0.03, weightDecay: 0.1 }),
    b: () => composed(() => chain(trace({ momentum: 0.95, nesterov: true, form: 'ema' }), scaleByPolar(), scaleByShape('reference'), addDecayedWeights(0.1), scaleByLearningRate(0.03))), tol: 0,
  },
  // reductions
  { name: 'KFAC with identity factors = SGD on G, then on F at G₊', a: () => named('kfac', { lr: 0.2, leftFactor: 'identity', inputFactor: 'identity' }), b: () => sequentialSgd(0.2), tol: 1e-13 },
  { name: 'Shampoo off = its base (SGD)', a: () => named('shampoo', { lr: 0.03, precondition: false }), b: () => named('sgd', { lr: 0.03 }), tol: 0 },
  {
    name: 'SOAP with identity basis (ε = 0) = Adam, one call later',
    a: () => feed(soapTransform({ lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 0, weightDecay: 0, basis: 'identity' }), W, grads).us.slice(1),
    b: () => feed(adamTransform({ lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 0 }), W, grads.slice(1)).us.slice(0, grads.length - 1),
    tol: 1e-14,
  },
  {
    name: 'Muon without momentum = the polar factor U Vᵀ',
    a: () => feed(chain(trace({ momentum: 0, form: 'ema' }), scaleByPolar({ orthogonalizer: 'svd' }), scaleByShape('none'), scaleByLearningRate(0.5)), W, grads).us,
    b: () => grads.map((g) => scale(polarBySvd(g), 0.5)),
    tol: 1e-12,
  },
];

for (const row of TABLE) {
  test(`equivalence: ${row.name}`, () => {
    const a = row.a(), b = row.b();
    assert.equal(a.length, b.length);
    assert.ok(a.length > 0);
    for (let i = 0; i < a.length; i++) {
      const d = maxDiff(a[i], b[i]);
      assert.ok(d <= row.tol, `${row.name}: entry ${i} differs by ${d} (tolerance ${row.tol})`);
    }
  });
}

test('the table covers every per-matrix named optimizer', () => {
  const covered = new Set(TABLE.map((r) => r.name.split(' ')[0]));
  for (const n of ['sgd', 'adam', 'adamw', 'shampoo', 'shampoo-half', 'shampoo-one-sided', 'soap', 'muon']) assert.ok(covered.has(n), n);
});
