/**
 * The spike inside the network (Model B): how well the exact rank-one term of the first-layer update
 * describes W₁ − W₀ and W₁, as the width N and the step size η grow.
 *
 * With a fixed during the step, W₁ − W₀ = −η∇_W L̂ (plain) or −η∇_W L̂ (Σ̂ + λI)^{-1} (preconditioned). Its
 * rank-one term is η μ₁ a uᵀ/√N with u = h = Xᵀy/n or (Σ̂ + λI)^{-1}h (μ₁ = E σ'(·)); the rest is a bulk
 * from the nonlinear part of σ' and from the residual's correlation with the hidden units. The update is
 * linear in η, so its singular vectors do not depend on η: what η changes is W₁ = W₀ + (update), whose
 * top right singular vector leaves W₀'s random bulk and locks onto the spike once the spike is strong
 * enough (a BBP-type transition).
 *
 * One cell: one W₀, a and one batch of n = ratio·d samples; for both steps, cos² with β* of u, of the top
 * right singular vector v₁ of the update (and cos²(v₁, u), and σ₂/σ₁ of the update), and, for each
 * η = c·√N with c in `etaScales`, of the top right singular vector of W₁ (and its cos² with u). The
 * problem (Σ, β*) is fixed across replicates as in `single-index-spike`.
 */
import { defineExperiment } from '../sweep/types.js';
import { Mat } from '../mat.js';
import { eigSym, matvecs, mm64 } from '../linalg.js';
import { applyLeft, applyRight, factorInit, stepFactor } from '../optim/factor.js';
import { sampleSingleIndex } from '../data/teachers.js';
import { secondMoment } from '../data/inputs.js';
import { gradientW, initSingleIndexNet, topRightSingularVector } from '../models/singleIndex.js';
import { cos2, crossMoment, fixedProblem } from './single-index-common.js';

/**
 * Top eigenvector of a symmetric positive semi-definite matrix S (float64): Lanczos from a fixed start
 * vector with full reorthogonalisation for up to min(d, 64) steps, the Ritz vector of the largest Ritz
 * value, accepted when its residual ||Sv − θv|| is below 1e-9·θ; otherwise (a tiny gap) the full
 * eigendecomposition. Deterministic.
 */
export function topEigenvector(S: Mat): Float64Array {
  const d = S.rows, m = Math.min(d, 64);
  const Q: Float64Array[] = [], alpha: number[] = [], beta: number[] = [];
  let q = new Float64Array(d);
  for (let i = 0; i < d; i++) q[i] = 1 / Math.sqrt(d) * (1 + 0.5 * Math.sin(1 + i)); // fixed, generic start
  let nq = Math.sqrt(q.reduce((a, v) => a + v * v, 0)); q = q.map((v) => v / nq);
  const matvec = matvecs(S); // row sums t += S_ij v_j in ascending j, in WebAssembly with S kept in its memory
  for (let k = 0; k < m; k++) {
    Q.push(q);
    const w = matvec(q);
    const a = q.reduce((acc, v, i) => acc + v * w[i], 0);
    alpha.push(a);
    for (let pass = 0; pass < 2; pass++) { // full reorthogonalisation, twice
      for (const qj of Q) { let c = 0; for (let i = 0; i < d; i++) c += qj[i] * w[i]; for (let i = 0; i < d; i++) w[i] -= c * qj[i]; }
    }
    nq = Math.sqrt(w.reduce((acc, v) => acc + v * v, 0));
    if (k === m - 1 || nq < 1e-12 * Math.abs(a)) break;
    beta.push(nq);
    q = w.map((v) => v / nq);
  }
  const k = alpha.length, T = new Mat(k, k);
  for (let i = 0; i < k; i++) { T.data[i * k + i] = alpha[i]; if (i + 1 < k) { T.data[i * k + i + 1] = beta[i]; T.data[(i + 1) * k + i] = beta[i]; } }
  const e = eigSym(T), theta = e.values[k - 1], v = new Float64Array(d);
  for (let j = 0; j < k; j++) { const c = e.vectors.data[j * k + k - 1]; for (let i = 0; i < d; i++) v[i] += c * Q[j][i]; }
  const nv = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  for (let i = 0; i < d; i++) v[i] /= nv;
  const r = matvec(v);
  let res = 0;
  for (let i = 0; i < d; i++) res += (r[i] - theta * v[i]) ** 2;
  if (Math.sqrt(res) <= 1e-9 * Math.abs(theta)) return v;
  const full = eigSym(S), out = new Float64Array(d);
  for (let i = 0; i < d; i++) out[i] = full.vectors.data[i * d + d - 1];
  return out;
}

export default defineExperiment({
  name: 'single-index-spike-network',
  version: '1',
  description: 'rank-one term vs top right singular vectors of W₁ − W₀ and W₁, against width N and step size η = c√N',
  grid: {
    axes: {
      N: [32, 64, 128, 256, 512, 1024],
      etaScales: [[0.5, 1, 2, 4, 8, 16, 32]],
      d: [128],
      ratio: [8],
      kappa: [100],
      lambda: [0],
      rotation: ['none'],
      link: ['relu'],
      noise: [0.1],
      problemSeed: [0],
    },
    seeds: 6,
  },
  params: {
    etaScales: { type: 'array', items: { type: 'number', min: Number.MIN_VALUE } },
    N: { type: 'integer', min: 1 },
    d: { type: 'integer', min: 2 },
    ratio: { type: 'number', min: 0 },
    kappa: { type: 'number', min: 1 },
    lambda: { type: 'number', min: 0 },
    rotation: { oneOf: ['none', 'haar'] },
    link: { oneOf: ['relu', 'tanh', 'poly', 'linear'] },
    noise: { type: 'number', min: 0 },
    problemSeed: { type: 'integer', min: 0 },
  },
  run: (p, rng) => {
    const scales = p.etaScales as number[];
    if (!Array.isArray(scales) || scales.some((c) => !(typeof c === 'number' && c > 0))) throw new RangeError('single-index-spike-network: etaScales must be a list of positive numbers (possibly empty)');
    const { d, N } = p, n = Math.round(p.ratio * d);
    if (p.lambda === 0 && !(n > d)) throw new RangeError(`single-index-spike-network: lambda = 0 needs n = ratio·d > d, got n = ${n}, d = ${d}`);
    const { teacher: t } = fixedProblem({ d, kappa: p.kappa, rotation: p.rotation as 'none' | 'haar', link: p.link as 'relu', noise: p.noise }, p.problemSeed);
    const net = initSingleIndexNet(d, N, rng.fork('init'));
    const batch = sampleSingleIndex(t, n, rng.fork('data'));
    const grad = gradientW(net, batch.X, batch.y).grad; // N×d
    const h = crossMoment(batch.X, batch.y);
    // Σ̂ + λI as the Kronecker-factor block of KFAC and of Model B's preconditioned step (Cholesky)
    const sigma = stepFactor(factorInit(), secondMoment(batch.X), {
      average: { kind: 'ema', decay: 0, start: 'first' }, every: 1,
      root: { power: -1, rankDeficiency: { kind: 'damping', damping: p.lambda } },
    });
    const updates: Record<'plain' | 'preconditioned', { U: Mat; u: Float64Array }> = {
      plain: { U: grad, u: h },
      preconditioned: { U: applyRight(sigma, grad), u: applyLeft(sigma, new Mat(d, 1, h)).data },
    };
    const A = mm64(net.W, net.W, true, false); // W₀ᵀW₀
    const stats = (U: Mat, u: Float64Array) => {
      const top = topRightSingularVector(U);
      const B = mm64(net.W, U, true, false), C = mm64(U, U, true, false); // W₀ᵀU, UᵀU
      const w1Cos2: number[] = [], w1VsRank1: number[] = [];
      for (const c of scales) {
        const eta = c * Math.sqrt(N), M = new Mat(d, d);
        // W₁ᵀW₁ = (W₀ − ηU)ᵀ(W₀ − ηU) = A − η(B + Bᵀ) + η²C
        for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
          M.data[i * d + j] = A.data[i * d + j] - eta * (B.data[i * d + j] + B.data[j * d + i]) + eta * eta * C.data[i * d + j];
        }
        const v = topEigenvector(M);
        w1Cos2.push(cos2(v, t.beta));
        w1VsRank1.push(cos2(v, u));
      }
      return {
        rank1Cos2: cos2(u, t.beta), svdCos2: cos2(top.v, t.beta), svdVsRank1: cos2(top.v, u), gap: top.s2 / top.s1,
        w1Cos2, w1VsRank1,
      };
    };
    return { plain: stats(updates.plain.U, updates.plain.u), preconditioned: stats(updates.preconditioned.U, updates.preconditioned.u) };
  },
});
