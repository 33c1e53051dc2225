/** Registry entry of the platform demo's training-run experiment (defined in `platform-demo.ts`). */
export { run as default } from './platform-demo.js';
