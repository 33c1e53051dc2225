import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readNotebook } from '../../tools/lib/ipynb.js';
import { notebookParameters, parseOverrides } from '../../tools/lib/params.js';
import { STORIES, loadStory, storyNames } from '../../src/stories/index.js';
import { checkKnobs, defaultKnobs } from '../../src/stories/story.js';
import { REGISTRY } from '../../src/experiments/registry.js';
import { checkedInjection } from '../../tools/notebook.js';
import { ParamError } from '../../tools/lib/params.js';

const NB = join(import.meta.dirname, '..', '..', 'notebooks');

test('every registered story has its notebook, whose parameters cell declares exactly the story\'s knobs with their defaults', async () => {
  assert.ok(storyNames().length >= 1);
  for (const name of storyNames()) {
    const file = join(NB, `${name}.ipynb`);
    assert.ok(existsSync(file), `${name}: notebooks/${name}.ipynb exists`);
    const story = await loadStory(name);
    assert.equal(story.notebook, name, `${name}: the story names its notebook`);
    const decls = notebookParameters(readNotebook(file), file);
    assert.deepEqual(decls.map((d) => d.name), Object.keys(story.knobs), `${name}: the same knobs in the same order`);
    const defaults = defaultKnobs(story);
    for (const d of decls) assert.deepEqual(d.value, (defaults as Record<string, unknown>)[d.name], `${name}: default of ${d.name}`);
    assert.ok('seed' in story.knobs, `${name}: has a seed knob`);
    for (const req of Object.values(story.sweeps(defaults) as Record<string, { experiment: string }>)) {
      assert.ok(Object.prototype.hasOwnProperty.call(REGISTRY, req.experiment), `${name}: sweeps a registered experiment (${req.experiment})`);
    }
  }
  assert.deepEqual(Object.keys(STORIES).sort(), storyNames());
});

test('the platform demo\'s validator names the knob and the rule', async () => {
  const s = await loadStory('00-platform-demo');
  assert.throws(() => checkKnobs(s, { kappa: 0.5 }), /00-platform-demo: parameter 'kappa' must be a finite number ≥ 1 and ≤ 100000000; got 0.5/);
  assert.throws(() => checkKnobs(s, { n: 16 }), /n \(16\) must be at least d \(32\)/);
  assert.throws(() => checkKnobs(s, { rotation: 'x' }), /'rotation' must be one of "haar", "none"; got "x"/);
});

test('npm run notebook refuses a storied notebook\'s bad values with the message of the story\'s validator (the site\'s)', async () => {
  const s = await loadStory('00-platform-demo');
  const file = join(NB, '00-platform-demo.ipynb');
  for (const [arg, value] of [['kappa=0.5', 0.5], ['kappa="abc"', 'abc'], ['n=16', 16], ['rotation="x"', 'x'], ['steps=2.5', 2.5]] as const) {
    const name = arg.split('=')[0]!;
    let expected = '';
    try { checkKnobs(s, { [name]: value }); } catch (e) { expected = (e as Error).message; }
    assert.ok(expected, arg);
    await assert.rejects(checkedInjection(readNotebook(file), file, parseOverrides([arg]), file), (e: unknown) => e instanceof ParamError && e.message === expected, arg);
  }
  await checkedInjection(readNotebook(file), file, parseOverrides(['kappa=1000']), file);
});

test('every story\'s seed knob reaches the cells: seed 1 plans cells disjoint from seed 0 (the grid planning the page uses)', async () => {
  const { storyCellKeys } = await import('../../tools/lib/knob-change.js');
  for (const name of storyNames()) {
    const story = await loadStory(name);
    const k0 = new Set(await storyCellKeys(story, defaultKnobs(story), 'simd'));
    const k1 = await storyCellKeys(story, checkKnobs(story, { seed: 1 }), 'simd');
    assert.ok(k1.length > 0 && k1.every((k) => !k0.has(k)), `${name}: seed = 1 must give new cells only`);
  }
});
