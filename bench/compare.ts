/**
 * Side-by-side of two bench result files (e.g. before and after a change, run under the same
 * conditions): `npx tsx bench/compare.ts BEFORE.json AFTER.json`. Prints each item's ratio (ours/NumPy,
 * medians) in both, and how much faster our side got (before ms / after ms).
 */
import { readFileSync } from 'node:fs';

interface Row { id: string; label: string; ours: { medianMs: number }; numpy: { medianMs: number } | null; ratio: number | null; ratioOfMins?: number | null; ratio1?: number | null }
const [fa, fb] = process.argv.slice(2);
if (!fa || !fb) { process.stderr.write('usage: npx tsx bench/compare.ts BEFORE.json AFTER.json\n'); process.exit(2); }
const load = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as { date: string; machine: { engine: string }; items: Row[]; sweep?: { ours: { cellsPerSec: number }; ratio: { cells: number } | null } | null };
const A = load(fa), B = load(fb);
const f = (x: number | null | undefined, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x >= 100 ? x.toFixed(0) : x.toFixed(d));
const byId = new Map(A.items.map((r) => [r.id, r]));
const lines = [
  `before: ${fa} (${A.date}, ${A.machine.engine})`, `after:  ${fb} (${B.date}, ${B.machine.engine})`, '',
  `| item | ours ms before | ours ms after | speed-up | ratio before | ratio after | ratio 1-thread before | ratio 1-thread after |`, `|---|---:|---:|---:|---:|---:|---:|---:|`,
];
for (const r of B.items) {
  const a = byId.get(r.id);
  lines.push(`| ${r.label} | ${f(a?.ours.medianMs, 1)} | ${f(r.ours.medianMs, 1)} | ${a ? f(a.ours.medianMs / r.ours.medianMs, 1) + '×' : '—'} | ${f(a?.ratio)} | ${f(r.ratio)} | ${f(a?.ratio1)} | ${f(r.ratio1)} |`);
}
if (A.sweep || B.sweep) {
  lines.push('', `sweep throughput, ours cells/s: ${f(A.sweep?.ours.cellsPerSec)} → ${f(B.sweep?.ours.cellsPerSec)}; NumPy pool / ours: ${f(A.sweep?.ratio?.cells)} → ${f(B.sweep?.ratio?.cells)}`);
}
process.stdout.write(lines.join('\n') + '\n');
