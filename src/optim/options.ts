/**
 * Option handling shared by the whole family: defaults, unknown names refused, ranges checked. Every
 * error names the optimizer, the option and the allowed range.
 */
export type OptionValue = number | string | boolean;

/** Specification of one option: its type, default (absent = optional) and allowed range or values. */
export type OptionSpec =
  | { kind: 'number'; default?: number; min: number; max: number; minOpen: boolean; maxOpen: boolean; integer: boolean }
  | { kind: 'boolean'; default?: boolean }
  | { kind: 'enum'; values: readonly string[]; default?: string };
export type OptionSpecs = Record<string, OptionSpec>;

/**
 * A finite number in an interval. `min`/`max` default to ∓∞; `minOpen`/`maxOpen` exclude the ends.
 * `def` undefined makes the option optional (absent from the resolved options unless given).
 */
export function num(
  def: number | undefined, min = -Infinity, max = Infinity,
  flags: { minOpen?: boolean; maxOpen?: boolean; integer?: boolean } = {},
): OptionSpec {
  return { kind: 'number', default: def, min, max, minOpen: !!flags.minOpen, maxOpen: !!flags.maxOpen, integer: !!flags.integer };
}
/** true or false. */
export const bool = (def?: boolean): OptionSpec => ({ kind: 'boolean', default: def });
/** One of a list of strings. */
export const oneOf = (values: readonly string[], def?: string): OptionSpec => ({ kind: 'enum', values, default: def });

/** Human-readable allowed range, e.g. "a number in [0, 1)". */
export function describeOption(s: OptionSpec): string {
  if (s.kind === 'boolean') return 'true or false';
  if (s.kind === 'enum') return `one of ${s.values.map((v) => `'${v}'`).join(', ')}`;
  const lo = s.min === -Infinity ? '(-∞' : `${s.minOpen ? '(' : '['}${s.min}`;
  const hi = s.max === Infinity ? '∞)' : `${s.max}${s.maxOpen ? ')' : ']'}`;
  return `${s.integer ? 'an integer' : 'a finite number'} in ${lo}, ${hi}`;
}

function valid(s: OptionSpec, v: unknown): boolean {
  if (s.kind === 'boolean') return typeof v === 'boolean';
  if (s.kind === 'enum') return typeof v === 'string' && s.values.includes(v);
  if (typeof v !== 'number' || !Number.isFinite(v)) return false; // NaN and ±∞ are never allowed
  if (s.integer && !Number.isInteger(v)) return false;
  if (s.minOpen ? v <= s.min : v < s.min) return false;
  if (s.maxOpen ? v >= s.max : v > s.max) return false;
  return true;
}

/**
 * The options object given at the public entry (`makeOptimizer`): a plain object, none of whose keys
 * is `undefined`. `{leftFactor: undefined}` passed to a variant such as 'kfac-input' would otherwise
 * override the variant's own setting with "absent" and silently give the base method. (Inside the
 * family, `validateOptions` keeps treating `undefined` as absent, for internal pass-through.)
 */
export function checkGivenOptions(owner: string, given: unknown, specs?: OptionSpecs): void {
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new RangeError(`${owner}: options must be an object, got ${Array.isArray(given) ? 'an array' : String(given)}`);
  }
  for (const [key, v] of Object.entries(given)) {
    if (v === undefined) {
      const allowed = specs && Object.prototype.hasOwnProperty.call(specs, key) ? ` (${describeOption(specs[key])})` : '';
      throw new RangeError(`${owner}: option '${key}' is undefined; give it a value${allowed} or leave it out for its default`);
    }
  }
}

/**
 * Apply defaults and check every option. Keys whose value is `undefined` count as absent (the public
 * entry `makeOptimizer` refuses them first, with `checkGivenOptions`).
 * Throws `RangeError` for an unknown name or a value outside its range; the message names `owner`,
 * the option and the allowed range. Returns a frozen object holding the options in force.
 */
export function validateOptions<T>(owner: string, given: object | undefined, specs: OptionSpecs): T {
  const g = (given ?? {}) as Record<string, unknown>;
  if (typeof g !== 'object' || g === null || Array.isArray(g)) throw new RangeError(`${owner}: options must be an object, got ${Array.isArray(g) ? 'an array' : typeof g}`);
  for (const key of Object.keys(g)) {
    if (g[key] !== undefined && !Object.prototype.hasOwnProperty.call(specs, key)) {
      throw new RangeError(`${owner}: unknown option '${key}'; known options: ${Object.keys(specs).join(', ')}`);
    }
  }
  const out: Record<string, OptionValue> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const v = g[key] === undefined ? spec.default : g[key];
    if (v === undefined) continue;
    if (!valid(spec, v)) {
      const shown = typeof v === 'number' ? String(v) : JSON.stringify(v);
      throw new RangeError(`${owner}: option '${key}' must be ${describeOption(spec)}, got ${shown}`);
    }
    out[key] = v as OptionValue;
  }
  return Object.freeze(out) as T;
}

