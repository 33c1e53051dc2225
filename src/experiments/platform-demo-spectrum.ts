/** Registry entry of the platform demo's spectrum experiment (defined in `platform-demo.ts`). */
export { spectrum as default } from './platform-demo.js';
