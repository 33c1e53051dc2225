/**
 * Issue 10, items 1, 4, 5 and 6: one engine everywhere, a cache that cannot lie, stopping, paths. Each
 * test reproduces one reported defect (it failed before the fix).
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { canonicalJson } from '../../src/sweep/canonical.js';
import { effectiveGrid } from '../../src/sweep/grid.js';
import { loadRegistered } from '../../src/experiments/registry.js';
import { initBackend } from '../../src/backend.js';
import { cellKey, decodeCell, sha256, CELL_FORMAT_V1 } from '../../src/node/cache.js';
import { mergeShards } from '../../src/node/merge.js';
import { expectedCell, planCells, runSweep } from '../../src/node/runner.js';
import { cellFiles, FIXTURE, logLines, readText, REPO, tmp } from '../runner/helpers.js';

const run = promisify(execFile);
const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
delete env.SWEEP_DATA_DIR;
delete env.LPFL_BACKEND;
const quiet = { onNotice: () => {}, quietEngine: true };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the CLI as `npm run sweep` does (node --import tsx); resolves with status and output. */
async function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const t0 = Date.now();
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/node/cli.ts', ...args], { cwd: REPO, env: { ...env, ...extraEnv }, timeout: 120_000 });
    return { code: 0, stdout, stderr, ms: Date.now() - t0 };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr, ms: Date.now() - t0 };
  }
}

const resultsHeader = (file: string) => JSON.parse(readFileSync(file, 'utf8').split('\n')[0] + ']}') as { engine?: string };

// ------------------------------------------------------------------------------------------ item 1

test('LPFL_BACKEND=bogus is refused by sweep and merge, listing the valid engines (was: silently ignored)', async () => {
  const dir = tmp('bogus');
  for (const cmd of ['sweep', 'merge']) {
    const r = await cli([cmd, 'demo-gaussian-moments', '--data', dir, '--set', 'n=100', '--seeds', '1'], { LPFL_BACKEND: 'bogus' });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /LPFL_BACKEND=bogus: unknown numeric engine; valid engines: tensorflow, simd, simd-fma, wasm, cpu, js64 \(available here: .*simd, simd-fma, wasm, cpu, js64\)/);
  }
  assert.deepEqual(cellFiles(dir, 'demo-gaussian-moments'), [], 'nothing computed');
});

test('LPFL_BACKEND=tensorflow without @tensorflow/tfjs-node is refused, naming what is available (was: silently ignored)', async (t) => {
  try { createRequire(import.meta.url).resolve('@tensorflow/tfjs-node'); t.skip('tfjs-node is installed here'); return; } catch { /* the case under test */ }
  const r = await cli(['sweep', 'demo-gaussian-moments', '--data', tmp('tf'), '--set', 'n=100', '--seeds', '1'], { LPFL_BACKEND: 'tensorflow' });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /LPFL_BACKEND=tensorflow: the tensorflow engine is not available here \(@tensorflow\/tfjs-node cannot load: .*\); available here: simd, simd-fma, wasm, cpu, js64/);
});

test('the command line runs the engine notebooks run, reports it, reuses their cells, and the results file records it (was: js64, recomputed)', async () => {
  const dir = tmp('engine');
  const set = { n: [100, 1000] };
  // as a notebook does: the default engine (startBackend), in this process, on worker threads
  const nb = await runSweep('demo-gaussian-moments', { dataDir: dir, workers: 1, set, seeds: 2, ...quiet });
  assert.equal(nb.engine, 'simd');
  assert.equal(resultsHeader(nb.resultsFile!).engine, 'simd');
  const before = readText(nb.resultsFile!);
  const r = await cli(['sweep', 'demo-gaussian-moments', '--data', dir, '--set', 'n=[100,1000]', '--seeds', '2', '--quiet', '--workers', '1']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /demo-gaussian-moments: numeric engine simd\n/);
  assert.match(r.stdout, /16 cells \(0 computed, 16 cached\)/);
  assert.equal(readText(nb.resultsFile!), before, 'same results file, byte for byte');
  // merge: same engine, same bytes
  const m = await cli(['merge', 'demo-gaussian-moments', '--data', dir, '--set', 'n=[100,1000]', '--seeds', '2']);
  assert.equal(m.code, 0, m.stderr);
  assert.match(m.stdout, /numeric engine simd/);
  assert.equal(readText(nb.resultsFile!), before);
});

// ------------------------------------------------------------------------------------------ item 4

test("a record moved to another cell's key, with its key and checksum rewritten, is reported and recomputed (was: used)", async () => {
  const dir = tmp('moved');
  const set = { a: [1, 2] };
  const r = await runSweep(FIXTURE, { dataDir: dir, workers: 0, set, ...quiet });
  const [c0, c1] = r.cells;
  const file = (k: string) => join(dir, 'test-counting', `${k}.json`);
  const forged = JSON.parse(readFileSync(file(c0.key), 'utf8')).payload;
  forged.key = c1.key; // filed as cell 1, still describing cell 0
  const payload = canonicalJson(forged);
  writeFileSync(file(c1.key), `{"checksum":"sha256:${sha256(payload)}","payload":${payload}}\n`);
  const notes: string[] = [];
  const again = await runSweep(FIXTURE, { dataDir: dir, workers: 0, set, onNotice: (n) => notes.push(n), quietEngine: true });
  assert.equal(again.computed, 1);
  assert.ok(notes.some((n) => n.includes(file(c1.key)) && /describes another cell .*replicate 0.* than the one asked for .*replicate 1/.test(n)), notes.join('\n'));
  assert.deepEqual(again.cells.map((c) => c.result), r.cells.map((c) => c.result));
});

test("a record of another engine under this engine's key is refused; committed sweep-cell/1 records stay valid", async () => {
  const dir = tmp('engine-cell');
  await initBackend('js64');
  const r = await runSweep(FIXTURE, { dataDir: dir, workers: 0, set: { a: [1] }, ...quiet });
  assert.equal(r.engine, 'js64');
  const c = r.cells[0];
  const rec = JSON.parse(readFileSync(join(dir, 'test-counting', `${c.key}.json`), 'utf8')).payload;
  assert.equal(rec.engine, 'js64');
  const want = { key: c.key, experiment: 'test-counting', version: '1', params: c.params, replicate: c.replicate, source: null, engine: 'js64' };
  const as = (p: object) => { const t = canonicalJson(p); return `{"checksum":"sha256:${sha256(t)}","payload":${t}}`; };
  assert.match((decodeCell(as({ ...rec, engine: 'wasm' }), want) as { reason: string }).reason, /describes another cell .*engine wasm.* than the one asked for .*engine js64/);
  // the older format (no engine field) is accepted when its key is the key of its fields under this engine
  const { engine: _e, ...v1 } = rec;
  assert.ok(decodeCell(as({ ...v1, format: CELL_FORMAT_V1 }), want).ok);
  assert.ok(!decodeCell(as({ ...v1, format: CELL_FORMAT_V1 }), { ...want, engine: 'wasm', key: cellKey('test-counting', '1', c.params, c.replicate, null, 'wasm') }).ok);
  // every committed cell of linear-sgd-rate's declared grid decodes under the engine that made it (simd)
  const e = await loadRegistered('linear-sgd-rate');
  await initBackend('simd');
  const planned = planCells(e, effectiveGrid(e), undefined, null);
  let n = 0;
  for (const p of planned) {
    const f = join(REPO, 'data', e.name, `${p.key}.json`);
    if (!existsSync(f)) continue;
    const d = decodeCell(readFileSync(f, 'utf8'), expectedCell(e, p, null, 'simd'));
    assert.ok(d.ok, `${f}: ${(d as { reason?: string }).reason}`);
    n++;
  }
  assert.ok(n > 0, 'committed cells found');
  await initBackend('js64');
});

test('a directory where a cell file should be is reported with its path and the run goes on (was: the run failed)', async () => {
  const dir = tmp('dirincell');
  const set = { a: [1, 2] };
  const ref = await runSweep(FIXTURE, { dataDir: tmp('dirincell-ref'), workers: 0, set, ...quiet });
  const blocked = join(dir, 'test-counting', `${ref.cells[2].key}.json`);
  mkdirSync(blocked, { recursive: true });
  const notes: string[] = [];
  const r = await runSweep(FIXTURE, { dataDir: dir, workers: 0, set, onNotice: (n) => notes.push(n), quietEngine: true });
  assert.ok(notes.some((n) => n.includes(blocked) && /a directory is where the cell file should be/.test(n)), notes.join('\n'));
  assert.ok(notes.some((n) => /cell 2 computed but not saved/.test(n)), notes.join('\n'));
  assert.equal(readText(r.resultsFile!), readText(ref.resultsFile!));
});

// ------------------------------------------------------------------------------------------ item 5

test('two runs on the same --data compute each cell once (claims), and both finish with the same results', async () => {
  const dir = tmp('twice'), log = join(tmp('twice-log'), 'log');
  const args = ['sweep', FIXTURE, '--data', dir, '--workers', '1', '--quiet', '--set', 'a=[1,2,3,4]'];
  const [x, y] = await Promise.all([cli(args, { SWEEP_TEST_LOG: log, SWEEP_TEST_DELAY_MS: '150' }), cli(args, { SWEEP_TEST_LOG: log, SWEEP_TEST_DELAY_MS: '150' })]);
  assert.equal(x.code, 0, x.stderr);
  assert.equal(y.code, 0, y.stderr);
  const runs = logLines(log).map((l) => canonicalJson(l));
  assert.equal(runs.length, 16, `16 cells, each computed once; computed: ${runs.length}`);
  assert.equal(new Set(runs).size, 16);
  assert.deepEqual(readdirSync(join(dir, 'test-counting')).filter((f) => f.endsWith('.lock')), [], 'no lock left');
});

test("a dead owner's lock does not block a cell forever", async () => {
  const dir = tmp('stale');
  const set = { a: [1] };
  const ref = await runSweep(FIXTURE, { dataDir: tmp('stale-ref'), workers: 0, set, ...quiet });
  // a process that has exited: its pid is free
  const child = spawn(process.execPath, ['-e', '0']);
  const pid = child.pid!;
  await new Promise((r) => child.on('exit', r));
  mkdirSync(join(dir, 'test-counting'), { recursive: true });
  const { hostname } = await import('node:os');
  writeFileSync(join(dir, 'test-counting', `${ref.cells[0].key}.lock`), JSON.stringify({ pid, host: hostname(), since: Date.now() }));
  const r = await runSweep(FIXTURE, { dataDir: dir, workers: 0, set, pollMs: 50, ...quiet });
  assert.equal(r.computed, ref.cells.length);
  assert.equal(readText(r.resultsFile!), readText(ref.resultsFile!));
});

test('killing `npm run sweep` stops the whole process tree at once, saying what is saved; no orphan keeps writing', async () => {
  const dir = tmp('orphan');
  const npm = spawn('npm', ['run', '--silent', 'sweep', '--', FIXTURE, '--data', dir, '--workers', '2', '--quiet'],
    { cwd: REPO, env: { ...env, SWEEP_TEST_DELAY_MS: '400' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  npm.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise<void>((r) => npm.on('exit', () => r()));
  const deadline = Date.now() + 60_000;
  while (cellFiles(dir, 'test-counting').length < 1) { assert.ok(Date.now() < deadline, 'no cell within 60 s'); await sleep(20); }
  const t0 = Date.now();
  npm.kill('SIGTERM');
  await exited;
  // every process whose command line names this data directory is gone within 3 s
  const alive = () => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try { return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir); } catch { return false; }
  });
  while (alive().length > 0 && Date.now() - t0 < 3000) await sleep(50);
  assert.deepEqual(alive(), [], 'no process of the sweep left');
  const n = cellFiles(dir, 'test-counting').length;
  await sleep(1000);
  assert.equal(cellFiles(dir, 'test-counting').length, n, 'nothing written after the kill');
  assert.match(stderr, /interrupted \(SIGTERM\): \d+ of 12 cells saved in .*test-counting; the same command resumes/);
});

// ------------------------------------------------------------------------------------------ item 6

test("bad paths fail before any work with a clear error: --data '', /proc/self, a file, merge --from FILE", async () => {
  const file = join(tmp('paths'), 'a-file');
  writeFileSync(file, 'x');
  const cases: [string[], RegExp][] = [
    [['sweep', 'demo-gaussian-moments', '--data', '', '--set', 'n=100'], /--data '': empty path/],
    [['sweep', 'demo-gaussian-moments', '--data', '/proc/self', '--set', 'n=100'], /--data \/proc\/self: .* is inside \/proc, a pseudo file system/],
    [['sweep', 'demo-gaussian-moments', '--data', file, '--set', 'n=100'], /ENOTDIR: .*a-file is a file \(a path component is a file, not a directory\)/],
    [['merge', 'demo-gaussian-moments', '--data', tmp('paths-ok'), '--from', file, '--set', 'n=100'], /--from .*a-file: .*a-file is a file, not a directory \(give the shard's data directory\)/],
  ];
  for (const [args, re] of cases) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr, /numeric engine/, 'refused before the engine started');
    assert.ok(r.ms < 20_000, `${args.join(' ')} took ${r.ms} ms`);
  }
  assert.ok(!existsSync(join(REPO, 'demo-gaussian-moments')), "--data '' did not write into the current directory");
  await assert.rejects(mergeShards('demo-gaussian-moments', { dataDir: tmp('paths-m'), from: [file], set: { n: [100] }, ...quiet }), /is a file, not a directory/);
});

test('a read-only mount is reported as read-only before any work (was: ENOENT)', async (t) => {
  const mnt = tmp('romount');
  try { await run('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', mnt]); } catch (e) {
    t.skip(`cannot mount a read-only tmpfs here (${(e as Error).message.split('\n')[0]})`);
    return;
  }
  try {
    const r = await cli(['sweep', 'demo-gaussian-moments', '--data', join(mnt, 'data'), '--set', 'n=100']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`--data ${mnt}/data: ${mnt} is on a read-only file system; choose another directory`));
  } finally {
    await run('umount', [mnt]);
  }
});
