/**
 * `npm start`: from a fresh clone to the whole rendered narrative. Executes every notebook through the
 * kernel (each notebook's sweeps reuse the cells cached in data/ and compute only what is missing),
 * rebuilds the site, and ends with a table of every checked claim and whether it held.
 *
 *   npm start                       all notebooks, then the site, then the table (exit 1 if a claim failed)
 *   npm start -- --only 10,11       only notebooks whose file name starts with these prefixes
 *   npm start -- --profile paper    every notebook whose story declares the profile, executed at it into
 *                                   notebooks/paper-scale/ (cells in data/), then the site and the table
 *                                   (written to site/claims-paper.json); --only works with it too
 *
 * A notebook that fails (a failed claim throws in its closing cell) does not stop the others: its
 * partial notebook is written to runs/NAME.failed.ipynb (the committed one is kept) and its claims are
 * read from there. The table is also written to site/claims.json. No Python is needed: the notebooks
 * run through tools/lib/kernel-client.ts. Without Chromium, the committed PNG copies of the plots are
 * kept (one line says so).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { listNotebooks, notebooksWithProfile, profilePath, runNotebook, startRenderer, RunError, PAPER } from './notebook.js';
import { buildSite, SITE_DIR } from './site.js';
import { ROOT, buildLibrary } from './lib/jupyter.js';
import { printedText, readNotebook } from './lib/ipynb.js';
import { parseClaims, type ClaimCheck } from '../src/claims.js';

interface NotebookOutcome { notebook: string; ok: boolean; seconds: number; claims: ClaimCheck[]; error?: string }

export function formatTable(outcomes: NotebookOutcome[]): string {
  const rows: string[] = [];
  for (const o of outcomes) {
    rows.push(`${o.ok ? '' : '✗ '}${o.notebook} (${o.seconds.toFixed(1)} s)${o.ok ? '' : ': FAILED'}`);
    for (const c of o.claims) rows.push(`  ${c.holds ? '✓ held  ' : '✗ FAILED'}  ${c.claim}\n            measured: ${c.measured}`);
    if (!o.ok && o.error) rows.push(`  error: ${o.error.split('\n')[0]}`);
  }
  return rows.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const t0 = Date.now();
  const i = argv.indexOf('--only');
  const only = i >= 0 ? (argv[i + 1] ?? '').split(',').filter(Boolean) : [];
  const j = argv.indexOf('--profile');
  const profile = j >= 0 ? argv[j + 1] : undefined;
  if (j >= 0 && (!profile || profile.startsWith('--'))) throw new Error('--profile needs a profile name, e.g. --profile paper');
  const known = new Set(['--only', '--profile']);
  for (let k = 0; k < argv.length; k++) {
    if (known.has(argv[k]!)) k++;
    else throw new Error(`unknown argument '${argv[k]}'; usage: npm start [-- --only PREFIX[,PREFIX]] [--profile NAME]`);
  }
  const all = profile === undefined ? listNotebooks() : await notebooksWithProfile(profile);
  if (profile !== undefined && all.length === 0) throw new Error(`no notebook's story declares the profile '${profile}'`);
  const files = all.filter((f) => only.length === 0 || only.some((p) => basename(f).startsWith(p)));
  if (files.length === 0) throw new Error(`no notebook matches --only ${only.join(',')}${profile !== undefined ? ` with the profile '${profile}'` : ''}`);
  console.log(`Reproducing ${PAPER}${profile !== undefined ? ` at the '${profile}' profile` : ''}.`);
  const b = buildLibrary();
  console.log(`built src/ in ${b.ms} ms; executing ${files.length} notebooks${profile !== undefined ? ` at '${profile}' (into ${relative(process.cwd(), profilePath(files[0]!, profile)).replace(/[^/]*$/, '')})` : ''} (no Python needed; the kernel is tslab); load average ${loadavg()[0]!.toFixed(2)}`);
  const renderer = await startRenderer((s) => console.log(s));
  const outcomes: NotebookOutcome[] = [];
  try {
    for (const f of files) {
      const label = relative(ROOT, profile !== undefined ? profilePath(f, profile) : f), s0 = Date.now();
      try {
        const r = await runNotebook(f, { renderer, profile, log: (s) => process.stderr.write(`${s}\n`) });
        outcomes.push({ notebook: label, ok: true, seconds: r.ms / 1000, claims: parseClaims(printedText(readNotebook(r.out))) });
        console.log(`${label}: executed in ${(r.ms / 1000).toFixed(1)} s (${renderer ? `${r.plots} plots drawn, ` : ''}${r.pngsKept} committed PNGs kept)`);
      } catch (e) {
        const msg = (e as Error).message ?? String(e);
        const written = e instanceof RunError ? e.written : undefined;
        // the failed claims appear twice in a failed notebook (printed, then in the error on stderr): once each here
        const found = written && existsSync(written) ? parseClaims(printedText(readNotebook(written))) : parseClaims(msg);
        const claims = found.filter((c, k) => found.findIndex((x) => x.claim === c.claim && x.measured === c.measured && x.holds === c.holds) === k);
        outcomes.push({ notebook: label, ok: false, seconds: (Date.now() - s0) / 1000, claims, error: msg });
        console.log(`${label}: FAILED\n${msg}`);
      }
    }
  } finally {
    await renderer?.close();
  }
  let siteNote = '';
  try {
    const site = await buildSite();
    siteNote = `site rebuilt: ${relative(process.cwd(), join(site.dir, 'index.html'))}`;
  } catch (e) {
    siteNote = `site NOT rebuilt: ${(e as Error).message}`;
  }
  const wall = (Date.now() - t0) / 1000;
  const claims = outcomes.flatMap((o) => o.claims);
  const held = claims.filter((c) => c.holds).length;
  const failedNotebooks = outcomes.filter((o) => !o.ok).length;
  mkdirSync(SITE_DIR, { recursive: true });
  writeFileSync(join(SITE_DIR, profile !== undefined ? `claims-${profile}.json` : 'claims.json'), JSON.stringify({ profile: profile ?? null, wallSeconds: wall, loadAverage: loadavg(), outcomes }, null, 1) + '\n');
  console.log(`\nClaims${profile !== undefined ? ` at the '${profile}' profile` : ''}\n` + formatTable(outcomes));
  console.log(`\n${held} of ${claims.length} claims held; ${failedNotebooks} of ${outcomes.length} notebooks failed; ${siteNote}; ${wall.toFixed(1)} s in all (per notebook above; load average now ${loadavg().map((x) => x.toFixed(2)).join(', ')})`);
  return failedNotebooks === 0 && held === claims.length && !siteNote.startsWith('site NOT') ? 0 : 1;
}

main(process.argv.slice(2)).then((c) => process.exit(c), (e: unknown) => { console.error(e); process.exit(2); });
