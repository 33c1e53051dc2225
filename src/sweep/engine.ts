/**
 * The numeric engine in a page or Web Worker, chosen as in Node: our WebAssembly SIMD kernels (`simd`,
 * bit-for-bit Node's numbers), else tfjs's wasm backend with SIMD, else its cpu backend (a page has no
 * tfjs-node). The tfjs wasm binary comes as bytes (the site ships it inside a script, since a file://
 * page cannot fetch files) and is handed to tfjs through a Blob URL.
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { initBackend, type BackendName } from '../backend.js';

/** The smallest module using a SIMD instruction (i8x16.splat, i8x16.popcnt): valid only where SIMD is. */
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

export function hasWasmSimd(): boolean {
  try { return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE); } catch { return false; }
}

export interface EngineChoice { engine: BackendName; detail: string }

/** Starts the engine: simd (our kernels) where WebAssembly SIMD runs, else tfjs wasm from `wasmSimd`'s bytes, else cpu, saying why. */
export async function startBrowserEngine(wasmSimd: Uint8Array | null): Promise<EngineChoice> {
  const simd = hasWasmSimd();
  if (simd) {
    try { return { engine: await initBackend('simd'), detail: 'simd (our WebAssembly SIMD kernels)' }; } catch { /* tfjs below */ }
  }
  let why = 'no wasm binary given';
  if (wasmSimd && simd) {
    const url = URL.createObjectURL(new Blob([wasmSimd as Uint8Array<ArrayBuffer>], { type: 'application/wasm' }));
    // every name tfjs may ask for maps to the SIMD binary (threads need cross-origin isolation, which a
    // file:// page never has; without SIMD the cpu engine is chosen below instead)
    setWasmPaths({ 'tfjs-backend-wasm.wasm': url, 'tfjs-backend-wasm-simd.wasm': url, 'tfjs-backend-wasm-threaded-simd.wasm': url });
    try {
      return { engine: await initBackend('wasm'), detail: 'wasm (SIMD)' };
    } catch (e) {
      why = `wasm failed to start: ${(e as Error).message}`;
    }
  } else if (wasmSimd) why = 'this browser has no WebAssembly SIMD';
  return { engine: await initBackend('cpu'), detail: `cpu (${why})` };
}

/** Base64 to bytes (the shipped wasm binary). */
export function fromBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
