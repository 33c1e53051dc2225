/**
 * Recompute a sample of the cached sweep cells in data/ with the current code and compare them with
 * the cache, byte for byte (canonical JSON): per experiment, the fastest cells and one per optimizer
 * or method. Only cells of the current experiment version and of the active engine are eligible.
 *   npx tsx tools/verify-cached-cells.ts            # default engine
 *   npx tsx tools/verify-cached-cells.ts --largest-under=20   # per experiment the 3 slowest cells that took < 20 s
 *                                                             # (the paper-size ones, whose products are split between kernel threads)
 * Prints one line per experiment and the count of identical and different cells (exit 1 on any).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { startBackend } from '../src/node/backend.js';
import { activeBackend } from '../src/backend.js';
import { canonicalJson } from '../src/sweep/canonical.js';
import { cellKey } from '../src/node/cache.js';
import { executeCell } from '../src/node/exec.js';
const largest = process.argv.find((a) => a.startsWith('--largest-under='));
const underMs = largest ? 1000 * Number(largest.slice(16)) : 0;
if (largest && !(underMs > 0)) throw new RangeError(`--largest-under must be a positive number of seconds; got '${largest.slice(16)}'`);
await startBackend({ quiet: true });
const engine = activeBackend();
const mods: Record<string, string> = {};
for (const f of readdirSync('src/experiments')) mods[f.replace(/\.ts$/, '')] = `../src/experiments/${f.replace(/\.ts$/, '.js')}`;
let ok = 0, bad = 0;
for (const dir of readdirSync('data')) {
  if (!mods[dir]) continue;
  const exp = (await import(mods[dir])).default;
  const cells = readdirSync(`data/${dir}`).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(`data/${dir}/${f}`, 'utf8')).payload)
    .filter((p) => p && p.version === exp.version && cellKey(p.experiment, p.version, p.params, p.replicate, p.source, engine) === p.key);
  // per experiment: the fastest cells, and for runs over optimizers one per optimizer
  const seen = new Set<string>(); let pick: any[] = [];
  if (underMs) pick = cells.filter((p) => p.elapsedMs < underMs).sort((a, b) => b.elapsedMs - a.elapsedMs).slice(0, 3);
  else for (const p of cells.sort((a, b) => a.elapsedMs - b.elapsedMs)) {
    const tag = JSON.stringify(p.params.run?.optimizer ?? p.params.method ?? '');
    if (!seen.has(tag) || pick.length < 2) { seen.add(tag); pick.push(p); }
    if (pick.length >= 14) break;
  }
  for (const p of pick) {
    const r = await executeCell(exp, p);
    const same = r.json === canonicalJson(p.result, 'result');
    same ? ok++ : bad++;
    if (!same) console.log('DIFF', dir, JSON.stringify(p.params).slice(0, 120));
  }
  console.log(dir, `${pick.length} of ${cells.length} ${engine} cells recomputed`);
}
console.log(`identical ${ok}, different ${bad}`);
if (bad > 0) process.exit(1);
