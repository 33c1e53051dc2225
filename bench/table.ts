/**
 * The README's performance table from a bench result file: `npx tsx bench/table.ts [bench/results/latest.json]`.
 * Prints markdown: per item ours ms, NumPy ms (default threads, one thread) and both ratios (of medians
 * and of minima), then the
 * sweep throughput and the load average of the run.
 */
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'bench/results/latest.json';
const r = JSON.parse(readFileSync(file, 'utf8'));
const f = (x: number | null | undefined, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(d) : x.toPrecision(d + 1));
const m = r.machine;
const lines = [
  `${m.cpus} × ${m.cpuModel}, node ${m.node}, engine ${m.engine}; NumPy ${r.numpy?.numpy ?? '?'} on OpenBLAS ${r.numpy?.openblasCore ?? '?'} kernel` +
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
