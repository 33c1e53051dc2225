/**
 * The optimizers under the float32 tfjs engine. Only the large products (the Model A gradients here:
 * n·d·k = 200·48·4 multiply-adds > TFJS_MIN_WORK) go through float32; factor roots, eigenbases and
 * Newton–Schulz stay float64. Float32 unit round-off is 2⁻²⁴ ≈ 6e-8; a length-48/200 inner product
 * carries relative error up to ~1e-6, so trajectories after three steps are compared with the js64
 * ones at 1e-5 relative to the parameter scale (observed: ≤ 6e-8). They must also differ
 * (> 0), which shows the float32 path was taken. This file switches the process-wide engine, so it
 * lives apart from the js64 tests (node's runner gives each file its own process).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend.js';
import { maxAbs } from '../../src/mat.js';
import { linearNet } from '../../src/models/linear.js';
import { sgd } from '../../src/optim/sgd.js';
import { adam } from '../../src/optim/adam.js';
import { shampoo } from '../../src/optim/shampoo.js';
import { soap } from '../../src/optim/soap.js';
import { muon } from '../../src/optim/muon.js';
import type { Optimizer } from '../../src/optim/types.js';
import { maxDiff, modelAProblem, run } from './_helpers.js';

test('float32 engine: every optimizer tracks its float64 trajectory to float32 accuracy', async () => {
  const { params, batch } = modelAProblem(77, 48, 4, 5, 200);
  const makers: [string, () => Optimizer<any>][] = [
    ['sgd', () => sgd({ lr: 0.05, momentum: 0.9 })],
    ['adam', () => adam({ lr: 0.01 })],
    ['shampoo', () => shampoo({ lr: 0.05 })],
    // maxPrecondDim 10 leaves G's 48-long axis unrotated: its factor R = Σ gᵀg has rank ≤ 4t < 48, and
    // a basis of R's null space is arbitrary (it is whatever the eigensolver returns for the round-off
    // in R), so a float32 perturbation changes it completely and the rotated Adam step by O(η).
    // See the SOAP test on rank-deficient factors.
    ['soap', () => soap({ lr: 0.01, precondFrequency: 1, maxPrecondDim: 10 })],
    ['muon', () => muon({ lr: 0.02 })],
  ];
  await initBackend('js64');
  const ref = makers.map(([, mk]) => run(mk(), linearNet, params, batch, 3).traj[3]);
  await initBackend('cpu');
  try {
    makers.forEach(([name, mk], i) => {
      const p = run(mk(), linearNet, params, batch, 3).traj[3];
      const dG = maxDiff(p.G, ref[i].G) / maxAbs(ref[i].G), dF = maxDiff(p.F, ref[i].F) / maxAbs(ref[i].F);
      assert.ok(dG < 1e-5 && dF < 1e-5, `${name}: relative differences G ${dG}, F ${dF}`);
      assert.ok(dG > 0, `${name}: float32 path not taken`);
    });
  } finally {
    await initBackend('js64');
  }
});
