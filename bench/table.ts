/**
 * The README's performance table from a bench result file: `npx tsx bench/table.ts [bench/results/latest.json]`.
 * Prints markdown: per item ours ms, NumPy ms (default threads, one thread) and both ratios (of medians
 * and of minima), then the
 * sweep throughput and the load average of the run.
 *
 * With several files (runs of the same code, minutes apart, on a noisy machine):
 * `npx tsx bench/table.ts A.json B.json C.json` prints per item the median over the runs of each ratio
 * with its range across runs, and the sweep ratio of each run.
 */
import { readFileSync } from 'node:fs';
import { cpuIdText, stats } from './summary.js';


const f = (x: number | null | undefined, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(d) : x.toPrecision(d + 1));
const files = process.argv.slice(2);
if (files.length > 1) {
  const runs = files.map((p) => JSON.parse(readFileSync(p, 'utf8')));
  const median = (xs: number[]) => stats(xs).medianMs;
  const cell = (xs: (number | null | undefined)[]) => {
    const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
    return v.length ? `${f(median(v))} (${f(Math.min(...v))}–${f(Math.max(...v))})` : '—';
  };
  const out = [
    `${runs.length} runs: ${runs.map((r) => r.date.slice(11, 16)).join(', ')} UTC on ${runs[0].date.slice(0, 10)}; ${runs[0].machine.cpus} × ${runs[0].machine.cpuModel}${cpuIdText(runs[0].machine.cpuId)}, engine ${runs[0].machine.engine}. Each cell: the median over the runs of the run's ratio of medians (ours / NumPy), with its range across runs.`,
    '',
    '| item | ours ms, 1 core | ours 1 core / NumPy 1 thread | (of minima) | ours all cores / NumPy default | (of minima) |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const it of runs[0].items) {
    const xs = runs.map((r) => r.items.find((x: { id: string }) => x.id === it.id)).filter(Boolean);
    out.push(`| ${it.label} | ${f(median(xs.map((x) => x.ours.medianMs)))} | ${cell(xs.map((x) => x.ratio1))} | ${cell(xs.map((x) => x.ratioOfMins1))} | ${cell(xs.map((x) => x.ratio))} | ${cell(xs.map((x) => x.ratioOfMins))} |`);
  }
  const sw = runs.filter((r) => r.sweep?.numpy);
  if (sw.length) out.push('', `Sweep throughput (NumPy cells/s ÷ ours, per run): ${sw.map((r) => `${f(r.sweep.numpy.cellsPerSec)} / ${f(r.sweep.ours.cellsPerSec)} = ${f(r.sweep.ratio.cells)}`).join('; ')}.`);
  process.stdout.write(out.join('\n') + '\n');
  process.exit(0);
}
const file = files[0] ?? 'bench/results/latest.json';
const r = JSON.parse(readFileSync(file, 'utf8'));
const m = r.machine;
const lines = [
  `${m.cpus} × ${m.cpuModel}${cpuIdText(m.cpuId)}, node ${m.node}, engine ${m.engine}; NumPy ${r.numpy?.numpy ?? '?'} on OpenBLAS ${r.numpy?.openblasCore ?? '?'} kernel` +
    ` (${r.numpy?.openblasThreads ?? '?'} threads / ${r.numpy1?.openblasThreads ?? '?'} thread); load average ${m.loadAvgStart?.join(', ')} at the start, ${m.loadAvgEnd?.join(', ')} at the end (${r.date.slice(0, 16).replace('T', ' ')} UTC).`,
  '',
  `| item | ours ms, 1 core | ours ms, ${m.kernelThreads ?? 1} kernel threads | NumPy ms (default threads) | NumPy ms (1 thread) | ours all cores / NumPy default | (of minima) | ours 1 core / NumPy 1 thread | (of minima) |`,
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
];
for (const it of r.items) {
  lines.push(`| ${it.label} | ${f(it.ours.medianMs)} | ${f(it.oursAll?.medianMs)} | ${f(it.numpy?.medianMs)} | ${f(it.numpy1?.medianMs)} | ${f(it.ratio)} | ${f(it.ratioOfMins)} | ${f(it.ratio1)} | ${f(it.ratioOfMins1)} |`);
}
const s = r.sweep;
if (s) {
  lines.push('', `Sweep throughput (\`linear-iterations\`, ${s.cells} cells at d = 200, ${s.workers} workers, median of ${s.rounds} rounds): ours ${f(s.ours.cellsPerSec)} cells/s` +
    ` (${f(s.ours.stepsPerSec, 0)} steps/s)` + (s.numpy ? `, NumPy process pool ${f(s.numpy.cellsPerSec)} cells/s (${f(s.numpy.stepsPerSec, 0)} steps/s): NumPy does ${f(s.ratio.cells)}× the cells per second (${f(s.ratio.steps)}× the steps).` : '.'));
}
process.stdout.write(lines.join('\n') + '\n');
