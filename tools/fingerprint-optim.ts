/**
 * Fingerprint of the optimizer family's arithmetic: every named optimizer (and a few option variants)
 * for 20 steps on a fixed Model A problem, and Model B's one-step procedures, each hashed (SHA-256 of
 * the float64 bytes of every iterate and loss). Run before and after a refactor under each engine:
 *   LPFL_BACKEND=js64 npx tsx tools/fingerprint-optim.ts > a.txt;  npx tsx tools/fingerprint-optim.ts > b.txt
 * Identical lines mean bit-identical arithmetic (and cached sweep cells that stay valid).
 */
import { createHash } from 'node:crypto';
import { startBackend } from '../src/node/backend.js';
import { Mat, matmulNT } from '../src/mat.js';
import { orthonormalRows } from '../src/linalg.js';
import { Rng } from '../src/rng.js';
import { linearNet } from '../src/models/linear.js';
import { batchNormNet } from '../src/models/batchnorm.js';
import { makeOptimizer } from '../src/optim/index.js';
import * as sb from '../src/models/singleIndex.js';

await startBackend({ quiet: false });

function hasher() {
  const h = createHash('sha256');
  return {
    mat(m: Mat) { h.update(new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength)); },
    arr(a: ArrayLike<number>) { const f = Float64Array.from(a); h.update(new Uint8Array(f.buffer)); },
    num(x: number) { h.update(new Uint8Array(Float64Array.of(x).buffer)); },
    str(s: string) { h.update(s); },
    done: () => h.digest('hex').slice(0, 16),
  };
}

// A Model A problem large enough that some products go to the engine (d = 128, k = 8, d_y = 16, n = 300).
function problem(seed: number, d = 128, k = 8, dy = 16, n = 300) {
  const rng = new Rng(seed);
  const Gs = orthonormalRows(rng.normalMat(k, d));
  const Fs = rng.normalMat(dy, k);
  const scales = Array.from({ length: d }, (_, j) => Math.pow(10, -j / d));
  const batches = Array.from({ length: 20 }, () => {
    const X = rng.normalMat(n, d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) X.data[i * d + j] *= scales[j];
    return { X, Y: matmulNT(matmulNT(X, Gs), Fs) };
  });
  return { params: { F: rng.normalMat(dy, k, 0.5), G: rng.normalMat(k, d, 0.5) }, batches };
}

const cases: [string, Record<string, unknown>, boolean?][] = [
  ['sgd', { lr: 0.1 }], ['sgd', { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01, lrF: 0.1 }],
  ['sgd', { lr: 0.05, momentum: 0.5 }], ['sgd', { lr: 0.1 }, true],
  ['adam', { lr: 0.01 }], ['adam', { lr: 0.01, weightDecay: 0.1 }], ['adamw', { lr: 0.01 }], ['adamw', { lr: 0.03, lrG: 0.01, beta1: 0.5 }],
  ['kfac', { lr: 0.5 }], ['kfac', { lr: 0.3, emaDecay: 0.9, updateEvery: 3, dampingG: 1e-3, dampingF: 1e-2, dampingP: 1e-3 }],
  ['kfac', { lr: 0.5, inputFactor: 'identity' }], ['kfac-input', { lr: 1 }],
  ['shampoo', { lr: 0.03 }], ['shampoo', { lr: 0.03, eps: 0 }], ['shampoo', { lr: 0.03, beta2: 0.9, updateEvery: 3 }],
  ['shampoo', { lr: 0.03, precondition: false }], ['shampoo-half', { lr: 0.03 }], ['shampoo-one-sided', { lr: 0.03 }],
  ['shampoo', { lr: 0.03, sides: 'right', exponent: 0.3 }],
  ['soap', { lr: 0.01 }], ['soap', { lr: 0.01, weightDecay: 0 }], ['soap', { lr: 0.01, basis: 'power-qr', precondFrequency: 3 }],
  ['soap', { lr: 0.01, basis: 'identity', correctBias: false, normalizeGrads: true }], ['soap', { lr: 0.01, maxPrecondDim: 10 }],
  ['muon', { lr: 0.03 }], ['muon', { lr: 0.03, orthogonalizer: 'quintic', weightDecay: 0.1 }], ['muon', { lr: 0.03, orthogonalizer: 'svd', nesterov: false, scale: 'spectral' }],
  ['gauss-newton', { lr: 0.5, damping: 1e-3 }], ['amd', {}], ['dfw', { lr: 0.5 }],
];

const { params, batches } = problem(20260101);
for (const [name, opts, bn] of cases) {
  const h = hasher(), opt = makeOptimizer(name, opts), model = bn ? batchNormNet : linearNet;
  let p = params, s = opt.init(p);
  try {
    for (const b of batches) {
      const r = opt.step(p, b, s, model);
      p = r.params; s = r.state; h.mat(p.F); h.mat(p.G); h.num(r.loss);
    }
  } catch (e) { h.str((e as Error).message); } // a diverged run: its error message is part of the fingerprint

  console.log(`A ${name}${bn ? '+bn' : ''} ${JSON.stringify(opts)} ${h.done()}`);
}

// Model B: the one-step procedures and the one-step experiment.
const rng = new Rng(7), d = 40, N = 64, n = 120;
const beta = rng.normalMat(d, 1).data;
const X = rng.normalMat(n, d), y = new Float64Array(n);
for (let k = 0; k < n; k++) { let s = 0; for (let j = 0; j < d; j++) s += X.data[k * d + j] * beta[j]; y[k] = Math.max(s / Math.sqrt(d), 0); }
const net = sb.initSingleIndexNet(d, N, rng);
const stepCases: [sb.StepKind, sb.StepOptions, boolean?][] = [
  ['plain', { eta: 8 }], ['preconditioned', { eta: 8 }], ['preconditioned', { eta: 8, lambda: 0.1 }],
  ['adam', { eta: 0.1 }], ['adam', { eta: 0.1, eps: 1e-3 }], ['plain', { eta: 8 }, true],
];
for (const [kind, o, bn] of stepCases) {
  const h = hasher(), r = sb.oneStep(bn ? { ...net, batchNorm: true } : net, X, y, kind, o);
  h.mat(r.net.W); h.mat(r.update); h.mat(r.grad); h.num(r.loss);
  console.log(`B ${kind}${bn ? '+bn' : ''} ${JSON.stringify(o)} ${h.done()}`);
}

// Model B experiments: the first cell of each grid (reduced to the smallest N), and one damped variant.
import testError from '../src/experiments/single-index-test-error.js';
import spikeNetwork from '../src/experiments/single-index-spike-network.js';
for (const [exp, over] of [
  [testError, { kappa: 16, rotation: 'haar' }], [testError, { kappa: 4, rotation: 'none', lambda: 0.3, ratio: 0.5 }],
  [spikeNetwork, { N: 64 }], [spikeNetwork, { N: 32, lambda: 0.2, ratio: 0.5 }],
] as const) {
  const axes = exp.grid.axes as Record<string, readonly unknown[]>;
  const p = { ...Object.fromEntries(Object.entries(axes).map(([k, v]) => [k, v[0]])), ...over };
  const h = hasher();
  h.str(JSON.stringify(await exp.run(p as never, new Rng(99), { experiment: exp.name, replicate: 0, seed: 99 })));
  console.log(`E ${exp.name} ${JSON.stringify(over)} ${h.done()}`);
}
