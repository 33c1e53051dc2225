/**
 * Numeric engine: which code computes matrix products.
 *
 * - `simd` (the default where WebAssembly SIMD runs: Node and every current browser): our own
 *   WebAssembly kernels for every product, the float64 GEMM for the products listed below and our
 *   core-SIMD float32 GEMM (`kernels32.ts`) for the others. No tfjs. Its float32 products are exact IEEE
 *   single-precision operations in a fixed order, so they are bit-for-bit the same in Node and in any
 *   browser, on any hardware.
 * - `simd-fma`: `simd` with the float32 GEMM's multiply-add fused (`f32x4.relaxed_madd`, one rounding per
 *   term instead of two; `wasm32Fused`): faster where the processor has FMA, never chosen unless named, and
 *   started only where the runtime has relaxed SIMD and its multiply-add is probed to fuse, so its
 *   float32 products are exact IEEE operations too (fused multiply-adds in a fixed order): the same bits
 *   wherever it starts, but not `simd`'s. Its float64 products are `simd`'s.
 * - `tensorflow`, `wasm`, `cpu`: tfjs backends (float32 arithmetic) for the float32 products.
 *   `tensorflow` exists only when `@tensorflow/tfjs-node` was loaded before `initBackend` (see
 *   `node/backend.ts`), `wasm` is tfjs-wasm (XNNPACK, SIMD; the default engine before `simd`, kept to
 *   reproduce the cells it computed), `cpu` the plain-JavaScript tfjs fallback.
 * - `js64`: float64 products in plain JavaScript: slow, exact to double precision; the engine of the
 *   precision tests.
 *
 * Until `initBackend` runs, the engine is `js64`. Products smaller than `TFJS_MIN_WORK` multiply-adds
 * stay in float64 JavaScript under every engine, where a tfjs call costs more than the arithmetic; under
 * `simd` and `wasm`, so do the shapes where the float64 WebAssembly kernel is measured at least as fast
 * (`f64AtLeastAsFast`): both engines send the same products to float32.
 * This module uses no Node-only API: it runs in the browser as it does in Node.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { f64Kernels, into, matmulF64, matmulF64ResidentA } from './kernels.js';
import { matmulF32, matmulF32ResidentA, matmulF32With, wasm32Fused } from './kernels32.js';
import { relaxedSimdAvailable, wasm32Core, wasm64, type Wasm32, type Wasm64 } from './wasm64.js';

export type BackendName = 'tensorflow' | 'simd' | 'simd-fma' | 'wasm' | 'cpu' | 'js64';
export const BACKENDS: readonly BackendName[] = ['tensorflow', 'simd', 'simd-fma', 'wasm', 'cpu', 'js64'];
/** Multiply-add count below which a product is computed in float64 JavaScript under any engine. */
export const TFJS_MIN_WORK = 32 * 32 * 32;

let active: BackendName = 'js64';
let chosen = false;

export function activeBackend(): BackendName { return active; }
/** Whether `initBackend` has chosen the engine in this thread (before that it is the js64 default). */
export function backendChosen(): boolean { return chosen; }
/** Unit round-off of the products on the active engine: 2⁻²⁴ for tfjs backends, 2⁻⁵³ for js64. */
export function productEpsilon(): number { return active === 'js64' ? 2 ** -53 : 2 ** -24; }

/**
 * Choose the engine. Without `prefer`, the first available of tensorflow, simd, wasm, cpu (`simd-fma` only when named).
 * A named backend that cannot start is an error, not a silent fallback.
 */
export async function initBackend(prefer?: BackendName | string): Promise<BackendName> {
  if (prefer !== undefined && prefer !== '' && !BACKENDS.includes(prefer as BackendName)) {
    throw new RangeError(`backend must be one of ${BACKENDS.join(', ')}; got '${prefer}'`);
  }
  if (prefer === 'js64') { active = 'js64'; chosen = true; return active; }
  const order: BackendName[] = prefer ? [prefer as BackendName] : ['tensorflow', 'simd', 'wasm', 'cpu'];
  for (const name of order) {
    if (name === 'simd') {
      if (wasm64() && wasm32Core()) { active = 'simd'; chosen = true; return active; }
      if (prefer) throw new Error("engine 'simd' needs WebAssembly SIMD, which this runtime does not have");
      continue;
    }
    if (name === 'simd-fma') {
      if (wasm64() && wasm32Fused()) { active = 'simd-fma'; chosen = true; return active; }
      throw new Error(`engine 'simd-fma' needs WebAssembly relaxed SIMD whose f32x4.relaxed_madd fuses: ${
        !wasm64() ? 'this runtime has no WebAssembly SIMD'
          : !relaxedSimdAvailable() ? 'this runtime has no relaxed SIMD (Node 20: --experimental-wasm-relaxed-simd, which src/node/backend.ts sets)'
            : 'relaxed SIMD is forbidden here (setRelaxedSimd(false)) or multiplies and adds separately on this processor'}`);
    }
    if (!tf.findBackendFactory(name)) {
      if (prefer) throw new Error(`backend '${name}' is not registered (for 'tensorflow', install @tensorflow/tfjs-node)`);
      continue;
    }
    try {
      if (await tf.setBackend(name)) { await tf.ready(); active = name; chosen = true; return active; }
    } catch (e) {
      if (prefer) throw new Error(`backend '${name}' failed to start: ${(e as Error).message}`);
    }
  }
  throw new Error('no tfjs backend could start');
}

/** Which code computes the engine's float32 products: tfjs (the default) or our own f32x4 kernel. */
export type Float32Kernel = 'tfjs' | 'own';
export const FLOAT32_KERNELS: readonly Float32Kernel[] = ['tfjs', 'own'];
let f32Kernel: Float32Kernel = 'tfjs';

/**
 * Choose the float32 product kernel of the tfjs engines (`tensorflow`, `wasm`, `cpu`): `tfjs` (default:
 * the backend's own matMul, e.g. XNNPACK under `wasm`) or `own` (`kernels32.matmulF32`: our f32x4
 * WebAssembly GEMM, packed and narrowed in one pass, relaxed-SIMD FMA where the runtime has it). The
 * products routed to float64 are unchanged. Not the default: switching changes the float32 products'
 * rounding, hence every cached cell that uses them. Applies to this thread only (workers keep `tfjs`).
 */
export function setFloat32Kernel(kernel: Float32Kernel | string): void {
  if (!FLOAT32_KERNELS.includes(kernel as Float32Kernel)) throw new RangeError(`float32 kernel must be one of ${FLOAT32_KERNELS.join(', ')}; got '${kernel}'`);
  f32Kernel = kernel as Float32Kernel;
}
export function float32Kernel(): Float32Kernel { return f32Kernel; }

/**
 * Under the `wasm` engine, the products that the float64 WebAssembly kernel (`kernels.ts`) computes
 * at least as fast as tfjs-wasm's float32 XNNPACK path, conversions included (bench/results: measured
 * per shape on the Model A and B products): symmetric products XᵀX / XXᵀ (the float64 kernel computes
 * one triangle), products with few rows (m ≤ 16, where XNNPACK's row tiles are mostly empty), and small
 * ones (< 2¹⁷ multiply-adds, where the tfjs call overhead dominates). These are computed in float64,
 * i.e. more accurately than float32; larger products keep the float32 engine.
 */
function f64AtLeastAsFast(m: number, k: number, n: number, symmetric: boolean): boolean {
  if (!(symmetric || m <= 16 || m * k * n < 1 << 17)) return false;
  return wasm64() !== null;
}

/** Which code `engineMatmul` gives an m×k by k×n product (symmetric: AᵀA or AAᵀ of one operand). */
function route(m: number, k: number, n: number, symmetric: boolean): 'f64' | 'f32own' | 'other' {
  if (active === 'js64' || m * k * n < TFJS_MIN_WORK) return 'f64';
  const own = active === 'simd' || active === 'simd-fma';
  if ((own || active === 'wasm') && f64AtLeastAsFast(m, k, n, symmetric)) return 'f64';
  return own ? 'f32own' : 'other';
}

/**
 * The float32 GEMM module of the `simd` engines: the core-SIMD one under `simd`, the fused one under
 * `simd-fma`; null when it was turned off after the engine started (`setWasm64Enabled`, `setRelaxedSimd`).
 */
function engineF32(): Wasm32 | null {
  return active === 'simd-fma' ? wasm32Fused() : wasm32Core();
}

/** Engine entry point used by `mat.matmul`; the result goes into `out` (m·n entries, returned) when given. */
export function engineMatmul(
  a: Float64Array, ar: number, ac: number, ta: boolean,
  b: Float64Array, br: number, bc: number, tb: boolean,
  m: number, k: number, n: number, out?: Float64Array,
): Float64Array {
  const r = route(m, k, n, a === b && ta !== tb && m === n);
  if (r === 'f64') return matmulF64(a, ar, ac, ta, b, br, bc, tb, m, k, n, out);
  if (r === 'f32own') {
    const w = engineF32();
    if (!w) throw new Error(`engine '${active}': its float32 kernel is not available (WebAssembly${active === 'simd-fma' ? ' or relaxed' : ''} SIMD turned off after the engine started)`);
    return matmulF32With(w, a, ar, ac, ta, b, br, bc, tb, m, k, n, out);
  }
  if (f32Kernel === 'own') {
    const C = matmulF32(a, ar, ac, ta, b, br, bc, tb, m, k, n, out);
    if (C) return C;
  }
  return into(out, matmulTfjs(a, ar, ac, ta, b, br, bc, tb, m, k, n));
}

/**
 * For a product A·B (A m×k, B k×n, row-major, not one operand twice) that `engineMatmul` would run in a
 * WebAssembly kernel: that kernel's module and the product with A already in the module's memory
 * (`multiply(aAt, b)`, A at byte offset aAt), the same kernel and sums as `engineMatmul`. Null where the
 * product would run in JavaScript or tfjs. `inputSampler` draws Z into the module and multiplies it there.
 */
export function residentAProduct(m: number, k: number, n: number): ResidentAProduct | null {
  const r = route(m, k, n, false);
  if (r === 'f64') {
    const w = f64Kernels(m, k, n);
    return w && { module: w, multiply: (aAt, b, out, produce) => matmulF64ResidentA(w, aAt, m, k, b, n, out, produce) };
  }
  if (r === 'f32own') {
    const w = engineF32();
    return w && { module: w, multiply: (aAt, b, out, produce) => matmulF32ResidentA(w, aAt, m, k, b, n, out, produce) };
  }
  return null;
}
/**
 * The module of `reluGradient` (kernels32.ts) for Model B's relu gradient on an n×d batch with N hidden
 * units, where `engineMatmul` would send both of its products (X Wᵀ, n×d by d×N, and GᵀX, N×n by n×d) to
 * the float32 kernel of a `simd` engine: the fused path then gives the same bits. Null otherwise (the caller
 * keeps its products and loop).
 */
export function reluGradientModule(n: number, d: number, N: number): Wasm32 | null {
  return route(n, d, N, false) === 'f32own' && route(N, n, d, false) === 'f32own' ? engineF32() : null;
}
export interface ResidentAProduct {
  readonly module: Wasm64 | Wasm32;
  /**
   * A·B with A at byte offset aAt of the module's memory. With `produce`, A is written there by
   * `produce(r0, r1)` (rows r0 ≤ i < r1, ascending blocks) while the kernel threads multiply the rows
   * already written; the same product.
   */
  multiply(aAt: number, b: Float64Array, out?: Float64Array, produce?: (r0: number, r1: number) => void): Float64Array;
}

/** The product on the active tfjs backend (float32), whatever its size: `engineMatmul`'s float32 path with the `tfjs` kernel. */
export function matmulTfjs(
  a: Float64Array, ar: number, ac: number, ta: boolean,
  b: Float64Array, br: number, bc: number, tb: boolean,
  m: number, k: number, n: number,
): Float64Array {
  // Operands go to tfjs as row-major op(A) (m×k) and op(B) (k×n): transposing while narrowing to
  // float32 costs nothing extra, and the wasm backend's transposed BatchMatMul is a slow naive loop
  // (measured ~10x slower than its XNNPACK path), so tfjs is always asked for a plain product.
  let A: tf.Tensor2D | undefined, B: tf.Tensor2D | undefined, f32: Float32Array;
  try {
    A = tf.tensor2d(toF32(a, ar, ac, ta, 0), [m, k]);
    B = tf.tensor2d(toF32(b, br, bc, tb, 1), [k, n]);
    const out = tf.matMul(A, B);
    f32 = out.dataSync() as Float32Array;
    out.dispose();
  } finally {
    A?.dispose(); B?.dispose();
  }
  return Float64Array.from(f32);
}

/**
 * Float32 copy of a row-major r×c matrix, transposed (to c×r row-major) when `t`, in a reused scratch
 * buffer (`slot` 0 for A, 1 for B): the tensors made from them are disposed before `engineMatmul`
 * returns (and the wasm backend copies the values into its own memory at once), so the buffers are
 * free for the next product. Under the wasm engine, the copy is a view of our kernels' memory, valid
 * until the next call (each tensor is made before the next operand is narrowed).
 */
const scratch: Float32Array[] = [new Float32Array(0), new Float32Array(0)];
function toF32(x: Float64Array, r: number, c: number, t: boolean, slot: 0 | 1): Float32Array {
  if (scratch[slot].length < r * c) scratch[slot] = new Float32Array(r * c);
  const out = scratch[slot].subarray(0, r * c);
  const w = r * c >= 1024 ? wasm64() : null;
  if (w) { // the same roundings (nearest, as a Float32Array store) in WebAssembly SIMD: measured 1.1–4× faster
    const n = r * c, dst = (n * 8 + 63) & ~63;
    w.reserve(dst + n * 4);
    w.f64().set(x.length === n ? x : x.subarray(0, n), 0);
    w.narrow(0, dst, r, c, t ? 1 : 0);
    const view = w.f32().subarray(dst / 4, dst / 4 + n);
    // tfjs-wasm copies a new tensor's values into its own heap at once (BackendWasm.move), so under
    // that engine the view serves as it is; other backends keep a reference: give them our own copy.
    if (active === 'wasm') return view;
    out.set(view);
    return out;
  }
  if (!t) { for (let i = 0; i < out.length; i++) out[i] = x[i]; return out; } // (a loop beats .set here)
  const B = 32; // blocked transpose: both sides stay in cache
  for (let i0 = 0; i0 < r; i0 += B) {
    const i1 = Math.min(i0 + B, r);
    for (let j0 = 0; j0 < c; j0 += B) {
      const j1 = Math.min(j0 + B, c);
      for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) out[j * r + i] = x[i * c + j];
    }
  }
  return out;
}
