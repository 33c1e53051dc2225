/**
 * The page's sweep runner, with the Node runner's semantics: the same grid expansion and derived seeds
 * (`sweep/grid.ts`), the same cache keys (`sweep/keys.ts`, keyed by the engine), the same cell code
 * (`sweep/execute.ts`). Cells are looked up in the cells shipped with the site (the committed cells of
 * the default parameters), then in the browser's store (IndexedDB); the missing ones run on Web Workers,
 * as many as `navigator.hardwareConcurrency`, and each finished cell is stored before it is reported.
 * `cancel()` stops the workers at once; finished cells stay stored. Browser-safe (no Node API).
 */
import { GridError } from '../sweep/grid.js';
import { loadRegistered } from '../experiments/registry.js';
import type { Cell, Json } from '../sweep/types.js';
import type { StoryCell, SweepRequest, SweepRunner } from '../stories/story.js';
import { keyedCells } from './keys.js';
import type { FromSweepWorker, ToSweepWorker } from './worker.js';

/** Where computed cells are kept between visits. */
export interface CellStore {
  readonly kind: string;
  get(key: string): Promise<Json | undefined>;
  put(key: string, experiment: string, result: Json): Promise<void>;
  clear(): Promise<void>;
}

export function memoryStore(): CellStore {
  const m = new Map<string, Json>();
  return {
    kind: 'memory',
    get: async (k) => m.get(k),
    put: async (k, _e, r) => { m.set(k, r); },
    clear: async () => { m.clear(); },
  };
}

const req = <T>(r: IDBRequest<T>) => new Promise<T>((ok, fail) => { r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });

/** IndexedDB store `db`/cells, keyed by the cells' cache keys; rejects where IndexedDB is unavailable. */
export async function indexedDbStore(db = 'layerwise-precond-cells'): Promise<CellStore> {
  if (typeof indexedDB === 'undefined') throw new Error('no IndexedDB');
  const open = indexedDB.open(db, 1);
  open.onupgradeneeded = () => { open.result.createObjectStore('cells', { keyPath: 'key' }); };
  const d = await req(open);
  const store = (mode: IDBTransactionMode) => d.transaction('cells', mode).objectStore('cells');
  return {
    kind: 'IndexedDB',
    async get(key) {
      const row = await req(store('readonly').get(key)) as { result: Json } | undefined;
      return row?.result;
    },
    async put(key, experiment, result) { await req(store('readwrite').put({ key, experiment, result })); },
    async clear() { await req(store('readwrite').clear()); },
  };
}

export class CancelledError extends Error { override name = 'CancelledError'; constructor() { super('cancelled'); } }

export interface SweepProgress {
  /** The story's name of the sweep. */
  readonly sweep: string;
  readonly experiment: string;
  readonly total: number;
  /** From the shipped cells and the browser's store. */
  readonly stored: number;
  readonly computed: number;
  readonly finished: boolean;
}

export interface BrowserRunnerOptions {
  /** The worker script's URL (a Blob URL of the bundled worker). */
  readonly workerUrl: string;
  /** The tfjs wasm SIMD binary (null: the cpu engine). */
  readonly wasm: Uint8Array | null;
  /** The engine of this page (`startBrowserEngine` on the main thread); workers must report the same. */
  readonly engine: string;
  readonly workers: number;
  /** Shipped cells: cache key → result. */
  readonly shipped?: (key: string) => Json | undefined;
  readonly store: CellStore;
  readonly onProgress?: (p: SweepProgress) => void;
}

interface Slot { w: Worker; ready: Promise<void>; busy: boolean }
interface Job { id: number; experiment: string; cell: Cell; ok(json: string): void; fail(e: Error): void }

export class BrowserRunner implements SweepRunner {
  readonly engine: string;
  private slots: Slot[] = [];
  private queue: Job[] = [];
  private running = new Map<Slot, Job>();
  private nextId = 1;
  private generation = 0;
  private inflight = new Map<string, Promise<Json>>();
  /** Cells computed in this page, with the generation (run) that computed them. */
  private fresh = new Map<string, number>();

  constructor(private readonly o: BrowserRunnerOptions) {
    this.engine = o.engine;
    if (!(o.workers >= 1)) throw new RangeError(`workers must be >= 1; got ${o.workers}`);
  }

  /**
   * Stops every running cell and forgets the queued ones; their sweeps reject with CancelledError.
   * Idle workers are kept (they hold a started engine), busy ones are terminated.
   */
  cancel(): void {
    this.generation++;
    const dropped = [...this.queue, ...this.running.values()];
    this.queue = [];
    for (const slot of this.running.keys()) slot.w.terminate();
    this.slots = this.slots.filter((s) => !this.running.has(s));
    this.running.clear();
    this.inflight.clear();
    for (const j of dropped) j.fail(new CancelledError());
  }

  /** Starts the workers and their engines ahead of the first cell (they are then ready when a knob changes). */
  warm(): Promise<void> {
    while (this.slots.length < this.o.workers) this.slots.push(this.spawn());
    return Promise.all(this.slots.map((s) => s.ready)).then(() => undefined);
  }

  private spawn(): Slot {
    const w = new Worker(this.o.workerUrl);
    let readyOk!: () => void, readyFail!: (e: Error) => void;
    const ready = new Promise<void>((ok, fail) => { readyOk = ok; readyFail = fail; });
    const slot: Slot = { w, ready, busy: false };
    w.onmessage = (e: MessageEvent<FromSweepWorker>) => {
      const m = e.data;
      if (m.type === 'ready') {
        if (m.engine !== this.engine) readyFail(new Error(`a worker started the '${m.engine}' engine (${m.detail}) but the page runs '${this.engine}'`));
        else readyOk();
        return;
      }
      if (m.type === 'fail' && m.id === null) { readyFail(new Error(`worker failed to start: ${m.message}`)); return; }
      const job = this.running.get(slot);
      if (!job || job.id !== m.id) return;
      this.running.delete(slot);
      slot.busy = false;
      if (m.type === 'done') job.ok(m.json); else job.fail(new Error(`${job.experiment}, cell ${job.cell.index} (${JSON.stringify(job.cell.params)}): ${m.message}`));
      this.pump();
    };
    w.onerror = (e) => {
      const job = this.running.get(slot);
      const err = new Error(`worker error: ${e.message}`);
      readyFail(err);
      if (job) { this.running.delete(slot); job.fail(err); }
      e.preventDefault();
    };
    w.postMessage({ type: 'init', wasm: this.o.wasm } satisfies ToSweepWorker);
    return slot;
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.busy);
      if (!slot && this.slots.length < this.o.workers) { slot = this.spawn(); this.slots.push(slot); }
      if (!slot) return;
      const job = this.queue.shift()!;
      slot.busy = true;
      this.running.set(slot, job);
      const s = slot, gen = this.generation;
      s.ready.then(() => {
        if (gen !== this.generation) return;
        s.w.postMessage({ type: 'run', id: job.id, experiment: job.experiment, cell: { params: job.cell.params, replicate: job.cell.replicate, seed: job.cell.seed } } satisfies ToSweepWorker);
      }, (e: Error) => {
        if (gen !== this.generation) return;
        this.running.delete(s);
        job.fail(e);
      });
    }
  }

  private compute(experiment: string, cell: Cell): Promise<string> {
    return new Promise((ok, fail) => {
      this.queue.push({ id: this.nextId++, experiment, cell, ok, fail });
      this.pump();
    });
  }

  /** A sweep's experiment, cells (in index order) and their cache keys. */
  private async plan(r: SweepRequest) {
    const exp = await loadRegistered(r.experiment);
    if (exp.hashSource) throw new GridError(`experiment '${exp.name}' keys its cells by its source file (hashSource), which a page cannot read`);
    const cells = keyedCells(exp, r, this.engine); // the request is the overrides: set, seeds, firstReplicate
    return { exp, cells, keys: cells.map((c) => c.key) };
  }

  /** A missing cell's result: computed once, stored, and shared by every sweep that asks for it meanwhile. */
  private cellResult(experiment: string, cell: Cell, key: string): Promise<Json> {
    let p = this.inflight.get(key);
    if (!p) {
      const gen = this.generation;
      p = this.compute(experiment, cell).then(async (json) => {
        const result = JSON.parse(json) as Json;
        this.fresh.set(key, gen);
        await this.o.store.put(key, experiment, result).catch(() => undefined);
        return result;
      });
      this.inflight.set(key, p);
      const forget = () => { if (this.inflight.get(key) === p) this.inflight.delete(key); };
      p.then(forget, forget);
    }
    return p;
  }

  private async lookup(key: string): Promise<Json | undefined> {
    return this.o.shipped?.(key) ?? await this.o.store.get(key).catch(() => undefined);
  }

  /**
   * Queues the missing cells of all of a story's sweeps at once, in sweep order, so that every worker
   * has work while `computeStory` takes the sweeps one after another (the results are the same cells;
   * only the scheduling differs from Node's). Errors are left to the sweeps to report.
   */
  async prefetch(reqs: readonly SweepRequest[]): Promise<void> {
    const gen = this.generation;
    for (const r of reqs) {
      let plan;
      try { plan = await this.plan(r); } catch { return; }
      for (let i = 0; i < plan.cells.length; i++) {
        if (gen !== this.generation) return;
        if (this.inflight.has(plan.keys[i]) || await this.lookup(plan.keys[i]) !== undefined) continue;
        if (gen !== this.generation) return;
        this.cellResult(plan.exp.name, plan.cells[i], plan.keys[i]).catch(() => undefined);
      }
    }
  }

  async sweep(name: string, r: SweepRequest, onCells?: (cells: readonly StoryCell[]) => void): Promise<readonly StoryCell[]> {
    const { exp, cells, keys } = await this.plan(r);
    const results = new Array<Json | undefined>(cells.length);
    let stored = 0, computed = 0;
    const gen = this.generation;
    const progress = (finished: boolean) => this.o.onProgress?.({ sweep: name, experiment: exp.name, total: cells.length, stored, computed, finished });
    const available = (): StoryCell[] => cells.flatMap((c, i) => (results[i] === undefined ? [] : [{ params: c.params, replicate: c.replicate, result: results[i]! }]));
    const pending: number[] = [];
    for (let i = 0; i < cells.length; i++) {
      // a cell computed by a prefetch of this run counts as computed here, not as stored
      const hit = this.inflight.has(keys[i]) ? undefined : await this.lookup(keys[i]);
      if (hit === undefined) pending.push(i);
      else { results[i] = hit; if (this.fresh.get(keys[i]) === gen) computed++; else stored++; }
    }
    if (gen !== this.generation) throw new CancelledError();
    progress(pending.length === 0);
    if (stored + computed > 0 || pending.length === 0) onCells?.(available());
    await Promise.all(pending.map(async (i) => {
      const result = await this.cellResult(exp.name, cells[i], keys[i]);
      if (gen !== this.generation) return;
      results[i] = result;
      computed++;
      progress(stored + computed === cells.length);
      onCells?.(available());
    }));
    if (gen !== this.generation) throw new CancelledError();
    return available();
  }
}
