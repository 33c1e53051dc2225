/**
 * Cache keys of sweep cells, shared by the Node runner (`node/cache.ts` re-exports `cellKey`) and the
 * page's runner, so a cell computed in either place is found by the other. Browser-safe.
 *
 * `key` is the first 128 bits (hex) of SHA-256 over the canonical JSON of {experiment, version, params,
 * replicate, source, engine}; `source` is the SHA-256 of the experiment module's text when it sets
 * `hashSource`, else null; `engine` the numeric engine (`backend.activeBackend()`): float32 tfjs engines
 * and the float64 `js64` engine give different numbers, so their cells never mix.
 */
import { canonicalJson } from '../sweep/canonical.js';
import { effectiveGrid, expandGrid, type GridOverrides } from './grid.js';
import type { Cell, Experiment, Grid, Params } from '../sweep/types.js';
import { sha256Hex } from './sha256.js';

export function cellKey(experiment: string, version: string, params: Params, replicate: number, source: string | null, engine: string): string {
  return sha256Hex(canonicalJson({ experiment, version, params, replicate, source, engine })).slice(0, 32);
}

export interface KeyedCell extends Cell { readonly key: string }

/**
 * The cells of a grid with their cache keys, in index order: what the Node runner, the page's runner and
 * the site's planning all compute. Give it a grid, or an experiment's overrides (a story's `SweepRequest`
 * is one: `set`, `seeds`, `firstReplicate`), so that no caller can drop a field on the way.
 */
export function keyedCells(exp: Experiment, grid: Grid | GridOverrides, engine: string, source: string | null = null): KeyedCell[] {
  const g = 'axes' in grid ? grid as Grid : effectiveGrid(exp, grid);
  return expandGrid(exp, g).map((c) => ({ ...c, key: cellKey(exp.name, exp.version, c.params, c.replicate, source, engine) }));
}
