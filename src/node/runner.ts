/**
 * The sweep runner, shared by the command line (`src/node/cli.ts`) and notebooks.
 *
 *   const r = await runSweep('demo-gaussian-moments', { workers: 2, onProgress: throttledLines(console.log) });
 *   r.cells[0].result  // { mean, variance, skewness, excessKurtosis }
 *
 * Every cell of the (possibly overridden, possibly sharded) grid is looked up in the cache; the missing
 * or damaged ones run on worker threads, each finished cell is written atomically before the next is
 * taken, and the run ends by writing the combined results file. Results never depend on the worker
 * count, the order of completion, interruptions or shards: a cell's seed comes from its grid point, and
 * results are assembled in cell-index order from the canonical JSON that is also what the cache holds.
 */
import { rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { delimiter, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkShard, effectiveGrid, GridError, parseShard, shardCells, validateExperiment, type Shard } from '../sweep/grid.js';
import { REGISTRY } from '../experiments/registry.js';
import type { Cell, Experiment, Grid, Json } from '../sweep/types.js';
import { activeBackend } from '../backend.js';
import { CELL_FORMAT, CellCache, sha256, type CellRecord, type ExpectedCell } from './cache.js';
import { keyedCells, type KeyedCell } from '../sweep/keys.js';
import { sweepEngine } from './backend.js';
import { checkDataDir } from './paths.js';
import { loadExperiment, refOf, type ExperimentRef } from './exec.js';
import { atomicWrite, nodeFs, type FsLayer } from './fs-layer.js';
import { defaultDataDir, experimentSourceFile } from './locate.js';
import { runCells } from './pool.js';
import type { Progress } from './progress.js';
import { formatResults, resultsPath } from './results.js';

/** A registered name, a module path, a reference, or (in-thread runs only) an experiment object. */
export type ExperimentSpec = string | ExperimentRef | Experiment;

export interface SweepOptions {
  /** Data directory (default $SWEEP_DATA_DIR or <repo>/data); cells go to <dataDir>/<experiment>/. */
  dataDir?: string;
  /** Worker threads (default: os.availableParallelism()); 0 runs the cells in this thread. */
  workers?: number;
  /** Run only cells with index ≡ i (mod n): `{index: i, count: n}` or 'i/n'. */
  shard?: Shard | string;
  /** Replace the values of axes: `{ n: [100, 1000] }`. */
  set?: Readonly<Record<string, readonly Json[]>>;
  /** Replace the number of replicates. */
  seeds?: number;
  /** Index of the first replicate (default 0); a notebook's `seed` knob s gives s·SEED_STRIDE. */
  firstReplicate?: number;
  /** Called after every persisted cell, and once at the start and at the end. */
  onProgress?: (p: Progress) => void;
  /** Notices (damaged cache files, leftovers of killed runs); default: console.warn. */
  onNotice?: (message: string) => void;
  /** Write the combined results file (default: true unless sharded). */
  writeResults?: boolean;
  /** File operations (tests inject failures here). */
  fs?: FsLayer;
  /**
   * Further data directories read, never written (default: $SWEEP_READ_DIRS, separated by the path
   * delimiter): a cell missing from `dataDir` but found there is reused. Parameter runs use it to keep
   * new cells in an ignored directory while reusing the committed ones in data/.
   */
  readDirs?: readonly string[];
  /** Copy the cells found in `readDirs` into `dataDir` (default: $SWEEP_READ_COPY = 1): `npm run data:refresh`. */
  copyReads?: boolean;
  /** Do not print the numeric engine when this call starts it. */
  quietEngine?: boolean;
  /** How often to look again for cells that another run is computing (ms, default 1000). */
  pollMs?: number;
}

export interface CellResult extends Cell {
  readonly key: string;
  readonly result: Json;
  /** True when it came from the cache. */
  readonly cached: boolean;
}

export interface CorruptFile { readonly file: string; readonly reason: string; readonly cell: number }

export interface SweepResult {
  readonly experiment: string;
  readonly version: string;
  readonly grid: Grid;
  readonly shard: Shard | undefined;
  /** This run's cells, in index order. */
  readonly cells: CellResult[];
  readonly computed: number;
  readonly cached: number;
  /** Damaged cache files found (and recomputed). */
  readonly corrupt: CorruptFile[];
  /** Path of the combined results file, when written. */
  readonly resultsFile: string | undefined;
  readonly elapsedMs: number;
  /** The numeric engine of every cell. */
  readonly engine: string;
  /** Cells that another run on the same data directory computed while this one waited. */
  readonly byOthers: number;
}

/** Lock files this process holds (removed by `releaseClaimsSync` when the process is interrupted). */
const heldLocks = new Set<string>();

/** Removes this process's claim files at once (for signal handlers, which cannot wait). */
export function releaseClaimsSync(): number {
  let n = 0;
  for (const f of heldLocks) { try { rmSync(f, { force: true }); n++; } catch { /* best effort */ } }
  heldLocks.clear();
  return n;
}

/** Progress of the sweeps running in this process, for the message of an interrupted run. */
export const liveRuns = new Map<string, { dir: string; saved: number; total: number }>();

/** The cell as the cache must hold it. */
export function expectedCell(exp: Experiment, c: PlannedCell, source: string | null, engine: string): ExpectedCell {
  return { key: c.key, experiment: exp.name, version: exp.version, params: c.params, replicate: c.replicate, source, engine };
}

export interface Resolved { exp: Experiment; ref: ExperimentRef | undefined; sourceFile: string | undefined }

/** Loads an experiment from a spec, and says where its source is (for `hashSource`). */
export async function resolveExperiment(spec: ExperimentSpec): Promise<Resolved> {
  if (typeof spec === 'object' && 'run' in spec) return { exp: validateExperiment(spec), ref: undefined, sourceFile: undefined };
  const ref = typeof spec === 'string' ? refOf(spec) : spec;
  const exp = await loadExperiment(ref);
  const sourceFile = ref.kind === 'registry' ? experimentSourceFile(REGISTRY[ref.name].module) : fileURLToPath(ref.url);
  return { exp, ref, sourceFile };
}

/** SHA-256 of the experiment module's text when it asks for it, else null. */
export async function sourceHashOf(r: Resolved, fs: FsLayer): Promise<string | null> {
  if (!r.exp.hashSource) return null;
  if (!r.sourceFile) throw new GridError(`experiment '${r.exp.name}' sets hashSource but was given as an object; give its module path or registry name`);
  const text = await fs.readText(r.sourceFile);
  if (text === undefined) throw new GridError(`experiment '${r.exp.name}' sets hashSource but its source ${r.sourceFile} cannot be read`);
  return sha256(text);
}

export function checkWorkers(w: unknown): number {
  if (typeof w !== 'number' || !Number.isInteger(w) || w < 0) {
    throw new GridError(`workers must be an integer >= 0 (0 runs the cells in this thread); got ${String(w)}`);
  }
  return w;
}

export type PlannedCell = KeyedCell;

/** The cells a run covers, with their cache keys. */
export function planCells(exp: Experiment, grid: Grid, shard: Shard | undefined, source: string | null): PlannedCell[] {
  const all = keyedCells(exp, grid, activeBackend(), source);
  return shard ? shardCells(all, shard) : all;
}

function appendNote(e: unknown, note: string): unknown {
  if (e instanceof Error) {
    const before = e.message;
    e.message += `\n${note}`;
    if (e.stack) e.stack = e.stack.replace(before, e.message);
  }
  return e;
}

export async function runSweep(spec: ExperimentSpec, opts: SweepOptions = {}): Promise<SweepResult> {
  const t0 = Date.now();
  const r = await resolveExperiment(spec);
  const { exp, ref } = r;
  const workers = checkWorkers(opts.workers ?? availableParallelism());
  if (workers > 0 && !ref) {
    throw new GridError(`experiment '${exp.name}' was given as an object, which worker threads cannot import: use workers: 0, or register it / give its module path`);
  }
  const grid = effectiveGrid(exp, { set: opts.set, seeds: opts.seeds, firstReplicate: opts.firstReplicate });
  const shard = opts.shard === undefined ? undefined : typeof opts.shard === 'string' ? parseShard(opts.shard) : checkShard(opts.shard);
  const fs = opts.fs ?? nodeFs;
  const notice = opts.onNotice ?? ((m: string) => console.warn(m));
  const dataDir = await checkDataDir(opts.dataDir ?? defaultDataDir(), '--data', exp.name);
  const engine = await sweepEngine(opts.quietEngine);
  const source = await sourceHashOf(r, fs);
  const cells = planCells(exp, grid, shard, source);
  const cache = new CellCache(dataDir, exp.name, fs);
  const readDirs = (opts.readDirs ?? (process.env.SWEEP_READ_DIRS ?? '').split(delimiter))
    .filter((d) => d !== '').map((d) => resolve(d)).filter((d) => d !== dataDir);
  const readCaches = readDirs.map((d) => new CellCache(d, exp.name, fs));
  const copyReads = opts.copyReads ?? process.env.SWEEP_READ_COPY === '1';
  const removed = await cache.prepare();
  if (removed > 0) notice(`${exp.name}: removed ${removed} temporary file(s) left by an interrupted run in ${cache.dir}`);

  const out = new Array<CellResult>(cells.length);
  const position = new Map<number, number>();
  const corrupt: CorruptFile[] = [];
  const pending: PlannedCell[] = [];
  /** Cells whose file path is blocked (a directory, no permission): computed, kept in memory, not saved. */
  const blocked = new Set<number>();
  let cachedCount = 0;
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i];
    position.set(c.index, i);
    const hit = await cache.read(expectedCell(exp, c, source, engine));
    if (hit.status === 'hit') { out[i] = { ...c, result: hit.record.result, cached: true }; cachedCount++; continue; }
    let found = false;
    for (const rc of readCaches) {
      const h = await rc.read(expectedCell(exp, c, source, engine));
      if (h.status === 'hit') {
        if (copyReads) await cache.write(h.record);
        out[i] = { ...c, result: h.record.result, cached: true }; cachedCount++; found = true; break;
      }
    }
    if (found) continue;
    if (hit.status === 'corrupt') {
      corrupt.push({ file: hit.file, reason: hit.reason, cell: c.index });
      notice(`${exp.name}: damaged cache file ${hit.file}: ${hit.reason}; recomputing cell ${c.index}`);
    }
    if (hit.status === 'unreadable') {
      corrupt.push({ file: hit.file, reason: hit.reason, cell: c.index });
      blocked.add(c.index);
      notice(`${exp.name}: ${hit.reason}: ${hit.file}; computing cell ${c.index} without its cache file (remove or fix that path to cache it)`);
    }
    pending.push(c);
  }

  let computed = 0;
  let tRun = Date.now();
  const emit = (finished: boolean) => {
    if (!opts.onProgress) return;
    const elapsedMs = Date.now() - t0;
    const rate = computed > 0 ? computed / Math.max(1e-3, (Date.now() - tRun) / 1000) : 0;
    const left = cells.length - cachedCount - computed;
    opts.onProgress({
      experiment: exp.name, total: cells.length, done: cachedCount + computed, cached: cachedCount, computed,
      elapsedMs, rate, etaMs: finished ? 0 : rate > 0 ? (1000 * left) / rate : undefined, finished,
    });
  };
  if (pending.length > 0) emit(false);

  const live = { dir: cache.dir, saved: cachedCount, total: cells.length };
  const runId = `${exp.name}#${Date.now()}#${Math.random()}`;
  liveRuns.set(runId, live);
  const claimed = new Set<string>();
  const release = async (key: string) => {
    claimed.delete(key);
    heldLocks.delete(cache.lockOf(key));
    await cache.release(key);
  };
  const onDone = async (cell: Cell, json: string, elapsedMs: number) => {
    const i = position.get(cell.index)!;
    const c = cells[i];
    const result = JSON.parse(json) as Json;
    const rec: CellRecord = {
      format: CELL_FORMAT, experiment: exp.name, version: exp.version, key: c.key, params: c.params,
      replicate: c.replicate, seed: c.seed, source, engine, result, elapsedMs: Math.round(elapsedMs * 1000) / 1000,
    };
    try { await cache.write(rec); } catch (e) {
      if (!blocked.has(c.index)) throw e;
      notice(`${exp.name}: cell ${c.index} computed but not saved: ${(e as Error).message}`);
    }
    await release(c.key);
    out[i] = { ...c, result, cached: false };
    computed++;
    live.saved++;
    emit(false);
  };
  let byOthers = 0;
  try {
    let waiting: PlannedCell[] = pending;
    let told = false;
    while (waiting.length > 0) {
      const skipped: PlannedCell[] = [];
      const before = computed;
      await runCells(exp, ref, waiting, workers, onDone, () => { tRun = Date.now(); }, {
        claim: async (cell) => {
          const c = cell as PlannedCell;
          if (blocked.has(c.index)) return true;
          // another run may have finished it since we looked
          const now = await cache.read(expectedCell(exp, c, source, engine));
          if (now.status === 'hit') { skipped.push(c); return false; }
          const ok = await cache.claim(c.key);
          if (ok) { claimed.add(c.key); heldLocks.add(cache.lockOf(c.key)); }
          return ok;
        },
        onSkip: (cell) => { if (!skipped.includes(cell as PlannedCell)) skipped.push(cell as PlannedCell); },
      });
      waiting = [];
      for (const c of skipped) {
        const hit = await cache.read(expectedCell(exp, c, source, engine));
        if (hit.status === 'hit') {
          out[position.get(c.index)!] = { ...c, result: hit.record.result, cached: true };
          cachedCount++; byOthers++; live.saved++;
          emit(false);
        } else waiting.push(c);
      }
      if (waiting.length > 0) {
        if (!told) { told = true; notice(`${exp.name}: ${waiting.length} cell(s) are being computed by another run on ${cache.dir} (lock files); waiting for them`); }
        if (computed === before) await new Promise((r) => setTimeout(r, opts.pollMs ?? 1000));
      }
    }
  } catch (e) {
    const saved = cachedCount + computed;
    throw appendNote(e, `${saved} of ${cells.length} cells are saved in ${cache.dir} (${computed} from this run); a rerun reuses them.`);
  } finally {
    for (const k of [...claimed]) await release(k);
    liveRuns.delete(runId);
  }

  let resultsFile: string | undefined;
  if (opts.writeResults ?? !shard) {
    resultsFile = resultsPath(dataDir, exp, grid);
    await atomicWrite(fs, resultsFile, formatResults(exp, grid, out, engine));
  }
  emit(true);
  return {
    experiment: exp.name, version: exp.version, grid, shard, cells: out, computed, cached: cachedCount, corrupt,
    resultsFile, elapsedMs: Date.now() - t0, engine, byOthers,
  };
}
