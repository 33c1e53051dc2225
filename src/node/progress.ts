/**
 * Progress of a sweep: the event the runner emits after each persisted cell, its text forms, and two
 * reporters: a redrawn bar for a terminal, throttled plain lines for logs, CI and notebooks.
 */
import { writeSync } from 'node:fs';

/**
 * Set (to 1) in the kernel's environment by `npm run notebook(s)` and `npm start`: the notebook is
 * executed headless and its outputs are committed, so `throttledLines` keeps timings (rates, time
 * left, durations) out of them: the timed lines go to the run log (the kernel process's own stderr,
 * which the notebook command copies to its log) and the notebook gets one timing-free line per sweep.
 */
export const HEADLESS_ENV = 'LP_HEADLESS';

export interface Progress {
  readonly experiment: string;
  /** Cells in this run (this shard's only, when sharded). */
  readonly total: number;
  /** Cells finished: found in the cache or computed and written. */
  readonly done: number;
  readonly cached: number;
  readonly computed: number;
  /** Milliseconds since the run started. */
  readonly elapsedMs: number;
  /** Computed cells per second since the first worker was ready (0 before the first cell). */
  readonly rate: number;
  /** Estimated milliseconds left, undefined before the first computed cell. */
  readonly etaMs: number | undefined;
  readonly finished: boolean;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const two = (x: number) => String(x).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(sec)}` : `${m}:${two(sec)}`;
}

function rateText(rate: number): string {
  if (rate <= 0) return '– cells/s';
  return rate >= 1 ? `${rate.toFixed(rate >= 10 ? 0 : 1)} cells/s` : `${(60 * rate).toFixed(1)} cells/min`;
}

function tail(p: Progress): string {
  const cached = p.cached > 0 ? ` (${p.cached} cached)` : '';
  const when = p.finished ? `done in ${formatDuration(p.elapsedMs)}` : p.etaMs === undefined ? 'time left unknown' : `${formatDuration(p.etaMs)} left`;
  return `${p.done}/${p.total} cells${cached}, ${rateText(p.rate)}, ${when}`;
}

/** One plain line: `demo: 12/48 cells (8 cached), 3.1 cells/s, 12 s left`. */
export function formatProgress(p: Progress): string {
  return `${p.experiment}: ${tail(p)}`;
}

/**
 * A line with a timing ("sweeps took 2.3 s") for a notebook: in a headless run it goes to the run log
 * (this process's stderr file descriptor), never into the committed outputs; interactively it is
 * printed with `print` (default console.log).
 */
export function logTiming(line: string, print: (line: string) => void = (l) => console.log(l), headless: boolean = !!process.env[HEADLESS_ENV]): void {
  if (headless) writeSync(2, `${line}\n`);
  else print(line);
}

/** The timing-free line a headless notebook records: `demo: 48/48 cells (8 cached)`. */
export function formatCount(p: Progress): string {
  return `${p.experiment}: ${p.done}/${p.total} cells${p.cached > 0 ? ` (${p.cached} cached)` : ''}`;
}

/** A bar of `width` characters and the same figures. */
export function formatBar(p: Progress, width = 24): string {
  const frac = p.total > 0 ? p.done / p.total : 1;
  const full = Math.round(frac * width);
  return `${p.experiment} [${'#'.repeat(full)}${'-'.repeat(width - full)}] ${Math.floor(100 * frac)}% ${tail(p)}`;
}

export interface ReporterOptions {
  /** Where to write (default process.stderr). */
  stream?: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  /** Force the bar (true) or plain lines (false); default: the stream's isTTY. */
  tty?: boolean;
  /** Minimum milliseconds between plain lines (default 10 000); the first and last always print. */
  intervalMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** An `onProgress` callback drawing a bar on a terminal, or throttled lines elsewhere. */
export function progressReporter(opts: ReporterOptions = {}): (p: Progress) => void {
  const stream = opts.stream ?? process.stderr;
  const tty = opts.tty ?? Boolean(stream.isTTY);
  if (!tty) return throttledLines((s) => stream.write(`${s}\n`), opts.intervalMs ?? 10_000, opts.now);
  const now = opts.now ?? Date.now;
  let last = -Infinity;
  return (p) => {
    const t = now();
    if (!p.finished && t - last < 100) return;
    last = t;
    const cols = stream.columns ?? 100;
    const width = Math.max(10, Math.min(30, cols - 70));
    stream.write(`\r${formatBar(p, width)}\x1b[K${p.finished ? '\n' : ''}`);
  };
}

/**
 * An `onProgress` callback printing `formatProgress` lines at most every `intervalMs` (plus the first
 * and the last): for notebooks (`onProgress: throttledLines(console.log, 5000)`) and logs. In a
 * headless run (`headless`, default: $LP_HEADLESS set) the timed lines go to `runLog` (default: this
 * process's stderr file descriptor, bypassing the kernel's capture) and `print` receives only the
 * final `formatCount` line, so committed outputs hold no timings.
 */
export function throttledLines(
  print: (line: string) => void, intervalMs = 10_000, now: () => number = Date.now,
  headless: boolean = !!process.env[HEADLESS_ENV], runLog: (line: string) => void = (l) => { writeSync(2, `${l}\n`); },
): (p: Progress) => void {
  let last = -Infinity;
  return (p) => {
    const t = now();
    if (!p.finished && t - last < intervalMs) return;
    last = t;
    if (!headless) { print(formatProgress(p)); return; }
    runLog(formatProgress(p));
    if (p.finished) print(formatCount(p));
  };
}
