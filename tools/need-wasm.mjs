// Fails with a clear message when the generated WebAssembly module is missing (run before test,
// typecheck, start, bench, site, notebooks). Plain JavaScript: it must run before anything is built.
import { existsSync } from 'node:fs';
const file = new URL('../src/generated/kernels-wasm.ts', import.meta.url);
if (!existsSync(file)) {
  console.error('src/generated/kernels-wasm.ts is missing: build the WebAssembly kernels with `npm run build:wasm` (the `prepare` script does it at `npm ci`).');
  process.exit(1);
}
