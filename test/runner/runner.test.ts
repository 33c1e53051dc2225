import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { UnknownExperimentError } from '../../src/experiments/registry.js';
import type { Experiment } from '../../src/sweep/types.js';
import { decodeCell } from '../../src/node/cache.js';
import { CacheWriteError, nodeFs, type FsLayer } from '../../src/node/fs-layer.js';
import { CellError } from '../../src/node/pool.js';
import { runSweep, type CellResult } from '../../src/node/runner.js';
import fixture from './fixtures/counting.js';
import { allFiles, cellFiles, FIXTURE, logLines, readText, tmp } from './helpers.js';

const EXP = 'test-counting';
const quiet = { onNotice: () => {} };

test('results do not depend on the worker count: 0, 1 and 2 threads write byte-identical results', async () => {
  const texts: string[] = [];
  let firstCells: CellResult[] | undefined;
  for (const workers of [0, 1, 2]) {
    const dir = tmp(`w${workers}`);
    const r = await runSweep('demo-gaussian-moments', { dataDir: dir, workers, ...quiet });
    assert.equal(r.computed, 48);
    assert.equal(r.cached, 0);
    texts.push(readText(r.resultsFile!));
    firstCells ??= r.cells;
  }
  assert.equal(texts[1], texts[0]);
  assert.equal(texts[2], texts[0]);
  // the demo's numbers are real sample moments: distinct per cell, and near the truth for n = 10 000
  const cells = firstCells!;
  assert.equal(new Set(cells.map((c) => (c.result as { mean: number }).mean)).size, 48);
  for (const c of cells.filter((c) => c.params.n === 10000)) {
    const { mean, variance } = c.result as { mean: number; variance: number };
    const mu = c.params.mean as number, sd = c.params.std as number;
    assert.ok(Math.abs(mean - mu) < 5 * sd / 100, `mean ${mean} vs ${mu}`);
    assert.ok(Math.abs(variance / (sd * sd) - 1) < 5 * Math.SQRT2 / 100, `variance ${variance} vs ${sd * sd}`);
  }
});

test('a second run computes nothing: every cell comes from the cache, no file is rewritten', async () => {
  const dir = tmp('reuse');
  const log = join(dir, 'exec.log');
  process.env.SWEEP_TEST_LOG = log;
  try {
    const r1 = await runSweep(FIXTURE, { dataDir: dir, workers: 0, ...quiet });
    assert.equal(r1.computed, 12);
    assert.equal(logLines(log).length, 12);
    const files = cellFiles(dir, EXP);
    assert.equal(files.length, 12);
    const mtimes = files.map((f) => statSync(join(dir, EXP, f)).mtimeMs);
    const text1 = readText(r1.resultsFile!);

    const r2 = await runSweep(FIXTURE, { dataDir: dir, workers: 0, ...quiet });
    assert.equal(r2.computed, 0);
    assert.equal(r2.cached, 12);
    assert.equal(logLines(log).length, 12, 'run() was not called again');
    assert.deepEqual(files.map((f) => statSync(join(dir, EXP, f)).mtimeMs), mtimes);
    assert.equal(readText(r2.resultsFile!), text1);
    assert.deepEqual(r2.cells.map((c) => c.result), r1.cells.map((c) => c.result));
    assert.ok(r2.cells.every((c) => c.cached) && r1.cells.every((c) => !c.cached));
  } finally {
    delete process.env.SWEEP_TEST_LOG;
  }
});

test('a changed parameter recomputes only the cells it affects; a version bump recomputes all', async () => {
  const dir = tmp('change');
  const log = join(dir, 'exec.log');
  process.env.SWEEP_TEST_LOG = log;
  try {
    const r1 = await runSweep(FIXTURE, { dataDir: dir, workers: 0, ...quiet });
    assert.equal(r1.computed, 12);
    const text1 = readText(r1.resultsFile!);
    const r2 = await runSweep(FIXTURE, { dataDir: dir, workers: 0, set: { a: [1, 2, 4] }, ...quiet });
    assert.equal(r2.computed, 4);
    assert.equal(r2.cached, 8);
    const fresh = logLines(log).slice(12);
    assert.equal(fresh.length, 4);
    assert.ok(fresh.every((l) => l.a === 4), 'only a = 4 cells ran');
    // cells shared with the first run have the same results
    for (const c of r2.cells.filter((c) => c.params.a !== 4)) {
      assert.deepEqual(c.result, r1.cells.find((d) => d.key === c.key)!.result);
    }
    assert.match(r2.resultsFile!, /results-[0-9a-f]{8}\.json$/, 'an overridden grid does not replace results.json');
    assert.equal(readText(r1.resultsFile!), text1);

    const r3 = await runSweep(FIXTURE, { dataDir: dir, workers: 0, seeds: 3, ...quiet });
    assert.equal(r3.computed, 6, 'only replicate 2 of each point');
    assert.ok(logLines(log).slice(16).every((l) => l.replicate === 2));

    const bumped: Experiment = { ...fixture, version: '2' };
    const r4 = await runSweep(bumped, { dataDir: dir, workers: 0, ...quiet });
    assert.equal(r4.computed, 12);
    assert.deepEqual(r4.cells.map((c) => c.result), r1.cells.map((c) => c.result), 'same seeds, same code: same numbers');
    assert.notDeepEqual(r4.cells.map((c) => c.key), r1.cells.map((c) => c.key));
  } finally {
    delete process.env.SWEEP_TEST_LOG;
  }
});

test('damaged cache files (truncated, edited, misfiled, empty) are reported and recomputed', async () => {
  const dir = tmp('corrupt');
  const r1 = await runSweep(FIXTURE, { dataDir: dir, workers: 0, ...quiet });
  const reference = readText(r1.resultsFile!);
  const file = (i: number) => join(dir, EXP, `${r1.cells[i].key}.json`);
  const t0 = readText(file(0));
  writeFileSync(file(0), t0.slice(0, Math.floor(t0.length / 2)));                        // truncated
  writeFileSync(file(3), readText(file(3)).replace(/"draws":\[0\.(\d)/, (_m, d) => `"draws":[0.${(Number(d) + 1) % 10}`)); // edited digit
  writeFileSync(file(5), readText(file(6)));                                             // another cell's file
  writeFileSync(file(7), '');                                                            // empty
  const stale = join(dir, EXP, `.${r1.cells[1].key}.json.tmp-999-abc`);
  const fresh = join(dir, EXP, `.${r1.cells[2].key}.json.tmp-998-abc`);
  writeFileSync(stale, '{"checksum":');
  writeFileSync(fresh, '{"checksum":');
  const old = (Date.now() - 3600_000) / 1000;
  utimesSync(stale, old, old);

  const notices: string[] = [];
  const r2 = await runSweep(FIXTURE, { dataDir: dir, workers: 0, onNotice: (m) => notices.push(m) });
  assert.equal(r2.computed, 4);
  assert.deepEqual(r2.corrupt.map((c) => c.cell).sort((a, b) => a - b), [0, 3, 5, 7]);
  const reasons = Object.fromEntries(r2.corrupt.map((c) => [c.cell, c.reason]));
  assert.match(reasons[0], /not valid JSON .*truncated/);
  assert.match(reasons[3], /checksum mismatch/);
  assert.match(reasons[5], /holds cell [0-9a-f]+ but is filed as/);
  assert.match(reasons[7], /not valid JSON \(0 bytes/);
  assert.equal(notices.filter((n) => /damaged cache file/.test(n)).length, 4);
  assert.ok(notices.some((n) => /removed 1 temporary file/.test(n)));
  assert.equal(existsSync(stale), false, 'stale temp file removed');
  assert.equal(existsSync(fresh), true, 'a recent temp file may belong to a live run: kept');
  assert.equal(readText(r2.resultsFile!), reference);
  for (const i of [0, 3, 5, 7]) assert.ok(decodeCell(readText(file(i)), r1.cells[i].key).ok);
});

/** nodeFs whose durable writes fail with `code` once `okWrites` cell files were written. */
function failingFs(code: string, okWrites: number): FsLayer & { writes: number } {
  const layer = {
    ...nodeFs,
    writes: 0,
    async writeDurable(file: string, data: string) {
      if (!file.includes('.probe.') && layer.writes++ >= okWrites) {
        await nodeFs.writeDurable(file, data.slice(0, 10)); // a partial temp file, as a full disk leaves it
        throw Object.assign(new Error(`${code}: simulated failure, write '${file}'`), { code });
      }
      return nodeFs.writeDurable(file, data);
    },
  };
  return layer;
}

test('a full disk (ENOSPC) stops the run with a clear error and loses nothing already written', async () => {
  const dir = tmp('enospc');
  const fs = failingFs('ENOSPC', 5);
  await assert.rejects(runSweep(FIXTURE, { dataDir: dir, workers: 0, fs, ...quiet }), (e: unknown) => {
    assert.ok(e instanceof CacheWriteError);
    assert.equal(e.code, 'ENOSPC');
    assert.match(e.message, /cannot write .*[0-9a-f]{32}\.json: ENOSPC.*no space left on device/);
    assert.match(e.message, /5 of 12 cells are saved in .*test-counting \(5 from this run\); a rerun reuses them/);
    return true;
  });
  const files = allFiles(dir, EXP);
  assert.equal(files.length, 5, `only the 5 finished cells, no temp file or results: ${files.join(' ')}`);
  for (const f of files) assert.ok(decodeCell(readText(dir, EXP, f), f.slice(0, 32)).ok, f);

  const r = await runSweep(FIXTURE, { dataDir: dir, workers: 0, ...quiet });
  assert.equal(r.computed, 7);
  assert.equal(r.cached, 5);
  const ref = await runSweep(FIXTURE, { dataDir: tmp('enospc-ref'), workers: 0, ...quiet });
  assert.equal(readText(r.resultsFile!), readText(ref.resultsFile!));
});

test('an unwritable data directory fails before any cell runs', async () => {
  const dir = tmp('unwritable');
  const file = join(dir, 'a-file');
  writeFileSync(file, 'not a directory');
  const log = join(dir, 'exec.log');
  process.env.SWEEP_TEST_LOG = log;
  try {
    await assert.rejects(runSweep(FIXTURE, { dataDir: join(file, 'data'), workers: 0, ...quiet }),
      /cannot create the data directory .*a-file\/data\/test-counting: .*ENOTDIR.*a path component is a file/);
    const fs = failingFs('EACCES', 0);
    await assert.rejects(runSweep(FIXTURE, { dataDir: join(dir, 'ro'), workers: 0, fs: { ...fs, writeDurable: (f, d) => (f.includes('.probe.') ? Promise.reject(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' })) : fs.writeDurable(f, d)) }, ...quiet }),
      /cannot write .*\.probe\.tmp-.*EACCES.*permission denied: make the directory writable, or choose another with --data/);
    assert.equal(logLines(log).length, 0, 'no cell ran');
  } finally {
    delete process.env.SWEEP_TEST_LOG;
  }
});

test('bad input names the parameter and the allowed values', async () => {
  const dir = tmp('bad');
  await assert.rejects(runSweep('demo-gausian-moments', { dataDir: dir }), (e: unknown) =>
    e instanceof UnknownExperimentError && /unknown experiment 'demo-gausian-moments'; known experiments: demo-gaussian-moments/.test((e as Error).message));
  await assert.rejects(runSweep('./no/such/module.ts', { dataDir: dir }), /experiment module file:.*no\/such\/module\.ts not found/);
  await assert.rejects(runSweep(FIXTURE, { dataDir: dir, set: { c: [1] } }), /unknown parameter 'c' for experiment 'test-counting'; its parameters are: a, b, mode/);
  await assert.rejects(runSweep(FIXTURE, { dataDir: dir, set: { mode: ['fast'] } }), /parameter 'mode' = "fast" is not allowed; allowed values: "ok", "throw", "nan"/);
  await assert.rejects(runSweep(FIXTURE, { dataDir: dir, set: { a: [] } }), /axis 'a' of experiment 'test-counting' is empty/);
  await assert.rejects(runSweep(FIXTURE, { dataDir: dir, workers: -1 }), /workers must be an integer >= 0/);
  await assert.rejects(runSweep(FIXTURE, { dataDir: dir, shard: '3/3' }), /--shard must be i\/n with integers 0 <= i < n/);
  await assert.rejects(runSweep(fixture, { dataDir: dir, workers: 2 }), /given as an object, which worker threads cannot import: use workers: 0/);
  assert.deepEqual(allFiles(dir, EXP), [], 'nothing was written');
});

test('a cell that throws, or returns NaN, stops the run; finished cells stay saved (threads and in-thread)', async () => {
  const dir = tmp('throw');
  await assert.rejects(runSweep(FIXTURE, { dataDir: dir, workers: 0, set: { mode: ['ok', 'throw'] }, ...quiet }), (e: unknown) => {
    assert.ok(e instanceof CellError);
    assert.match(e.message, /experiment 'test-counting' failed on cell 2 \(params \{"a":1,"b":"x","mode":"throw"\}, replicate 0, seed \d+\): cell a=1 b=x refuses to run/);
    assert.match(e.message, /2 of 24 cells are saved/);
    return true;
  });
  assert.equal(cellFiles(dir, EXP).length, 2);
  const dir2 = tmp('throw2');
  await assert.rejects(runSweep(FIXTURE, { dataDir: dir2, workers: 2, set: { a: [1], b: ['x'], mode: ['ok', 'nan'] }, seeds: 3, ...quiet }), (e: unknown) => {
    assert.ok(e instanceof CellError, String(e));
    assert.match(e.message, /"mode":"nan".*result\.scaled\[1\] is NaN, which JSON cannot hold/);
    return true;
  });
  const saved = cellFiles(dir2, EXP).map((f) => JSON.parse(readText(dir2, EXP, f)).payload.params.mode);
  assert.ok(saved.length >= 1 && saved.every((m: string) => m === 'ok'), `saved: ${saved}`);
  assert.equal(existsSync(join(dir2, EXP, 'results.json')), false);
  assert.ok(readFileSync(join(dir2, EXP, cellFiles(dir2, EXP)[0]), 'utf8').startsWith('{"checksum":"sha256:'));
});

test('readDirs: cells found in a read-only data directory are reused, new ones go to dataDir only', async () => {
  const committed = tmp('readdirs-data');
  const cache = tmp('readdirs-cache');
  const log = join(cache, 'exec.log');
  await runSweep(FIXTURE, { dataDir: committed, workers: 0, ...quiet });
  const before = cellFiles(committed, EXP);
  const beforeAll = readdirSync(join(committed, EXP)).sort();
  process.env.SWEEP_TEST_LOG = log;
  try {
    // a = 4 is new; a = 1 cells are in the committed directory.
    const r = await runSweep(FIXTURE, { dataDir: cache, readDirs: [committed], set: { a: [1, 4] }, workers: 0, ...quiet });
    assert.equal(r.cached, 4, 'the a = 1 cells (2 b × 2 seeds) come from the read directory');
    assert.equal(r.computed, 4);
    assert.equal(logLines(log).length, 4, 'only the new cells ran');
    assert.equal(cellFiles(cache, EXP).length, 4, 'only the new cells are written, to dataDir');
    assert.deepEqual(readdirSync(join(committed, EXP)).sort(), beforeAll, 'nothing is written to the read directory');
    assert.deepEqual(cellFiles(committed, EXP), before);
    const ref = await runSweep(FIXTURE, { dataDir: tmp('readdirs-ref'), set: { a: [1, 4] }, workers: 0, ...quiet });
    assert.deepEqual(r.cells.map((c) => c.result), ref.cells.map((c) => c.result), 'same results as a run from scratch');
  } finally {
    delete process.env.SWEEP_TEST_LOG;
  }
});

test('copyReads: cells found in a read directory are copied byte for byte into dataDir', async () => {
  const old = tmp('copyreads-old');
  const fresh = tmp('copyreads-new');
  await runSweep(FIXTURE, { dataDir: old, workers: 0, ...quiet });
  const r = await runSweep(FIXTURE, { dataDir: fresh, readDirs: [old], copyReads: true, set: { a: [2] }, workers: 0, ...quiet });
  assert.equal(r.computed, 0);
  assert.equal(cellFiles(fresh, EXP).length, 4, 'exactly the cells of this grid');
  for (const f of cellFiles(fresh, EXP)) assert.equal(readText(fresh, EXP, f), readText(old, EXP, f));
});
