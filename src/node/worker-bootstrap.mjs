// Entry of every sweep worker thread (plain JavaScript, so it loads in any Node process).
// Worker threads do not inherit the TypeScript loader of their parent (tsx registers its hooks per
// thread), so this registers tsx before importing the TypeScript worker module. Works the same when
// the parent runs under `tsx`, `node --import tsx`, or a plain Node process such as a Jupyter kernel.
import { workerData } from 'node:worker_threads';

if (/\.[cm]?ts$/.test(workerData.entry)) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.entry);
