/**
 * Where Jupyter looks for kernels, the kernelspec of this repository (which the headless executor
 * starts directly), and a Python that has nbclient (for the tests that compare with it).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const KERNEL_NAME = 'layerwise-precond';
export const KERNEL_DISPLAY_NAME = 'TypeScript (layerwise-precond)';

export interface KernelSpec { argv: string[]; display_name: string; language: string; interrupt_mode: string; metadata: Record<string, unknown> }

/**
 * Node flags of the processes that run sweeps (the kernel here; `npm run sweep` and `npm run bench` in
 * package.json): V8's background GC threads compete with the sweep's worker threads for the cores, and a
 * collection that waits for a helper without a core stalls its worker. Measured on 2 cores, 2 workers,
 * runs of the bench's sweep alternated with and without the flag: numpy/ours 0.94, 1.00, 1.03 with it,
 * 1.09 and 1.09 without (bench/README.md).
 */
export const NODE_FLAGS: readonly string[] = ['--single-threaded-gc'];

/** The kernelspec: this Node, with `NODE_FLAGS`, running tools/kernel.mjs of this checkout. */
export function kernelSpec(root = ROOT, node = process.execPath): KernelSpec {
  return {
    argv: [node, ...NODE_FLAGS, join(root, 'tools', 'kernel.mjs'), '--config-path', '{connection_file}'],
    display_name: KERNEL_DISPLAY_NAME,
    language: 'typescript',
    interrupt_mode: 'signal',
    metadata: { repository: root },
  };
}

/** jupyter_core's user data directory (`jupyter --data-dir`), computed without Python. */
export function jupyterUserDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform, home = homedir()): string {
  if (env.JUPYTER_DATA_DIR) return env.JUPYTER_DATA_DIR;
  if (platform === 'darwin') return join(home, 'Library', 'Jupyter');
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'jupyter');
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'jupyter');
}

/** Write the kernelspec under `<dataDir>/kernels/<name>/kernel.json`; returns the file written. */
export function writeKernelSpec(dataDir: string, spec = kernelSpec()): string {
  const dir = join(dataDir, 'kernels', KERNEL_NAME);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'kernel.json');
  writeFileSync(file, JSON.stringify(spec, null, 1) + '\n');
  return file;
}

/**
 * A private Jupyter path holding only this checkout's kernelspec: headless runs and tests put it in
 * JUPYTER_PATH, so they run this checkout's kernel whatever is registered for the user.
 */
export function privateJupyterPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lp-jupyter-'));
  writeKernelSpec(dir);
  return dir;
}

/**
 * A Python that can import `mods`: $PYTHON if set, else the first of python3 on PATH and Debian's
 * /usr/bin/python3 that can. Undefined when none can.
 */
export function findPython(mods: readonly string[] = ['nbclient', 'nbformat']): string | undefined {
  const candidates = process.env.PYTHON ? [process.env.PYTHON] : ['python3', 'python', '/usr/bin/python3'];
  for (const py of candidates) {
    if (py.startsWith('/') && !existsSync(py)) continue;
    const r = spawnSync(py, ['-c', mods.map((m) => `import ${m}`).join('; ')], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return undefined;
}

/** A `jupyter` command that has JupyterLab: $JUPYTER, the repository's .venv, then PATH. */
export function findJupyterLab(): string | undefined {
  const candidates = [process.env.JUPYTER, join(ROOT, '.venv', 'bin', 'jupyter'), 'jupyter'].filter((c): c is string => !!c);
  for (const j of candidates) {
    if (j.includes('/') && !existsSync(j)) continue;
    const r = spawnSync(j, ['lab', '--version'], { encoding: 'utf8' });
    if (r.status === 0) return j;
  }
  return undefined;
}

/**
 * Build the library (src/ → dist/) as the kernel does. A type error throws with tsc's messages unless
 * `allowTypeErrors` (tsc emits the JavaScript anyway, as the kernel relies on).
 */
export function buildLibrary(opts: { allowTypeErrors?: boolean } = {}): { ms: number; errors: string } {
  const t0 = Date.now();
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-b', join(ROOT, 'tsconfig.lib.json')], { cwd: ROOT, encoding: 'utf8' });
  const errors = r.status === 0 ? '' : `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`;
  if (errors && !(opts.allowTypeErrors && r.status === 2 && !r.error)) throw new Error(`building src/ failed:\n${errors}`);
  return { ms: Date.now() - t0, errors };
}
