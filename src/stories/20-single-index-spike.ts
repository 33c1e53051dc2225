/**
 * Story of notebook 20 (Model B, B1–B3 and the ridge deterministic equivalent): where the spike of one
 * large gradient step points, plain against preconditioned, against n/d, κ(Σ) and d, and how the
 * network's singular vectors follow it. The notebook, `npm start` and the site call it. Browser-safe.
 *
 * Claims are stated tests (see `claims`): theory against simulation over a grid with Holm's procedure at
 * family-wise level α, compared on the quantity the formulas describe (a ratio of expectations,
 * estimated by the jackknife); the finite-d (Jensen) gap between E cos² and that ratio checked to shrink
 * at its derived rate 1/d; orderings by one-sided t bounds at level α per point (all points must hold:
 * an intersection–union test, whose level is α without correction).
 */
import type { ClaimCheck } from '../claims.js';
import type { Json, Params } from '../sweep/types.js';
import { SEED_STRIDE } from '../sweep/grid.js';
import { fixedProblem } from '../experiments/single-index-common.js';
import { covTracePower } from '../data/covariance.js';
import { type LinkName } from '../data/teachers.js';
import {
  b1PlainCosineLimit, b2PlainCos2, b3PrecondCos2, plainSpikeMoments, ridgeSpikeEquivalent,
} from '../theory/singleIndex.js';
import { tQuantile, zGridTest, normalQuantile, type ZGridResult } from '../stats.js';
import { figure, line, markers, type Figure, type Trace } from '../plot.js';
import type { KnobValues, Story, StoryCell, SweepCells } from './story.js';

export const knobs = {
  seed: { type: 'integer', default: 0, min: 0, max: 1000, doc: 'base seed: replicates start at seed·10⁶ (0 reuses the committed cells)' },
  alpha: { type: 'number', default: 0.05, above: 0, max: 0.2, doc: 'significance level of every test (family-wise over a grid)' },
  d: { type: 'integer', default: 256, min: 16, max: 2048, doc: 'input dimension of the alignment sweeps (B2 and B3 are large-d statements)' },
  kappa: { type: 'number', default: 100, min: 1, max: 1e6, doc: 'κ(Σ) of the n/d sweep (geometric spectrum, tr Σ = d, axis-aligned)' },
  ratios: { type: 'number[]', default: [0.5, 1, 1.5, 2, 3, 4, 6, 8, 12, 16], above: 0, max: 64, minLength: 3, doc: 'n/d of the n/d sweep (increasing)' },
  kappas: { type: 'number[]', default: [1, 3, 10, 30, 100, 300, 1000], min: 1, max: 1e6, doc: 'κ(Σ) of the anisotropy sweep' },
  kappaRatio: { type: 'number', default: 4, above: 1, max: 64, doc: 'n/d of the anisotropy sweep, the rotated check and the finite-d study' },
  lambdas: { type: 'number[]', default: [0.1, 1], above: 0, max: 100, doc: 'damping λ > 0 of the ridge-preconditioned spike (tr Σ / d = 1)' },
  link: { type: 'choice', default: 'relu', options: ['relu', 'tanh', 'poly', 'linear'], doc: 'teacher link σ*' },
  noise: { type: 'number', default: 0.1, min: 0, max: 10, doc: 'label noise σ_ε' },
  problemSeed: { type: 'integer', default: 0, min: 0, max: 2 ** 31 - 1, doc: 'the fixed (Σ, β*) of all replicates' },
  seeds: { type: 'integer', default: 32, min: 4, max: 4096, doc: 'replicates (fresh batches) per grid point' },
  rotSeeds: { type: 'integer', default: 16, min: 4, max: 4096, doc: 'replicates of the rotated-Σ check' },
  biasDims: { type: 'integer[]', default: [32, 64, 128, 256, 512], min: 8, max: 2048, minLength: 3, doc: 'd of the finite-d study of B3 (at n/d = kappaRatio, κ = kappa)' },
  biasSeeds: { type: 'integer', default: 160, min: 8, max: 10000, doc: 'replicates per d of the finite-d study' },
  dNet: { type: 'integer', default: 128, min: 8, max: 2048, doc: 'input dimension of the network section (n = 8·dNet)' },
  widths: { type: 'integer[]', default: [32, 64, 128, 256, 512, 1024], min: 1, max: 4096, minLength: 2, doc: 'widths N for W₁ − W₀ against its rank-one term' },
  etaScales: { type: 'number[]', default: [0.5, 1, 2, 4, 8, 16, 32], above: 0, max: 1000, minLength: 2, doc: 'η = c·√N for the top singular vector of W₁' },
  etaWidths: { type: 'integer[]', default: [64, 256, 1024], min: 1, max: 4096, doc: 'widths of the step-size sweep' },
  netSeeds: { type: 'integer', default: 4, min: 3, max: 256, doc: 'replicates of the network section' },
} as const;
export type SpikeKnobs = KnobValues<typeof knobs>;

// ---------------------------------------------------------------------------------------------------
// Estimators

export interface Stat { readonly m: number; readonly se: number; readonly n: number }
export const stat = (xs: readonly number[]): Stat => {
  const n = xs.length, m = xs.reduce((a, b) => a + b, 0) / n;
  const v = n > 1 ? xs.reduce((a, x) => a + (x - m) ** 2, 0) / (n - 1) : NaN;
  return { m, se: Math.sqrt(v / n), n };
};

export interface RatioEstimate {
  /** Jackknife estimate of (E I)² / (bb · E Q) (bias-corrected to O(1/S²)). */
  readonly ratio: number;
  readonly ratioSe: number;
  /** Jackknife estimate of the Jensen gap E[I²/(bb Q)] − (E I)²/(bb E Q), and its SE. */
  readonly gap: number;
  readonly gapSe: number;
}

/**
 * From per-replicate pairs (I, Q) = (⟨u, β⟩, ||u||²): the ratio of expectations (E I)²/(||β||² E Q) that
 * B2, B3 and the ridge equivalent predict, and the gap E cos² − ratio, both by the delete-one jackknife
 * (bias correction and standard error). Needs S ≥ 3 replicates.
 */
export function ratioOfMeans(I: readonly number[], Q: readonly number[], bb: number): RatioEstimate {
  const S = I.length;
  if (S < 3 || Q.length !== S) throw new RangeError(`ratioOfMeans: need at least 3 paired replicates, got ${S} and ${Q.length}`);
  const c = I.map((x, k) => (x * x) / (bb * Q[k]!));
  const sI = I.reduce((a, b) => a + b, 0), sQ = Q.reduce((a, b) => a + b, 0), sC = c.reduce((a, b) => a + b, 0);
  const R = (si: number, sq: number, m: number) => ((si / m) ** 2) / (bb * (sq / m));
  const full = R(sI, sQ, S), fullGap = sC / S - full;
  const loo = I.map((_, k) => R(sI - I[k]!, sQ - Q[k]!, S - 1));
  const looGap = I.map((_, k) => (sC - c[k]!) / (S - 1) - loo[k]!);
  const jack = (f: number, l: number[]) => {
    const lm = l.reduce((a, b) => a + b, 0) / S;
    return { est: S * f - (S - 1) * lm, se: Math.sqrt(((S - 1) / S) * l.reduce((a, x) => a + (x - lm) ** 2, 0)) };
  };
  const r = jack(full, loo), g = jack(fullGap, looGap);
  return { ratio: r.est, ratioSe: r.se, gap: g.est, gapSe: g.se };
}

/** One-sided (1 − α) t bound of a mean: the lower one (`side` = 'lower') or the upper one. */
export function tBound(s: Stat, alpha: number, side: 'lower' | 'upper'): number {
  const q = s.n >= 2 ? tQuantile(1 - alpha, s.n - 1) : NaN;
  return side === 'lower' ? s.m - q * s.se : s.m + q * s.se;
}

// ---------------------------------------------------------------------------------------------------
// Cells (JSON) into typed values: checked, not cast

const isObj = (x: Json | undefined): x is { [k: string]: Json } => x !== null && typeof x === 'object' && !Array.isArray(x);
function numArr(x: Json | undefined, what: string): number[] {
  if (!Array.isArray(x) || !x.every((v) => typeof v === 'number')) throw new TypeError(`20-single-index-spike: ${what} is not a list of numbers`);
  return x as number[];
}
function pair(x: Json | undefined, what: string): [number, number] {
  const a = numArr(x, what);
  if (a.length !== 2) throw new TypeError(`20-single-index-spike: ${what} is not an [inner, normSq] pair`);
  return [a[0]!, a[1]!];
}

/** One batch of the spike experiment at one sample size. */
export interface SpikeSample {
  readonly replicate: number;
  readonly plain: number; readonly plainM: [number, number];
  readonly precond: number | null; readonly precondM: [number, number] | null;
  readonly ridge: number[]; readonly ridgeM: [number, number][];
}

/** All sample sizes of one spike cell. */
function readSpike(c: StoryCell): { n: number[]; samples: SpikeSample[] } {
  const r = c.result;
  if (!isObj(r) || !isObj(r.moments)) throw new TypeError('20-single-index-spike: a single-index-spike cell without moments (an old version?)');
  const n = numArr(r.n, 'n'), plain = numArr(r.plain, 'plain');
  const pre = r.precond, ridge = r.ridge, mp = r.moments.plain, mq = r.moments.precond, mr = r.moments.ridge;
  if (!Array.isArray(pre) || !Array.isArray(ridge) || !Array.isArray(mp) || !Array.isArray(mq) || !Array.isArray(mr)) {
    throw new TypeError('20-single-index-spike: malformed single-index-spike cell');
  }
  const samples = n.map((_, i): SpikeSample => {
    const p = pre[i], pm = mq[i], rm = mr[i];
    return {
      replicate: c.replicate,
      plain: plain[i]!, plainM: pair(mp[i], 'moments.plain'),
      precond: typeof p === 'number' ? p : null, precondM: pm === null || pm === undefined ? null : pair(pm, 'moments.precond'),
      ridge: numArr(ridge[i], 'ridge'), ridgeM: (Array.isArray(rm) ? rm : []).map((q) => pair(q, 'moments.ridge')),
    };
  });
  return { n, samples };
}

// ---------------------------------------------------------------------------------------------------
// Theory for a fixed problem

export interface SpikeTheory {
  /** B1: the plain step's n → ∞ limit of cos². */ b1sq: number;
  /** B2 as stated (leading order in d). */ b2: number;
  /** The plain spike's exact ratio of expectations c₁²/(||β||² E||h||²) (exact finite-n second moment). */ b2exact: number;
  /** B3 (NaN when n ≤ d + 1). */ b3: number;
  ridge: number[]; mu: number[];
  /** ||β*||² and d_eff = (tr Σ⁻¹)²/tr Σ⁻². */ bb: number; deff: number;
}

export function spikeTheory(v: Pick<SpikeKnobs, 'link' | 'noise' | 'problemSeed' | 'lambdas'>, d: number, kappa: number, n: number, rotation: 'none' | 'haar' = 'none'): SpikeTheory {
  const { cov, teacher: t } = fixedProblem({ d, kappa, rotation, link: v.link as LinkName, noise: v.noise }, v.problemSeed);
  const base = { n, sigma: cov, beta: t.beta, c1: t.c1 };
  const mom = plainSpikeMoments({ ...base, s2: t.s2, m4: t.m4 });
  let bb = 0;
  for (let i = 0; i < d; i++) bb += t.beta[i]! ** 2;
  const eq = v.lambdas.map((l) => ridgeSpikeEquivalent({ ...base, r2: t.r2, lambda: l }));
  const t1 = covTracePower(cov, -1), t2 = covTracePower(cov, -2);
  return {
    b1sq: b1PlainCosineLimit(cov, t.beta) ** 2,
    b2: b2PlainCos2({ ...base, s2: t.s2 }),
    b2exact: (t.c1 * t.c1) / (bb * mom.normSq),
    b3: n > d + 1 ? b3PrecondCos2({ ...base, r2: t.r2 }) : NaN,
    ridge: eq.map((e) => e.cos2), mu: eq.map((e) => e.mu), bb, deff: (t1 * t1) / t2,
  };
}

// ---------------------------------------------------------------------------------------------------
// Results

export interface FormSummary {
  /** Mean cos² over replicates. */ readonly cos2: Stat;
  /** The ratio of expectations and the Jensen gap (null with < 3 replicates). */ readonly ratio: RatioEstimate | null;
  /** Per-replicate cos², in replicate order. */ readonly values: readonly number[];
}
export interface SpikePoint {
  readonly sweep: 'n/d' | 'κ' | 'rotated' | 'd';
  readonly x: number; readonly d: number; readonly kappa: number; readonly n: number;
  readonly plain: FormSummary; readonly precond: FormSummary | null; readonly ridge: readonly FormSummary[];
  readonly th: SpikeTheory;
}
export interface Comparison { readonly sweep: string; readonly x: number; readonly what: string; readonly est: number; readonly se: number; readonly th: number; readonly z: number }

export interface NetStats { rank1Cos2: number; svdCos2: number; svdVsRank1: number; gap: number; w1Cos2: number[]; w1VsRank1: number[] }
export interface NetRow {
  readonly N: number;
  readonly plain: { rank1: Stat; svd: Stat; gapU: Stat; w1: Stat[] };
  readonly preconditioned: { rank1: Stat; svd: Stat; gapU: Stat; w1: Stat[] };
}
export interface SpikeResults {
  readonly nd: SpikePoint[];
  readonly kappa: SpikePoint[];
  readonly rotated: SpikePoint | null;
  readonly bias: SpikePoint[];
  /** Ratio-of-expectations comparisons (z-scores) per formula. */
  readonly comparisons: Comparison[];
  readonly widths: NetRow[];
  readonly etas: NetRow[];
}

function summarise(xs: SpikeSample[], get: (s: SpikeSample) => number | null, getM: (s: SpikeSample) => [number, number] | null | undefined, bb: number): FormSummary | null {
  const ok = xs.filter((s) => get(s) !== null && getM(s));
  if (ok.length === 0) return null;
  const values = ok.map((s) => get(s)!);
  const ms = ok.map((s) => getM(s)!);
  return { cos2: stat(values), values, ratio: ok.length >= 3 ? ratioOfMeans(ms.map((m) => m[0]), ms.map((m) => m[1]), bb) : null };
}

function points(v: SpikeKnobs, cells: readonly StoryCell[], sweep: SpikePoint['sweep'], xOf: (p: Params, nIndex: number) => number, rotation: 'none' | 'haar' = 'none'): SpikePoint[] {
  const groups = new Map<string, { p: Params; i: number; n: number; xs: SpikeSample[] }>();
  for (const c of cells) {
    const { n, samples } = readSpike(c);
    samples.forEach((s, i) => {
      const key = `${JSON.stringify(c.params)}#${i}`;
      const g = groups.get(key) ?? { p: c.params, i, n: n[i]!, xs: [] };
      g.xs.push(s);
      groups.set(key, g);
    });
  }
  const out: SpikePoint[] = [];
  for (const g of groups.values()) {
    const d = Number(g.p.d), kappa = Number(g.p.kappa);
    g.xs.sort((a, b) => a.replicate - b.replicate);
    const th = spikeTheory(v, d, kappa, g.n, rotation);
    const plain = summarise(g.xs, (s) => s.plain, (s) => s.plainM, th.bb);
    if (!plain) continue;
    out.push({
      sweep, x: xOf(g.p, g.i), d, kappa, n: g.n, th, plain,
      precond: summarise(g.xs, (s) => s.precond, (s) => s.precondM, th.bb),
      ridge: v.lambdas.map((_, j) => summarise(g.xs, (s) => s.ridge[j] ?? null, (s) => s.ridgeM[j], th.bb)).filter((f): f is FormSummary => f !== null),
    });
  }
  return out.sort((a, b) => a.x - b.x);
}

function netRows(cells: readonly StoryCell[], scales: number): NetRow[] {
  const byN = new Map<number, NetStats[][]>();
  const read = (x: Json | undefined): NetStats => {
    if (!isObj(x)) throw new TypeError('20-single-index-spike: malformed network cell');
    const num = (k: string) => { const y = x[k]; if (typeof y !== 'number') throw new TypeError(`20-single-index-spike: network ${k} is not a number`); return y; };
    return { rank1Cos2: num('rank1Cos2'), svdCos2: num('svdCos2'), svdVsRank1: num('svdVsRank1'), gap: num('gap'), w1Cos2: numArr(x.w1Cos2, 'w1Cos2'), w1VsRank1: numArr(x.w1VsRank1, 'w1VsRank1') };
  };
  for (const c of cells) {
    if (!isObj(c.result)) continue;
    const N = Number(c.params.N);
    const list = byN.get(N) ?? [];
    list.push([read(c.result.plain), read(c.result.preconditioned)]);
    byN.set(N, list);
  }
  const side = (rs: NetStats[]) => ({
    rank1: stat(rs.map((s) => s.rank1Cos2)), svd: stat(rs.map((s) => s.svdCos2)), gapU: stat(rs.map((s) => 1 - s.svdVsRank1)),
    w1: Array.from({ length: scales }, (_, i) => stat(rs.map((s) => s.w1VsRank1[i]!))),
  });
  return [...byN.entries()].sort((a, b) => a[0] - b[0]).map(([N, rs]) => ({ N, plain: side(rs.map((r) => r[0])), preconditioned: side(rs.map((r) => r[1])) }));
}

function compare(pts: readonly SpikePoint[]): Comparison[] {
  const out: Comparison[] = [];
  const add = (p: SpikePoint, what: string, f: FormSummary | null | undefined, th: number) => {
    if (!f?.ratio || !Number.isFinite(th)) return;
    out.push({ sweep: p.sweep, x: p.x, what, est: f.ratio.ratio, se: f.ratio.ratioSe, th, z: (f.ratio.ratio - th) / f.ratio.ratioSe });
  };
  for (const p of pts) {
    add(p, 'plain (B2, exact moments)', p.plain, p.th.b2exact);
    add(p, 'B3', p.precond, p.th.b3);
    p.ridge.forEach((f, j) => add(p, `ridge λ=${j}`, f, p.th.ridge[j]!));
  }
  return out;
}

const common = (v: SpikeKnobs) => ({ lambdas: [[...v.lambdas]], link: [v.link], noise: [v.noise], problemSeed: [v.problemSeed], rotation: ['none'] });
type SweepName = 'nd' | 'kappa' | 'rotated' | 'bias' | 'widths' | 'etas';
type FigName = 'ndAlignment' | 'kappaAlignment' | 'finiteD' | 'widths' | 'steps';

const COLORS = { plain: '#1f77b4', precond: '#d62728', ridge: ['#2ca02c', '#9467bd', '#8c564b', '#e377c2'] };

function alignmentFigure(rows: readonly SpikePoint[], v: SpikeKnobs, xTitle: string, title: string): Figure {
  const xs = rows.map((r) => r.x);
  const e2 = (f: FormSummary | null | undefined) => (f ? 2 * f.cos2.se : null);
  const traces: Trace[] = [
    markers(xs, rows.map((r) => r.plain.cos2.m), { name: 'plain h (sim.)', color: COLORS.plain, error: rows.map((r) => e2(r.plain)) }),
    line(xs, rows.map((r) => r.th.b2), { name: 'B2', color: COLORS.plain }),
    line(xs, rows.map((r) => r.th.b1sq), { name: 'B1 limit (plain, n → ∞)', color: COLORS.plain, dash: 'dash' }),
    markers(xs, rows.map((r) => r.precond?.cos2.m ?? null), { name: 'Σ̂⁻¹h, λ = 0 (sim.)', color: COLORS.precond, error: rows.map((r) => e2(r.precond)) }),
    line(xs, rows.map((r) => (Number.isNaN(r.th.b3) ? null : r.th.b3)), { name: 'B3', color: COLORS.precond }),
    ...v.lambdas.flatMap((l, j) => [
      markers(xs, rows.map((r) => r.ridge[j]?.cos2.m ?? null), { name: `(Σ̂ + ${l}I)⁻¹h (sim.)`, color: COLORS.ridge[j % 4], error: rows.map((r) => e2(r.ridge[j])) }),
      line(xs, rows.map((r) => r.th.ridge[j] ?? null), { name: `ridge equivalent, λ = ${l}`, color: COLORS.ridge[j % 4], dash: 'dot' }),
    ]),
  ];
  return figure(traces, { title, x: xTitle, y: 'cos²(spike, β*)', logX: true, height: 480, layout: { yaxis: { range: [0, 1] } } });
}

/** Weighted least-squares slope of log(gap) on log(d), with its standard error (gaps must be > 0). */
export function logSlope(ds: readonly number[], gaps: readonly number[], ses: readonly number[]): { slope: number; se: number; intercept: number } {
  const x = ds.map(Math.log), y = gaps.map(Math.log), w = gaps.map((g, i) => (g / ses[i]!) ** 2); // Var(log g) ≈ (se/g)²
  const W = w.reduce((a, b) => a + b, 0), mx = x.reduce((a, xi, i) => a + w[i]! * xi, 0) / W, my = y.reduce((a, yi, i) => a + w[i]! * yi, 0) / W;
  const sxx = x.reduce((a, xi, i) => a + w[i]! * (xi - mx) ** 2, 0), sxy = x.reduce((a, xi, i) => a + w[i]! * (xi - mx) * (y[i]! - my), 0);
  const slope = sxy / sxx;
  return { slope, se: Math.sqrt(1 / sxx), intercept: my - slope * mx };
}

/** The finite-d study: the Jensen gap of the least-squares spike at each d (null where it cannot be estimated). */
export function finiteD(r: SpikeResults): { d: number; deff: number; b3: number; mean: Stat; ratio: number; ratioSe: number; gap: number; gapSe: number }[] {
  return r.bias.filter((p) => p.precond?.ratio).map((p) => ({
    d: p.d, deff: p.th.deff, b3: p.th.b3, mean: p.precond!.cos2,
    ratio: p.precond!.ratio!.ratio, ratioSe: p.precond!.ratio!.ratioSe, gap: p.precond!.ratio!.gap, gapSe: p.precond!.ratio!.gapSe,
  }));
}

export const spikeStory: Story<typeof knobs, SpikeResults, SweepName, FigName> = {
  notebook: '20-single-index-spike',
  title: 'Where the one-step spike points (Model B: B1–B3)',
  knobs,
  constraints: (v) => {
    const out: string[] = [];
    for (let i = 1; i < v.ratios.length; i++) {
      if (!(v.ratios[i]! > v.ratios[i - 1]!)) out.push(`ratios must increase (${v.ratios[i - 1]} then ${v.ratios[i]})`);
      else if (Math.round(v.ratios[i]! * v.d) === Math.round(v.ratios[i - 1]! * v.d)) out.push(`ratios ${v.ratios[i - 1]} and ${v.ratios[i]} give the same n at d = ${v.d}`);
    }
    if (!v.ratios.some((r) => Math.round(r * v.d) > v.d + 1)) out.push(`at least one of ratios must give n = ratio·d > d + 1 (B3 needs it); the largest gives n = ${Math.round(v.ratios[v.ratios.length - 1]! * v.d)} at d = ${v.d}`);
    for (const dd of v.biasDims) if (!(Math.round(v.kappaRatio * dd) > dd + 1)) out.push(`kappaRatio (${v.kappaRatio}) must give n > d + 1 at every d of biasDims (d = ${dd})`);
    if (new Set(v.biasDims).size !== v.biasDims.length) out.push('biasDims must not repeat a value');
    return out;
  },
  sweeps: (v) => {
    const first = v.seed * SEED_STRIDE;
    const spike = (set: Record<string, Json[]>, seeds: number) => ({ experiment: 'single-index-spike', set: { ...common(v), d: [v.d], ...set }, seeds, firstReplicate: first });
    const net = { d: [v.dNet], ratio: [8], kappa: [v.kappa], lambda: [0], link: [v.link], noise: [v.noise], problemSeed: [v.problemSeed], rotation: ['none'] };
    return {
      nd: spike({ kappa: [v.kappa], ratios: [[...v.ratios]] }, v.seeds),
      kappa: spike({ kappa: [...v.kappas], ratios: [[v.kappaRatio]] }, v.seeds),
      rotated: spike({ kappa: [v.kappa], ratios: [[v.kappaRatio]], rotation: ['haar'] }, v.rotSeeds),
      bias: spike({ d: [...v.biasDims], kappa: [v.kappa], ratios: [[v.kappaRatio]] }, v.biasSeeds),
      widths: { experiment: 'single-index-spike-network', set: { ...net, N: [...v.widths], etaScales: [[]] }, seeds: v.netSeeds, firstReplicate: first },
      etas: { experiment: 'single-index-spike-network', set: { ...net, N: [...v.etaWidths], etaScales: [[...v.etaScales]] }, seeds: v.netSeeds, firstReplicate: first },
    };
  },
  analyze: (v, cells: SweepCells<SweepName>): SpikeResults => {
    const nd = points(v, cells.nd, 'n/d', (_p, i) => v.ratios[i]!);
    const kappa = points(v, cells.kappa, 'κ', (p) => Number(p.kappa));
    const rot = points(v, cells.rotated, 'rotated', (p) => Number(p.kappa), 'haar');
    const bias = points(v, cells.bias, 'd', (p) => Number(p.d));
    return {
      nd, kappa, rotated: rot[0] ?? null, bias,
      comparisons: compare([...nd, ...kappa, ...rot]),
      widths: netRows(cells.widths, 0), etas: netRows(cells.etas, v.etaScales.length),
    };
  },
  figures: {
    ndAlignment: (r, v) => alignmentFigure(r.nd, v, 'n / d', `Spike alignment vs n/d (d = ${v.d}, κ(Σ) = ${v.kappa}, ${v.seeds} batches)`),
    kappaAlignment: (r, v) => alignmentFigure(r.kappa, v, 'κ(Σ)', `Spike alignment vs κ(Σ) (d = ${v.d}, n/d = ${v.kappaRatio}, ${v.seeds} batches)`),
    finiteD: (r, v) => {
      const rows = finiteD(r), ds = rows.map((x) => x.d);
      const fit = rows.length >= 2 && rows.every((x) => x.gap > 0) ? logSlope(ds, rows.map((x) => x.gap), rows.map((x) => x.gapSe)) : null;
      return figure([
        markers(ds, rows.map((x) => x.gap), { name: 'E cos² − ratio of expectations (Jensen gap)', color: COLORS.precond, error: rows.map((x) => 2 * x.gapSe) }),
        markers(ds, rows.map((x) => x.ratio - x.b3), { name: 'ratio of expectations − B3', color: '#444', error: rows.map((x) => 2 * x.ratioSe) }),
        ...(fit ? [line(ds, ds.map((dd) => Math.exp(fit.intercept) * dd ** fit.slope), { name: `fit ∝ d^${fit.slope.toFixed(2)}`, color: COLORS.precond, dash: 'dot' })] : []),
        ...(rows.length ? [line(ds, ds.map((dd) => rows[0]!.gap * rows[0]!.d / dd), { name: '∝ 1/d (derived rate)', color: '#888', dash: 'dash' })] : []),
      ], { title: `B3 at finite d (n/d = ${v.kappaRatio}, κ = ${v.kappa}, ${v.biasSeeds} batches; ±2 SE)`, x: 'd', y: 'difference in cos²', logX: true });
    },
    widths: (r) => {
      const kinds = ['plain', 'preconditioned'] as const;
      return figure(kinds.map((k) => markers(r.widths.map((w) => w.N), r.widths.map((w) => w[k].gapU.m), {
        name: k === 'plain' ? 'plain step' : 'preconditioned step (λ = 0)', color: k === 'plain' ? COLORS.plain : COLORS.precond,
        error: r.widths.map((w) => 2 * w[k].gapU.se), extra: { mode: 'lines+markers' },
      })), { title: 'Top right singular vector v₁ of W₁ − W₀ vs the rank-one right vector u', x: 'width N', y: '1 − cos²(v₁, u)', logX: true, logY: true });
    },
    steps: (r, v) => {
      const kinds = ['plain', 'preconditioned'] as const;
      return figure(r.etas.flatMap((row, i) => kinds.map((k) => markers(v.etaScales, row[k].w1.map((s) => s.m), {
        name: `${k}, N = ${row.N}`, color: k === 'plain' ? COLORS.plain : COLORS.precond, error: row[k].w1.map((s) => 2 * s.se),
        extra: { mode: 'lines+markers', line: { dash: ['solid', 'dash', 'dot'][i % 3], color: k === 'plain' ? COLORS.plain : COLORS.precond } },
      }))), { title: `Top right singular vector of W₁ = W₀ − η∇ against u, η = c√N (d = ${v.dNet})`, x: 'c = η/√N', y: 'cos²(v₁(W₁), u)', logX: true, layout: { yaxis: { range: [0, 1.02] } } });
    },
  },
  claims: (r, v) => spikeClaims(r, v),
  robustness: [
    { name: 'base seed 1', knobs: { seed: 1 } },
    { name: 'base seed 2', knobs: { seed: 2 } },
    { name: '4× replicates', knobs: { seeds: 128, rotSeeds: 64, biasSeeds: 640, netSeeds: 8 } },
    { name: 'd = 512', knobs: { d: 512, biasDims: [64, 128, 256, 512, 1024] } },
  ],
  profiles: {
    // The paper's scale: d = 1024 for the alignment sweeps and the network (n = 8d = 8192 there), widths up
    // to 2048. One replicate's cos² fluctuates ∝ 1/√d, so 8 batches per point at d = 1024 measure each
    // ratio of expectations about as precisely as the default 32 at d = 256 (SE ∝ 1/√(d·batches): 8·1024 =
    // 32·256). The finite-d study already spans d = 32…512 (its cells are the default's).
    paper: {
      d: 1024, seeds: 8, kappas: [1, 10, 100, 1000], rotSeeds: 8,
      dNet: 1024, widths: [256, 512, 1024, 2048], etaWidths: [2048], netSeeds: 4,
    },
  },
};

const pct = (x: number) => `${(100 * x).toFixed(0)} %`;

export function spikeClaims(r: SpikeResults, v: SpikeKnobs): ClaimCheck[] {
  const out: ClaimCheck[] = [];
  const a = v.alpha;
  const missing = (what: string) => `no measurement: ${what} (sweep incomplete?)`;

  // 1–3: theory against simulation on the ratio of expectations, Holm over the grid
  const grid = (re: RegExp, name: string) => {
    const cs = r.comparisons.filter((c) => re.test(c.what));
    if (cs.length === 0) { out.push({ claim: name, measured: missing('no grid point'), holds: false }); return; }
    const bad = cs.filter((c) => !Number.isFinite(c.z));
    if (bad.length) { out.push({ claim: name, measured: `${bad.length} grid point(s) without a finite z-score`, holds: false }); return; }
    const t: ZGridResult = zGridTest(cs.map((c) => c.z), a);
    const worst = cs.reduce((w, c) => (Math.abs(c.z) > Math.abs(w.z) ? c : w));
    const rel = Math.max(...cs.map((c) => Math.abs(c.est - c.th) / c.th));
    out.push({ claim: name, measured: `${t.text}; worst at ${worst.sweep} ${worst.x} (z = ${worst.z.toFixed(2)}); max |rel. diff| ${(100 * rel).toFixed(1)} %`, holds: t.holds });
  };
  grid(/^plain/, `the plain spike's alignment (E⟨h,β*⟩)²/(‖β*‖² E‖h‖²) equals its exact finite-n form (B2 with the exact second moment) at every point of the n/d, κ and rotated grids (Holm, family-wise α = ${a})`);
  grid(/^B3$/, `B3 (λ = 0, inverse-Wishart mean) predicts the least-squares spike's (E⟨b,β*⟩)²/(‖β*‖² E‖b‖²) at every grid point with n > d + 1 (Holm, family-wise α = ${a})`);
  grid(/^ridge/, `the ridge deterministic equivalent predicts (E⟨b_λ,β*⟩)²/(‖β*‖² E‖b_λ‖²) at every grid point and λ, n < d included (Holm, family-wise α = ${a})`);

  // 4: the finite-d (Jensen) gap of B3 shrinks as 1/d
  {
    const rows = finiteD(r);
    const name = `finite d: E cos² of the least-squares spike exceeds B3's ratio of expectations by a Jensen gap that shrinks like 1/d (fitted exponent of the gap against d within ±0.35 of −1 at the ${pct(1 - a)} level, and the gap > 0 at every d by a one-sided z-test at α = ${a})`;
    if (rows.length < 3) out.push({ claim: name, measured: missing('fewer than 3 dimensions'), holds: false });
    else {
      const zq = normalQuantile(1 - a);
      const pos = rows.every((x) => x.gap - zq * x.gapSe > 0);
      const fit = rows.every((x) => x.gap > 0) ? logSlope(rows.map((x) => x.d), rows.map((x) => x.gap), rows.map((x) => x.gapSe)) : null;
      const zq2 = normalQuantile(1 - a / 2);
      const lo = fit ? fit.slope - zq2 * fit.se : NaN, hi = fit ? fit.slope + zq2 * fit.se : NaN;
      out.push({
        claim: name,
        measured: `gap ${rows.map((x) => `${x.gap.toExponential(2)} ± ${x.gapSe.toExponential(1)} (d = ${x.d})`).join(', ')}; exponent ${fit ? `${fit.slope.toFixed(2)}, ${pct(1 - a)} CI [${lo.toFixed(2)}, ${hi.toFixed(2)}]` : 'not fitted (a gap ≤ 0)'}`,
        holds: pos && fit !== null && lo >= -1.35 && hi <= -0.65,
      });
    }
  }

  // 5: B1: the plain step stays below its limit
  {
    const pts = [...r.nd, ...r.kappa];
    const name = `B1: the plain step's mean cos² lies below its n → ∞ limit at every n/d and κ (one-sided t bound at α = ${a} per point; all points: intersection–union test)`;
    if (pts.length === 0) out.push({ claim: name, measured: missing('no grid point'), holds: false });
    else {
      const margins = pts.map((p) => p.th.b1sq - tBound(p.plain.cos2, a, 'upper'));
      const worst = Math.min(...margins), at = pts[margins.indexOf(worst)]!;
      out.push({ claim: name, measured: `smallest margin limit − upper bound ${worst.toFixed(4)} (at ${at.sweep} ${at.x})`, holds: margins.every((m) => m > 0) });
    }
  }

  // 6: the least-squares spike rises with n/d past the plain limit
  {
    const pre = r.nd.filter((p) => p.precond);
    const name = `B1: the least-squares spike's cos² increases at every step of the n/d grid (paired one-sided t on the nested batches, α = ${a} per step), ends above the plain step's limit (one-sided t) and B3 → 1 (B3 > 0.99 at n/d = 1000)`;
    if (pre.length < 2) out.push({ claim: name, measured: missing('fewer than two n/d points with n > d + 1'), holds: false });
    else {
      const steps = pre.slice(1).map((p, i) => {
        const prev = pre[i]!.precond!.values, cur = p.precond!.values;
        const m = Math.min(prev.length, cur.length);
        return { x: p.x, s: stat(cur.slice(0, m).map((c, k) => c - prev[k]!)) };
      });
      const lows = steps.map((s) => tBound(s.s, a, 'lower'));
      const last = pre[pre.length - 1]!, lastLo = tBound(last.precond!.cos2, a, 'lower');
      const far = spikeTheory(v, v.d, v.kappa, 1000 * v.d).b3;
      out.push({
        claim: name,
        measured: `cos² ${pre.map((p) => p.precond!.cos2.m.toFixed(3)).join(', ')} over n/d = ${pre.map((p) => p.x).join(', ')}; smallest step lower bound ${Math.min(...lows).toExponential(2)}; last lower bound ${lastLo.toFixed(3)} vs limit ${last.th.b1sq.toFixed(3)}; B3 at n/d = 1000: ${far.toFixed(4)}`,
        holds: lows.every((l) => l > 0) && lastLo > last.th.b1sq && far > 0.99,
      });
    }
  }

  // 7–8: the network's singular vectors
  for (const k of ['plain', 'preconditioned'] as const) {
    const w = r.widths;
    const name1 = `${k} step: the top right singular vector of W₁ − W₀ approaches the rank-one term as the width grows (weighted log–log fit of 1 − cos² against N: exponent's one-sided upper bound at α = ${a} below −0.5; cos² ≥ 0.99 at the largest width by its lower bound)`;
    if (w.length < 3) out.push({ claim: name1, measured: missing('fewer than three widths'), holds: false });
    else {
      const g = w.map((x) => x[k].gapU);
      const ok = g.every((s) => s.m > 0 && s.se > 0);
      const fit = ok ? logSlope(w.map((x) => x.N), g.map((s) => s.m), g.map((s) => s.se)) : null;
      const hi = fit ? fit.slope + normalQuantile(1 - a) * fit.se : NaN;
      const l = g[g.length - 1]!, lHi = tBound(l, a, 'upper');
      out.push({
        claim: name1,
        measured: `1 − cos² ${g[0]!.m.toExponential(2)} (N = ${w[0]!.N}) → ${l.m.toExponential(2)} (N = ${w[w.length - 1]!.N}, upper bound ${lHi.toExponential(2)}); exponent ${fit ? `${fit.slope.toFixed(2)}, upper bound ${hi.toFixed(2)}` : 'not fitted (a mean gap ≤ 0)'}`,
        holds: fit !== null && hi < -0.5 && 1 - lHi >= 0.99,
      });
    }
    const e = r.etas;
    const name2 = `${k} step: the top singular vector of W₁ locks onto the spike as the step size grows (cos² < 0.1 at the smallest c and > 0.95 at the largest, by one-sided t bounds at α = ${a}, at every width)`;
    if (e.length === 0) out.push({ claim: name2, measured: missing('no step-size cell'), holds: false });
    else {
      const his = e.map((row) => tBound(row[k].w1[0]!, a, 'upper')), los = e.map((row) => tBound(row[k].w1[row[k].w1.length - 1]!, a, 'lower'));
      out.push({
        claim: name2,
        measured: `upper bound ≤ ${Math.max(...his).toFixed(3)} at η = ${v.etaScales[0]}√N, lower bound ≥ ${Math.min(...los).toFixed(3)} at η = ${v.etaScales[v.etaScales.length - 1]}√N over N = ${e.map((x) => x.N).join(', ')}`,
        holds: Math.max(...his) < 0.1 && Math.min(...los) > 0.95,
      });
    }
  }
  return out;
}

export default spikeStory;
