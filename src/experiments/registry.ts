/**
 * The registry: experiment name → module. The sweep runner, its worker threads, the CLI and notebooks
 * all load experiments by name through it. To add an experiment, write `src/experiments/<name>.ts` with a
 * default export built by `defineExperiment`, and add one line below (`module` is the file relative to
 * this one; `load` imports it: the literal import lets bundlers see the module).
 *
 * Browser-safe: dynamic imports only.
 */
import { GridError, validateExperiment } from '../sweep/grid.js';
import type { Experiment } from '../sweep/types.js';

export interface RegistryEntry {
  /** Module path relative to this file (for source hashing and error messages). */
  readonly module: string;
  readonly load: () => Promise<{ default: unknown }>;
}

export const REGISTRY: Readonly<Record<string, RegistryEntry>> = {
  'demo-gaussian-moments': { module: './demo-gaussian-moments.js', load: () => import('./demo-gaussian-moments.js') },
  'linear-sgd-rate': { module: './linear-sgd-rate.js', load: () => import('./linear-sgd-rate.js') },
  'linear-iterations': { module: './linear-iterations.js', load: () => import('./linear-iterations.js') },
  'linear-noise-floor': { module: './linear-noise-floor.js', load: () => import('./linear-noise-floor.js') },
  'linear-family': { module: './linear-family.js', load: () => import('./linear-family.js') },
  'linear-adam-rotation': { module: './linear-adam-rotation.js', load: () => import('./linear-adam-rotation.js') },
  'single-index-spike': { module: './single-index-spike.js', load: () => import('./single-index-spike.js') },
  'single-index-spike-network': { module: './single-index-spike-network.js', load: () => import('./single-index-spike-network.js') },
  'platform-demo-spectrum': { module: './platform-demo-spectrum.js', load: () => import('./platform-demo-spectrum.js') },
  'platform-demo-run': { module: './platform-demo-run.js', load: () => import('./platform-demo-run.js') },
  'single-index-test-error': { module: './single-index-test-error.js', load: () => import('./single-index-test-error.js') },
};

export function experimentNames(): string[] {
  return Object.keys(REGISTRY).sort();
}

/** Thrown for a name that is not in the registry; the message lists the known names. */
export class UnknownExperimentError extends GridError {
  constructor(name: string) {
    super(`unknown experiment '${name}'; known experiments: ${experimentNames().join(', ')} (a new one needs a line in src/experiments/registry.ts; or give a path to its module file)`);
    this.name = 'UnknownExperimentError';
  }
}

/** Loads and validates a registered experiment. */
export async function loadRegistered(name: string): Promise<Experiment> {
  const entry = Object.prototype.hasOwnProperty.call(REGISTRY, name) ? REGISTRY[name] : undefined;
  if (!entry) throw new UnknownExperimentError(name);
  const mod = await entry.load();
  const e = validateExperiment(mod.default, name);
  // every value of a library experiment's grid is checked: each axis declares its domain
  const missing = Object.keys(e.grid.axes).filter((a) => !e.params?.[a]);
  if (missing.length) throw new GridError(`experiment '${name}': axes without a domain in params: ${missing.join(', ')} (declare one for each)`);
  return e;
}
