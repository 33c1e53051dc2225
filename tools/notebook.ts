/**
 * Run notebooks headless through the layerwise-precond (tslab) kernel.
 *
 *   npm run notebooks                                  every notebooks/*.ipynb, outputs written back
 *   npm run notebook -- notebooks/NAME.ipynb           one notebook, outputs written back
 *   npm run notebook -- notebooks/NAME.ipynb kappa=1000 method='"sgd"' [--out FILE]
 *                                                      with overrides (values as JSON), written to
 *                                                      runs/NAME.ipynb (or FILE), never over the original
 *   npm run notebook -- --params notebooks/NAME.ipynb  list a notebook's parameters and defaults
 *
 * Each run: build src/ (a type error stops here), inject the overrides as a cell after the
 * `parameters` cell, execute every cell with nbclient (tools/nbexec.py), stop at the first error
 * naming the notebook and the cell, add a PNG beside every plotly figure (headless Chromium), and
 * write the notebook with a stamp of its cell sources in its metadata.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join, relative, resolve } from 'node:path';
import { readNotebook, writeNotebook, formatNotebook, text, type Notebook } from './lib/ipynb.js';
import { injectParameters, notebookParameters, parseOverrides, ParamError, jsonKind, INJECTED_TAG } from './lib/params.js';
import { ROOT, KERNEL_NAME, buildLibrary, findPython, privateJupyterPath } from './lib/jupyter.js';
import { PlotRenderer, addStaticImages } from './lib/static-plots.js';
import { STORIES, loadStory } from '../src/stories/index.js';
import { checkKnobs, KnobError } from '../src/stories/story.js';

export const NOTEBOOK_DIR = join(ROOT, 'notebooks');
export const RUNS_DIR = join(ROOT, 'runs');
export const STAMP_KEY = 'layerwise_precond';

export class RunError extends Error { override name = 'RunError'; }

export function listNotebooks(dir = NOTEBOOK_DIR): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.ipynb') && !f.startsWith('.')).sort().map((f) => join(dir, f));
}

/** A hash of what a reader sees of the notebook besides outputs: cell types, sources and tags. */
export function sourceHash(nb: Notebook): string {
  const cells = nb.cells.map((c) => [c.cell_type, text(c.source), c.metadata?.tags ?? []]);
  return createHash('sha256').update(JSON.stringify(cells)).digest('hex');
}

export interface RunOptions {
  overrides?: readonly string[];
  /** Where to write the executed notebook; default: in place without overrides, runs/NAME.ipynb with. */
  out?: string;
  timeoutS?: number;
  /** Renders the plots' PNG copies; null skips them (no Chromium here); absent starts one. */
  renderer?: PlotRenderer | null;
  python?: string;
  jupyterPath?: string;
  log?: (s: string) => void;
}

export interface RunResult { out: string; ms: number; plots: number; cells: number }

/** Execute one notebook; throws RunError (naming notebook and cell) or ParamError. */
export async function runNotebook(path: string, o: RunOptions = {}): Promise<RunResult> {
  const t0 = Date.now();
  const label = relative(ROOT, resolve(path)) || path;
  const nb = readNotebook(path);
  const ks = nb.metadata.kernelspec?.name;
  if (ks !== KERNEL_NAME) throw new RunError(`${label}: its kernelspec is '${ks ?? '(none)'}'; notebooks here use the '${KERNEL_NAME}' kernel (set metadata.kernelspec.name)`);
  const overrides = parseOverrides(o.overrides ?? []);
  const injected = injectParameters(nb, overrides, label);
  const out = resolve(o.out ?? (overrides.size > 0 ? join(RUNS_DIR, basename(path)) : path));
  if (overrides.size > 0 && out === resolve(path)) throw new RunError(`${label}: a run with overrides is not written over the notebook; give --out FILE`);

  const python = o.python ?? findPython();
  if (!python) throw new RunError('no Python with nbclient: install Debian\'s python3-nbclient (apt-get install python3-nbclient), or `pip install nbclient`, or set PYTHON');
  const jupyterPath = o.jupyterPath ?? privateJupyterPath();
  const work = mkdtempSync(join(tmpdir(), 'lp-nbexec-'));
  try {
    const input = join(work, 'in.ipynb'), output = join(work, 'out.ipynb');
    writeFileSync(input, formatNotebook(injected));
    const r = spawnSync(python, [
      join(ROOT, 'tools', 'nbexec.py'), '--kernel', KERNEL_NAME, '--cwd', dirname(resolve(path)),
      '--timeout', String(o.timeoutS ?? 900), '--label', label, input, output,
    ], {
      encoding: 'utf8',
      env: { ...process.env, LP_KERNEL_QUIET: '1', JUPYTER_PATH: [jupyterPath, process.env.JUPYTER_PATH].filter(Boolean).join(delimiter) },
      maxBuffer: 64 << 20,
    });
    if (r.status !== 0) {
      const msg = (r.stderr || '').trim() || `${label}: nbexec exited with ${r.status ?? r.signal}`;
      throw new RunError(msg);
    }
    const done = readNotebook(output);
    let plots = 0;
    if (o.renderer !== null) {
      const own = !o.renderer;
      const renderer = o.renderer ?? await PlotRenderer.start();
      try {
        plots = await addStaticImages(done, renderer);
      } finally {
        if (own) await renderer.close();
      }
    }
    const params: Record<string, unknown> = {};
    for (const [k, v] of overrides) params[k] = v.value;
    done.metadata[STAMP_KEY] = {
      executed_by: overrides.size > 0 ? 'npm run notebook' : 'npm run notebooks',
      source_sha256: sourceHash(done),
      parameters: params,
    };
    mkdirSync(dirname(out), { recursive: true });
    writeNotebook(out, done);
    return { out, ms: Date.now() - t0, plots, cells: done.cells.filter((c) => c.cell_type === 'code').length };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * A notebook with a story (src/stories/) has its overrides checked by the story's validator too, the one
 * the notebook's own cells and the site's controls call: ranges and cross-constraints are refused here,
 * before the kernel starts, with the same message.
 */
export async function checkStoryKnobs(file: string, overrides: readonly string[]): Promise<void> {
  const stem = basename(file, '.ipynb');
  if (!Object.prototype.hasOwnProperty.call(STORIES, stem)) return;
  const story = await loadStory(stem);
  const values: Record<string, unknown> = {};
  for (const [k, o] of parseOverrides(overrides)) values[k] = o.value;
  try { checkKnobs(story, values); } catch (e) {
    if (e instanceof KnobError) throw new ParamError(e.message);
    throw e;
  }
}

function usage(): never {
  console.error(`usage:
  tsx tools/notebook.ts run-all                       execute notebooks/*.ipynb in place
  tsx tools/notebook.ts run NOTEBOOK [name=value ...] [--out FILE] [--timeout S]
  tsx tools/notebook.ts params NOTEBOOK               list the parameters and their defaults`);
  process.exit(2);
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const log = (s: string) => console.log(s);
  if (cmd === 'params' || (cmd === 'run' && rest[0] === '--params')) {
    const file = cmd === 'params' ? rest[0] : rest[1];
    if (!file) usage();
    const decls = notebookParameters(readNotebook(file), file);
    if (decls.length === 0) { log(`${file}: no parameters cell`); return 0; }
    for (const d of decls) log(`${d.name}${d.annotation ? `: ${d.annotation}` : ` (${jsonKind(d.value)})`} = ${JSON.stringify(d.value)}`);
    return 0;
  }
  if (cmd !== 'run' && cmd !== 'run-all') usage();
  let out: string | undefined, timeoutS: number | undefined;
  const files: string[] = [], overrides: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--out') out = rest[++i];
    else if (a === '--timeout') timeoutS = Number(rest[++i]);
    else if (a.startsWith('--')) usage();
    else if (a.includes('=') && !a.endsWith('.ipynb')) overrides.push(a);
    else files.push(a);
  }
  if (cmd === 'run-all') {
    if (files.length || overrides.length || out) usage();
    files.push(...listNotebooks());
    if (files.length === 0) throw new RunError(`no notebooks in ${relative(ROOT, NOTEBOOK_DIR)}/`);
  } else if (files.length !== 1) usage();
  // Refuse bad overrides before the build and the kernel.
  if (overrides.length) {
    // a storied notebook's values get the story's validator first: the messages the site shows
    await checkStoryKnobs(files[0]!, overrides);
    injectParameters(readNotebook(files[0]!), overrides, files[0]);
  }

  const b = buildLibrary();
  log(`built src/ in ${b.ms} ms`);
  const python = findPython();
  const jupyterPath = privateJupyterPath();
  const renderer = await PlotRenderer.start();
  const t0 = Date.now();
  try {
    for (const f of files) {
      const r = await runNotebook(f, { overrides, out, timeoutS, renderer, python, jupyterPath });
      log(`${relative(ROOT, f)}: ${r.cells} code cells, ${r.plots} plots, ${(r.ms / 1000).toFixed(1)} s -> ${relative(process.cwd(), r.out) || r.out}`);
    }
  } finally {
    await renderer.close();
    rmSync(jupyterPath, { recursive: true, force: true });
  }
  log(`${files.length} notebook${files.length === 1 ? '' : 's'} executed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename ?? '')) {
  main(process.argv.slice(2)).then((c) => process.exit(c), (e: unknown) => {
    if (e instanceof ParamError || e instanceof RunError) console.error(`error: ${e.message}`);
    else console.error(e);
    process.exit(1);
  });
}

export { INJECTED_TAG };
