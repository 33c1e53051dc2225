/**
 * Build the static site from the executed notebooks:  npm run site  →  site/index.html
 *
 * One page per notebook (markdown with formulas rendered by KaTeX at build time, code, outputs, plots
 * drawn by the bundled plotly.js) and an index listing every claim with a link to it. Everything the
 * pages need is copied into site/, so the site works offline, opened straight from the file system.
 *
 * A notebook must have been executed by `npm run notebooks` after its last edit (its metadata stamp
 * matches its cells), and must state at least one claim (a paragraph starting with `**Claim`).
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { PLOTLY_MIME, printedText, readNotebook, text, type Notebook, type Output } from './lib/ipynb.js';
import { createMarkdown, newEnv, renderMarkdown, renderMath, type RenderEnv } from './lib/markdown.js';
import { ROOT } from './lib/jupyter.js';
import { listNotebooks, sourceHash, STAMP_KEY, NOTEBOOK_DIR } from './notebook.js';
import { PLOTLY_JS } from './lib/static-plots.js';
import { parseClaims, type ClaimCheck } from '../src/claims.js';

const require = createRequire(import.meta.url);
export const SITE_DIR = join(ROOT, 'site');
const KATEX_DIST = dirname(require.resolve('katex/dist/katex.min.css'));

export class SiteError extends Error { override name = 'SiteError'; }

export interface PageInfo {
  stem: string;
  title: string;
  file: string;
  claims: { id: string; html: string; text: string }[];
  plots: number;
  formulas: number;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
// eslint-disable-next-line no-control-regex
const stripAnsi = (s: string) => s.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '');
/** JSON safe inside a <script> element. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

/** Refuse a notebook whose outputs are not those of `npm run notebooks` for its current cells. */
export function checkExecuted(nb: Notebook, label: string): void {
  const stamp = nb.metadata[STAMP_KEY] as { source_sha256?: string; parameters?: Record<string, unknown> } | undefined;
  if (!stamp?.source_sha256) throw new SiteError(`${label} has not been executed by \`npm run notebooks\` (no outputs stamp); run it first`);
  if (stamp.source_sha256 !== sourceHash(nb)) throw new SiteError(`${label} was edited after it was executed; run \`npm run notebooks\``);
  if (stamp.parameters && Object.keys(stamp.parameters).length > 0) throw new SiteError(`${label} holds a run with overridden parameters; the site is built from the default runs`);
  for (const [i, c] of nb.cells.entries()) {
    if (c.cell_type !== 'code') continue;
    if (c.execution_count === null) throw new SiteError(`${label}: cell ${i + 1} was not executed; run \`npm run notebooks\``);
    if (c.outputs.some((o) => o.output_type === 'error')) throw new SiteError(`${label}: cell ${i + 1} holds an error output`);
  }
}

function renderOutput(o: Output, env: RenderEnv, md: ReturnType<typeof createMarkdown>, ids: { plot: number }): string {
  if (o.output_type === 'stream') return `<pre class="output stream ${o.name}">${esc(stripAnsi(text(o.text)))}</pre>`;
  if (o.output_type === 'error') return `<pre class="output error">${esc(stripAnsi(o.traceback.join('\n')))}</pre>`;
  const d = o.data;
  if (d[PLOTLY_MIME] !== undefined) {
    const id = `plot-${++ids.plot}`;
    const png = typeof d['image/png'] === 'string' ? `<noscript><img alt="plot" src="data:image/png;base64,${text(d['image/png'] as string).replace(/\n/g, '')}"></noscript>` : '';
    return `<div class="output plot" id="${id}"></div><script type="application/json" class="plot-data" data-target="${id}">${scriptJson(d[PLOTLY_MIME])}</script>${png}`;
  }
  if (d['text/html'] !== undefined) return `<div class="output html">${text(d['text/html'] as string)}</div>`;
  if (d['image/svg+xml'] !== undefined) return `<div class="output svg">${text(d['image/svg+xml'] as string)}</div>`;
  if (d['image/png'] !== undefined) return `<img class="output" alt="output" src="data:image/png;base64,${text(d['image/png'] as string).replace(/\n/g, '')}">`;
  if (d['image/jpeg'] !== undefined) return `<img class="output" alt="output" src="data:image/jpeg;base64,${text(d['image/jpeg'] as string).replace(/\n/g, '')}">`;
  if (d['text/markdown'] !== undefined) return `<div class="output markdown">${renderMarkdown(md, text(d['text/markdown'] as string), env)}</div>`;
  if (d['text/latex'] !== undefined) {
    const tex = text(d['text/latex'] as string).trim().replace(/^\$\$?|\$\$?$/g, '');
    return `<div class="output math-block">${renderMath(tex, true, env)}</div>`;
  }
  if (d['application/json'] !== undefined) return `<pre class="output json">${esc(JSON.stringify(d['application/json'], null, 2))}</pre>`;
  if (d['text/plain'] !== undefined) return `<pre class="output text">${esc(stripAnsi(text(d['text/plain'] as string)))}</pre>`;
  return '';
}

function page(title: string, body: string, opts: { plots: number; formulas: number; root?: string }): string {
  const r = opts.root ?? '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<link rel="stylesheet" href="${r}assets/katex/katex.min.css">
<link rel="stylesheet" href="${r}assets/site.css">
</head>
<body data-plots="${opts.plots}" data-formulas="${opts.formulas}">
${body}
${opts.plots > 0 ? `<script src="${r}assets/plotly.js"></script>\n<script src="${r}assets/site.js"></script>` : ''}
</body>
</html>
`;
}

/** Render one executed notebook to a page. */
export function renderNotebook(nb: Notebook, stem: string, label: string): { html: string; info: PageInfo } {
  checkExecuted(nb, label);
  const md = createMarkdown();
  const counter = { n: 0 }, slugs = new Set<string>(['top']);
  const ids = { plot: 0 };
  let formulas = 0, title = '';
  const claims: PageInfo['claims'] = [];
  const parts: string[] = [];
  for (const [i, c] of nb.cells.entries()) {
    const env = newEnv(`${label}, cell ${i + 1}`, counter, slugs);
    const src = text(c.source);
    if (c.cell_type === 'markdown') {
      parts.push(`<section class="cell markdown">${renderMarkdown(md, src, env)}</section>`);
      if (!title) title = env.headings.find((h) => h.level === 1)?.text ?? '';
      claims.push(...env.claims);
    } else if (c.cell_type === 'code') {
      const tags = c.metadata.tags ?? [];
      const isParams = tags.includes('parameters');
      const outputs = c.outputs.map((o) => renderOutput(o, env, md, ids)).join('\n');
      parts.push(`<section class="cell code${isParams ? ' parameters' : ''}">
<details${isParams ? ' open' : ''}><summary>${isParams ? 'Parameters' : 'Code'} <span class="count">[${c.execution_count ?? ' '}]</span></summary><pre class="source"><code>${esc(src)}</code></pre></details>
${outputs ? `<div class="outputs">${outputs}</div>` : ''}
</section>`);
    } else {
      parts.push(`<section class="cell raw"><pre>${esc(src)}</pre></section>`);
    }
    formulas += env.formulas;
  }
  if (!title) title = stem;
  if (claims.length === 0) throw new SiteError(`${label} states no claim: add a markdown paragraph starting with **Claim`);
  const body = `<header><a href="index.html">← All notebooks</a><span class="src">Source: <a href="notebooks/${esc(stem)}.ipynb">${esc(stem)}.ipynb</a> · open in JupyterLab to re-run</span></header>
<main>
${parts.join('\n')}
</main>
<footer>Executed by <code>npm run notebooks</code> with the default parameters.<p class="cite">Companion to Zhang, Moniri, Nagwekar, Rahman, Xue, Hassani and Matni, <em>On the Concurrence of Layer-wise Preconditioning Methods and Provable Feature Learning</em>, ICML 2025 (<a href="https://arxiv.org/abs/2502.01763">arXiv:2502.01763</a>).</p></footer>`;
  return { html: page(title, body, { plots: ids.plot, formulas }), info: { stem, title, file: `${stem}.html`, claims, plots: ids.plot, formulas } };
}

const SITE_CSS = `
.index details.checks { margin: .2rem 0 .8rem; font-size: .92rem; }
.index details.checks summary { cursor: pointer; color: var(--muted); }
.index details.checks .held { color: #1a7f37; } .index details.checks .failed { color: #b42318; }
.index details.checks li { margin: .25rem 0; }
:root { --fg: #1d1d1f; --muted: #666; --line: #e3e3e3; --accent: #0b5cad; --code-bg: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); font: 16px/1.6 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
header, main, footer { max-width: 60rem; margin: 0 auto; padding: 0 1.25rem; }
header { display: flex; justify-content: space-between; gap: 1rem; padding-top: 1rem; padding-bottom: .5rem; border-bottom: 1px solid var(--line); font-size: .9rem; }
footer { margin-top: 3rem; padding-top: 1rem; padding-bottom: 2rem; border-top: 1px solid var(--line); color: var(--muted); font-size: .85rem; }
a { color: var(--accent); }
h1 { font-size: 1.9rem; line-height: 1.25; margin: 1.5rem 0 1rem; }
h2 { font-size: 1.35rem; margin-top: 2rem; }
code { background: var(--code-bg); padding: .1em .3em; border-radius: 3px; font-size: .9em; }
pre { overflow-x: auto; }
pre code { background: none; padding: 0; }
.cell { margin: 1rem 0; }
.cell.code details { border: 1px solid var(--line); border-radius: 6px; background: var(--code-bg); }
.cell.code summary { cursor: pointer; padding: .3rem .7rem; color: var(--muted); font-size: .85rem; }
.cell.code pre.source { margin: 0; padding: .5rem .9rem .8rem; font-size: .85rem; line-height: 1.45; }
.outputs { margin-top: .4rem; }
pre.output { margin: .3rem 0; padding: .3rem .9rem; font-size: .85rem; line-height: 1.4; border-left: 3px solid var(--line); }
pre.output.stderr { border-left-color: #e0a800; background: #fff8e1; }
.output.plot { width: 100%; min-height: 300px; }
.claim { border-left: 4px solid var(--accent); background: #f2f7fd; padding: .6rem .9rem; border-radius: 0 6px 6px 0; }
.math-block { overflow-x: auto; overflow-y: hidden; }
.katex-display { margin: .8em 0; }
.index .notebook { margin: 1.5rem 0 2rem; }
.index ul.claims { list-style: none; padding: 0; }
.index ul.claims li { margin: .6rem 0; }
.index .go { white-space: nowrap; font-size: .9rem; margin-left: .4rem; }
`;

const SITE_JS = `// Draws every plot of the page with the bundled plotly.js (no network).
(function () {
  function draw() {
    var blocks = document.querySelectorAll('script.plot-data');
    for (var i = 0; i < blocks.length; i++) {
      var el = document.getElementById(blocks[i].getAttribute('data-target'));
      var fig = JSON.parse(blocks[i].textContent);
      var config = Object.assign({ responsive: true, displaylogo: false }, fig.config || {});
      window.Plotly.newPlot(el, fig.data, fig.layout || {}, config).then(function (gd) { gd.setAttribute('data-drawn', 'true'); });
    }
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', draw); else draw();
})();
`;

export interface BuildResult { dir: string; pages: PageInfo[]; ms: number }

/** Build the site from `notebooks` into `outDir` (emptied first). */
export function buildSite(outDir = SITE_DIR, notebooks = listNotebooks()): BuildResult {
  const t0 = Date.now();
  if (notebooks.length === 0) throw new SiteError('no notebooks to build');
  const pages: { info: PageInfo; html: string; src: string; checks: ClaimCheck[] }[] = [];
  for (const f of notebooks) {
    const stem = basename(f, '.ipynb');
    const nb = readNotebook(f);
    const { html, info } = renderNotebook(nb, stem, relative(ROOT, f) || f);
    // the closing cell's numerical checks (src/claims.ts lines in the printed output)
    pages.push({ info, html, src: f, checks: parseClaims(printedText(nb)) });
  }
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(outDir, 'assets', 'katex'), { recursive: true });
  mkdirSync(join(outDir, 'notebooks'), { recursive: true });
  copyFileSync(PLOTLY_JS, join(outDir, 'assets', 'plotly.js'));
  copyFileSync(join(KATEX_DIST, 'katex.min.css'), join(outDir, 'assets', 'katex', 'katex.min.css'));
  cpSync(join(KATEX_DIST, 'fonts'), join(outDir, 'assets', 'katex', 'fonts'), { recursive: true });
  writeFileSync(join(outDir, 'assets', 'site.css'), SITE_CSS);
  writeFileSync(join(outDir, 'assets', 'site.js'), SITE_JS);
  for (const p of pages) {
    writeFileSync(join(outDir, p.info.file), p.html);
    copyFileSync(p.src, join(outDir, 'notebooks', `${p.info.stem}.ipynb`));
  }

  // The index: an introduction (notebooks/README.md, if present) and every claim with its link.
  const md = createMarkdown();
  const introEnv = newEnv('notebooks/README.md');
  const introFile = join(NOTEBOOK_DIR, 'README.md');
  const intro = existsSync(introFile) ? renderMarkdown(md, readFileSync(introFile, 'utf8'), introEnv)
    : '<h1>Notebooks</h1>';
  let formulas = introEnv.formulas;
  const checksHtml = (checks: ClaimCheck[]) => {
    if (checks.length === 0) return '';
    const held = checks.filter((c) => c.holds).length, ok = held === checks.length;
    const items = checks.map((c) => `<li class="${c.holds ? 'held' : 'failed'}">${c.holds ? '✓' : '✗'} ${esc(c.claim)}<br><span class="meta">measured: ${esc(c.measured)}</span></li>`).join('\n');
    return `<details class="checks"><summary class="${ok ? 'held' : 'failed'}">${ok ? '✓' : '✗'} ${held} of ${checks.length} numerical checks held when the notebook was executed</summary><ul>\n${items}\n</ul></details>`;
  };
  const list = pages.map(({ info, checks }) => {
    const items = info.claims.map((c) => {
      const env = newEnv(`${info.stem}: claim`);
      const html = md.renderInline(c.text, env);
      formulas += env.formulas;
      return `<li>${html} <a class="go" href="${esc(info.file)}#${c.id}">→ in the notebook</a></li>`;
    }).join('\n');
    return `<section class="notebook" id="${esc(info.stem)}"><h2><a href="${esc(info.file)}">${esc(info.title)}</a></h2>
<p class="meta"><code>notebooks/${esc(info.stem)}.ipynb</code> · ${info.plots} plot${info.plots === 1 ? '' : 's'}</p>
<ul class="claims">
${items}
</ul>
${checksHtml(checks)}</section>`;
  }).join('\n');
  const body = `<main class="index">
${intro}
<h2>Claims</h2>
${list}
</main>
<footer>Built from the executed notebooks by <code>npm run site</code>; works offline.<p class="cite">Companion to Zhang, Moniri, Nagwekar, Rahman, Xue, Hassani and Matni, <em>On the Concurrence of Layer-wise Preconditioning Methods and Provable Feature Learning</em>, ICML 2025 (<a href="https://arxiv.org/abs/2502.01763">arXiv:2502.01763</a>).</p></footer>`;
  writeFileSync(join(outDir, 'index.html'), page('Notebooks — layer-wise preconditioning', body, { plots: 0, formulas }));
  return { dir: outDir, pages: pages.map((p) => p.info), ms: Date.now() - t0 };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename ?? '')) {
  try {
    const out = process.argv[2] ? resolve(process.argv[2]) : SITE_DIR;
    const r = buildSite(out);
    for (const p of r.pages) console.log(`${p.file}: ${p.claims.length} claim(s), ${p.plots} plot(s), ${p.formulas} formula(s)`);
    console.log(`site built in ${r.ms} ms: open ${pathToFileURL(join(r.dir, 'index.html')).href}`);
  } catch (e) {
    console.error(e instanceof Error && (e.name === 'SiteError' || e.name === 'MathError') ? `error: ${e.message}` : e);
    process.exit(1);
  }
}
