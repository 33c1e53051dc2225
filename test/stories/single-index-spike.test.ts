/**
 * Story 20 (Model B spike) at reduced size on the js64 engine: every claim holds, the estimators are
 * right on known cases, the story refuses ill-posed knobs, and `analyze` copes with partial sweeps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkKnobs, computeStory, KnobError, type StoryCell } from '../../src/stories/story.js';
import story, { ratioOfMeans, logSlope, finiteD } from '../../src/stories/20-single-index-spike.js';
import { Rng } from '../../src/rng.js';
import { inProcessRunner, halve } from './_in-process-runner.js';

const small = {
  d: 64, ratios: [0.5, 1, 2, 4, 8], kappas: [1, 10, 100], seeds: 24, rotSeeds: 8,
  biasDims: [32, 64, 128], biasSeeds: 160, dNet: 64, widths: [16, 128, 1024], etaScales: [0.25, 64], etaWidths: [64, 256], netSeeds: 4,
};

test('story 20 at reduced size: every claim holds, and a partial sweep analyses without a crash', async () => {
  const v = checkKnobs(story, small);
  const cells: Record<string, readonly StoryCell[]> = {};
  const runner = inProcessRunner();
  const r = await computeStory(story, v, { engine: runner.engine, sweep: async (name, req, on) => { const c = await runner.sweep(name, req, on); cells[name] = c; return c; } });
  const claims = story.claims(r, v);
  assert.equal(claims.length, 10);
  for (const c of claims) assert.ok(c.holds, `${c.claim} — ${c.measured}`);
  assert.ok(finiteD(r).length === 3 && r.comparisons.length > 20);
  // half the cells: results still typed, claims still computed (they may fail, with measured text)
  const part = story.analyze(v, halve(cells as never));
  assert.ok(part.nd.length > 0);
  for (const c of story.claims(part, v)) assert.equal(typeof c.measured, 'string');
  // no cells at all: every claim fails and says why
  const none = story.analyze(v, { nd: [], kappa: [], rotated: [], bias: [], widths: [], etas: [] });
  for (const c of story.claims(none, v)) { assert.equal(c.holds, false); assert.ok(c.measured.length > 0); }
  for (const f of Object.values(story.figures)) assert.ok(Array.isArray(f(none, v).data));
});

test('story 20 refuses ill-posed knobs before anything runs', () => {
  assert.throws(() => checkKnobs(story, { ratios: [1, 0.5, 2] }), (e: unknown) => e instanceof KnobError && /ratios must increase/.test(e.message));
  assert.throws(() => checkKnobs(story, { kappaRatio: 1.01, biasDims: [16, 32, 64] }), /kappaRatio .* must give n > d \+ 1/);
  assert.throws(() => checkKnobs(story, { ratios: [0.25, 0.5, 1] }), /B3 needs it/);
  assert.throws(() => checkKnobs(story, { seeds: 2 }), /'seeds' must be an integer ≥ 4/);
});

test('ratioOfMeans: the jackknife recovers (E I)²/(b E Q) without the Jensen bias, and its gap is E[I²/(bQ)] − that', () => {
  // I ~ N(1, 0.3²), Q ~ 1 + Exp-like spread, independent: the ratio is 1/(b E Q) exactly; E[I²/Q] = E I² · E[1/Q]
  const rng = new Rng(3), S = 4000, b = 2;
  const I: number[] = [], Q: number[] = [];
  for (let k = 0; k < S; k++) { I.push(1 + 0.3 * rng.normal()); Q.push(1 + 0.5 * rng.normal() ** 2); }
  const est = ratioOfMeans(I, Q, b);
  const ratio = 1 / (b * 1.5);
  assert.ok(Math.abs(est.ratio - ratio) < 3 * est.ratioSe, `${est.ratio} vs ${ratio} ± ${est.ratioSe}`);
  // E[1/Q] for Q = 1 + χ²₁/2 by quadrature of the χ²₁ density; E I² = 1.09
  let eInv = 0; const h = 1e-4;
  for (let x = h / 2; x < 60; x += h) eInv += (Math.exp(-x / 2) / Math.sqrt(2 * Math.PI * x)) / (1 + 0.5 * x) * h;
  const gap = (1.09 * eInv) / b - ratio;
  assert.ok(Math.abs(est.gap - gap) < 3 * est.gapSe, `gap ${est.gap} vs ${gap} ± ${est.gapSe}`);
  assert.ok(est.gapSe < est.ratioSe, 'the gap is measured more precisely than either term');
  assert.throws(() => ratioOfMeans([1, 2], [1, 2], 1), /at least 3/);
});

test('logSlope: recovers an exact power law and weights by the standard errors', () => {
  const ds = [32, 64, 128, 256], g = ds.map((d) => 3 / d);
  const f = logSlope(ds, g, g.map((x) => 0.1 * x));
  assert.ok(Math.abs(f.slope + 1) < 1e-12 && Math.abs(Math.exp(f.intercept) - 3) < 1e-10);
  assert.ok(Math.abs(f.se - 0.1 / Math.sqrt(ds.reduce((a, d) => a + (Math.log(d) - Math.log(ds.reduce((p, q) => p * q, 1)) / 4) ** 2, 0))) < 1e-12);
});
