/**
 * Muon (Jordan et al. 2024, "MomentUm Orthogonalized by Newton–Schulz"): SGD momentum, then the
 * update is replaced by the orthogonal polar factor of the momentum. Semantics follow the reference
 * `muon.py` (github.com/KellerJordan/Muon, `muon_update` and `SingleDeviceMuon`).
 *
 * For W ∈ ℝ^{m×n} with gradient g_t, momentum β, step size η and decoupled decay λ:
 *
 * $$
 * \begin{aligned}
 * b_t &= \beta\, b_{t-1} + (1-\beta)\, g_t, \qquad b_0 = 0, \\
 * d_t &= \begin{cases} (1-\beta)\, g_t + \beta\, b_t & \text{Nesterov (default)} \\ b_t & \text{otherwise} \end{cases}, \\
 * O_t &= \operatorname{polar}(d_t) = U V^\top \quad\text{for } d_t = U S V^\top \text{ (thin SVD)}, \\
 * W_t &= (1 - \eta\lambda)\, W_{t-1} - \eta\, c_{m,n}\, O_t, \qquad c_{m,n} = \sqrt{\max(1, m/n)} .
 * \end{aligned}
 * $$
 *
 * The polar factor is scale-free, so the reference's interpolation form of the momentum (lerp) and
 * torch-SGD's sum form (b ← βb + g) give the same O_t. O_t has every non-zero singular value equal
 * to 1: it is the steepest-descent direction under the spectral norm.
 *
 * `orthogonalizer` chooses how O_t is computed, always in float64, from X₀ = d/‖d‖_F (transposed
 * when m > n, so the Gram matrix X Xᵀ is the smaller one):
 * - `'cubic'` (default, `nsSteps` 30): X ← (3/2) X − (1/2) X Xᵀ X (`linalg.newtonSchulz`). Each
 *   singular value follows σ ← (3σ − σ³)/2, which converges to 1 from (0, √3) — quadratically near 1,
 *   by a factor 3/2 per step when small — so 30 steps reach the polar factor to round-off whenever
 *   σ_min/‖d‖_F ≳ 1e-3, while round-off-sized singular values (null directions) stay below ~1e-10.
 * - `'quintic'` (the reference, `nsSteps` 5): X ← aX + (bA + cA²)X with A = X Xᵀ and
 *   (a, b, c) = (3.4445, −4.7750, 2.0315). Each singular value follows φ(σ) = aσ + bσ³ + cσ⁵; the
 *   coefficients maximise φ′(0) and the result is only approximately orthogonal (singular values
 *   roughly in [0.7, 1.2] after 5 steps). The reference also divides by ‖d‖_F + 1e-7 and runs in
 *   bfloat16; here the division is by ‖d‖_F exactly, in float64.
 * - `'svd'`: U Vᵀ from a float64 SVD, singular values below max(m, n)·2⁻⁵²·σ_max treated as 0.
 *
 * `scale` chooses c_{m,n}: `'reference'` (default) √max(1, m/n), as in `muon.py`; `'spectral'` √(m/n)
 * (fan-out/fan-in, Bernstein & Newhouse); `'none'` 1.
 */
import { Mat, transpose } from '../mat.js';
import { mm64, newtonSchulz, svd } from '../linalg.js';
import { bool, layerwise, lrSpecs, num, oneOf, validateOptions, type LayerwiseState, type LrOptions, type OptionSpecs } from './layerwise.js';
import { addDecayedWeights, around, scale, scaleByLearningRate, shapeCheck, stateless } from './transform.js';
import { trace } from './sgd.js';
import type { MatrixTransform, Optimizer } from './types.js';

export type Orthogonalizer = 'cubic' | 'quintic' | 'svd';
export type MuonScale = 'reference' | 'spectral' | 'none';
export interface MuonTransformOptions {
  /** Step size η (default 0.02, the reference's). */
  lr?: number;
  /** Momentum β ∈ [0, 1) (default 0.95). */
  momentum?: number;
  /** Nesterov momentum (default true, the reference's). */
  nesterov?: boolean;
  /** How the polar factor is computed (default 'cubic'). */
  orthogonalizer?: Orthogonalizer;
  /** Newton–Schulz iterations (integer ≥ 0; default 30 for 'cubic', 5 for 'quintic'; unused by 'svd'). */
  nsSteps?: number;
  /** Shape factor c_{m,n} (default 'reference' = √max(1, m/n)). */
  scale?: MuonScale;
  /** Decoupled weight decay λ ≥ 0 (default 0). */
  weightDecay?: number;
}
export type MuonOptions = MuonTransformOptions & LrOptions;

const LR_DEFAULT = 0.02;
const SPECS: OptionSpecs = {
  momentum: num(0.95, 0, 1, { maxOpen: true }),
  nesterov: bool(true),
  orthogonalizer: oneOf(['cubic', 'quintic', 'svd'], 'cubic'),
  nsSteps: num(undefined, 0, Infinity, { integer: true }),
  scale: oneOf(['reference', 'spectral', 'none'], 'reference'),
  weightDecay: num(0, 0),
};

/** Quintic Newton–Schulz coefficients of the reference (a, b, c). */
export const QUINTIC_COEFFS = [3.4445, -4.775, 2.0315] as const;

function resolve(name: string, options: object, specs: OptionSpecs): Record<string, number | string | boolean> {
  const o = validateOptions<Record<string, number | string | boolean>>(name, options, specs);
  if (o.nsSteps !== undefined || o.orthogonalizer === 'svd') return o;
  return Object.freeze({ ...o, nsSteps: o.orthogonalizer === 'quintic' ? 5 : 30 });
}

/** Quintic Newton–Schulz as in the reference, in float64: `steps` iterations from X₀ = A/‖A‖_F. */
export function newtonSchulzQuintic(a: Mat, steps = 5): Mat {
  const [ca, cb, cc] = QUINTIC_COEFFS;
  let norm = 0;
  for (let i = 0, x = a.data; i < x.length; i++) norm += x[i] * x[i];
  norm = Math.sqrt(norm);
  if (norm === 0) return new Mat(a.rows, a.cols);
  const tall = a.rows > a.cols;
  let X = tall ? transpose(a) : a.clone();
  for (let i = 0; i < X.data.length; i++) X.data[i] /= norm;
  for (let it = 0; it < steps; it++) {
    const A = mm64(X, X, false, true);
    const AA = mm64(A, A);
    const B = new Mat(A.rows, A.cols);
    for (let i = 0; i < B.data.length; i++) B.data[i] = cb * A.data[i] + cc * AA.data[i];
    const BX = mm64(B, X);
    const next = new Mat(X.rows, X.cols);
    for (let i = 0; i < next.data.length; i++) next.data[i] = ca * X.data[i] + BX.data[i];
    X = next;
  }
  return tall ? transpose(X) : X;
}

/** Polar factor U Vᵀ by float64 SVD; singular values ≤ max(m, n)·2⁻⁵²·σ_max count as zero. */
export function polarSvd(a: Mat): Mat {
  const { U, s, V } = svd(a);
  const cut = Math.max(a.rows, a.cols) * 2 ** -52 * (s[0] ?? 0);
  const r = s.length, m = a.rows, n = a.cols, out = new Mat(m, n);
  for (let p = 0; p < r; p++) {
    if (!(s[p] > cut)) continue;
    for (let i = 0; i < m; i++) {
      const uip = U.data[i * U.cols + p];
      if (uip === 0) continue;
      for (let j = 0; j < n; j++) out.data[i * n + j] += uip * V.data[j * V.cols + p];
    }
  }
  return out;
}

/** The orthogonalisation step of Muon with the given method. */
export function orthogonalize(d: Mat, method: Orthogonalizer, steps?: number): Mat {
  if (method === 'svd') return polarSvd(d);
  if (method === 'quintic') return newtonSchulzQuintic(d, steps ?? 5);
  let zero = true;
  for (let i = 0, x = d.data; i < x.length; i++) if (x[i] !== 0) { zero = false; break; }
  if (zero) return new Mat(d.rows, d.cols);
  return newtonSchulz(d, steps ?? 30);
}

export function muonScale(rows: number, cols: number, scale: MuonScale): number {
  if (scale === 'none') return 1;
  if (scale === 'spectral') return Math.sqrt(rows / cols);
  return Math.sqrt(Math.max(1, rows / cols));
}

export interface MuonState { buf: Mat }

/** u ↦ polar(u) = U Vᵀ (lr-free; `orthogonalize` with the given method and iterations). */
export const scaleByPolar = (o: { orthogonalizer?: Orthogonalizer; nsSteps?: number } = {}): MatrixTransform<null> =>
  stateless((u) => orthogonalize(u, o.orthogonalizer ?? 'cubic', o.nsSteps));

/** u ↦ c_{m,n} u for an m×n weight (`muonScale`). */
export const scaleByShape = (kind: MuonScale): MatrixTransform<null> =>
  stateless((u, w) => scale(muonScale(w.rows, w.cols, kind)).update(u, null, w, 0).u);

/**
 * Muon per matrix: `chain(trace(β, ema, nesterov), scaleByPolar, scaleByShape, addDecayedWeights(λ),
 * scaleByLearningRate(η))`, i.e. u = η (c_{m,n} O_t + λ W).
 */
function muonCore(o: Record<string, number | string | boolean>): MatrixTransform<MuonState> {
  const mom = trace({ momentum: o.momentum as number, nesterov: o.nesterov as boolean, form: 'ema' });
  const head: MatrixTransform<MuonState> = {
    init: (w) => mom.init(w) as MuonState,
    update: (g, s, w, t) => {
      if (s.buf.rows !== g.rows || s.buf.cols !== g.cols) {
        throw new RangeError(`muon: state is for a ${s.buf.rows}x${s.buf.cols} matrix, gradient is ${g.rows}x${g.cols}`);
      }
      return mom.update(g, s, w, t) as { u: Mat; state: MuonState };
    },
  };
  return around([shapeCheck('muon')], head, [
    scaleByPolar({ orthogonalizer: o.orthogonalizer as Orthogonalizer, nsSteps: o.nsSteps as number | undefined }),
    scaleByShape(o.scale as MuonScale), addDecayedWeights(o.weightDecay as number), scaleByLearningRate(o.lr as number),
  ]);
}

/** The Muon `MatrixTransform`. */
export function muonTransform(options: MuonTransformOptions = {}): MatrixTransform<MuonState> {
  return muonCore(resolve('muon', options, { lr: num(LR_DEFAULT, 0), ...SPECS }));
}

/**
 * Muon on (F, G), layer-wise. Options (defaults): lr 0.02, lrF/lrG (= lr), momentum 0.95, nesterov true,
 * orthogonalizer 'cubic', nsSteps 30 ('cubic') / 5 ('quintic'), scale 'reference', weightDecay 0.
 */
export function muon(options: MuonOptions = {}): Optimizer<LayerwiseState<MuonState, MuonState>> {
  const o = resolve('muon', options, { ...lrSpecs(LR_DEFAULT), ...SPECS });
  return layerwise('muon', (lr) => muonCore({ ...o, lr }), o) as Optimizer<LayerwiseState<MuonState, MuonState>>;
}
