/**
 * Grids: validation, overrides, expansion into cells, seeds and shards. Browser-safe.
 *
 * Cell order is the Cartesian product of the axes in their declared order (first axis slowest), with the
 * replicate index innermost; `index` numbers the cells in that order and decides shard membership
 * (`index mod n === i` for shard i/n), so the assignment does not depend on the machine or the run.
 *
 * A cell's seed is derived from the experiment name, the canonical JSON of its params and its replicate
 * index (not from its position, nor from the version): reordering axes, adding values to an axis, running
 * fewer workers or another shard never changes the random stream a cell sees.
 */
import { hashString } from '../rng.js';
import { canonicalJson, JsonValueError } from './canonical.js';
import type { Cell, Experiment, Grid, Json, ParamDomain, Params } from './types.js';

/** An invalid grid, override or experiment definition; the message names the parameter. */
export class GridError extends Error {
  constructor(message: string) { super(message); this.name = 'GridError'; }
}

export const EXPERIMENT_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const AXIS_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Largest grid the runner accepts (cells, replicates included). */
export const MAX_CELLS = 10_000_000;

export interface GridOverrides {
  /** Replace the values of named axes (each list non-empty). */
  readonly set?: Readonly<Record<string, readonly Json[]>>;
  /** Replace the number of replicates. */
  readonly seeds?: number;
  /**
   * Index of the first replicate (default 0): replicates are firstReplicate … firstReplicate+seeds−1. A
   * notebook's `seed` knob s uses firstReplicate = s·SEED_STRIDE, so seed 0 is the committed cells and each
   * other seed an independent set of draws (a replicate's seed is derived from its index).
   */
  readonly firstReplicate?: number;
}

/** Replicate indices reserved per base seed (see `firstReplicate`). */
export const SEED_STRIDE = 1_000_000;

export interface Shard { readonly index: number; readonly count: number }

const show = (v: Json): string => canonicalJson(v);
const list = (xs: readonly string[]): string => xs.length ? xs.join(', ') : '(none)';

function checkSeeds(seeds: unknown, where: string): number {
  if (typeof seeds !== 'number' || !Number.isInteger(seeds) || seeds < 1) {
    throw new GridError(`${where} must be an integer >= 1 (the number of replicates); got ${String(seeds)}`);
  }
  return seeds;
}

function checkAxisValues(exp: string, axis: string, values: unknown, where: string): readonly Json[] {
  if (!Array.isArray(values)) {
    throw new GridError(`${where}: axis '${axis}' of experiment '${exp}' must be an array of values; got ${typeof values}`);
  }
  if (values.length === 0) {
    throw new GridError(`${where}: axis '${axis}' of experiment '${exp}' is empty; give it at least one value`);
  }
  const seen = new Map<string, number>();
  values.forEach((v, i) => {
    let text: string;
    try { text = canonicalJson(v, `${axis}[${i}]`); } catch (e) {
      if (e instanceof JsonValueError) throw new GridError(`${where}: parameter ${e.message}`);
      throw e;
    }
    const first = seen.get(text);
    if (first !== undefined) {
      throw new GridError(`${where}: axis '${axis}' of experiment '${exp}' lists ${text} twice (positions ${first} and ${i}); values of an axis must be distinct`);
    }
    seen.set(text, i);
  });
  return values as Json[];
}

function checkDomainShape(exp: string, name: string, d: unknown): void {
  const bad = (why: string) => new GridError(`experiment '${exp}': domain of parameter '${name}' ${why}`);
  if (typeof d !== 'object' || d === null) throw bad('must be an object');
  const dom = d as Record<string, unknown>;
  if ('oneOf' in dom) {
    if (!Array.isArray(dom.oneOf) || dom.oneOf.length === 0) throw bad('oneOf must be a non-empty array');
    return;
  }
  if (dom.type === 'array') { checkDomainShape(exp, `${name}[]`, dom.items); return; }
  if (dom.type === 'object') {
    if (typeof dom.fields !== 'object' || dom.fields === null) throw bad('fields must be an object of domains');
    for (const [k, f] of Object.entries(dom.fields as object)) checkDomainShape(exp, `${name}.${k}`, f);
    return;
  }
  if (!['integer', 'number', 'string', 'boolean'].includes(dom.type as string)) {
    throw bad(`must be {oneOf: [...]} or have type integer, number, string, boolean, array or object; got ${JSON.stringify(dom.type)}`);
  }
  for (const k of ['min', 'max'] as const) {
    if (dom[k] !== undefined && (typeof dom[k] !== 'number' || !Number.isFinite(dom[k]))) throw bad(`${k} must be a finite number`);
  }
}

/** Describes a domain for error messages. */
export function describeDomain(d: ParamDomain): string {
  if ('oneOf' in d) return `allowed values: ${d.oneOf.map(show).join(', ')}`;
  if (d.type === 'integer' || d.type === 'number') {
    const what = d.type === 'integer' ? 'an integer' : 'a finite number';
    const lo = d.min !== undefined ? ` >= ${d.min}` : '';
    const hi = d.max !== undefined ? `${lo ? ' and' : ''} <= ${d.max}` : '';
    return `allowed: ${what}${lo}${hi}`;
  }
  if (d.type === 'array') {
    const len = d.minLength !== undefined || d.maxLength !== undefined ? ` of length ${d.minLength ?? 0}..${d.maxLength ?? '∞'}` : '';
    return `allowed: an array${len} of items (${describeDomain(d.items).replace(/^allowed(: | values: )/, '')})`;
  }
  if (d.type === 'object') {
    const keys = Object.entries(d.fields).map(([k, f]) => `${k}${d.optional?.includes(k) ? '?' : ''}: ${describeDomain(f).replace(/^allowed(: | values: )/, '')}`);
    return `allowed: an object {${keys.join('; ')}}`;
  }
  return `allowed: a ${d.type}`;
}

/** Undefined when `value` is in the domain; otherwise a reason (naming the offending key or item). */
export function domainViolation(value: Json, d: ParamDomain): string | undefined {
  if ('oneOf' in d) {
    const t = show(value);
    return d.oneOf.some((o) => show(o) === t) ? undefined : describeDomain(d);
  }
  switch (d.type) {
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || (d.type === 'integer' && !Number.isInteger(value))) return describeDomain(d);
      if ((d.min !== undefined && value < d.min) || (d.max !== undefined && value > d.max)) return describeDomain(d);
      return undefined;
    }
    case 'string': return typeof value === 'string' ? undefined : describeDomain(d);
    case 'boolean': return typeof value === 'boolean' ? undefined : describeDomain(d);
    case 'array': {
      if (!Array.isArray(value)) return describeDomain(d);
      if ((d.minLength !== undefined && value.length < d.minLength) || (d.maxLength !== undefined && value.length > d.maxLength)) return describeDomain(d);
      for (let i = 0; i < value.length; i++) {
        const why = domainViolation(value[i], d.items);
        if (why) return `item [${i}] = ${show(value[i])}: ${why}`;
      }
      return undefined;
    }
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return describeDomain(d);
      const known = Object.keys(d.fields);
      for (const k of Object.keys(value)) {
        if (!known.includes(k)) return `unknown key '${k}'; allowed keys: ${known.join(', ')}; ${describeDomain(d)}`;
      }
      for (const [k, f] of Object.entries(d.fields)) {
        if (!(k in value)) {
          if (d.optional?.includes(k)) continue;
          return `key '${k}' is missing; ${describeDomain(d)}`;
        }
        const why = domainViolation((value as Record<string, Json>)[k], f);
        if (why) return `key '${k}' = ${show((value as Record<string, Json>)[k])}: ${why}`;
      }
      return undefined;
    }
  }
}

/**
 * Checks an experiment definition (a module's export) and returns it typed. `expectedName`: the registry
 * key it was loaded under.
 */
export function validateExperiment(e: unknown, expectedName?: string): Experiment {
  const where = expectedName !== undefined ? `experiment '${expectedName}'` : 'experiment';
  if (typeof e !== 'object' || e === null) throw new GridError(`${where}: the module must export an experiment object (default export)`);
  const x = e as Record<string, unknown>;
  if (typeof x.name !== 'string' || !EXPERIMENT_NAME_RE.test(x.name)) {
    throw new GridError(`${where}: name must be a non-empty string of letters, digits, '.', '_' and '-' (it names the data directory); got ${JSON.stringify(x.name)}`);
  }
  const name = x.name;
  if (expectedName !== undefined && name !== expectedName) {
    throw new GridError(`registry entry '${expectedName}' loads an experiment named '${name}'; the two must be equal (two modules with one name?)`);
  }
  if (typeof x.version !== 'string' || x.version.length === 0) {
    throw new GridError(`experiment '${name}': version must be a non-empty string (bump it when the code changes results); got ${JSON.stringify(x.version)}`);
  }
  if (typeof x.run !== 'function') throw new GridError(`experiment '${name}': run must be a function (params, rng, ctx) => result`);
  const grid = x.grid as Record<string, unknown> | undefined;
  if (typeof grid !== 'object' || grid === null) throw new GridError(`experiment '${name}': grid must be an object {axes, seeds}`);
  const axes = grid.axes;
  if (typeof axes !== 'object' || axes === null || Array.isArray(axes)) {
    throw new GridError(`experiment '${name}': grid.axes must be an object mapping parameter names to arrays of values`);
  }
  for (const [axis, values] of Object.entries(axes)) {
    if (!AXIS_NAME_RE.test(axis)) throw new GridError(`experiment '${name}': parameter name '${axis}' must be an identifier (letters, digits, _; not starting with a digit)`);
    checkAxisValues(name, axis, values, `experiment '${name}'`);
  }
  checkSeeds(grid.seeds, `experiment '${name}': grid.seeds`);
  if (x.params !== undefined) {
    if (typeof x.params !== 'object' || x.params === null) throw new GridError(`experiment '${name}': params must be an object of domains`);
    for (const [p, d] of Object.entries(x.params)) {
      if (!(p in axes)) throw new GridError(`experiment '${name}': params gives a domain for '${p}', which is not a parameter; parameters: ${list(Object.keys(axes))}`);
      checkDomainShape(name, p, d);
    }
  }
  if (x.hashSource !== undefined && typeof x.hashSource !== 'boolean') throw new GridError(`experiment '${name}': hashSource must be a boolean`);
  const exp = e as Experiment;
  checkDomains(exp, exp.grid);
  return exp;
}

function checkDomains(e: Experiment, grid: Grid): void {
  if (!e.params) return;
  for (const [p, d] of Object.entries(e.params)) {
    if (!d) continue;
    for (const v of grid.axes[p]) {
      const why = domainViolation(v, d);
      if (why) throw new GridError(`experiment '${e.name}': parameter '${p}' = ${show(v)} is not allowed; ${why}`);
    }
  }
}

/** The grid after overrides; throws `GridError` naming an unknown parameter and listing the known ones. */
export function effectiveGrid(e: Experiment, o: GridOverrides = {}): Grid {
  const axes: Record<string, readonly Json[]> = { ...e.grid.axes };
  for (const [p, values] of Object.entries(o.set ?? {})) {
    if (!(p in axes)) {
      throw new GridError(`unknown parameter '${p}' for experiment '${e.name}'; its parameters are: ${list(Object.keys(axes))}`);
    }
    axes[p] = checkAxisValues(e.name, p, values, `--set ${p}`);
  }
  const seeds = o.seeds === undefined ? e.grid.seeds : checkSeeds(o.seeds, '--seeds');
  const first = o.firstReplicate ?? 0;
  if (!Number.isSafeInteger(first) || first < 0) {
    throw new GridError(`firstReplicate must be an integer >= 0 (the index of the first replicate); got ${String(o.firstReplicate)}`);
  }
  const grid: Grid = first === 0 ? { axes, seeds } : { axes, seeds, firstReplicate: first };
  checkDomains(e, grid);
  let n = seeds;
  for (const v of Object.values(axes)) n *= v.length;
  if (n > MAX_CELLS) throw new GridError(`experiment '${e.name}': the grid has ${n} cells, more than the limit of ${MAX_CELLS}`);
  return grid;
}

/** True when the overrides leave the declared grid as it is. */
export function isDeclaredGrid(e: Experiment, g: Grid): boolean {
  return (g.firstReplicate ?? 0) === 0 &&
    canonicalJson({ axes: e.grid.axes, seeds: e.grid.seeds }) === canonicalJson({ axes: g.axes, seeds: g.seeds });
}

/** 53-bit seed of a cell, from the experiment name, canonical params and replicate index. */
export function deriveSeed(experiment: string, params: Params, replicate: number): number {
  const s = `${experiment}\u0000${canonicalJson(params)}\u0000${replicate}`;
  const lo = hashString(`seed-lo\u0000${s}`);
  const hi = hashString(`seed-hi\u0000${s}`) & 0x1fffff;
  return hi * 4294967296 + lo;
}

/** All cells of a grid, in index order. */
export function expandGrid(e: Experiment, grid: Grid = e.grid): Cell[] {
  const names = Object.keys(grid.axes);
  const cells: Cell[] = [];
  const idx = new Array<number>(names.length).fill(0);
  for (;;) {
    const params: Params = {};
    names.forEach((n, a) => { params[n] = grid.axes[n][idx[a]]; });
    const first = grid.firstReplicate ?? 0;
    for (let r = first; r < first + grid.seeds; r++) {
      cells.push({ index: cells.length, params, replicate: r, seed: deriveSeed(e.name, params, r) });
    }
    let a = names.length - 1;
    while (a >= 0) {
      idx[a]++;
      if (idx[a] < grid.axes[names[a]].length) break;
      idx[a] = 0;
      a--;
    }
    if (a < 0) break;
  }
  return cells;
}

/** Parses `i/n` (0 <= i < n). */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN, count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count) {
    throw new GridError(`--shard must be i/n with integers 0 <= i < n (e.g. 0/4 for the first of four); got '${text}'`);
  }
  return { index, count };
}

/** Checks a shard given as an object. */
export function checkShard(s: Shard): Shard {
  if (!Number.isInteger(s.count) || s.count < 1 || !Number.isInteger(s.index) || s.index < 0 || s.index >= s.count) {
    throw new GridError(`shard must have integers 0 <= index < count; got ${s.index}/${s.count}`);
  }
  return s;
}

/** The cells of one shard: those whose index is congruent to the shard index mod the shard count. */
export function shardCells<C extends Cell>(cells: readonly C[], s: Shard): C[] {
  checkShard(s);
  return cells.filter((c) => c.index % s.count === s.index);
}
