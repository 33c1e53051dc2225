/**
 * Running one cell: the code shared by the Node runner (worker threads and in-thread mode, via
 * `node/exec.ts`) and the page's Web Workers, so that all of them produce the same bytes. Browser-safe.
 */
import { canonicalJson } from '../sweep/canonical.js';
import type { Cell, Experiment, Params } from '../sweep/types.js';
import { Rng } from '../rng.js';

/** Runs one cell; returns the canonical JSON of its result (throws JsonValueError naming the bad value). */
export async function executeCell(exp: Experiment, cell: Pick<Cell, 'params' | 'replicate' | 'seed'>): Promise<{ json: string; elapsedMs: number }> {
  // A private copy of the params: `run` may mutate it without touching other replicates' cells.
  const params = JSON.parse(canonicalJson(cell.params)) as Params;
  const rng = new Rng(cell.seed);
  const t0 = performance.now();
  const result = await exp.run(params, rng, { experiment: exp.name, replicate: cell.replicate, seed: cell.seed });
  const elapsedMs = performance.now() - t0;
  return { json: canonicalJson(result, 'result'), elapsedMs };
}
