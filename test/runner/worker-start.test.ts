/**
 * The pool's start watchdog (src/node/pool.ts, WORKER_START_MS): a worker thread that never answers `init`
 * (here: a fixture module that blocks its first loader for good, as a thread stuck in module loading does)
 * is terminated and replaced, and the run completes with every cell; a slot whose threads all hang fails
 * after WORKER_START_TRIES with a WorkerError naming the deadline, instead of hanging the run.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { setWorkerStartTimeout, stopIdleWorkers, WORKER_START_TRIES } from '../../src/node/pool.js';
import { runSweep } from '../../src/node/runner.js';
import { tmp } from './helpers.js';

const MODULE = fileURLToPath(new URL('./fixtures/hang-on-load.ts', import.meta.url));
const quiet = { onNotice: () => {} };
after(async () => { setWorkerStartTimeout(); delete process.env.SWEEP_TEST_HANG_DIR; delete process.env.SWEEP_TEST_HANG_COUNT; await stopIdleWorkers(); });

test('a worker thread that hangs while loading is replaced and the run completes', { timeout: 30_000 }, async () => {
  await stopIdleWorkers(); // fresh threads: each loads the fixture
  const hangs = tmp('hangs'); mkdirSync(hangs, { recursive: true });
  process.env.SWEEP_TEST_HANG_DIR = hangs;
  process.env.SWEEP_TEST_HANG_COUNT = '1';
  setWorkerStartTimeout(4000); // a thread loads in about a second here; the deadline must not catch a healthy one
  const r = await runSweep(MODULE, { dataDir: tmp('data-replaced'), workers: 2, ...quiet });
  assert.equal(readdirSync(hangs).length, 1, 'exactly one thread hung');
  assert.equal(r.cells.length, 4);
  assert.deepEqual(r.cells.map((c) => (c.result as { replicate: number }).replicate).sort(), [0, 0, 1, 1]);
});

test(`a slot whose threads all hang fails after ${WORKER_START_TRIES} of them with a WorkerError naming the deadline`, { timeout: 30_000 }, async () => {
  await stopIdleWorkers();
  const hangs = tmp('hangs-all'); mkdirSync(hangs, { recursive: true });
  process.env.SWEEP_TEST_HANG_DIR = hangs;
  process.env.SWEEP_TEST_HANG_COUNT = '1000';
  setWorkerStartTimeout(2000); // long enough for each thread to reach its hang
  await assert.rejects(runSweep(MODULE, { dataDir: tmp('data-failed'), workers: 1, ...quiet }),
    (e: Error) => e.name === 'WorkerError' && /did not load experiment 'test-hang-on-load' within 2 s/.test(e.message) && new RegExp(`${WORKER_START_TRIES} threads in turn`).test(e.message));
  assert.equal(readdirSync(hangs).length, WORKER_START_TRIES);
});
