/**
 * The committed paper-scale notebooks (notebooks/paper-scale/NAME.ipynb, `npm start -- --profile paper`):
 * each is its default notebook's cells with exactly its story's `paper` profile injected after the
 * parameters cell (so an edit of the notebook or of the profile without re-running shows here), ran top to
 * bottom without an error, and renders as its own page that cites the paper; the site links it from the
 * notebook's page and the index ("at paper scale").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { readNotebook, text, codeCells } from '../../tools/lib/ipynb.js';
import { injectParameters, INJECTED_TAG } from '../../tools/lib/params.js';
import { NOTEBOOK_DIR, profileDir, sourceHash, STAMP_KEY, withProfile } from '../../tools/notebook.js';
import { buildSite, profilePage, renderNotebook, PAPER } from '../../tools/site.js';
import { loadStory, storyNames } from '../../src/stories/index.js';

const DIR = profileDir('paper');
const files = existsSync(DIR) ? readdirSync(DIR).filter((f) => f.endsWith('.ipynb')).sort().map((f) => join(DIR, f)) : [];

test('notebooks/paper-scale/ holds only notebooks whose story has a paper profile', async () => {
  const names = storyNames();
  for (const f of files) {
    const stem = basename(f, '.ipynb');
    assert.ok(names.includes(stem), `${stem} has a story`);
    assert.ok((await loadStory(stem)).profiles?.paper, `${stem}'s story declares the paper profile`);
  }
});

for (const file of files) {
  const stem = basename(file, '.ipynb');
  test(`paper-scale/${stem}: the default notebook's cells with the story's paper profile injected, executed without error`, async () => {
    const nb = readNotebook(file);
    const stamp = nb.metadata[STAMP_KEY] as { source_sha256: string; profile?: string; parameters: Record<string, unknown> } | undefined;
    assert.ok(stamp, 'stamped');
    assert.equal(stamp.profile, 'paper');
    assert.equal(stamp.source_sha256, sourceHash(nb), 'no cell edited after the run');
    const base = readNotebook(join(NOTEBOOK_DIR, `${stem}.ipynb`));
    const profile = await withProfile(join(NOTEBOOK_DIR, `${stem}.ipynb`), 'paper', new Map());
    assert.deepEqual(stamp.parameters, Object.fromEntries([...profile].map(([k, v]) => [k, v.value])), "the story's current paper profile: re-run `npm start -- --profile paper` after changing it");
    const expected = injectParameters(base, profile, stem);
    assert.equal(sourceHash(nb), sourceHash(expected), 'the same cells as notebooks/NAME.ipynb plus the injected profile: re-run it after editing the notebook');
    assert.ok(nb.cells.some((c) => (c.metadata?.tags ?? []).includes(INJECTED_TAG)));
    const code = codeCells(nb);
    assert.deepEqual(code.map((c) => c.execution_count), code.map((_, i) => i + 1), 'every code cell ran, in order');
    for (const c of code) for (const o of c.outputs) {
      assert.notEqual(o.output_type, 'error');
      if (o.output_type === 'stream') assert.notEqual(o.name, 'stderr', text(o.text).slice(0, 200));
    }
    const { html, info } = renderNotebook(nb, stem, `paper-scale/${stem}`, undefined, { of: { profile: 'paper', knobs: Object.fromEntries([...profile].map(([k, v]) => [k, v.value])), file: `${stem}.html` } });
    assert.equal(info.file, profilePage(stem, 'paper'));
    assert.ok(info.claims.length > 0);
    assert.match(html, /At paper scale\./);
    assert.ok(html.includes(PAPER.arxiv) && html.includes(PAPER.title), 'cites the paper');
  });
}

test('the site: a paper-scale page beside the default one, linked from it and from the index', { skip: files.length === 0 && 'no paper-scale notebook committed' }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'lp-site-paper-'));
  try {
    const stems = files.map((f) => basename(f, '.ipynb'));
    await buildSite(out, stems.map((s) => join(NOTEBOOK_DIR, `${s}.ipynb`)));
    const index = readFileSync(join(out, 'index.html'), 'utf8');
    for (const stem of stems) {
      const page = readFileSync(join(out, profilePage(stem, 'paper')), 'utf8');
      assert.ok(page.includes(PAPER.arxiv), `${stem}: the paper-scale page cites the paper`);
      assert.match(readFileSync(join(out, `${stem}.html`), 'utf8'), new RegExp(`href="${profilePage(stem, 'paper').replace(/\./g, '\\.')}">at paper scale`));
      assert.match(index, new RegExp(`href="${profilePage(stem, 'paper').replace(/\./g, '\\.')}">at paper scale`));
      assert.ok(existsSync(join(out, 'notebooks', 'paper-scale', `${stem}.ipynb`)));
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
