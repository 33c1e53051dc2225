/**
 * `npm run sweep -- <experiment> --story NB --profile paper`: a story's sweeps at a profile, sharded as the
 * README's Slurm script shards them (its extra arguments go to the sweep), merged, equal the unsharded run
 * cell for cell and byte for byte. Notebook 21's story is run with --knob overrides (d, N, problems, and a
 * profile-like κ and step grid) so that the test is quick; the grid's other axes, the base seed's first
 * replicate and the sweep names are the story's. That --profile takes a story's grid from its profile is
 * checked on notebook 20's paper profile (planning only: its cells are minutes each).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main, storySweeps } from '../../src/node/cli.js';
import { SEED_STRIDE } from '../../src/sweep/grid.js';
import { cellFiles, readText, tmp } from './helpers.js';
import spikeStory from '../../src/stories/20-single-index-spike.js';

async function cli(...argv: string[]) {
  let out = '', err = '';
  const code = await main(argv, { out: (s) => { out += s; }, err: { write: (s: string) => { err += s; return true; } } });
  return { code, out, err };
}

const EXP = 'single-index-test-error';
const KNOBS = { d: 8, N: 8, nTest: 100, seeds: 3, seed: 1, kappas: [1, 256], etaGrid: [1, 2] };
const STORY = ['--story', '21-single-index-test-error', ...Object.entries(KNOBS).flatMap(([k, v]) => ['--knob', `${k}=${JSON.stringify(v)}`])];

test("--profile takes a story's sweeps from that profile (notebook 20's paper profile)", async () => {
  const paper = spikeStory.profiles!.paper!;
  const sweeps = await storySweeps({ story: '20-single-index-spike', profile: 'paper', knobs: {}, experiment: 'single-index-spike' });
  const kappa = sweeps.find((s) => s.name === 'kappa');
  assert.ok(kappa, 'the κ sweep');
  assert.deepEqual(kappa.req.set.d, [paper.d], "the profile's d");
  assert.deepEqual(kappa.req.set.kappa, paper.kappas, "the profile's κ grid");
  assert.equal(kappa.req.seeds, paper.seeds, "the profile's seeds");
});

test('a story sweep in 3 shards, merged, gives the cells and results files of the unsharded run', async () => {
  const sweeps = await storySweeps({ story: '21-single-index-test-error', knobs: KNOBS, experiment: EXP });
  assert.deepEqual(sweeps.map((s) => s.name), ['rotated', 'aligned']);
  assert.deepEqual(sweeps[0]!.req.set.kappa, KNOBS.kappas, "the knobs' κ grid");
  assert.deepEqual(sweeps[0]!.req.set.etaGrid, [KNOBS.etaGrid], "the knobs' step-size grid");
  const kappas = KNOBS.kappas;
  const nRot = 3 * kappas.length, nAl = 3 * kappas.filter((k) => k > 1).length;
  assert.equal(sweeps[0]!.req.firstReplicate, SEED_STRIDE);

  const whole = tmp('story-whole');
  const w = await cli('sweep', EXP, ...STORY, '--data', whole, '--workers', '0', '--quiet');
  assert.equal(w.code, 0, w.err);
  assert.match(w.out, new RegExp(`single-index-test-error \\[21-single-index-test-error, sweep rotated\\]: ${nRot} cells \\(${nRot} computed, 0 cached\\)`));
  assert.match(w.out, new RegExp(`sweep aligned\\]: ${nAl} cells \\(${nAl} computed`));
  const files = [...w.out.matchAll(/-> (\S+)/g)].map((m) => m[1]!);
  assert.equal(files.length, 2);
  assert.match(readText(files[0]!), new RegExp(`"replicate": ?${SEED_STRIDE}\\b`), 'replicates start at seed·SEED_STRIDE');

  // as examples/slurm-array.sh runs it: <experiment> --shard i/n --data DIR --workers k, then the story's arguments
  const shared = tmp('story-shared');
  for (let i = 0; i < 3; i++) {
    const s = await cli('sweep', EXP, '--shard', `${i}/3`, '--data', shared, '--workers', '0', ...STORY, '--quiet');
    assert.equal(s.code, 0, s.err);
    assert.match(s.out, new RegExp(`sweep rotated\\]: shard ${i}/3: ${nRot / 3} cells \\(${nRot / 3} computed`));
  }
  assert.deepEqual(cellFiles(shared, EXP), cellFiles(whole, EXP), 'the same cells');
  const m = await cli('merge', EXP, ...STORY, '--data', shared);
  assert.equal(m.code, 0, m.err);
  assert.match(m.out, new RegExp(`sweep rotated\\]: merged ${nRot} cells \\(${nRot} present, 0 copied\\)`));
  const merged = [...m.out.matchAll(/-> (\S+)/g)].map((x) => x[1]!);
  assert.deepEqual(merged.map((f) => readText(f)), files.map((f) => readText(f)), 'merged results = unsharded results, byte for byte');
});

test('--story refuses what it cannot honour, naming what exists', async () => {
  const cases: [string[], RegExp][] = [
    [['sweep', EXP, '--story', 'nope'], /no story 'nope'; stories: .*21-single-index-test-error/],
    [['sweep', 'single-index-spike', '--story', '20-single-index-spike', '--profile', 'huge'], /no profile 'huge'; profiles: paper/],
    [['sweep', EXP, '--story', '21-single-index-test-error', '--sweep', 'nope'], /no sweep 'nope'; its sweeps: rotated \(single-index-test-error\), aligned/],
    [['sweep', 'single-index-spike', '--story', '21-single-index-test-error'], /has no sweep of experiment 'single-index-spike'/],
    [['sweep', EXP, '--story', '21-single-index-test-error', '--set', 'd=8'], /not --set\/--seeds/],
    [['sweep', EXP, '--profile', 'paper'], /belong to --story/],
    [['sweep', EXP, '--story', '21-single-index-test-error', '--knob', 'd=3'], /parameter 'd' must be an integer ≥ 4/],
  ];
  for (const [argv, re] of cases) {
    const r = await cli(...argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.match(r.err, re, argv.join(' '));
  }
});
