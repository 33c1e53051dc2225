/**
 * A SweepRunner for tests: expands each request's grid exactly as the Node runner does (effectiveGrid,
 * expandGrid: the same derived seeds) and runs every cell in this thread with `executeCell`, without the
 * on-disk cache, on the engine the test process has (js64 unless a test changes it).
 */
import { REGISTRY } from '../../src/experiments/registry.js';
import { effectiveGrid, expandGrid, validateExperiment } from '../../src/sweep/grid.js';
import { executeCell } from '../../src/node/exec.js';
import { activeBackend } from '../../src/backend.js';
import type { Json } from '../../src/sweep/types.js';
import type { StoryCell, SweepRunner } from '../../src/stories/story.js';

export function inProcessRunner(): SweepRunner & { cells: number } {
  const o = {
    cells: 0,
    get engine() { return activeBackend(); },
    async sweep(_name: string, req: { experiment: string; set: Readonly<Record<string, readonly Json[]>>; seeds?: number; firstReplicate?: number }, onCells?: (c: readonly StoryCell[]) => void) {
      const entry = REGISTRY[req.experiment];
      if (!entry) throw new Error(`no experiment '${req.experiment}'`);
      const e = validateExperiment((await entry.load()).default);
      const out: StoryCell[] = [];
      for (const cell of expandGrid(e, effectiveGrid(e, req))) {
        const { json } = await executeCell(e, cell);
        out.push({ params: cell.params, replicate: cell.replicate, result: JSON.parse(json) as Json });
        o.cells++;
      }
      onCells?.(out);
      return out;
    },
  };
  return o;
}

/** Every other cell of each sweep (a sweep still running), for the partial-results tests. */
export function halve<S extends string>(cells: { readonly [N in S]: readonly StoryCell[] }): { [N in S]: StoryCell[] } {
  return Object.fromEntries(Object.entries(cells).map(([k, v]) => [k, (v as StoryCell[]).filter((_, i) => i % 2 === 0)])) as { [N in S]: StoryCell[] };
}
