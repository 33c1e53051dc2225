/**
 * Notebook 11: KFAC's contraction is condition-number free (A1, A2), input-side whitening keeps κ(F)
 * (A5), damping moves it to SGD (A6), and its noise floor (A4). Sweeps over `linear-iterations` and
 * `linear-noise-floor`; the one-step identities (A1, A2) are computed in the notebook with
 * `oneStepErrors` under two engines and checked by `identityClaim`. Browser-safe.
 */
import type { ClaimCheck } from '../claims.js';
import { figure, line, type Figure } from '../plot.js';
import { SEED_STRIDE } from '../sweep/grid.js';
import { Rng } from '../rng.js';
import { axpy, eye, matmulNT, matmulTN, maxAbs, scale, sub } from '../mat.js';
import { mm64, solveRightSPD } from '../linalg.js';
import { linearNet } from '../models/linear.js';
import { kfac } from '../optim/kfac.js';
import { sampleLinear } from '../data/teachers.js';
import { DEFAULT_SETUP, makeLinearProblem } from '../experiments/linear-common.js';
import {
  allOf, bestPerSeed, ratioTest, countTraces, fmtCount, geoMean, growthTest, isCount, num, perSeed, valueGrowth, where, withinTest,
  type Count, type SeedOutcome,
} from '../experiments/linear-summary.js';
import { equivalenceTest, pairedTest } from '../stats.js';
import type { KnobValues, Story, SweepRequest } from './story.js';
import { modelAShapeConstraints } from './model-a.js';

export const ALPHA = 0.05;

const knobs = {
  kappaSigmas: { type: 'number[]', default: [1, 10, 100, 1000], min: 1, max: 1e5, minLength: 2, doc: 'κ(Σ) grid (geometric spectrum, λ_max = 1, Haar-rotated)' },
  d: { type: 'integer', default: 20, min: 2, max: 400, doc: 'input dimension' },
  k: { type: 'integer', default: 2, min: 2, max: 50, doc: 'representation dimension' },
  dy: { type: 'integer', default: 4, min: 2, max: 100, doc: 'output dimension' },
  n: { type: 'integer', default: 64, min: 2, max: 100000, doc: 'fresh samples per step (undamped KFAC needs n ≥ d)' },
  lrs: { type: 'number[]', default: [0.3, 0.5, 1, 1.5, 2, 3], above: 0, max: 100, doc: 'step sizes searched (both methods; A5 uses those ≤ 1.5)' },
  targetDist: { type: 'number', default: 0.05, above: 0, max: 1, doc: '"reached" threshold on the subspace distance' },
  maxSteps: { type: 'integer', default: 4000, min: 1, max: 1000000, doc: 'step budget; runs that hit it are censored (≥ budget)' },
  kappaFsA5: { type: 'number[]', default: [1, 3, 10], min: 1, max: 100, minLength: 2, doc: 'κ(F*) grid for the input-side-only variant (A5)' },
  dampings: { type: 'number[]', default: [0, 0.01, 0.1, 1, 10, 100], min: 0, max: 1e6, minLength: 2, doc: 'λ (on Σ̂ and Σ̂_z) for the damping sweep (A6)' },
  dampingKappa: { type: 'number', default: 100, min: 1, max: 1e5, doc: 'κ(Σ) of the damping sweep (one of kappaSigmas: SGD\'s count there is the reference)' },
  floorNs: { type: 'integer[]', default: [32, 64, 128, 256, 512, 1024], min: 2, max: 100000, doc: 'batch sizes for the noise floor (each ≥ d)' },
  floorNoise: { type: 'number', default: 0.1, above: 0, max: 10, doc: 'label noise σ_ε of the noise-floor runs' },
  identityD: { type: 'integer', default: 40, min: 2, max: 400, doc: 'd of the one-step identity checks (n = 4d samples)' },
  seeds: { type: 'integer', default: 6, min: 2, max: 200, doc: 'replicates (seeds) per grid point' },
  seed: { type: 'integer', default: 0, min: 0, max: 1000, doc: 'base seed: 0 reuses the committed cells, s > 0 draws an independent set' },
} as const;
export type KfacKnobs = KnobValues<typeof knobs>;

/** The smallest floor batch used for the n^(−1/2) fit: n ≥ 6d (the floor's large-n regime). */
export const floorFitMin = (v: KfacKnobs) => 6 * v.d;

/**
 * The floor's log-log slope against n predicted at finite n/d: the noise term of one KFAC step has covariance
 * σ_ε²(FᵀF)⁻¹ ⊗ Σ̂⁻¹/n and, for Gaussian inputs, E Σ̂⁻¹ = n Σ⁻¹/(n − d − 1) (the inverse-Wishart mean), so the
 * floor scales like σ_ε √(tr Σ⁻¹/(n − d − 1)). Its least-squares slope on log n over the batch sizes `ns` is
 * that of −½ log(n − d − 1): −½ as n/d → ∞, −0.537 for the default fit (d = 20, n = 128…1024), −0.569 for
 * d = 200, n ∈ {1200, 2400}. The A4 slope claim is centred on it.
 */
export function floorSlopePrediction(d: number, ns: readonly number[]): number {
  if (ns.length < 2 || ns.some((n) => !(n > d + 1))) return NaN;
  const xs = ns.map(Math.log), ys = ns.map((n) => -0.5 * Math.log(n - d - 1));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length, my = ys.reduce((a, b) => a + b, 0) / ys.length;
  return xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
}
/** Half-width of the A4 slope window around `floorSlopePrediction` (the default's [−0.6, −0.4] was ±0.1 around −½). */
export const FLOOR_SLOPE_HALF_WIDTH = 0.1;
const A6_BASE_LRS = [0.3, 0.5, 1, 1.5];

export interface FloorRow { kappaSigma: number; kappaF: number; n: number; floor: Map<number, number | string>; ratio: Map<number, number | string>; ratioTr: Map<number, number | string> }
export interface KfacResult {
  /** Per method and κ(Σ) (in `kappaSigmas` order): each seed's best count over the step sizes. */
  kfac: Map<number, SeedOutcome>[]; sgd: Map<number, SeedOutcome>[];
  /** A5: per method, κ(F*) (in `kappaFsA5` order) and κ(Σ) ∈ {min, max}. */
  a5: { kfac: Map<number, SeedOutcome>[][]; input: Map<number, SeedOutcome>[][] };
  a5Kappas: [number, number];
  /** A6: per λ (in `dampings` order), the best over the scaled step-size grid, with the step sizes. */
  a6: { damping: number; best: Map<number, SeedOutcome>; lrs: number[] }[];
  floors: FloorRow[];
}

/** Sweeps: 'kappa', 'a5', 'floor' and one 'A6 λ=…' per damping. */
type S = string;
const a6Name = (lam: number) => `A6 λ=${lam}`;
const sorted = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);

export const kfacStory: Story<typeof knobs, KfacResult, S, 'iterations' | 'a5' | 'a6' | 'floor' | 'floorConstant'> = {
  notebook: '11-linear-kfac',
  title: "KFAC's contraction is condition-number free",
  knobs,
  constraints(v) {
    const out: string[] = [];
    out.push(...modelAShapeConstraints(v, { undampedKfac: true }));
    const small = v.floorNs.filter((x) => x < v.d);
    if (small.length) out.push(`every floorNs must be ≥ d (${v.d}) for the same reason; got ${small.join(', ')}`);
    if (v.floorNs.filter((x) => x >= floorFitMin(v)).length < 2) out.push(`floorNs needs at least two values ≥ 6d = ${floorFitMin(v)} for the n^(−1/2) fit`);
    if (!v.kappaSigmas.includes(v.dampingKappa)) out.push(`dampingKappa (${v.dampingKappa}) must be one of kappaSigmas (${v.kappaSigmas.join(', ')}): SGD's count there is A6's reference`);
    if (!v.lrs.some((x) => x <= 1.5)) out.push('lrs must contain a step size ≤ 1.5 (the A5 search)');
    if (new Set(v.kappaSigmas).size < 2) out.push('kappaSigmas needs two distinct values');
    if (new Set(v.kappaFsA5).size < 2) out.push('kappaFsA5 needs two distinct values');
    if (new Set(v.dampings).size < 2) out.push('dampings needs two distinct values');
    return out;
  },
  sweeps(v) {
    const first = v.seed * SEED_STRIDE;
    const base = { d: [v.d], k: [v.k], dy: [v.dy], n: [v.n], targetDist: [v.targetDist], maxSteps: [v.maxSteps] };
    const ks = sorted(v.kappaSigmas);
    const req = (r: SweepRequest): SweepRequest => r;
    return {
      kappa: req({ experiment: 'linear-iterations', set: { ...base, method: ['kfac', 'sgd'], kappaSigma: [...v.kappaSigmas], lr: [...v.lrs] }, seeds: v.seeds, firstReplicate: first }),
      a5: req({ experiment: 'linear-iterations', set: { ...base, method: ['kfac', 'kfac-input'], kappaF: [...v.kappaFsA5], kappaSigma: [ks[0]!, ks[ks.length - 1]!], lr: v.lrs.filter((x) => x <= 1.5) }, seeds: v.seeds, firstReplicate: first }),
      // one sweep per λ: its step-size grid scales with (1 + λ)
      ...Object.fromEntries(v.dampings.map((lam) => [a6Name(lam), req({ experiment: 'linear-iterations',
        set: { ...base, method: ['kfac-input'], kappaSigma: [v.dampingKappa], damping: [lam], lr: A6_BASE_LRS.map((x) => x * (1 + lam)) }, seeds: v.seeds, firstReplicate: first })])),
      floor: req({ experiment: 'linear-noise-floor', set: { n: [...v.floorNs], noise: [v.floorNoise], kappaF: [1, 3], kappaSigma: [1, 100], d: [v.d], k: [v.k], dy: [v.dy] }, seeds: v.seeds, firstReplicate: first }),
    };
  },
  analyze(v, all) {
    const get = (name: string) => all[name] ?? [];
    const cells = { kappa: get('kappa'), a5: get('a5'), floor: get('floor') };
    const ks = sorted(v.kappaSigmas);
    const a5Kappas: [number, number] = [ks[0]!, ks[ks.length - 1]!];
    const best = (cs: typeof cells.kappa, m: Record<string, number | string>) => bestPerSeed(where(cs, m), v.maxSteps);
    const a6 = v.dampings.map((lam) => {
      const lrs = A6_BASE_LRS.map((x) => x * (1 + lam));
      return { damping: lam, lrs, best: bestPerSeed(get(a6Name(lam)), v.maxSteps) };
    });
    const floors: FloorRow[] = [];
    for (const kS of [1, 100]) for (const kF of [1, 3]) for (const n of v.floorNs) {
      const cs = where(cells.floor, { kappaSigma: kS, kappaF: kF, n });
      floors.push({ kappaSigma: kS, kappaF: kF, n, floor: perSeed(cs, (r) => num(r, 'floor')), ratio: perSeed(cs, (r) => num(r, 'ratio')), ratioTr: perSeed(cs, (r) => num(r, 'ratioTr')) });
    }
    return {
      kfac: v.kappaSigmas.map((kS) => best(cells.kappa, { method: 'kfac', kappaSigma: kS })),
      sgd: v.kappaSigmas.map((kS) => best(cells.kappa, { method: 'sgd', kappaSigma: kS })),
      a5: {
        kfac: v.kappaFsA5.map((kF) => a5Kappas.map((kS) => best(cells.a5, { method: 'kfac', kappaF: kF, kappaSigma: kS }))),
        input: v.kappaFsA5.map((kF) => a5Kappas.map((kS) => best(cells.a5, { method: 'kfac-input', kappaF: kF, kappaSigma: kS }))),
      },
      a5Kappas, a6, floors,
    };
  },
  figures: {
    iterations(r, v): Figure {
      return figure([
        ...countTraces([...v.kappaSigmas], r.sgd.map(geoMean), 'SGD (best η per seed)', { color: '#4e79a7' }),
        ...countTraces([...v.kappaSigmas], r.kfac.map(geoMean), 'KFAC (best η per seed)', { color: '#e15759' }),
      ], { title: `Iterations to dist < ${v.targetDist} (geometric mean over seeds; ▵: ≥ ${v.maxSteps}, censored)`, x: 'κ(Σ)', y: 'iterations', logX: true, logY: true });
    },
    a5(r, v): Figure {
      const traces = (['kfac', 'input'] as const).flatMap((m, mi) => r.a5Kappas.flatMap((kS, j) => countTraces([...v.kappaFsA5], r.a5[m].map((row) => geoMean(row[j])),
        `${m === 'kfac' ? 'KFAC, P_G = FᵀF' : 'input side only, P_G = I'}, κ(Σ) = ${kS}`, { color: mi ? '#59a14f' : '#e15759', dash: j ? 'dash' : 'solid' })));
      return figure(traces, { title: 'Iterations to the target vs κ(F*)', x: 'κ(F*)', y: 'iterations', logX: true, logY: true });
    },
    a6(r, v): Figure {
      const lamX = r.a6.map((a) => Math.max(a.damping, 1e-3));
      const ref = geoMean(r.sgd[v.kappaSigmas.indexOf(v.dampingKappa)]);
      return figure([
        ...countTraces(lamX, r.a6.map((a) => geoMean(a.best)), 'KFAC (P_G = I), damped', { color: '#59a14f' }),
        line(lamX, lamX.map(() => ref?.value ?? null), { name: `SGD (best η)${ref?.censored ? ' ≥' : ''}`, dash: 'dash', color: '#4e79a7' }),
      ], { title: `Damping interpolates between KFAC and SGD (κ(Σ) = ${v.dampingKappa}; λ = 0 drawn at 10⁻³)`, x: 'λ', y: 'iterations', logX: true, logY: true });
    },
    floor(r, v): Figure {
      return figure(floorGroups(r).map((g) => line(g.rows.map((x) => x.n), g.rows.map((x) => meanOf(x.floor)), { name: g.name, extra: { mode: 'lines+markers' } })),
        { title: `KFAC noise floor vs batch size (σ_ε = ${v.floorNoise})`, x: 'n', y: 'mean dist(G, G*) at steady state', logX: true, logY: true });
    },
    floorConstant(r): Figure {
      return figure(floorGroups(r).map((g) => line(g.rows.map((x) => x.n), g.rows.map((x) => meanOf(x.ratioTr)), { name: g.name, extra: { mode: 'lines+markers' } })),
        { title: 'Measured constant: floor / (σ_ε √(tr Σ⁻¹ / n) / σ_min(F*))', x: 'n', y: 'constant', logX: true });
    },
  },
  claims(r, v): ClaimCheck[] {
    const out: ClaimCheck[] = [];
    const i0 = v.kappaSigmas.indexOf(Math.min(...v.kappaSigmas)), iM = v.kappaSigmas.indexOf(Math.max(...v.kappaSigmas));
    out.push(allOf(`A2: KFAC's best iteration count stays within 1.25× of its κ(Σ) = ${v.kappaSigmas[i0]} value at every κ(Σ) ∈ {${v.kappaSigmas.join(', ')}} (two one-sided paired t-tests on log-ratios per κ, α = ${ALPHA})`,
      v.kappaSigmas.flatMap((kS, i) => (i === i0 ? [] : [{ label: `κ(Σ) = ${kS}: ${fmtCount(geoMean(r.kfac[i0]))} → ${fmtCount(geoMean(r.kfac[i]))}`, ...withinTest(r.kfac[i0]!, r.kfac[i]!, 1.25, ALPHA) }]))));
    out.push(allOf(`SGD's best count grows at least tenfold from κ(Σ) = ${v.kappaSigmas[i0]} to ${v.kappaSigmas[iM]} (one-sided paired t on log-ratios, α = ${ALPHA}; counts that hit the budget enter as lower bounds)`,
      [{ label: `${fmtCount(geoMean(r.sgd[i0]))} → ${fmtCount(geoMean(r.sgd[iM]))}`, ...growthTest(r.sgd[i0]!, r.sgd[iM]!, 10, ALPHA) }]));
    const [kLo, kHi] = r.a5Kappas;
    out.push(allOf(`A5: input-side-only KFAC does not inherit κ(Σ): κ(Σ) ${kLo} → ${kHi} does not multiply its count by 4 (one-sided paired t on per-seed log-ratios averaged over κ(F*) ∈ {${v.kappaFsA5.join(', ')}}: upper bound < ×4, α = ${ALPHA}), where SGD's grows at least tenfold`,
      [{ label: v.kappaFsA5.map((kF, i) => `κ(F*) = ${kF}: ${fmtCount(geoMean(r.a5.input[i]![0]))} → ${fmtCount(geoMean(r.a5.input[i]![1]))}`).join(', '),
        ...ratioTest('below', v.kappaFsA5.map((_, i) => [r.a5.input[i]![0]!, r.a5.input[i]![1]!] as const), 4, ALPHA) }]));
    const fLo = v.kappaFsA5.indexOf(Math.min(...v.kappaFsA5)), fHi = v.kappaFsA5.indexOf(Math.max(...v.kappaFsA5));
    const fullCounts = r.a5.kfac.flatMap((row) => row.flatMap((m) => [...m.values()]));
    const fullOk = fullCounts.filter(isCount).filter((c) => !c.censored).map((c) => c.value);
    const fullT = fullOk.length === fullCounts.length && fullOk.length >= 2 ? pairedTest(fullOk.map((x) => 2 - x), 'positive', ALPHA) : null;
    const fullAllTwo = fullOk.length === fullCounts.length && fullOk.every((x) => x <= 2);
    out.push(allOf(`A5: but it grows at least 5× from κ(F*) = ${v.kappaFsA5[fLo]} to ${v.kappaFsA5[fHi]} (one-sided paired t on per-seed log-ratios averaged over κ(Σ) ∈ {${r.a5Kappas.join(', ')}}, α = ${ALPHA}), while full KFAC needs at most 2 iterations`,
      [
        { label: `input side, κ(Σ) = ${r.a5Kappas[0]}: ${fmtCount(geoMean(r.a5.input[fLo]![0]))} → ${fmtCount(geoMean(r.a5.input[fHi]![0]))}; κ(Σ) = ${r.a5Kappas[1]}: ${fmtCount(geoMean(r.a5.input[fLo]![1]))} → ${fmtCount(geoMean(r.a5.input[fHi]![1]))}`,
          ...ratioTest('growth', [0, 1].map((j) => [r.a5.input[fLo]![j]!, r.a5.input[fHi]![j]!] as const), 5, ALPHA) },
        { label: 'full KFAC', holds: fullAllTwo || (fullT?.holds ?? false),
          measured: fullOk.length !== fullCounts.length ? `${fullCounts.length - fullOk.length} of ${fullCounts.length} runs without an exact count`
            : `largest of ${fullOk.length} per-seed best counts ${Math.max(...fullOk)}${fullAllTwo ? ' (A2: one step with η = 1 lands on the span)' : `; ${fullT?.text}`}` },
      ]));
    const a0 = r.a6.reduce((m, a) => (a.damping < m.damping ? a : m), r.a6[0]!), aL = r.a6.reduce((m, a) => (a.damping > m.damping ? a : m), r.a6[0]!);
    const sgdRef = r.sgd[v.kappaSigmas.indexOf(v.dampingKappa)]!;
    out.push(allOf(`A6: damping moves KFAC's count up from its value at λ = ${a0.damping} to within 2× of SGD's best at λ = ${aL.damping} (κ(Σ) = ${v.dampingKappa}; one-sided and two one-sided paired t-tests, α = ${ALPHA})`, [
      { label: `λ = ${a0.damping}: ${fmtCount(geoMean(a0.best))} → λ = ${aL.damping}: ${fmtCount(geoMean(aL.best))}`, ...growthTest(a0.best, aL.best, 1, ALPHA) },
      { label: `λ = ${aL.damping} vs SGD ${fmtCount(geoMean(sgdRef))}`, ...withinTest(sgdRef, aL.best, 2, ALPHA) },
    ]));
    const groups = floorGroups(r), nMin = floorFitMin(v);
    const sPred = floorSlopePrediction(v.d, v.floorNs.filter((x) => x >= nMin)), sLo = sPred - FLOOR_SLOPE_HALF_WIDTH, sHi = sPred + FLOOR_SLOPE_HALF_WIDTH;
    out.push(allOf(`A4: the noise floor scales like (n − d − 1)^(−1/2) for n ≥ 6d = ${nMin}: the mean per-seed log-log slope has its ${Math.round(100 * (1 - 2 * ALPHA))}% interval inside [${sLo.toFixed(3)}, ${sHi.toFixed(3)}], ` +
      `±${FLOOR_SLOPE_HALF_WIDTH} around the slope ${sPred.toFixed(3)} that law has over these n (−½ as n/d → ∞; t, α = ${ALPHA} per side)`,
      groups.map((g) => ({ label: g.name, ...slopeTest(g.rows.filter((x) => x.n >= nMin), sLo, sHi, ALPHA) }))));
    out.push(allOf(`A4 (the refined scale derived in this notebook): floor / (σ_ε √(tr Σ⁻¹ / n) / σ_min(F*)), averaged over n ≥ ${nMin}, has its ${Math.round(100 * (1 - 2 * ALPHA))}% interval inside [0.5, 2] at every κ(Σ) and κ(F*)`,
      groups.map((g) => ({ label: g.name, ...boundedMean(seedMeans(g.rows.filter((x) => x.n >= nMin), 'ratioTr'), 0.5, 2, ALPHA) }))));
    const dig = (kS: number) => seedMeans(r.floors.filter((x) => x.kappaSigma === kS && x.n >= nMin), 'ratio');
    out.push(allOf('A4: the scale σ_ε √(d/n) / σ_min(F*) misses the κ(Σ) dependence: its constant is more than 3× larger at κ(Σ) = 100 than at 1 (one-sided paired t on log-ratios, α = ' + ALPHA + ')',
      [{ label: 'κ(Σ) = 100 vs 1', ...valueGrowth(dig(1), dig(100), 3, ALPHA) }]));
    return out;
  },
  robustness: [
    ...[1, 2, 3].map((s) => ({ name: `seed=${s}`, knobs: { seed: s } })),
    { name: 'seeds=12', knobs: { seeds: 12 } },
    { name: 'd=40,n=128', knobs: { d: 40, n: 128, floorNs: [64, 128, 256, 512, 1024, 2048] } },
  ],
  profiles: {
    /**
     * Paper scale (issue 12): the problem of notebook 10's profile (d = 200, k = 8, d_y = 16, n = 256, κ(Σ) ≤ 100,
     * budget 500, 8 seeds; SGD's cells are shared). Step sizes up to 1 (η = 1 is A2's one-step case; the
     * input-side variant is unstable above it). κ(F*) ∈ {1, 4} for A5: from 1 to 3 the input-side count grew
     * only ×5.2 (its κ(F*) = 1 count is a head-learning transient), the 5× claim's boundary; 10 costs more than
     * the budget. A6 at κ(Σ) = 10, where SGD needs ≈ 80 steps (at 100, ≈ 500 per damped run). The floor at
     * n ∈ {1200, 2400} (n ≥ 6d) with σ_ε = 0.05: its scale σ_ε √(tr Σ⁻¹/n)/σ_min(F*) then stays in the range the
     * default's fit covers (tr Σ⁻¹ grows ≈ 10× from d = 20 to 200 at κ(Σ) = 100; at σ_ε = 0.1 the κ(F*) = 3 floor
     * is ≈ 0.4–0.5, where the sine saturates and the slope flattens to −0.45).
     */
    paper: { d: 200, k: 8, dy: 16, n: 256, kappaSigmas: [1, 10, 100], lrs: [0.3, 0.5, 0.7, 1], maxSteps: 500, kappaFsA5: [1, 4],
      dampings: [0, 1, 100], dampingKappa: 10, floorNs: [1200, 2400], floorNoise: 0.05, identityD: 200, seeds: 8 },
  },
};

export default kfacStory;

function meanOf(m: ReadonlyMap<number, number | string>): number | null {
  const xs = [...m.values()];
  return xs.length && xs.every((x) => typeof x === 'number') ? (xs as number[]).reduce((a, b) => a + b, 0) / xs.length : null;
}

export function floorGroups(r: KfacResult): { name: string; rows: FloorRow[] }[] {
  const out: { name: string; rows: FloorRow[] }[] = [];
  for (const kS of [1, 100]) for (const kF of [1, 3]) out.push({ name: `κ(Σ)=${kS}, κ(F*)=${kF}`, rows: r.floors.filter((x) => x.kappaSigma === kS && x.kappaF === kF) });
  return out;
}

/** Per seed, the mean of a floor field over the rows (a string when some seed's value is missing). */
function seedMeans(rows: readonly FloorRow[], key: 'ratio' | 'ratioTr'): Map<number, number | string> {
  const out = new Map<number, number | string>();
  const reps = new Set(rows.flatMap((x) => [...x[key].keys()]));
  for (const rep of reps) {
    const vals = rows.map((x) => x[key].get(rep));
    const bad = vals.find((x) => typeof x !== 'number');
    out.set(rep, bad !== undefined ? String(bad ?? 'not computed') : (vals as number[]).reduce((a, b) => a + b, 0) / vals.length);
  }
  return out;
}

function slopeTest(rows: readonly FloorRow[], lo: number, hi: number, alpha: number): { holds: boolean; measured: string } {
  if (rows.length < 2) return { holds: false, measured: `only ${rows.length} batch size(s) in the fit range` };
  const reps = [...new Set(rows.flatMap((x) => [...x.floor.keys()]))];
  const slopes: number[] = [];
  for (const rep of reps) {
    const ys = rows.map((x) => x.floor.get(rep));
    if (ys.some((y) => typeof y !== 'number' || !(y > 0))) return { holds: false, measured: `seed ${rep}: ${ys.find((y) => typeof y !== 'number') ?? 'non-positive floor'}` };
    const xs = rows.map((x) => Math.log(x.n)), ly = (ys as number[]).map(Math.log);
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length, my = ly.reduce((a, b) => a + b, 0) / ly.length;
    slopes.push(xs.reduce((a, x, i) => a + (x - mx) * (ly[i]! - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0));
  }
  const t = equivalenceTest(slopes, lo, hi, alpha);
  return { holds: t.holds, measured: `slope ${t.mean.toFixed(3)}, interval [${t.lo.toFixed(3)}, ${t.hi.toFixed(3)}] (n = ${t.n} seeds)` };
}

function boundedMean(vals: ReadonlyMap<number, number | string>, lo: number, hi: number, alpha: number): { holds: boolean; measured: string } {
  const xs = [...vals.values()];
  const bad = xs.find((x) => typeof x !== 'number');
  if (bad !== undefined || xs.length < 2) return { holds: false, measured: bad !== undefined ? `missing value: ${bad}` : `only ${xs.length} seed(s)` };
  const t = equivalenceTest(xs as number[], lo, hi, alpha);
  return { holds: t.holds, measured: `mean ${t.mean.toFixed(2)}, interval [${t.lo.toFixed(2)}, ${t.hi.toFixed(2)}] (n = ${t.n} seeds)` };
}

// ---------------------------------------------------------------------------------------------------
// A1 and A2 on one step (the code is the point: the notebook shows it)

/** One KFAC step on a fresh noiseless batch of 4d samples: max |F₊ − F_LS| (A1) and max |G₊P⊥ − (1−η)GP⊥| (A2). */
export function oneStepErrors(kappaSigma: number, eta: number, d: number, k: number, dy: number, seed = 0): { a1: number; a2: number } {
  const problem = makeLinearProblem({ ...DEFAULT_SETUP, d, k, dy, kappaSigma }, new Rng(1000 + kappaSigma + 7919 * seed));
  const b = sampleLinear(problem.task.source, 4 * d, new Rng(7 + seed));
  const opt = kfac({ lr: eta, lrF: 1 });
  const { params } = opt.step(problem.init, b, opt.init(problem.init), linearNet);
  const Gs = problem.task.source.G;
  const Pperp = axpy(-1, mm64(Gs, Gs, true), eye(d));
  const a2 = maxAbs(sub(mm64(params.G, Pperp), scale(mm64(problem.init.G, Pperp), 1 - eta)));
  const Z = matmulNT(b.X, params.G);
  const a1 = maxAbs(sub(params.F, solveRightSPD(matmulTN(b.Y, Z), matmulTN(Z, Z))));
  return { a1, a2 };
}

export interface IdentityRow { engine: string; kappa: number; eta: number; a1: number; a2: number }

/** A1/A2 hold to 1e-9 in float64 (js64) and to 1e-2 under a float32 engine: a deterministic tolerance check. */
export function identityClaim(rows: readonly IdentityRow[]): ClaimCheck {
  const f64 = rows.filter((x) => x.engine === 'js64'), f32 = rows.filter((x) => x.engine !== 'js64');
  const worst = (rs: readonly IdentityRow[]) => (rs.length ? Math.max(...rs.flatMap((x) => [x.a1, x.a2])) : NaN);
  const w64 = worst(f64), w32 = worst(f32);
  const engines = [...new Set(f32.map((x) => x.engine))].join(', ') || '(no float32 engine)';
  return {
    claim: `A1 and A2 hold on one step at every κ(Σ) ≤ ${Math.max(...rows.map((x) => x.kappa))}: to 1e-9 in float64, to 1e-2 in float32 (identities, not statistics: the tolerances are round-off bounds)`,
    measured: `worst error float64 ${w64.toExponential(2)}, ${engines} ${f32.length ? w32.toExponential(2) : 'not run'}`,
    holds: f64.length > 0 && w64 < 1e-9 && (f32.length === 0 || w32 < 1e-2),
  };
}
export type { Count };
