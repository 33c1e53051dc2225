/**
 * Child process of test/kernels-gemm.test.ts, started with --experimental-wasm-relaxed-simd where the
 * runtime needs the flag (Node 20): the relaxed-SIMD float32 GEMM within the bound of gemm-check.ts.
 * Prints "relaxed: true; N products within the bound" and exits 0, or exits 1 naming the product.
 */
import { matmulF32, float32KernelRelaxed } from '../src/kernels32.js';
import { Rng } from '../src/rng.js';
import { F32_SHAPES, refProduct, worstRatio } from './gemm-check.js';

const rng = new Rng(33);
let n = 0;
for (const [m, k, nn] of F32_SHAPES) for (const ta of [false, true]) for (const tb of [false, true]) {
  const A = rng.normalMat(ta ? k : m, ta ? m : k), B = rng.normalMat(tb ? nn : k, tb ? k : nn);
  const got = matmulF32(A.data, A.rows, A.cols, ta, B.data, B.rows, B.cols, tb, m, k, nn)!;
  const { C, Abs } = refProduct(A.data, A.cols, ta, B.data, B.cols, tb, m, k, nn);
  const r = worstRatio(got, C, Abs, k);
  if (!(r <= 1)) { console.log(`${m}×${k}×${nn} ta=${ta} tb=${tb}: error ${r} × the bound`); process.exit(1); }
  n++;
}
console.log(`relaxed: ${float32KernelRelaxed()}; ${n} products within the bound`);
process.exit(float32KernelRelaxed() ? 0 : 1);
