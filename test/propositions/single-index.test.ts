/**
 * Model B claims at reduced size (the notebooks 20-single-index-spike and 21-single-index-test-error
 * check them at full size): B1–B3 and the ridge deterministic equivalent against the `single-index-spike`
 * experiment, the rank-one term against the singular vectors (`single-index-spike-network`), and B4 on
 * test error (`single-index-test-error`). Each runs the registered experiment's `run` on seeded replicates,
 * exactly as a sweep cell would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/rng.js';
import type { CellContext } from '../../src/sweep/types.js';
import spikeExp from '../../src/experiments/single-index-spike.js';
import networkExp from '../../src/experiments/single-index-spike-network.js';
import testErrorExp from '../../src/experiments/single-index-test-error.js';
import { fixedProblem } from '../../src/experiments/single-index-common.js';
import { mean, stderr } from '../../src/experiments/summary.js';
import { b1PlainCosineLimit, b2PlainCos2, b3PrecondCos2, ridgeSpikeCos2 } from '../../src/theory/singleIndex.js';
import { covTracePower } from '../../src/data/covariance.js';

const ctx = (experiment: string, replicate: number): CellContext => ({ experiment, replicate, seed: 1000 + replicate });
const replicate = <P, R>(exp: { name: string; run(p: P, rng: Rng, c: CellContext): R | Promise<R> }, p: P, seeds: number): R[] =>
  Array.from({ length: seeds }, (_, s) => exp.run(p, new Rng(7919 * (s + 1)), ctx(exp.name, s)) as R);

test('B1–B3 and the ridge equivalent at d = 128 (κ = 30): formulas within max(2.5 SE, 8 %), wrong variants outside', () => {
  const d = 128, kappa = 30, ratios = [0.5, 1, 2, 4, 8], lambdas = [0.1, 1], S = 48;
  const p = { d, kappa, ratios, lambdas, rotation: 'none', link: 'relu', noise: 0.1, problemSeed: 0 };
  const rs = replicate(spikeExp, p as never, S) as unknown as { n: number[]; plain: number[]; precond: (number | null)[]; ridge: number[][] }[];
  const { cov, teacher: t } = fixedProblem({ d, kappa, rotation: 'none', link: 'relu', noise: 0.1 }, 0);
  const b1sq = b1PlainCosineLimit(cov, t.beta) ** 2;
  // Tolerance: here the *mean* cos² is compared (notebook 20 and its story test the ratio of expectations with
  // Holm instead). At d = 128 the mean exceeds B3 and the ridge equivalent by the Jensen gap, which notebook 20
  // measures at ≈ C/d (1.4 % of B3 at d = 128, 6 % at d = 32), so the relative part is 8 % and the SE part 2.5
  // (about 40 comparisons on fixed seeds: the test is deterministic).
  const within = (xs: number[], th: number) => Math.abs(mean(xs) - th) <= Math.max(2.5 * stderr(xs), 0.08 * th);
  let wrongB3Caught = false, wrongB2Caught = false;
  const preMeans: number[] = [];
  rs[0].n.forEach((n, i) => {
    const base = { n, sigma: cov, beta: t.beta, c1: t.c1 };
    const plain = rs.map((r) => r.plain[i]);
    const b2 = b2PlainCos2({ ...base, s2: t.s2 });
    assert.ok(within(plain, b2), `n = ${n}: plain ${mean(plain)} ± ${stderr(plain)} vs B2 ${b2}`);
    assert.ok(mean(plain) + 2 * stderr(plain) < b1sq, `n = ${n}: plain ${mean(plain)} must stay below the B1 limit ${b1sq}`);
    if (!within(plain, b1sq)) wrongB2Caught = true; // dropping the s² tr Σ/n term gives the B1 limit
    if (n > d + 1) {
      const pre = rs.map((r) => r.precond[i] as number);
      const b3 = b3PrecondCos2({ ...base, r2: t.r2 });
      assert.ok(within(pre, b3), `n = ${n}: preconditioned ${mean(pre)} ± ${stderr(pre)} vs B3 ${b3}`);
      // B3 with tr Σ for tr Σ⁻¹ (the noise the plain step sees) must be rejected
      const a = t.c1 ** 2 * t.beta.reduce((s, v) => s + v * v, 0), wrong = a / (a + (t.r2 * covTracePower(cov, 1)) / (n - d - 1));
      if (!within(pre, wrong)) wrongB3Caught = true;
      preMeans.push(mean(pre));
    }
    lambdas.forEach((lambda, j) => {
      const xs = rs.map((r) => r.ridge[i][j]), th = ridgeSpikeCos2({ ...base, r2: t.r2, lambda });
      assert.ok(within(xs, th), `n = ${n}, λ = ${lambda}: ridge ${mean(xs)} ± ${stderr(xs)} vs ${th}`);
    });
  });
  assert.ok(wrongB2Caught && wrongB3Caught, 'the tolerance must reject the B1 limit as B2 and tr Σ in B3');
  // B1, preconditioned side: rises with n and passes the plain step's ceiling
  for (let i = 1; i < preMeans.length; i++) assert.ok(preMeans[i] > preMeans[i - 1], `preconditioned alignment must rise with n: ${preMeans}`);
  assert.ok(preMeans[preMeans.length - 1] > b1sq, `preconditioned ${preMeans[preMeans.length - 1]} must pass the plain limit ${b1sq} at n/d = 8`);
});

test('the top right singular vector of W₁ − W₀ approaches the rank-one term with width; that of W₁ joins it as η grows', () => {
  const base = { d: 32, ratio: 8, kappa: 30, lambda: 0, rotation: 'none', link: 'relu', noise: 0.1, problemSeed: 0 };
  type Stats = { svdVsRank1: number; w1VsRank1: number[] };
  const run = (N: number, etaScales: number[]) => replicate(networkExp, { ...base, N, etaScales } as never, 4) as unknown as { plain: Stats; preconditioned: Stats }[];
  const small = run(16, [0.25, 64]), large = run(512, []);
  for (const kind of ['plain', 'preconditioned'] as const) {
    const gapSmall = mean(small.map((r) => 1 - r[kind].svdVsRank1)), gapLarge = mean(large.map((r) => 1 - r[kind].svdVsRank1));
    assert.ok(gapSmall / gapLarge > 5, `${kind}: 1 − cos²(v₁, u) ${gapSmall} at N = 16 vs ${gapLarge} at N = 512`);
    assert.ok(1 - gapLarge > 0.98, `${kind}: cos²(v₁, u) = ${1 - gapLarge} at N = 512`);
    const lo = mean(small.map((r) => r[kind].w1VsRank1[0])), hi = mean(small.map((r) => r[kind].w1VsRank1[1]));
    assert.ok(lo < 0.2 && hi > 0.9, `${kind}: cos²(v₁(W₁), u) = ${lo} at c = 0.25, ${hi} at c = 64`);
  }
});

test('B4 at d = 32 (4 problems): preconditioned below plain on every seed with rotated κ = 256; equal within error bars at Σ = I', () => {
  const base = {
    rotation: 'haar', d: 32, N: 128, ratio: 32, ridgeRatio: 16, valRatio: 4, nTest: 1000, link: 'poly', noise: 0.1, lambda: 0,
    etaGrid: [0.5, 1, 2, 4], ridgeGrid: [1e-5, 1e-4, 1e-3, 1e-2, 1e-1], kinds: ['rf', 'plain', 'preconditioned'],
  };
  type Rec = { kind: string; testError: number };
  const run = (kappa: number) => (replicate(testErrorExp, { ...base, kappa } as never, 4) as unknown as Rec[][])
    .map((rs) => Object.fromEntries(rs.map((r) => [r.kind, r.testError])) as Record<string, number>);
  const aniso = run(256), iso = run(1);
  for (const [s, r] of aniso.entries()) assert.ok(r.preconditioned < r.plain, `κ = 256, seed ${s}: preconditioned ${r.preconditioned} vs plain ${r.plain}`);
  const p = iso.map((r) => r.plain), q = iso.map((r) => r.preconditioned);
  const bar = 2 * Math.hypot(stderr(p), stderr(q));
  assert.ok(Math.abs(mean(p) - mean(q)) <= bar, `Σ = I: plain ${mean(p)} vs preconditioned ${mean(q)} (2·combined SE ${bar})`);
  // at κ = 256 the paired gap is significant, at Σ = I it is not: the comparison discriminates
  const gap = aniso.map((r) => r.plain - r.preconditioned), gapIso = iso.map((r) => r.plain - r.preconditioned);
  assert.ok(mean(gap) > 2 * stderr(gap), `κ = 256: paired gap ${mean(gap)} ± ${stderr(gap)}`);
  assert.ok(mean(gap) > 3 * Math.abs(mean(gapIso)), `κ = 256 gap ${mean(gap)} vs Σ = I gap ${mean(gapIso)}`);
  for (const r of [...aniso, ...iso]) assert.ok(r.plain < r.rf && r.preconditioned < r.rf, 'learned features beat random features');
});
