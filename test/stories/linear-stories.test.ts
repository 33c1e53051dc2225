/**
 * The Model A stories (notebooks 10, 11, 12): ill-posed knobs refused, failed cells recorded, censored
 * counts used as bounds, the claims at reduced size (computed here, in this thread, float64), and the
 * analysis of partial cells. The notebooks check the same claims at full size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkKnobs, computeStory, KnobError, type AnyStory, type StoryCell } from '../../src/stories/story.js';
import { sgdRateStory } from '../../src/stories/10-linear-sgd-rate.js';
import { kfacStory, oneStepErrors, identityClaim } from '../../src/stories/11-linear-kfac.js';
import { chooseStepSize, DIST_FLOOR, familyStory } from '../../src/stories/12-linear-family.js';
import { growthTest, ratioTest, type SeedOutcome } from '../../src/experiments/linear-summary.js';
import iterations from '../../src/experiments/linear-iterations.js';
import { Rng } from '../../src/rng.js';
import { cacheRunner } from '../../tools/robustness.js';

const counts = (xs: (number | [number, 'censored'])[]) =>
  new Map<number, SeedOutcome>(xs.map((x, i) => [i, Array.isArray(x) ? { value: x[0], censored: true } : { value: x, censored: false }]));

test('n < d with undamped KFAC is refused before anything runs, naming n and d', () => {
  const stories: AnyStory[] = [kfacStory, familyStory];
  for (const story of stories) {
    assert.throws(() => checkKnobs(story, { d: 100 }), (e: unknown) => e instanceof KnobError && /n \(64\) must be ≥ d \(100\)/.test(e.message) && /singular/.test(e.message), story.notebook);
    assert.doesNotThrow(() => checkKnobs(story, { d: 100, n: 128, ...(story === kfacStory ? { floorNs: [128, 600, 1200] } : {}) }));
  }
  // SGD and AMD have no input factor: notebook 10 takes d > n
  assert.doesNotThrow(() => checkKnobs(sgdRateStory, { d: 100 }));
  assert.throws(() => checkKnobs(kfacStory, { dampingKappa: 50 }), /dampingKappa \(50\) must be one of kappaSigmas/);
});

test('a cell whose factor is singular is recorded as failed with its reason; the sweep goes on', async () => {
  const r = await iterations.run({ method: 'kfac', kappaSigma: 10, lr: 1, kappaF: 1, damping: 0, noise: 0, rotated: true, d: 30, k: 2, dy: 4, n: 16, targetDist: 0.05, maxSteps: 5 },
    new Rng(1), { experiment: 'linear-iterations', replicate: 0, seed: 1 });
  assert.ok(r !== null && typeof r === 'object' && 'failed' in r && /positive definite|singular/i.test(String(r.failed)), JSON.stringify(r));
});

test('censored counts: lower bounds in a growth claim, never in a flatness claim; a censored reference fails', () => {
  const a = counts([10, 12, 11, 9]), b = counts([400, [4000, 'censored'], 500, 450]);
  const g = ratioTest('growth', [[a, b]], 10);
  assert.equal(g.holds, true);
  assert.match(g.measured, /1 of 4 counts hit the budget and enter as lower bounds/);
  const w = ratioTest('within', [[a, b]], 100);
  assert.equal(w.holds, false);
  assert.match(w.measured, /hit the budget.*cannot show a count stayed flat/);
  const ga = ratioTest('growth', [[b, a]], 0.001);
  assert.equal(ga.holds, false);
  assert.match(ga.measured, /reference count\(s\) hit the budget/);
  // 'below' may use a censored reference (it only makes the ratio larger) but not a censored count
  assert.equal(ratioTest('below', [[b, a]], 1).holds, true);
  assert.equal(ratioTest('below', [[a, b]], 1e6).holds, false);
  // a missing seed is reported, not turned into Infinity
  const m = ratioTest('growth', [[a, new Map([...b].slice(0, 2))]], 10);
  assert.equal(m.holds, false);
  assert.match(m.measured, /seed 2 has no count: not computed/);
  // the bound, not the point estimate, decides: mean ×10.5 but noisy
  assert.equal(ratioTest('growth', [[counts([1, 1, 1]), counts([3, 40, 10])]], 10).holds, false);
});

/** Half the cells of every sweep (every other cell), as a page sees them while the sweeps run. */
const half = (cs: readonly StoryCell[] | undefined) => (cs ?? []).filter((_, i) => i % 2 === 0);

test('notebook 10 at reduced size: every claim holds; half the cells give pending claims, never a crash', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lin10-'));
  try {
    const v = checkKnobs(sgdRateStory, { kappaSigmas: [1, 300], kappaFs: [1, 2], d: 10, n: 40, lrs: [0.2, 0.5, 1.5, 2.5], lrCurve: [0.5, 1, 2], curveKappa: 300, seeds: 3 });
    const seen: Record<string, StoryCell[]> = {};
    const runner = cacheRunner(dir, 0, () => {});
    const r = await computeStory(sgdRateStory, v, { engine: runner.engine, sweep: async (name, req) => (seen[name] = [...await runner.sweep(name, req)]) });
    for (const c of sgdRateStory.claims(r, v)) assert.ok(c.holds, `${c.claim}: ${c.measured}`);
    for (const f of Object.values(sgdRateStory.figures)) assert.ok(f(r, v).data.length > 0);
    const p = sgdRateStory.analyze(v, { rate: half(seen.rate), iterations: half(seen.iterations), curve: half(seen.curve) });
    const cs = sgdRateStory.claims(p, v);
    assert.equal(cs.length, 4);
    for (const c of cs) assert.doesNotMatch(c.measured, /Infinity|NaN/, c.measured);
    for (const f of Object.values(sgdRateStory.figures)) assert.doesNotThrow(() => f(p, v));
    const none = sgdRateStory.analyze(v, { rate: [], iterations: [], curve: [] });
    assert.ok(sgdRateStory.claims(none, v).every((c) => !c.holds));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('notebook 11 at reduced size: A2, SGD growth, A5, A6 and A4 hold; partial cells are pending', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lin11-'));
  try {
    const v = checkKnobs(kfacStory, {
      kappaSigmas: [1, 300], d: 10, n: 40, lrs: [0.2, 0.5, 1, 1.5], kappaFsA5: [1, 10], dampings: [0, 100], dampingKappa: 1,
      floorNs: [120, 480, 1920], seeds: 5,
    });
    const seen: Record<string, StoryCell[]> = {};
    const runner = cacheRunner(dir, 0, () => {});
    const r = await computeStory(kfacStory, v, { engine: runner.engine, sweep: async (name, req) => (seen[name] = [...await runner.sweep(name, req)]) });
    // A6's second half (damped count within 2× of SGD's, two one-sided tests) needs more seeds than a unit
    // test affords (at 5 seeds its interval is about ×0.5 … ×1.2); the notebook checks it at its defaults.
    // Here: every other claim, and A6's first half (damping raises the count).
    for (const c of kfacStory.claims(r, v).filter((x) => !x.claim.startsWith('A6'))) assert.ok(c.holds, `${c.claim}: ${c.measured}`);
    const a0 = r.a6.find((a) => a.damping === 0)!, aL = r.a6.find((a) => a.damping === 100)!;
    assert.ok(growthTest(a0.best, aL.best, 1).holds, growthTest(a0.best, aL.best, 1).measured);
    for (const f of Object.values(kfacStory.figures)) assert.ok(f(r, v).data.length > 0);
    const p = kfacStory.analyze(v, Object.fromEntries(Object.entries(seen).map(([k, cs]) => [k, half(cs)])));
    for (const c of kfacStory.claims(p, v)) assert.doesNotMatch(c.measured, /Infinity|NaN/, c.measured);
    // A1 and A2 on one step, float64: to 1e-9 (round-off amplified by the solves)
    const rows = [1, 1000].flatMap((kappa) => [0.5, 1].map((eta) => ({ engine: 'js64', kappa, eta, ...oneStepErrors(kappa, eta, 16, 2, 4) })));
    const id = identityClaim(rows);
    assert.ok(id.holds, id.measured);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('notebook 12: analyze and claims on no cells and on partial cells report missing values, never Infinity', () => {
  const v = checkKnobs(familyStory, {});
  const empty = familyStory.analyze(v, { family: [], rotation: [], rotAdam: [], rotSgd: [], gn: [] });
  const cs = familyStory.claims(empty, v);
  assert.ok(cs.length >= 6 && cs.every((c) => !c.holds));
  for (const c of cs) assert.doesNotMatch(c.measured, /Infinity|NaN/, c.measured);
  for (const f of Object.values(familyStory.figures)) assert.doesNotThrow(() => f(empty, v));
});

test('notebook 12 chooses the step size of least mean final distance; distances under 1e-12 (round-off) tie and go to the smaller step size', () => {
  assert.equal(DIST_FLOOR, 1e-12);
  // the case that flipped with the last bits: Gauss–Newton's η = 0.3, 0.5, 1 at 1.0–1.3e-15
  assert.equal(chooseStepSize([{ lr: 0.1, dist: 6e-8 }, { lr: 0.5, dist: 1.0e-15 }, { lr: 0.3, dist: 1.1e-15 }, { lr: 1, dist: 1.3e-15 }]), 0.3);
  assert.equal(chooseStepSize([{ lr: 0.1, dist: 0.2 }, { lr: 0.3, dist: 0.05 }, { lr: 1, dist: 0.07 }]), 0.3); // above the floor: the least distance
  assert.equal(chooseStepSize([{ lr: 0.1, dist: 0.2 }, { lr: 1, dist: null }]), 0.1); // diverged or failed rows are skipped
  assert.equal(chooseStepSize([{ lr: 1, dist: null }]), null);
});
