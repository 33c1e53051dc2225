/**
 * The combined results file of a sweep: `<dataDir>/<experiment>/results.json` for the declared grid,
 * `results-<8 hex>.json` for a grid changed by overrides (so a notebook's smaller sweep does not replace
 * the full one). One header line, then one canonical-JSON line per cell in index order: the same bytes
 * whether the cells were computed in one run, over several runs, or on shards merged later. Nothing
 * that depends on the run (timings, worker count, dates) is in it.
 */
import { join } from 'node:path';
import { canonicalJson } from '../sweep/canonical.js';
import { isDeclaredGrid } from '../sweep/grid.js';
import type { Experiment, Grid, Json, Params } from '../sweep/types.js';
import { sha256 } from './cache.js';

export interface CombinedCell {
  index: number;
  params: Params;
  replicate: number;
  seed: number;
  key: string;
  result: Json;
}

export function resultsFileName(e: Experiment, grid: Grid): string {
  if (isDeclaredGrid(e, grid)) return 'results.json';
  return `results-${sha256(canonicalJson(gridIdentity(grid))).slice(0, 8)}.json`;
}

export function resultsPath(dataDir: string, e: Experiment, grid: Grid): string {
  return join(dataDir, e.name, resultsFileName(e, grid));
}

/** The combined results; `engine` (the numeric engine of every cell) is recorded in the header. */
export function formatResults(e: Experiment, grid: Grid, cells: readonly CombinedCell[], engine: string): string {
  const head = `{"experiment":${JSON.stringify(e.name)},"version":${JSON.stringify(e.version)},"engine":${JSON.stringify(engine)},"grid":${canonicalJson(gridIdentity(grid))},"cells":[`;
  const lines = cells.map((c) => canonicalJson({ index: c.index, params: c.params, replicate: c.replicate, seed: c.seed, key: c.key, result: c.result }));
  return `${head}\n${lines.join(',\n')}\n]}\n`;
}

/** The cells of a results file (for notebooks that read a finished sweep without running anything). */
export function parseResults(text: string): { experiment: string; version: string; engine?: string; grid: Grid; cells: CombinedCell[] } {
  return JSON.parse(text);
}

/** What identifies a grid in a results file: axes and seeds, and the first replicate when it is not 0. */
function gridIdentity(grid: Grid): object {
  return grid.firstReplicate ? { axes: grid.axes, seeds: grid.seeds, firstReplicate: grid.firstReplicate } : { axes: grid.axes, seeds: grid.seeds };
}
