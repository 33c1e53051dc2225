/**
 * Loading an experiment and running one cell: the code shared by the worker threads and the in-thread
 * mode (`workers: 0`), so that both produce the same bytes.
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { GridError, validateExperiment } from '../sweep/grid.js';
import { loadRegistered, REGISTRY } from '../experiments/registry.js';
import type { Experiment } from '../sweep/types.js';

/** How a worker finds an experiment: by registry name, or by module URL. */
export type ExperimentRef = { kind: 'registry'; name: string } | { kind: 'module'; url: string };

/** A registered name, or a path to a module file (anything with a '/' or a .ts/.js extension). */
export function refOf(spec: string): ExperimentRef {
  if (Object.prototype.hasOwnProperty.call(REGISTRY, spec)) return { kind: 'registry', name: spec };
  if (spec.includes('/') || spec.includes('\\') || /\.[cm]?[jt]s$/.test(spec)) {
    return { kind: 'module', url: spec.startsWith('file:') ? spec : pathToFileURL(resolve(spec)).href };
  }
  return { kind: 'registry', name: spec }; // loadExperiment reports it as unknown, listing the known names
}

export async function loadExperiment(ref: ExperimentRef): Promise<Experiment> {
  if (ref.kind === 'registry') return loadRegistered(ref.name);
  let mod: Record<string, unknown>;
  try { mod = await import(ref.url); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND') throw new GridError(`experiment module ${ref.url} not found`);
    throw e;
  }
  return validateExperiment(mod.default ?? mod.experiment);
}

/** Runs one cell (shared with the page's workers: `src/sweep/execute.ts`). */
export { executeCell } from '../sweep/execute.js';
