/**
 * `npm run data:refresh`: make the committed data/ hold exactly the sweep cells of the notebooks'
 * default parameters and of their stories' profiles (`paper`). data/ is moved aside, every notebook is
 * executed in place with its defaults and every storied notebook at each profile its story declares
 * (into notebooks/<profile>-scale/; cells found in the moved-aside copy are copied back byte for byte,
 * not recomputed; missing ones are computed), and the old copy is deleted. Cells of other parameters
 * (and of retired experiments) are no longer in data/. If a notebook fails, the old data/ is put back.
 *
 *   npm run data:refresh            then review `git status data/` and commit
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { listNotebooks, notebooksWithProfile, runNotebook, startRenderer, DATA_DIR, RunError } from './notebook.js';
import { loadStory, storyNames } from '../src/stories/index.js';
import { profileNames } from '../src/stories/story.js';
import { ROOT, buildLibrary } from './lib/jupyter.js';

function countCells(dir: string): number {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory())
    .reduce((n, d) => n + readdirSync(join(dir, d.name)).filter((f) => /^[0-9a-f]{32}\.json$/.test(f)).length, 0);
}

async function main(): Promise<number> {
  if (process.env.SWEEP_DATA_DIR) throw new Error('data:refresh refreshes data/ of this checkout; unset SWEEP_DATA_DIR');
  const before = countCells(DATA_DIR);
  const aside = join(ROOT, '.cache', `data-before-refresh-${process.pid}`);
  mkdirSync(dirname(aside), { recursive: true });
  if (existsSync(DATA_DIR)) renameSync(DATA_DIR, aside);
  mkdirSync(DATA_DIR, { recursive: true });
  process.env.SWEEP_READ_DIRS = aside;
  process.env.SWEEP_READ_COPY = '1';
  let ok = false;
  try {
    const b = buildLibrary();
    console.log(`built src/ in ${b.ms} ms; data/ (${before} cells) moved to ${relative(ROOT, aside)}; executing every notebook with its defaults`);
    const renderer = await startRenderer((s) => console.log(s));
    try {
      for (const f of listNotebooks()) {
        const r = await runNotebook(f, { renderer, log: (s) => process.stderr.write(`${s}\n`) });
        console.log(`${relative(ROOT, f)}: ${(r.ms / 1000).toFixed(1)} s`);
      }
      const profiles = profileNames(await Promise.all(storyNames().map(loadStory)));
      for (const profile of profiles) {
        for (const f of await notebooksWithProfile(profile)) {
          try {
            const r = await runNotebook(f, { profile, renderer, log: (s) => process.stderr.write(`${s}\n`) });
            console.log(`${relative(ROOT, f)} at '${profile}': ${(r.ms / 1000).toFixed(1)} s -> ${relative(ROOT, r.out)}`);
          } catch (e) {
            // A claim that fails at a profile is a result, not a broken run: the cells its sweeps computed or
            // copied are in data/ already (the claims cell comes last). Other failures stop the refresh.
            if (!(e instanceof RunError) || e.failure?.kind !== 'error' || !/ClaimFailedError/.test(e.message)) throw e;
            console.log(`${relative(ROOT, f)} at '${profile}': a claim failed (its cells are kept): ${e.message.split('\n')[0]}`);
          }
        }
      }
    } finally {
      await renderer?.close();
    }
    ok = true;
  } finally {
    if (ok) rmSync(aside, { recursive: true, force: true });
    else {
      rmSync(DATA_DIR, { recursive: true, force: true });
      if (existsSync(aside)) renameSync(aside, DATA_DIR);
      console.error('data:refresh failed; data/ is back as it was');
    }
  }
  console.log(`data/ now holds ${countCells(DATA_DIR)} cells (was ${before}): exactly those of the default parameters and of the profiles. Review with \`git status data/\` and commit.`);
  return 0;
}

main().then((c) => process.exit(c), (e: unknown) => { console.error(e instanceof Error ? `error: ${e.message}` : e); process.exit(1); });
