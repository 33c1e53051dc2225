/**
 * Where the sweep machinery's files are, found without `import.meta` so that this module loads the
 * same way as TypeScript source (tsx), as compiled JavaScript in dist/ (what notebooks import), or
 * compiled to CommonJS by a tool.
 *
 * - runtime directory: the folder of this module (src/node or dist/src/node), from the file name of
 *   its own stack frame; worker threads run `worker.ts` or `worker.js` from there, matching the code
 *   this process runs.
 * - source directory: the repository's src/node, which holds `worker-bootstrap.mjs` (tsc does not
 *   copy it to dist/), found by walking up from the runtime directory, else from the working directory.
 */
import { existsSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const BOOTSTRAP = 'worker-bootstrap.mjs';

function ownFile(): string | undefined {
  const original = Error.prepareStackTrace;
  try {
    Error.prepareStackTrace = (_e, frames) => frames;
    const frames = new Error().stack as unknown as NodeJS.CallSite[];
    const name = frames?.[0]?.getFileName?.() ?? undefined;
    if (!name) return undefined;
    return name.startsWith('file:') ? fileURLToPath(name) : name;
  } catch {
    return undefined;
  } finally {
    Error.prepareStackTrace = original;
  }
}

/** Walks up from `start` to a folder that has src/node/worker-bootstrap.mjs; returns that src/node. */
function findSrcNode(start: string): string | undefined {
  for (let d = resolve(start); ; d = dirname(d)) {
    if (existsSync(join(d, BOOTSTRAP)) && existsSync(join(d, '..', 'experiments'))) return d;
    const cand = join(d, 'src', 'node');
    if (existsSync(join(cand, BOOTSTRAP))) return cand;
    if (dirname(d) === d) return undefined;
  }
}

export interface Locations {
  /** Folder of the running sweep modules (src/node, or dist/src/node when built). */
  readonly runtimeDir: string;
  /** Extension of the running modules: '.ts' from source, '.js' when built. */
  readonly ext: '.ts' | '.js';
  /** The repository's src/node (holds worker-bootstrap.mjs). */
  readonly srcNodeDir: string;
}

let cached: Locations | undefined;

export function locations(): Locations {
  if (cached) return cached;
  const own = ownFile();
  const ownDir = own ? dirname(own) : undefined;
  const ext = own && extname(own) === '.js' ? '.js' : '.ts';
  const srcNodeDir = (ownDir && findSrcNode(ownDir)) ?? findSrcNode(process.cwd());
  if (!srcNodeDir) throw new Error(`cannot find src/node/${BOOTSTRAP} above ${ownDir ?? '(unknown module location)'} or ${process.cwd()}`);
  const runtimeDir = ownDir && existsSync(join(ownDir, `worker${ext}`)) ? ownDir : srcNodeDir;
  cached = { runtimeDir, ext: runtimeDir === ownDir ? ext : '.ts', srcNodeDir };
  return cached;
}

/** The worker thread's bootstrap file and the module it imports. */
export function workerFiles(): { bootstrap: string; entry: string } {
  const l = locations();
  return { bootstrap: join(l.srcNodeDir, BOOTSTRAP), entry: join(l.runtimeDir, `worker${l.ext}`) };
}

/** The repository root (two levels above src/node). */
export function repoRoot(): string {
  return resolve(locations().srcNodeDir, '..', '..');
}

/** Default data directory: $SWEEP_DATA_DIR, else <repo>/data (the same from source and from dist/). */
export function defaultDataDir(): string {
  const env = process.env.SWEEP_DATA_DIR;
  return env ? resolve(env) : join(repoRoot(), 'data');
}

/**
 * The TypeScript source of a registered experiment module given relative to src/experiments
 * ('./x.js' → <repo>/src/experiments/x.ts), so that `hashSource` keys agree between source and dist runs.
 */
export function experimentSourceFile(relative: string): string {
  const base = join(locations().srcNodeDir, '..', 'experiments', relative);
  const noExt = base.replace(/\.(js|ts|mjs|mts)$/, '');
  for (const e of ['.ts', '.mts', '.js', '.mjs']) if (existsSync(noExt + e)) return noExt + e;
  return base;
}
