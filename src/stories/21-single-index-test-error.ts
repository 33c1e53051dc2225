/**
 * Story of notebook 21 (Model B, B4 and B5; the paper's Fig. 3): test error after one step on the first
 * layer and ridge on the second, against κ(Σ), for random features, the plain step, the preconditioned
 * step, Adam's first step and the plain step of a batch-norm network; and the spike alignment behind it.
 * The notebook, `npm start` and the site call it. Browser-safe.
 *
 * Every kind of one cell shares the problem, W₀ and the batches, so comparisons between kinds are paired
 * over problems (seeds). A claim "A below B at every κ" is a one-sided paired t-test per κ at level α,
 * and holds when every κ passes: an intersection–union test, whose level is α with no correction (each
 * κ must be significant on its own, so more κ values make it harder, never easier, to pass). "Agree" is an
 * equivalence test (TOST): the (1 − 2α) interval of the paired difference lies inside a stated margin.
 */
import type { ClaimCheck } from '../claims.js';
import type { Json, Params } from '../sweep/types.js';
import { SEED_STRIDE, deriveSeed } from '../sweep/grid.js';
import { makeProblem, type PipelineKind } from '../experiments/single-index-common.js';
import { covApply } from '../data/covariance.js';
import { type LinkName } from '../data/teachers.js';
import { Rng } from '../rng.js';
import { equivalenceTest, pairedTest, type PairedTestResult } from '../stats.js';
import { figure, line, markers, type Figure } from '../plot.js';
import type { KnobValues, Story, StoryCell, SweepCells } from './story.js';

export const knobs = {
  seed: { type: 'integer', default: 0, min: 0, max: 1000, doc: 'base seed: problems start at seed·10⁶ (0 reuses the committed cells)' },
  alpha: { type: 'number', default: 0.05, above: 0, max: 0.2, doc: 'significance level of every test' },
  d: { type: 'integer', default: 32, min: 4, max: 2048, doc: 'input dimension' },
  N: { type: 'integer', default: 128, min: 4, max: 4096, doc: 'width' },
  kappas: { type: 'number[]', default: [1, 4, 16, 64, 256, 1024], min: 1, max: 1e6, minLength: 2, doc: 'κ(Σ) (geometric spectrum, tr Σ = d); κ = 1 is Σ = I, the control' },
  ratio: { type: 'number', default: 32, above: 1, max: 256, doc: 'n/d of the batch of the gradient step (> 1: the preconditioned step inverts Σ̂)' },
  ridgeRatio: { type: 'number', default: 16, above: 0, max: 256, doc: 'n/d of the ridge batch (second layer)' },
  valRatio: { type: 'number', default: 4, above: 0, max: 256, doc: 'n/d of the validation batch (choice of η and ρ)' },
  nTest: { type: 'integer', default: 2000, min: 100, max: 100000, doc: 'test samples' },
  link: { type: 'choice', default: 'poly', options: ['relu', 'tanh', 'poly', 'linear'], doc: "teacher link σ* ('poly': He₁(ξ) + He₂(ξ)/√2)" },
  noise: { type: 'number', default: 0.1, min: 0, max: 10, doc: 'label noise σ_ε (Bayes error σ_ε²)' },
  etaGrid: { type: 'number[]', default: [0.5, 1, 2, 4], above: 0, max: 1000, doc: "step sizes tried, as multiples of each kind's base step" },
  ridgeGrid: { type: 'number[]', default: [1e-5, 1e-4, 1e-3, 1e-2, 1e-1], min: 0, max: 1e3, doc: 'ridge values ρ tried on the validation batch' },
  seeds: { type: 'integer', default: 12, min: 3, max: 1000, doc: "independent problems (Σ's rotation, β*, W₀, batches) per κ" },
  margin: { type: 'number', default: 0.02, above: 0, max: 1, doc: 'equivalence margin of the Σ = I control (test error, absolute)' },
  rhoMargin: { type: 'number', default: 0.05, above: 0, max: 1, doc: "equivalence margin of the preconditioned spike's ρ² against its κ-free prediction" },
} as const;
export type TestErrorKnobs = KnobValues<typeof knobs>;

export const KINDS = ['rf', 'plain', 'preconditioned', 'adam', 'batchnorm'] as const satisfies readonly PipelineKind[];
export type Kind = (typeof KINDS)[number];
export const LEARNED = ['plain', 'preconditioned', 'adam', 'batchnorm'] as const;
export const LABEL: Record<Kind, string> = { rf: 'random features (no step)', plain: 'plain step', preconditioned: 'preconditioned step (λ = 0)', adam: 'Adam first step', batchnorm: 'batch-norm, plain step' };
export const COLOR: Record<Kind, string> = { rf: '#7f7f7f', plain: '#1f77b4', preconditioned: '#d62728', adam: '#ff7f0e', batchnorm: '#2ca02c' };

export interface Rec { kind: Kind; testError: number; svdCorr2: number | null; rank1Cos2: number | null; rank1Corr2: number | null }
export interface Problem {
  readonly kappa: number; readonly rotation: 'haar' | 'none'; readonly replicate: number;
  readonly recs: Readonly<Record<Kind, Rec>>;
  /** The finite-n ρ² predictions for this cell's own Σ and β* (rebuilt from its seed). */
  readonly th: { plain: number; plainLimit: number; precond: number };
}
export interface Stat { readonly m: number; readonly se: number; readonly n: number }
const stat = (xs: readonly number[]): Stat => {
  const n = xs.length, m = xs.reduce((a, b) => a + b, 0) / n;
  return { m, se: n > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (n - 1) / n) : NaN, n };
};
export interface Row {
  readonly kappa: number; readonly rotation: 'rotated' | 'axis-aligned';
  readonly problems: readonly Problem[];
  readonly err: Readonly<Record<Kind, Stat>>;
  readonly rho: { plain: Stat; precond: Stat; adam: Stat; adamCos2: Stat; plainCos2: Stat; bnSvd: Stat; plainSvd: Stat };
  readonly th: { plain: number; plainLimit: number; precond: number };
}
export interface TestErrorResults { readonly rotated: Row[]; readonly aligned: Row[] }

// Reading cells (JSON): checked, not cast
const isObj = (x: Json | undefined): x is { [k: string]: Json } => x !== null && typeof x === 'object' && !Array.isArray(x);
const numOrNull = (x: Json | undefined): number | null => (typeof x === 'number' ? x : null);
function readRecs(c: StoryCell): Record<Kind, Rec> | null {
  if (!Array.isArray(c.result)) return null; // a failed cell ({ failed: reason }) is left out
  const out: Partial<Record<Kind, Rec>> = {};
  for (const x of c.result) {
    if (!isObj(x) || typeof x.kind !== 'string' || typeof x.testError !== 'number') throw new TypeError('21-single-index-test-error: malformed cell');
    const kind = KINDS.find((k) => k === x.kind);
    if (!kind) continue;
    out[kind] = { kind, testError: x.testError, svdCorr2: numOrNull(x.svdCorr2), rank1Cos2: numOrNull(x.rank1Cos2), rank1Corr2: numOrNull(x.rank1Corr2) };
  }
  return KINDS.every((k) => out[k]) ? (out as Record<Kind, Rec>) : null;
}

/** ρ² predictions (n → ∞ limit and finite n) for the problem of one cell, rebuilt as the experiment draws it. */
export function rhoTheory(v: TestErrorKnobs, params: Params, replicate: number, kappa: number, rotation: 'haar' | 'none') {
  const seed = deriveSeed('single-index-test-error', params, replicate);
  const { cov, teacher: t } = makeProblem({ d: v.d, kappa, rotation, link: v.link as LinkName, noise: v.noise }, new Rng(seed).fork('problem'));
  const s1 = covApply(cov, t.beta), s2 = covApply(cov, s1), s3 = covApply(cov, s2);
  const dot = (u: ArrayLike<number>, w: ArrayLike<number>) => { let a = 0; for (let i = 0; i < u.length; i++) a += u[i]! * w[i]!; return a; };
  const n = Math.round(v.ratio * v.d), trS2 = Array.from(cov.values).reduce((a, l) => a + l * l, 0), c2 = t.c1 * t.c1;
  return {
    plainLimit: dot(t.beta, s2) ** 2 / dot(t.beta, s3),
    plain: (c2 * dot(t.beta, s2) ** 2) / (c2 * dot(t.beta, s3) + (t.s2 * trS2) / n),
    precond: c2 / (c2 + (t.r2 * v.d) / (n - v.d - 1)),
  };
}

function rowsOf(v: TestErrorKnobs, cells: readonly StoryCell[], rotation: 'haar' | 'none'): Row[] {
  const byK = new Map<number, Problem[]>();
  for (const c of cells) {
    const recs = readRecs(c);
    if (!recs) continue;
    const kappa = Number(c.params.kappa);
    const list = byK.get(kappa) ?? [];
    list.push({ kappa, rotation, replicate: c.replicate, recs, th: rhoTheory(v, c.params, c.replicate, kappa, rotation) });
    byK.set(kappa, list);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return [...byK.entries()].sort((a, b) => a[0] - b[0]).map(([kappa, ps]) => {
    ps.sort((a, b) => a.replicate - b.replicate);
    const s = (kind: Kind, f: (r: Rec) => number | null) => stat(ps.map((p) => f(p.recs[kind])).filter((x): x is number => x !== null));
    return {
      kappa, rotation: rotation === 'haar' ? 'rotated' : 'axis-aligned', problems: ps,
      err: Object.fromEntries(KINDS.map((k) => [k, s(k, (r) => r.testError)])) as Record<Kind, Stat>,
      rho: {
        plain: s('plain', (r) => r.rank1Corr2), precond: s('preconditioned', (r) => r.rank1Corr2), adam: s('adam', (r) => r.rank1Corr2),
        adamCos2: s('adam', (r) => r.rank1Cos2), plainCos2: s('plain', (r) => r.rank1Cos2), bnSvd: s('batchnorm', (r) => r.svdCorr2), plainSvd: s('plain', (r) => r.svdCorr2),
      },
      th: { plain: mean(ps.map((p) => p.th.plain)), plainLimit: mean(ps.map((p) => p.th.plainLimit)), precond: mean(ps.map((p) => p.th.precond)) },
    };
  });
}

/** Paired differences a − b of test error over the problems of a row. */
export const diffs = (row: Row, a: Kind, b: Kind): number[] => row.problems.map((p) => p.recs[a].testError - p.recs[b].testError);

/** TOST: the (1 − 2α) two-sided t interval of the mean of `xs` − `center` lies inside ±margin. */
export function equivalence(xs: readonly number[], center: number, margin: number, alpha: number): { lo: number; hi: number; holds: boolean; text: string } {
  const t = equivalenceTest(xs.map((x) => x - center), -margin, margin, alpha);
  return { lo: t.lo, hi: t.hi, holds: t.holds, text: `mean ${t.mean.toFixed(4)}, ${Math.round(100 * (1 - 2 * alpha))}% interval [${t.lo.toFixed(4)}, ${t.hi.toFixed(4)}] vs ±${margin} (TOST, n = ${t.n})` };
}

type SweepName = 'rotated' | 'aligned';
type FigName = 'testError' | 'paired' | 'alignment' | 'errorVsAlignment';

/** The rows of both rotations at κ (Σ = I, κ = 1, is one family: it comes from the rotated sweep). */
export const rowAt = (r: TestErrorResults, rotation: 'rotated' | 'axis-aligned', kappa: number): Row | undefined =>
  (kappa === 1 || rotation === 'rotated' ? r.rotated : r.aligned).find((x) => x.kappa === kappa);

export const testErrorStory: Story<typeof knobs, TestErrorResults, SweepName, FigName> = {
  notebook: '21-single-index-test-error',
  title: 'Features decide the test error (Model B: B4, B5)',
  knobs,
  constraints: (v) => [
    ...(v.kappas.includes(1) ? [] : [`kappas must include 1 (Σ = I, the control of B4); got ${v.kappas.join(', ')}`]),
    ...(v.kappas.some((k) => k > 1) ? [] : ['kappas must include at least one κ > 1']),
    ...(new Set(v.kappas).size === v.kappas.length ? [] : ['kappas must not repeat a value']),
    ...(Math.round(v.ratio * v.d) > v.d + 1 ? [] : [`ratio·d (${Math.round(v.ratio * v.d)}) must exceed d + 1 = ${v.d + 1}: the preconditioned step (λ = 0) inverts Σ̂`]),
  ],
  sweeps: (v) => {
    const base = {
      d: [v.d], N: [v.N], ratio: [v.ratio], ridgeRatio: [v.ridgeRatio], valRatio: [v.valRatio], nTest: [v.nTest], link: [v.link], noise: [v.noise],
      etaGrid: [[...v.etaGrid]], ridgeGrid: [[...v.ridgeGrid]],
    };
    const first = v.seed * SEED_STRIDE;
    return {
      rotated: { experiment: 'single-index-test-error', set: { ...base, kappa: [...v.kappas], rotation: ['haar'] }, seeds: v.seeds, firstReplicate: first },
      aligned: { experiment: 'single-index-test-error', set: { ...base, kappa: v.kappas.filter((k) => k > 1), rotation: ['none'] }, seeds: v.seeds, firstReplicate: first },
    };
  },
  analyze: (v, cells: SweepCells<SweepName>) => ({ rotated: rowsOf(v, cells.rotated, 'haar'), aligned: rowsOf(v, cells.aligned, 'none') }),
  figures: {
    testError: (r, v) => {
      const ks = (rows: Row[]) => rows.map((x) => x.kappa);
      const al = [...r.rotated.filter((x) => x.kappa === 1), ...r.aligned];
      return figure(KINDS.flatMap((kind) => [
        markers(ks(r.rotated), r.rotated.map((x) => x.err[kind].m), { name: `${LABEL[kind]}, rotated`, color: COLOR[kind], error: r.rotated.map((x) => 2 * x.err[kind].se), extra: { mode: 'lines+markers' } }),
        markers(ks(al), al.map((x) => x.err[kind].m), { name: `${LABEL[kind]}, axis-aligned`, color: COLOR[kind], error: al.map((x) => 2 * x.err[kind].se), extra: { mode: 'lines+markers', line: { dash: 'dash', color: COLOR[kind] }, marker: { symbol: 'circle-open', color: COLOR[kind] } } }),
      ]), { title: `Test error after one step + ridge (d = ${v.d}, N = ${v.N}, n = ${v.ratio}d, ${v.seeds} problems; ±2 SE)`, x: 'κ(Σ)', y: 'test error (MSE)', logX: true, height: 520 });
    },
    paired: (r, v) => {
      const all = [...r.rotated, ...r.aligned].map((x) => x.kappa);
      const lo = Math.min(...all, 1), hi = Math.max(...all, 1);
      const series = ([['rotated', r.rotated, '#d62728', 0.93], ['axis-aligned', r.aligned, '#9467bd', 1.07]] as const).flatMap(([name, rows, color, shift]) => {
        const tests = rows.map((x) => ({ x, t: x.problems.length >= 2 ? pairedTest(diffs(x, 'preconditioned', 'plain'), 'negative', v.alpha) : null }));
        return [
          markers(rows.flatMap((x) => x.problems.map(() => x.kappa * shift)), rows.flatMap((x) => diffs(x, 'preconditioned', 'plain')), { name: `${name} Σ: one problem`, color, extra: { marker: { color, opacity: 0.45, size: 6 } } }),
          markers(tests.map((t) => t.x.kappa * shift), tests.map((t) => t.t?.mean ?? null), {
            name: `${name} Σ: mean, ${Math.round(100 * (1 - v.alpha))}% one-sided bound`, color,
            extra: { marker: { color, symbol: 'diamond', size: 10 }, error_y: { type: 'data', symmetric: false, array: tests.map((t) => (t.t ? t.t.hi - t.t.mean : null)), arrayminus: tests.map(() => 0), visible: true } },
          }),
        ];
      });
      return figure([...series, line([lo * 0.8, hi * 1.25], [0, 0], { name: 'no difference', color: '#888', dash: 'dash' })],
        { title: 'Test error: preconditioned − plain, per problem (below zero: the preconditioned step wins)', x: 'κ(Σ)', y: 'difference of test errors', logX: true });
    },
    alignment: (r, v) => {
      const rs = (rot: 'rotated' | 'axis-aligned') => (rot === 'rotated' ? r.rotated : [...r.rotated.filter((x) => x.kappa === 1), ...r.aligned]);
      const traces = (['rotated', 'axis-aligned'] as const).flatMap((rot) => {
        const rows = rs(rot), k = rows.map((x) => x.kappa), dash = rot === 'rotated' ? 'solid' : 'dash';
        const m = (name: string, color: string, f: (x: Row) => Stat, symbol = 'circle') => markers(k, rows.map((x) => f(x).m), { name: `${name}, ${rot}`, color, error: rows.map((x) => 2 * f(x).se), extra: { mode: 'lines+markers', line: { dash, color }, marker: { symbol, color } } });
        return [
          m('plain ρ²', COLOR.plain, (x) => x.rho.plain), m('preconditioned ρ²', COLOR.preconditioned, (x) => x.rho.precond),
          m('Adam ρ²', COLOR.adam, (x) => x.rho.adam), m('Adam Euclidean cos²', '#8c564b', (x) => x.rho.adamCos2, 'diamond'),
        ];
      });
      const k = r.rotated.map((x) => x.kappa);
      return figure([
        ...traces,
        line(k, r.rotated.map((x) => x.th.plain), { name: 'plain ρ², prediction', color: COLOR.plain, dash: 'dot' }),
        line(k, r.rotated.map((x) => x.th.precond), { name: 'preconditioned ρ², prediction', color: COLOR.preconditioned, dash: 'dot' }),
        line(k, k.map(() => 2 / Math.PI), { name: '2/π', color: COLOR.adam, dash: 'dot' }),
      ], { title: `Spike alignment with β* (n = ${v.ratio}d): Σ-correlation ρ² and Adam's Euclidean cos²`, x: 'κ(Σ)', y: 'alignment', logX: true, height: 520, layout: { yaxis: { range: [0, 1.02] } } });
    },
    errorVsAlignment: (r) => figure(LEARNED.map((kind) => {
      const rows = [...r.rotated, ...r.aligned];
      return markers(rows.map((x) => stat(x.problems.map((p) => p.recs[kind].svdCorr2 ?? NaN)).m), rows.map((x) => x.err[kind].m), { name: LABEL[kind], color: COLOR[kind] });
    }), { title: 'Test error against the Σ-correlation of the learned direction', x: 'ρ² of the top right singular vector of W₁ − W₀', y: 'test error' }),
  },
  claims: (r, v) => testErrorClaims(r, v),
  robustness: [
    { name: 'base seed 1', knobs: { seed: 1 } },
    { name: 'base seed 2', knobs: { seed: 2 } },
    { name: '4× problems', knobs: { seeds: 48 } },
    { name: 'd = 64', knobs: { d: 64 } },
  ],
  // No `paper` profile (yet). Measured 2026-12-01 at d = 1024, N = 2048: one cell (five kinds with their
  // step-size and ridge grids) costs ≈ 100 s of one core at n/d = 4 and 250–940 s at the default n/d = 32.
  // At n/d = 4 with step multiples {1, 2} the three B4 claims failed because that profile is the wrong test
  // (the preconditioned step picked the grid's largest multiple in 12 of 12 cells; at n/d = 4 the
  // least-squares spike differs from the plain one even at Σ = I, ρ² 0.73–0.77 against 0.67–0.69). At n/d = 32
  // and the default step grid (3 problems, κ = 256, not committed) the preconditioned step won by 0.21–0.27 in
  // 3 of 3, but the Σ = I control differed by −0.021…−0.035, outside its ±0.02 margin: a finite-n/d margin
  // has to be derived before that profile can be declared. Its ≈ 12 cells of 4–15 min are a cluster job.
};

/** Pearson correlation of test error and ρ² over the (κ, rotation) means of the plain and preconditioned steps. */
export function errorAlignmentCorrelation(r: TestErrorResults): number {
  const pts = [...r.rotated, ...r.aligned].flatMap((x) => (['plain', 'preconditioned'] as const).map((k) => ({
    rho: stat(x.problems.map((p) => p.recs[k].svdCorr2 ?? NaN)).m, err: x.err[k].m,
  })));
  const mx = pts.reduce((a, p) => a + p.rho, 0) / pts.length, my = pts.reduce((a, p) => a + p.err, 0) / pts.length;
  const sxy = pts.reduce((a, p) => a + (p.rho - mx) * (p.err - my), 0);
  return sxy / Math.sqrt(pts.reduce((a, p) => a + (p.rho - mx) ** 2, 0) * pts.reduce((a, p) => a + (p.err - my) ** 2, 0));
}

export function testErrorClaims(r: TestErrorResults, v: TestErrorKnobs): ClaimCheck[] {
  const out: ClaimCheck[] = [];
  const a = v.alpha, pc = `${Math.round(100 * (1 - a))}%`;
  const aniso = v.kappas.filter((k) => k > 1);
  /** Per-κ paired one-sided tests, all required (intersection–union). */
  const everyKappa = (claim: string, rows: (Row | undefined)[], ks: number[], d: (x: Row) => number[], dir: 'negative' | 'positive') => {
    const res: { k: number; t: PairedTestResult | null }[] = ks.map((k, i) => { const x = rows[i]; return { k, t: x && x.problems.length ? pairedTest(d(x), dir, a) : null }; });
    const miss = res.filter((x) => !x.t);
    if (miss.length) { out.push({ claim, measured: `no problems measured at κ = ${miss.map((x) => x.k).join(', ')} (sweep incomplete or cells failed)`, holds: false }); return; }
    out.push({
      claim,
      measured: res.map((x) => `κ=${x.k}: ${x.t!.mean.toFixed(3)} (bound ${x.t!.bound.toFixed(3)}, ${Math.round(x.t!.fraction * x.t!.n)}/${x.t!.n})`).join('; '),
      holds: res.every((x) => x.t!.holds),
    });
  };
  for (const rot of ['rotated', 'axis-aligned'] as const) {
    everyKappa(`B4, ${rot} Σ: the preconditioned step's mean test error is below the plain step's at every κ > 1 (paired one-sided t at α = ${a} per κ, ${pc} upper bound on the mean difference < 0; all κ required: intersection–union test of level α)`,
      aniso.map((k) => rowAt(r, rot, k)), aniso, (x) => diffs(x, 'preconditioned', 'plain'), 'negative');
  }
  {
    const x = rowAt(r, 'rotated', 1);
    const claim = `B4 control: at Σ = I the plain and preconditioned steps' mean test errors agree to within ±${v.margin} (equivalence test TOST at α = ${a}: the ${Math.round(100 * (1 - 2 * a))}% interval of the paired difference inside ±${v.margin})`;
    if (!x || x.problems.length < 2) out.push({ claim, measured: 'fewer than 2 problems at κ = 1', holds: false });
    else { const e = equivalence(diffs(x, 'preconditioned', 'plain'), 0, v.margin, a); out.push({ claim, measured: e.text, holds: e.holds }); }
  }
  {
    const claim = `every learned-feature method (plain, preconditioned, Adam, batch-norm) has a lower mean test error than random features at every κ and rotation (paired one-sided t at α = ${a} each; all required)`;
    const rows = [...r.rotated, ...r.aligned];
    if (rows.length === 0) out.push({ claim, measured: 'no cells', holds: false });
    else {
      const tests = rows.flatMap((x) => LEARNED.map((k) => ({ x, k, t: x.problems.length ? pairedTest(diffs(x, k, 'rf'), 'negative', a) : null })));
      const worst = tests.reduce((w, t) => ((t.t?.bound ?? Infinity) > (w.t?.bound ?? -Infinity) ? t : w));
      out.push({ claim, measured: `${tests.filter((t) => t.t?.holds).length}/${tests.length} significant; weakest: ${worst.k} at κ = ${worst.x.kappa} (${worst.x.rotation}), ${worst.t?.text ?? 'no data'}`, holds: tests.every((t) => t.t?.holds === true) });
    }
  }
  {
    const rows = [...r.rotated, ...r.aligned];
    const claim = `mechanism: the preconditioned spike's Σ-correlation ρ² equals its κ-free prediction to within ±${v.rhoMargin} at every κ and rotation (TOST at α = ${a} each), and the plain spike's ρ² is below it at every κ > 1 (paired one-sided t at α = ${a} each; all required)`;
    if (rows.length === 0) out.push({ claim, measured: 'no cells', holds: false });
    else {
      const eq = rows.map((x) => ({ x, e: equivalence(x.problems.map((p) => p.recs.preconditioned.rank1Corr2 ?? NaN), x.th.precond, v.rhoMargin, a) }));
      const below = rows.filter((x) => x.kappa > 1).map((x) => pairedTest(x.problems.map((p) => (p.recs.plain.rank1Corr2 ?? NaN) - (p.recs.preconditioned.rank1Corr2 ?? NaN)), 'negative', a));
      const far = Math.max(...eq.map((q) => Math.max(Math.abs(q.e.lo), Math.abs(q.e.hi))));
      out.push({
        claim,
        measured: `prediction ${rows[0]!.th.precond.toFixed(3)}; widest interval end ${far.toFixed(3)} from it; plain − preconditioned ρ²: largest upper bound ${Math.max(...below.map((t) => t.bound)).toFixed(3)}`,
        holds: eq.every((q) => q.e.holds) && below.every((t) => t.holds),
      });
    }
  }
  return out;
}

export default testErrorStory;
