/**
 * Run notebooks headless through the layerwise-precond (tslab) kernel — no Python needed: this
 * process is the Jupyter client (tools/lib/kernel-client.ts, the messaging protocol over ZeroMQ).
 *
 *   npm run notebooks                                  every notebooks/*.ipynb, outputs written back
 *   npm run notebook -- notebooks/NAME.ipynb           one notebook, outputs written back (in place)
 *   npm run notebook -- notebooks/NAME.ipynb kappa=1000 method='"sgd"' [--out FILE]
 *                                                      with overrides (values as JSON), written to
 *                                                      runs/NAME--kappa=1000--method=sgd.ipynb (or
 *                                                      FILE), never over the original
 *   npm run notebook -- --params notebooks/NAME.ipynb  list a notebook's knobs: comment, type, default
 *   npm run notebook -- notebooks/NAME.ipynb --profile paper
 *                                                      the story's profile `paper` (its knob overrides,
 *                                                      src/stories/) injected, written to
 *                                                      notebooks/paper-scale/NAME.ipynb; its cells are
 *                                                      kept in data/ (committed, like the defaults')
 *   npm run notebook -- notebooks/NAME.ipynb --profile paper kappa=10
 *                                                      a profile with further overrides: a parameter run
 *                                                      (runs/NAME--kappa=10--profile=paper.ipynb, .cache/)
 *
 * Each run: check the overrides (the notebook's story's `checkKnobs` when it has one, else the
 * parameters cell's types) before anything starts, build src/ (a type error stops here), inject the
 * overrides as a cell after the `parameters` cell, execute every cell through the kernel, add a PNG
 * beside every plotly figure (headless Chromium; without one, the PNGs of the committed notebook are
 * kept), and write the notebook with a stamp of its cell sources in its metadata.
 *
 * A failing cell (an error, a claim that does not hold, the time limit) stops the run as papermill
 * does: the notebook is written with the outputs up to and including that cell (to runs/ when the run
 * was in place, so the committed notebook is never replaced by a failed one), and the error names the
 * notebook, the cell and that file. Parameter runs keep their sweep cells in the ignored .cache/sweeps/
 * (reading the committed data/ first), so data/ holds exactly the cells of the default parameters.
 * The kernel's own output (progress with timings) goes to the run log, runs/logs/NAME.log.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { basename, delimiter, dirname, join, relative, resolve } from 'node:path';
import { readNotebook, writeNotebook, text, type Notebook, type Output } from './lib/ipynb.js';
import { injectParameters, notebookParameters, parseOverrides, ParamError, jsonKind, INJECTED_TAG, type Json } from './lib/params.js';
import { ROOT, KERNEL_NAME, buildLibrary, kernelSpec } from './lib/jupyter.js';
import { PlotRenderer, addStaticImages, keepCommittedImages } from './lib/static-plots.js';
import { executeNotebook, firstLine, type CellFailure } from './lib/execute.js';
import { KernelError } from './lib/kernel-client.js';
import { NoChromiumError } from './lib/chromium.js';
import { STORIES, loadStory } from '../src/stories/index.js';
import { checkKnobs, describeKnob, KnobError, profileKnobs, type Knobs } from '../src/stories/story.js';

export const NOTEBOOK_DIR = join(ROOT, 'notebooks');
export const RUNS_DIR = join(ROOT, 'runs');
export const LOG_DIR = join(RUNS_DIR, 'logs');
/** Where parameter runs keep the sweep cells they compute (git-ignored). */
export const SWEEP_CACHE_DIR = join(ROOT, '.cache', 'sweeps');
export const DATA_DIR = join(ROOT, 'data');
export const STAMP_KEY = 'layerwise_precond';
/** Where the executed notebook of a profile run is committed: notebooks/paper-scale/ for `paper`. */
export function profileDir(profile: string, dir = NOTEBOOK_DIR): string { return join(dir, `${profile}-scale`); }
/** The committed executed notebook of `notebook` at `profile` (notebooks/paper-scale/NAME.ipynb). */
export function profilePath(notebook: string, profile: string, dir = NOTEBOOK_DIR): string { return join(profileDir(profile, dir), basename(notebook)); }
export const PAPER = 'Zhang, Moniri, Nagwekar, Rahman, Xue, Hassani and Matni, "On the Concurrence of Layer-wise Preconditioning Methods and Provable Feature Learning", ICML 2025 (arXiv 2502.01763)';

export class RunError extends Error {
  override name = 'RunError';
  constructor(message: string, readonly written?: string, readonly failure?: CellFailure) { super(message); }
}

export function listNotebooks(dir = NOTEBOOK_DIR): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.ipynb') && !f.startsWith('.')).sort().map((f) => join(dir, f));
}

/** A hash of what a reader sees of the notebook besides outputs: cell types, sources and tags. */
export function sourceHash(nb: Notebook): string {
  const cells = nb.cells.map((c) => [c.cell_type, text(c.source), c.metadata?.tags ?? []]);
  return createHash('sha256').update(JSON.stringify(cells)).digest('hex');
}

/** The file a parameter run writes: runs/NAME--knob=value[--knob=value].ipynb (names sorted). */
export function runPath(notebook: string, overrides: ReadonlyMap<string, { value: Json }>, dir = RUNS_DIR): string {
  const name = basename(notebook, '.ipynb');
  const parts = [...overrides.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => {
    const val = typeof v.value === 'string' ? v.value : JSON.stringify(v.value);
    return `${k}=${val.replace(/[^A-Za-z0-9._,+=-]+/g, '_')}`;
  });
  let stem = [name, ...parts].join('--');
  if (stem.length > 150) {
    const h = createHash('sha256').update(JSON.stringify([...overrides.entries()].map(([k, v]) => [k, v.value]))).digest('hex').slice(0, 10);
    stem = `${stem.slice(0, 130)}--${h}`;
  }
  return join(dir, `${stem}.ipynb`);
}

/** The notebook's story, when the registry has one (src/stories/index.ts). */
export async function storyOf(notebook: string) {
  const name = basename(notebook, '.ipynb');
  return Object.prototype.hasOwnProperty.call(STORIES, name) ? loadStory(name) : undefined;
}

/**
 * Check overrides before any kernel starts: the story's validator (ranges, cross-constraints) when the
 * notebook has a story, and always the parameters cell (names and types, for the injected cell).
 * Returns the notebook with the overrides injected.
 */
export async function checkedInjection(nb: Notebook, path: string, overrides: ReturnType<typeof parseOverrides>, label: string): Promise<Notebook> {
  const story = await storyOf(path);
  if (story) {
    try {
      checkKnobs(story, Object.fromEntries([...overrides].map(([k, v]) => [k, v.value])));
    } catch (e) {
      if (e instanceof KnobError) throw new ParamError(e.message);
      throw e;
    }
  }
  return injectParameters(nb, overrides, label);
}

/** A path as the user is shown it: relative to the working directory when under it, else absolute. */
export function shown(p: string): string {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith('..') ? r : resolve(p);
}

/** "cell 14 (code cell 7): `printClaims(...)`" */
export function cellLabel(nb: Notebook, index: number): string {
  const code = nb.cells.slice(0, index + 1).filter((c) => c.cell_type === 'code').length;
  const line = firstLine(nb.cells[index]!);
  return `cell ${index + 1} (code cell ${code}): \`${line.length > 80 ? `${line.slice(0, 77)}...` : line}\``;
}

export interface RunOptions {
  overrides?: readonly string[];
  /**
   * A profile of the notebook's story (e.g. 'paper'): its knob overrides are injected, and `overrides`
   * come on top of them. Alone, the run is written to notebooks/<profile>-scale/NAME.ipynb and its cells
   * kept in data/; with further overrides it is a parameter run (runs/, .cache/).
   */
  profile?: string;
  /** Where to write the executed notebook; default: in place without overrides, runPath() with. */
  out?: string;
  timeoutS?: number;
  /** Renders the plots' PNG copies; null keeps the committed PNGs (no Chromium here); absent starts one. */
  renderer?: PlotRenderer | null;
  /** Progress of the run (cell by cell) and the kernel's log lines; default: none. */
  log?: (s: string) => void;
}

export interface RunResult { out: string; ms: number; plots: number; cells: number; pngsKept: number; log: string; inPlace: boolean }

/** Execute one notebook; throws RunError (naming notebook, cell and the file written) or ParamError. */
export async function runNotebook(path: string, o: RunOptions = {}): Promise<RunResult> {
  const t0 = Date.now();
  const label = relative(ROOT, resolve(path)) || path;
  const nb = readNotebook(path);
  const ks = nb.metadata.kernelspec?.name;
  if (ks !== KERNEL_NAME) throw new RunError(`${label}: its kernelspec is '${ks ?? '(none)'}'; notebooks here use the '${KERNEL_NAME}' kernel (set metadata.kernelspec.name)`);
  const own = parseOverrides(o.overrides ?? []);
  const overrides = o.profile === undefined ? own : await withProfile(path, o.profile, own);
  const injected = await checkedInjection(nb, path, overrides, label);
  // a profile alone is committed (notebooks/<profile>-scale/, cells in data/); anything else with overrides is a parameter run
  const profileRun = o.profile !== undefined && own.size === 0;
  const paramRun = own.size > 0;
  const runLabel = o.profile !== undefined && own.size > 0 ? new Map([['profile', { raw: o.profile, value: o.profile }], ...own]) : own;
  const out = resolve(o.out ?? (profileRun ? profilePath(path, o.profile!) : paramRun ? runPath(path, runLabel) : path));
  const inPlace = out === resolve(path);
  if (overrides.size > 0 && inPlace) throw new RunError(`${label}: a run with overrides is not written over the notebook; give --out FILE`);
  const committed = inPlace || (profileRun && out === resolve(profilePath(path, o.profile!)));

  mkdirSync(LOG_DIR, { recursive: true });
  const logFile = join(LOG_DIR, `${basename(out, '.ipynb')}.log`);
  writeFileSync(logFile, `${label} -> ${relative(ROOT, out)}\n${o.profile !== undefined ? `profile: ${o.profile}\n` : ''}parameters: ${JSON.stringify(Object.fromEntries([...overrides].map(([k, v]) => [k, v.value])))}\n`);
  const say = (s: string) => { appendFileSync(logFile, s.endsWith('\n') ? s : `${s}\n`); o.log?.(s); };

  const env: NodeJS.ProcessEnv = { ...process.env, LP_KERNEL_QUIET: '1', LP_HEADLESS: '1' };
  if (paramRun && !process.env.SWEEP_DATA_DIR) {
    // New cells of a parameter run go to the ignored cache; the committed cells in data/ are reused.
    env.SWEEP_DATA_DIR = SWEEP_CACHE_DIR;
    env.SWEEP_READ_DIRS = [DATA_DIR, process.env.SWEEP_READ_DIRS].filter(Boolean).join(delimiter);
  }
  const timeoutS = o.timeoutS ?? 900;
  let r: Awaited<ReturnType<typeof executeNotebook>>;
  try {
    r = await executeNotebook(injected, {
      spec: kernelSpec(), cwd: dirname(resolve(path)), env, timeoutS,
      log: (s) => say(s.replace(/\n$/, '').split('\n').map((l) => `  | ${l}`).join('\n')),
      onCell: (i, phase, ms) => { if (phase === 'end') appendFileSync(logFile, `${cellLabel(injected, i)}: ${((ms ?? 0) / 1000).toFixed(1)} s\n`); },
    });
  } catch (e) {
    if (e instanceof KernelError) throw new RunError(`${label}: the '${KERNEL_NAME}' kernel (tools/kernel.mjs) did not start: ${e.message}\nRun log: ${shown(logFile)}`);
    throw e;
  }
  const done = r.nb;
  const params: Record<string, unknown> = {};
  for (const [k, v] of overrides) params[k] = v.value;
  const stamp: Record<string, unknown> = {
    executed_by: overrides.size > 0 ? 'npm run notebook' : 'npm run notebooks',
    source_sha256: sourceHash(done),
    parameters: params,
    ...(o.profile !== undefined ? { profile: o.profile } : {}),
  };

  if (r.failure) {
    const f = r.failure;
    // Never replace the committed notebook by a failed run: an in-place run's failure goes to runs/.
    const written = committed ? join(RUNS_DIR, `${basename(path, '.ipynb')}${profileRun ? `.${o.profile}` : ''}.failed.ipynb`) : out;
    stamp.failed = { cell: f.index + 1, kind: f.kind };
    done.metadata[STAMP_KEY] = stamp;
    mkdirSync(dirname(written), { recursive: true });
    writeNotebook(written, done);
    const where = cellLabel(done, f.index);
    const head = f.kind === 'timeout'
      ? `${label}: ${where} ran past the time limit of ${timeoutS} s and was interrupted (--timeout S changes the limit)`
      : f.kind === 'dead' ? `${label}: the kernel died in ${where}` : `${label}: ${where} failed:`;
    const body = f.kind === 'timeout' ? '' : `\n${f.detail}`;
    throw new RunError(`${head}${body}\nThe notebook executed up to and including that cell: ${shown(written)}\nRun log: ${shown(logFile)}`, written, f);
  }

  // Every unchanged figure keeps the PNG of the notebook being replaced (or of the source notebook);
  // with Chromium, the new and changed ones are then drawn.
  let plots = 0;
  const pngsKept = keepCommittedImages(done, existsSync(out) ? readNotebook(out) : nb);
  if (o.renderer !== null) {
    const own = !o.renderer;
    const renderer = o.renderer ?? await PlotRenderer.start();
    try {
      plots = await addStaticImages(done, renderer);
    } finally {
      if (own) await renderer.close();
    }
  }
  done.metadata[STAMP_KEY] = stamp;
  mkdirSync(dirname(out), { recursive: true });
  writeNotebook(out, done);
  say(`executed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { out, ms: Date.now() - t0, plots, pngsKept, log: logFile, inPlace, cells: done.cells.filter((c) => c.cell_type === 'code').length };
}

/**
 * The overrides of `profile` of the notebook's story, with `own` on top (own values win), as parsed
 * overrides. Refused (ParamError) when the notebook has no story or the story no such profile.
 */
export async function withProfile(path: string, profile: string, own: ReturnType<typeof parseOverrides>): Promise<ReturnType<typeof parseOverrides>> {
  const story = await storyOf(path);
  const label = basename(path);
  if (!story) throw new ParamError(`${label} has no story (src/stories/), so no profile '${profile}'`);
  let knobs: Readonly<Record<string, unknown>>;
  try {
    knobs = profileKnobs(story, profile);
  } catch (e) {
    if (e instanceof KnobError) throw new ParamError(e.message);
    throw e;
  }
  const out: ReturnType<typeof parseOverrides> = new Map();
  for (const [k, v] of Object.entries(knobs)) out.set(k, { raw: JSON.stringify(v), value: v as Json });
  for (const [k, v] of own) out.set(k, v);
  return out;
}

/** The storied notebooks whose story declares `profile`. */
export async function notebooksWithProfile(profile: string, files = listNotebooks()): Promise<string[]> {
  const out: string[] = [];
  for (const f of files) {
    const s = await storyOf(f);
    if (s && Object.prototype.hasOwnProperty.call(s.profiles ?? {}, profile)) out.push(f);
  }
  return out;
}

/** A TypeScript-like name of a JSON default's type: number, string[], {a: number}... */
function typeName(v: Json): string {
  if (Array.isArray(v)) {
    const kinds = [...new Set(v.map(typeName))];
    return kinds.length === 1 ? `${kinds[0]}[]` : kinds.length === 0 ? 'array' : `(${kinds.join(' | ')})[]`;
  }
  if (v !== null && typeof v === 'object') return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${typeName(x)}`).join('; ')} }`;
  return jsonKind(v);
}

/** One line per knob: name, type, default and its comment (from the story when there is one). */
export async function describeParameters(file: string): Promise<string[]> {
  const story = await storyOf(file);
  if (story) {
    return Object.entries(story.knobs as Knobs).map(([name, k]) =>
      `${name} = ${JSON.stringify(k.default)}  (${describeKnob(k)})${k.doc ? `\n    ${k.doc}` : ''}`);
  }
  const decls = notebookParameters(readNotebook(file), file);
  return decls.map((d) => `${d.name}: ${d.annotation ?? typeName(d.value)} = ${JSON.stringify(d.value)}${d.doc ? `\n    ${d.doc}` : ''}`);
}

function usage(): never {
  console.error(`usage:
  tsx tools/notebook.ts run-all                       execute notebooks/*.ipynb in place
  tsx tools/notebook.ts run NOTEBOOK [--profile NAME] [name=value ...] [--out FILE] [--timeout S]
  tsx tools/notebook.ts params NOTEBOOK               list the knobs: type, default, comment
The notebooks reproduce ${PAPER}.`);
  process.exit(2);
}

/** Start Chromium for the PNG copies, or say in one line why the committed PNGs are kept. */
export async function startRenderer(log: (s: string) => void): Promise<PlotRenderer | null> {
  try {
    return await PlotRenderer.start();
  } catch (e) {
    if (process.env.CI) throw e;
    const why = e instanceof NoChromiumError ? e.message : `Chromium did not start (${(e as Error).message.split('\n')[0]})`;
    log(`note: ${why}; the plots keep the PNG copies of the committed notebooks (the site and JupyterLab draw them anyway).`);
    return null;
  }
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const log = (s: string) => console.log(s);
  if (cmd === 'params' || (cmd === 'run' && rest[0] === '--params')) {
    const file = cmd === 'params' ? rest[0] : rest[1];
    if (!file) usage();
    const lines = await describeParameters(file);
    if (lines.length === 0) { log(`${file}: no parameters cell`); return 0; }
    log(`${file}: knobs (override with name=value, values as JSON):`);
    for (const l of lines) log(l);
    return 0;
  }
  if (cmd !== 'run' && cmd !== 'run-all') usage();
  let out: string | undefined, timeoutS: number | undefined, profile: string | undefined;
  const files: string[] = [], overrides: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--out') out = rest[++i];
    else if (a === '--profile') {
      profile = rest[++i];
      if (!profile || profile.startsWith('--')) throw new ParamError('--profile needs a profile name, e.g. --profile paper');
    } else if (a === '--timeout') {
      timeoutS = Number(rest[++i]);
      if (!(timeoutS > 0)) throw new ParamError(`--timeout must be a number of seconds > 0; got ${rest[i] ?? '(nothing)'}`);
    } else if (a.startsWith('--')) usage();
    else if (a.includes('=') && !a.endsWith('.ipynb')) overrides.push(a);
    else files.push(a);
  }
  if (cmd === 'run-all') {
    if (files.length || overrides.length || out || profile !== undefined) usage();
    files.push(...listNotebooks());
    if (files.length === 0) throw new RunError(`no notebooks in ${relative(ROOT, NOTEBOOK_DIR)}/`);
  } else if (files.length !== 1) usage();
  // Refuse bad overrides before the build and the kernel.
  if (cmd === 'run') {
    const f = files[0]!;
    const parsed = parseOverrides(overrides);
    const all = profile === undefined ? parsed : await withProfile(f, profile, parsed);
    await checkedInjection(readNotebook(f), f, all, relative(ROOT, resolve(f)) || f);
    const runLabel = profile !== undefined ? new Map([['profile', { raw: profile, value: profile }], ...parsed]) : parsed;
    const target = out ?? (profile !== undefined && parsed.size === 0 ? profilePath(f, profile) : parsed.size > 0 ? runPath(f, runLabel) : f);
    log(profile !== undefined && parsed.size === 0 && !out
      ? `profile '${profile}': writes ${shown(target)} (its cells go to data/)`
      : all.size > 0 || out
        ? `writes ${shown(target)}${parsed.size > 0 && !out ? ' (a parameter run; --out FILE writes elsewhere)' : ''}`
        : `no overrides: writes the executed notebook in place, over ${shown(f)}`);
  }

  const b = buildLibrary();
  log(`built src/ in ${b.ms} ms`);
  const renderer = await startRenderer(log);
  const t0 = Date.now();
  try {
    for (const f of files) {
      const r = await runNotebook(f, { overrides, profile, out, timeoutS, renderer, log: (s) => process.stderr.write(`${s}\n`) });
      const png = renderer ? `${r.plots + r.pngsKept} plots (${r.plots} drawn, ${r.pngsKept} committed PNGs kept)` : `${r.pngsKept} committed PNGs kept`;
      log(`${relative(ROOT, f)}: ${r.cells} code cells, ${png}, ${(r.ms / 1000).toFixed(1)} s -> ${shown(r.out)}`);
    }
  } finally {
    await renderer?.close();
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
export type { Output };
