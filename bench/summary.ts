/**
 * Pure pieces of `npm run bench` (no timing, no processes), unit-tested in test/bench-summary.test.ts:
 * per-side statistics, the ratios against the two NumPy processes, the environment of each NumPy
 * process, and the sweep-throughput summary.
 */

export interface Stats { medianMs: number; minMs: number; meanMs: number; reps: number }

/** Median, minimum and mean of per-op times (ms); at least one sample. */
export function stats(samples: readonly number[]): Stats {
  if (samples.length === 0) throw new RangeError('stats: no samples');
  const v = [...samples].sort((a, b) => a - b), m = v.length, mid = m >> 1;
  return {
    medianMs: m % 2 ? v[mid] : 0.5 * (v[mid - 1] + v[mid]),
    minMs: v[0],
    meanMs: v.reduce((a, b) => a + b, 0) / m,
    reps: m,
  };
}

export const round = (x: number, d: number) => Number(x.toFixed(d));

/** A run's `machine.cpuId` (family, model, AVX-512; recorded from 2026-12-07 on). */
export interface CpuId { family: number; model: number; avx512: boolean }
/** ' (family F, model M, AVX-512)' for a machine line, or '' for a run that did not record it. */
export const cpuIdText = (c?: CpuId | null): string => (c ? ` (family ${c.family}, model ${c.model}${c.avx512 ? ', AVX-512' : ''})` : '');

/** ours / theirs of the medians and of the minima (null without NumPy samples). */
export function ratios(ours: Stats, theirs: Stats | undefined): { ratio: number | null; ratioOfMins: number | null } {
  if (!theirs) return { ratio: null, ratioOfMins: null };
  return { ratio: round(ours.medianMs / theirs.medianMs, 3), ratioOfMins: round(ours.minMs / theirs.minMs, 3) };
}

/** OpenBLAS variables that pick a kernel or a cache size; removed, both together, from the NumPy processes' environment. */
export const BLAS_KERNEL_OVERRIDES = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'] as const;
/** Thread-count variables set to 1 in the one-thread NumPy process. */
export const BLAS_THREAD_VARS = ['OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'] as const;

/**
 * The environment of a NumPy comparison process: this process's, without the kernel overrides (so that
 * OpenBLAS picks its kernel for this processor), and for `oneThread` with every BLAS thread variable = 1.
 * The default process keeps the thread variables as found. `removed` names the overrides that were set.
 */
export function numpyEnv(base: Readonly<Record<string, string | undefined>>, oneThread: boolean): { env: Record<string, string>; removed: string[] } {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  const removed: string[] = [];
  for (const k of BLAS_KERNEL_OVERRIDES) if (k in env) { removed.push(`${k}=${env[k]}`); delete env[k]; }
  if (oneThread) for (const k of BLAS_THREAD_VARS) env[k] = '1';
  return { env, removed };
}

/** One side's sweep rounds: wall seconds per round, cells per round, steps taken per round. */
export interface SweepSide { wallS: number[]; cells: number; steps: number[] }

export interface ThroughputSummary {
  /** Median over rounds of cells / wall time. */
  cellsPerSec: number;
  /** Median over rounds of fresh-batch steps / wall time (the draws differ between sides, so steps per cell do too). */
  stepsPerSec: number;
  /** Rounds' cells/s, in order. */
  roundsCellsPerSec: number[];
}

const median = (v: readonly number[]) => stats(v).medianMs;

export function throughput(s: SweepSide): ThroughputSummary {
  if (s.wallS.length === 0 || s.wallS.length !== s.steps.length) throw new RangeError('throughput: one wall time and one step count per round');
  if (!(s.cells > 0)) throw new RangeError(`throughput: cells must be > 0, got ${s.cells}`);
  const cps = s.wallS.map((w) => s.cells / w), sps = s.wallS.map((w, i) => s.steps[i] / w);
  return { cellsPerSec: round(median(cps), 4), stepsPerSec: round(median(sps), 2), roundsCellsPerSec: cps.map((x) => round(x, 4)) };
}

/**
 * NumPy's throughput / ours (the sweep's "ratio": like the per-item ratios, above 1 means NumPy does
 * more in the same time), for cells and for steps.
 */
export function throughputRatio(ours: ThroughputSummary, numpy: ThroughputSummary): { cells: number; steps: number } {
  return { cells: round(numpy.cellsPerSec / ours.cellsPerSec, 3), steps: round(numpy.stepsPerSec / ours.stepsPerSec, 3) };
}

/** Steps a linear-iterations cell took: its iteration count when it hit the target, else maxSteps; null when it diverged or failed (unknown). */
export function cellSteps(result: unknown, maxSteps: number): number | null {
  const r = result as { iters?: number | null; diverged?: boolean; failed?: string } | null;
  if (!r || r.failed !== undefined || r.diverged) return null;
  return typeof r.iters === 'number' ? Math.max(1, r.iters) : maxSteps;
}

/** max |a − b| over a common trajectory, Infinity when the lengths differ. */
export function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
