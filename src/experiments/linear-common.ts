/**
 * Model A runs shared by the linear-representation experiments and notebooks: build a transfer problem
 * (source task to train on, target task with a fresh head and possibly another Σ), train one optimizer
 * with fresh batches, and record training loss (held-out source batch), subspace distance to G*, and
 * transfer loss (least-squares head fitted on a small target batch, tested on another).
 *
 * Browser-safe.
 */
import { Rng } from '../rng.js';
import { axpy, type Mat } from '../mat.js';
import { eigSym, mm64 } from '../linalg.js';
import { sampleInputs, secondMoment } from '../data/inputs.js';
import { makeCovariance, type CovarianceSpec } from '../data/covariance.js';
import { linearSampler, makeTransferTask, sampleLinear, type TransferTask } from '../data/teachers.js';
import { subspaceDistanceTo, transferLossOnBatches } from '../metrics.js';
import { linearNet, type LinearParams } from '../models/linear.js';
import { batchNormNet } from '../models/batchnorm.js';
import { makeOptimizer } from '../optim/index.js';
import { train } from '../train.js';
import { checkInt, checkKeys } from '../validate.js';

export interface LinearSetup {
  d: number; k: number; dy: number;
  /** κ(Σ) of the source inputs (geometric spectrum, λ_max = 1). */
  kappaSigma: number;
  /** Haar-rotated (true) or axis-aligned (false) Σ. */
  rotated: boolean;
  kappaF: number;
  noise: number;
  /** Samples per fresh batch. */
  n: number;
  /** κ(Σ) of the target task's inputs (default: the source's, with its own rotation). */
  targetKappaSigma?: number;
}

export const DEFAULT_SETUP: LinearSetup = { d: 20, k: 2, dy: 4, kappaSigma: 100, rotated: true, kappaF: 1, noise: 0, n: 64 };

export interface LinearProblem { setup: LinearSetup; task: TransferTask; init: LinearParams }

/** Teacher, target and initial student from one generator: the same seed gives the same problem. */
export function makeLinearProblem(setup: LinearSetup, rng: Rng): LinearProblem {
  const cov = (kappa: number) => makeCovariance(
    kappa === 1 ? { family: 'identity', d: setup.d, rotation: setup.rotated ? 'haar' : 'none' } : { family: 'geometric', d: setup.d, kappa, rotation: setup.rotated ? 'haar' : 'none' } as CovarianceSpec, rng);
  const source = cov(setup.kappaSigma);
  const target = setup.targetKappaSigma === undefined ? source : cov(setup.targetKappaSigma);
  const task = makeTransferTask({ cov: source, k: setup.k, dy: setup.dy, kappaF: setup.kappaF, noise: setup.noise, targetCov: target }, rng);
  // student at a random start: G rows ~ N(0, I/d), F entries ~ N(0, 1/k)
  const init = { F: rng.normalMat(setup.dy, setup.k, 1 / Math.sqrt(setup.k)), G: rng.normalMat(setup.k, setup.d, 1 / Math.sqrt(setup.d)) };
  return { setup, task, init };
}

/**
 * A cell whose computation threw (a singular factor, e.g. Cholesky of Σ̂ with fewer samples than inputs
 * and no damping): recorded as failed with its reason, like a divergence, so that the sweep goes on and
 * the claim that needs the cell says why it is missing.
 */
export type FailedCell = { failed: string };

export function orFailed<T>(f: () => T): T | FailedCell {
  try { return f(); } catch (e) { return { failed: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }; }
}

export interface LinearRunSpec {
  optimizer: string;
  options?: Record<string, number | string | boolean>;
  steps: number;
  evalEvery?: number;
  /** Train F BN(G x) instead of F G x (for SGD + batch-norm). */
  batchNorm?: boolean;
  /** Stop at the first evaluation with subspace distance below this. */
  targetDist?: number;
  /** Held-out sizes for the curves. */
  nEval?: number; nTransferFit?: number;
  /** Record the transfer loss (default true); iteration counts need only the distance. */
  transfer?: boolean;
  /** Record the held-out training loss (default true); with false `loss` is empty and it is not computed. */
  loss?: boolean;
}

export interface LinearRunResult {
  optimizer: string;
  step: number[]; loss: number[]; dist: number[]; transfer: number[];
  diverged: boolean; divergedAt: number | null;
  /** First evaluated step with dist < targetDist, or null if never (or diverged). */
  itersToTarget: number | null;
}

/** Train one optimizer on a problem; all batches drawn from streams forked off `rng`. */
export function runLinear(problem: LinearProblem, spec: LinearRunSpec, rng: Rng): LinearRunResult {
  checkKeys('runLinear', 'spec', spec, ['optimizer', 'options', 'steps', 'evalEvery', 'batchNorm', 'targetDist', 'nEval', 'nTransferFit', 'transfer', 'loss']);
  const { task, init } = problem;
  const opt = makeOptimizer(spec.optimizer, spec.options ?? {});
  // Held-out batches, in this order from their own stream (nothing else draws from it): the loss batch,
  // then the transfer fit and test batches. Those a run does not record are not drawn (the ones
  // before a recorded one are, so that it gets the same numbers); their sizes are still checked.
  const evalRng = rng.fork('eval');
  const nEval = spec.nEval ?? 512, nFit = spec.nTransferFit ?? 10 * problem.setup.k;
  const wantTransfer = spec.transfer !== false, wantLoss = spec.loss !== false;
  if (!wantTransfer) { checkInt('runLinear', 'nEval', nEval, 1); checkInt('runLinear', 'nTransferFit', nFit, 1); }
  const evalBatch = wantLoss || wantTransfer ? sampleLinear(task.source, nEval, evalRng) : undefined;
  const fit = wantTransfer ? sampleLinear(task.target, nFit, evalRng) : null;
  const test = wantTransfer ? sampleLinear(task.target, nEval, evalRng) : null;
  const dist = subspaceDistanceTo(task.source.G);
  const model = spec.batchNorm ? batchNormNet : linearNet;
  const res = train({
    optimizer: opt, init, model, steps: spec.steps, seed: rng.fork('train').nextU32(),
    sample: linearSampler(task.source, problem.setup.n, 0, { reuse: true }), // train uses each batch for its step only
    evalEvery: spec.evalEvery ?? 1, evalBatch, evalLoss: spec.loss !== false,
    metrics: spec.transfer === false
      ? (p) => ({ dist: dist(p.G) })
      : (p) => ({ dist: dist(p.G), transfer: safeTransfer(p.G, fit!, test!) }),
    stopWhen: spec.targetDist === undefined ? undefined : (m) => m.dist < spec.targetDist!,
  });
  const h = res.history.filter((r) => r.dist !== undefined);
  const hit = spec.targetDist === undefined || res.diverged ? undefined : h.find((r) => r.dist < spec.targetDist!);
  return {
    optimizer: spec.optimizer + (spec.batchNorm ? '+bn' : ''),
    step: h.map((r) => r.step), loss: spec.loss === false ? [] : h.map((r) => r.loss), dist: h.map((r) => r.dist),
    transfer: spec.transfer === false ? [] : h.map((r) => r.transfer),
    diverged: res.diverged, divergedAt: res.divergedAt, itersToTarget: hit ? hit.step : null,
  };
}

/** Transfer loss, or +∞ when the representation is rank deficient (reported, not thrown, mid-run). */
function safeTransfer(G: Mat, fit: ReturnType<typeof sampleLinear>, test: ReturnType<typeof sampleLinear>): number {
  try { return transferLossOnBatches(G, fit, test); } catch { return Number.POSITIVE_INFINITY; }
}

export interface ContractionResult {
  /** Measured per-step contraction of ||G − G*||_F late in the run. */
  measured: number;
  /** (κ − 1)/(κ + 1) with κ = κ(FᵀF)·κ(Σ̂) of this batch and F = F*. */
  predicted: number;
  /** The same with the population κ(Σ) in place of κ(Σ̂). */
  predictedPopulation: number;
  kappaFtF: number; kappaSigmaHat: number; eta: number; steps: number;
}

/**
 * A3 measured: full-batch GD on G with F frozen at F* (noiseless, n = 8d), at the best step size
 * η* = 2/(λ_max μ_max + λ_min μ_min) computed from the spectra of F*ᵀF* and Σ̂. The error ||G − G*||_F is
 * tracked until it falls by 10⁻¹⁰ (or `maxSteps`); the rate is fitted over the part of the run where it
 * fell from 10⁻⁶ to 10⁻¹⁰, once the slowest modes dominate.
 */
export function measureSgdContraction(setup: LinearSetup, rng: Rng, maxSteps = 200_000): ContractionResult {
  const { task } = makeLinearProblem(setup, rng);
  const Fs = task.source.heads[0], Gs = task.source.G;
  const n = 8 * setup.d;
  // the noiseless labels Y = X G*ᵀ F*ᵀ in float64 (mm64), whatever the engine: with a float32 engine
  // product (which `sampleLinear` uses once n·d·k ≥ 32³, e.g. at d = 200) the batch's minimiser is G* only
  // to ~10⁻⁷, a floor above the fitting window below. The same draws and, where `sampleLinear` multiplied
  // in float64 (every cell at d ≤ 40), the same numbers bit for bit.
  const X = sampleInputs(task.source.cov, n, rng.fork('batch'), task.source.law);
  const b = { X, Y: mm64(mm64(X, Gs, false, true), Fs, false, true) };
  const lam = eigSym(mm64(Fs, Fs, true)).values, mu = eigSym(secondMoment(b.X)).values;
  const lmin = lam[0], lmax = lam[lam.length - 1], mmin = mu[0], mmax = mu[mu.length - 1];
  const eta = 2 / (lmax * mmax + lmin * mmin);
  const K = (lmax / lmin) * (mmax / mmin), Kpop = (lmax / lmin) * setup.kappaSigma;
  // GD on G alone, G ← G − η ∇_G L̂(F*, G), with the gradient in second-moment form
  // ∇_G = F*ᵀ(F* G Σ̂ − C), C = YᵀX/n: the same numbers as the residual form, d/n times the cost
  const S = secondMoment(b.X), C = mm64(b.Y, b.X, true, false);
  for (let i = 0; i < C.data.length; i++) C.data[i] /= n;
  const FtF = mm64(Fs, Fs, true), FtC = mm64(Fs, C, true);
  let G = rng.normalMat(setup.k, setup.d, 1 / Math.sqrt(setup.d));
  const err = (g: Mat) => { let s = 0; for (let i = 0; i < g.data.length; i++) s += (g.data[i] - Gs.data[i]) ** 2; return Math.sqrt(s); };
  const e0 = err(G);
  // fit the rate where the slowest modes dominate: from 10⁻⁶ to 10⁻¹⁰ of the initial error
  let t0 = -1, e1 = e0, t = 0, eT = e0;
  for (t = 1; t <= maxSteps; t++) {
    const grad = mm64(FtF, mm64(G, S));
    for (let i = 0; i < grad.data.length; i++) G.data[i] -= eta * (grad.data[i] - FtC.data[i]);
    eT = err(G);
    if (t0 < 0 && eT < 1e-6 * e0) { t0 = t; e1 = eT; }
    if (eT < 1e-10 * e0) break;
  }
  const steps = Math.min(t, maxSteps);
  if (t0 < 0 || steps - t0 < 5) throw new RangeError(`measureSgdContraction: run too short to fit a rate (maxSteps = ${maxSteps})`);
  return {
    measured: Math.pow(eT / e1, 1 / (steps - t0)), predicted: (K - 1) / (K + 1), predictedPopulation: (Kpop - 1) / (Kpop + 1),
    kappaFtF: lmax / lmin, kappaSigmaHat: mmax / mmin, eta, steps,
  };
}
