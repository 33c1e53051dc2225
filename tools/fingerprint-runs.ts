/**
 * Fingerprint of the whole Model A run path, beside `fingerprint-optim.ts` (which feeds fixed batches to
 * the optimizer steps): the seeded samplers (normals, fresh batches, Rademacher inputs, noise), the
 * metrics (subspace distance, principal angles, transfer loss, SVD), the training loop (evaluation,
 * early stop, divergence) and `runLinear` at the bench's sweep size (d = 200, k = 8, d_y = 16, n = 256),
 * each hashed (SHA-256 of the float64 bytes). Run before and after a refactor, under each engine:
 *   npx tsx tools/fingerprint-runs.ts > a.txt;  LPFL_BACKEND=js64 npx tsx tools/fingerprint-runs.ts > b.txt
 * Identical lines mean bit-identical numbers.
 */
import { createHash } from 'node:crypto';
import { startBackend } from '../src/node/backend.js';
import { Mat } from '../src/mat.js';
import { svd } from '../src/linalg.js';
import { Rng } from '../src/rng.js';
import { makeCovariance } from '../src/data/covariance.js';
import { sampleInputs } from '../src/data/inputs.js';
import { makeLinearTeacher, sampleLinear } from '../src/data/teachers.js';
import { principalAngles, subspaceDistance, transferLoss } from '../src/metrics.js';
import { DEFAULT_SETUP, makeLinearProblem, runLinear, type LinearRunSpec } from '../src/experiments/linear-common.js';

await startBackend({ quiet: false });

function hasher() {
  const h = createHash('sha256');
  const api = {
    mat(m: Mat) { h.update(new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength)); return api; },
    arr(a: ArrayLike<number>) { const f = Float64Array.from(a); h.update(new Uint8Array(f.buffer)); return api; },
    any(x: unknown) { h.update(JSON.stringify(x, (_k, v) => (typeof v === 'number' ? Array.from(new Uint8Array(Float64Array.of(v).buffer)).join('.') : v))); return api; },
    done: () => h.digest('hex').slice(0, 16),
  };
  return api;
}

// samplers
{
  const r = new Rng(11), h = hasher();
  h.arr(r.fillNormal(new Float64Array(100_003))).mat(r.normalMat(37, 41, 0.3)).arr([r.normal(), r.uniform(), r.nextU32()]);
  console.log(`rng normals ${h.done()}`);
}
for (const [family, rotation, law, noise] of [['geometric', 'haar', 'gaussian', 0], ['geometric', 'none', 'gaussian', 0.1], ['identity', 'haar', 'rademacher', 0], ['geometric', 'haar', 'gaussian', 0.2]] as const) {
  const r = new Rng(12), d = 200;
  const cov = makeCovariance(family === 'identity' ? { family, d, rotation } : { family, d, kappa: 100, rotation }, r);
  const h = hasher();
  h.mat(sampleInputs(cov, 300, r, law));
  const t = makeLinearTeacher({ cov, k: 8, dy: 16, noise, law, tasks: 2 }, r);
  for (const n of [256, 1024]) { const b = sampleLinear(t, n, r, n === 256 ? 0 : 1); h.mat(b.X).mat(b.Y); }
  console.log(`batches ${family} ${rotation} ${law} noise ${noise} ${h.done()}`);
}
// metrics
{
  const r = new Rng(13), h = hasher();
  for (const [k1, k2, d] of [[8, 8, 200], [3, 5, 40], [5, 3, 40], [1, 1, 7]]) {
    const A = r.normalMat(k1, d), B = r.normalMat(k2, d);
    if (k1 === k2) h.any(subspaceDistance(A, B));
    h.arr(principalAngles(A, B));
  }
  const G = r.normalMat(8, 200); G.data[5] = 1e-8;
  h.any(subspaceDistance(G, G)).any(subspaceDistance(G, r.normalMat(8, 200)));
  for (const [m, n] of [[200, 8], [8, 200], [30, 30], [5, 1]]) { const s = svd(r.normalMat(m, n)); h.mat(s.U).arr(s.s).mat(s.V); }
  const cov = makeCovariance({ family: 'geometric', d: 60, kappa: 10, rotation: 'haar' }, r);
  const t = makeLinearTeacher({ cov, k: 4, dy: 6 }, r);
  h.any(transferLoss(r.normalMat(4, 60), t, r, { nFit: 40, nTest: 100 }));
  console.log(`metrics ${h.done()}`);
}
// runs: the sweep cell's path (train, evaluation every step, early stop) and its variants
const runs: [string, Partial<typeof DEFAULT_SETUP>, LinearRunSpec][] = [
  ['sweep sgd', { d: 200, k: 8, dy: 16, n: 256, kappaSigma: 100 }, { optimizer: 'sgd', options: { lr: 0.5 }, steps: 60, targetDist: 0.05, transfer: false }],
  ['sweep kfac', { d: 200, k: 8, dy: 16, n: 256, kappaSigma: 10 }, { optimizer: 'kfac', options: { lr: 0.5 }, steps: 60, targetDist: 0.05, transfer: false }],
  ['sweep kfac lr 0.25', { d: 200, k: 8, dy: 16, n: 256, kappaSigma: 100 }, { optimizer: 'kfac', options: { lr: 0.25 }, steps: 60, targetDist: 0.05, transfer: false }],
  ['curves sgd+transfer', { d: 40, k: 3, dy: 5, n: 64, noise: 0.1, targetKappaSigma: 10 }, { optimizer: 'sgd', options: { lr: 0.3 }, steps: 40, evalEvery: 3 }],
  ['curves adam', { d: 40, k: 3, dy: 5, n: 64, rotated: false }, { optimizer: 'adam', options: { lr: 0.01 }, steps: 30 }],
  ['curves shampoo', { d: 40, k: 3, dy: 5, n: 64 }, { optimizer: 'shampoo', options: { lr: 0.03 }, steps: 30, evalEvery: 2 }],
  ['sgd+bn', { d: 40, k: 3, dy: 5, n: 64 }, { optimizer: 'sgd', options: { lr: 0.3 }, steps: 30, batchNorm: true }],
  ['diverging sgd', { d: 40, k: 3, dy: 5, n: 64 }, { optimizer: 'sgd', options: { lr: 50 }, steps: 30 }],
];
for (const [name, setup, spec] of runs) {
  const rng = new Rng(14);
  const problem = makeLinearProblem({ ...DEFAULT_SETUP, ...setup }, rng.fork('problem'));
  console.log(`run ${name} ${hasher().any(runLinear(problem, spec, rng.fork('run'))).done()}`);
}
