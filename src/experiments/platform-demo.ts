/**
 * The platform demo's two computations (notebook 00), as experiments so that the notebook, `npm start`
 * and the site share their cells: the spectrum of Σ and of one batch's sample second moment, and one
 * training run (SGD or KFAC) on the anisotropic linear-representation problem.
 *
 * Both draw everything from `new Rng(seed)` with the notebook's labelled forks ('cov', 'one batch',
 * 'teacher', 'init F', 'init G'; training batches from seed + 1), not from the runner's per-cell stream:
 * the SGD cell and the KFAC cell must see the same Σ, teacher and initialisation, and the `seed` knob
 * names that one problem. The results depend only on the parameters. Browser-safe.
 */
import { Rng } from '../rng.js';
import { geometricCovariance, type Covariance } from '../data/covariance.js';
import { sampleInputs, secondMoment } from '../data/inputs.js';
import { makeLinearTeacher, sampleLinear } from '../data/teachers.js';
import { eigSym } from '../linalg.js';
import { sgd } from '../optim/sgd.js';
import { kfac } from '../optim/kfac.js';
import { train } from '../train.js';
import { subspaceDistance } from '../metrics.js';
import { defineExperiment } from '../sweep/types.js';

export interface DemoProblemParams { seed: number; d: number; kappa: number; rotation: string }

/** Σ of the demo problem (geometric spectrum 1 … 1/κ, Haar-rotated unless rotation = 'none'). */
export function demoCovariance(p: DemoProblemParams): Covariance {
  if (p.rotation !== 'haar' && p.rotation !== 'none') throw new RangeError(`platform-demo: rotation must be 'haar' or 'none'; got '${p.rotation}'`);
  return geometricCovariance(p.d, p.kappa, { rotation: p.rotation, rng: new Rng(p.seed).fork('cov') });
}

const problemParams = {
  seed: { type: 'integer', min: 0, max: 2 ** 32 - 1 }, d: { type: 'integer', min: 2 }, kappa: { type: 'number', min: 1 },
  rotation: { oneOf: ['haar', 'none'] }, n: { type: 'integer', min: 2 },
} as const;

export const spectrum = defineExperiment({
  name: 'platform-demo-spectrum',
  version: '1',
  description: 'eigenvalues of Σ and of the sample second moment of one batch (descending)',
  grid: { axes: { seed: [0], d: [32], kappa: [100], rotation: ['haar'], n: [256] }, seeds: 1 },
  params: problemParams,
  run: (p) => {
    const cov = demoCovariance(p);
    const X = sampleInputs(cov, p.n, new Rng(p.seed).fork('one batch'));
    return {
      sigma: Array.from(cov.values),
      sampled: Array.from(eigSym(secondMoment(X)).values).reverse(),
      kappa: cov.kappa, trace: cov.trace,
    };
  },
});

export const run = defineExperiment({
  name: 'platform-demo-run',
  version: '1',
  description: 'subspace distance dist(G, G*) per step of one SGD or KFAC run on the demo problem',
  grid: {
    axes: { seed: [0], d: [32], k: [4], dy: [8], kappa: [100], rotation: ['haar'], n: [256], steps: [200], optimizer: ['sgd', 'kfac'], lr: [1] },
    seeds: 1,
  },
  params: {
    ...problemParams, k: { type: 'integer', min: 1 }, dy: { type: 'integer', min: 1 }, steps: { type: 'integer', min: 1 },
    optimizer: { oneOf: ['sgd', 'kfac'] }, lr: { type: 'number', min: 0 },
  },
  run: (p) => {
    const rng = new Rng(p.seed);
    const cov = demoCovariance(p);
    const teacher = makeLinearTeacher({ cov, k: p.k, dy: p.dy }, rng.fork('teacher'));
    const init = { F: rng.fork('init F').normalMat(p.dy, p.k, 1 / Math.sqrt(p.k)), G: rng.fork('init G').normalMat(p.k, p.d, 1 / Math.sqrt(p.d)) };
    const optimizer = p.optimizer === 'kfac' ? kfac({ lr: p.lr }) : sgd({ lr: p.lr });
    const r = train({
      optimizer, init, steps: p.steps, seed: p.seed + 1,
      sample: (b) => sampleLinear(teacher, p.n, b),
      metrics: (q) => ({ dist: subspaceDistance(q.G, teacher.G) }),
    });
    const h = r.history.filter((x) => Number.isFinite(x.dist));
    return {
      optimizer: r.optimizer, step: h.map((x) => x.step), dist: h.map((x) => x.dist as number),
      diverged: r.diverged, divergedAt: r.divergedAt, reason: r.divergeReason,
    };
  },
});
