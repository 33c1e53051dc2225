/**
 * Save and restore an optimizer's state (as tfjs's `getWeights`/`setWeights`), so that a run can be
 * checkpointed and continued bit for bit.
 *
 * Every state of the family is plain data: matrices (`Mat`), `Float64Array`s, numbers, booleans,
 * strings, null, arrays and plain objects. `saveState` writes it as JSON text in which each matrix and
 * each float64 array is the base64 of its bytes (so every bit survives, −0 and NaN included) and each
 * number that JSON cannot carry exactly (NaN, ±∞, −0) is tagged; `restoreState` reads it back.
 * Browser-safe (no Node APIs).
 */
import { Mat } from '../mat.js';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function toBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i], b = bytes[i + 1] ?? 0, c = bytes[i + 2] ?? 0, n = (a << 16) | (b << 8) | c;
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63];
    out += i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.length ? B64[n & 63] : '=';
  }
  return out;
}

function fromBase64(s: string): Uint8Array {
  const clean = s.replace(/=+$/, ''), out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0, acc = 0, j = 0;
  for (const ch of clean) {
    const v = B64.indexOf(ch);
    if (v < 0) throw new RangeError(`restoreState: invalid base64 character '${ch}'`);
    acc = (acc << 6) | v; bits += 6;
    if (bits >= 8) { bits -= 8; out[j++] = (acc >> bits) & 255; }
  }
  return out;
}

const f64ToB64 = (a: Float64Array): string => toBase64(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
function b64ToF64(s: string, length: number): Float64Array {
  const bytes = fromBase64(s);
  if (bytes.length !== length * 8) throw new RangeError(`restoreState: expected ${length} float64 values, got ${bytes.length} bytes`);
  return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

function encode(x: unknown, path: string): unknown {
  if (x === null || typeof x === 'boolean' || typeof x === 'string') return x;
  if (typeof x === 'number') {
    if (Number.isFinite(x) && !Object.is(x, -0)) return x;
    return { $num: Object.is(x, -0) ? '-0' : String(x) };
  }
  if (x instanceof Mat) return { $mat: [x.rows, x.cols, f64ToB64(x.data)] };
  if (x instanceof Float64Array) return { $f64: [x.length, f64ToB64(x)] };
  if (Array.isArray(x)) return x.map((v, i) => encode(v, `${path}[${i}]`));
  if (typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x as Record<string, unknown>)) {
      if (k.startsWith('$')) throw new RangeError(`saveState: key '${k}' at ${path} is reserved (starts with '$')`);
      if (v !== undefined) out[k] = encode(v, `${path}.${k}`);
    }
    return out;
  }
  throw new RangeError(`saveState: cannot save ${Object.prototype.toString.call(x)} at ${path}; states hold matrices, Float64Arrays, numbers, booleans, strings, null, arrays and plain objects`);
}

function decode(x: unknown): unknown {
  if (x === null || typeof x !== 'object') return x;
  if (Array.isArray(x)) return x.map(decode);
  const o = x as Record<string, unknown>;
  if ('$mat' in o) {
    const [rows, cols, data] = o.$mat as [number, number, string];
    return new Mat(rows, cols, b64ToF64(data, rows * cols));
  }
  if ('$f64' in o) {
    const [length, data] = o.$f64 as [number, string];
    return b64ToF64(data, length);
  }
  if ('$num' in o) return o.$num === '-0' ? -0 : Number(o.$num);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = decode(v);
  return out;
}

/** The state as JSON text, every float64 bit kept. */
export function saveState(state: unknown): string {
  return JSON.stringify({ format: 'layerwise-precond/optimizer-state', version: 1, state: encode(state, 'state') });
}

/** The state saved by `saveState`; continuing a run from it is bit-identical to never having stopped. */
export function restoreState<S = unknown>(text: string): S {
  const parsed = JSON.parse(text) as { format?: string; version?: number; state?: unknown };
  if (parsed.format !== 'layerwise-precond/optimizer-state' || parsed.version !== 1) {
    throw new RangeError(`restoreState: not an optimizer state (format ${JSON.stringify(parsed.format)}, version ${JSON.stringify(parsed.version)})`);
  }
  return decode(parsed.state) as S;
}
