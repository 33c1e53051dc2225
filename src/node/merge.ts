/**
 * Merging shard outputs. A shard's output is nothing but cache files, in its own data directory or in a
 * shared one. `mergeShards` expands the whole grid, takes each cell from the target data directory or,
 * failing that, from the first `from` directory that holds a valid copy (checksum and key verified),
 * copies it in atomically, and writes the combined results file: byte for byte the file an unsharded
 * run writes. Damaged copies are reported and skipped. If cells are missing, everything found is still
 * copied and the error lists the missing cells; no results file is written.
 */
import { resolve } from 'node:path';
import { canonicalJson } from '../experiments/canonical.js';
import { effectiveGrid } from '../experiments/grid.js';
import type { Json } from '../experiments/types.js';
import { CellCache } from './cache.js';
import { atomicWrite, nodeFs, type FsLayer } from './fs-layer.js';
import { defaultDataDir } from './locate.js';
import { planCells, resolveExperiment, sourceHashOf, type CorruptFile, type ExperimentSpec, type PlannedCell } from './runner.js';
import { formatResults, resultsPath, type CombinedCell } from './results.js';

export interface MergeOptions {
  /** Target data directory (default $SWEEP_DATA_DIR or <repo>/data). */
  dataDir?: string;
  /** Data directories of the shards (each holding <experiment>/…); may be empty when shards shared dataDir. */
  from?: readonly string[];
  /** The same overrides the shards ran with. */
  set?: Readonly<Record<string, readonly Json[]>>;
  seeds?: number;
  onNotice?: (message: string) => void;
  fs?: FsLayer;
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
  const grid = effectiveGrid(exp, { set: opts.set, seeds: opts.seeds });
  const cells = planCells(exp, grid, undefined, await sourceHashOf(r, fs));
  const dataDir = resolve(opts.dataDir ?? defaultDataDir());
  const target = new CellCache(dataDir, exp.name, fs);
  const sources: CellCache[] = [];
  for (const d of opts.from ?? []) {
    const dir = resolve(d);
    if (dir === dataDir) continue;
    const c = new CellCache(dir, exp.name, fs);
    if ((await fs.mtimeMs(dir)) === undefined) throw new Error(`merge: --from ${d}: no such directory`);
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
    const here = await target.read(c.key);
    if (here.status === 'hit') { rec = here.record; present++; } else {
      if (here.status === 'corrupt') {
        corrupt.push({ file: here.file, reason: here.reason, cell: c.index });
        notice(`merge: damaged cache file ${here.file}: ${here.reason}; looking for another copy`);
      }
      for (const s of sources) {
        const there = await s.read(c.key);
        if (there.status === 'hit') { rec = there.record; break; }
        if (there.status === 'corrupt') {
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
  await atomicWrite(fs, resultsFile, formatResults(exp, grid, combined));
  return { experiment: exp.name, cells: cells.length, present, copied, corrupt, resultsFile };
}
