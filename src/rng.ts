/**
 * Seeded randomness. Every draw in the library comes from an `Rng` built from a caller's seed.
 *
 * Generator: xoshiro128** (Blackman & Vigna), 32-bit state words, seeded through splitmix32.
 * Normals: Marsaglia & Tsang's ziggurat (128 layers) on 32-bit draws, as fast as a uniform draw
 * most of the time. `fork(label)` derives an independent stream from the seed and a label, so that a
 * sweep's cells get seeds that do not depend on the order in which they run.
 */
import { Mat } from './mat.js';
import { wasm64, type Wasm64 } from './wasm64.js';

function splitmix32(state: number): [number, number] {
  state = (state + 0x9e3779b9) | 0;
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [(z ^ (z >>> 16)) >>> 0, state];
}

/** 32-bit FNV-1a hash of a string, for deriving seeds from labels. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

// Ziggurat tables (Marsaglia & Tsang 2000, 128 layers).
const KN = new Uint32Array(128), WN = new Float64Array(128), FN = new Float64Array(128);
(() => {
  const m1 = 2147483648.0, vn = 9.91256303526217e-3;
  let dn = 3.442619855899, tn = dn;
  const q = vn / Math.exp(-0.5 * dn * dn);
  KN[0] = Math.floor((dn / q) * m1); KN[1] = 0;
  WN[0] = q / m1; WN[127] = dn / m1;
  FN[0] = 1.0; FN[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(vn / dn + Math.exp(-0.5 * dn * dn)));
    KN[i + 1] = Math.floor((dn / tn) * m1);
    tn = dn;
    FN[i] = Math.exp(-0.5 * dn * dn);
    WN[i] = dn / m1;
  }
})();
const ZIG_R = 3.442619855899;
/** Draws from which `fillNormal` runs in WebAssembly (below, the call costs more than it saves). */
const ZIG_WASM_MIN = 64;
/** Draws per pass through the module's memory (512 KiB of float64). */
const ZIG_CHUNK = 1 << 16;
/** Byte offsets in the module's memory: state and hz at 0, KN, WN, the output chunk. */
const ZIG_KN = 64, ZIG_WN = 576, ZIG_FN = 1600, ZIG_OUT = 4096;
/** The lowest byte offset `Rng.fillNormalAt` may write to: the ziggurat's state and tables lie below. */
export const NORMALS_AT = ZIG_OUT;
/** What `Rng.fillNormalAt` needs of a kernel module: its ziggurat and its memory. */
export type NormalsModule = Pick<Wasm64, 'zigFill' | 'memory' | 'f64' | 'reserve'>;
/**
 * The relative margin by which the two sides of a wedge test must differ for WebAssembly to decide it
 * (Math.exp and the module's exponential are each within 1 ulp of e^x; 1e-12 leaves a factor of 4500).
 */
const WEDGE_GUARD = 1e-12;
let wedgeGuard = WEDGE_GUARD;
/** For tests: a larger guard (∞: every wedge test goes to JavaScript) exercises the hand-back path; `undefined` restores the default. */
export function setWedgeGuardForTests(guard?: number): void { wedgeGuard = guard ?? WEDGE_GUARD; }

/**
 * Seeds. A seed is an integer in [0, 2⁵³ − 1] (`Number.MAX_SAFE_INTEGER`); anything else (negative,
 * fractional, NaN, ±∞, a string, 1e300) is refused with a RangeError naming `seed`, because JavaScript's
 * 32-bit conversions would otherwise fold it silently onto another seed (−1 onto 0, 1e300 onto 0).
 *
 * The generator's 128-bit state is expanded (splitmix32) from one 32-bit word, w = (seed mod 2³²) XOR
 * ⌊seed / 2³²⌋. Every seed in [0, 2³² − 1] therefore gives its own stream. Seeds of 2³² and above are the
 * 53-bit seeds the sweep runner derives for its cells and `fork` derives for sub-streams: they share the
 * 2³² streams (2³² gives the stream of 1, as documented; two derived seeds meet with probability 2⁻³² per
 * pair), while the full seed still labels their forks. Making every 53-bit seed distinct would change the
 * stream of every cached sweep cell, so it is documented here instead: choose seeds below 2³² to get
 * distinct streams.
 */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

export class Rng {
  private a: number; private b: number; private c: number; private d: number;
  readonly seed: number;
  constructor(seed: number) {
    if (typeof seed !== 'number' || !Number.isFinite(seed) || !Number.isInteger(seed)) {
      throw new RangeError(`seed must be a finite integer in [0, 2^53 - 1], got ${typeof seed === 'string' ? JSON.stringify(seed) : String(seed)}`);
    }
    if (seed < 0 || seed > MAX_SEED) throw new RangeError(`seed must be an integer in [0, 2^53 - 1] (Number.MAX_SAFE_INTEGER), got ${seed}`);
    this.seed = seed;
    let s = (seed >>> 0) ^ Math.floor(seed / 4294967296);
    let w: number;
    [w, s] = splitmix32(s); this.a = w;
    [w, s] = splitmix32(s); this.b = w;
    [w, s] = splitmix32(s); this.c = w;
    [w, s] = splitmix32(s); this.d = w;
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }
  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const r = Math.imul(((Math.imul(this.b, 5) << 7) | (Math.imul(this.b, 5) >>> 25)), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a; this.d ^= this.b; this.b ^= this.c; this.a ^= this.d;
    this.c ^= t;
    this.d = (this.d << 11) | (this.d >>> 21);
    return r;
  }
  /** Uniform on [0, 1) with 53 random bits. */
  uniform(): number {
    return ((this.nextU32() >>> 5) * 67108864 + (this.nextU32() >>> 6)) / 9007199254740992;
  }
  /** Integer uniform on [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`int: n must be a positive integer, got ${n}`);
    return Math.floor(this.uniform() * n);
  }
  /** Standard normal draw (ziggurat). */
  normal(): number {
    for (;;) {
      const hz = this.nextU32() | 0;
      const iz = hz & 127;
      if (Math.abs(hz) < KN[iz]) return hz * WN[iz];
      const x = this.normalTail(hz, iz);
      if (x === x) return x;
    }
  }
  /**
   * Fill with standard normals: the numbers of `out.length` calls of `normal()`, bit for bit. From
   * `ZIG_WASM_MIN` draws on, the ziggurat runs in WebAssembly (`zigFill`, asm/kernels.ts) in chunks of
   * the module's memory: the fast path (about 99 % of draws: the generator and a table look-up) and the
   * wedge tests that an exponential decides whatever its last-ulp rounding; the few draws it cannot
   * decide (the base layer's tail, which needs Math.log; a wedge test too close to call) finish here in
   * `normalTail`. Elsewhere (no WebAssembly SIMD, kernels turned off, short fills) the same loop runs in
   * JavaScript (`fillNormalJs`).
   */
  fillNormal(out: Float64Array): Float64Array {
    const w = out.length >= ZIG_WASM_MIN ? wasm64() : null;
    return w ? this.fillNormalWasm(w, out) : this.fillNormalJs(out);
  }
  private fillNormalWasm(w: Wasm64, out: Float64Array): Float64Array {
    const total = out.length, chunk = total < ZIG_CHUNK ? total : ZIG_CHUNK;
    for (let s = 0; s < total; s += chunk) {
      const len = total - s < chunk ? total - s : chunk;
      this.fillNormalModule(w, ZIG_OUT, len);
      out.set(w.f64().subarray(ZIG_OUT / 8, ZIG_OUT / 8 + len), s);
    }
    return out;
  }
  /**
   * `count` standard normals written as float64 into a kernel module's memory at byte offset `at`
   * (at least `NORMALS_AT`: the ziggurat's state and tables lie below), the numbers of `fillNormal` on
   * an array of `count` entries, bit for bit. For a product whose left operand is the draws
   * (`inputSampler`): the module then reads them where they are, with no copy out and back.
   */
  fillNormalAt(w: NormalsModule, at: number, count: number): void {
    if (!(Number.isInteger(at) && at >= NORMALS_AT && at % 8 === 0)) throw new RangeError(`fillNormalAt: at must be a multiple of 8 from ${NORMALS_AT}, got ${at}`);
    if (!(Number.isInteger(count) && count >= 0)) throw new RangeError(`fillNormalAt: count must be an integer >= 0, got ${count}`);
    this.fillNormalModule(w, at, count);
  }
  /** The ziggurat in the module (`zigFill`) for `count` draws at byte offset `at`, with JavaScript finishing the draws it hands back. */
  private fillNormalModule(w: NormalsModule, at: number, count: number): void {
    w.reserve(at + count * 8);
    // the module's memory is scratch between calls (GEMM operands live there too): tables every call
    const buf = w.memory.buffer, I = new Int32Array(buf, 0, 5), F = w.f64(), o = at / 8;
    new Uint32Array(buf, ZIG_KN, 128).set(KN);
    F.set(WN, ZIG_WN / 8); F.set(FN, ZIG_FN / 8);
    I[0] = this.a; I[1] = this.b; I[2] = this.c; I[3] = this.d;
    for (let i = 0; ; i++) {
      i = w.zigFill(0, ZIG_KN, ZIG_WN, ZIG_FN, at, i, count, wedgeGuard);
      if (i === count) break;
      // the draw at i was handed back: the state after its hz (before any uniform) and hz are at 0 and 16
      this.a = I[0]; this.b = I[1]; this.c = I[2]; this.d = I[3];
      const hz = I[4];
      let x = this.normalTail(hz, hz & 127);
      if (x !== x) x = this.normal(); // rejected: the next draw starts over, as in normal()'s loop
      F[o + i] = x;
      I[0] = this.a; I[1] = this.b; I[2] = this.c; I[3] = this.d;
    }
    this.a = I[0]; this.b = I[1]; this.c = I[2]; this.d = I[3];
  }
  /** `fillNormal` in JavaScript: the generator's state held in locals, the fast path inlined; a draw that leaves it stores the state back and finishes in `normalTail`. */
  private fillNormalJs(out: Float64Array): Float64Array {
    let a = this.a, b = this.b, c = this.c, d = this.d;
    const n = out.length;
    for (let i = 0; i < n; i++) {
      // nextU32(), as int32: xoshiro128** output, then the state update
      const b5 = Math.imul(b, 5);
      const hz = Math.imul((b5 << 7) | (b5 >>> 25), 9);
      const t = b << 9;
      c ^= a; d ^= b; b ^= c; a ^= d;
      c ^= t;
      d = (d << 11) | (d >>> 21);
      const iz = hz & 127;
      if (Math.abs(hz) < KN[iz]) { out[i] = hz * WN[iz]; continue; }
      this.a = a; this.b = b; this.c = c; this.d = d;
      let x = this.normalTail(hz, iz);
      if (x !== x) x = this.normal(); // rejected: the next draw starts over, as in normal()'s loop
      out[i] = x;
      a = this.a; b = this.b; c = this.c; d = this.d;
    }
    this.a = a; this.b = b; this.c = c; this.d = d;
    return out;
  }
  /** The ziggurat's slow path for the 32-bit draw hz (layer iz): the normal, or NaN when rejected. */
  private normalTail(hz: number, iz: number): number {
    if (iz === 0) {
      let x: number, y: number;
      do {
        x = -Math.log(1 - this.uniform()) / ZIG_R;
        y = -Math.log(1 - this.uniform());
      } while (y + y < x * x);
      return hz > 0 ? ZIG_R + x : -ZIG_R - x;
    }
    const x = hz * WN[iz];
    return FN[iz] + this.uniform() * (FN[iz - 1] - FN[iz]) < Math.exp(-0.5 * x * x) ? x : NaN;
  }
  /** Fill with uniform signs ±1. */
  fillRademacher(out: Float64Array): Float64Array {
    let bits = 0, left = 0;
    for (let i = 0; i < out.length; i++) {
      if (left === 0) { bits = this.nextU32(); left = 32; }
      out[i] = bits & 1 ? 1 : -1; bits >>>= 1; left--;
    }
    return out;
  }
  /** r×c matrix of N(0, std²) entries. */
  normalMat(r: number, c: number, std = 1): Mat {
    const m = new Mat(r, c);
    this.fillNormal(m.data);
    if (std !== 1) for (let i = 0; i < m.data.length; i++) m.data[i] *= std;
    return m;
  }
  /** Independent stream derived from this generator's seed and a label (does not advance this one). */
  fork(label: string | number): Rng {
    const h = hashString(`${this.seed}/${label}`);
    return new Rng(h + 4294967296 * (hashString(`${label}#${this.seed}`) & 0x1fffff));
  }
  /** Random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) { const j = this.int(i + 1); const t = p[i]; p[i] = p[j]; p[j] = t; }
    return p;
  }
}
