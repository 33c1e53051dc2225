/**
 * Statistics for claims checked on random runs: each claim is a test with a stated false-failure rate.
 *
 * - `pairedTest`: a paired comparison (per-seed differences) holds when the one-sided (1 − α) Student-t
 *   confidence bound of the mean difference excludes zero in the claimed direction.
 * - `signTest`: exact one-sided binomial sign test on the same differences.
 * - `zGridTest`: a theory compared with simulation at m grid points, z_i = (sim_i − theory_i)/SE_i. Under an
 *   exact theory the z_i are ≈ N(0, 1); the grid holds when Holm's step-down procedure (same decision as
 *   Bonferroni for "reject any") rejects none at family-wise level α, i.e. max|z| ≤ z_{1−α/(2m)}, so the
 *   whole grid fails with probability ≤ α under the null. `chiSquareZ` is the omnibus alternative Σz² ~ χ²_m.
 *
 * Browser-safe; float64 throughout. Special functions follow the continued fractions of Numerical Recipes
 * (incomplete beta and gamma), accurate to ~1e-12 relative in the ranges used here (tests check known values).
 */

const EPS = 1e-15;

/** log Γ(x) for x > 0: shifted to x ≥ 15, then Stirling's series to x⁻¹¹ (|error| < 1e-15 there). */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`logGamma: x must be > 0; got ${x}`);
  let shift = 0;
  while (x < 15) { shift += Math.log(x); x += 1; }
  const r = 1 / x, r2 = r * r;
  const series = r * (1 / 12 - r2 * (1 / 360 - r2 * (1 / 1260 - r2 * (1 / 1680 - r2 * (1 / 1188 - r2 * (691 / 360360))))));
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + series - shift;
}

function betacf(a: number, b: number, x: number): number {
  const FPMIN = 1e-300;
  let c = 1, d = 1 - (a + b) * x / (a + 1);
  if (Math.abs(d) < FPMIN) d = FPMIN;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10000; m++) {
    const m2 = 2 * m;
    let aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d; if (Math.abs(d) < FPMIN) d = FPMIN;
    c = 1 + aa / c; if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d; h *= d * c;
    aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d; if (Math.abs(d) < FPMIN) d = FPMIN;
    c = 1 + aa / c; if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return h;
}

/** Regularised incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (!(x >= 0 && x <= 1)) throw new RangeError(`incompleteBeta: x must be in [0, 1]; got ${x}`);
  if (x === 0 || x === 1) return x;
  const bt = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? bt * betacf(a, b, x) / a : 1 - bt * betacf(b, a, 1 - x) / b;
}

/** Regularised lower incomplete gamma P(a, x). */
export function incompleteGamma(a: number, x: number): number {
  if (!(x >= 0) || !(a > 0)) throw new RangeError(`incompleteGamma: need a > 0 and x ≥ 0; got a = ${a}, x = ${x}`);
  if (x === 0) return 0;
  const lg = logGamma(a);
  if (x < a + 1) {
    let sum = 1 / a, del = sum, ap = a;
    for (let n = 0; n < 10000; n++) { ap += 1; del *= x / ap; sum += del; if (Math.abs(del) < Math.abs(sum) * EPS) break; }
    return sum * Math.exp(-x + a * Math.log(x) - lg);
  }
  const FPMIN = 1e-300;
  let b = x + 1 - a, c = 1 / FPMIN, d = 1 / b, h = d;
  for (let i = 1; i < 10000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b; if (Math.abs(d) < FPMIN) d = FPMIN;
    c = b + an / c; if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return 1 - Math.exp(-x + a * Math.log(x) - lg) * h;
}

/** Standard normal CDF Φ(z) (through erfc; relative accuracy ~1e-15 in the tails used here). */
export function normalCdf(z: number): number {
  if (z < 0) return 1 - normalCdf(-z);
  // Φ(z) = 1 − ½ Q(½, z²/2) for z ≥ 0, with Q = 1 − P.
  return 0.5 + 0.5 * incompleteGamma(0.5, (z * z) / 2);
}

/** Upper tail 1 − Φ(z), accurate for large z. */
export function normalSf(z: number): number {
  if (z <= 0) return 1 - normalSf(-z);
  if (z < 2) return 1 - normalCdf(z);
  // continued fraction for the Mills ratio (Lentz)
  const FPMIN = 1e-300;
  let f = z, c = z, d = 0;
  for (let i = 1; i < 500; i++) {
    const b = z, an = i;
    d = b + an * d; if (Math.abs(d) < FPMIN) d = FPMIN;
    c = b + an / c; if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    const del = c * d;
    f *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return Math.exp(-z * z / 2) / Math.sqrt(2 * Math.PI) / f;
}

/** Φ⁻¹(p), by bisection-polished Acklam start (|error| < 1e-12). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1); got ${p}`);
  return solveMonotone((z) => normalCdf(z) - p, -40, 40);
}

/** Student-t CDF with ν degrees of freedom. */
export function tCdf(t: number, nu: number): number {
  if (!(nu > 0)) throw new RangeError(`tCdf: degrees of freedom must be > 0; got ${nu}`);
  const x = nu / (nu + t * t);
  const tail = 0.5 * incompleteBeta(x, nu / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** Student-t quantile. */
export function tQuantile(p: number, nu: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`tQuantile: p must be in (0, 1); got ${p}`);
  return solveMonotone((t) => tCdf(t, nu) - p, -1e6, 1e6);
}

/** χ² CDF with k degrees of freedom. */
export function chiSquareCdf(x: number, k: number): number {
  return x <= 0 ? 0 : incompleteGamma(k / 2, x / 2);
}

function solveMonotone(f: (x: number) => number, lo: number, hi: number): number {
  for (let i = 0; i < 300 && hi - lo > 1e-13 * Math.max(1, Math.abs(lo) + Math.abs(hi)); i++) {
    const mid = 0.5 * (lo + hi);
    if (f(mid) < 0) lo = mid; else hi = mid;
  }
  return 0.5 * (lo + hi);
}

// ---------------------------------------------------------------------------------------------------
// Tests used by claims

export type Direction = 'positive' | 'negative';

function finiteList(xs: readonly number[], what: string): void {
  const bad = xs.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x));
  if (bad >= 0) throw new RangeError(`${what}: value ${bad} is ${String(xs[bad])}; every value must be a finite number`);
}

export interface PairedTestResult {
  readonly n: number;
  readonly mean: number;
  readonly se: number;
  /** One-sided (1 − α) confidence bound on the mean difference, on the side opposite the claim. */
  readonly bound: number;
  /** The two-sided (1 − 2α) interval [lo, hi] (its relevant end is `bound`). */
  readonly lo: number;
  readonly hi: number;
  /** Share of differences with the claimed sign. */
  readonly fraction: number;
  readonly alpha: number;
  readonly holds: boolean;
  /** e.g. "mean −0.031, 95% one-sided bound −0.012 (n = 6, 6/6 negative)". */
  readonly text: string;
}

/**
 * Paired t-test of "the mean difference is on the `direction` side of zero": holds when the one-sided
 * (1 − α) bound excludes zero. Needs n ≥ 2 finite differences (with n < 2 it cannot hold, and says so).
 */
export function pairedTest(diffs: readonly number[], direction: Direction, alpha = 0.05): PairedTestResult {
  finiteList(diffs, 'pairedTest');
  if (!(alpha > 0 && alpha < 0.5)) throw new RangeError(`pairedTest: alpha must be in (0, 0.5); got ${alpha}`);
  const n = diffs.length;
  const sign = direction === 'positive' ? 1 : -1;
  const fraction = n ? diffs.filter((x) => sign * x > 0).length / n : 0;
  if (n < 2) {
    return { n, mean: n ? diffs[0]! : NaN, se: NaN, bound: NaN, lo: NaN, hi: NaN, fraction, alpha, holds: false,
      text: `only ${n} paired value(s): at least 2 seeds are needed for a confidence bound` };
  }
  const mean = diffs.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(diffs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  const se = sd / Math.sqrt(n);
  const q = tQuantile(1 - alpha, n - 1);
  const lo = mean - q * se, hi = mean + q * se;
  const bound = direction === 'positive' ? lo : hi;
  const holds = direction === 'positive' ? lo > 0 : hi < 0;
  const pct = Math.round(100 * (1 - alpha));
  const fmt = (x: number) => (Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(3) : x.toExponential(2));
  const text = `mean ${fmt(mean)}, ${pct}% one-sided bound ${fmt(bound)} (paired t, n = ${n}, ${Math.round(fraction * n)}/${n} ${direction})`;
  return { n, mean, se, bound, lo, hi, fraction, alpha, holds, text };
}

export interface SignTestResult { readonly n: number; readonly k: number; readonly p: number; readonly alpha: number; readonly holds: boolean; readonly text: string }

/** Exact one-sided sign test: k of n nonzero differences on the claimed side; p = P(Bin(n, ½) ≥ k). */
export function signTest(diffs: readonly number[], direction: Direction, alpha = 0.05): SignTestResult {
  finiteList(diffs, 'signTest');
  const sign = direction === 'positive' ? 1 : -1;
  const nz = diffs.filter((x) => x !== 0);
  const n = nz.length, k = nz.filter((x) => sign * x > 0).length;
  let p = 0;
  for (let j = k; j <= n; j++) p += Math.exp(logGamma(n + 1) - logGamma(j + 1) - logGamma(n - j + 1) - n * Math.LN2);
  p = Math.min(1, p);
  return { n, k, p, alpha, holds: n > 0 && p <= alpha, text: `${k}/${n} ${direction}, sign test p = ${p.toPrecision(2)} (α = ${alpha})` };
}

export interface ZGridResult {
  readonly m: number;
  readonly maxAbsZ: number;
  /** Holm/Bonferroni critical value z_{1−α/(2m)}. */
  readonly critical: number;
  /** Grid points rejected by Holm's step-down procedure at family-wise level α. */
  readonly rejected: readonly number[];
  readonly alpha: number;
  readonly holds: boolean;
  readonly text: string;
}

/**
 * Theory against simulation over a grid: z-scores, two-sided, Holm's step-down at family-wise level α.
 * Holds when no grid point is rejected, so an exact theory fails with probability ≤ α.
 */
export function zGridTest(z: readonly number[], alpha = 0.05): ZGridResult {
  finiteList(z, 'zGridTest');
  if (z.length === 0) throw new RangeError('zGridTest: no grid points');
  const m = z.length;
  const p = z.map((x) => 2 * normalSf(Math.abs(x)));
  const order = p.map((_, i) => i).sort((a, b) => p[a]! - p[b]!);
  const rejected: number[] = [];
  for (let r = 0; r < m; r++) {
    const i = order[r]!;
    if (p[i]! <= alpha / (m - r)) rejected.push(i); else break;
  }
  const maxAbsZ = Math.max(...z.map(Math.abs));
  const critical = normalQuantile(1 - alpha / (2 * m));
  return {
    m, maxAbsZ, critical, rejected, alpha, holds: rejected.length === 0,
    text: `max |z| = ${maxAbsZ.toFixed(2)} over ${m} points, Holm critical ${critical.toFixed(2)} at family-wise α = ${alpha}` +
      (rejected.length ? `; ${rejected.length} rejected` : ''),
  };
}

export interface ChiSquareResult { readonly m: number; readonly stat: number; readonly p: number; readonly alpha: number; readonly holds: boolean; readonly text: string }

/** Omnibus: Σ z_i² against χ²_m; holds when p > α. */
export function chiSquareZ(z: readonly number[], alpha = 0.05): ChiSquareResult {
  finiteList(z, 'chiSquareZ');
  const m = z.length, stat = z.reduce((a, x) => a + x * x, 0);
  const p = 1 - chiSquareCdf(stat, m);
  return { m, stat, p, alpha, holds: p > alpha, text: `Σz² = ${stat.toFixed(1)} on ${m} d.f., p = ${p.toPrecision(2)} (α = ${alpha})` };
}

export interface EquivalenceResult { readonly n: number; readonly mean: number; readonly lo: number; readonly hi: number; readonly alpha: number; readonly holds: boolean }

/**
 * Two one-sided tests (TOST) at level α: "the mean of `xs` lies inside (lower, upper)" holds when the
 * (1 − 2α) two-sided t interval of the mean does. Needs n ≥ 2 finite values (fewer cannot hold).
 */
export function equivalenceTest(xs: readonly number[], lower: number, upper: number, alpha = 0.05): EquivalenceResult {
  const t = pairedTest(xs, 'positive', alpha);
  return { n: t.n, mean: t.mean, lo: t.lo, hi: t.hi, alpha, holds: t.n >= 2 && t.lo > lower && t.hi < upper };
}
