/**
 * Kernel threads: one run's large products split across the cores (Node only: worker_threads and
 * `Atomics.wait` on the main thread).
 *
 * `startKernelThreads(n)` moves the WebAssembly kernels onto one shared memory (`useSharedKernels`) and
 * starts n − 1 worker threads that load the same kernels on the same memory (src/node/kernel-thread.ts).
 * From then on, `packedGemm` (kernels.ts) hands every product of at least `PAR_MIN_WORK` multiply-adds
 * to `run`: the calling thread writes the product's plan into shared memory, wakes the workers, computes
 * its own range of C's row tiles and waits until every worker has computed its range. Each tile is
 * computed by exactly the code and in exactly the order of the one-thread path, so results are
 * bit-for-bit the same for any number of threads (test/kernels-threads.test.ts). eigSym hands its
 * recorded QL rotations the same way (`rotateSweeps`: each thread a range of V's columns).
 *
 * The sweep runner's worker threads never start kernel threads (one cell per core already fills the
 * machine); `startBackend` starts them in the main thread of a single run (`LPFL_THREADS`).
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PLAN_LENGTH, setGemmThreads, type GemmThreads } from '../kernels.js';
import { newSharedKernelMemory, relaxedSimdAvailable, useSharedKernels, wasm64 } from '../wasm64.js';
import { locations } from './locate.js';

/** Slots of the control block (Int32Array over a SharedArrayBuffer). */
export const CTL = { GEN: 0, DONE: 1, ERR: 2, STOP: 3 } as const;
/** Byte offset in the control block of the pipelined products' two counters (`GemmThreads.counters`). */
export const COUNTERS_AT = 16;
/** Loads of the control word a waiting thread makes before it sleeps in `Atomics.wait` (a few tens of µs). */
export const SPIN = 20_000;
/** Most threads (the calling one included). */
export const MAX_THREADS = 64;

export interface KernelThreadsData {
  memory: WebAssembly.Memory;
  ctl: SharedArrayBuffer;
  plan: SharedArrayBuffer;
  bounds: SharedArrayBuffer;
  index: number;
  /** Threads in all (the calling one included). */
  count: number;
  relaxed: boolean;
  entry: string;
}

interface Running { count: number; workers: Worker[]; ctl: Int32Array }
let running: Running | null = null;
/** A start in progress (workers loading), and the count of starts and stops: a start that a later one superseded does not install itself. */
let starting: { count: number; p: Promise<number> } | null = null;
let epoch = 0;

/** The number of threads that products are split across (1 when kernel threads are not running). */
export function kernelThreadCount(): number { return running?.count ?? 1; }

/**
 * Start kernel threads so that products use `count` threads in all (this one included); count 1 stops
 * them. Products run in this thread until every worker has loaded (a few hundred ms: each loads the
 * TypeScript loader and the kernels), then are split. Resolves to the number running once they are: 1
 * where shared WebAssembly memory or the kernels are unavailable, or when `stopKernelThreads` (or a start
 * with another count) came first. The workers do not keep the process alive.
 */
export function startKernelThreads(count: number = availableParallelism()): Promise<number> {
  if (!Number.isInteger(count) || count < 1 || count > MAX_THREADS) {
    return Promise.reject(new RangeError(`kernel threads must be an integer from 1 to ${MAX_THREADS}; got ${count}`));
  }
  if (running?.count === count) return Promise.resolve(count);
  if (starting?.count === count) return starting.p;
  stopKernelThreads();
  if (count === 1 || !wasm64()) return Promise.resolve(1);
  let memory: WebAssembly.Memory;
  try { memory = newSharedKernelMemory(); } catch { return Promise.resolve(1); }
  const relaxed = relaxedSimdAvailable();
  if (!useSharedKernels(memory, relaxed)) return Promise.resolve(1);
  const ctlBuf = new SharedArrayBuffer(4 * 8), planBuf = new SharedArrayBuffer(8 * PLAN_LENGTH), boundsBuf = new SharedArrayBuffer(4 * (MAX_THREADS + 1));
  const ctl = new Int32Array(ctlBuf), planView = new Float64Array(planBuf), boundsView = new Int32Array(boundsBuf);
  const l = locations();
  const bootstrap = join(l.srcNodeDir, 'worker-bootstrap.mjs');
  const entry = pathToFileURL(join(l.runtimeDir, `kernel-thread${l.ext}`)).href;
  const workers: Worker[] = [];
  const ready: Promise<void>[] = [];
  for (let i = 1; i < count; i++) {
    const data: KernelThreadsData = { memory, ctl: ctlBuf, plan: planBuf, bounds: boundsBuf, index: i, count, relaxed, entry };
    const w = new Worker(bootstrap, { workerData: data });
    w.unref();
    workers.push(w);
    ready.push(new Promise((res, rej) => {
      w.once('message', (m: { type: string; error?: string }) => (m.type === 'ready' ? res() : rej(new Error(`kernel thread ${i}: ${m.error}`))));
      w.once('error', (e: Error) => rej(new Error(`kernel thread ${i} failed to start: ${e.message}`)));
    }));
  }
  const mine = ++epoch;
  const threads: GemmThreads = {
    count, memory, counters: new Int32Array(ctlBuf, COUNTERS_AT, 2),
    run(plan: Float64Array, bounds: number[], own: () => void): void {
      planView.set(plan);
      for (let i = 0; i < bounds.length; i++) boundsView[i] = bounds[i];
      Atomics.store(ctl, CTL.DONE, 0);
      Atomics.add(ctl, CTL.GEN, 1);
      Atomics.notify(ctl, CTL.GEN);
      own();
      const want = count - 1;
      let d = Atomics.load(ctl, CTL.DONE);
      for (let s = 0; d !== want && s < SPIN; s++) d = Atomics.load(ctl, CTL.DONE);
      while (d !== want) { Atomics.wait(ctl, CTL.DONE, d); d = Atomics.load(ctl, CTL.DONE); }
      if (Atomics.load(ctl, CTL.ERR) !== 0) {
        Atomics.store(ctl, CTL.ERR, 0);
        throw new Error('a kernel thread failed while computing a product (its message is on stderr)');
      }
    },
  };
  const p = Promise.all(ready).then(() => {
    if (mine !== epoch) { for (const w of workers) void w.terminate(); return 1; } // stopped meanwhile
    starting = null;
    running = { count, workers, ctl };
    setGemmThreads(threads);
    return count;
  }, (e: Error) => {
    for (const w of workers) void w.terminate();
    if (mine === epoch) starting = null;
    throw e;
  });
  starting = { count, p };
  return p;
}

/** Stop the kernel threads (and any start in progress); products run in the calling thread again (on the shared memory). */
export function stopKernelThreads(): void {
  epoch++;
  starting = null;
  const r = running;
  if (!r) return;
  running = null;
  setGemmThreads(null);
  Atomics.store(r.ctl, CTL.STOP, 1);
  Atomics.add(r.ctl, CTL.GEN, 1);
  Atomics.notify(r.ctl, CTL.GEN);
  for (const w of r.workers) void w.terminate();
}
