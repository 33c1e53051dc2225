/**
 * The robustness run: every registered story's claims re-evaluated under its `robustness` settings (other
 * base seeds, more replicates, a larger size), next to the default setting, as a table claim × setting →
 * held / failed with the measured statistic.
 *
 *     npm run robustness                         # every story, every setting; writes docs/robustness.{md,json}
 *     npm run robustness -- --only 11-linear-kfac --only 12-linear-family
 *     npm run robustness -- --reduced            # CI: the default and the first setting of each story
 *
 * Options: --only NOTEBOOK (repeatable), --reduced, --settings a,b (setting names), --workers k (default: all
 * cores), --data DIR (cell cache, default .cache/robustness; committed cells of data/ are read from there so
 * the default setting costs nothing; data/ is never written), --out PREFIX (default docs/robustness, or
 * .cache/robustness/reduced with --reduced), --strict (exit 1 when any claim fails in any setting).
 *
 * Exit status: 0 when every claim holds at every story's default setting and no setting errored (a claim
 * failing under another setting is a finding reported in the table; --strict makes it an error too); 1
 * otherwise; 2 for bad options.
 *
 * A full run with --only merges its stories into the existing JSON, so the table can be filled story by
 * story; the markdown is always regenerated from the JSON.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBackend } from '../src/node/backend.js';
import { nodeRunner } from '../src/node/story-runner.js';
import { loadStory, storyNames } from '../src/stories/index.js';
import { checkKnobs, computeStory, type AnyStory, type SweepRunner } from '../src/stories/story.js';

import type { ClaimCheck } from '../src/claims.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface SettingResult {
  name: string;
  knobs: Record<string, unknown>;
  /** Null when the setting could not be computed (`error` says why). */
  claims: ClaimCheck[] | null;
  error: string | null;
  seconds: number;
}
export interface StoryResult { notebook: string; title: string; settings: SettingResult[] }
export interface RobustnessReport { generated: string; engine: string; workers: number; reduced: boolean; wallSeconds: number; stories: StoryResult[] }

export interface Options { only: string[]; reduced: boolean; settings: string[] | null; workers: number; data: string; out: string; strict: boolean }

export function parseArgs(argv: readonly string[]): Options {
  const o: Options = { only: [], reduced: false, settings: null, workers: availableParallelism(), data: join(ROOT, '.cache/robustness'), out: '', strict: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--only') o.only.push(val());
    else if (a === '--reduced') o.reduced = true;
    else if (a === '--strict') o.strict = true;
    else if (a === '--settings') o.settings = val().split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--workers') {
      const w = Number(val());
      if (!Number.isInteger(w) || w < 0) throw new UsageError(`--workers must be an integer ≥ 0; got ${argv[i]}`);
      o.workers = w;
    } else if (a === '--data') o.data = resolve(val());
    else if (a === '--out') o.out = resolve(val());
    else throw new UsageError(`unknown option '${a}'; options: --only NOTEBOOK, --reduced, --settings a,b, --workers k, --data DIR, --out PREFIX, --strict`);
  }
  if (!o.out) o.out = o.reduced ? join(o.data, 'reduced') : join(ROOT, 'docs/robustness');
  return o;
}

export class UsageError extends Error { override name = 'UsageError'; }

/** The settings of a story a run covers: the default first, then its robustness settings. */
export function settingsOf(story: AnyStory, o: Pick<Options, 'reduced' | 'settings'>): { name: string; knobs: Record<string, unknown> }[] {
  const all = [{ name: 'default', knobs: {} }, ...(story.robustness ?? []).map((s) => ({ name: s.name, knobs: { ...s.knobs } }))];
  if (o.settings) return all.filter((s) => o.settings!.includes(s.name));
  return o.reduced ? all.slice(0, 2) : all;
}

/**
 * The robustness run's runner: the Node runner with its cells in `data` (ignored), reading the committed
 * cells of data/ where they exist (never writing there), and no combined results files.
 */
export function cacheRunner(data: string, workers: number, log: (l: string) => void): SweepRunner {
  return nodeRunner({ dataDir: data, readDirs: [join(ROOT, 'data')], workers, writeResults: false, onNotice: log, log: (l) => log(`    ${l}`), everyMs: 60_000 });
}

export async function runSetting(story: AnyStory, s: { name: string; knobs: Record<string, unknown> }, runner: SweepRunner): Promise<SettingResult> {
  const t0 = performance.now();
  try {
    const v = checkKnobs(story, s.knobs);
    const r = await computeStory(story, v, runner);
    const claims = story.claims(r, v).map((c: ClaimCheck) => ({ claim: c.claim, measured: c.measured, holds: c.holds === true }));
    return { ...s, claims, error: null, seconds: (performance.now() - t0) / 1000 };
  } catch (e) {
    return { ...s, claims: null, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e), seconds: (performance.now() - t0) / 1000 };
  }
}

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The report as markdown: per story a matrix claim × setting, then each cell's statistic. */
export function toMarkdown(rep: RobustnessReport): string {
  const out: string[] = [
    '# Robustness of the claims',
    '',
    'Each notebook\'s claims re-evaluated under other base seeds, more replicates and a larger size (the notebook\'s',
    '`robustness` settings), next to the default setting. ✓ held, ✗ failed; the statistic of every cell is listed',
    'below each table. Produced by `npm run robustness` (tools/robustness.ts).',
    '',
    `Engine ${rep.engine}, ${rep.workers} worker(s), generated ${rep.generated}; wall time of the last invocation ${rep.wallSeconds.toFixed(0)} s${rep.reduced ? ' (reduced run)' : ''}. The time row is each setting's time in the invocation that produced it: cells already in the cache cost nothing there.`,
    '',
  ];
  for (const st of rep.stories) {
    out.push(`## ${st.notebook}`, '', st.title, '');
    const nClaims = Math.max(0, ...st.settings.map((s) => s.claims?.length ?? 0));
    out.push(`| claim | ${st.settings.map((s) => esc(s.name)).join(' | ')} |`, `|---|${st.settings.map(() => ':-:').join('|')}|`);
    for (let i = 0; i < nClaims; i++) {
      out.push(`| C${i + 1} | ${st.settings.map((s) => (s.claims === null ? 'error' : s.claims[i] ? (s.claims[i]!.holds ? '✓' : '✗') : '–')).join(' | ')} |`);
    }
    out.push(`| time in that run (s) | ${st.settings.map((s) => s.seconds.toFixed(0)).join(' | ')} |`, '');
    for (const s of st.settings.filter((x) => x.error !== null)) out.push(`- **${s.name}**: could not be computed: ${s.error}`);
    for (let i = 0; i < nClaims; i++) {
      const label = st.settings.find((s) => s.claims?.[i])?.claims?.[i]?.claim ?? '';
      out.push(`**C${i + 1}.** ${label}`, '');
      for (const s of st.settings) {
        const c = s.claims?.[i];
        if (c) out.push(`- ${c.holds ? '✓' : '✗'} ${s.name}: ${c.measured}`);
      }
      out.push('');
    }
  }
  return out.join('\n');
}

/** The plain-text table printed at the end of a run. */
export function toText(rep: RobustnessReport): string {
  const lines: string[] = [];
  for (const st of rep.stories) {
    lines.push(`${st.notebook}`);
    const w = Math.max(8, ...st.settings.map((s) => s.name.length));
    lines.push('  claim ' + st.settings.map((s) => s.name.padStart(w)).join(' '));
    const nClaims = Math.max(0, ...st.settings.map((s) => s.claims?.length ?? 0));
    for (let i = 0; i < nClaims; i++) {
      lines.push(`  C${String(i + 1).padEnd(4)} ` + st.settings.map((s) => (s.claims === null ? 'error' : s.claims[i] ? (s.claims[i]!.holds ? 'held' : 'FAILED') : '-').padStart(w)).join(' '));
    }
    for (const s of st.settings) {
      if (s.error) lines.push(`  ${s.name}: error: ${s.error}`);
      s.claims?.forEach((c, i) => { if (!c.holds) lines.push(`  ✗ C${i + 1} at ${s.name}: ${c.claim} — ${c.measured}`); });
    }
  }
  return lines.join('\n');
}

export async function main(argv: readonly string[]): Promise<number> {
  let o: Options;
  try { o = parseArgs(argv); } catch (e) {
    if (e instanceof UsageError) { console.error(`robustness: ${e.message}`); return 2; }
    throw e;
  }
  const names = storyNames();
  const unknown = o.only.filter((n) => !names.includes(n));
  if (unknown.length) { console.error(`robustness: no story for ${unknown.join(', ')}; stories: ${names.join(', ') || '(none)'}`); return 2; }
  const chosen = o.only.length ? o.only : names;
  const engine = await startBackend({ quiet: true });
  mkdirSync(o.data, { recursive: true });
  const runner = cacheRunner(o.data, o.workers, (l) => console.log(l));
  const t0 = performance.now();
  const stories: StoryResult[] = [];
  const jsonPath = `${o.out}.json`;
  // the table is written after every setting, so an interrupted run keeps what it finished
  const persist = (): RobustnessReport => {
    const wall = (performance.now() - t0) / 1000;
    let report: RobustnessReport = { generated: new Date().toISOString(), engine, workers: o.workers, reduced: o.reduced, wallSeconds: wall, stories };
    if (!o.reduced && existsSync(jsonPath)) {
      const old = JSON.parse(readFileSync(jsonPath, 'utf8')) as RobustnessReport;
      const done = new Set(stories.map((s) => s.notebook));
      const merged = [...old.stories.filter((s) => !done.has(s.notebook) && names.includes(s.notebook)), ...stories].sort((a, b) => a.notebook.localeCompare(b.notebook));
      report = { ...report, stories: merged };
    }
    mkdirSync(dirname(jsonPath), { recursive: true });
    writeFileSync(jsonPath, JSON.stringify(report, null, 1) + '\n');
    writeFileSync(`${o.out}.md`, toMarkdown(report));
    return report;
  };
  for (const name of chosen) {
    const story = await loadStory(name);
    const st: StoryResult = { notebook: name, title: story.title, settings: [] };
    stories.push(st);
    for (const s of settingsOf(story, o)) {
      console.log(`${name} / ${s.name} ${JSON.stringify(s.knobs)}`);
      const r = await runSetting(story, s, runner);
      const held = r.claims?.filter((c) => c.holds).length ?? 0;
      console.log(`  ${r.error ? `error: ${r.error}` : `${held}/${r.claims!.length} claims held`} (${r.seconds.toFixed(1)} s)`);
      st.settings.push(r);
      persist();
    }
  }
  const report = persist();
  const wall = report.wallSeconds;
  console.log('\n' + toText({ ...report, stories }));
  console.log(`\nwall time ${wall.toFixed(1)} s on ${o.workers} worker(s); table: ${o.out}.md, ${jsonPath}`);
  const defaultBad = stories.some((st) => st.settings.some((s) => s.error !== null || (s.name === 'default' && s.claims!.some((c) => !c.holds))));
  const anyBad = stories.some((st) => st.settings.some((s) => s.claims?.some((c) => !c.holds)));
  return defaultBad || (o.strict && anyBad) ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => { console.error(e); process.exitCode = 1; });
}
