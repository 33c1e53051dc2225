/**
 * Option handling shared by the model-aware optimizers: defaults, unknown names refused, ranges checked.
 * Every error names the optimizer, the option and the allowed range.
 */
export type OptionValue = number | string | boolean;
export interface OptionSpec {
  default: OptionValue;
  /** For numbers: allowed closed/open interval, e.g. { min: 0, minOpen: true } for (0, ∞). */
  min?: number; max?: number; minOpen?: boolean; maxOpen?: boolean; integer?: boolean;
  /** For strings: the allowed values. */
  oneOf?: readonly string[];
  doc: string;
}
export type Specs = Record<string, OptionSpec>;

function describe(s: OptionSpec): string {
  if (s.oneOf) return `one of ${s.oneOf.map((v) => `'${v}'`).join(', ')}`;
  if (typeof s.default === 'boolean') return 'true or false';
  const lo = s.min === undefined ? '(-∞' : `${s.minOpen ? '(' : '['}${s.min}`;
  const hi = s.max === undefined ? '∞)' : `${s.max}${s.maxOpen ? ')' : ']'}`;
  return `${s.integer ? 'an integer' : 'a number'} in ${lo}, ${hi}`;
}

/** Merge user options over defaults; throw RangeError on unknown names, wrong types or out-of-range values. */
export function resolveOptions<T extends Record<string, OptionValue>>(
  optimizer: string, specs: Specs, given: Record<string, unknown> = {},
): T {
  const out: Record<string, OptionValue> = {};
  for (const key of Object.keys(given)) {
    if (!(key in specs)) {
      throw new RangeError(`${optimizer}: unknown option '${key}'; allowed options: ${Object.keys(specs).join(', ')}`);
    }
  }
  for (const [key, spec] of Object.entries(specs)) {
    const v = given[key] === undefined ? spec.default : given[key];
    const bad = () => new RangeError(`${optimizer}: option '${key}' must be ${describe(spec)}; got ${JSON.stringify(v)}`);
    if (typeof spec.default === 'number') {
      if (typeof v !== 'number' || Number.isNaN(v)) throw bad();
      if (spec.integer && !Number.isInteger(v)) throw bad();
      if (spec.min !== undefined && (spec.minOpen ? v <= spec.min : v < spec.min)) throw bad();
      if (spec.max !== undefined && (spec.maxOpen ? v >= spec.max : v > spec.max)) throw bad();
    } else if (typeof spec.default === 'string') {
      if (typeof v !== 'string' || (spec.oneOf && !spec.oneOf.includes(v))) throw bad();
    } else if (typeof v !== 'boolean') throw bad();
    out[key] = v as OptionValue;
  }
  return Object.freeze(out) as T;
}
