/**
 * Our own float32 GEMM (f32x4, register tile MR32×NR32 over packed panels; asm/kernels.ts): operands are
 * narrowed to float32 while they are packed (the float64→float32 copy and the packing are one pass in
 * WebAssembly), C accumulates in float32 and is widened exactly into the Float64Array result. Each entry
 * is ŝ ← fl(ŝ + fl(â·b̂)) over the inner index in ascending order from +0, â and b̂ the float32-rounded
 * operands; where the runtime has relaxed SIMD, the module using `f32x4.relaxed_madd` is used instead
 * (one rounding per term where the hardware fuses, two where not), with the same error bound:
 * |Ĉ − C| ≤ (γ_k (1 + u)² + 2u + u²)·|A||B| entry-wise, u = 2⁻²⁴, γ_k = k·u/(1 − k·u).
 *
 * The float32 products of the `simd` engine (the core-SIMD module, `wasm32Core`) and of `simd-fma`
 * (`wasm32Fused`), through `matmulF32With`, and of the tfjs engines when chosen with `setFloat32Kernel('own')` (backend.ts; `matmulF32`, relaxed SIMD where
 * available).
 */
import {
  EMPTY_F64, KC_BYTES, P, PAR_MIN_WORK, PLAN_LENGTH, gemmInModule, gemmResult, gemmSlack, gemmThreadsInstalled, packedGemm, up64,
} from './kernels.js';
import { MR32, NR32, wasm32, type Wasm32 } from './wasm64.js';

/**
 * op(A)·op(B) with module `w`'s float32 GEMM (packed, narrowed while packing), widened to float64: the
 * engines' float32 products (`wasm32Core()` under `simd`, `wasm32Fused()` under `simd-fma`).
 */
export function matmulF32With(
  w: Wasm32, a: Float64Array, ar: number, ac: number, ta: boolean,
  b: Float64Array, br: number, bc: number, tb: boolean,
  m: number, k: number, n: number, out?: Float64Array,
): Float64Array {
  if (m === 0 || n === 0 || k === 0) return out ? out.fill(0) : new Float64Array(m * n);
  return packedGemm(w, w.gemm32, MR32, NR32, true, a, ar, ac, ta, b, br, bc, tb, m, k, n, a === b && ta !== tb && m === n, out);
}

let fuses: boolean | undefined;
/**
 * Whether module `w`'s float32 multiply-add rounds c + a·b once (fused) on this runtime and hardware:
 * the 1×2×1 product (−1, 1 + 2⁻¹²)·(1 + 2⁻¹¹, 1 + 2⁻¹²) is 2⁻²⁴ fused (exactly: −(1 + 2⁻¹¹) + 1 + 2⁻¹¹ + 2⁻²⁴)
 * and 0 unfused (1 + 2⁻¹¹ + 2⁻²⁴ lies halfway between two float32 values and rounds to the even one,
 * 1 + 2⁻¹¹). The core module never fuses.
 */
export function float32Fuses(w: Wasm32): boolean {
  const a = new Float64Array([-1, 1 + 2 ** -12]), b = new Float64Array([1 + 2 ** -11, 1 + 2 ** -12]);
  const c = matmulF32With(w, a, 1, 2, false, b, 2, 1, false, 1, 2, 1)[0];
  if (c !== 2 ** -24 && c !== 0) throw new Error(`float32Fuses: the probe product is ${c}, neither the fused 2^-24 nor the unfused 0`);
  return c !== 0;
}

/**
 * The relaxed-SIMD float32 module where its `f32x4.relaxed_madd` fuses here (`float32Fuses`, asked once per
 * thread), else null (no WebAssembly SIMD, no relaxed SIMD, relaxed SIMD forbidden by `setRelaxedSimd`, or
 * a runtime or processor that multiplies and adds separately): the float32 GEMM of the `simd-fma` engine.
 * Where it is not null, each entry is ŝ ← fma(â, b̂, ŝ) (one IEEE rounding to float32 per term) over
 * the inner index in ascending order from +0: the same bits on every machine where it is not null.
 */
export function wasm32Fused(): Wasm32 | null {
  const w = wasm32();
  if (!w || !w.relaxed) return null;
  fuses ??= float32Fuses(w);
  return fuses ? w : null;
}

/** op(A)·op(B) in float32 arithmetic with our kernel, widened to float64; null where WebAssembly SIMD is unavailable. */
export function matmulF32(
  a: Float64Array, ar: number, ac: number, ta: boolean,
  b: Float64Array, br: number, bc: number, tb: boolean,
  m: number, k: number, n: number, out?: Float64Array,
): Float64Array | null {
  const w = wasm32();
  return w && matmulF32With(w, a, ar, ac, ta, b, br, bc, tb, m, k, n, out);
}

/**
 * `matmulF32With(w, A, B)` for a row-major m×k A already in module `w`'s memory at byte offset `aAt`
 * and a row-major k×n B: the same kernel, the same sums, no copy of A. `produce`: as in
 * `matmulF64ResidentA` (A written block by block, multiplied meanwhile).
 */
export function matmulF32ResidentA(
  w: Wasm32, aAt: number, m: number, k: number, b: Float64Array, n: number, out?: Float64Array, produce?: (r0: number, r1: number) => void,
): Float64Array {
  return packedGemm(w, w.gemm32, MR32, NR32, true, EMPTY_F64, m, k, false, b, k, n, false, m, k, n, false, out, aAt, produce);
}

/** Whether `matmulF32` runs the relaxed-SIMD (fused multiply-add) module here. */
export function float32KernelRelaxed(): boolean { return wasm32()?.relaxed ?? false; }

/**
 * Model B's relu gradient (models/singleIndex.ts `gradientW`, no batch norm) with both of its products in
 * module `w`'s float32 GEMM (the engine's: `wasm32Core()` under `simd`, `wasm32Fused()` under `simd-fma`)
 * and the element-wise step between them in the same memory: U = X Wᵀ (n×N) stays there in float32, `reluGrad`
 * (asm/kernels.ts) reads it and writes r (length n, into `r`) and G (n×N) narrowed straight into the packed
 * panels of Gᵀ, and GᵀX (N×d) is multiplied from them. X (n×d) is copied in once and serves both products.
 * The same operations in the same order as `matmul(X, W, transB)`, the JavaScript loop over U and
 * `matmul(G, X, transA)` under the engine whose module `w` is, so the same bits; U and G never leave the
 * module. The rows of the element-wise step are split between the kernel threads where they are installed (each row
 * is computed alone, so the split changes nothing). Returns ∇_W L̂ (into `out` when given).
 */
export function reluGradient(
  w: Wasm32, X: Float64Array, n: number, d: number, W: Float64Array, N: number, a: Float64Array, y: ArrayLike<number>,
  sN: number, cst: number, r: Float64Array, out?: Float64Array,
): Float64Array {
  const mp1 = Math.ceil(n / MR32) * MR32, np1 = Math.ceil(N / NR32) * NR32;
  const mp2 = Math.ceil(N / MR32) * MR32, np2 = Math.ceil(d / NR32) * NR32;
  // byte offsets (float64 operands, float32 panels and C); U at c1 is read while Gᵀ's panels at pA2 are written
  const xAt = 0, wAt = up64(n * d * 8), pA1 = up64(wAt + N * d * 8), pB1 = up64(pA1 + mp1 * d * 4), c1 = up64(pB1 + np1 * d * 4);
  const aAt = up64(c1 + mp1 * np1 * 4), yAt = up64(aAt + N * 8), rAt = up64(yAt + n * 8);
  const pA2 = up64(rAt + n * 8), pB2 = up64(pA2 + mp2 * n * 4), c2 = up64(pB2 + np2 * n * 4), cw2 = up64(c2 + mp2 * np2 * 4);
  w.reserve(cw2 + mp2 * np2 * 8 + gemmSlack(d, d));
  let M = w.f64();
  M.set(X.length === n * d ? X : X.subarray(0, n * d), xAt / 8);
  M.set(W.length === N * d ? W : W.subarray(0, N * d), wAt / 8);
  M.set(a.length === N ? a : a.subarray(0, N), aAt / 8);
  M.set(y, yAt / 8);
  gemmInModule(w, w.gemm32, MR32, NR32, true, xAt, d, false, wAt, d, true, n, d, N, false, pA1, pB1, c1, false);
  const plan = RELU_PLAN, kcb = KC_BYTES / 4;
  plan[P.KIND] = w.relaxed ? 2 : 1; plan[P.PHASE] = 3; plan[P.A] = c1; plan[P.LDC] = np1 * 4; plan[P.B] = aAt; plan[P.PB] = yAt; plan[P.C] = rAt;
  plan[P.N] = N; plan[P.K] = n; plan[P.RSA] = sN; plan[P.CSA] = cst; plan[P.PA] = pA2; plan[P.MP] = mp2; plan[P.KCB] = kcb;
  const threads = gemmThreadsInstalled();
  // an entry of the element-wise step costs more than 8 multiply-adds of a product (profiled at n = 2048, N = 1024,
  // d = 512: the step's 2·10⁶ entries about 3 ms, each product's 1.1·10⁹ multiply-adds about 46 ms)
  if (threads && threads.memory === w.memory && 8 * n * N >= PAR_MIN_WORK && n >= 4 * threads.count) {
    const bounds = [0];
    for (let i = 1; i < threads.count; i++) bounds.push(Math.min(n, 4 * Math.round((n * i) / threads.count / 4))); // whole groups of 4 rows
    bounds.push(n);
    threads.run(plan, bounds, () => reluRowsRange(w, plan, bounds[0], bounds[1]));
  } else reluRowsRange(w, plan, 0, n);
  M = w.f64();
  r.set(M.subarray(rAt / 8, rAt / 8 + n));
  gemmInModule(w, w.gemm32, MR32, NR32, true, pA2, N, true, xAt, d, false, N, n, d, false, pA2, pB2, c2, true);
  return gemmResult(w, true, c2, cw2, N, d, mp2, np2, false, out);
}
const RELU_PLAN = new Float64Array(PLAN_LENGTH);

/** Rows k0 ≤ k < k1 of `reluGradient`'s element-wise step, from its plan (PHASE 3; a kernel thread's share). */
export function reluRowsRange(w: Wasm32, plan: Float64Array, k0: number, k1: number): void {
  if (k1 > k0) {
    w.reluGrad(plan[P.A], plan[P.LDC], plan[P.B], plan[P.PB], plan[P.C], k0, k1, plan[P.N], plan[P.RSA], plan[P.CSA],
      plan[P.PA], plan[P.MP], plan[P.KCB], plan[P.K]);
  }
}
