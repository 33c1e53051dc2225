/**
 * Argument checks shared by every layer of the library (data generators, models, metrics, optimizers,
 * experiment grids). Every failure is a `RangeError` whose message names the function, the parameter
 * (or the option key), the allowed range or values, and the value received. Browser-safe.
 *
 * `checkKeys` is the one check of an options object: a key that is not declared (a misspelling such
 * as `rotaton`) is refused, naming the key and the allowed keys, so that no option is silently dropped.
 * A declared key given as `undefined` counts as absent (TypeScript's optional property), as in the
 * optimizers' `validateOptions`.
 */

/** Largest dimension of a dense d×d matrix the generators build (d² float64 entries ≈ 1 GiB at 11585). */
export const MAX_DIM = 8192;

/** A value as shown in an error message (strings quoted, numbers as JavaScript prints them). */
export function showValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === undefined || v === null || typeof v === 'bigint') return String(v);
  if (typeof v === 'function') return 'a function';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return `an object`;
}

/**
 * `opts` must be a plain object (or undefined when `optional`) whose keys are all in `allowed`.
 * Returns the object (or {} for an absent optional one).
 */
export function checkKeys<T extends object>(fn: string, what: string, opts: T | undefined, allowed: readonly string[], optional = false): T {
  if (opts === undefined && optional) return {} as T;
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    throw new RangeError(`${fn}: ${what} must be an object with keys ${allowed.join(', ')}; got ${showValue(opts)}`);
  }
  const label = (key: string) => (what === 'options' ? `option '${key}'` : `${what}.${key}`);
  for (const key of Object.keys(opts)) {
    if (!allowed.includes(key)) throw new RangeError(`${fn}: unknown ${label(key)}; allowed keys: ${allowed.join(', ')}`);
  }
  return opts;
}

/** One of a list of strings. */
export function checkOneOf<T extends string>(fn: string, name: string, v: unknown, values: readonly T[]): T {
  if (typeof v !== 'string' || !values.includes(v as T)) {
    const q = values.map((x) => `'${x}'`);
    const allowed = q.length === 1 ? q[0] : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
    throw new RangeError(`${fn}: ${name} must be ${allowed}, got ${showValue(v)}`);
  }
  return v as T;
}

/** true or false. */
export function checkBool(fn: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new RangeError(`${fn}: ${name} must be true or false, got ${showValue(v)}`);
  return v;
}

/** A dimension: an integer in [min, MAX_DIM] (or a smaller `max`). */
export function checkDim(fn: string, name: string, v: number, min = 1, max = MAX_DIM): void {
  checkInt(fn, name, v, min);
  checkAtMost(fn, name, v, max);
}

/** An integer already checked against its lower bound is at most `max` (sizes whose arrays would not fit). */
export function checkAtMost(fn: string, name: string, v: number, max: number, why = 'larger arrays than this library builds'): void {
  if (v > max) throw new RangeError(`${fn}: ${name} must be at most ${max} (${why}), got ${v}`);
}

/** An integer in [min, max]. */
export function checkInt(fn: string, name: string, v: number, min: number, max = Infinity): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const range = max === Infinity ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
    throw new RangeError(`${fn}: ${name} must be ${range}, got ${showValue(v)}`);
  }
}

export interface RealRange {
  min?: number; max?: number;
  /** Exclude the end points (default: both included). */
  minOpen?: boolean; maxOpen?: boolean;
}

/** A finite real number (never NaN) in the stated range. */
export function checkReal(fn: string, name: string, v: number, r: RealRange = {}): void {
  const lo = r.min ?? -Infinity, hi = r.max ?? Infinity;
  const ok = typeof v === 'number' && Number.isFinite(v)
    && (r.minOpen ? v > lo : v >= lo) && (r.maxOpen ? v < hi : v <= hi);
  if (!ok) {
    const left = lo === -Infinity ? '(-inf' : `${r.minOpen ? '(' : '['}${lo}`;
    const right = hi === Infinity ? 'inf)' : `${hi}${r.maxOpen ? ')' : ']'}`;
    throw new RangeError(`${fn}: ${name} must be a finite number in ${left}, ${right}, got ${showValue(v)}`);
  }
}

/** Every entry finite. */
export function checkFiniteArray(fn: string, name: string, v: ArrayLike<number>): void {
  for (let i = 0; i < v.length; i++) {
    if (typeof v[i] !== 'number' || !Number.isFinite(v[i])) throw new RangeError(`${fn}: ${name}[${i}] must be finite, got ${showValue(v[i])}`);
  }
}

export function checkLength(fn: string, name: string, v: ArrayLike<number>, len: number): void {
  if (v.length !== len) throw new RangeError(`${fn}: ${name} must have length ${len}, got ${v.length}`);
}
