/**
 * `npm run bench:site`: per explorable notebook (a notebook with a story), the time to the first partial
 * figure and to the complete figures after one knob change, in headless Chromium (the built site, opened
 * from file://, fresh profile, cells on Web Workers) and in Node (`computeStory` with the Node runner on
 * worker threads, a fresh copy of data/), for the same cells under the same engine (wasm).
 *
 * Changes measured per story: the cheapest single-knob change (fewest new cells, as the site test uses),
 * `seed` + 1 (every cell new), and any given on the command line as `NB:knob=value` (value JSON).
 * The knob is changed once the page's workers have started (they start after the default view, while
 * the reader reads). Chromium's times are the page's own (performance.now from the change to the first figure drawn with a
 * computed cell, and to the last figure and claims drawn); Node's from the call to the first partial
 * result holding a computed cell (the Node runner reports a sweep when it ends) and to the result.
 * Not a test: the numbers depend on the machine and its load. Output: bench/results/site-<date>.json and
 * .md, and the table on stdout.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSite } from '../tools/site.js';
import { launchChromium } from '../tools/lib/chromium.js';
import { cheapestChange, storyCellKeys } from '../tools/lib/knob-change.js';
import { loadStory, storyNames } from '../src/stories/index.js';
import { checkKnobs, computeStory, defaultKnobs, type AnyStory, type Knob } from '../src/stories/story.js';
import { startBackend } from '../src/node/backend.js';
import { nodeRunner } from '../src/node/story-runner.js';
import { defaultDataDir } from '../src/node/locate.js';

interface Row { notebook: string; change: string; newCells: number; totalCells: number; browser: { firstCellMs: number | null; firstMs: number | null; completeMs: number; workers: number; engine: string }; node: { firstMs: number | null; completeMs: number; workers: number; engine: string } }

const knobText = (k: Knob, v: unknown) => (Array.isArray(v) ? v.join(', ') : String(v));

async function newCells(story: AnyStory, change: Record<string, unknown>): Promise<{ n: number; total: number }> {
  const base = new Set(await storyCellKeys(story, defaultKnobs(story), 'simd'));
  const keys = new Set(await storyCellKeys(story, checkKnobs(story, change), 'simd'));
  return { n: [...keys].filter((k) => !base.has(k)).length, total: keys.size };
}

async function main(): Promise<void> {
  const extra = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const engine = await startBackend({ quiet: true });
  if (engine !== 'simd') throw new Error(`the benchmark compares like with like on the simd engine; Node started '${engine}' (unset LPFL_BACKEND)`);
  const out = mkdtempSync(join(tmpdir(), 'lp-bench-site-'));
  const rows: Row[] = [];
  const chrome = await launchChromium();
  try {
    const built = await buildSite(out);
    for (const name of storyNames()) {
      const page = built.pages.find((p) => p.stem === name);
      if (!page?.explorable) continue;
      const story = await loadStory(name);
      const cheap = await cheapestChange(story, 'simd');
      const seed = (story.knobs as Record<string, Knob>).seed;
      const changes: Record<string, unknown>[] = [{ [cheap.name]: cheap.value }];
      // --cheapest-only: skip the new-seed change (all of a story's cells; up to ~1,300 for the larger notebooks)
      if (!process.argv.includes('--cheapest-only') && seed && (seed.type === 'integer' || seed.type === 'number')) changes.push({ seed: seed.default + 1 });
      for (const a of extra) {
        const m = /^([^:]+):([A-Za-z_$][\w$]*)=(.*)$/.exec(a);
        if (m && m[1] === name) changes.push({ [m[2]!]: JSON.parse(m[3]!) });
      }
      for (const change of changes) {
        const [knob, value] = Object.entries(change)[0]!;
        const { n, total } = await newCells(story, change);
        // Chromium: a fresh context (empty IndexedDB), the default view first, then the change through the controls
        const ctx = await chrome.browser.newContext();
        await ctx.route('**/*', (r) => (/^(file|data|blob|about):/.test(r.request().url()) ? r.continue() : r.abort()));
        const tab = await ctx.newPage();
        await tab.goto(pathToFileURL(join(out, page.file)).href, { waitUntil: 'load' });
        const settled = (runs: number) => tab.waitForFunction((k) => {
          const s = (window as unknown as { __lpExplore?: { runs: number; status: string } }).__lpExplore;
          return !!s && s.runs >= k && ['done', 'error', 'invalid'].includes(s.status);
        }, runs, { timeout: 1_800_000 });
        await settled(1);
        // a reader changes a knob after reading a little: by then the page's workers have started
        await tab.waitForFunction(() => (window as unknown as { __lpExplore: { workersReady: boolean } }).__lpExplore.workersReady, null, { timeout: 120_000 });
        const k = story.knobs[knob] as Knob;
        if (k.type === 'choice' || k.type === 'boolean') await tab.selectOption(`#knob-${knob}`, String(value));
        else { await tab.fill(`#knob-${knob}`, knobText(k, value)); await tab.press(`#knob-${knob}`, 'Enter'); }
        await settled(2);
        const b = await tab.evaluate(() => {
          const s = (window as unknown as { __lpExplore: { status: string; error: string | null; firstCellMs: number | null; firstComputedMs: number | null; completeMs: number; workers: number; engineDetail: string } }).__lpExplore;
          return { status: s.status, error: s.error, firstCellMs: s.firstCellMs, firstMs: s.firstComputedMs, completeMs: s.completeMs, workers: s.workers, engine: s.engineDetail };
        });
        await ctx.close();
        if (b.status !== 'done') throw new Error(`${name} ${knob}=${JSON.stringify(value)}: the page ended '${b.status}': ${b.error}`);
        // Node: the same cells, a fresh copy of the committed ones
        const data = mkdtempSync(join(tmpdir(), 'lp-bench-data-'));
        if (existsSync(defaultDataDir())) cpSync(defaultDataDir(), data, { recursive: true });
        const workers = availableParallelism();
        const v = checkKnobs(story, change);
        // the Node runner reports each sweep when it ends: the first partial figure holding a computed
        // cell is the report of the first sweep with a new cell
        const base = new Set(await storyCellKeys(story, defaultKnobs(story), 'simd'));
        const sweeps = Object.values(story.sweeps(v) as Record<string, unknown>);
        let firstNew = -1;
        for (let i = 0; i < sweeps.length && firstNew < 0; i++) {
          const only = { ...story, sweeps: () => ({ s: sweeps[i] }) } as AnyStory;
          if ((await storyCellKeys(only, v, 'simd')).some((key) => !base.has(key))) firstNew = i;
        }
        const t0 = performance.now();
        let first: number | null = null, reports = 0;
        await computeStory(story, v, nodeRunner({ dataDir: data, workers, log: null }), () => { if (reports++ === firstNew) first = performance.now() - t0; });
        const completeMs = performance.now() - t0;
        rmSync(data, { recursive: true, force: true });
        const row: Row = {
          notebook: name, change: `${knob}=${JSON.stringify(value)}`, newCells: n, totalCells: total,
          browser: { firstCellMs: b.firstCellMs, firstMs: b.firstMs, completeMs: b.completeMs, workers: b.workers, engine: b.engine },
          node: { firstMs: first, completeMs, workers, engine: `${engine} (worker threads)` },
        };
        rows.push(row);
        console.log(`${name} ${row.change}: ${n} new of ${total} cells; Chromium first ${b.firstMs?.toFixed(0)} ms, complete ${b.completeMs.toFixed(0)} ms; Node first ${first === null ? '-' : (first as number).toFixed(0)} ms, complete ${completeMs.toFixed(0)} ms`);
      }
    }
  } finally {
    await chrome.close();
    rmSync(out, { recursive: true, force: true });
  }
  const ms = (x: number | null) => (x === null ? '–' : `${Math.round(x)}`);
  const table = [
    '| notebook | knob change | new / all cells | Chromium: first cell in (ms) | Chromium: first partial figure (ms) | Chromium: complete (ms) | Node: first partial (ms) | Node: complete (ms) | complete, Chromium / Node |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.notebook} | \`${r.change}\` | ${r.newCells} / ${r.totalCells} | ${ms(r.browser.firstCellMs)} | ${ms(r.browser.firstMs)} | ${ms(r.browser.completeMs)} | ${ms(r.node.firstMs)} | ${ms(r.node.completeMs)} | ${(r.browser.completeMs / r.node.completeMs).toFixed(2)} |`),
  ].join('\n');
  const env = `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}, Chromium workers = navigator.hardwareConcurrency (${rows[0]?.browser.workers ?? '?'}), Node workers = ${availableParallelism()}, engine wasm in both, load average at the end ${loadavg().map((x) => x.toFixed(1)).join(' / ')} (1/5/15 min)`;
  console.log(`\n${table}\n\n${env}`);
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const date = new Date().toISOString().slice(0, 10);
  writeFileSync(join(dir, `site-${date}.json`), JSON.stringify({ date: new Date().toISOString(), env, rows }, null, 1) + '\n');
  writeFileSync(join(dir, `site-${date}.md`), `# Explorable site: one knob change, Chromium against Node\n\n${table}\n\n${env}. Produced by \`npm run bench:site\`.\n`);
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
