/**
 * The rendered site in a real browser (Debian's Chromium via playwright-core), opened from the file
 * system: every plot draws, every formula renders, every claim link lands on its claim, no console
 * error, and no request leaves the machine (everything is a file:// or data: URL).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { buildSite } from '../../tools/site.js';
import { listNotebooks } from '../../tools/notebook.js';
import { chromiumPath, launchChromium } from '../../tools/lib/chromium.js';
import { readNotebook, PLOTLY_MIME } from '../../tools/lib/ipynb.js';
import { need } from './_tools.js';

/** Plotly outputs in a notebook, counted from the notebook itself (not from the builder). */
function plotlyOutputs(file: string): number {
  let n = 0;
  for (const c of readNotebook(file).cells) {
    if (c.cell_type !== 'code') continue;
    for (const o of c.outputs) if ('data' in o && o.data[PLOTLY_MIME] !== undefined) n++;
  }
  return n;
}

test('the site works offline in Chromium: plots drawn, formulas rendered, no error, no network', { timeout: 240_000 }, async (t) => {
  if (!need(t, chromiumPath(), 'Chromium (apt-get install chromium)')) return;
  const out = mkdtempSync(join(tmpdir(), 'lp-site-'));
  const chrome = await launchChromium({ viewport: { width: 1200, height: 900 } });
  try {
    const t0 = Date.now();
    const built = await buildSite(out);
    t.diagnostic(`site built in ${Date.now() - t0} ms`);
    const problems: string[] = [];
    const offMachine: string[] = [];
    await chrome.context.route('**/*', (route) => {
      const url = route.request().url();
      if (/^(file|data|blob|about):/.test(url)) return route.continue();
      offMachine.push(url);
      return route.abort();
    });
    const page: Page = await chrome.context.newPage();
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));

    const check = async (file: string, expectedPlots: number) => {
      const url = pathToFileURL(join(out, file)).href;
      await page.goto(url, { waitUntil: 'load' });
      // Plots: one drawn plotly graph per plotly output of the notebook.
      assert.equal(await page.locator('.output.plot').count(), expectedPlots, `${file}: one plot element per plotly output`);
      if (expectedPlots > 0) {
        await page.waitForFunction((n) => document.querySelectorAll('.output.plot[data-drawn="true"] svg.main-svg').length >= n, expectedPlots, { timeout: 60_000 });
        const sizes = await page.$$eval('.output.plot', (els) => els.map((e) => {
          const r = e.getBoundingClientRect();
          return { w: r.width, h: r.height, traces: e.querySelectorAll('.scatterlayer .trace, .barlayer .trace').length };
        }));
        for (const [i, s] of sizes.entries()) {
          assert.ok(s.w > 300 && s.h > 200, `${file}: plot ${i + 1} has a size (${s.w}x${s.h})`);
          assert.ok(s.traces > 0, `${file}: plot ${i + 1} drew its traces`);
        }
      }
      // Formulas: as many KaTeX renderings as formulas in the source, none in error, no TeX left over.
      const expected = Number(await page.getAttribute('body', 'data-formulas'));
      assert.ok(expected > 0, `${file}: has formulas`);
      const math = await page.evaluate(() => ({
        katex: document.querySelectorAll('.katex').length,
        errors: document.querySelectorAll('.katex-error').length,
        empty: Array.from(document.querySelectorAll('.katex-html')).filter((e) => e.getBoundingClientRect().width === 0).length,
        leftover: Array.from(document.querySelectorAll('.cell.markdown, .index')).map((e) => {
          const clone = e.cloneNode(true) as HTMLElement;
          clone.querySelectorAll('code, pre, .katex').forEach((c) => c.remove());
          return clone.textContent ?? '';
        }).filter((s) => /\$[^$\s][^$]*\$|\\\(|\\\[|\\begin\{/.test(s)),
      }));
      assert.equal(math.katex, expected, `${file}: every formula rendered`);
      assert.equal(math.errors, 0, `${file}: no KaTeX error`);
      assert.equal(math.empty, 0, `${file}: every formula has a width`);
      assert.deepEqual(math.leftover, [], `${file}: no unrendered TeX in the text`);
      await page.evaluate(() => document.fonts.ready);
      const fonts = await page.evaluate(() => Array.from(document.fonts).filter((f) => f.family.includes('KaTeX')).map((f) => `${f.family}:${f.status}`));
      assert.ok(fonts.some((f) => f.endsWith(':loaded')), `${file}: KaTeX fonts load from the site (${fonts.join(', ')})`);
      assert.ok(!fonts.some((f) => f.endsWith(':error')), `${file}: no KaTeX font failed`);
    };

    await check('index.html', 0);
    const claimLinks = await page.$$eval('ul.claims a.go', (as) => as.map((a) => (a as HTMLAnchorElement).getAttribute('href')!));
    const claimCount = built.pages.reduce((s, p) => s + p.claims.length, 0);
    assert.equal(claimLinks.length, claimCount, 'the index lists every claim');
    for (const p of built.pages) assert.ok(await page.locator(`a[href="${p.file}"]`).count() > 0, `the index links ${p.file}`);

    // the robustness table (docs/robustness.md) is a page of the site, linked from the index
    assert.equal(await page.locator('a[href="robustness.html"]').count(), 1, 'the index links the robustness table');
    await page.goto(pathToFileURL(join(out, 'robustness.html')).href, { waitUntil: 'load' });
    const tables = await page.$$eval('main table', (ts) => ts.map((t) => t.querySelectorAll('tbody tr').length));
    assert.ok(tables.length >= built.pages.length && tables.every((rows) => rows > 0), `robustness page: one table per notebook (${tables.length})`);

    const files = listNotebooks();
    assert.equal(built.pages.length, files.length, 'one page per notebook');
    for (const f of files) {
      const stem = f.split('/').pop()!.replace(/\.ipynb$/, '');
      await check(`${stem}.html`, plotlyOutputs(f));
    }
    for (const href of claimLinks) {
      const [file, id] = href.split('#');
      await page.goto(pathToFileURL(join(out, file!)).href + `#${id}`);
      assert.equal(await page.locator(`#${id}.claim`).count(), 1, `${href} lands on a claim`);
    }
    assert.deepEqual(offMachine, [], 'no request left the machine');
    assert.deepEqual(problems, [], 'no console error, page error or failed request');
  } finally {
    await chrome.close();
    rmSync(out, { recursive: true, force: true });
  }
});

test('without scripts (as in GitHub\'s preview) every plot shows as its PNG and formulas still render', { timeout: 120_000 }, async (t) => {
  if (!need(t, chromiumPath(), 'Chromium (apt-get install chromium)')) return;
  const out = mkdtempSync(join(tmpdir(), 'lp-site-'));
  const chrome = await launchChromium();
  try {
    await buildSite(out);
    const context = await chrome.browser.newContext({ javaScriptEnabled: false });
    await context.route('**/*', (route) => (/^(file|data|about):/.test(route.request().url()) ? route.continue() : route.abort()));
    const page = await context.newPage();
    for (const f of listNotebooks()) {
      const stem = f.split('/').pop()!.replace(/\.ipynb$/, '');
      await page.goto(pathToFileURL(join(out, `${stem}.html`)).href, { waitUntil: 'load' });
      const imgs = await page.$$eval('noscript + *, img[alt="plot"]', (els) => els.filter((e) => e instanceof HTMLImageElement)
        .map((e) => ({ w: (e as HTMLImageElement).naturalWidth, h: (e as HTMLImageElement).naturalHeight })));
      assert.equal(imgs.length, plotlyOutputs(f), `${stem}: one PNG per plot`);
      for (const s of imgs) assert.ok(s.w >= 400 && s.h >= 200, `${stem}: the PNG decodes (${s.w}x${s.h})`);
      assert.equal(await page.locator('svg.main-svg').count(), 0, 'no script drew anything');
      assert.ok(await page.locator('.katex').count() > 0, `${stem}: formulas are rendered at build time`);
    }
    await context.close();
  } finally {
    await chrome.close();
    rmSync(out, { recursive: true, force: true });
  }
});
