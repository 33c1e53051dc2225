/**
 * Summaries and claim tests shared by the Model A stories (notebooks 10, 11, 12). Browser-safe.
 *
 * Iteration counts are per replicate (seed) and may be *censored*: a run that did not reach the target
 * within its step budget has count ≥ budget. A count is therefore `{ value, censored }`: exact when
 * `censored` is false, a lower bound when true. A growth claim may use lower bounds (they only make it
 * harder to hold); a flatness or "at most" claim may not (it then fails and says so). Diverged and failed
 * runs are not counts at all.
 *
 * Claims are paired tests over seeds (`pairedTest` in `stats.ts`) on log-ratios: "grows at least c×"
 * holds when the one-sided (1 − α) lower confidence bound of the mean log-ratio exceeds log c; "changes by
 * less than c×" holds when both one-sided (1 − α) bounds lie inside (−log c, log c) (two one-sided tests).
 * A claim made of several such tests holds when each holds (an intersection–union test: its false-holding
 * rate is at most α, no multiplicity correction needed).
 */
import type { ClaimCheck } from '../claims.js';
import type { StoryCell } from '../stories/story.js';
import { pairedTest, signTest, type PairedTestResult } from '../stats.js';
import type { Json } from '../sweep/types.js';
import { line, markers, type Trace } from '../plot.js';

/** An iteration count of one seed: exact, or a lower bound when `censored` (the budget was hit). */
export interface Count { readonly value: number; readonly censored: boolean }
/** One seed's outcome at a setting: a count, or why there is none. */
export type SeedOutcome = Count | { readonly missing: string };

export const isCount = (o: SeedOutcome | undefined): o is Count => o !== undefined && 'value' in o;

/** What a `linear-iterations` cell returned, read without casts. */
export type IterOutcome =
  | { readonly kind: 'reached'; readonly iters: number }
  | { readonly kind: 'censored' }
  | { readonly kind: 'diverged' }
  | { readonly kind: 'failed'; readonly reason: string };

const field = (r: Json, k: string): Json | undefined =>
  (r !== null && typeof r === 'object' && !Array.isArray(r) ? r[k] : undefined);
export const num = (r: Json, k: string): number | null => { const x = field(r, k); return typeof x === 'number' ? x : null; };
export const str = (r: Json, k: string): string | null => { const x = field(r, k); return typeof x === 'string' ? x : null; };
export const bool = (r: Json, k: string): boolean => field(r, k) === true;
export const numList = (r: Json, k: string): (number | null)[] => {
  const x = field(r, k);
  return Array.isArray(x) ? x.map((v) => (typeof v === 'number' ? v : null)) : [];
};
/** The reason of a failed cell (`{ failed: reason }`), else null. */
export const failedReason = (r: Json): string | null => str(r, 'failed');

export function iterOutcome(r: Json): IterOutcome {
  const f = failedReason(r);
  if (f !== null) return { kind: 'failed', reason: f };
  if (bool(r, 'diverged')) return { kind: 'diverged' };
  const it = num(r, 'iters');
  return it === null ? { kind: 'censored' } : { kind: 'reached', iters: it };
}

/** Cells whose params match every given value. */
export function where(cells: readonly StoryCell[], match: Readonly<Record<string, Json>>): StoryCell[] {
  return cells.filter((c) => Object.entries(match).every(([k, v]) => JSON.stringify(c.params[k]) === JSON.stringify(v)));
}

/**
 * Per seed, the best count over the step sizes present (oracle tuning per seed, which favours the method):
 * the smallest exact count, else ≥ budget if some step size ran out of budget, else missing (every step
 * size diverged or failed; the reason says which).
 */
export function bestPerSeed(cells: readonly StoryCell[], budget: number): Map<number, SeedOutcome> {
  const bySeed = new Map<number, IterOutcome[]>();
  for (const c of cells) {
    const l = bySeed.get(c.replicate) ?? [];
    l.push(iterOutcome(c.result));
    bySeed.set(c.replicate, l);
  }
  const out = new Map<number, SeedOutcome>();
  for (const [rep, os] of [...bySeed].sort((a, b) => a[0] - b[0])) {
    const reached = os.flatMap((o) => (o.kind === 'reached' ? [o.iters] : []));
    if (reached.length) out.set(rep, { value: Math.min(...reached), censored: false });
    else if (os.some((o) => o.kind === 'censored')) out.set(rep, { value: budget, censored: true });
    else {
      const failed = os.flatMap((o) => (o.kind === 'failed' ? [o.reason] : []));
      out.set(rep, { missing: failed.length ? `failed (${failed[0]})` : 'diverged at every step size' });
    }
  }
  return out;
}

/** Geometric mean of the counts; `censored` when any is a lower bound (then so is the mean). */
export function geoMean(os: ReadonlyMap<number, SeedOutcome> | undefined): Count | null {
  const cs = [...(os?.values() ?? [])].filter(isCount);
  if (!cs.length || cs.length !== (os?.size ?? 0)) return null;
  return { value: Math.exp(cs.reduce((a, c) => a + Math.log(c.value), 0) / cs.length), censored: cs.some((c) => c.censored) };
}

export const fmtCount = (c: Count | null | undefined, digits = 0): string =>
  (c ? `${c.censored ? '≥ ' : ''}${c.value.toFixed(digits)}` : 'n/a');

const fmtX = (x: number) => (x >= 1e4 ? x.toExponential(1) : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

export type RatioKind = 'growth' | 'below' | 'within';

function ciText(t: PairedTestResult, shift: number): string {
  const lo = Math.exp(t.lo + shift), hi = Math.exp(t.hi + shift);
  const pct = Math.round(100 * (1 - t.alpha));
  return `geometric-mean ratio ×${fmtX(Math.exp(t.mean + shift))}, ${pct}% one-sided bounds ×${fmtX(lo)} … ×${fmtX(hi)} (paired t on log-ratios, n = ${t.n})`;
}

/**
 * A ratio claim on per-seed counts, b over a, pooled over several (a, b) pairs by averaging each seed's
 * log-ratios (pairs: e.g. the same contrast at two κ(Σ)). Kinds, with the one-sided (1 − α) bounds of the
 * mean log-ratio:
 * - 'growth': b ≥ factor·a: lower bound > log factor. Censored b enter as lower bounds (conservative);
 *   a censored a fails the claim.
 * - 'below': b < factor·a: upper bound < log factor. Censored a enter as lower bounds (conservative);
 *   a censored b fails the claim.
 * - 'within': b within a factor of a: both bounds inside (−log factor, log factor); any censored count
 *   fails it (a lower bound cannot show that a count stayed small).
 */
export function ratioTest(kind: RatioKind, pairs: readonly (readonly [ReadonlyMap<number, SeedOutcome>, ReadonlyMap<number, SeedOutcome>])[], factor: number, alpha = 0.05):
  { holds: boolean; measured: string; test: PairedTestResult | null } {
  const seeds = [...new Set(pairs.flatMap(([a, b]) => [...a.keys(), ...b.keys()]))].sort((x, y) => x - y);
  const logs: number[] = [];
  let censA = 0, censB = 0, total = 0;
  for (const rep of seeds) {
    let sum = 0;
    for (const [a, b] of pairs) {
      const oa = a.get(rep), ob = b.get(rep);
      if (!isCount(oa) || !isCount(ob)) {
        const why = (o: SeedOutcome | undefined) => (o === undefined ? 'not computed' : 'missing' in o ? o.missing : '');
        return { holds: false, test: null, measured: `seed ${rep} has no count: ${!isCount(oa) ? why(oa) : why(ob)}` };
      }
      if (oa.censored) censA++;
      if (ob.censored) censB++;
      total++;
      sum += Math.log(ob.value / oa.value);
    }
    logs.push(sum / pairs.length);
  }
  if (kind === 'growth' && censA) return { holds: false, test: null, measured: `${censA} reference count(s) hit the budget (≥), so no growth can be bounded` };
  if (kind === 'below' && censB) return { holds: false, test: null, measured: `${censB} count(s) hit the budget (≥): a lower bound cannot show a count stayed small` };
  if (kind === 'within' && (censA || censB)) return { holds: false, test: null, measured: `${censA + censB} count(s) hit the budget (≥): a lower bound cannot show a count stayed flat` };
  if (logs.length < 2) return { holds: false, test: null, measured: `only ${logs.length} seed(s): at least 2 are needed` };
  const L = Math.log(factor);
  const t = pairedTest(logs, 'positive', alpha);
  const holds = kind === 'growth' ? t.lo > L : kind === 'below' ? t.hi < L : t.lo > -L && t.hi < L;
  const cens = censA + censB;
  const note = cens ? `; ${cens} of ${total} counts hit the budget and enter as lower bounds (≥)` : '';
  const pooled = pairs.length > 1 ? `; each seed's log-ratio averaged over ${pairs.length} pairs` : '';
  return { holds, test: t, measured: ciText(t, 0) + pooled + note };
}

/** "b is at least `factor` times a" (see `ratioTest`, kind 'growth'). */
export const growthTest = (a: ReadonlyMap<number, SeedOutcome>, b: ReadonlyMap<number, SeedOutcome>, factor: number, alpha = 0.05) =>
  ratioTest('growth', [[a, b]], factor, alpha);
/** "b is within a factor `factor` of a" (see `ratioTest`, kind 'within'). */
export const withinTest = (a: ReadonlyMap<number, SeedOutcome>, b: ReadonlyMap<number, SeedOutcome>, factor: number, alpha = 0.05) =>
  ratioTest('within', [[a, b]], factor, alpha);

/** Combine several sub-tests into one claim that holds when each does (intersection–union). */
export function allOf(claim: string, parts: readonly { label: string; holds: boolean; measured: string }[]): ClaimCheck {
  const bad = parts.filter((p) => !p.holds);
  return {
    claim,
    holds: parts.length > 0 && bad.length === 0,
    measured: (parts.length ? parts.map((p) => `${p.label}: ${p.measured}${p.holds ? '' : ' [fails]'}`).join('; ') : 'no measurement'),
  };
}

/** Per-seed values of a scalar result field (failed or missing cells listed as reasons). */
export function perSeed(cells: readonly StoryCell[], value: (r: Json) => number | null): Map<number, number | string> {
  const out = new Map<number, number | string>();
  for (const c of cells) {
    const f = failedReason(c.result);
    const v = f === null ? value(c.result) : null;
    out.set(c.replicate, f !== null ? `failed (${f})` : v === null || !Number.isFinite(v) ? (bool(c.result, 'diverged') ? 'diverged' : 'no value') : v);
  }
  return out;
}

/** Paired values a, b (by seed) as log(b/a), or why not. */
export function logRatios(a: ReadonlyMap<number, number | string>, b: ReadonlyMap<number, number | string>): { logs: number[]; why: string | null } {
  const logs: number[] = [];
  for (const [rep, x] of a) {
    const y = b.get(rep);
    if (typeof x !== 'number' || typeof y !== 'number') return { logs, why: typeof x !== 'number' ? String(x) : y === undefined ? 'not computed' : String(y) };
    if (!(x > 0 && y > 0)) return { logs, why: `non-positive value (${x}, ${y})` };
    logs.push(Math.log(y / x));
  }
  return { logs, why: a.size ? null : 'no cells' };
}

/** "b/a ≥ factor on average" for plain positive per-seed values (no censoring). */
export function valueGrowth(a: ReadonlyMap<number, number | string>, b: ReadonlyMap<number, number | string>, factor: number, alpha = 0.05) {
  const { logs, why } = logRatios(a, b);
  if (why !== null) return { holds: false, measured: `no paired value: ${why}`, test: null };
  const t = pairedTest(logs.map((x) => x - Math.log(factor)), 'positive', alpha);
  return { holds: t.holds, measured: ciText(t, Math.log(factor)), test: t };
}

/** "b/a within (1/factor, factor) on average" for plain positive per-seed values. */
export function valueWithin(a: ReadonlyMap<number, number | string>, b: ReadonlyMap<number, number | string>, factor: number, alpha = 0.05) {
  const { logs, why } = logRatios(a, b);
  if (why !== null) return { holds: false, measured: `no paired value: ${why}`, test: null };
  const t = pairedTest(logs, 'positive', alpha);
  const L = Math.log(factor);
  return { holds: t.lo > -L && t.hi < L, measured: ciText(t, 0), test: t };
}

/**
 * A count series as plot traces: the exact means on a line with markers, the censored ones (≥ budget,
 * lower bounds) as separate triangle-up markers, so a run that ran out of budget never looks finished.
 */
export function countTraces(x: readonly number[], ys: readonly (Count | null)[], name: string, o: { color?: string; dash?: string } = {}): Trace[] {
  const exact = ys.map((c) => (c && !c.censored ? c.value : null));
  const cx = x.filter((_, i) => ys[i]?.censored), cy = ys.filter((c): c is Count => !!c?.censored).map((c) => c.value);
  const out: Trace[] = [line(x, exact, { name, color: o.color, dash: o.dash, extra: { mode: 'lines+markers' } })];
  if (cx.length) out.push(markers(cx, cy, { name: `${name}: ≥ budget (censored)`, color: o.color, extra: { marker: { symbol: 'triangle-up-open', size: 11, ...(o.color ? { color: o.color } : {}) } } }));
  return out;
}

/**
 * "b ends above a" for per-seed final values where a run of b may have diverged: without divergences, the
 * paired t on log-ratios (`valueGrowth` with factor 1); with some, an exact one-sided sign test in which a
 * diverged b counts as larger (a diverged run ends with an unbounded loss, worse than any finished one).
 * A diverged or failed a, or a failed b, fails the claim.
 */
export function valueAbove(a: ReadonlyMap<number, number | string>, b: ReadonlyMap<number, number | string>, alpha = 0.05):
  { holds: boolean; measured: string; test: PairedTestResult | null } {
  const diffs: number[] = [];
  let diverged = 0;
  for (const [rep, x] of a) {
    const y = b.get(rep);
    if (typeof x !== 'number' || !(x > 0)) return { holds: false, measured: `no paired value: ${String(x)}`, test: null };
    if (y === 'diverged') { diverged++; diffs.push(1); continue; }
    if (typeof y !== 'number' || !(y > 0)) return { holds: false, measured: `no paired value: ${y === undefined ? 'not computed' : String(y)}`, test: null };
    diffs.push(Math.log(y / x));
  }
  if (!diverged) return valueGrowth(a, b, 1, alpha);
  const t = signTest(diffs, 'positive', alpha);
  return { holds: t.holds, test: null,
    measured: `${diverged} of ${diffs.length} seeds diverged (counted as larger: a diverged run's loss is unbounded); ${t.k}/${t.n} larger, exact sign test p = ${t.p.toPrecision(2)} (α = ${alpha})` };
}
