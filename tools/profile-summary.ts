/**
 * Self time per function of a V8 `.cpuprofile` (the largest in DIR, or the file given): sums
 * `timeDeltas` per node's call frame, merged by function name and location, idle and program rows
 * shown separately. Usage: npx tsx tools/profile-summary.ts DIR_OR_FILE [top=30]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const [arg, topArg] = process.argv.slice(2);
let file = arg;
if (statSync(arg).isDirectory()) {
  const fs = readdirSync(arg).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(arg, f));
  file = fs.sort((a, b) => statSync(b).size - statSync(a).size)[0];
}
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map<number, { callFrame: { functionName: string; url: string; lineNumber: number } }>();
for (const n of prof.nodes) byId.set(n.id, n);
const self = new Map<string, number>();
let total = 0;
for (let i = 0; i < prof.samples.length; i++) {
  const n = byId.get(prof.samples[i])!, dt = prof.timeDeltas[i] ?? 0;
  const cf = n.callFrame, url = cf.url.replace(/^.*\/(src|node_modules|tools)\//, '$1/');
  const key = `${cf.functionName || '(anonymous)'} ${url ? `${url}:${cf.lineNumber + 1}` : ''}`.trim();
  self.set(key, (self.get(key) ?? 0) + dt);
  total += dt;
}
const idle = [...self].filter(([k]) => /^\((idle|program|garbage collector)\)/.test(k)).reduce((s, [, v]) => s + v, 0);
console.log(`${file}: ${(total / 1e3).toFixed(0)} ms sampled`);
console.log('| share | share excl. idle | ms | function |\n|---:|---:|---:|---|');
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 30))) {
  const ex = /^\(idle\)/.test(k) ? '' : `${((100 * v) / (total - (self.get('(idle)') ?? 0))).toFixed(1)} %`;
  console.log(`| ${((100 * v) / total).toFixed(1)} % | ${ex} | ${(v / 1e3).toFixed(0)} | ${k} |`);
}
void idle;
