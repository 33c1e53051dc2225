/**
 * Canonical JSON: one text per JSON value, whatever the key order of its objects.
 *
 * Object keys are sorted (by UTF-16 code units), there is no whitespace, numbers are written as
 * `JSON.stringify` writes them (the shortest text that reads back to the same double; -0 becomes 0).
 * A value JSON cannot hold exactly (NaN, ±Infinity, undefined, a function, a bigint, a symbol, a
 * typed array, a Map, a Date, a class instance, a cycle) is refused with a `JsonValueError` that names
 * where it sits, e.g. `result.loss[3] is NaN`. Browser-safe.
 */
import type { Json } from './types.js';

export class JsonValueError extends TypeError {
  readonly path: string;
  constructor(path: string, what: string) {
    super(`${path} is ${what}, which JSON cannot hold exactly (use null, a finite number, a string, a boolean, an array or a plain object)`);
    this.name = 'JsonValueError';
    this.path = path;
  }
}

function describe(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (v === undefined) return 'undefined';
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'bigint') return `a bigint (${v}n)`;
  if (typeof v === 'symbol') return 'a symbol';
  if (ArrayBuffer.isView(v)) return `a ${(v as object).constructor.name}`;
  const ctor = (v as object).constructor;
  return `a ${ctor && ctor.name ? ctor.name : 'non-plain object'}`;
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function write(v: unknown, path: string, seen: Set<object>, out: string[]): void {
  if (v === null) { out.push('null'); return; }
  switch (typeof v) {
    case 'boolean': out.push(v ? 'true' : 'false'); return;
    case 'string': out.push(JSON.stringify(v)); return;
    case 'number':
      if (!Number.isFinite(v)) throw new JsonValueError(path, describe(v));
      out.push(JSON.stringify(v)); return;
    case 'object': break;
    default: throw new JsonValueError(path, describe(v));
  }
  const o = v as object;
  if (seen.has(o)) throw new JsonValueError(path, 'a reference back to an enclosing value (a cycle)');
  if (Array.isArray(o)) {
    seen.add(o);
    out.push('[');
    for (let i = 0; i < o.length; i++) {
      if (i > 0) out.push(',');
      if (!(i in o)) throw new JsonValueError(`${path}[${i}]`, 'a hole in a sparse array');
      write(o[i], `${path}[${i}]`, seen, out);
    }
    out.push(']');
    seen.delete(o);
    return;
  }
  if (!isPlainObject(o)) throw new JsonValueError(path, describe(o));
  seen.add(o);
  const keys = Object.keys(o).sort();
  out.push('{');
  keys.forEach((k, i) => {
    if (i > 0) out.push(',');
    out.push(JSON.stringify(k), ':');
    const child = /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`;
    write((o as Record<string, unknown>)[k], child, seen, out);
  });
  out.push('}');
  seen.delete(o);
}

/** Canonical JSON text of `value`; throws `JsonValueError` (naming `path`) for anything not JSON. */
export function canonicalJson(value: unknown, path = 'value'): string {
  const out: string[] = [];
  write(value, path, new Set(), out);
  return out.join('');
}

/** Checks that `value` is JSON (throws `JsonValueError` otherwise) and narrows its type. */
export function assertJson(value: unknown, path = 'value'): asserts value is Json {
  canonicalJson(value, path);
}
