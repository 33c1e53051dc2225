/**
 * Argument checks shared by the data generators, models and metrics. Every failure is a `RangeError`
 * whose message names the function, the parameter, the allowed range and the value received.
 */

/** An integer in [min, max]. */
export function checkInt(fn: string, name: string, v: number, min: number, max = Infinity): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const range = max === Infinity ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
    throw new RangeError(`${fn}: ${name} must be ${range}, got ${v}`);
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
    throw new RangeError(`${fn}: ${name} must be a finite number in ${left}, ${right}, got ${v}`);
  }
}

/** Every entry finite. */
export function checkFiniteArray(fn: string, name: string, v: ArrayLike<number>): void {
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) throw new RangeError(`${fn}: ${name}[${i}] must be finite, got ${v[i]}`);
  }
}

export function checkLength(fn: string, name: string, v: ArrayLike<number>, len: number): void {
  if (v.length !== len) throw new RangeError(`${fn}: ${name} must have length ${len}, got ${v.length}`);
}
