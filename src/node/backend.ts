/**
 * Node-side engine start-up: loads `@tensorflow/tfjs-node` when it is installed (it registers the
 * `tensorflow` backend), honours the `LPFL_BACKEND` environment variable (tensorflow | wasm | cpu | js64),
 * and reports the choice on stderr once.
 */
import { initBackend, type BackendName } from '../backend.js';

let started: Promise<BackendName> | null = null;

export function startBackend(opts: { quiet?: boolean } = {}): Promise<BackendName> {
  started ??= (async () => {
    const want = process.env.LPFL_BACKEND?.trim() || undefined;
    if (want === undefined || want === 'tensorflow') {
      try {
        // optional peer dependency: absent on machines where its libtensorflow download fails
        const name = '@tensorflow/tfjs-node';
        await import(/* @vite-ignore */ name);
      } catch (e) {
        if (want === 'tensorflow') throw new Error(`LPFL_BACKEND=tensorflow but @tensorflow/tfjs-node cannot load: ${(e as Error).message}`);
      }
    }
    const got = await initBackend(want);
    if (!opts.quiet) process.stderr.write(`[layerwise-precond] numeric engine: ${got}${want ? ' (LPFL_BACKEND)' : ''}\n`);
    return got;
  })();
  return started;
}
