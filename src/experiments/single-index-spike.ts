/**
 * Where the one-step spike points (Model B, B1–B3 and the ridge deterministic equivalent): cos² between
 * β* and the rank-one right vector of the first-layer step, for the plain step h = Xᵀy/n, the
 * preconditioned step with λ = 0 (Σ̂^{-1}h, when n > d + 1) and with damping λ > 0 ((Σ̂ + λI)^{-1}h).
 *
 * One cell = one batch at one κ: a single batch of n_max = max(ratios)·d samples is drawn, and each
 * ratio uses its first n = ratio·d rows (nested batches; Σ̂ and h are accumulated incrementally), so a
 * whole n/d sweep costs one Gram matrix of the largest batch. The problem (Σ with tr Σ = d, and β*) is
 * fixed across replicates (`fixedProblem`, seeded by d, rotation, link, noise and `problemSeed`, not κ):
 * the spread over seeds is the spread of the batch alone, which is what B2/B3 describe.
 *
 * Axis-aligned Σ is the default: for these three spikes the law of cos²(spike, β*) is invariant under
 * rotating Σ and β* together (h and (Σ̂ + λI)^{-1}h are rotation-equivariant and β* is Haar-random),
 * so a diagonal Σ with a Haar-random β* is the rotated case at a fraction of the sampling cost.
 * 'haar' is available to check this.
 *
 * Besides cos², each spike u's ⟨u, β*⟩ and ||u||² are recorded (`moments`, [inner, normSq] per n, and per
 * λ for ridge): B2, B3 and the ridge equivalent are ratios of expectations, (E⟨u, β*⟩)²/(||β*||² E||u||²),
 * which the notebook estimates from these without the Jensen gap of E cos².
 */
import { defineExperiment } from '../sweep/types.js';
import { sampleSingleIndex } from '../data/teachers.js';
import { Mat } from '../mat.js';
import { mm64 } from '../linalg.js';
import { cos2, dampedSolve, dot, fixedProblem } from './single-index-common.js';

export default defineExperiment({
  name: 'single-index-spike',
  // 2: also records ⟨u, β*⟩ and ||u||² of every spike (`moments`); the cos² values are unchanged
  version: '2',
  description: 'cos² of the one-step spike with β*: plain, preconditioned (λ = 0) and ridge-preconditioned (λ > 0), vs n/d and κ',
  grid: {
    axes: {
      d: [256],
      kappa: [100],
      ratios: [[0.5, 1, 1.5, 2, 3, 4, 6, 8, 12, 16]],
      lambdas: [[0.1, 1]],
      rotation: ['none'],
      link: ['relu'],
      noise: [0.1],
      problemSeed: [0],
    },
    seeds: 40,
  },
  params: {
    ratios: { type: 'array', items: { type: 'number', min: Number.MIN_VALUE }, minLength: 1 },
    lambdas: { type: 'array', items: { type: 'number', min: Number.MIN_VALUE } },
    d: { type: 'integer', min: 2 },
    kappa: { type: 'number', min: 1 },
    rotation: { oneOf: ['none', 'haar'] },
    link: { oneOf: ['relu', 'tanh', 'poly', 'linear'] },
    noise: { type: 'number', min: 0 },
    problemSeed: { type: 'integer', min: 0 },
  },
  run: (p, rng) => {
    const ratios = p.ratios as number[], lambdas = p.lambdas as number[];
    if (!Array.isArray(ratios) || ratios.length === 0 || ratios.some((r) => !(r > 0))) throw new RangeError('single-index-spike: ratios must be a non-empty list of positive numbers');
    if (!Array.isArray(lambdas) || lambdas.some((l) => !(l > 0))) throw new RangeError('single-index-spike: lambdas must be a list of positive numbers');
    for (let i = 1; i < ratios.length; i++) if (!(ratios[i] > ratios[i - 1])) throw new RangeError('single-index-spike: ratios must increase');
    const d = p.d;
    const { teacher: t } = fixedProblem({ d, kappa: p.kappa, rotation: p.rotation as 'none' | 'haar', link: p.link as 'relu', noise: p.noise }, p.problemSeed);
    const ns = ratios.map((r) => Math.max(1, Math.round(r * d)));
    for (let i = 1; i < ns.length; i++) if (!(ns[i] > ns[i - 1])) throw new RangeError(`single-index-spike: ratios ${ratios[i - 1]} and ${ratios[i]} give the same n = ${ns[i]} at d = ${d}`);
    const batch = sampleSingleIndex(t, ns[ns.length - 1], rng);
    const X = batch.X, y = batch.y;
    const G = new Float64Array(d * d), h = new Float64Array(d); // running XᵀX and Xᵀy over the first n rows
    const plain: number[] = [], precond: (number | null)[] = [], ridge: number[][] = [];
    // ⟨u, β*⟩ and ||u||² of each spike u, for the ratio-of-expectations form of B2, B3 and the ridge equivalent
    const mPlain: [number, number][] = [], mPrecond: ([number, number] | null)[] = [], mRidge: [number, number][][] = [];
    const mom = (u: Float64Array): [number, number] => [dot(u, t.beta), dot(u, u)];
    let k = 0;
    for (const n of ns) {
      const seg = new Mat(n - k, d, X.data.subarray(k * d, n * d)); // rows k..n−1 (a view)
      const gs = mm64(seg, seg, true, false).data; // float64, symmetric
      for (let i = 0; i < d * d; i++) G[i] += gs[i];
      for (let m = k; m < n; m++) for (let i = 0, o = m * d; i < d; i++) h[i] += X.data[o + i] * y[m];
      k = n;
      const Sh = new Mat(d, d, G.map((v) => v / n));
      const hn = h.map((v) => v / n);
      plain.push(cos2(hn, t.beta));
      mPlain.push(mom(hn));
      const b0 = n > d + 1 ? dampedSolve(Sh, hn, 0) : null;
      precond.push(b0 ? cos2(b0, t.beta) : null);
      mPrecond.push(b0 ? mom(b0) : null);
      const bl = lambdas.map((l) => dampedSolve(Sh, hn, l));
      ridge.push(bl.map((b) => cos2(b, t.beta)));
      mRidge.push(bl.map(mom));
    }
    return { n: ns, plain, precond, ridge, moments: { plain: mPlain, precond: mPrecond, ridge: mRidge } };
  },
});
