/**
 * Entry of the page's sweep Web Worker (bundled by tools/site.ts with the experiment registry, started
 * from a Blob URL so that it works from file://). An `init` message starts the numeric engine; each `run`
 * message computes one cell with `executeCell`, the Node runner's code, and answers with its canonical
 * JSON. Browser-safe.
 */
import { loadRegistered } from '../experiments/registry.js';
import type { Cell, Experiment } from '../sweep/types.js';
import { executeCell } from './execute.js';
import { startBrowserEngine } from './engine.js';

export type ToSweepWorker =
  | { type: 'init'; wasm: Uint8Array | null }
  | { type: 'run'; id: number; experiment: string; cell: Pick<Cell, 'params' | 'replicate' | 'seed'> };
export type FromSweepWorker =
  | { type: 'ready'; engine: string; detail: string }
  | { type: 'done'; id: number; json: string; elapsedMs: number }
  | { type: 'fail'; id: number | null; message: string };

interface WorkerScope { onmessage: ((e: MessageEvent<ToSweepWorker>) => void) | null; postMessage(m: FromSweepWorker): void }
const scope = globalThis as unknown as WorkerScope;
const loaded = new Map<string, Promise<Experiment>>();
let queue: Promise<void> = Promise.resolve();

scope.onmessage = (e) => {
  const m = e.data;
  // one message at a time, in order: a cell never starts before the engine is up
  queue = queue.then(async () => {
    if (m.type === 'init') {
      try {
        const c = await startBrowserEngine(m.wasm);
        scope.postMessage({ type: 'ready', engine: c.engine, detail: c.detail });
      } catch (err) {
        scope.postMessage({ type: 'fail', id: null, message: (err as Error).message });
      }
      return;
    }
    try {
      if (!loaded.has(m.experiment)) loaded.set(m.experiment, loadRegistered(m.experiment));
      const exp = await loaded.get(m.experiment)!;
      const r = await executeCell(exp, m.cell);
      scope.postMessage({ type: 'done', id: m.id, json: r.json, elapsedMs: r.elapsedMs });
    } catch (err) {
      scope.postMessage({ type: 'fail', id: m.id, message: `${(err as Error).name}: ${(err as Error).message}` });
    }
  });
};
