import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/node/cli.js';
import { mergeShards, MissingCellsError } from '../../src/node/merge.js';
import { runSweep } from '../../src/node/runner.js';
import { cellFiles, readText, tmp } from './helpers.js';

const EXP = 'demo-gaussian-moments';
const quiet = { onNotice: () => {} };

/** Runs the CLI in this process; returns exit code and captured output. */
async function cli(...argv: string[]) {
  let out = '', err = '';
  const code = await main(argv, { out: (s) => { out += s; }, err: { write: (s: string) => { err += s; return true; } } });
  return { code, out, err };
}

test('shards 0/3, 1/3, 2/3 merged equal the unsharded run byte for byte', async () => {
  const whole = await runSweep(EXP, { dataDir: tmp('whole'), workers: 0, ...quiet });
  const reference = readText(whole.resultsFile!);
  const dirs = [tmp('s0'), tmp('s1'), tmp('s2')];
  for (let i = 0; i < 3; i++) {
    const r = await runSweep(EXP, { dataDir: dirs[i], workers: 0, shard: `${i}/3`, ...quiet });
    assert.equal(r.cells.length, 16);
    assert.ok(r.cells.every((c) => c.index % 3 === i));
    assert.equal(r.resultsFile, undefined, 'a shard writes no combined results');
    assert.equal(cellFiles(dirs[i], EXP).length, 16);
    assert.equal(existsSync(join(dirs[i], EXP, 'results.json')), false);
  }
  const out = tmp('merged');
  const m = await cli('merge', EXP, '--data', out, '--from', dirs[0], '--from', dirs[1], '--from', dirs[2]);
  assert.equal(m.code, 0, m.err);
  assert.match(m.out, /merged 48 cells \(0 present, 48 copied\) -> .*results\.json/);
  assert.equal(readText(out, EXP, 'results.json'), reference);
  // merging again finds every cell present and rewrites the same bytes
  const again = await mergeShards(EXP, { dataDir: out, from: dirs, ...quiet });
  assert.equal(again.present, 48);
  assert.equal(readText(again.resultsFile), reference);

  // shards sharing one data directory (a cluster file system): merge needs no --from
  const shared = tmp('shared');
  for (let i = 0; i < 3; i++) assert.equal((await cli('sweep', EXP, '--data', shared, '--workers', '0', '--shard', `${i}/3`, '--quiet')).code, 0);
  assert.equal(existsSync(join(shared, EXP, 'results.json')), false);
  assert.equal((await cli('merge', EXP, '--data', shared)).code, 0);
  assert.equal(readText(shared, EXP, 'results.json'), reference);
});

test('merge with a shard missing names the missing cells and keeps what it found; a damaged copy is skipped', async () => {
  const dirs = [tmp('m0'), tmp('m1'), tmp('m2')];
  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(await runSweep(EXP, { dataDir: dirs[i], workers: 0, shard: { index: i, count: 3 }, set: { n: [100] }, ...quiet }));
  const out = tmp('mout');
  await assert.rejects(mergeShards(EXP, { dataDir: out, from: dirs.slice(0, 2), set: { n: [100] }, ...quiet }), (e: unknown) => {
    assert.ok(e instanceof MissingCellsError);
    assert.equal(e.missing.length, 5);
    assert.ok(e.missing.every((c) => c.index % 3 === 2));
    assert.match(e.message, /5 of 16 cells of 'demo-gaussian-moments' are in none of .*: #2 \{"mean":0,"n":100,"std":1\} replicate 2; #5/);
    return true;
  });
  assert.equal(cellFiles(out, EXP).length, 11, 'the cells found were copied');
  assert.equal(existsSync(join(out, EXP, 'results.json')), false);
  const viaCli = await cli('merge', EXP, '--data', out, '--from', dirs[0], '--set', 'n=100');
  assert.equal(viaCli.code, 1);
  assert.match(viaCli.err, /merge: 5 of 16 cells/);

  // damage shard 2's copy of one cell, put a good copy in a fourth directory
  const victim = runs[2].cells[0];
  const spare = tmp('spare');
  await runSweep(EXP, { dataDir: spare, workers: 0, set: { n: [100] }, ...quiet });
  const file = join(dirs[2], EXP, `${victim.key}.json`);
  writeFileSync(file, readText(file).replace('"result":{', '"result":{"x":1,'));
  const notes: string[] = [];
  const r = await mergeShards(EXP, { dataDir: out, from: [...dirs, spare], set: { n: [100] }, onNotice: (s) => notes.push(s) });
  assert.equal(r.copied, 5);
  assert.equal(r.present, 11);
  assert.deepEqual(r.corrupt.map((c) => c.cell), [victim.index]);
  assert.ok(notes.some((n) => /damaged cache file .*checksum mismatch.*skipped/.test(n)));
  assert.equal(readText(r.resultsFile), readText(spare, EXP, r.resultsFile.split('/').pop()!));
  await assert.rejects(mergeShards(EXP, { dataDir: out, from: [join(out, 'nope')], ...quiet }), /--from .*nope: no such directory/);
});

test('command line: bad input exits 2 with a message naming the parameter and the allowed values', async () => {
  const dir = tmp('clibad');
  const cases: [string[], RegExp][] = [
    [['sweep', 'nope', '--data', dir], /unknown experiment 'nope'; known experiments: .*demo-gaussian-moments/],
    [['sweep'], /sweep: name an experiment; known experiments: .*demo-gaussian-moments/],
    [['sweep', EXP, '--data', dir, '--set', 'nn=3'], /unknown parameter 'nn' for experiment 'demo-gaussian-moments'; its parameters are: n, mean, std/],
    [['sweep', EXP, '--data', dir, '--set', 'n=abc'], /--set n: 'abc' is not JSON/],
    [['sweep', EXP, '--data', dir, '--set', 'n=1'], /parameter 'n' = 1 is not allowed; allowed: an integer >= 2/],
    [['sweep', EXP, '--data', dir, '--set', 'n=[]'], /axis 'n' of experiment 'demo-gaussian-moments' is empty/],
    [['sweep', EXP, '--data', dir, '--set', 'n=100', '--set', 'n=200'], /--set n given twice/],
    [['sweep', EXP, '--data', dir, '--set', 'n'], /--set expects name=json/],
    [['sweep', EXP, '--data', dir, '--workers', 'two'], /--workers must be an integer >= 0; got 'two'/],
    [['sweep', EXP, '--data', dir, '--seeds', '0'], /--seeds must be an integer >= 1/],
    [['sweep', EXP, '--data', dir, '--shard', '3/3'], /--shard must be i\/n with integers 0 <= i < n/],
    [['sweep', EXP, '--data', dir, '--shard'], /--shard needs a value/],
    [['sweep', EXP, '--fast'], /unknown option '--fast'/],
    [['merge', EXP, '--shard', '0/2'], /merge takes no --shard/],
    [['frobnicate'], /unknown command 'frobnicate'; commands: sweep, merge, list/],
  ];
  for (const [argv, re] of cases) {
    const r = await cli(...argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
    assert.match(r.err, re, argv.join(' '));
  }
  assert.deepEqual(cellFiles(dir, EXP), []);
  const ok = await cli('sweep', EXP, '--data', dir, '--workers=0', '--set=n=100', '--set', 'mean=[0]', '--seeds', '1', '--progress-interval', '0');
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /demo-gaussian-moments: 2 cells \(2 computed, 0 cached\) in \d+ s -> .*results-[0-9a-f]{8}\.json/);
  assert.match(ok.err, /demo-gaussian-moments: 2\/2 cells, .*done in/);
  const list = await cli('list');
  assert.match(list.out, /demo-gaussian-moments {2}v1 {2}n\[3\] × mean\[2\] × std\[2\] × 4 seeds/);
});
