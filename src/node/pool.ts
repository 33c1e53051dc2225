/**
 * Executes cells, on worker threads or (workers = 0) in this thread, and hands each finished cell to
 * `onDone` (which persists it) before taking the next. The first failure stops the dispatch of new cells;
 * the cells already running finish and are persisted, then the failure is thrown.
 */
import { activeBackend } from '../backend.js';
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { canonicalJson } from '../sweep/canonical.js';
import type { Cell, Experiment } from '../sweep/types.js';
import { executeCell, type ExperimentRef } from './exec.js';
import { workerFiles } from './locate.js';
import type { FromWorker, ToWorker } from './worker.js';

/** A cell whose `run` threw (or returned something that is not JSON). */
export class CellError extends Error {
  constructor(readonly experiment: string, readonly cell: Cell, cause: { name?: string; message: string; stack?: string }) {
    super(`experiment '${experiment}' failed on cell ${cell.index} (params ${canonicalJson(cell.params)}, replicate ${cell.replicate}, seed ${cell.seed}): ${cause.message}`, { cause });
    this.name = 'CellError';
    if (cause.stack) this.stack = `${this.name}: ${this.message}\n  in the cell: ${cause.stack}`;
  }
}

/** A worker thread that could not start, could not load the experiment, or died. */
export class WorkerError extends Error {
  constructor(message: string, cause?: unknown) { super(message, { cause }); this.name = 'WorkerError'; }
}

export type OnDone = (cell: Cell, json: string, elapsedMs: number) => Promise<void>;

/** Claiming: a cell is run only if `claim` resolves true; otherwise it is handed to `onSkip`. */
export interface Claims { claim(cell: Cell): Promise<boolean>; onSkip(cell: Cell): void }

type Reply = Extract<FromWorker, { type: 'ready' | 'done' }>;

/** Idle worker threads are kept this long for the next run (they hold the loaded modules). */
export const WORKER_IDLE_MS = 30_000;

/**
 * A worker thread that has not answered `init` (load the engine and the experiment) after this long is
 * terminated and replaced, up to `WORKER_START_TRIES` threads per slot; then the run fails with a
 * `WorkerError`. Loading normally takes well under a few seconds. Under Node 20 a thread loading its modules
 * through the TypeScript loader's hooks has been seen to hang for good: once, in a CI run of the Slurm test
 * (2026-12-08), one shard's threads never answered and the job ran until the test gave up after 8 minutes.
 */
export const WORKER_START_MS = 90_000;
export const WORKER_START_TRIES = 3;
let startMs = WORKER_START_MS;
/** Set the `init` deadline (tests; default WORKER_START_MS), or restore the default with no argument. */
export function setWorkerStartTimeout(ms = WORKER_START_MS): void { startMs = ms; }

/** A worker thread that did not answer `init` in time (it is terminated; the slot may start another). */
class WorkerStartTimeout extends WorkerError {}

class WorkerHandle {
  private readonly w: Worker;
  private pending: { resolve: (m: Reply) => void; reject: (e: Error) => void; cell?: Cell; experiment: string } | undefined;
  dead: Error | undefined;
  private stopping = false;

  constructor() {
    const { bootstrap, entry } = workerFiles();
    this.w = new Worker(bootstrap, { workerData: { entry: pathToFileURL(entry).href } });
    this.w.on('message', (m: FromWorker) => {
      const p = this.pending;
      this.pending = undefined;
      if (!p) return;
      if (m.type !== 'fail') { p.resolve(m); return; }
      if (p.cell) p.reject(new CellError(p.experiment, p.cell, m.error));
      else p.reject(new WorkerError(`a worker thread could not load experiment '${p.experiment}': ${m.error.message}`, m.error));
    });
    this.w.on('error', (e: Error) => this.die(new WorkerError(`a worker thread crashed: ${e.message}`, e)));
    this.w.on('exit', (code) => { if (!this.stopping) this.die(new WorkerError(`a worker thread exited (code ${code}) while it had work`)); });
  }

  private die(e: Error): void {
    this.dead ??= e;
    const p = this.pending;
    this.pending = undefined;
    p?.reject(this.dead);
  }

  /** Send one request; with `deadlineMs`, a thread that has not answered by then is terminated and the request fails with a WorkerStartTimeout. */
  request(experiment: string, msg: ToWorker, cell?: Cell, deadlineMs?: number): Promise<Reply> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => { if (timer) clearTimeout(timer); };
      this.pending = { resolve: (m) => { done(); resolve(m); }, reject: (e) => { done(); reject(e); }, cell, experiment };
      if (deadlineMs !== undefined) {
        timer = setTimeout(() => {
          this.die(new WorkerStartTimeout(`a worker thread did not load experiment '${experiment}' within ${deadlineMs / 1000} s; it was terminated`));
          void this.stop();
        }, deadlineMs);
      }
      this.w.postMessage(msg);
    });
  }

  /** Whether an idle thread keeps the process alive (it must not). */
  hold(on: boolean): void { if (on) this.w.ref(); else this.w.unref(); }

  async stop(): Promise<void> {
    this.stopping = true;
    this.dead ??= new WorkerError('stopped');
    await this.w.terminate();
  }
}

const idle: WorkerHandle[] = [];
let idleTimer: ReturnType<typeof setTimeout> | undefined;

function acquire(): WorkerHandle {
  const h = idle.pop() ?? new WorkerHandle();
  h.hold(true);
  return h;
}

function release(h: WorkerHandle): void {
  if (h.dead) { void h.stop(); return; }
  h.hold(false);
  idle.push(h);
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = setTimeout(() => { void stopIdleWorkers(); }, WORKER_IDLE_MS);
  idleTimer.unref();
}

/** Terminates the idle worker threads kept for reuse (a notebook may call it after editing an experiment). */
export async function stopIdleWorkers(): Promise<void> {
  const hs = idle.splice(0);
  await Promise.all(hs.map((h) => h.stop()));
}

/** Number of idle worker threads kept for reuse. */
export function idleWorkerCount(): number { return idle.length; }

/**
 * Runs `cells` (dispatched in index order) with `workers` threads (0: in this thread, with `exp`).
 * Resolves when every cell is done and persisted; rejects with the first failure otherwise. `onStart`
 * is called when the first worker is ready to compute (for rates that leave out the start-up).
 * Threads are reused across runs: a thread that already loaded the experiment at the same version
 * starts at once; one holding another version is replaced.
 */
export async function runCells(
  exp: Experiment, ref: ExperimentRef | undefined, cells: readonly Cell[], workers: number, onDone: OnDone, onStart?: () => void,
  claims?: Claims,
): Promise<void> {
  if (cells.length === 0) return;
  let started = false;
  const start = () => { if (!started) { started = true; onStart?.(); } };
  if (workers === 0 || !ref) {
    start();
    for (const cell of cells) {
      if (claims && !(await claims.claim(cell))) { claims.onSkip(cell); continue; }
      let out: { json: string; elapsedMs: number };
      try { out = await executeCell(exp, cell); } catch (e) { throw new CellError(exp.name, cell, e as Error); }
      await onDone(cell, out.json, out.elapsedMs);
    }
    return;
  }
  const queue = cells.slice();
  let failure: unknown;
  const init = async (h: WorkerHandle): Promise<boolean> => {
    const ready = await h.request(exp.name, { type: 'init', ref, engine: activeBackend() }, undefined, startMs);
    return ready.type === 'ready' && ready.version === exp.version;
  };
  const slot = async (): Promise<void> => {
    let h = acquire();
    // init on h; a thread that hangs while loading (WORKER_START_MS) is replaced, before any cell started
    const initOrReplace = async (): Promise<boolean> => {
      for (let tries = 1; ; tries++) {
        try {
          return await init(h);
        } catch (e) {
          if (!(e instanceof WorkerStartTimeout)) throw e;
          if (tries >= WORKER_START_TRIES) throw new WorkerError(`${e.message} (${tries} threads in turn; see WORKER_START_MS in src/node/pool.ts)`, e);
          release(h); // dead: stopped, not kept
          h = acquire();
        }
      }
    };
    try {
      if (!(await initOrReplace())) {
        await h.stop();
        h = acquire();
        if (!(await initOrReplace())) {
          throw new WorkerError(`experiment '${exp.name}' is version ${exp.version} in this thread but another in a fresh worker thread: its module changed after this process loaded it (restart the process or kernel)`);
        }
      }
      start();
      while (failure === undefined && queue.length > 0) {
        const cell = queue.shift()!;
        if (claims && !(await claims.claim(cell))) { claims.onSkip(cell); continue; }
        const m = await h.request(exp.name, { type: 'run', cell }, cell);
        if (m.type !== 'done') throw new WorkerError(`unexpected reply '${m.type}' from a worker thread`);
        await onDone(cell, m.json, m.elapsedMs);
      }
    } catch (e) {
      failure ??= e;
    } finally {
      release(h);
    }
  };
  await Promise.all(Array.from({ length: Math.min(workers, cells.length) }, slot));
  if (failure !== undefined) throw failure;
}
