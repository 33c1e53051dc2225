import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkKnobs, computeStory, KnobError, type Story, type StoryCell, type SweepRunner } from '../../src/stories/story.js';
import { figure, line } from '../../src/plot.js';

const knobs = {
  kappas: { type: 'number[]', default: [1, 10], min: 1, doc: 'κ grid' },
  dampingKappa: { type: 'number', default: 10, min: 1, doc: 'κ of the damping sweep' },
  seeds: { type: 'integer', default: 2, min: 1, max: 64, doc: 'replicates' },
  method: { type: 'choice', default: 'kfac', options: ['kfac', 'sgd'], doc: 'optimizer' },
} as const;
const toy: Story<typeof knobs, { n: number }, 'a'> = {
  notebook: 'toy', title: 'toy', knobs,
  constraints: (v) => (v.kappas.includes(v.dampingKappa) ? [] : [`dampingKappa (${v.dampingKappa}) must be one of kappas (${v.kappas.join(', ')})`]),
  sweeps: (v) => ({ a: { experiment: 'x', set: { kappa: [...v.kappas] }, seeds: v.seeds } }),
  analyze: (_v, cells) => ({ n: cells.a.length }),
  figures: { count: (r) => figure([line([0], [r.n])]) },
  claims: (r) => [{ claim: 'has cells', measured: String(r.n), holds: r.n > 0 }],
};

test('checkKnobs: defaults, overrides, and typed values', () => {
  const v = checkKnobs(toy, {});
  assert.deepEqual(v.kappas, [1, 10]);
  const w = checkKnobs(toy, { kappas: [1, 100], dampingKappa: 100, method: 'sgd' });
  assert.equal(w.method, 'sgd');
});

test('checkKnobs: each kind of bad value is refused with a message naming the knob and what it allows', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ kapas: [1] }, /unknown parameter 'kapas'; known: kappas, dampingKappa, seeds, method/],
    [{ seeds: 2.5 }, /'seeds' must be an integer ≥ 1 and ≤ 64; got 2.5/],
    [{ seeds: '3' }, /'seeds' must be an integer/],
    [{ seeds: NaN }, /'seeds' must be an integer.*got NaN/],
    [{ kappas: [] }, /'kappas' must be a list of finite numbers ≥ 1/],
    [{ kappas: [1, Infinity] }, /'kappas' must be a list/],
    [{ method: 'adam' }, /'method' must be one of "kfac", "sgd"; got "adam"/],
    [{ dampingKappa: 100 }, /dampingKappa \(100\) must be one of kappas \(1, 10\)/],
  ];
  for (const [o, re] of cases) assert.throws(() => checkKnobs(toy, o), (e: unknown) => e instanceof KnobError && re.test(e.message), JSON.stringify(o));
});

test('computeStory runs the sweeps through the runner and reports partial results', async () => {
  const seen: number[] = [];
  const runner: SweepRunner = {
    engine: 'js64',
    async sweep(_name, req, onCells) {
      const cells: StoryCell[] = (req.set.kappa as number[]).map((k, i) => ({ params: { kappa: k }, replicate: i, result: k }));
      onCells?.(cells.slice(0, 1));
      onCells?.(cells);
      return cells;
    },
  };
  const r = await computeStory(toy, checkKnobs(toy, {}), runner, (p) => seen.push(p.n));
  assert.deepEqual(seen, [1, 2]);
  assert.equal(r.n, 2);
});

test('profileKnobs: a declared profile passes checkKnobs; an unknown profile is refused naming the profiles', async () => {
  const { profileKnobs, profileNames } = await import('../../src/stories/story.js');
  const withProfile = { ...toy, profiles: { paper: { kappas: [1, 10, 100], seeds: 8 } } };
  const v = checkKnobs(withProfile, profileKnobs(withProfile, 'paper'));
  assert.deepEqual(v.kappas, [1, 10, 100]);
  assert.equal(v.seeds, 8);
  assert.equal(v.method, 'kfac');
  assert.deepEqual(profileNames([toy, withProfile]), ['paper']);
  assert.throws(() => profileKnobs(withProfile, 'huge'), (e: unknown) => e instanceof KnobError && /no profile 'huge'; profiles: paper/.test(e.message));
  assert.throws(() => profileKnobs(toy, 'paper'), (e: unknown) => e instanceof KnobError && /no profile 'paper'; profiles: \(none\)/.test(e.message));
  // a profile is checked like any override: a bad value is refused naming the knob
  const bad = { ...toy, profiles: { paper: { seeds: 1000 } } };
  assert.throws(() => checkKnobs(bad, profileKnobs(bad, 'paper')), /'seeds' must be an integer ≥ 1 and ≤ 64; got 1000/);
});

test('every profile of every registered story passes its own validator', async () => {
  const { loadStory, storyNames } = await import('../../src/stories/index.js');
  const { profileKnobs } = await import('../../src/stories/story.js');
  for (const name of storyNames()) {
    const s = await loadStory(name);
    for (const p of Object.keys(s.profiles ?? {})) assert.doesNotThrow(() => checkKnobs(s, profileKnobs(s, p)), `${name} / ${p}`);
  }
});
