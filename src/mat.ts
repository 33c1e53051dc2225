/**
 * Dense row-major float64 matrices: the one array type of the library.
 *
 * Storage and every entry-wise operation are float64 in plain JavaScript. Matrix products go through
 * the active engine of `backend.ts`: a tfjs backend (float32 arithmetic, used for products above a
 * small size) or the pure float64 `js64` engine. Factor inverses and roots (`linalg.ts`) are always float64.
 */
import { engineMatmul } from './backend.js';

export class Mat {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
  constructor(rows: number, cols: number, data?: Float64Array) {
    if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`Mat: rows must be an integer >= 0, got ${rows}`);
    if (!Number.isInteger(cols) || cols < 0) throw new RangeError(`Mat: cols must be an integer >= 0, got ${cols}`);
    if (data && data.length !== rows * cols) {
      throw new RangeError(`Mat: data has length ${data.length}, expected rows*cols = ${rows * cols}`);
    }
    this.rows = rows;
    this.cols = cols;
    this.data = data ?? new Float64Array(rows * cols);
  }
  get(i: number, j: number): number { return this.data[i * this.cols + j]; }
  set(i: number, j: number, v: number): void { this.data[i * this.cols + j] = v; }
  get shape(): [number, number] { return [this.rows, this.cols]; }
  clone(): Mat { return new Mat(this.rows, this.cols, this.data.slice()); }
  /** Nested arrays, for printing and tests. */
  toArray(): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < this.rows; i++) out.push(Array.from(this.data.subarray(i * this.cols, (i + 1) * this.cols)));
    return out;
  }
  toString(): string { return `Mat(${this.rows}x${this.cols})`; }
}

export const zeros = (r: number, c: number): Mat => new Mat(r, c);
export function eye(n: number, scale = 1): Mat {
  const m = new Mat(n, n);
  for (let i = 0; i < n; i++) m.data[i * n + i] = scale;
  return m;
}
export function fromArray(rows: ArrayLike<ArrayLike<number>>): Mat {
  const r = rows.length, c = r ? rows[0].length : 0;
  const m = new Mat(r, c);
  for (let i = 0; i < r; i++) {
    if (rows[i].length !== c) throw new RangeError(`fromArray: row ${i} has ${rows[i].length} entries, expected ${c}`);
    for (let j = 0; j < c; j++) m.data[i * c + j] = rows[i][j];
  }
  return m;
}
export function diag(v: ArrayLike<number>): Mat {
  const n = v.length, m = new Mat(n, n);
  for (let i = 0; i < n; i++) m.data[i * n + i] = v[i];
  return m;
}
export function diagOf(a: Mat): Float64Array {
  const n = Math.min(a.rows, a.cols), out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = a.data[i * a.cols + i];
  return out;
}
export function transpose(a: Mat): Mat {
  const { rows: r, cols: c, data } = a, out = new Mat(c, r), o = out.data;
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) o[j * r + i] = data[i * c + j];
  return out;
}

function sameShape(a: Mat, b: Mat, op: string): void {
  if (a.rows !== b.rows || a.cols !== b.cols) {
    throw new RangeError(`${op}: shapes ${a.rows}x${a.cols} and ${b.rows}x${b.cols} differ`);
  }
}
export function add(a: Mat, b: Mat): Mat {
  sameShape(a, b, 'add');
  const out = new Mat(a.rows, a.cols), o = out.data, x = a.data, y = b.data;
  for (let i = 0; i < o.length; i++) o[i] = x[i] + y[i];
  return out;
}
export function sub(a: Mat, b: Mat): Mat {
  sameShape(a, b, 'sub');
  const out = new Mat(a.rows, a.cols), o = out.data, x = a.data, y = b.data;
  for (let i = 0; i < o.length; i++) o[i] = x[i] - y[i];
  return out;
}
export function scale(a: Mat, s: number): Mat {
  const out = new Mat(a.rows, a.cols), o = out.data, x = a.data;
  for (let i = 0; i < o.length; i++) o[i] = s * x[i];
  return out;
}
/** a·x + y, a fresh matrix. */
export function axpy(alpha: number, x: Mat, y: Mat): Mat {
  sameShape(x, y, 'axpy');
  const out = new Mat(y.rows, y.cols), o = out.data, xd = x.data, yd = y.data;
  for (let i = 0; i < o.length; i++) o[i] = alpha * xd[i] + yd[i];
  return out;
}
export function hadamard(a: Mat, b: Mat): Mat {
  sameShape(a, b, 'hadamard');
  const out = new Mat(a.rows, a.cols), o = out.data, x = a.data, y = b.data;
  for (let i = 0; i < o.length; i++) o[i] = x[i] * y[i];
  return out;
}
export function map(a: Mat, f: (v: number, idx: number) => number): Mat {
  const out = new Mat(a.rows, a.cols), o = out.data, x = a.data;
  for (let i = 0; i < o.length; i++) o[i] = f(x[i], i);
  return out;
}
/** A + s·I (square A). */
export function addDiag(a: Mat, s: number): Mat {
  if (a.rows !== a.cols) throw new RangeError(`addDiag: matrix must be square, got ${a.rows}x${a.cols}`);
  const out = a.clone();
  for (let i = 0; i < a.rows; i++) out.data[i * a.cols + i] += s;
  return out;
}
export function frob(a: Mat): number {
  let s = 0;
  const x = a.data; // indexed loops: for-of over a typed array measured ~3x slower
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s);
}
export function trace(a: Mat): number {
  let s = 0;
  for (let i = 0; i < Math.min(a.rows, a.cols); i++) s += a.data[i * a.cols + i];
  return s;
}
export function maxAbs(a: Mat): number {
  let m = 0;
  const x = a.data;
  for (let i = 0; i < x.length; i++) { const w = Math.abs(x[i]); if (w > m || Number.isNaN(w)) m = w; }
  return m;
}
export function isFinite(a: Mat): boolean {
  const x = a.data;
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return false;
  return true;
}
/** (A + Aᵀ)/2, to remove round-off asymmetry before a symmetric factorisation. */
export function symmetrize(a: Mat): Mat {
  const n = a.rows, out = new Mat(n, n), d = a.data, o = out.data;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) o[i * n + j] = 0.5 * (d[i * n + j] + d[j * n + i]);
  return out;
}
/** Rows [r0, r1) and columns [c0, c1). */
export function slice(a: Mat, r0: number, r1: number, c0 = 0, c1 = a.cols): Mat {
  const out = new Mat(r1 - r0, c1 - c0);
  for (let i = r0; i < r1; i++) out.data.set(a.data.subarray(i * a.cols + c0, i * a.cols + c1), (i - r0) * out.cols);
  return out;
}
export function vstack(a: Mat, b: Mat): Mat {
  if (a.cols !== b.cols) throw new RangeError(`vstack: column counts ${a.cols} and ${b.cols} differ`);
  const out = new Mat(a.rows + b.rows, a.cols);
  out.data.set(a.data, 0);
  out.data.set(b.data, a.data.length);
  return out;
}

/**
 * `out`: an m×n matrix the product is written into (and returned), e.g. a workspace a loop reuses; it
 * must not share memory with A or B. The values are the same as without it.
 */
export interface MatmulOpts { transA?: boolean; transB?: boolean; out?: Mat }
/** op(A)·op(B), op = transpose when the flag is set. Dispatched to the active engine. */
export function matmul(a: Mat, b: Mat, opts: MatmulOpts = {}): Mat {
  const ta = !!opts.transA, tb = !!opts.transB;
  const m = ta ? a.cols : a.rows, ka = ta ? a.rows : a.cols;
  const kb = tb ? b.cols : b.rows, n = tb ? b.rows : b.cols;
  if (ka !== kb) {
    throw new RangeError(`matmul: inner dimensions differ (${ta ? 'Aᵀ' : 'A'} is ${m}x${ka}, ${tb ? 'Bᵀ' : 'B'} is ${kb}x${n})`);
  }
  const out = opts.out;
  if (out === undefined) return new Mat(m, n, engineMatmul(a.data, a.rows, a.cols, ta, b.data, b.rows, b.cols, tb, m, ka, n));
  if (!(out instanceof Mat) || out.rows !== m || out.cols !== n) {
    throw new RangeError(`matmul: out must be a ${m}x${n} Mat (the shape of the product), got ${out instanceof Mat ? `${out.rows}x${out.cols}` : typeof out}`);
  }
  if (overlaps(out.data, a.data) || overlaps(out.data, b.data)) throw new RangeError('matmul: out must not share memory with A or B');
  engineMatmul(a.data, a.rows, a.cols, ta, b.data, b.rows, b.cols, tb, m, ka, n, out.data);
  return out;
}
/** Whether two arrays view overlapping bytes of one buffer. */
function overlaps(x: Float64Array, y: Float64Array): boolean {
  return x.buffer === y.buffer && x.byteOffset < y.byteOffset + y.byteLength && y.byteOffset < x.byteOffset + x.byteLength;
}
/** Shorthands: AᵀB and ABᵀ. */
export const matmulTN = (a: Mat, b: Mat): Mat => matmul(a, b, { transA: true });
export const matmulNT = (a: Mat, b: Mat): Mat => matmul(a, b, { transB: true });


/** s·XᵀX (e.g. the second moment Σ̂ = XᵀX/n with s = 1/n), symmetrised against round-off. */
export function gram(x: Mat, s = 1): Mat {
  const g = matmulTN(x, x);
  const n = g.rows, d = g.data;
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v = 0.5 * s * (d[i * n + j] + d[j * n + i]);
      d[i * n + j] = v; d[j * n + i] = v;
    }
  }
  return g;
}
