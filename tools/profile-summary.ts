/**
 * Self time per function of a V8 `.cpuprofile` (the largest in DIR, or the file given): sums
 * `timeDeltas` per node's call frame, merged by function name and location, idle and program rows
 * shown separately. Usage: npx tsx tools/profile-summary.ts DIR_OR_FILE [top=30] [--groups]
 * (`--groups`: the shares of the rows of bench/README.md's budget, idle and start-up removed)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const [arg, topArg] = process.argv.slice(2).filter((a) => a !== '--groups');
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
// Groups for the step's budget: the first matching rule names a row.
const GROUPS: [string, RegExp][] = [
  ['idle', /^\(idle\)/],
  ['start-up: module loading, compilation', /node:internal|lexer|readFile|wrapSafe|^\(program\)|compileFunction|tools\/profile-step/],
  ['garbage collection', /^\(garbage collector\)/],
  ['products: tfjs-wasm (XNNPACK, float32) and its JS', /wasm:\/\/wasm\/0019ea4a|tfjs-backend-wasm|tfjs-core/],
  ['products: our float64 wasm kernel (gemm, cholcol)', /wasm:\/\/wasm\/d766cce6/],
  ['product glue: backend.ts (toF32, engineMatmul), kernels.ts (packing, edges, JS kernel)', /src\/backend\.ts|src\/kernels\.ts|src\/wasm64\.ts/],
  ['normals (rng.ts)', /src\/rng\.ts/],
  ['QR, SVD: the distance metric (and a sweep cell\'s Haar rotations, once per cell)', /^(qr|reflect|svd|singularValues|svdValues|hypot|fromMl) src\/linalg|^toArray src\/mat|ml-matrix|src\/metrics\.ts/],
  ['factorisations: Cholesky, solves, eigen (linalg.ts)', /src\/linalg\.ts/],
  ['validation (validate.ts, checkCovariance)', /src\/validate\.ts|checkCovariance/],
  ['model, optimizer, train, data, mat.ts JavaScript', /src\/(optim|models|data|train|mat|experiments)/],
];
if (process.argv.includes('--groups')) {
  const g = new Map<string, number>();
  for (const [k, v] of self) { const name = GROUPS.find(([, re]) => re.test(k))?.[0] ?? 'other'; g.set(name, (g.get(name) ?? 0) + v); }
  const busy = total - (g.get('idle') ?? 0) - (g.get('start-up: module loading, compilation') ?? 0);
  console.log(`${file}: ${(total / 1e3).toFixed(0)} ms sampled, ${(busy / 1e3).toFixed(0)} ms after idle and start-up`);
  console.log('| where | share of the steps (idle and start-up removed) |\n|---|---:|');
  for (const [k, v] of [...g].sort((a, b) => b[1] - a[1])) {
    if (k === 'idle' || k.startsWith('start-up')) continue;
    console.log(`| ${k} | ${((100 * v) / busy).toFixed(1)} % |`);
  }
  process.exit(0);
}
const idle = [...self].filter(([k]) => /^\((idle|program|garbage collector)\)/.test(k)).reduce((s, [, v]) => s + v, 0);
console.log(`${file}: ${(total / 1e3).toFixed(0)} ms sampled`);
console.log('| share | share excl. idle | ms | function |\n|---:|---:|---:|---|');
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 30))) {
  const ex = /^\(idle\)/.test(k) ? '' : `${((100 * v) / (total - (self.get('(idle)') ?? 0))).toFixed(1)} %`;
  console.log(`| ${((100 * v) / total).toFixed(1)} % | ${ex} | ${(v / 1e3).toFixed(0)} | ${k} |`);
}
void idle;
