/**
 * Our own float32 GEMM (f32x4, register tile MR32×NR32 over packed panels; asm/kernels.ts): operands are
 * narrowed to float32 while they are packed (the float64→float32 copy and the packing are one pass in
 * WebAssembly), C accumulates in float32 and is widened exactly into the Float64Array result. Each entry
 * is ŝ ← fl(ŝ + fl(â·b̂)) over the inner index in ascending order from +0, â and b̂ the float32-rounded
 * operands; where the runtime has relaxed SIMD, the module using `f32x4.relaxed_madd` is used instead
 * (one rounding per term where the hardware fuses, two where not), with the same error bound:
 * |Ĉ − C| ≤ (γ_k (1 + u)² + 2u + u²)·|A||B| entry-wise, u = 2⁻²⁴, γ_k = k·u/(1 − k·u).
 *
 * The float32 products of the `simd` engine (`matmulF32Core`), and of the tfjs engines when chosen with
 * `setFloat32Kernel('own')` (backend.ts; `matmulF32`, relaxed SIMD where available).
 */
import { EMPTY_F64, packedGemm } from './kernels.js';
import { MR32, NR32, wasm32, wasm32Core, type Wasm32 } from './wasm64.js';

/** op(A)·op(B) with module `w`'s float32 GEMM (packed, narrowed while packing), widened to float64. */
function gemm32(
  w: Wasm32, a: Float64Array, ar: number, ac: number, ta: boolean, b: Float64Array, br: number, bc: number, tb: boolean,
  m: number, k: number, n: number, out?: Float64Array,
): Float64Array {
  if (m === 0 || n === 0 || k === 0) return out ? out.fill(0) : new Float64Array(m * n);
  return packedGemm(w, w.gemm32, MR32, NR32, true, a, ar, ac, ta, b, br, bc, tb, m, k, n, a === b && ta !== tb && m === n, out);
}

/** op(A)·op(B) in float32 arithmetic with our kernel, widened to float64; null where WebAssembly SIMD is unavailable. */
export function matmulF32(
  a: Float64Array, ar: number, ac: number, ta: boolean,
  b: Float64Array, br: number, bc: number, tb: boolean,
  m: number, k: number, n: number, out?: Float64Array,
): Float64Array | null {
  const w = wasm32();
  return w && gemm32(w, a, ar, ac, ta, b, br, bc, tb, m, k, n, out);
}

/**
 * `matmulF32` with the core-SIMD module always (two roundings per term, never relaxed SIMD): the float32
 * products of the `simd` engine, bit-for-bit the same on every runtime and every machine. Throws where
 * WebAssembly SIMD is unavailable (the engine is not chosen there).
 */
export function matmulF32Core(
  a: Float64Array, ar: number, ac: number, ta: boolean,
  b: Float64Array, br: number, bc: number, tb: boolean,
  m: number, k: number, n: number, out?: Float64Array,
): Float64Array {
  const w = wasm32Core();
  if (!w) throw new Error('the simd engine needs WebAssembly SIMD');
  return gemm32(w, a, ar, ac, ta, b, br, bc, tb, m, k, n, out);
}

/**
 * `matmulF32Core(A, B)` for a row-major m×k A already in module `w`'s memory at byte offset `aAt`
 * (`wasm32Core()`, the module `matmulF32Core` uses) and a row-major k×n B: the same kernel, the same sums,
 * no copy of A.
 */
export function matmulF32CoreResidentA(w: Wasm32, aAt: number, m: number, k: number, b: Float64Array, n: number, out?: Float64Array): Float64Array {
  return packedGemm(w, w.gemm32, MR32, NR32, true, EMPTY_F64, m, k, false, b, k, n, false, m, k, n, false, out, aAt);
}

/** Whether `matmulF32` runs the relaxed-SIMD (fused multiply-add) module here. */
export function float32KernelRelaxed(): boolean { return wasm32()?.relaxed ?? false; }
