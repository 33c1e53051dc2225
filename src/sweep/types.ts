/**
 * The experiment contract. An experiment is a module in `src/experiments/` whose default export is an
 * `Experiment`: a name, a code version, a grid of parameter values and seeds, and a `run` function that
 * turns one grid point and a seeded `Rng` into a JSON result. The sweep runner (`src/node/runner.ts`)
 * executes the cells of the grid; the cache keys each finished cell by (name, version, params, replicate).
 *
 * Bump `version` whenever a change to the code would change a result (the experiment module itself or
 * anything it calls: an optimizer fix, a changed default, another numeric engine). Cached cells of the old
 * version are then ignored and recomputed. The cache cannot see code changes on its own; `version` is how
 * it learns of them. `hashSource: true` additionally keys the cache by the text of the experiment's own
 * module file (not the files it imports), so that any edit to that file recomputes.
 *
 * Browser-safe: no Node API here.
 */
import type { Rng } from '../rng.js';

/** A JSON value: what a parameter value or a result may be (finite numbers only). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Parameters of one cell: axis name to value. */
export type Params = Record<string, Json>;

/**
 * The allowed values of one parameter, checked for every cell before anything runs (a `--set` override
 * outside it is refused with a message naming the parameter and this domain).
 */
export type ParamDomain =
  | { readonly oneOf: readonly Json[] }
  | { readonly type: 'integer' | 'number'; readonly min?: number; readonly max?: number }
  | { readonly type: 'string' | 'boolean' }
  /** An array whose every item is in `items` (length within [minLength, maxLength]). */
  | { readonly type: 'array'; readonly items: ParamDomain; readonly minLength?: number; readonly maxLength?: number }
  /** An object with exactly these keys (those in `optional` may be left out), each in its domain. */
  | { readonly type: 'object'; readonly fields: { readonly [key: string]: ParamDomain }; readonly optional?: readonly string[] };

export interface Grid<P = Params> {
  /**
   * One list of values per parameter. The cells are the Cartesian product, in the declared order of the
   * axes (first axis slowest). To vary parameters together rather than crosswise, make them one axis whose
   * values are objects, e.g. `shape: [{ d: 10, k: 2 }, { d: 50, k: 5 }]`.
   */
  readonly axes: { readonly [K in keyof P]: readonly P[K][] };
  /** Replicates per grid point (replicate indices 0..seeds-1), each with its own derived seed. */
  readonly seeds: number;
  /** Index of the first replicate (default 0; see `GridOverrides.firstReplicate`). */
  readonly firstReplicate?: number;
}

/** What `run` gets besides the parameters. */
export interface CellContext {
  readonly experiment: string;
  readonly replicate: number;
  readonly seed: number;
}

export interface Experiment<P = Params, R extends Json = Json> {
  /** Directory name under `data/`; letters, digits, '.', '_' and '-'. Must equal its registry key. */
  readonly name: string;
  /** Code version of the results; bump it when the code changes what `run` returns. */
  readonly version: string;
  readonly description?: string;
  readonly grid: Grid<P>;
  /** Optional domains of the parameters (keys must be axis names). */
  readonly params?: { readonly [K in keyof P]?: ParamDomain };
  /** Also key the cache by a hash of this module's source text. */
  readonly hashSource?: boolean;
  /**
   * One cell. Must depend only on `params` and on draws from `rng` (seeded from the experiment name, the
   * params and the replicate index), never on time, scheduling or global state. The result must be JSON:
   * no NaN, Infinity, undefined, functions or typed arrays (map a diverged run to null or a string).
   */
  run(params: P, rng: Rng, ctx: CellContext): R | Promise<R>;
}

/** Axes of a grid as written in a definition: parameter name to its list of values. */
export type Axes = Record<string, readonly Json[]>;

/** The parameter object of a cell of grid axes `A` (each parameter typed by the values of its axis). */
export type ParamsOf<A extends Axes> = { -readonly [K in keyof A]: A[K] extends readonly (infer V)[] ? V : never };

/** What `defineExperiment` takes: an `Experiment` whose parameter types are read off its axes. */
export interface ExperimentDefinition<A extends Axes, R extends Json> {
  readonly name: string;
  readonly version: string;
  readonly description?: string;
  readonly grid: { readonly axes: A; readonly seeds: number };
  readonly params?: { readonly [K in keyof A]?: ParamDomain };
  readonly hashSource?: boolean;
  run(params: ParamsOf<A>, rng: Rng, ctx: CellContext): R | Promise<R>;
}

/**
 * Identity function that checks an experiment literal against the contract and types `run`'s
 * parameters from the axes (`axes: { n: [10, 100] }` gives `params.n: number`).
 */
export function defineExperiment<A extends Axes, R extends Json>(e: ExperimentDefinition<A, R>): Experiment<ParamsOf<A>, R> {
  return e as unknown as Experiment<ParamsOf<A>, R>;
}

/** One grid point and replicate. `index` is its position in the expanded grid (shards split by it). */
export interface Cell {
  readonly index: number;
  readonly params: Params;
  readonly replicate: number;
  readonly seed: number;
}
