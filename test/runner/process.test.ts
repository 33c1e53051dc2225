/**
 * The runner as separate processes see it: killed with SIGKILL mid-run and resumed; started through
 * the tsx binary as `npm run sweep` does; started from a plain Node process whose worker threads have
 * to load TypeScript on their own (the situation of a notebook kernel).
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { decodeCell } from '../../src/node/cache.js';
import { runSweep } from '../../src/node/runner.js';
import { allFiles, cellFiles, FIXTURE, readText, REPO, tmp } from './helpers.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
delete env.SWEEP_DATA_DIR;

test('kill -9 mid-run, then a rerun: no finished cell lost or rewritten, same final results', async (t) => {
  const dir = tmp('kill');
  const set = { a: [1, 2, 3, 4, 5, 6] };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/node/cli.ts', 'sweep', FIXTURE, '--data', dir, '--workers', '2', '--set', `a=${JSON.stringify(set.a)}`, '--quiet'],
    { cwd: REPO, env: { ...env, SWEEP_TEST_DELAY_MS: '40' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise<{ code: number | null; signal: string | null }>((res) => child.on('exit', (code, signal) => res({ code, signal })));
  let status: { code: number | null; signal: string | null } | undefined;
  void exited.then((s) => { status = s; });
  const deadline = Date.now() + 60_000;
  while (cellFiles(dir, 'test-counting').length < 4) {
    assert.equal(status, undefined, `the sweep ended before it was killed: ${stderr}`);
    assert.ok(Date.now() < deadline, 'no cell written within 60 s');
    await sleep(10);
  }
  child.kill('SIGKILL');
  assert.equal((await exited).signal, 'SIGKILL');

  const kept = cellFiles(dir, 'test-counting');
  assert.ok(kept.length >= 4 && kept.length < 24, `killed mid-run: ${kept.length} of 24 cells written`);
  t.diagnostic(`killed after ${kept.length} of 24 cells`);
  const bytes = new Map(kept.map((f) => [f, readText(dir, 'test-counting', f)]));
  for (const [f, text] of bytes) assert.ok(decodeCell(text, f.slice(0, 32)).ok, `${f} is whole`);

  const resumed = await runSweep(FIXTURE, { dataDir: dir, workers: 0, set, onNotice: () => {} });
  assert.equal(resumed.cached, kept.length);
  assert.equal(resumed.computed, 24 - kept.length);
  for (const [f, text] of bytes) assert.equal(readText(dir, 'test-counting', f), text, `${f} untouched`);
  const reference = await runSweep(FIXTURE, { dataDir: tmp('kill-ref'), workers: 0, set, onNotice: () => {} });
  assert.equal(readText(resumed.resultsFile!), readText(reference.resultsFile!));
  assert.equal(cellFiles(dir, 'test-counting').length, 24);
  assert.ok(allFiles(dir, 'test-counting').every((f) => /^[0-9a-f]{32}\.json$|^results-|^\..*\.tmp-/.test(f)));
});

test('npm run sweep path: the tsx binary runs the CLI on a worker thread, plain progress lines off a terminal', async () => {
  const dir = tmp('tsxbin');
  const { stdout, stderr } = await run(join(REPO, 'node_modules', '.bin', 'tsx'),
    ['src/node/cli.ts', 'sweep', 'demo-gaussian-moments', '--data', dir, '--workers', '1', '--set', 'n=[100,1000]', '--progress-interval', '0'],
    { cwd: REPO, env, timeout: 60_000 });
  assert.match(stdout, /demo-gaussian-moments: 32 cells \(32 computed, 0 cached\) in \d+ s -> .*results-[0-9a-f]{8}\.json/);
  const lines = stderr.trim().split('\n');
  assert.ok(lines.length >= 3 && lines.every((l) => /^demo-gaussian-moments: \d+\/32 cells/.test(l)), stderr);
  assert.ok(!stderr.includes('\r'));
  assert.match(lines[lines.length - 1], /32\/32 cells, .* done in/);
  const inProcess = await runSweep('demo-gaussian-moments', { dataDir: tmp('tsxbin-ref'), workers: 0, set: { n: [100, 1000] }, onNotice: () => {} });
  const file = stdout.trim().split(' -> ')[1];
  assert.equal(readFileSync(file, 'utf8'), readText(inProcess.resultsFile!));
});

test('a plain Node process (as a notebook kernel) runs a sweep on worker threads that load TypeScript themselves', async () => {
  const dir = tmp('plain');
  const { stdout } = await run(process.execPath, [join(REPO, 'test', 'runner', 'fixtures', 'plain-node-sweep.mjs'), dir], { cwd: join(REPO, 'test'), env, timeout: 60_000 });
  const r = JSON.parse(stdout);
  assert.deepEqual(r.execArgv, [], 'no loader flag for the worker threads to inherit');
  assert.equal(r.computed, 16);
  assert.equal(r.progress[r.progress.length - 1], '16/16');
  const inProcess = await runSweep('demo-gaussian-moments', { dataDir: tmp('plain-ref'), workers: 0, set: { n: [100] }, onNotice: () => {} });
  assert.equal(readFileSync(r.resultsFile, 'utf8'), readText(inProcess.resultsFile!));
});
