/**
 * Command line of the sweep machinery (run through tsx):
 *
 *   npm run sweep -- <experiment> [--shard i/n] [--data dir] [--workers k] [--set name=json ...] [--seeds k]
 *                    [--no-results] [--quiet] [--progress-interval s]
 *   npm run merge -- <experiment> [--from dir ...] [--data dir] [--set name=json ...] [--seeds k]
 *   npm run sweep-list
 *
 * A notebook's sweeps: `--story NAME [--profile P] [--sweep S] [--knob name=json ...]` takes the grid
 * (set, seeds, first replicate) from the story's sweeps at its knobs (the profile's overrides, then
 * --knob's), instead of --set/--seeds; <experiment> then picks that experiment's sweeps of the story
 * (all of them, or --sweep S). So the README's Slurm script shards a paper-scale sweep unchanged:
 *
 *   sbatch --array=0-7 examples/slurm-array.sh single-index-spike --story 20-single-index-spike --profile paper
 *   npm run merge -- single-index-spike --story 20-single-index-spike --profile paper
 *
 * <experiment> is a registered name or a path to a module file. `--set n=100` fixes axis n at 100;
 * `--set 'n=[100,1000]'` gives it two values (a JSON array lists values; to fix an axis at an array
 * value, wrap it: `--set 'shape=[[2,3]]'`). Strings are JSON strings: `--set 'opt="sgd"'`.
 * Exit status: 0 done, 1 the run failed (a cell threw, a write failed, cells missing), 2 bad input.
 */
import { GridError } from '../sweep/grid.js';
import { REGISTRY, experimentNames, loadRegistered } from '../experiments/registry.js';
import type { Json } from '../sweep/types.js';
import { mergeShards } from './merge.js';
import { CellError } from './pool.js';
import { formatDuration, progressReporter } from './progress.js';
import { liveRuns, releaseClaimsSync, runSweep } from './runner.js';
import { STORIES, loadStory, storyNames } from '../stories/index.js';
import { checkKnobs, KnobError, profileKnobs, type SweepRequest } from '../stories/story.js';

export const USAGE = `usage:
  sweep <experiment> [--shard i/n] [--data dir] [--workers k] [--set name=json ...] [--seeds k]
        [--no-results] [--quiet] [--progress-interval seconds]
  merge <experiment> [--from dir ...] [--data dir] [--set name=json ...] [--seeds k]
  sweep|merge [<experiment>] --story NOTEBOOK [--profile NAME] [--sweep NAME] [--knob name=json ...] [options above]
  list
<experiment>: a registered name (see 'list') or a path to an experiment module.
--set n=100 fixes axis n; --set 'n=[100,1000]' gives it several values; strings in JSON quotes.
--story: the grids of that notebook's story (src/stories/) at its knobs: a --profile's overrides (e.g.
paper), then --knob's; <experiment> (optional) keeps that experiment's sweeps; --sweep keeps one.`;

export class UsageError extends GridError {
  constructor(message: string) { super(message); this.name = 'UsageError'; }
}

export interface ParsedArgs {
  command: 'sweep' | 'merge' | 'list' | 'help';
  experiment?: string;
  shard?: string;
  data?: string;
  workers?: number;
  set: Record<string, Json[]>;
  seeds?: number;
  from: string[];
  results: boolean;
  quiet: boolean;
  progressIntervalS?: number;
  /** A notebook's story whose sweeps give the grids (instead of --set/--seeds). */
  story?: string;
  profile?: string;
  sweep?: string;
  knobs: Record<string, Json>;
}

function parseSet(arg: string): [string, Json[]] {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new UsageError(`--set expects name=json (e.g. --set n=100 or --set 'n=[10,100]'); got '${arg}'`);
  const name = arg.slice(0, eq), text = arg.slice(eq + 1);
  let v: Json;
  try { v = JSON.parse(text) as Json; } catch {
    throw new UsageError(`--set ${name}: '${text}' is not JSON; numbers as 100, strings in double quotes (--set '${name}="${text}"'), lists as [1,2]`);
  }
  return [name, Array.isArray(v) ? v : [v]];
}

/** --knob name=json: the knob's value as written (a JSON list is a list knob's value). */
function parseKnob(arg: string): [string, Json] {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new UsageError(`--knob expects name=json (e.g. --knob seed=1 or --knob 'kappas=[1,10]'); got '${arg}'`);
  const name = arg.slice(0, eq), text = arg.slice(eq + 1);
  try { return [name, JSON.parse(text) as Json]; } catch {
    throw new UsageError(`--knob ${name}: '${text}' is not JSON; numbers as 100, strings in double quotes (--knob '${name}="${text}"'), lists as [1,2]`);
  }
}

function intArg(flag: string, text: string | undefined, min: number): number {
  const n = text !== undefined && /^\s*-?\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} must be an integer >= ${min}; got '${text ?? ''}'`);
  return n;
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const a: ParsedArgs = { command: 'help', set: {}, from: [], results: true, quiet: false, knobs: {} };
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') return a;
  if (cmd !== 'sweep' && cmd !== 'merge' && cmd !== 'list') throw new UsageError(`unknown command '${cmd}'; commands: sweep, merge, list`);
  a.command = cmd;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = rest[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--shard': a.shard = value(); break;
      case '--data': a.data = value(); break;
      case '--workers': a.workers = intArg('--workers', value(), 0); break;
      case '--seeds': a.seeds = intArg('--seeds', value(), 1); break;
      case '--from': a.from.push(value()); break;
      case '--no-results': a.results = false; break;
      case '--quiet': a.quiet = true; break;
      case '--progress-interval': a.progressIntervalS = intArg('--progress-interval', value(), 0); break;
      case '--set': {
        const [name, values] = parseSet(value());
        if (name in a.set) throw new UsageError(`--set ${name} given twice; give all its values in one JSON list`);
        a.set[name] = values;
        break;
      }
      case '--story': a.story = value(); break;
      case '--profile': a.profile = value(); break;
      case '--sweep': a.sweep = value(); break;
      case '--knob': {
        const [name, v] = parseKnob(value());
        if (name in a.knobs) throw new UsageError(`--knob ${name} given twice`);
        a.knobs[name] = v;
        break;
      }
      case '--help': case '-h': a.command = 'help'; return a;
      default:
        if (flag.startsWith('-')) throw new UsageError(`unknown option '${flag}' for ${cmd}`);
        if (a.experiment !== undefined) throw new UsageError(`one experiment per command; got '${a.experiment}' and '${arg}'`);
        a.experiment = arg;
    }
  }
  if (a.story === undefined && (a.profile !== undefined || a.sweep !== undefined || Object.keys(a.knobs).length > 0)) {
    throw new UsageError('--profile, --sweep and --knob belong to --story NOTEBOOK');
  }
  if (a.story !== undefined && (Object.keys(a.set).length > 0 || a.seeds !== undefined)) {
    throw new UsageError('--story takes its grids from the story: give knobs with --knob name=json (or --profile), not --set/--seeds');
  }
  if (a.command !== 'list' && a.experiment === undefined && a.story === undefined) {
    throw new UsageError(`${a.command}: name an experiment; known experiments: ${experimentNames().join(', ')}`);
  }
  if (a.command === 'merge' && (a.shard !== undefined || a.workers !== undefined)) throw new UsageError('merge takes no --shard or --workers');
  if (a.command === 'sweep' && a.from.length > 0) throw new UsageError('--from belongs to merge');
  return a;
}

export interface CliIo {
  out: (s: string) => void;
  err: { write(s: string): unknown; isTTY?: boolean; columns?: number };
}

/** Runs the CLI; returns the exit status. */
export async function main(argv: readonly string[], io: CliIo = { out: (s) => process.stdout.write(s), err: process.stderr }): Promise<number> {
  const say = (s: string) => io.err.write(`${s}\n`);
  try {
    const a = parseArgs(argv);
    if (a.command === 'help') { io.out(`${USAGE}\n`); return 0; }
    if (a.command === 'list') {
      for (const name of experimentNames()) {
        const e = await loadRegistered(name);
        const axes = Object.entries(e.grid.axes).map(([k, v]) => `${k}[${v.length}]`).join(' × ');
        io.out(`${name}  v${e.version}  ${axes || '(no axes)'} × ${e.grid.seeds} seeds  (${REGISTRY[name].module})${e.description ? `\n    ${e.description}` : ''}\n`);
      }
      return 0;
    }
    if (a.story !== undefined) return await storyCommand(a, io, say);
    const set = Object.keys(a.set).length ? a.set : undefined;
    if (a.command === 'merge') {
      const r = await mergeShards(a.experiment!, { dataDir: a.data, from: a.from, set, seeds: a.seeds, onNotice: say, quietEngine: true });
      io.out(`${r.experiment}: numeric engine ${r.engine}${process.env.LPFL_BACKEND?.trim() ? ' (LPFL_BACKEND)' : ''}\n`);
      io.out(`${r.experiment}: merged ${r.cells} cells (${r.present} present, ${r.copied} copied${r.corrupt.length ? `, ${r.corrupt.length} damaged copies skipped` : ''}) -> ${r.resultsFile}\n`);
      return 0;
    }
    const r = await runSweep(a.experiment!, {
      dataDir: a.data, workers: a.workers, shard: a.shard, set, seeds: a.seeds, writeResults: a.results && a.shard === undefined,
      onNotice: say, quietEngine: true,
      onProgress: a.quiet ? undefined : progressReporter({ stream: io.err, intervalMs: a.progressIntervalS !== undefined ? 1000 * a.progressIntervalS : undefined }),
    });
    io.out(`${r.experiment}: numeric engine ${r.engine}${process.env.LPFL_BACKEND?.trim() ? ' (LPFL_BACKEND)' : ''}\n`);
    const shard = r.shard ? ` shard ${r.shard.index}/${r.shard.count}:` : '';
    const damaged = r.corrupt.length ? `, ${r.corrupt.length} damaged cache files recomputed` : '';
    const others = r.byOthers ? `, ${r.byOthers} computed by another run` : '';
    io.out(`${r.experiment}:${shard} ${r.cells.length} cells (${r.computed} computed, ${r.cached} cached${others}${damaged}) in ${formatDuration(r.elapsedMs)}${r.resultsFile ? ` -> ${r.resultsFile}` : ''}\n`);
    return 0;
  } catch (e) {
    const bad = e instanceof GridError;
    say(`${argv[0] ?? 'sweep'}: ${(e as Error)?.message ?? String(e)}`);
    if (e instanceof CellError && e.stack) say(e.stack.slice(e.stack.indexOf('\n  in the cell:') + 1));
    if (bad && e instanceof UsageError) say(USAGE);
    if (!bad && process.env.SWEEP_DEBUG && (e as Error)?.stack) say((e as Error).stack!);
    return bad ? 2 : 1;
  }
}

/** One sweep of a story at its knobs, as the CLI runs or merges it. */
export interface StorySweep { readonly name: string; readonly req: SweepRequest }

/**
 * The sweeps of `--story` at the knobs (profile, then --knob), kept to <experiment>'s and to --sweep.
 * Bad names and knob values are usage errors naming what exists.
 */
export async function storySweeps(a: Pick<ParsedArgs, 'story' | 'profile' | 'sweep' | 'knobs' | 'experiment'>): Promise<StorySweep[]> {
  if (!Object.prototype.hasOwnProperty.call(STORIES, a.story!)) throw new UsageError(`--story: no story '${a.story}'; stories: ${storyNames().join(', ')}`);
  const story = await loadStory(a.story!);
  let reqs: Record<string, SweepRequest>;
  try {
    const v = checkKnobs(story, { ...(a.profile !== undefined ? profileKnobs(story, a.profile) : {}), ...a.knobs });
    reqs = story.sweeps(v) as Record<string, SweepRequest>;
  } catch (e) {
    if (e instanceof KnobError) throw new UsageError(e.message);
    throw e;
  }
  const all = Object.entries(reqs).map(([name, req]) => ({ name, req }));
  const list = all.map((x) => `${x.name} (${x.req.experiment})`).join(', ');
  if (a.sweep !== undefined && !all.some((x) => x.name === a.sweep)) throw new UsageError(`--sweep: story '${a.story}' has no sweep '${a.sweep}'; its sweeps: ${list}`);
  const picked = all.filter((x) => (a.sweep === undefined || x.name === a.sweep) && (a.experiment === undefined || x.req.experiment === a.experiment));
  if (picked.length === 0) throw new UsageError(`story '${a.story}' has no sweep${a.sweep !== undefined ? ` '${a.sweep}'` : ''} of experiment '${a.experiment}'; its sweeps: ${list}`);
  return picked;
}

async function storyCommand(a: ParsedArgs, io: CliIo, say: (s: string) => void): Promise<number> {
  const sweeps = await storySweeps(a);
  const at = `${a.story}${a.profile !== undefined ? ` at '${a.profile}'` : ''}`;
  for (const { name, req } of sweeps) {
    const grid = { set: req.set, seeds: req.seeds, firstReplicate: req.firstReplicate };
    if (a.command === 'merge') {
      const r = await mergeShards(req.experiment, { dataDir: a.data, from: a.from, ...grid, onNotice: say, quietEngine: true });
      io.out(`${r.experiment} [${at}, sweep ${name}]: merged ${r.cells} cells (${r.present} present, ${r.copied} copied${r.corrupt.length ? `, ${r.corrupt.length} damaged copies skipped` : ''}) -> ${r.resultsFile}\n`);
      continue;
    }
    const r = await runSweep(req.experiment, {
      dataDir: a.data, workers: a.workers, shard: a.shard, ...grid, writeResults: a.results && a.shard === undefined,
      onNotice: say, quietEngine: true,
      onProgress: a.quiet ? undefined : progressReporter({ stream: io.err, intervalMs: a.progressIntervalS !== undefined ? 1000 * a.progressIntervalS : undefined }),
    });
    const shard = r.shard ? ` shard ${r.shard.index}/${r.shard.count}:` : '';
    const damaged = r.corrupt.length ? `, ${r.corrupt.length} damaged cache files recomputed` : '';
    const others = r.byOthers ? `, ${r.byOthers} computed by another run` : '';
    io.out(`${r.experiment} [${at}, sweep ${name}]:${shard} ${r.cells.length} cells (${r.computed} computed, ${r.cached} cached${others}${damaged}) in ${formatDuration(r.elapsedMs)}${r.resultsFile ? ` -> ${r.resultsFile}` : ''}\n`);
  }
  return 0;
}

const invokedDirectly = process.argv[1] !== undefined && /[\\/]src[\\/]node[\\/]cli\.[cm]?[jt]s$/.test(process.argv[1]);
/**
 * Stops at once on SIGINT, SIGTERM or SIGHUP (or when the parent process, e.g. npm, is gone): the cells
 * finished so far are already saved (each is written before the next is taken), the worker threads end
 * with the process, and this process's claim files are removed so that a rerun need not wait for them.
 */
export function interrupted(why: string, code: number): never {
  const runs = [...liveRuns.values()];
  releaseClaimsSync();
  const saved = runs.map((r) => `${r.saved} of ${r.total} cells saved in ${r.dir}`).join('; ');
  process.stderr.write(`\ninterrupted (${why}): ${saved || 'the finished cells are saved'}; the same command resumes\n`);
  process.exit(code);
}

if (invokedDirectly) {
  process.once('SIGINT', () => interrupted('SIGINT', 130));
  process.once('SIGTERM', () => interrupted('SIGTERM', 143));
  process.once('SIGHUP', () => interrupted('SIGHUP', 129));
  // A parent killed outright (kill -9 of npm) sends nothing: notice that we were re-parented.
  const parent = process.ppid;
  setInterval(() => { if (process.ppid !== parent) interrupted('the parent process exited', 129); }, 500).unref();
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
