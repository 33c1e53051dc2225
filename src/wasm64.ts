/**
 * The library's WebAssembly kernels: AssemblyScript sources in asm/kernels.ts, compiled by
 * `npm run build:wasm` (and by the `prepare` script at `npm ci`) into the gitignored module
 * src/generated/kernels-wasm.ts, which holds the module's bytes. No Node-only API: WebAssembly exists in
 * browsers and Node alike.
 *
 * The float64 kernels are *element-wise* in their SIMD lanes: a lane performs exactly the IEEE
 * operations, in exactly the order, of the scalar JavaScript it replaces (core WebAssembly SIMD has no
 * fused multiply-add and never reassociates), so results are bit-for-bit those of the JavaScript code.
 * The lanes only let two independent outputs advance together.
 *
 * `wasm64()` returns null where WebAssembly SIMD is unavailable (or compilation fails); callers then
 * use their JavaScript loops. It is the build compiled with relaxed SIMD where `WebAssembly.validate`
 * accepts it (Chromium, Node 22; Node 20 once `enableRelaxedSimd` in src/node/backend.ts has set V8's flag),
 * else the core one: the float64 kernels are the same code in both, except the GEMM's fused twins
 * (`gemm64f`, `gemm64sf`), which kernels.ts runs only on operands that are all float32 values, where they
 * give the unfused kernel's bits (asm/kernels.ts, MADD64T). `wasm32()` gives the float32 GEMM, in the module compiled with relaxed SIMD
 * (`f32x4.relaxed_madd`) where `WebAssembly.validate` accepts it and relaxed SIMD is not turned off.
 */
// If this import fails, the generated module is missing: build it with `npm run build:wasm`.
import {
  KERNELS_RELAXED_SHARED_WASM, KERNELS_RELAXED_WASM, KERNELS_SHARED_MAX_PAGES, KERNELS_SHARED_WASM, KERNELS_WASM,
} from './generated/kernels-wasm.js';

type Fn = (...args: number[]) => void;

/** Register tile of the float64 GEMM (rows × columns of C per micro-kernel call). */
export const MR64 = 4, NR64 = 4;
/** Register tile of the float32 GEMM. */
export const MR32 = 4, NR32 = 8;

export interface Wasm64 {
  /** The module's memory (its own, or the shared one of `useSharedKernels`). */
  memory: WebAssembly.Memory;
  /** Float64 view of the module's memory (re-fetch after `reserve`, which may replace it). */
  f64(): Float64Array;
  /** Float32 view of the same memory. */
  f32(): Float32Array;
  /** Make the memory at least `bytes` long. */
  reserve(bytes: number): void;
  gemm4x4(a: number, b: number, c: number, mt: number, nt: number, kc: number, ldc: number, sym: number): void;
  /** Panels k0 ≤ k < k1 of 8 right-hand sides solved against L Lᵀ (L at l, Lᵀ at u, byte offsets); see asm/kernels.ts. */
  llt8(l: number, u: number, panels: number, k0: number, k1: number, n: number): void;
  /** tql2's implicit-QL iteration on (d, e), its rotations recorded (at most cap) for rotSweeps, resumable from st; see asm/kernels.ts. */
  ql(d: number, e: number, n: number, coef: number, sw: number, cap: number, st: number): number;
  /** Recorded QL sweeps (i32 pairs l, m at sw; their (c, s) pairs at coef) applied to the column vectors [v0, v1) of V; see asm/kernels.ts. */
  rotSweeps(v: number, coef: number, sw: number, nsw: number, ld: number, v0: number, v1: number): void;
  /** JAMA tred2 on V at v (row stride ld doubles), d, e and two scratch vectors (byte offsets); acc = 0: the reduction only; see asm/kernels.ts. */
  tred2(v: number, d: number, e: number, x: number, g: number, n: number, ld: number, acc: number): void;
  /** Y·Q (up = 0) or Y·Qᵀ (up = 1) for tred2's reflectors (u packed, h), Y stored transposed (m columns, row stride st bytes), scratch s; see asm/kernels.ts. */
  reflectors(y: number, st: number, m: number, u: number, h: number, n: number, up: number, s: number): void;
  /** `steps` Newton–Schulz iterations on X (r×c at x) with scratch g (r×r), y (r×c), byte offsets; see asm/kernels.ts. */
  newtonSchulz(x: number, g: number, y: number, r: number, c: number, steps: number): void;
  /** rotSweeps' record transposed and in reverse order (nrot rotations in all), on the column vectors [v0, v1); see asm/kernels.ts. */
  rotSweepsBack(v: number, coef: number, sw: number, nsw: number, ld: number, v0: number, v1: number, nrot: number): void;
  /** y[0..len) = Σ_{q<cnt} a_q·X_q (rows X_q at x + q·st bytes) in ascending q from +0; see asm/kernels.ts. */
  gemvt(y: number, x: number, st: number, a: number, cnt: number, len: number): void;
  /** svdValues' bidiagonalisation of the m×n matrix stored transposed at `at`, into s, e, with scratch work (byte offsets); see asm/kernels.ts. */
  bidiag(at: number, m: number, n: number, s: number, e: number, work: number): void;
  /** One Householder reflection of `qr` on X at x (m×n), vector v, vn (0: Q's accumulation), scratch s (byte offsets); see asm/kernels.ts. */
  reflect(x: number, m: number, n: number, k: number, j0: number, v: number, vn: number, s: number): void;
  /** Cholesky column j on the transposed factor (update, then √pivot and the division); returns the pivot; see asm/kernels.ts. */
  cholcol(lt: number, j: number, ld: number): number;
  /** Pack op(A) (float64 at src, element (i, p) at src + i·rs + p·cs bytes) into mr-row panels; see asm/kernels.ts. */
  packA(src: number, dst: number, m: number, mr: number, mp: number, p0: number, kc: number, rs: number, cs: number, narrow: number): void;
  /** Pack op(B) (element (p, j) at src + p·rs + j·cs bytes) into nr-column panels. */
  packB(src: number, dst: number, n: number, nr: number, np: number, p0: number, kc: number, rs: number, cs: number, narrow: number): void;
  /** MR64×NR64-tiled float64 GEMM over packed panels (init ≠ 0: tiles start from +0). */
  /** The float64 r×c matrix at src as float32 at dst, transposed when t ≠ 0 (as Float32Array stores round). */
  narrow(src: number, dst: number, r: number, c: number, t: number): void;
  /** The same tiles on operands read in place: A entry (4·it + r, q) at a + it·ats + r·ars + q·aps, B's 4 of index q in column tile jt at b + jt·bts + q·bps. */
  gemm64s(a: number, ars: number, aps: number, ats: number, b: number, bps: number, bts: number, c: number, it0: number, it1: number, nt: number, kc: number, ldc: number, sym: number, init: number): void;
  gemm64(a: number, b: number, c: number, it0: number, it1: number, nt: number, kc: number, ldc: number, sym: number, init: number): void;
  /** Whether `gemm64f`/`gemm64sf` multiply-add with `f64x2.relaxed_madd` (this is the relaxed-SIMD build). */
  fused: boolean;
  /** `gemm64` with relaxed_madd where `fused`: its bits where every operand entry is a float32 value (`f32exact`), fused or not; see asm/kernels.ts. */
  gemm64f: Wasm64['gemm64'];
  /** `gemm64s` likewise. */
  gemm64sf: Wasm64['gemm64s'];
  /** 1 when each of the count float64 values at byte offset x is a float32 value, else 0. */
  f32exact(x: number, count: number): number;
  /** `Rng.fillNormal`'s ziggurat (state at st, tables KN, WN, FN at kn, wn, fn, out[i0..n) at out, the wedge tests' relative guard); returns the entry it left to JavaScript, or n; see asm/kernels.ts. */
  zigFill(st: number, kn: number, wn: number, fn: number, out: number, i0: number, n: number, guard: number): number;
  /** The module's e^t for −700 ≤ t ≤ 0 (fdlibm's algorithm), which zigFill's wedge tests use. */
  expneg(t: number): number;
}

export interface Wasm32 {
  memory: WebAssembly.Memory;
  f64(): Float64Array;
  reserve(bytes: number): void;
  packA: Wasm64['packA'];
  packB: Wasm64['packB'];
  /** MR32×NR32-tiled float32 GEMM over packed (narrowed) panels. */
  gemm32(a: number, b: number, c: number, it0: number, it1: number, nt: number, kc: number, ldc: number, sym: number, init: number): void;
  /** Widen count float32 at src to float64 at dst. */
  widen(src: number, dst: number, count: number): void;
  /** Whether this module's multiply-add is `f32x4.relaxed_madd`. */
  relaxed: boolean;
  /** The module's ziggurat (`Rng.fillNormalAt`: normals drawn where this module's GEMM reads them). */
  zigFill: Wasm64['zigFill'];
  /** Model B's relu gradient rows [k0, k1) from float32 pre-activations, into packed panels of Gᵀ; see asm/kernels.ts. */
  reluGrad(c: number, ldc: number, a: number, y: number, r: number, k0: number, k1: number, nn: number, sN: number, cst: number, pa: number, mp: number, kcb: number, n: number): void;
}

const bytesOf = (b64: string): Uint8Array<ArrayBuffer> => {
  const s = atob(b64), out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
};

let memoryEpoch = 0;
/**
 * Counts the kernels' `reserve` calls (every use of a module's memory starts with one): a caller that
 * keeps data in the memory between its own kernel calls (`matvecs` in linalg.ts) knows it may have been
 * overwritten when the count has moved.
 */
export function kernelMemoryEpoch(): number { return memoryEpoch; }

interface Loaded { ex: Record<string, any>; memory: WebAssembly.Memory; f64(): Float64Array; f32(): Float32Array; reserve(bytes: number): void }
/** The module from its base64 bytes, with its own memory or (the shared builds) the given one; null where it cannot load. */
function instantiate(b64: string, memory?: WebAssembly.Memory): Loaded | null {
  try {
    if (typeof WebAssembly !== 'object') return null;
    const bytes = bytesOf(b64);
    if (!WebAssembly.validate(bytes)) return null;
    const ex = new WebAssembly.Instance(new WebAssembly.Module(bytes), memory ? { env: { memory } } : {}).exports as Record<string, any>;
    const mem = memory ?? (ex.memory as WebAssembly.Memory);
    let view = new Float64Array(mem.buffer), view32 = new Float32Array(mem.buffer);
    return {
      ex, memory: mem,
      f64: () => (view.buffer === mem.buffer ? view : (view = new Float64Array(mem.buffer))),
      f32: () => (view32.buffer === mem.buffer ? view32 : (view32 = new Float32Array(mem.buffer))),
      reserve(bytes: number) {
        memoryEpoch++;
        const have = mem.buffer.byteLength;
        if (bytes > have) mem.grow(Math.ceil((bytes - have) / 65536));
      },
    };
  } catch {
    return null;
  }
}

let instance: Wasm64 | null | undefined;
let enabled = true;

const as64 = (l: Loaded | null): Wasm64 | null => l && {
  f64: l.f64, f32: l.f32, reserve: l.reserve, memory: l.memory,
  gemm4x4: l.ex.gemm4x4 as Fn, llt8: l.ex.llt8 as Fn, ql: l.ex.ql as (...args: number[]) => number, rotSweeps: l.ex.rotSweeps as Fn, tred2: l.ex.tred2 as Fn, reflectors: l.ex.reflectors as Fn, rotSweepsBack: l.ex.rotSweepsBack as Fn, newtonSchulz: l.ex.newtonSchulz as Fn, reflect: l.ex.reflect as Fn, bidiag: l.ex.bidiag as Fn, gemvt: l.ex.gemvt as Fn, cholcol: l.ex.cholcol as (lt: number, j: number, ld: number) => number,
  packA: l.ex.packA as Fn, packB: l.ex.packB as Fn, narrow: l.ex.narrow as Fn, gemm64s: l.ex.gemm64s as Fn, gemm64: l.ex[`gemm64_${MR64}x${NR64}`] as Fn,
  fused: (l.ex.relaxed as () => number)() === 1, gemm64f: l.ex[`gemm64f_${MR64}x${NR64}`] as Fn, gemm64sf: l.ex.gemm64sf as Fn,
  f32exact: l.ex.f32exact as (x: number, count: number) => number,
  zigFill: l.ex.zigFill as (...args: number[]) => number, expneg: l.ex.expneg as (t: number) => number,
};
const as32 = (l: Loaded | null): Wasm32 | null => l && {
  f64: l.f64, reserve: l.reserve, memory: l.memory, packA: l.ex.packA as Fn, packB: l.ex.packB as Fn,
  gemm32: l.ex[`gemm32_${MR32}x${NR32}`] as Fn, widen: l.ex.widen as Fn, relaxed: (l.ex.relaxed as () => number)() === 1,
  zigFill: l.ex.zigFill as (...args: number[]) => number, reluGrad: l.ex.reluGrad as Fn,
};

/** A shared memory for `useSharedKernels` (4 GiB at most); throws where shared WebAssembly memory is unavailable. */
export function newSharedKernelMemory(): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: 1, maximum: KERNELS_SHARED_MAX_PAGES, shared: true });
}

/**
 * Load the kernels over a shared memory, in place of the modules' own memories, so that kernel threads
 * (src/node/threads.ts; each thread calls this with the same memory and the same `relaxed`) run
 * the same code on the same bytes. Every kernel, float64 and float32, then uses that one memory: the
 * relaxed module's instance (the core one's without `relaxed`) serves `wasm64()`, the core module's the core `wasm32()`. The code is the same as the
 * unshared modules' (only the memory's declaration differs), so results are too. Returns false (and
 * changes nothing) where the shared modules cannot load.
 */
export function useSharedKernels(memory: WebAssembly.Memory, relaxed: boolean): boolean {
  const core = instantiate(KERNELS_SHARED_WASM, memory);
  const rel = relaxed ? instantiate(KERNELS_RELAXED_SHARED_WASM, memory) : null;
  if (!core || (relaxed && !rel)) return false;
  instance = as64(rel ?? core);
  instances32.core = as32(core);
  instances32.relaxed = as32(rel);
  return true;
}

/**
 * Turn the WebAssembly kernels off (or back on): callers then take their JavaScript loops, which give
 * the same results. For tests of both paths and for timing comparisons.
 */
export function setWasm64Enabled(on: boolean): void { enabled = on; }

/** The kernels, or null where WebAssembly SIMD cannot be used here (or they are turned off). */
export function wasm64(): Wasm64 | null {
  if (!enabled) return null;
  if (instance !== undefined) return instance;
  // the relaxed-SIMD build where the runtime accepts it: its float64 kernels are the core build's, plus
  // the fused gemm64f twins (used only where they give the same bits); else the core build
  // (instantiate validates: null where the runtime refuses relaxed SIMD)
  instance = as64(instantiate(KERNELS_RELAXED_WASM) ?? instantiate(KERNELS_WASM));
  return instance;
}

const instances32: { core?: Wasm32 | null; relaxed?: Wasm32 | null } = {};
let relaxedAllowed = true;

/** Allow (default) or forbid the relaxed-SIMD float32 module; forbidden, `wasm32()` is the core-SIMD one. */
export function setRelaxedSimd(on: boolean): void { relaxedAllowed = on; }

let relaxedSeen = false;
/**
 * Whether this runtime accepts relaxed SIMD (a module using `f32x4.relaxed_madd` validates). A yes is kept
 * (nothing turns relaxed SIMD off again); a no is asked again, since `enableRelaxedSimd` may turn it on.
 * Each asking decodes and validates the module: about 0.4 ms.
 */
export function relaxedSimdAvailable(): boolean {
  if (relaxedSeen) return true;
  try { relaxedSeen = typeof WebAssembly === 'object' && WebAssembly.validate(bytesOf(KERNELS_RELAXED_WASM)); } catch { relaxedSeen = false; }
  return relaxedSeen;
}

function load32(kind: 'core' | 'relaxed'): Wasm32 | null {
  const have = instances32[kind];
  if (have !== undefined) return have;
  const w = as32(instantiate(kind === 'core' ? KERNELS_WASM : KERNELS_RELAXED_WASM));
  instances32[kind] = w;
  return w;
}

/** The float32 GEMM of the core-SIMD module (never relaxed), or null without WebAssembly SIMD. */
export function wasm32Core(): Wasm32 | null {
  if (!enabled) return null;
  return load32('core');
}

/** The float32 GEMM: the relaxed-SIMD module where available and allowed, else the core one; null without WebAssembly SIMD. */
export function wasm32(): Wasm32 | null {
  if (!enabled) return null;
  return (relaxedAllowed ? load32('relaxed') : null) ?? load32('core');
}
