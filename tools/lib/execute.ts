/**
 * Execute a notebook top to bottom through its kernel (tools/lib/kernel-client.ts), as nbclient's
 * `NotebookClient` does: every non-empty code cell in order, its outputs replaced by what the kernel
 * sent, `execution_count` the number of code cells executed so far; multiline strings stored as
 * nbformat's writer stores them (`split_lines`: stream text and text/* data as lists of lines).
 *
 * On the first failing cell (an error reply, the time limit, the kernel's death) it stops, as
 * papermill does: the notebook keeps the outputs up to and including that cell; later cells have
 * their outputs cleared, so nothing stale is left to be mistaken for a result of this run.
 */
import { type CodeCell, type Notebook, type Output, text } from './ipynb.js';
import { KernelClient, type KernelSpecLike } from './kernel-client.js';

/** Python's str.splitlines(keepends=True), which nbformat uses to store multiline strings. */
export function pySplitLines(s: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\r' && s[i + 1] === '\n') { i++; out.push(s.slice(start, i + 1)); start = i + 1; continue; }
    if ('\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029'.includes(c)) { out.push(s.slice(start, i + 1)); start = i + 1; }
  }
  if (start < s.length) out.push(s.slice(start));
  return out;
}

const SPLIT_MIMES = new Set(['application/javascript', 'image/svg+xml']);

/** nbformat's `split_lines` on one output (in place). */
export function splitOutput(o: Output): Output {
  if (o.output_type === 'stream' && typeof o.text === 'string') o.text = pySplitLines(o.text);
  if (o.output_type === 'display_data' || o.output_type === 'execute_result') {
    for (const [k, v] of Object.entries(o.data)) {
      if (typeof v === 'string' && (k.startsWith('text/') || SPLIT_MIMES.has(k))) o.data[k] = pySplitLines(v);
    }
  }
  return o;
}

export interface CellFailure {
  /** Index of the cell in nb.cells (0-based). */
  index: number;
  kind: 'error' | 'timeout' | 'dead';
  /** What the kernel said: the cell's stderr and error outputs (tslab reports errors on stderr). */
  detail: string;
}

export interface ExecuteOptions {
  spec: KernelSpecLike;
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Per-cell time limit in seconds (default 900). */
  timeoutS?: number;
  startupTimeoutS?: number;
  /** The kernel process's own log (its stderr: build messages, progress with timings). */
  log?: (text: string) => void;
  /** Called before each code cell (index in nb.cells) and after it. */
  onCell?: (index: number, phase: 'start' | 'end', ms?: number) => void;
}

export interface ExecuteOutcome {
  nb: Notebook;
  failure?: CellFailure;
  /** Milliseconds per executed code cell (index → ms), for the run log. */
  cellMs: Map<number, number>;
}

export function firstLine(c: { source: string | string[] }): string {
  return text(c.source).split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
}

function failureDetail(cell: CodeCell): string {
  const parts: string[] = [];
  for (const o of cell.outputs) {
    if (o.output_type === 'stream' && o.name === 'stderr') parts.push(text(o.text));
    else if (o.output_type === 'error') parts.push(`${o.ename}: ${o.evalue}\n${o.traceback.join('\n')}`);
  }
  return parts.map((p) => p.replace(/\n+$/, '')).join('\n');
}

/** Execute a copy of `nb`; never throws for a failing cell (see `failure`), throws if the kernel cannot start. */
export async function executeNotebook(input: Notebook, o: ExecuteOptions): Promise<ExecuteOutcome> {
  const nb: Notebook = structuredClone(input);
  const cellMs = new Map<number, number>();
  const timeoutS = o.timeoutS ?? 900;
  const kernel = await KernelClient.start(o.spec, {
    cwd: o.cwd, env: o.env, log: o.log, startupTimeoutMs: 1000 * (o.startupTimeoutS ?? 120),
    kernelName: input.metadata.kernelspec?.name,
  });
  let failure: CellFailure | undefined;
  let executed = 0;
  try {
    for (let index = 0; index < nb.cells.length; index++) {
      const cell = nb.cells[index]!;
      if (cell.cell_type !== 'code') continue;
      if (failure) { cell.outputs = []; cell.execution_count = null; continue; }
      const code = text(cell.source);
      if (code.trim() === '') continue;
      o.onCell?.(index, 'start');
      const t0 = Date.now();
      executed++;
      cell.outputs = [];
      const r = await kernel.execute(code, { timeoutMs: 1000 * timeoutS });
      cell.outputs = r.outputs.map(splitOutput);
      cell.execution_count = executed;
      cellMs.set(index, Date.now() - t0);
      o.onCell?.(index, 'end', Date.now() - t0);
      if (r.status === 'ok') continue;
      if (r.status === 'timeout') {
        const evalue = `the cell ran longer than the time limit of ${timeoutS} s and was interrupted`;
        cell.outputs.push({ output_type: 'error', ename: 'CellTimeoutError', evalue, traceback: [`CellTimeoutError: ${evalue} (--timeout S sets the limit)`] });
        failure = { index, kind: 'timeout', detail: evalue };
      } else if (r.status === 'dead') {
        const evalue = `the kernel died while running this cell (${kernel.exitDescription ?? 'unknown cause'})`;
        cell.outputs.push({ output_type: 'error', ename: 'DeadKernelError', evalue, traceback: [`DeadKernelError: ${evalue}`] });
        failure = { index, kind: 'dead', detail: [failureDetail(cell), evalue].filter(Boolean).join('\n') };
      } else {
        failure = { index, kind: 'error', detail: failureDetail(cell) || `the kernel replied '${r.status}' without saying why` };
      }
    }
  } finally {
    await kernel.shutdown();
  }
  return { nb, failure, cellMs };
}
