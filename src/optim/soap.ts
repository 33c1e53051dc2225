/**
 * SOAP (Vyas et al. 2024, "SOAP: Improving and Stabilizing Shampoo using Adam"): Adam run in the
 * eigenbasis of Shampoo's factors. Semantics follow the authors' reference `soap.py`
 * (github.com/nikhilvyas/SOAP) for a 2-D weight, without `merge_dims`.
 *
 * For W ∈ ℝ^{m×n} with gradient g_t; β_s = `shampooBeta` (default β₂); Q_L, Q_R orthogonal with columns
 * the eigenvectors of L, R in descending eigenvalue order; all divisions and squares entry-wise:
 *
 * $$
 * \begin{aligned}
 * &\textbf{call 1 (no step):}\quad L = (1-\beta_s)\, g_1 g_1^\top,\ R = (1-\beta_s)\, g_1^\top g_1,\
 *   Q_L = \operatorname{eig}(L),\ Q_R = \operatorname{eig}(R),\ W \text{ unchanged}; \\
 * &\textbf{call } s + 1 \ (s = 1, 2, \dots),\ g = g_{s+1}: \\
 * &\quad M_s = \beta_1 M_{s-1} + (1-\beta_1)\, g \quad (\text{first moment, original coordinates}), \\
 * &\quad \tilde g = Q_L^\top g\, Q_R,\quad \tilde M = Q_L^\top M_s Q_R,\quad
 *   V_s = \beta_2 V_{s-1} + (1-\beta_2)\, \tilde g^{\,2} \quad (\text{second moment, rotated coordinates}), \\
 * &\quad N = Q_L \frac{\tilde M}{\sqrt{V_s} + \epsilon} Q_R^\top,\qquad
 *   \alpha_s = \eta\,\frac{\sqrt{1-\beta_2^s}}{1-\beta_1^s}\ (\alpha_s = \eta \text{ without bias correction}), \\
 * &\quad W' = W - \alpha_s N,\qquad W_{new} = (1 - \eta\lambda)\, W' \quad (\text{decoupled decay after the step}), \\
 * &\quad L \leftarrow \beta_s L + (1-\beta_s)\, g g^\top,\quad R \leftarrow \beta_s R + (1-\beta_s)\, g^\top g,\quad
 *   \text{if } s \equiv 0 \pmod f:\ \text{refresh } Q_L, Q_R .
 * \end{aligned}
 * $$
 *
 * Reference details kept: the first call only initialises the factors and basis (the step never uses
 * the current gradient in its own projection); the factors are updated *after* the step; ε is added
 * to √V before the bias correction, which is folded into the step size (so ε acts as ε/√(1−β₂^s) on
 * the Adam scale: with an identity basis SOAP equals Adam exactly when ε = 0); weight decay multiplies
 * the already-stepped weight. The reference stores the first moment in rotated coordinates and,
 * at every refresh, rotates it back with the old basis and forward with the new one; keeping it in
 * original coordinates (as here) and rotating each step is the same arithmetic. The second moment
 * is *not* rotated at a refresh: only its rows (left) / columns (right) are permuted so that old basis
 * vectors, sorted by their Rayleigh quotients under the new factor, line up with the new basis.
 *
 * Basis refresh (`basis`): `'eigh'` (default): float64 `eigSym` of the factor, descending (the exact
 * eigenbasis; the reference uses this for the initial basis); `'power-qr'`: the reference's refresh,
 * one power iteration from the sorted old basis followed by QR, Q ← qr(L Q_old[:, sort]); `'identity'`:
 * Q_L = I, Q_R = I forever, which makes SOAP Adam (delayed by the skipped first call). Axes longer than
 * `maxPrecondDim` are not rotated (as in the reference).
 *
 * As pieces: `scaleBySoap` is the direction α̃_s N with α̃_s = s_η √(1−β₂ˢ)/(1−β₁ˢ) (each factor a
 * Kronecker-factor block of `factor.ts`: lerp average from zero, eigenbasis refreshed every f steps);
 * lr-free with `stepSize` s_η = 1. The reference folds η into that bias-corrected step size and decays
 * the *stepped* weight, so the named `soap` is `chain(scaleBySoap({ stepSize: η }), decayStepped(η, λ))` (no decay on the
 * initialising first call),
 * the reference's arithmetic to the last bit; `chain(scaleBySoap(), scaleByLearningRate(η))` is the same
 * optimizer for λ = 0 up to rounding.
 */
import { Mat, matmulNT, matmulTN } from '../mat.js';
import { bool, layerwise, lrSpecs, num, oneOf, validateOptions, type LayerwiseState, type LrOptions, type OptionSpecs } from './layerwise.js';
import { averageFactor, eigenbasis, refreshBasis, rotateIn, rotateOut, type FactorAverage } from './factor.js';
import { around, shapeCheck, stateless } from './transform.js';
import type { MatrixTransform, Optimizer } from './types.js';

export type SoapBasis = 'eigh' | 'power-qr' | 'identity';
export interface SoapTransformOptions {
  /** Step size η (default 3e-3, the reference's). */
  lr?: number;
  /** Adam's β₁ ∈ [0, 1) (default 0.95, the reference's). */
  beta1?: number;
  /** Adam's β₂ ∈ [0, 1) (default 0.95, the reference's). */
  beta2?: number;
  /** Factor moving-average β_s ∈ [0, 1) (default: β₂, as the reference's shampoo_beta = −1). */
  shampooBeta?: number;
  /** ε ≥ 0 added to √V (default 1e-8). */
  eps?: number;
  /** Decoupled weight decay λ ≥ 0, applied after the step (default 0.01, the reference's). */
  weightDecay?: number;
  /** Refresh the basis every f Adam steps (integer ≥ 1, default 10). */
  precondFrequency?: number;
  /** How the basis is refreshed (default 'eigh'). */
  basis?: SoapBasis;
  /** Adam bias correction (default true). */
  correctBias?: boolean;
  /** Divide the direction N by its root-mean-square entry (default false). */
  normalizeGrads?: boolean;
  /** Axes longer than this are left unrotated (integer ≥ 0, default 10000). */
  maxPrecondDim?: number;
}
export type SoapOptions = SoapTransformOptions & LrOptions;

const LR_DEFAULT = 3e-3;
const SPECS: OptionSpecs = {
  beta1: num(0.95, 0, 1, { maxOpen: true }),
  beta2: num(0.95, 0, 1, { maxOpen: true }),
  shampooBeta: num(undefined, 0, 1, { maxOpen: true }),
  eps: num(1e-8, 0),
  weightDecay: num(0.01, 0),
  precondFrequency: num(10, 1, Infinity, { integer: true }),
  basis: oneOf(['eigh', 'power-qr', 'identity'], 'eigh'),
  correctBias: bool(true),
  normalizeGrads: bool(false),
  maxPrecondDim: num(10000, 0, Infinity, { integer: true }),
};

function resolve(name: string, options: object, specs: OptionSpecs): Record<string, number | string | boolean> {
  const o = validateOptions<Record<string, number | string | boolean>>(name, options, specs);
  return o.shampooBeta !== undefined ? o : Object.freeze({ ...o, shampooBeta: o.beta2 });
}

export interface SoapState {
  /** Whether the initialising first call has happened. */
  started: boolean;
  /** Shampoo factors L (m×m), R (n×n); null for an axis that is not rotated. */
  L: Mat | null;
  R: Mat | null;
  /** Current bases (orthogonal, columns = eigenvectors, descending); null = identity on that axis. */
  QL: Mat | null;
  QR: Mat | null;
  /** First moment in original coordinates. */
  M: Mat;
  /** Second moment in the rotated coordinates of (QL, QR). */
  V: Mat;
  /** Adam steps taken (the first call does not count). */
  step: number;
}

/** Eigenvectors of a symmetric matrix as columns, eigenvalues descending (float64): `factor.eigenbasis`. */
export const eigBasisDesc = eigenbasis;

/** Options of the SOAP piece (the reference's, less the step size and weight decay). */
export interface ScaleBySoapOptions {
  beta1?: number; beta2?: number; shampooBeta?: number; eps?: number; precondFrequency?: number;
  basis?: SoapBasis; correctBias?: boolean; normalizeGrads?: boolean; maxPrecondDim?: number;
  /** s_η multiplying the bias correction inside α̃_s, as the reference's step size (default 1: lr-free). */
  stepSize?: number;
}

/** SOAP's direction α̃_s N (zero on the first call, which only initialises the factors and bases). */
export function scaleBySoap(o: ScaleBySoapOptions = {}): MatrixTransform<SoapState> {
  const b1 = o.beta1 ?? 0.95, b2 = o.beta2 ?? 0.95, sb = o.shampooBeta ?? b2;
  const eps = o.eps ?? 1e-8, freq = o.precondFrequency ?? 10, lr = o.stepSize ?? 1;
  const basis = o.basis ?? 'eigh', correctBias = o.correctBias ?? true, normalize = o.normalizeGrads ?? false;
  const maxDim = o.maxPrecondDim ?? 10000;
  const average: FactorAverage = { kind: 'ema', decay: sb, start: 'zero', arithmetic: 'lerp' };
  const rotL = (w: Mat) => basis !== 'identity' && w.rows <= maxDim;
  const rotR = (w: Mat) => basis !== 'identity' && w.cols <= maxDim;
  return {
    init: (w) => ({
      started: false, L: null, R: null, QL: null, QR: null,
      M: new Mat(w.rows, w.cols), V: new Mat(w.rows, w.cols), step: 0,
    }),
    update(g, state, w) {
      if (state.M.rows !== g.rows || state.M.cols !== g.cols) {
        throw new RangeError(`soap: state is for a ${state.M.rows}x${state.M.cols} matrix, gradient is ${g.rows}x${g.cols}`);
      }
      const left = rotL(w), right = rotR(w);
      if (!state.started) {
        const L = left ? averageFactor(null, matmulNT(g, g), average) : null;
        const R = right ? averageFactor(null, matmulTN(g, g), average) : null;
        return {
          u: new Mat(g.rows, g.cols),
          state: { ...state, started: true, L, R, QL: L && eigenbasis(L), QR: R && eigenbasis(R) },
        };
      }
      const { QL, QR } = state;
      const step = state.step + 1;
      // Adam in the rotated basis.
      const M = lerp(state.M, g, 1 - b1);
      const gp = rotateIn(g, QL, QR), mp = rotateIn(M, QL, QR);
      const V = new Mat(g.rows, g.cols), dir = new Mat(g.rows, g.cols);
      for (let i = 0; i < V.data.length; i++) {
        const vi = b2 * state.V.data[i] + (1 - b2) * gp.data[i] * gp.data[i];
        V.data[i] = vi;
        dir.data[i] = mp.data[i] / (Math.sqrt(vi) + eps);
      }
      const N = rotateOut(dir, QL, QR);
      if (normalize) {
        let ss = 0;
        for (const x of N.data) ss += x * x;
        const s = 1 / (1e-30 + Math.sqrt(ss / N.data.length));
        for (let i = 0; i < N.data.length; i++) N.data[i] *= s;
      }
      const alpha = correctBias ? (lr * Math.sqrt(1 - b2 ** step)) / (1 - b1 ** step) : lr;
      const u = new Mat(g.rows, g.cols);
      for (let i = 0; i < u.data.length; i++) u.data[i] = alpha * N.data[i];
      // Factor update after the step, then a basis refresh every `freq` Adam steps.
      const L = left ? averageFactor(state.L, matmulNT(g, g), average) : null;
      const R = right ? averageFactor(state.R, matmulTN(g, g), average) : null;
      let nQL = QL, nQR = QR, nV = V;
      if (step % freq === 0 && basis !== 'identity') {
        const mode = basis as 'eigh' | 'power-qr';
        if (L && QL) {
          const r = refreshBasis(L, QL, mode);
          nQL = r.Q;
          nV = permuteRows(nV, r.order);
        }
        if (R && QR) {
          const r = refreshBasis(R, QR, mode);
          nQR = r.Q;
          nV = permuteCols(nV, r.order);
        }
      }
      return { u, state: { started: true, L, R, QL: nQL, QR: nQR, M, V: nV, step } };
    },
  };
}

function lerp(prev: Mat | null, target: Mat, w: number): Mat {
  // prev + w (target − prev), prev = 0 when null (torch lerp_ semantics)
  const out = new Mat(target.rows, target.cols), o = out.data, t = target.data, p = prev?.data;
  for (let i = 0; i < o.length; i++) { const a = p ? p[i] : 0; o[i] = a + w * (t[i] - a); }
  return out;
}

/**
 * The reference's decoupled decay of the stepped weight: W' = W − u, W'' = (1 − ηλ) W' (evaluated as
 * W' − ηλ W'), and the update becomes W − W''. Needs η: the decay multiplies the step.
 */
export const decayStepped = (lr: number, wd: number): MatrixTransform<null> => stateless((u, w) => {
  const out = new Mat(u.rows, u.cols);
  for (let i = 0; i < out.data.length; i++) {
    const w1 = w.data[i] - u.data[i];
    const w2 = wd > 0 ? w1 - lr * wd * w1 : w1;
    out.data[i] = w.data[i] - w2;
  }
  return out;
});

function soapCore(o: Record<string, number | string | boolean>): MatrixTransform<SoapState> {
  const lr = o.lr as number;
  const head = scaleBySoap({
    beta1: o.beta1 as number, beta2: o.beta2 as number, shampooBeta: o.shampooBeta as number, eps: o.eps as number,
    precondFrequency: o.precondFrequency as number, basis: o.basis as SoapBasis, correctBias: o.correctBias as boolean,
    normalizeGrads: o.normalizeGrads as boolean, maxPrecondDim: o.maxPrecondDim as number, stepSize: lr,
  });
  const decay = decayStepped(lr, o.weightDecay as number), checked = around([shapeCheck('soap')], head);
  return {
    init: checked.init,
    update(g, state, w, t) {
      const r = checked.update(g, state, w, t);
      // the first call only initialises: no step, hence no decay of the stepped weight
      return state.started ? { u: decay.update(r.u, null, w, t).u, state: r.state } : r;
    },
  };
}

function permuteRows(a: Mat, order: number[]): Mat {
  const out = new Mat(a.rows, a.cols);
  for (let i = 0; i < a.rows; i++) out.data.set(a.data.subarray(order[i] * a.cols, (order[i] + 1) * a.cols), i * a.cols);
  return out;
}
function permuteCols(a: Mat, order: number[]): Mat {
  const out = new Mat(a.rows, a.cols);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out.data[i * a.cols + j] = a.data[i * a.cols + order[j]];
  return out;
}

/** The SOAP `MatrixTransform`. */
export function soapTransform(options: SoapTransformOptions = {}): MatrixTransform<SoapState> {
  return soapCore(resolve('soap', options, { lr: num(LR_DEFAULT, 0), ...SPECS }));
}

/**
 * SOAP on (F, G), layer-wise. Options (defaults, the reference's): lr 3e-3, lrF/lrG (= lr), beta1 0.95,
 * beta2 0.95, shampooBeta (= beta2), eps 1e-8, weightDecay 0.01, precondFrequency 10, basis 'eigh',
 * correctBias true, normalizeGrads false, maxPrecondDim 10000.
 */
export function soap(options: SoapOptions = {}): Optimizer<LayerwiseState<SoapState, SoapState>> {
  const o = resolve('soap', options, { ...lrSpecs(LR_DEFAULT), ...SPECS });
  return layerwise('soap', (lr) => soapCore({ ...o, lr }), o) as Optimizer<LayerwiseState<SoapState, SoapState>>;
}
