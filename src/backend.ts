/**
 * Numeric engine: which code computes matrix products.
 *
 * - `tensorflow`, `wasm`, `cpu`: tfjs backends (float32 arithmetic). `tensorflow` exists only when
 *   `@tensorflow/tfjs-node` was loaded before `initBackend` (see `node/init.ts`), `wasm` is the fast
 *   portable default (SIMD), `cpu` the plain-JavaScript tfjs fallback.
 * - `js64`: float64 products in plain JavaScript: slow, exact to double precision; the engine of the
 *   precision tests.
 *
 * Until `initBackend` runs, the engine is `js64`. Products smaller than `TFJS_MIN_WORK` multiply-adds
 * stay in float64 JavaScript under every engine, where a tfjs call costs more than the arithmetic.
 * This module uses no Node-only API: it runs in the browser as it does in Node.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { matmulF64 } from './kernels.js';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu' | 'js64';
export const BACKENDS: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu', 'js64'];
/** Multiply-add count below which a product is computed in float64 JavaScript under any engine. */
export const TFJS_MIN_WORK = 32 * 32 * 32;

let active: BackendName = 'js64';

export function activeBackend(): BackendName { return active; }
/** Unit round-off of the products on the active engine: 2⁻²⁴ for tfjs backends, 2⁻⁵³ for js64. */
export function productEpsilon(): number { return active === 'js64' ? 2 ** -53 : 2 ** -24; }

/**
 * Choose the engine. Without `prefer`, the first available of tensorflow, wasm, cpu.
 * A named backend that cannot start is an error, not a silent fallback.
 */
export async function initBackend(prefer?: BackendName | string): Promise<BackendName> {
  if (prefer !== undefined && prefer !== '' && !BACKENDS.includes(prefer as BackendName)) {
    throw new RangeError(`backend must be one of ${BACKENDS.join(', ')}; got '${prefer}'`);
  }
  if (prefer === 'js64') { active = 'js64'; return active; }
  const order: BackendName[] = prefer ? [prefer as BackendName] : ['tensorflow', 'wasm', 'cpu'];
  for (const name of order) {
    if (!tf.findBackendFactory(name)) {
      if (prefer) throw new Error(`backend '${name}' is not registered (for 'tensorflow', install @tensorflow/tfjs-node)`);
      continue;
    }
    try {
      if (await tf.setBackend(name)) { await tf.ready(); active = name; return active; }
    } catch (e) {
      if (prefer) throw new Error(`backend '${name}' failed to start: ${(e as Error).message}`);
    }
  }
  throw new Error('no tfjs backend could start');
}

/** Engine entry point used by `mat.matmul`. */
export function engineMatmul(
  a: Float64Array, ar: number, ac: number, ta: boolean,
  b: Float64Array, br: number, bc: number, tb: boolean,
  m: number, k: number, n: number,
): Float64Array {
  if (active === 'js64' || m * k * n < TFJS_MIN_WORK) return matmulF64(a, ar, ac, ta, b, br, bc, tb, m, k, n);
  const out = tf.tidy(() => {
    const A = tf.tensor2d(Float32Array.from(a), [ar, ac]);
    const B = tf.tensor2d(Float32Array.from(b), [br, bc]);
    return tf.matMul(A, B, ta, tb);
  });
  const f32 = out.dataSync() as Float32Array;
  out.dispose();
  return Float64Array.from(f32);
}
