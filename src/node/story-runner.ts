/**
 * The Node side of a story's runner: each sweep goes through `runSweep` (worker threads, the on-disk
 * cache in `data/`), with a throttled progress line per sweep.
 *
 *     const r = await computeStory(story, v, nodeRunner({ workers: 2 }));
 */
import { activeBackend } from '../backend.js';
import type { StoryCell, SweepRequest, SweepRunner } from '../stories/story.js';
import { throttledLines } from './progress.js';
import { runSweep, type SweepOptions } from './runner.js';

export interface NodeRunnerOptions extends Pick<SweepOptions, 'dataDir' | 'workers' | 'onNotice' | 'readDirs' | 'writeResults'> {
  /** Where progress lines go (default console.log); null for none. */
  log?: ((line: string) => void) | null;
  /** Milliseconds between progress lines (default 5000). */
  everyMs?: number;
}

export function nodeRunner(o: NodeRunnerOptions = {}): SweepRunner {
  const log = o.log === undefined ? (l: string) => console.log(l) : o.log;
  return {
    get engine() { return activeBackend(); },
    async sweep(name: string, req: SweepRequest, onCells?: (cells: readonly StoryCell[]) => void) {
      const r = await runSweep(req.experiment, {
        set: req.set, seeds: req.seeds, firstReplicate: req.firstReplicate, dataDir: o.dataDir, workers: o.workers, onNotice: o.onNotice,
        readDirs: o.readDirs, writeResults: o.writeResults,
        onProgress: log ? throttledLines((line) => log(`[${name}] ${line}`), o.everyMs ?? 5000) : undefined,
      });
      const cells: StoryCell[] = r.cells.map((c) => ({ params: c.params, replicate: c.replicate, result: c.result }));
      onCells?.(cells);
      return cells;
    },
  };
}
