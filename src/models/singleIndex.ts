/**
 * Model B student: the two-layer network f(x) = aᵀσ(W x)/√N trained by one full-batch gradient step
 * on W followed by ridge regression of the second layer (Ba et al. 2022; Moniri et al. 2024; DIGEST,
 * "Model B").
 *
 * Conventions.
 * - W (N×d), rows of W₀ i.i.d. N(0, I_d/d). a (length N) fixed during the step: a_i = ±1/√N (uniform
 *   signs, the default) or N(0, 1/N). With these scales f = O(1/√N) at initialisation, ||a|| ≈ 1 and
 *   ||∇_W L̂||_op = O(1/√N), so the step size η = Θ(√N) of the DIGEST makes the step's rank-one spike
 *   comparable in operator norm with W₀.
 * - Loss on a batch (X n×d, y length n): L̂ = Σ_k (y_k − f(x_k))² / (2n). With Z = X Wᵀ (n×N),
 *   r = y − f(X), M_ki = r_k a_i σ'(Z_ki):  ∇_W L̂ = −Mᵀ X / (n√N).
 * - Steps: plain W₁ = W₀ − η ∇; preconditioned W₁ = W₀ − η ∇ (Σ̂ + λI)^{-1} with Σ̂ = XᵀX/n (float64
 *   Cholesky; λ = 0 needs n ≥ d); Adam's first step W₁ = W₀ − η g/(|g| + ε) entry-wise, which is
 *   η·sign(g) for ε = 0 (bias-corrected first step: m̂ = g, v̂ = g², whatever β₁, β₂; B5).
 * - Batch-norm variant (`batchNorm: true`): f(x) = aᵀσ(BN(W x))/√N, BN standardising each hidden
 *   pre-activation with the batch mean and variance (variance + `bnEps`, no affine part), gradients
 *   through the batch statistics. After `fitSecondLayer` the statistics of the ridge batch are frozen
 *   into the network (`bnStats`) and used for prediction on any later data (inference mode).
 * - Spike: W₁ − W₀ ≈ (rank one) + bulk; the rank-one term's right vector is h = Xᵀy/n for the plain step,
 *   (Σ̂ + λI)^{-1} h preconditioned, sign(h) for Adam, (diag Σ̂ + λ)^{-1} h for a diagonal (input
 *   feature-standardising) preconditioner (`spikeVector`); and the top right singular vector of W₁ − W₀
 *   (`topRightSingularVector`).
 * - Second layer: ridge on the features Φ = σ(X W₁ᵀ)/√N: a = argmin (1/n)||y − Φa||² + ρ||a||², solved
 *   by float64 normal equations (`linalg.lstsq` with ridge nρ). Test error: mean squared error on fresh
 *   data (noise included).
 */
import { Mat, matmul } from '../mat.js';
import { reluGradientModule } from '../backend.js';
import { reluGradient } from '../kernels32.js';
import { cholSolve, eigSym, lstsq, mm64 } from '../linalg.js';
import type { Rng } from '../rng.js';
import { secondMoment } from '../data/inputs.js';
import { type SingleIndexTeacher, sampleSingleIndex } from '../data/teachers.js';
import { checkInt, checkReal, checkFiniteArray, checkKeys, checkDim, checkOneOf, checkBool } from '../validate.js';
import { applyUpdates, chain, frozen, route, scaleByLearningRate, type MatrixTransform } from '../optim/transform.js';
import { factorInit, preconditionByFactors, stepFactor } from '../optim/factor.js';
import { scaleByAdam } from '../optim/adam.js';

export type Activation = 'relu' | 'tanh' | 'softplus' | 'linear';
export const ACTIVATIONS: readonly Activation[] = ['relu', 'tanh', 'softplus', 'linear'];

/** σ and σ' (σ'(0) = 0 for relu). */
export function activationFns(act: Activation): { f: (x: number) => number; df: (x: number) => number } {
  switch (act) {
    case 'relu': return { f: (x) => (x > 0 ? x : 0), df: (x) => (x > 0 ? 1 : 0) };
    case 'tanh': return { f: Math.tanh, df: (x) => { const t = Math.tanh(x); return 1 - t * t; } };
    case 'softplus': return {
      f: (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))),
      df: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
    };
    case 'linear': return { f: (x) => x, df: () => 1 };
    default: throw new RangeError(`activation must be one of ${ACTIVATIONS.join(', ')}, got '${String(act)}'`);
  }
}

export interface BnStats { mean: Float64Array; std: Float64Array }

export interface SingleIndexNet {
  /** N×d first layer. */
  readonly W: Mat;
  /** Second layer, length N. */
  readonly a: Float64Array;
  readonly activation: Activation;
  readonly batchNorm: boolean;
  /** BN only: ε added to the batch variance. */
  readonly bnEps: number;
  /** BN only: frozen statistics (inference mode); null: statistics of each batch passed in. */
  readonly bnStats: BnStats | null;
}

export interface InitOptions {
  activation?: Activation;
  /** 'rademacher' (a_i = ±1/√N, default) or 'gaussian' (a_i ~ N(0, 1/N)). */
  secondLayer?: 'rademacher' | 'gaussian';
  batchNorm?: boolean;
  bnEps?: number;
}

/** W₀ (rows N(0, I/d)) then a, drawn in that order from `rng`. */
export function initSingleIndexNet(d: number, N: number, rng: Rng, o: InitOptions = {}): SingleIndexNet {
  checkKeys('initSingleIndexNet', 'options', o, ['activation', 'secondLayer', 'batchNorm', 'bnEps']);
  checkDim('initSingleIndexNet', 'd', d, 1);
  checkDim('initSingleIndexNet', 'N', N, 1, 1 << 20);
  if (o.batchNorm !== undefined) checkBool('initSingleIndexNet', 'batchNorm', o.batchNorm);
  const activation = o.activation ?? 'relu';
  activationFns(activation);
  const bnEps = o.bnEps ?? 1e-5;
  checkReal('initSingleIndexNet', 'bnEps', bnEps, { min: 0 });
  const W = rng.normalMat(N, d, 1 / Math.sqrt(d));
  const a = new Float64Array(N), s = 1 / Math.sqrt(N), kind = o.secondLayer ?? 'rademacher';
  if (kind === 'rademacher') { rng.fillRademacher(a); for (let i = 0; i < N; i++) a[i] *= s; }
  else if (kind === 'gaussian') { rng.fillNormal(a); for (let i = 0; i < N; i++) a[i] *= s; }
  else throw new RangeError(`initSingleIndexNet: secondLayer must be 'rademacher' or 'gaussian', got '${String(kind)}'`);
  return { W, a, activation, batchNorm: !!o.batchNorm, bnEps, bnStats: null };
}

function checkData(fn: string, net: SingleIndexNet, X: Mat, y?: ArrayLike<number>): void {
  if (X.cols !== net.W.cols) throw new RangeError(`${fn}: X has ${X.cols} columns, W expects d = ${net.W.cols}`);
  if (X.rows < 1) throw new RangeError(`${fn}: X must have at least one row`);
  if (net.a.length !== net.W.rows) throw new RangeError(`${fn}: a has length ${net.a.length}, W has N = ${net.W.rows} rows`);
  if (y !== undefined) {
    if (y.length !== X.rows) throw new RangeError(`${fn}: y has length ${y.length}, X has ${X.rows} rows`);
    checkFiniteArray(fn, 'y', y);
  }
}

/** Per-unit mean and std (√(var + ε)) of pre-activations Z (n×N). */
export function bnStatistics(Z: Mat, eps: number): BnStats {
  const n = Z.rows, N = Z.cols, z = Z.data;
  const mean = new Float64Array(N), std = new Float64Array(N);
  for (let k = 0; k < n; k++) for (let i = 0; i < N; i++) mean[i] += z[k * N + i];
  for (let i = 0; i < N; i++) mean[i] /= n;
  for (let k = 0; k < n; k++) for (let i = 0; i < N; i++) { const c = z[k * N + i] - mean[i]; std[i] += c * c; }
  for (let i = 0; i < N; i++) std[i] = Math.sqrt(std[i] / n + eps);
  return { mean, std };
}

/** Pre-activations U (n×N): X Wᵀ, batch-normalised for BN nets. */
export function preactivations(net: SingleIndexNet, X: Mat, stats?: BnStats, out?: Mat): { U: Mat; stats: BnStats | null } {
  checkData('preactivations', net, X);
  const Z = matmul(X, net.W, { transB: true, out });
  if (!net.batchNorm) return { U: Z, stats: null };
  const st = stats ?? net.bnStats ?? bnStatistics(Z, net.bnEps);
  const N = Z.cols, z = Z.data;
  for (let k = 0; k < Z.rows; k++) for (let i = 0; i < N; i++) z[k * N + i] = (z[k * N + i] - st.mean[i]) / st.std[i];
  return { U: Z, stats: st };
}

/** Features Φ = σ(U)/√N (n×N). */
export function features(net: SingleIndexNet, X: Mat, stats?: BnStats): Mat {
  const { U } = preactivations(net, X, stats);
  const { f } = activationFns(net.activation), s = 1 / Math.sqrt(net.W.rows), u = U.data;
  for (let i = 0; i < u.length; i++) u[i] = s * f(u[i]);
  return U;
}

/** f(X) = Φ a (length n). */
export function predict(net: SingleIndexNet, X: Mat): Float64Array {
  const P = features(net, X), N = P.cols, p = P.data, out = new Float64Array(X.rows);
  for (let k = 0; k < X.rows; k++) { let s = 0; for (let i = 0; i < N; i++) s += p[k * N + i] * net.a[i]; out[k] = s; }
  return out;
}

/** Mean squared error (1/n) Σ (y − f(x))² (test error). */
export function testError(net: SingleIndexNet, X: Mat, y: ArrayLike<number>): number {
  checkData('testError', net, X, y);
  const f = predict(net, X);
  let s = 0;
  for (let k = 0; k < f.length; k++) s += (y[k] - f[k]) ** 2;
  return s / f.length;
}

export interface GradResult { grad: Mat; loss: number; residual: Float64Array }

/** gradientW's n×N workspace (grown, never shrunk; a sweep worker keeps one). */
let gradScratch = new Float64Array(0);

/**
 * ∇_W L̂ at (W, a) on (X, y), L̂ = Σ (y − f)²/(2n). For BN nets the batch statistics of X are used
 * (training mode) and differentiated through, unless the net has frozen `bnStats`.
 */
export function gradientW(net: SingleIndexNet, X: Mat, y: ArrayLike<number>): GradResult {
  checkData('gradientW', net, X, y);
  const n = X.rows, N = net.W.rows, a = net.a;
  if (net.activation === 'relu' && !net.batchNorm) {
    // both products and the loop between them in one WebAssembly module, the same bits (kernels32.ts)
    const w = reluGradientModule(n, X.cols, N);
    if (w) {
      const r = new Float64Array(n), sN = 1 / Math.sqrt(N);
      const grad = new Mat(N, X.cols, reluGradient(w, X.data, n, X.cols, net.W.data, N, a, y, sN, -sN / n, r));
      let loss = 0;
      for (let k = 0; k < n; k++) loss += r[k] * r[k];
      return { grad, loss: loss / (2 * n), residual: r };
    }
  }
  const train = net.batchNorm && net.bnStats === null;
  // U (n×N) lives in a workspace reused from call to call, and G overwrites it row by row unless
  // batch-norm training needs U after G: no new n×N arrays per step (each costs a page fault per 4 KiB).
  if (gradScratch.length < n * N) gradScratch = new Float64Array(n * N);
  const { U, stats } = preactivations(net, X, undefined, new Mat(n, N, gradScratch.subarray(0, n * N)));
  const { f, df } = activationFns(net.activation), u = U.data, sN = 1 / Math.sqrt(N);
  const r = new Float64Array(n);
  const relu = net.activation === 'relu'; // the same arithmetic with σ, σ' inlined (σ'(x) = +(x > 0))
  // Row by row, while row k of U is in cache: the residual r_k = y_k − f(x_k), then row k of
  // G_ki = dL̂/dU_ki = −r_k a_i σ'(U_ki)/(n√N) (one pass over U instead of two; the same operations)
  const G = train ? new Mat(n, N) : U, g = G.data, c = -sN / n;
  let loss = 0;
  for (let k = 0; k < n; k++) {
    const o = k * N;
    let s = 0;
    if (relu) for (let i = 0; i < N; i++) { const x = u[o + i]; s += a[i] * (x > 0 ? x : 0); }
    else for (let i = 0; i < N; i++) s += a[i] * f(u[o + i]);
    r[k] = y[k] - sN * s;
    loss += r[k] * r[k];
    if (relu) { const cr = c * r[k]; for (let i = 0; i < N; i++) g[o + i] = cr * a[i] * +(u[o + i] > 0); }
    else for (let i = 0; i < N; i++) g[o + i] = c * r[k] * a[i] * df(u[o + i]);
  }
  loss /= 2 * n;
  if (net.batchNorm && stats) {
    if (train) {
      // dL/dZ_ki = (G_ki − mean_k G_ki − U_ki mean_k(G_ki U_ki)) / std_i
      const mg = new Float64Array(N), mgu = new Float64Array(N);
      for (let k = 0; k < n; k++) for (let i = 0; i < N; i++) { mg[i] += g[k * N + i]; mgu[i] += g[k * N + i] * u[k * N + i]; }
      for (let i = 0; i < N; i++) { mg[i] /= n; mgu[i] /= n; }
      for (let k = 0; k < n; k++) for (let i = 0; i < N; i++) g[k * N + i] = (g[k * N + i] - mg[i] - u[k * N + i] * mgu[i]) / stats.std[i];
    } else {
      for (let k = 0; k < n; k++) for (let i = 0; i < N; i++) g[k * N + i] /= stats.std[i];
    }
  }
  return { grad: matmul(G, X, { transA: true }), loss, residual: r };
}

export type StepKind = 'plain' | 'preconditioned' | 'adam';
export interface StepOptions {
  eta: number;
  /** Preconditioned step: damping λ ≥ 0 of (Σ̂ + λI)^{-1} (default 0, needs n ≥ d). */
  lambda?: number;
  /** Adam: ε of g/(|g| + ε) (default 0: exactly sign(g)). */
  eps?: number;
}
export interface StepResult { net: SingleIndexNet; grad: Mat; update: Mat; loss: number }

function withW(net: SingleIndexNet, W: Mat): SingleIndexNet { return { ...net, W }; }

/**
 * Model B's step kinds as members of the optimizer family (`optim/transform.ts`), step size included:
 * - `'plain'`: `scaleByLearningRate(η)`, U = η g;
 * - `'preconditioned'`: the input-side Kronecker-factor block of KFAC (`optim/factor.ts`, estimate
 *   Σ̂ = XᵀX/n, power −1 with damping λ, Cholesky), then η: U = η g (Σ̂ + λI)^{-1};
 * - `'adam'`: Adam's first step, `chain(scaleByAdam({ β₁: 0, β₂: 0, ε }), scaleByLearningRate(η))`:
 *   U = η g/(|g| + ε). On a first step Adam's direction is g/(|g| + ε) whatever β₁, β₂ (m̂ = g,
 *   v̂ = g²); β = 0 makes that exact in floating point, so ε = 0 gives η·sign(g) to the last bit.
 */
export function stepTransform(kind: StepKind, X: Mat, o: StepOptions): MatrixTransform<unknown> {
  const eta = o.eta;
  if (kind === 'plain') return scaleByLearningRate(eta);
  if (kind === 'preconditioned') {
    const lambda = o.lambda ?? 0;
    checkReal('step', 'lambda', lambda, { min: 0 });
    if (lambda === 0 && X.rows < X.cols) throw new RangeError(`step: the preconditioned step with lambda = 0 needs n >= d, got n = ${X.rows}, d = ${X.cols}`);
    const sigma = stepFactor(factorInit(), secondMoment(X), {
      average: { kind: 'ema', decay: 0, start: 'first' }, every: 1,
      root: { power: -1, rankDeficiency: { kind: 'damping', damping: lambda } },
    });
    return chain(preconditionByFactors({ right: sigma }), scaleByLearningRate(eta));
  }
  if (kind === 'adam') {
    const eps = o.eps ?? 0;
    checkReal('step', 'eps', eps, { min: 0 });
    return chain(scaleByAdam({ beta1: 0, beta2: 0, eps }), scaleByLearningRate(eta));
  }
  throw new RangeError(`step: kind must be 'plain', 'preconditioned' or 'adam' (or a per-matrix transform of the optimizer family), got '${String(kind)}'`);
}

/**
 * One full-batch step on W, W₁ = W₀ − U, with `a` and the BN settings kept: the parameters {W, a} are
 * routed by name, W to the step (a kind above, or any per-matrix transform of the family, e.g.
 * `makeTransform('shampoo', { lr })`, step size included) and a to `frozen()`.
 */
export function oneStep(net: SingleIndexNet, X: Mat, y: ArrayLike<number>, step: StepKind | MatrixTransform<any>, o?: StepOptions): StepResult {
  const isKind = typeof step === 'string' || !step || typeof (step as MatrixTransform<unknown>).update !== 'function';
  if (isKind) {
    if (!o) throw new RangeError(`oneStep: the step kind '${String(step)}' needs options with eta`);
    checkKeys('oneStep', 'options', o, ['eta', 'lambda', 'eps']);
    checkOneOf('oneStep', 'kind', step, ['plain', 'preconditioned', 'adam']);
    checkReal('oneStep', 'eta', o.eta);
  }
  const { grad, loss } = gradientW(net, X, y);
  const tx = isKind ? stepTransform(step as StepKind, X, o!) : (step as MatrixTransform<any>);
  const params = { W: net.W, a: new Mat(net.a.length, 1, net.a) };
  const family = route({ W: tx, a: frozen() });
  const r = family.update({ W: grad, a: new Mat(net.a.length, 1) }, family.init(params), params, 1);
  const next = applyUpdates(params, r.updates);
  return { net: withW(net, next.W), grad, update: r.updates.W, loss };
}

export const plainStep = (net: SingleIndexNet, X: Mat, y: ArrayLike<number>, eta: number): SingleIndexNet =>
  oneStep(net, X, y, 'plain', { eta }).net;
export const preconditionedStep = (net: SingleIndexNet, X: Mat, y: ArrayLike<number>, eta: number, lambda = 0): SingleIndexNet =>
  oneStep(net, X, y, 'preconditioned', { eta, lambda }).net;
export const adamFirstStep = (net: SingleIndexNet, X: Mat, y: ArrayLike<number>, eta: number, eps = 0): SingleIndexNet =>
  oneStep(net, X, y, 'adam', { eta, eps }).net;

// ---------------------------------------------------------------- spikes

export type SpikeKind = 'plain' | 'preconditioned' | 'adam' | 'diagonal';

/**
 * Right vector of the rank-one term of the step: h = Xᵀy/n (plain), (Σ̂ + λI)^{-1}h (preconditioned),
 * sign(h) (Adam), h_j/(Σ̂_jj + λ) (diagonal: inputs standardised feature by feature). Float64.
 */
export function spikeVector(X: Mat, y: ArrayLike<number>, kind: SpikeKind = 'plain', lambda = 0): Float64Array {
  const n = X.rows, d = X.cols, x = X.data;
  if (y.length !== n) throw new RangeError(`spikeVector: y has length ${y.length}, X has ${n} rows`);
  checkReal('spikeVector', 'lambda', lambda, { min: 0 });
  const h = new Float64Array(d);
  for (let k = 0; k < n; k++) { const yk = y[k]; for (let j = 0, o = k * d; j < d; j++) h[j] += x[o + j] * yk; }
  for (let j = 0; j < d; j++) h[j] /= n;
  switch (kind) {
    case 'plain': return h;
    case 'adam': return h.map(Math.sign);
    case 'diagonal': {
      const out = new Float64Array(d);
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += x[k * d + j] ** 2;
        out[j] = h[j] / (s / n + lambda);
      }
      return out;
    }
    case 'preconditioned': {
      if (lambda === 0 && n < d) throw new RangeError(`spikeVector: preconditioned with lambda = 0 needs n >= d, got n = ${n}, d = ${d}`);
      const P = secondMoment(X);
      for (let i = 0; i < d; i++) P.data[i * d + i] += lambda;
      return cholSolve(P, new Mat(d, 1, h)).data;
    }
    default: throw new RangeError(`spikeVector: kind must be 'plain', 'preconditioned', 'adam' or 'diagonal', got '${String(kind)}'`);
  }
}

/**
 * Top right singular vector v (unit, sign chosen so its largest-magnitude entry is positive) of an
 * m×d matrix M, with σ₁ and σ₂ (σ₂ = 0 when d = 1), from the float64 eigendecomposition of MᵀM (d×d).
 */
export function topRightSingularVector(M: Mat): { v: Float64Array; s1: number; s2: number } {
  const d = M.cols;
  if (d < 1 || M.rows < 1) throw new RangeError(`topRightSingularVector: M must be non-empty, got ${M.rows}x${M.cols}`);
  const e = eigSym(mm64(M, M, true, false));
  const v = new Float64Array(d);
  let big = 0;
  for (let i = 0; i < d; i++) { v[i] = e.vectors.data[i * d + d - 1]; if (Math.abs(v[i]) > Math.abs(big)) big = v[i]; }
  if (big < 0) for (let i = 0; i < d; i++) v[i] = -v[i];
  const s1 = Math.sqrt(Math.max(e.values[d - 1], 0)), s2 = d > 1 ? Math.sqrt(Math.max(e.values[d - 2], 0)) : 0;
  return { v, s1, s2 };
}

// ---------------------------------------------------------------- second layer

/**
 * Ridge regression of the second layer on Φ = σ(W x)/√N over (X, y): a = argmin (1/n)||y − Φa||² + ρ||a||²
 * (ρ = `ridge` > 0, or 0 when n ≥ N and Φ has full column rank). BN nets: the statistics of X are
 * frozen into the returned net.
 */
export function fitSecondLayer(net: SingleIndexNet, X: Mat, y: ArrayLike<number>, ridge: number): SingleIndexNet {
  checkData('fitSecondLayer', net, X, y);
  checkReal('fitSecondLayer', 'ridge', ridge, { min: 0 });
  const { U, stats } = preactivations(net, X);
  const { f } = activationFns(net.activation), s = 1 / Math.sqrt(net.W.rows), u = U.data;
  for (let i = 0; i < u.length; i++) u[i] = s * f(u[i]);
  const a = lstsq(U, new Mat(X.rows, 1, Float64Array.from(y)), X.rows * ridge).data;
  return { ...net, a, bnStats: net.batchNorm ? stats : null };
}

/** Fit on (Xtr, ytr) for each ρ in `grid`, keep the lowest MSE on (Xval, yval). */
export function selectRidge(
  net: SingleIndexNet, Xtr: Mat, ytr: ArrayLike<number>, Xval: Mat, yval: ArrayLike<number>, grid: readonly number[],
): { net: SingleIndexNet; ridge: number; valErrors: number[] } {
  if (grid.length < 1) throw new RangeError('selectRidge: grid must hold at least one ridge value');
  let best: SingleIndexNet | null = null, bestR = NaN, bestE = Infinity;
  const valErrors: number[] = [];
  for (const r of grid) {
    const fitted = fitSecondLayer(net, Xtr, ytr, r), e = testError(fitted, Xval, yval);
    valErrors.push(e);
    if (e < bestE || best === null) { best = fitted; bestR = r; bestE = e; }
  }
  return { net: best as SingleIndexNet, ridge: bestR, valErrors };
}

// ---------------------------------------------------------------- one-step experiment

export type ExperimentKind = 'rf' | StepKind | 'batchnorm';

export interface OneStepOptions {
  /** Width N. */ N: number;
  /** Samples of the gradient step. */ n: number;
  /** Samples of the ridge fit (and of the validation batch when `ridge` is a grid). */ nRidge: number;
  /** Samples of the test batch. */ nTest: number;
  /** Step size; `etaByKind` overrides it per kind (Adam usually needs a much smaller one). */ eta: number;
  etaByKind?: Partial<Record<ExperimentKind, number>>;
  /** Damping of the preconditioned step (default 0). */ lambda?: number;
  /** Ridge ρ, or a grid selected on a fresh validation batch. */ ridge: number | readonly number[];
  activation?: Activation;
  kinds?: readonly ExperimentKind[];
}

export interface OneStepRecord {
  kind: ExperimentKind;
  testError: number;
  ridge: number;
  /** |cos| between β* and the top right singular vector of W₁ − W₀ (NaN for 'rf'). */
  spikeAlignment: number;
  /** |cos| between β* and the kind's rank-one right vector (`spikeVector`; NaN for 'rf' and 'batchnorm'). */
  spikeVectorAlignment: number;
}

/**
 * The Model B pipeline for several kinds on common random numbers: one W₀ and a, one step batch, one
 * ridge batch (and validation batch), one test batch, all drawn from `rng` in this order. 'rf' is the
 * random-features baseline (no step), 'batchnorm' the plain step on the BN network.
 */
export function oneStepExperiment(t: SingleIndexTeacher, o: OneStepOptions, rng: Rng): OneStepRecord[] {
  const fn = 'oneStepExperiment';
  checkKeys(fn, 'options', o, ['N', 'n', 'nRidge', 'nTest', 'eta', 'etaByKind', 'lambda', 'ridge', 'activation', 'kinds']);
  const KINDS = ['rf', 'plain', 'preconditioned', 'adam', 'batchnorm'] as const;
  const kinds: readonly ExperimentKind[] = o.kinds ?? ['rf', 'plain', 'preconditioned', 'adam'];
  if (!Array.isArray(kinds) || kinds.length === 0) throw new RangeError(`${fn}: kinds must be a non-empty array of ${KINDS.join(', ')}`);
  kinds.forEach((k: unknown, i: number) => checkOneOf(fn, `kinds[${i}]`, k, KINDS));
  checkReal(fn, 'eta', o.eta);
  if (o.etaByKind !== undefined) {
    checkKeys(fn, 'etaByKind', o.etaByKind, KINDS);
    for (const [k, v] of Object.entries(o.etaByKind)) if (v !== undefined) checkReal(fn, `etaByKind.${k}`, v as number);
  }
  if (o.lambda !== undefined) checkReal(fn, 'lambda', o.lambda, { min: 0 });
  if (typeof o.ridge === 'number') checkReal(fn, 'ridge', o.ridge, { min: 0 });
  else if (Array.isArray(o.ridge) && o.ridge.length > 0) o.ridge.forEach((r, i) => checkReal(fn, `ridge[${i}]`, r, { min: 0 }));
  else throw new RangeError(`${fn}: ridge must be a number >= 0 or a non-empty array of them, got ${String(o.ridge)}`);
  checkInt('oneStepExperiment', 'N', o.N, 1);
  checkInt('oneStepExperiment', 'n', o.n, 1);
  checkInt('oneStepExperiment', 'nRidge', o.nRidge, 1);
  checkInt('oneStepExperiment', 'nTest', o.nTest, 1);
  const net0 = initSingleIndexNet(t.d, o.N, rng, { activation: o.activation });
  const step = sampleSingleIndex(t, o.n, rng), fit = sampleSingleIndex(t, o.nRidge, rng);
  const grid = typeof o.ridge === 'number' ? null : o.ridge;
  const val = grid ? sampleSingleIndex(t, o.nRidge, rng) : null;
  const test = sampleSingleIndex(t, o.nTest, rng);
  const absCos = (u: ArrayLike<number>): number => {
    let uv = 0, uu = 0, vv = 0;
    for (let i = 0; i < t.d; i++) { uv += u[i] * t.beta[i]; uu += u[i] * u[i]; vv += t.beta[i] ** 2; }
    return Math.abs(uv) / Math.sqrt(uu * vv);
  };
  const out: OneStepRecord[] = [];
  for (const kind of kinds) {
    const eta = o.etaByKind?.[kind as ExperimentKind] ?? o.eta;
    let net = net0, align = NaN, valign = NaN;
    if (kind !== 'rf') {
      const base = kind === 'batchnorm' ? { ...net0, batchNorm: true } : net0;
      const sk: StepKind = kind === 'batchnorm' ? 'plain' : kind;
      const r = oneStep(base, step.X, step.y, sk, { eta, lambda: o.lambda });
      net = r.net;
      align = absCos(topRightSingularVector(r.update).v);
      if (kind !== 'batchnorm') valign = absCos(spikeVector(step.X, step.y, kind, o.lambda ?? 0));
    }
    let ridge: number;
    if (grid && val) { const s = selectRidge(net, fit.X, fit.y, val.X, val.y, grid); net = s.net; ridge = s.ridge; }
    else { ridge = o.ridge as number; net = fitSecondLayer(net, fit.X, fit.y, ridge); }
    out.push({ kind, testError: testError(net, test.X, test.y), ridge, spikeAlignment: align, spikeVectorAlignment: valign });
  }
  return out;
}
