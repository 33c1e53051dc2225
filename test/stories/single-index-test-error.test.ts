/**
 * Story 21 (Model B test error) at reduced size on the js64 engine: every claim holds; the problem
 * rebuilt from a cell's derived seed is the experiment's own (the ρ² predictions use it); ill-posed
 * knobs are refused; `analyze` copes with partial sweeps; the equivalence test behaves on known cases.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkKnobs, computeStory, KnobError, type StoryCell } from '../../src/stories/story.js';
import story, { equivalence, rowAt } from '../../src/stories/21-single-index-test-error.js';
import { inProcessRunner, halve } from './_in-process-runner.js';
import { Rng } from '../../src/rng.js';

test('story 21 at reduced size (κ = 1, 256; 6 problems): every claim holds; partial sweeps analyse', async () => {
  const v = checkKnobs(story, { kappas: [1, 256], nTest: 1000, seeds: 6 });
  const cells: Record<string, readonly StoryCell[]> = {};
  const runner = inProcessRunner();
  const r = await computeStory(story, v, { engine: runner.engine, sweep: async (name, req, on) => { const c = await runner.sweep(name, req, on); cells[name] = c; return c; } });
  const claims = story.claims(r, v);
  assert.equal(claims.length, 5);
  for (const c of claims) assert.ok(c.holds, `${c.claim} — ${c.measured}`);
  // the predicted ρ² of the plain spike is computed for each cell's own problem: it must track the measured one
  const x = rowAt(r, 'rotated', 256)!;
  assert.ok(Math.abs(x.rho.plain.m - x.th.plain) < 4 * x.rho.plain.se + 0.02, `plain ρ² ${x.rho.plain.m} vs prediction ${x.th.plain}`);
  const part = story.analyze(v, halve(cells as never));
  for (const c of story.claims(part, v)) assert.equal(typeof c.measured, 'string');
  const none = story.analyze(v, { rotated: [], aligned: [] });
  for (const c of story.claims(none, v)) { assert.equal(c.holds, false); assert.ok(c.measured.length > 0); }
  for (const f of Object.values(story.figures)) assert.ok(Array.isArray(f(none, v).data));
});

test('story 21 refuses ill-posed knobs before anything runs', () => {
  assert.throws(() => checkKnobs(story, { kappas: [4, 16] }), (e: unknown) => e instanceof KnobError && /kappas must include 1/.test(e.message));
  assert.throws(() => checkKnobs(story, { kappas: [1] }), /2 to ∞ values/);
  assert.throws(() => checkKnobs(story, { d: 64, ratio: 1.01 }), /must exceed d \+ 1/);
});

test('equivalence (TOST): holds for a null difference well inside the margin, fails for a shifted one, at about the stated rate', () => {
  const rng = new Rng(11);
  let fails = 0;
  const trials = 2000, n = 10, alpha = 0.05, margin = 0.5;
  // differences exactly at the margin: TOST must reject equivalence with probability ≥ 1 − α (here ≈ 1 − α)
  for (let t = 0; t < trials; t++) {
    const xs = Array.from({ length: n }, () => margin + rng.normal());
    if (equivalence(xs, 0, margin, alpha).holds) fails++;
  }
  assert.ok(fails / trials < alpha + 3 * Math.sqrt(alpha * (1 - alpha) / trials), `false equivalence rate ${fails / trials}`);
  const tight = Array.from({ length: 40 }, () => 0.01 * rng.normal());
  assert.ok(equivalence(tight, 0, 0.02, alpha).holds);
});
