/**
 * `npm run notebook` validates overrides with the notebook's story (`checkKnobs`, the one validator the
 * site uses too) before any kernel starts, and `--params` shows the story's knobs. The registry is
 * empty on this branch, so a story for the parameters fixture is registered here for the test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { STORIES } from '../../src/stories/index.js';
import type { AnyStory, Story } from '../../src/stories/story.js';
import { ParamError } from '../../tools/lib/params.js';
import { ROOT } from '../../tools/lib/jupyter.js';
import { describeParameters, LOG_DIR, runNotebook, runPath } from '../../tools/notebook.js';
import { parseOverrides } from '../../tools/lib/params.js';

const FIXTURE = join(ROOT, 'test', 'platform', 'fixtures', 'params.ipynb');

const knobs = {
  seed: { type: 'integer', default: 0, min: 0, doc: 'the seed of every draw' },
  kappa: { type: 'number', default: 10, min: 1, doc: 'condition number κ(Σ)' },
  method: { type: 'choice', default: 'kfac', options: ['sgd', 'kfac'], doc: 'the optimizer' },
  sizes: { type: 'integer[]', default: [1, 2], min: 1, doc: 'sizes' },
} as const;

const story: Story<typeof knobs, null> = {
  notebook: 'params',
  title: 'parameters fixture',
  knobs,
  constraints: (v) => (v.sizes.some((s) => s > v.kappa) ? [`every size must be ≤ kappa (${v.kappa}); got sizes ${JSON.stringify(v.sizes)}`] : []),
  sweeps: () => ({}),
  analyze: () => null,
  figures: {},
  claims: () => [],
};

(STORIES as Record<string, () => Promise<AnyStory>>).params = async () => story as AnyStory;

test('a cross-constraint or a range declared by the story is refused before the kernel starts', async () => {
  const cases: [string[], RegExp][] = [
    [['kappa=2', 'sizes=[1,5]'], /^params: every size must be ≤ kappa \(2\); got sizes \[1,5\]$/],
    [['kappa=0.5'], /^params: parameter 'kappa' must be a finite number ≥ 1; got 0\.5$/],
    [['seed=1.5'], /^params: parameter 'seed' must be an integer ≥ 0; got 1\.5$/],
  ];
  for (const [args, re] of cases) {
    const log = join(LOG_DIR, `${runPath(FIXTURE, parseOverrides(args)).split('/').pop()!.replace(/\.ipynb$/, '')}.log`);
    await assert.rejects(runNotebook(FIXTURE, { overrides: args, renderer: null }), (e: Error) => {
      assert.ok(e instanceof ParamError, String(e));
      assert.match(e.message, re);
      return true;
    });
    assert.ok(!existsSync(log), 'refused before the run log (and the kernel) started');
  }
});

test('--params shows the story\'s knobs: default, what is allowed, the doc line', async () => {
  const lines = await describeParameters(FIXTURE);
  assert.deepEqual(lines, [
    'seed = 0  (an integer ≥ 0)\n    the seed of every draw',
    'kappa = 10  (a finite number ≥ 1)\n    condition number κ(Σ)',
    'method = "kfac"  (one of "sgd", "kfac")\n    the optimizer',
    'sizes = [1,2]  (a list of integers ≥ 1 (at least one value))\n    sizes',
  ]);
});

test('parameter runs get distinct files named by their overrides', () => {
  const a = runPath('notebooks/11-linear-kfac.ipynb', parseOverrides(['seeds=3', 'kappaSigmas=[1,10]']));
  const b = runPath('notebooks/11-linear-kfac.ipynb', parseOverrides(['seeds=4', 'kappaSigmas=[1,10]']));
  assert.match(a, /runs\/11-linear-kfac--kappaSigmas=_1,10_--seeds=3\.ipynb$/);
  assert.notEqual(a, b);
  assert.equal(runPath('x.ipynb', parseOverrides(['method="sgd"'])).split('/').pop(), 'x--method=sgd.ipynb');
  const long = runPath('x.ipynb', parseOverrides([`grid=${JSON.stringify(Array.from({ length: 100 }, (_, i) => i))}`]));
  assert.ok(long.split('/').pop()!.length < 170, 'long values are shortened with a hash');
});
