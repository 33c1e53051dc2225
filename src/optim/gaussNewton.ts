/**
 * Full Gauss–Newton (natural gradient for the squared loss) on all parameters of the linear network at
 * once: $\delta = (J^\top J/n + \lambda I)^{-1} \nabla_\theta \hat L$, $\theta = \mathrm{vec}(F, G)$,
 * $\theta_+ = \theta - \eta\,\delta$. Damping λ > 0 is required: JᵀJ is singular along the k² directions
 * (F A⁻¹, A G) that leave F G unchanged.
 *
 * Exact solve, no conjugate gradients: the GN operator of F G depends on the data only through Σ̂,
 *   H(dF, dG) = (dF Σ_z + F dG Σ̂ Gᵀ,  Fᵀ dF G Σ̂ + FᵀF dG Σ̂),  Σ_z = G Σ̂ Gᵀ,
 * and its G–G block (dG ↦ FᵀF dG Σ̂ + λ dG) is diagonal in the eigenbases of FᵀF = V diag(m) Vᵀ and
 * Σ̂ = U diag(μ) Uᵀ. Eliminating dG leaves a (d_y k)×(d_y k) Schur complement for dF:
 *   S[(a,b),(a',b')] = δ_{aa'} (Σ_z + λI)_{bb'} − Σ_i P_{ai} P_{a'i} K⁽ⁱ⁾_{bb'},
 *   P = F V,  Q = G U,  K⁽ⁱ⁾_{bb'} = Σ_j Q_{bj} Q_{b'j} μ_j² / (m_i μ_j + λ),
 * solved by float64 Cholesky; then dG = V[(Vᵀ g_G U − Pᵀ dF Q diag(μ)) ⊘ (m μᵀ + λ)] Uᵀ.
 * Cost: one d×d eigendecomposition, as Shampoo, in factored form. The test checks it against the dense JᵀJ solve.
 */
import { Mat, gram, axpy, slice, vstack } from '../mat.js';
import { cholSolve, eigSym, eigSymOperator, mm64 } from '../linalg.js';
import type { LinearParams } from '../models/linear.js';
import type { Optimizer } from './types.js';
import { num, validateOptions, type OptionSpecs } from './options.js';

export const GN_SPECS: OptionSpecs = {
  lr: num(0.5, 0), // η, step size
  damping: num(1e-3, 0, Infinity, { minOpen: true }), // λ > 0 added to JᵀJ/n
};
export interface GaussNewtonOptions { lr: number; damping: number; [k: string]: number | string | boolean }

/** The damped Gauss–Newton direction (dF, dG) for gradients (gF, gG) at (F, G) with input second moment Σ̂. */
export function gaussNewtonDirection(p: LinearParams, sigma: Mat, gF: Mat, gG: Mat, lambda: number): { F: Mat; G: Mat } {
  const { F, G } = p, dy = F.rows, k = F.cols, d = G.cols;
  // Σ̂'s eigenvectors U only ever multiply k-row matrices (G U, Vᵀg_G U, (…) Uᵀ): kept in factored form
  // (`eigSymOperator`), U is never formed, which saves most of a d×d eigendecomposition's time
  const es = eigSymOperator(sigma), ef = eigSym(mm64(F, F, true));
  const mu = es.values, m = ef.values, V = ef.vectors;
  const GU = es.times(vstack(G, mm64(V, gG, true))); // [G U; Vᵀ g_G U] in one pass
  const P = mm64(F, V), Q = slice(GU, 0, k); // d_y×k, k×d
  const Sz = mm64(Q, diagScaleCols(Q, mu), false, true); // Σ_z = G Σ̂ Gᵀ = Q diag(μ) Qᵀ
  // K⁽ⁱ⁾_{bb'} = Σ_j [(Q_bj Q_b'j μ_j) μ_j] / (m_i μ_j + λ) for each eigenvalue m_i of FᵀF, stored as
  // K[(b k + b') k + i]. The numerators (one per pair b ≤ b', independent of i) and the denominators (one
  // per i, j) are computed once, each by the same operations as in the sum written out, so the sums are
  // the same numbers.
  const Qd = Q.data, den = new Float64Array(k * d), num = new Float64Array(d), K = new Float64Array(k * k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < d; j++) den[i * d + j] = m[i] * mu[j] + lambda;
  for (let b = 0; b < k; b++) {
    for (let b2 = b; b2 < k; b2++) {
      for (let j = 0; j < d; j++) num[j] = Qd[b * d + j] * Qd[b2 * d + j] * mu[j] * mu[j];
      for (let i = 0; i < k; i++) {
        let s = 0;
        for (let j = 0, o = i * d; j < d; j++) s += num[j] / den[o + j];
        K[(b * k + b2) * k + i] = s; K[(b2 * k + b) * k + i] = s;
      }
    }
  }
  // S[(a,b),(a',b')] = δ_aa' (Σ_z + λI)_bb' − Σ_i (P_ai P_a'i) K⁽ⁱ⁾_bb', the products P_ai P_a'i once per (a, a', i)
  const nF = dy * k, S = new Mat(nF, nF), Pd = P.data, PP = new Float64Array(k);
  for (let a = 0; a < dy; a++) for (let a2 = 0; a2 < dy; a2++) {
    for (let i = 0; i < k; i++) PP[i] = Pd[a * k + i] * Pd[a2 * k + i];
    for (let b = 0; b < k; b++) {
      const row = (a * k + b) * nF + a2 * k;
      for (let b2 = 0; b2 < k; b2++) {
        let v = a === a2 ? Sz.data[b * k + b2] + (b === b2 ? lambda : 0) : 0;
        for (let i = 0, o = (b * k + b2) * k; i < k; i++) v -= PP[i] * K[o + i];
        S.data[row + b2] = v;
      }
    }
  }
  // right-hand side: g_F − P [(Vᵀ g_G U) ⊘ (m μᵀ + λ)] diag(μ) Qᵀ
  const Ghat = slice(GU, k, 2 * k); // Vᵀ g_G U, k×d
  const Dg = divideSpectrum(Ghat, m, mu, lambda);
  const rhs = axpy(-1, mm64(P, mm64(diagScaleCols(Dg, mu), Q, false, true)), gF);
  const dF = new Mat(dy, k, cholSolve(S, new Mat(nF, 1, rhs.data)).data);
  // dG = V [(Ĝ − Pᵀ dF Q diag(μ)) ⊘ (m μᵀ + λ)] Uᵀ
  const coupling = diagScaleCols(mm64(mm64(P, dF, true), Q), mu);
  const Dd = divideSpectrum(axpy(-1, coupling, Ghat), m, mu, lambda);
  const dG = es.timesT(mm64(V, Dd));
  return { F: dF, G: dG };
}


function diagScaleCols(a: Mat, s: Float64Array): Mat {
  const o = a.clone();
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) o.data[i * a.cols + j] *= s[j];
  return o;
}
function divideSpectrum(a: Mat, m: Float64Array, mu: Float64Array, lambda: number): Mat {
  const o = a.clone();
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) o.data[i * a.cols + j] /= m[i] * mu[j] + lambda;
  return o;
}

export function gaussNewton(options: Partial<GaussNewtonOptions> = {}): Optimizer<{ t: number }> {
  const o = validateOptions<GaussNewtonOptions>('gauss-newton', options, GN_SPECS);
  return {
    name: 'gauss-newton',
    options: o,
    init: () => ({ t: 0 }),
    step(p, batch, state, model) {
      if (model.batchNorm) throw new RangeError('gauss-newton: defined here for the plain linear network, not batch-norm');
      const g = model.grads(p, batch);
      const sigma = gram(batch.X, 1 / batch.X.rows);
      const dir = gaussNewtonDirection(p, sigma, g.F, g.G, o.damping);
      return { params: { F: axpy(-o.lr, dir.F, p.F), G: axpy(-o.lr, dir.G, p.G) }, state: { t: state.t + 1 }, loss: g.loss };
    },
  };
}
