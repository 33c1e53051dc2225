/**
 * Merging shard outputs. A shard's output is nothing but cache files, in its own data directory or in a
 * shared one. `mergeShards` expands the whole grid, takes each cell from the target data directory or,
 * failing that, from the first `from` directory that holds a valid copy (checksum and key verified),
 * copies it in atomically, and writes the combined results file: byte for byte the file an unsharded
 * run writes. Damaged copies are reported and skipped. If cells are missing, everything found is still
 * copied and the error lists the missing cells; no results file is written.
 */
import { resolve } from 'node:path';
import { canonicalJson } from '../sweep/canonical.js';
import { effectiveGrid } from '../sweep/grid.js';
import type { Json } from '../sweep/types.js';
import { CellCache } from './cache.js';
import { atomicWrite, nodeFs, type FsLayer } from './fs-layer.js';
import { defaultDataDir } from './locate.js';
import { expectedCell, planCells, resolveExperiment, sourceHashOf, type CorruptFile, type ExperimentSpec, type PlannedCell } from './runner.js';
import { sweepEngine } from './backend.js';
import { checkDataDir, checkSourceDir } from './paths.js';
import { formatResults, resultsPath, type CombinedCell } from './results.js';

export interface MergeOptions {
  /** Target data directory (default $SWEEP_DATA_DIR or <repo>/data). */
  dataDir?: string;
  /** Data directories of the shards (each holding <experiment>/…); may be empty when shards shared dataDir. */
  from?: readonly string[];
  /** The same overrides the shards ran with. */
  set?: Readonly<Record<string, readonly Json[]>>;
  seeds?: number;
  /** The first replicate index the shards ran with (a story's seed knob; default 0). */
  firstReplicate?: number;
  onNotice?: (message: string) => void;
  fs?: FsLayer;
  /** Do not print the numeric engine when this call starts it. */
  quietEngine?: boolean;
}

export interface MergeResult {
  readonly experiment: string;
  readonly cells: number;
  /** Cells already in the target directory. */
  readonly present: number;
  /** Cells copied from `from` directories. */
  readonly copied: number;
  readonly corrupt: CorruptFile[];
  readonly resultsFile: string;
  /** The numeric engine of the cells (recorded in the results file). */
  readonly engine: string;
}

export class MissingCellsError extends Error {
  constructor(readonly experiment: string, readonly missing: readonly PlannedCell[], total: number, dirs: readonly string[]) {
    const shown = missing.slice(0, 8).map((c) => `#${c.index} ${canonicalJson(c.params)} replicate ${c.replicate}`).join('; ');
    super(`merge: ${missing.length} of ${total} cells of '${experiment}' are in none of ${dirs.join(', ')}: ${shown}${missing.length > 8 ? '; …' : ''}. ` +
      `Did a shard fail (cell index mod n gives its shard i/n), or were the shards run with other --set/--seeds? Cells found were kept.`);
    this.name = 'MissingCellsError';
  }
}

export async function mergeShards(spec: ExperimentSpec, opts: MergeOptions = {}): Promise<MergeResult> {
  const fs = opts.fs ?? nodeFs;
  const notice = opts.onNotice ?? ((m: string) => console.warn(m));
  const r = await resolveExperiment(spec);
  const { exp } = r;
  const grid = effectiveGrid(exp, { set: opts.set, seeds: opts.seeds, firstReplicate: opts.firstReplicate });
  const dataDir = await checkDataDir(opts.dataDir ?? defaultDataDir(), '--data', exp.name);
  const fromDirs: string[] = [];
  for (const d of opts.from ?? []) fromDirs.push(await checkSourceDir(d, '--from'));
  const engine = await sweepEngine(opts.quietEngine);
  const source = await sourceHashOf(r, fs);
  const cells = planCells(exp, grid, undefined, source);
  const target = new CellCache(dataDir, exp.name, fs);
  const sources: CellCache[] = [];
  for (const [j, dir] of fromDirs.entries()) {
    const d = (opts.from ?? [])[j];
    if (dir === dataDir) continue;
    const c = new CellCache(dir, exp.name, fs);
    if ((await fs.mtimeMs(c.dir)) === undefined) notice(`merge: ${d} holds no cells of '${exp.name}' (no ${c.dir})`);
    sources.push(c);
  }
  await target.prepare();

  const corrupt: CorruptFile[] = [];
  const missing: PlannedCell[] = [];
  const combined: CombinedCell[] = [];
  let present = 0, copied = 0;
  for (const c of cells) {
    let rec;
    const want = expectedCell(exp, c, source, engine);
    const here = await target.read(want);
    if (here.status === 'hit') { rec = here.record; present++; } else {
      if (here.status === 'corrupt' || here.status === 'unreadable') {
        corrupt.push({ file: here.file, reason: here.reason, cell: c.index });
        notice(`merge: damaged cache file ${here.file}: ${here.reason}; looking for another copy`);
      }
      for (const s of sources) {
        const there = await s.read(want);
        if (there.status === 'hit') { rec = there.record; break; }
        if (there.status === 'corrupt' || there.status === 'unreadable') {
          corrupt.push({ file: there.file, reason: there.reason, cell: c.index });
          notice(`merge: damaged cache file ${there.file}: ${there.reason}; skipped`);
        }
      }
      if (rec) { await target.write(rec); copied++; }
    }
    if (!rec) { missing.push(c); continue; }
    combined.push({ index: c.index, params: c.params, replicate: c.replicate, seed: c.seed, key: c.key, result: rec.result });
  }
  if (missing.length > 0) throw new MissingCellsError(exp.name, missing, cells.length, [dataDir, ...sources.map((s) => s.dataDir)]);
  const resultsFile = resultsPath(dataDir, exp, grid);
  await atomicWrite(fs, resultsFile, formatResults(exp, grid, combined, engine));
  return { experiment: exp.name, cells: cells.length, present, copied, corrupt, resultsFile, engine };
}
