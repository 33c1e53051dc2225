/**
 * tools/robustness.ts: options, the settings a run covers, a setting that errors (the run goes on), the
 * table. The full run is `npm run robustness`; CI runs `npm run robustness -- --reduced` (.ci/run).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, runSetting, settingsOf, toMarkdown, toText, UsageError, type RobustnessReport } from '../tools/robustness.js';
import type { Story, StoryCell, SweepRunner } from '../src/stories/story.js';
import { figure } from '../src/plot.js';
import { storyNames } from '../src/stories/index.js';

const knobs = {
  seeds: { type: 'integer', default: 3, min: 2, max: 50, doc: 'replicates' },
  seed: { type: 'integer', default: 0, min: 0, max: 10, doc: 'base seed' },
} as const;
const toy: Story<typeof knobs, { xs: number[] }, 'a'> = {
  notebook: 'toy', title: 'toy', knobs,
  sweeps: (v) => ({ a: { experiment: 'x', set: {}, seeds: v.seeds, firstReplicate: v.seed * 1_000_000 } }),
  analyze: (_v, cells) => ({ xs: cells.a.map((c) => (typeof c.result === 'number' ? c.result : NaN)) }),
  figures: { f: () => figure([]) },
  claims: (r) => [{ claim: 'mean above 1', measured: `mean ${r.xs.reduce((a, b) => a + b, 0) / r.xs.length}`, holds: r.xs.reduce((a, b) => a + b, 0) / r.xs.length > 1 }],
  robustness: [{ name: 'seed=1', knobs: { seed: 1 } }, { name: 'seeds=10', knobs: { seeds: 10 } }, { name: 'bad', knobs: { seeds: 1000 } }],
};
// replicate r of base seed s returns s + r/10: the claim fails at seed 0 with 3 replicates, holds otherwise
const runner: SweepRunner = {
  engine: 'js64',
  async sweep(_n, req) {
    const first = req.firstReplicate ?? 0;
    return Array.from({ length: req.seeds ?? 1 }, (_, i): StoryCell => ({ params: {}, replicate: first + i, result: first / 1_000_000 + (i + 1) / 2 }));
  },
};

test('options: --only repeats, --reduced, --settings, bad values refused', () => {
  const o = parseArgs(['--only', 'a', '--only', 'b', '--reduced', '--workers', '1']);
  assert.deepEqual(o.only, ['a', 'b']);
  assert.equal(o.reduced, true);
  assert.match(o.out, /reduced$/);
  assert.throws(() => parseArgs(['--workers', '-1']), UsageError);
  assert.throws(() => parseArgs(['--frobnicate']), /unknown option '--frobnicate'/);
  assert.throws(() => parseArgs(['--only']), /--only needs a value/);
  assert.deepEqual(parseArgs(['--settings', 'seed=1, seeds=10']).settings, ['seed=1', 'seeds=10']);
});

test('settings: the default first; --reduced keeps the default and the first setting; --settings picks by name', () => {
  assert.deepEqual(settingsOf(toy, { reduced: false, settings: null }).map((s) => s.name), ['default', 'seed=1', 'seeds=10', 'bad']);
  assert.deepEqual(settingsOf(toy, { reduced: true, settings: null }).map((s) => s.name), ['default', 'seed=1']);
  assert.deepEqual(settingsOf(toy, { reduced: false, settings: ['seeds=10'] }).map((s) => s.name), ['seeds=10']);
});

test('a run: claims per setting, a refused setting recorded as an error, and the table', async () => {
  const settings = [];
  for (const s of settingsOf(toy, { reduced: false, settings: null })) settings.push(await runSetting(toy, s, runner));
  assert.deepEqual(settings.map((s) => s.claims?.[0]?.holds ?? null), [false, true, true, null]);
  assert.match(settings[3]!.error!, /KnobError: toy: parameter 'seeds' must be an integer ≥ 2 and ≤ 50; got 1000/);
  const rep: RobustnessReport = { generated: 'now', engine: 'js64', workers: 1, reduced: false, wallSeconds: 1, stories: [{ notebook: 'toy', title: 'toy', settings }] };
  const md = toMarkdown(rep);
  assert.match(md, /\| claim \| default \| seed=1 \| seeds=10 \| bad \|/);
  assert.match(md, /\| C1 \| ✗ \| ✓ \| ✓ \| error \|/);
  assert.match(md, /- ✓ seed=1: mean 2/);
  assert.match(toText(rep), /bad: error: KnobError/);
  // a claim that fails shows as ✗ with its statistic
  const failing = await runSetting(toy, { name: 'two', knobs: { seeds: 2 } }, { ...runner, sweep: async () => [{ params: {}, replicate: 0, result: 0 }, { params: {}, replicate: 1, result: 1 }] });
  assert.equal(failing.claims?.[0]?.holds, false);
  assert.match(toText({ ...rep, stories: [{ notebook: 'toy', title: 'toy', settings: [failing] }] }), /✗ C1 at two: mean above 1 — mean 0.5/);
});

test('every registered story declares robustness settings that pass its own validator', async () => {
  const { loadStory } = await import('../src/stories/index.js');
  const { checkKnobs } = await import('../src/stories/story.js');
  for (const name of storyNames()) {
    const s = await loadStory(name);
    assert.ok((s.robustness ?? []).length > 0, `${name} has no robustness settings`);
    for (const r of s.robustness ?? []) assert.doesNotThrow(() => checkKnobs(s, r.knobs), `${name} / ${r.name}`);
  }
});
