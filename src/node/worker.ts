/**
 * A sweep worker thread: an `init` message names the experiment (loaded once per thread and kept, as the
 * thread is reused across runs), then it runs the cells it is sent, one at a time, and answers each with
 * the canonical JSON of the result or the error.
 */
import { parentPort } from 'node:worker_threads';
import { activeBackend, type BackendName } from '../backend.js';
import { startBackend } from './backend.js';
import type { Cell } from '../sweep/types.js';
import { executeCell, loadExperiment, type ExperimentRef } from './exec.js';
import type { Experiment } from '../sweep/types.js';

export type ToWorker = { type: 'init'; ref: ExperimentRef; engine: BackendName } | { type: 'run'; cell: Cell };
export type FromWorker =
  | { type: 'ready'; version: string }
  | { type: 'done'; index: number; json: string; elapsedMs: number }
  | { type: 'fail'; index: number | null; error: { name: string; message: string; stack?: string } };

const port = parentPort;
if (!port) throw new Error('src/node/worker.ts is the entry of a worker thread; the runner starts it');
let exp: Experiment | undefined;
const loaded = new Map<string, Promise<Experiment>>();
const errorOf = (e: unknown) => ({ name: (e as Error)?.name ?? 'Error', message: (e as Error)?.message ?? String(e), stack: (e as Error)?.stack });

port.on('message', async (m: ToWorker) => {
  if (m.type === 'init') {
    try {
      // the same numeric engine as the parent, so a cell's numbers do not depend on where it ran
      if (activeBackend() !== m.engine) await startBackend({ name: m.engine, quiet: true });
      const k = JSON.stringify(m.ref);
      if (!loaded.has(k)) loaded.set(k, loadExperiment(m.ref));
      exp = await loaded.get(k)!.catch((e) => { loaded.delete(k); throw e; });
      port.postMessage({ type: 'ready', version: exp.version } satisfies FromWorker);
    } catch (e) {
      port.postMessage({ type: 'fail', index: null, error: errorOf(e) } satisfies FromWorker);
    }
    return;
  }
  try {
    const { json, elapsedMs } = await executeCell(exp!, m.cell);
    port.postMessage({ type: 'done', index: m.cell.index, json, elapsedMs } satisfies FromWorker);
  } catch (e) {
    port.postMessage({ type: 'fail', index: m.cell.index, error: errorOf(e) } satisfies FromWorker);
  }
});
