/**
 * Node-side engine start-up, the one way every entry point starts the numeric engine: the sweep command
 * line (`sweep`, `merge`), `runSweep`/`mergeShards` called from notebooks or scripts, the notebooks'
 * own `startBackend()`, and the sweep worker threads (which start the engine their parent named).
 *
 * - loads `@tensorflow/tfjs-node` when it is installed (it registers the `tensorflow` backend);
 * - honours `LPFL_BACKEND` (tensorflow | simd | wasm | cpu | js64); an unknown name, or one that cannot start
 *   here (tensorflow without tfjs-node), is refused with an `EngineError` listing the valid names and
 *   those available on this machine. Nothing falls back silently;
 * - reports the choice on stderr once per process (`[layerwise-precond] numeric engine: simd, 2 kernel threads`).
 *
 * Cells are cached under the engine that computed them (it is part of the cache key), and results files
 * record it, so numbers of different engines never mix.
 */
import { activeBackend, BACKENDS, backendChosen, initBackend, type BackendName } from '../backend.js';
import { GridError } from '../sweep/grid.js';
import { availableParallelism } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import { MAX_THREADS, startKernelThreads } from './threads.js';
import { relaxedSimdAvailable, wasm64 } from '../wasm64.js';
import { wasm32Fused } from '../kernels32.js';
import { setFlagsFromString } from 'node:v8';

/**
 * Turn on relaxed SIMD where this Node has it behind a flag, before any kernel module is compiled; returns
 * whether the runtime now accepts it. V8 ships relaxed SIMD from 11.4 (Node 22, Chromium 114); Node 20's
 * V8 11.3 validates it only with `--experimental-wasm-relaxed-simd`, which V8 reads when it compiles a
 * module, so setting it here (process-wide: worker threads see it too) is enough. With it the float64 GEMM
 * loads the relaxed-SIMD build and runs products whose operands are all float32 values on its fused twins,
 * which give the unfused kernel's bits (asm/kernels.ts, MADD64T); the `simd` engine's float32 products never
 * use relaxed SIMD. A runtime that has relaxed SIMD already is left alone (no flag is set).
 */
export function enableRelaxedSimd(): boolean {
  if (relaxedSimdAvailable()) return true;
  try { setFlagsFromString('--experimental-wasm-relaxed-simd'); } catch { return false; } // then the core build, the same numbers
  return relaxedSimdAvailable();
}
enableRelaxedSimd();

export const ENGINE_ENV = 'LPFL_BACKEND';
/** Threads for one run's large products (`src/node/threads.ts`): an integer from 1 (off) to 64; default all cores. */
export const THREADS_ENV = 'LPFL_THREADS';

/**
 * The kernel-thread count asked for by $LPFL_THREADS (default: all cores); a value that is not an
 * integer from 1 to 64 is an `EngineError` naming the variable and the range.
 */
export function threadsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[THREADS_ENV]?.trim();
  if (raw === undefined || raw === '') return Math.min(MAX_THREADS, availableParallelism());
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) throw new EngineError(`${THREADS_ENV}=${raw}: must be an integer from 1 (no kernel threads) to ${MAX_THREADS}`);
  return n;
}

/** An unknown or unavailable engine name (bad input: the command line exits with status 2). */
export class EngineError extends GridError {
  constructor(message: string) { super(message); this.name = 'EngineError'; }
}

let tfNode: Promise<string | null> | null = null;
/** Loads tfjs-node once; resolves to null when loaded, else the reason it cannot load. */
function loadTfNode(): Promise<string | null> {
  tfNode ??= (async () => {
    try {
      // optional peer dependency: absent on machines where its libtensorflow download fails
      const name = '@tensorflow/tfjs-node';
      await import(/* @vite-ignore */ name);
      return null;
    } catch (e) {
      return (e as Error).message.split('\n')[0];
    }
  })();
  return tfNode;
}

/** The engines that can start in this process. */
export async function availableEngines(): Promise<BackendName[]> {
  const tf = (await loadTfNode()) === null;
  const simd = wasm64() !== null;
  return BACKENDS.filter((b) => (b !== 'tensorflow' || tf) && (b !== 'simd' || simd) && (b !== 'simd-fma' || (simd && wasm32Fused() !== null)));
}

let started: { want: string | undefined; p: Promise<BackendName> } | null = null;
let reported = false;

export interface StartOptions {
  /** Do not print the engine on stderr. */
  quiet?: boolean;
  /** The engine to start (default: $LPFL_BACKEND, else the first available of tensorflow, wasm, cpu). */
  name?: string;
}

/** Starts (once per process and name) and reports the numeric engine. */
export function startBackend(opts: StartOptions = {}): Promise<BackendName> {
  const fromEnv = opts.name === undefined;
  const want = (fromEnv ? process.env[ENGINE_ENV] : opts.name)?.trim() || undefined;
  if (started && started.want === want) return started.p;
  const p = (async () => {
    const where = fromEnv ? `${ENGINE_ENV}=${want}` : `engine '${want}'`;
    if (want !== undefined && !BACKENDS.includes(want as BackendName)) {
      throw new EngineError(`${where}: unknown numeric engine; valid engines: ${BACKENDS.join(', ')} (available here: ${(await availableEngines()).join(', ')})`);
    }
    const why = await loadTfNode();
    if (want === 'tensorflow' && why !== null) {
      throw new EngineError(`${where}: the tensorflow engine is not available here (@tensorflow/tfjs-node cannot load: ${why}); available here: ${(await availableEngines()).join(', ')}`);
    }
    let got: BackendName;
    try { got = await initBackend(want); } catch (e) {
      throw new EngineError(`${where}: ${(e as Error).message}; available here: ${(await availableEngines()).join(', ')}`);
    }
    // Kernel threads: in the main thread of a run only; sweep workers (one cell per core) never start them.
    // Not awaited: their workers load in the background (~350 ms measured) and products are split once
    // they are ready, so start-up does not wait for them.
    const threads = isMainThread ? threadsFromEnv() : 1;
    if (threads > 1) startKernelThreads(threads).catch((e: Error) => process.stderr.write(`[layerwise-precond] kernel threads did not start: ${e.message}\n`));
    if (!opts.quiet && !reported) {
      reported = true;
      process.stderr.write(`[layerwise-precond] numeric engine: ${got}${fromEnv && want ? ` (${ENGINE_ENV})` : ''}${isMainThread ? `, ${threads} kernel thread${threads === 1 ? '' : 's'}` : ''}\n`);
    }
    return got;
  })();
  started = { want, p };
  p.catch(() => { if (started?.p === p) started = null; });
  return p;
}

/**
 * The engine for a sweep: the one already chosen in this process (a notebook's `startBackend`, a test's
 * `initBackend('js64')`), else the one `startBackend` starts.
 */
export async function sweepEngine(quiet = false): Promise<BackendName> {
  if (backendChosen()) return activeBackend();
  return startBackend({ quiet });
}
