/**
 * Notebook 10: SGD's rate on the representation is set by K = κ(FᵀF)·κ(Σ) for every step size (A3).
 * Sweeps: the frozen-head contraction (`linear-sgd-rate`), iterations to a target for SGD and AMD over a
 * κ(Σ) grid and a step-size grid, and SGD's whole step-size curve at one κ(Σ) (`linear-iterations`).
 * Browser-safe.
 */
import type { ClaimCheck } from '../claims.js';
import { figure, line, markers, type Figure } from '../plot.js';
import { SEED_STRIDE } from '../sweep/grid.js';
import { a3Contraction } from '../theory/linear.js';
import {
  allOf, bestPerSeed, countTraces, failedReason, fmtCount, geoMean, growthTest, iterOutcome, num, where,
  type Count, type SeedOutcome,
} from '../experiments/linear-summary.js';
import type { KnobValues, Story, StoryCell, SweepRequest } from './story.js';
import { modelAShapeConstraints } from './model-a.js';

export const ALPHA = 0.05;

const knobs = {
  kappaSigmas: { type: 'number[]', default: [1, 10, 100, 1000], min: 1, max: 1e5, minLength: 2, doc: 'κ(Σ) grid (geometric spectrum, λ_max = 1, Haar-rotated)' },
  kappaFs: { type: 'number[]', default: [1, 2], min: 1, max: 100, doc: 'κ(F*) for the frozen-head rate measurement (κ(F*ᵀF*) = κ(F*)²)' },
  d: { type: 'integer', default: 20, min: 2, max: 400, doc: 'input dimension' },
  k: { type: 'integer', default: 2, min: 2, max: 50, doc: 'representation dimension' },
  dy: { type: 'integer', default: 4, min: 2, max: 100, doc: 'output dimension' },
  n: { type: 'integer', default: 64, min: 2, max: 100000, doc: 'fresh samples per step in the online runs' },
  lrs: { type: 'number[]', default: [0.3, 0.5, 1, 2, 3], above: 0, max: 100, doc: 'step-size grid searched for SGD and AMD' },
  lrCurve: { type: 'number[]', default: [0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 2.5, 3], above: 0, max: 100, doc: 'the full SGD step-size curve at κ(Σ) = curveKappa' },
  curveKappa: { type: 'number', default: 100, min: 1, max: 1e5, doc: 'κ(Σ) of the step-size curve' },
  targetDist: { type: 'number', default: 0.05, above: 0, max: 1, doc: 'subspace distance that counts as "reached"' },
  maxSteps: { type: 'integer', default: 4000, min: 1, max: 1000000, doc: 'step budget; a run that has not reached the target by then is censored (≥ budget)' },
  seeds: { type: 'integer', default: 6, min: 2, max: 200, doc: 'replicates (seeds) per grid point of the online runs' },
  seed: { type: 'integer', default: 0, min: 0, max: 1000, doc: 'base seed: 0 reuses the committed cells, s > 0 draws an independent set' },
} as const;
export type SgdRateKnobs = KnobValues<typeof knobs>;

export interface RateRow {
  kappaSigma: number; kappaF: number;
  /** null: the cell failed (reason in `failed`). */
  measured: number | null; predicted: number | null; kappaSigmaHat: number | null; steps: number | null;
  failed: string | null;
}
export interface CurvePoint { lr: number; mean: Count | null; diverged: number; failed: number; seeds: number }
export interface SgdRateResult {
  rate: RateRow[];
  /** Per method and κ(Σ) (in `kappaSigmas` order): each seed's best count over the step sizes. */
  best: { sgd: Map<number, SeedOutcome>[]; amd: Map<number, SeedOutcome>[] };
  /** The step-size search: per method, κ(Σ) and η, the geometric mean over seeds (censored ≥ budget). */
  search: { method: string; kappaSigma: number; lr: number; mean: Count | null; diverged: number; failed: number }[];
  curve: CurvePoint[];
  /** Best over the curve's step sizes, per seed. */
  curveBest: Map<number, SeedOutcome>;
}

type S = 'rate' | 'iterations' | 'curve';

export function summarize(cells: readonly StoryCell[], budget: number): { mean: Count | null; diverged: number; failed: number } {
  const os = cells.map((c) => iterOutcome(c.result));
  const diverged = os.filter((o) => o.kind === 'diverged').length, failed = os.filter((o) => o.kind === 'failed').length;
  if (!cells.length || diverged || failed) return { mean: null, diverged, failed };
  const vals = os.map((o) => (o.kind === 'reached' ? o.iters : NaN));
  const censored = os.some((o) => o.kind === 'censored');
  const xs = vals.map((v) => (Number.isNaN(v) ? budget : v));
  return { mean: { value: Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length), censored }, diverged, failed };
}

export const sgdRateStory: Story<typeof knobs, SgdRateResult, S, 'rate' | 'iterations' | 'curve'> = {
  notebook: '10-linear-sgd-rate',
  title: "SGD's rate is set by κ(FᵀF)·κ(Σ), for every step size",
  knobs,
  constraints(v) {
    const out: string[] = [];
    out.push(...modelAShapeConstraints(v, { undampedKfac: false }));
    if (new Set(v.kappaSigmas).size < 2) out.push('kappaSigmas needs at least two distinct values (the claims compare the smallest with the largest)');
    return out;
  },
  sweeps(v) {
    const first = v.seed * SEED_STRIDE;
    const dims = { d: [v.d], k: [v.k], dy: [v.dy] };
    const online = { ...dims, n: [v.n], targetDist: [v.targetDist], maxSteps: [v.maxSteps] };
    const req = (r: SweepRequest): SweepRequest => r;
    return {
      rate: req({ experiment: 'linear-sgd-rate', set: { kappaSigma: [...v.kappaSigmas], kappaF: [...v.kappaFs], ...dims }, firstReplicate: first }),
      iterations: req({ experiment: 'linear-iterations', set: { method: ['sgd', 'amd'], kappaSigma: [...v.kappaSigmas], lr: [...v.lrs], ...online }, seeds: v.seeds, firstReplicate: first }),
      curve: req({ experiment: 'linear-iterations', set: { method: ['sgd'], kappaSigma: [v.curveKappa], lr: [...v.lrCurve], ...online }, seeds: v.seeds, firstReplicate: first }),
    };
  },
  analyze(v, cells) {
    const rate: RateRow[] = cells.rate.map((c) => {
      const kS = typeof c.params.kappaSigma === 'number' ? c.params.kappaSigma : NaN, kF = typeof c.params.kappaF === 'number' ? c.params.kappaF : NaN;
      return { kappaSigma: kS, kappaF: kF, measured: num(c.result, 'measured'), predicted: num(c.result, 'predicted'),
        kappaSigmaHat: num(c.result, 'kappaSigmaHat'), steps: num(c.result, 'steps'), failed: failedReason(c.result) };
    });
    const best = {
      sgd: v.kappaSigmas.map((kS) => bestPerSeed(where(cells.iterations, { method: 'sgd', kappaSigma: kS }), v.maxSteps)),
      amd: v.kappaSigmas.map((kS) => bestPerSeed(where(cells.iterations, { method: 'amd', kappaSigma: kS }), v.maxSteps)),
    };
    const search = ['sgd', 'amd'].flatMap((method) => v.kappaSigmas.flatMap((kS) => v.lrs.map((lr) => ({
      method, kappaSigma: kS, lr, ...summarize(where(cells.iterations, { method, kappaSigma: kS, lr }), v.maxSteps),
    }))));
    const curve = v.lrCurve.map((lr) => {
      const cs = where(cells.curve, { lr });
      return { lr, seeds: cs.length, ...summarize(cs, v.maxSteps) };
    });
    return { rate, best, search, curve, curveBest: bestPerSeed(cells.curve, v.maxSteps) };
  },
  figures: {
    rate(r): Figure {
      const ok = r.rate.filter((x) => x.measured !== null && x.kappaSigmaHat !== null);
      const K = ok.map((x) => x.kappaF ** 2 * (x.kappaSigmaHat ?? NaN));
      const Ks = Array.from({ length: 60 }, (_, i) => 10 ** ((i / 59) * Math.max(4, Math.log10(Math.max(10, ...K)) + 0.3)));
      return figure([
        line(Ks, Ks.map((x) => -Math.log((x - 1) / (x + 1))), { name: 'theory: −log((K−1)/(K+1))' }),
        markers(K, ok.map((x) => -Math.log(x.measured ?? NaN)), { name: 'measured' }),
      ], { title: 'SGD e-folding rate per step vs K = κ(FᵀF)·κ(Σ̂)', x: 'K', y: '−log ρ', logX: true, logY: true });
    },
    iterations(r, v): Figure {
      const sgd = r.best.sgd.map(geoMean), amd = r.best.amd.map(geoMean);
      const ref = sgd[0] && !sgd[0].censored ? sgd[0].value / v.kappaSigmas[0]! : null;
      return figure([
        ...countTraces([...v.kappaSigmas], sgd, 'SGD (best η per seed)', { color: '#4e79a7' }),
        ...countTraces([...v.kappaSigmas], amd, 'AMD (best η per seed)', { color: '#f28e2b' }),
        line([...v.kappaSigmas], v.kappaSigmas.map((kS) => (ref === null ? null : ref * kS)), { name: '∝ κ(Σ) (slope 1)', dash: 'dot', color: '#888' }),
      ], { title: `Iterations to dist < ${v.targetDist} (geometric mean over ${v.seeds} seeds; ▵: ≥ ${v.maxSteps}, censored)`, x: 'κ(Σ)', y: 'iterations', logX: true, logY: true });
    },
    curve(r, v): Figure {
      const div = r.curve.filter((p) => p.diverged > 0);
      return figure([
        ...countTraces(r.curve.map((p) => p.lr), r.curve.map((p) => p.mean), 'SGD', { color: '#4e79a7' }),
        markers(div.map((p) => p.lr), div.map(() => v.maxSteps), { name: `diverged (some seed; drawn at ${v.maxSteps})`, extra: { marker: { symbol: 'x', size: 10, color: '#e15759' } } }),
      ], { title: `SGD iterations to dist < ${v.targetDist} vs step size, κ(Σ) = ${v.curveKappa}`, x: 'η', y: 'iterations', logX: true, logY: true });
    },
  },
  claims(r, v): ClaimCheck[] {
    const out: ClaimCheck[] = [];
    const failed = r.rate.filter((x) => x.failed !== null || x.measured === null || x.predicted === null);
    const rel = r.rate.filter((x) => x.measured !== null && x.predicted !== null).map((x) => Math.abs(Math.log(x.measured!) / Math.log(x.predicted!) - 1));
    const worst = rel.length ? Math.max(...rel) : NaN;
    out.push({
      claim: 'A3: the measured e-folding rate of GD on G matches −log((K−1)/(K+1)), K = κ(FᵀF)κ(Σ̂), within 5% at every grid point ' +
        '(a deterministic check: the prediction uses the batch\'s own Σ̂, so there is no sampling error; 5% covers the finite fitting window)',
      measured: failed.length ? `${failed.length} of ${r.rate.length} cells without a rate: ${failed[0]?.failed ?? 'missing'}`
        : `worst relative error ${(100 * worst).toFixed(2)}% over ${rel.length} grid points`,
      holds: failed.length === 0 && rel.length > 0 && worst < 0.05,
    });
    const iLo = v.kappaSigmas.indexOf(Math.min(...v.kappaSigmas)), iHi = v.kappaSigmas.indexOf(Math.max(...v.kappaSigmas));
    const kLo = v.kappaSigmas[iLo]!, kHi = v.kappaSigmas[iHi]!;
    for (const [m, name] of [['sgd', "SGD's"], ['amd', "AMD's (exact head)"]] as const) {
      const g = growthTest(r.best[m][iLo]!, r.best[m][iHi]!, 10, ALPHA);
      out.push(allOf(`${name} best iteration count grows at least tenfold from κ(Σ) = ${kLo} to ${kHi} (mean per-seed log-ratio, one-sided paired t, α = ${ALPHA})`,
        [{ label: `${fmtCount(geoMean(r.best[m][iLo]))} → ${fmtCount(geoMean(r.best[m][iHi]))}`, ...g }]));
    }
    const iCurveRef = iLo;
    const c = growthTest(r.best.sgd[iCurveRef]!, r.curveBest, 5, ALPHA);
    out.push(allOf(`no step size on the curve at κ(Σ) = ${v.curveKappa} comes within 5× of the κ(Σ) = ${kLo} count: the best over η is at least 5× larger (one-sided paired t, α = ${ALPHA})`,
      [{ label: `best over ${v.lrCurve.length} step sizes ${fmtCount(geoMean(r.curveBest))} vs ${fmtCount(geoMean(r.best.sgd[iCurveRef]))}`, ...c }]));
    return out;
  },
  robustness: [
    ...[1, 2, 3].map((s) => ({ name: `seed=${s}`, knobs: { seed: s } })),
    { name: 'seeds=12', knobs: { seeds: 12 } },
    { name: 'd=40,n=128', knobs: { d: 40, n: 128, kappaFs: [1] } },
  ],
  profiles: {
    /**
     * Paper scale (issue 12): d = 200, k = 8, d_y = 16, n = 256, 8 seeds, κ(Σ) up to 1000 as at the defaults. Over
     * κ(Σ) ∈ [1, 100] alone AMD grows only ×8.4 at this size (its κ(Σ) = 1 count, a transient from the random
     * start, doubles from d = 20 to 200), so the tenfold claims need the default's range. A budget of 500 steps:
     * every run at κ(Σ) = 1000 is then a censored lower bound (≥ 500), which the growth claims may use; exact
     * counts there would take ≈ 10× longer. κ(F*) = 1 only for the A3 rate: at d = 200 the fitting window no
     * longer isolates the slowest mode when κ(F*) > 1 (8.0% at κ(F*) = 2, 12% at 1.5, against ≤ 1.7% at 1;
     * measured), as the robustness setting d = 40 also uses. Step sizes: SGD diverges at η = 0.5 at κ(Σ) = 1
     * (batch noise grows with tr Σ/n = d/n) but is best at 0.7 at κ(Σ) = 100; AMD's best at κ(Σ) = 100 is η = 2
     * (3 does not converge), so the grid spans 0.3–2 and brackets both (measured).
     */
    paper: { d: 200, k: 8, dy: 16, n: 256, kappaSigmas: [1, 10, 100, 1000], kappaFs: [1], lrs: [0.3, 0.5, 0.7, 1, 1.5, 2], lrCurve: [0.3, 0.5, 0.7, 1, 1.5, 2], curveKappa: 100, maxSteps: 500, seeds: 8 },
  },
};

export default sgdRateStory;

/** The prediction for a grid, from the population spectra (the measurement uses the batch's Σ̂). */
export function predictedRates(v: SgdRateKnobs): { kappaF: number; kappaSigma: number; rho: number }[] {
  return v.kappaFs.flatMap((kF) => v.kappaSigmas.map((kS) => ({ kappaF: kF, kappaSigma: kS, rho: a3Contraction(kF * kF, kS) })));
}
