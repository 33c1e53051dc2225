/**
 * Build the static site from the executed notebooks:  npm run site  →  site/index.html
 *
 * One page per notebook (markdown with formulas rendered by KaTeX at build time, code, outputs, plots
 * drawn by the bundled plotly.js) and an index listing every claim with a link to it. Everything the
 * pages need is copied into site/, so the site works offline, opened straight from the file system.
 *
 * A notebook must have been executed by `npm run notebooks` after its last edit (its metadata stamp
 * matches its cells), and must state at least one claim (a paragraph starting with `**Claim`).
 *
 * A notebook executed at a profile of its story (notebooks/paper-scale/NAME.ipynb, `npm start -- --profile
 * paper`) gets a page of its own, NAME.paper.html, linked from the notebook's page and the index ("at paper
 * scale"), with its own table of checks; it is not recomputed in the page (its sweeps take minutes).
 *
 * A notebook with a story (src/stories/) becomes explorable: its page gets the controls of the story's
 * knobs and recomputes the figures and checks in the browser (src/site/explore.ts, bundled here with
 * esbuild; the sweep worker, the tfjs wasm binary and the committed cells of the default parameters are
 * shipped as scripts, since a page opened from file:// can load scripts but not fetch files).
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { PLOTLY_MIME, printedText, readNotebook, text, type Notebook, type Output } from './lib/ipynb.js';
import { createMarkdown, newEnv, renderMarkdown, renderMath, type RenderEnv } from './lib/markdown.js';
import { ROOT } from './lib/jupyter.js';
import { listNotebooks, profilePath, sourceHash, STAMP_KEY, NOTEBOOK_DIR } from './notebook.js';
import { parseClaims, type ClaimCheck } from '../src/claims.js';
import { STORIES, loadStory } from '../src/stories/index.js';
import { defaultKnobs, type AnyStory } from '../src/stories/story.js';
import { loadRegistered } from '../src/experiments/registry.js';
import { effectiveGrid, expandGrid } from '../src/sweep/grid.js';
import { cellKey } from '../src/sweep/keys.js';
import { decodeCell } from '../src/node/cache.js';
import { defaultDataDir } from '../src/node/locate.js';
import type { Json } from '../src/sweep/types.js';

const require = createRequire(import.meta.url);
export const SITE_DIR = join(ROOT, 'site');
const KATEX_DIST = dirname(require.resolve('katex/dist/katex.min.css'));
/** The minified plotly.js bundle (one file, loaded once by every page and cached by the browser). */
export const PLOTLY_MIN_JS = require.resolve('plotly.js-dist-min/plotly.min.js');
const TFJS_WASM_SIMD = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist', 'tfjs-backend-wasm-simd.wasm');

/** The paper, cited on every page. */
export const PAPER = {
  authors: 'Zhang, Moniri, Nagwekar, Rahman, Xue, Hassani, Matni',
  title: 'On the Concurrence of Layer-wise Preconditioning Methods and Provable Feature Learning',
  venue: 'ICML 2025',
  arxiv: '2502.01763',
  url: 'https://arxiv.org/abs/2502.01763',
};
const citation = () => `<p class="cite">A companion to ${PAPER.authors}, <a href="${PAPER.url}"><em>${PAPER.title}</em></a>, ${PAPER.venue} (arXiv:<a href="${PAPER.url}">${PAPER.arxiv}</a>).</p>`;

export class SiteError extends Error { override name = 'SiteError'; }

export interface PageInfo {
  stem: string;
  title: string;
  file: string;
  claims: { id: string; html: string; text: string }[];
  plots: number;
  formulas: number;
  /** True when the page recomputes its figures in the browser (the notebook has a story). */
  explorable: boolean;
}

/** What a page needs to know of its notebook's story. */
export interface StoryInfo { figures: string[] }

/** Per-page navigation: the neighbouring pages, and the page of the other scale (default ↔ profile). */
export interface PageNav {
  prev?: { file: string; title: string };
  next?: { file: string; title: string };
  /** On the default page: the notebook's page at a profile (e.g. paper scale). */
  profile?: { file: string; name: string };
  /** On a profile's page: the profile shown, its knob overrides and the default page. */
  of?: { profile: string; knobs: Record<string, unknown>; file: string };
}

/** The page of notebook `stem` at `profile`: NAME.paper.html. */
export const profilePage = (stem: string, profile: string) => `${stem}.${profile}.html`;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
// eslint-disable-next-line no-control-regex
const stripAnsi = (s: string) => s.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '');
/** JSON safe inside a <script> element. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

/** Refuse a notebook whose outputs are not those of `npm run notebooks` for its current cells. */
export function checkExecuted(nb: Notebook, label: string, profile?: string): void {
  const stamp = nb.metadata[STAMP_KEY] as { source_sha256?: string; parameters?: Record<string, unknown>; profile?: string } | undefined;
  if (!stamp?.source_sha256) throw new SiteError(`${label} has not been executed by \`npm run notebooks\` (no outputs stamp); run it first`);
  if (stamp.source_sha256 !== sourceHash(nb)) throw new SiteError(`${label} was edited after it was executed; run \`npm run notebooks\``);
  if (profile !== undefined) {
    if (stamp.profile !== profile) throw new SiteError(`${label} was not executed at the profile '${profile}' (run \`npm start -- --profile ${profile}\`)`);
  } else if (stamp.profile !== undefined || (stamp.parameters && Object.keys(stamp.parameters).length > 0)) {
    throw new SiteError(`${label} holds a run with overridden parameters; the site is built from the default runs`);
  }
  for (const [i, c] of nb.cells.entries()) {
    if (c.cell_type !== 'code') continue;
    if (c.execution_count === null) throw new SiteError(`${label}: cell ${i + 1} was not executed; run \`npm run notebooks\``);
    if (c.outputs.some((o) => o.output_type === 'error')) throw new SiteError(`${label}: cell ${i + 1} holds an error output`);
  }
}

/** Tables in a container that scrolls sideways on narrow screens (the page itself never does). */
const wrapTables = (html: string) => html.replace(/<table\b/g, '<div class="table-wrap"><table').replace(/<\/table>/g, '</table></div>');
/** An anchor link in every heading that has an id. */
const anchorHeadings = (html: string) => html.replace(/<(h[1-6]) id="([^"]+)">([\s\S]*?)<\/\1>/g,
  (_m, h: string, id: string, inner: string) => `<${h} id="${id}">${inner} <a class="anchor" href="#${id}" aria-label="link to this section">#</a></${h}>`);

/** Consecutive stream outputs of one stream (stdout or stderr) as one output, as JupyterLab shows them. */
export function mergeStreams(outputs: readonly Output[]): Output[] {
  const out: Output[] = [];
  for (const o of outputs) {
    const prev = out[out.length - 1];
    if (o.output_type === 'stream' && prev?.output_type === 'stream' && prev.name === o.name) {
      out[out.length - 1] = { ...prev, text: text(prev.text) + text(o.text) };
    } else out.push(o);
  }
  return out;
}

function renderOutput(o: Output, env: RenderEnv, md: ReturnType<typeof createMarkdown>, ids: { plot: number }): string {
  if (o.output_type === 'stream') return `<pre class="output stream ${o.name}">${esc(stripAnsi(text(o.text)).replace(/\n$/, ''))}</pre>`;
  if (o.output_type === 'error') return `<pre class="output error">${esc(stripAnsi(o.traceback.join('\n')))}</pre>`;
  const d = o.data;
  if (d[PLOTLY_MIME] !== undefined) {
    const n = ++ids.plot, id = `plot-${n}`;
    const fig = d[PLOTLY_MIME] as { layout?: { title?: { text?: string } | string } };
    const t = typeof fig.layout?.title === 'string' ? fig.layout.title : fig.layout?.title?.text;
    const png = typeof d['image/png'] === 'string' ? `<noscript><img alt="plot" src="data:image/png;base64,${text(d['image/png'] as string).replace(/\n/g, '')}"></noscript>` : '';
    return `<figure class="fig" id="figure-${n}"><div class="output plot" id="${id}"></div><script type="application/json" class="plot-data" data-target="${id}">${scriptJson(d[PLOTLY_MIME])}</script>${png}<figcaption><a href="#figure-${n}">Figure ${n}.</a>${t ? ` ${esc(t)}` : ''}</figcaption></figure>`;
  }
  if (d['text/html'] !== undefined) return `<div class="output html">${wrapTables(text(d['text/html'] as string))}</div>`;
  if (d['image/svg+xml'] !== undefined) return `<div class="output svg">${text(d['image/svg+xml'] as string)}</div>`;
  if (d['image/png'] !== undefined) return `<img class="output" alt="output" src="data:image/png;base64,${text(d['image/png'] as string).replace(/\n/g, '')}">`;
  if (d['image/jpeg'] !== undefined) return `<img class="output" alt="output" src="data:image/jpeg;base64,${text(d['image/jpeg'] as string).replace(/\n/g, '')}">`;
  if (d['text/markdown'] !== undefined) return `<div class="output markdown">${wrapTables(renderMarkdown(md, text(d['text/markdown'] as string), env))}</div>`;
  if (d['text/latex'] !== undefined) {
    const tex = text(d['text/latex'] as string).trim().replace(/^\$\$?|\$\$?$/g, '');
    return `<div class="output math-block">${renderMath(tex, true, env)}</div>`;
  }
  if (d['application/json'] !== undefined) return `<pre class="output json">${esc(JSON.stringify(d['application/json'], null, 2))}</pre>`;
  if (d['text/plain'] !== undefined) return `<pre class="output text">${esc(stripAnsi(text(d['text/plain'] as string)))}</pre>`;
  return '';
}

function page(title: string, body: string, opts: { plots: number; formulas: number; root?: string; explore?: boolean }): string {
  const r = opts.root ?? '';
  const scripts = [
    ...(opts.plots > 0 || opts.explore ? [`<script src="${r}assets/plotly.min.js"></script>`, `<script src="${r}assets/site.js"></script>`] : []),
    ...(opts.explore ? [`<script src="${r}assets/explore.js" defer></script>`] : []),
  ];
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
${scripts.join('\n')}
</body>
</html>
`;
}

/** The story figures a code cell shows, in order: calls written `<story>.figures.<name>(`. */
export function figureCalls(source: string, figures: readonly string[]): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/\.figures(?:\.([A-Za-z_$][\w$]*)|\[\s*['"]([^'"]+)['"]\s*\])\s*\(/g)) {
    const name = m[1] ?? m[2]!;
    if (figures.includes(name)) out.push(name);
  }
  return out;
}

/** Render one executed notebook to a page. */
export function renderNotebook(nb: Notebook, stem: string, label: string, story?: StoryInfo, nav: PageNav = {}): { html: string; info: PageInfo } {
  checkExecuted(nb, label, nav.of?.profile);
  if (nav.of && story) throw new SiteError(`${label}: a profile's page is not explorable (give no story)`);
  const md = createMarkdown();
  const counter = { n: 0 }, slugs = new Set<string>(['top']);
  const ids = { plot: 0 };
  let formulas = 0, title = '';
  const claims: PageInfo['claims'] = [];
  const parts: string[] = [];
  const headings: { level: number; id: string; text: string }[] = [];
  const figureTargets: Record<string, string[]> = {};
  for (const [i, c] of nb.cells.entries()) {
    const env = newEnv(`${label}, cell ${i + 1}`, counter, slugs);
    const src = text(c.source);
    if (c.cell_type === 'markdown') {
      parts.push(`<section class="cell markdown">${anchorHeadings(wrapTables(renderMarkdown(md, src, env)))}</section>`);
      if (!title) title = env.headings.find((h) => h.level === 1)?.text ?? '';
      headings.push(...env.headings.filter((h) => h.level === 2 || h.level === 3));
      claims.push(...env.claims);
    } else if (c.cell_type === 'code') {
      const tags = c.metadata.tags ?? [];
      const isParams = tags.includes('parameters');
      const first = ids.plot;
      const outputs = mergeStreams(c.outputs).map((o) => renderOutput(o, env, md, ids)).join('\n');
      if (story) {
        // the cell's plots, in order, are the story figures its source calls, in order
        const calls = figureCalls(src, story.figures);
        if (calls.length === ids.plot - first) calls.forEach((name, j) => { (figureTargets[name] ??= []).push(`plot-${first + j + 1}`); });
      }
      parts.push(`<section class="cell code${isParams ? ' parameters' : ''}">
<details${isParams ? ' open' : ''}><summary>${isParams ? 'Parameters' : 'Code'} <span class="count">[${c.execution_count ?? ' '}]</span></summary><pre class="source"><code>${esc(src)}</code></pre></details>
${outputs ? `<div class="outputs">${outputs}</div>` : ''}
</section>`);
      if (isParams && story) {
        parts.push(`<section class="explore" id="lp-explore"><p>Loading the controls to recompute this notebook in the page…</p></section>
<script type="application/json" id="lp-explore-config">${scriptJson({
  notebook: stem, figures: '\u0000figures\u0000',
  scripts: { worker: 'assets/sweep-worker.js', wasm: 'assets/tfjs-wasm-simd.js', cells: `cells/${stem}.js`, notebook: `notebooks/${stem}.ipynb.js` },
})}</script>`);
      }
    } else {
      parts.push(`<section class="cell raw"><pre>${esc(src)}</pre></section>`);
    }
    formulas += env.formulas;
  }
  if (!title) title = stem;
  if (claims.length === 0) throw new SiteError(`${label} states no claim: add a markdown paragraph starting with **Claim`);
  // the contents: each heading's inline markdown (formulas included), without its links
  const tocEnv = newEnv(`${label}, contents`);
  const tocItems = headings.map((h) => `<li class="l${h.level}"><a href="#${esc(h.id)}">${md.renderInline(h.text, tocEnv).replace(/<\/?a\b[^>]*>/g, '')}</a></li>`).join('');
  formulas += tocEnv.formulas;
  const toc = headings.length ? `<nav class="toc" aria-label="Contents"><strong>Contents</strong><ol>${tocItems}</ol></nav>` : '';
  const prevNext = `<nav class="prevnext">${nav.prev ? `<a rel="prev" href="${esc(nav.prev.file)}">← ${esc(nav.prev.title)}</a>` : '<span></span>'}${nav.next ? `<a rel="next" href="${esc(nav.next.file)}">${esc(nav.next.title)} →</a>` : '<span></span>'}</nav>`;
  // the page's title heading first, then the contents; the figure targets are known once every cell is rendered
  const main = parts.join('\n').replace('"\\u0000figures\\u0000"', () => scriptJson(figureTargets)).replace(/(<section class="cell markdown">[\s\S]*?<\/h1>)/, `$1\n${toc}`);
  const of = nav.of;
  const knobList = of ? Object.entries(of.knobs).map(([k, v]) => `<code>${esc(k)} = ${esc(JSON.stringify(v))}</code>`).join(', ') : '';
  const srcFile = of ? `notebooks/${esc(of.profile)}-scale/${esc(stem)}.ipynb` : `notebooks/${esc(stem)}.ipynb`;
  const header = of
    ? `<header><a href="index.html">← All notebooks</a><span class="src"><a href="${esc(of.file)}">← the default scale</a> · Source: <a href="${srcFile}">${srcFile}</a></span></header>
<div class="profile-note"><strong>At ${esc(of.profile)} scale.</strong> The same notebook executed with its story's <code>${esc(of.profile)}</code> profile (<code>npm start -- --profile ${esc(of.profile)}</code>): ${knobList}. Every claim is checked again at these sizes; the default-size page is <a href="${esc(of.file)}">here</a>.</div>`
    : `<header><a href="index.html">← All notebooks</a><span class="src">${nav.profile ? `<a class="scale" href="${esc(nav.profile.file)}">at ${esc(nav.profile.name)} scale →</a> · ` : ''}Source: <a href="${srcFile}">${esc(stem)}.ipynb</a> · ${story ? 'change its parameters below to recompute it here, or open it in JupyterLab' : 'open in JupyterLab to re-run'}</span></header>`;
  const footer = of
    ? `Executed by <code>npm start -- --profile ${esc(of.profile)}</code> (the profile's knobs above).`
    : story ? 'Shown: the outputs of <code>npm run notebooks</code> with the default parameters; with other parameters the figures and checks are recomputed in this page and the printed outputs are dimmed.' : 'Executed by <code>npm run notebooks</code> with the default parameters.';
  const body = `${header}
<div class="paper">${citation()}</div>
<main>
${main.includes(toc) ? main : toc + main}
</main>
${prevNext}
<footer>${footer}${citation()}</footer>`;
  const file = of ? profilePage(stem, of.profile) : `${stem}.html`;
  return { html: page(of ? `${title} (at ${of.profile} scale)` : title, body, { plots: ids.plot, formulas, explore: !!story }), info: { stem, title, file, claims, plots: ids.plot, formulas, explorable: !!story } };
}

const SITE_CSS = `
.profile-note { max-width: 60rem; margin: .6rem auto 0; padding: .5rem 1.25rem; background: #fff8e1; border-left: 4px solid #e0a800; font-size: .92rem; }
.index .scale, header a.scale { font-weight: 600; }
.index details.checks { margin: .2rem 0 .8rem; font-size: .92rem; }
.index details.checks summary { cursor: pointer; color: var(--muted); }
.index details.checks .held { color: #1a7f37; } .index details.checks .failed { color: #b42318; }
.index details.checks li { margin: .25rem 0; }
:root { --fg: #1d1d1f; --muted: #666; --line: #e3e3e3; --accent: #0b5cad; --code-bg: #f6f8fa; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--fg); font: 16px/1.6 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; overflow-wrap: break-word; }
header, main, footer, .paper, nav.prevnext { max-width: 60rem; margin: 0 auto; padding: 0 1.25rem; }
header { display: flex; flex-wrap: wrap; justify-content: space-between; gap: .3rem 1rem; padding-top: 1rem; padding-bottom: .5rem; border-bottom: 1px solid var(--line); font-size: .9rem; }
.paper .cite { margin: .5rem 0 0; font-size: .85rem; color: var(--muted); }
footer { margin-top: 2rem; padding-top: 1rem; padding-bottom: 2rem; border-top: 1px solid var(--line); color: var(--muted); font-size: .85rem; }
nav.prevnext { display: flex; justify-content: space-between; gap: 1rem; margin-top: 2.5rem; font-size: .95rem; }
nav.toc { border: 1px solid var(--line); border-radius: 6px; padding: .5rem 1rem; margin: 1rem 0; font-size: .92rem; }
nav.toc ol { margin: .3rem 0 0; padding-left: 1.2rem; }
nav.toc li.l3 { margin-left: 1rem; list-style: circle; }
a { color: var(--accent); }
a.anchor { text-decoration: none; color: var(--line); font-weight: normal; }
h1:hover a.anchor, h2:hover a.anchor, h3:hover a.anchor, a.anchor:focus { color: var(--accent); }
h1 { font-size: 1.9rem; line-height: 1.25; margin: 1.5rem 0 1rem; }
h2 { font-size: 1.35rem; margin-top: 2rem; }
code { background: var(--code-bg); padding: .1em .3em; border-radius: 3px; font-size: .9em; }
pre { overflow-x: auto; }
pre code { background: none; padding: 0; }
.cell { margin: 1rem 0; min-width: 0; }
.cell.code details { border: 1px solid var(--line); border-radius: 6px; background: var(--code-bg); }
.cell.code summary { cursor: pointer; padding: .3rem .7rem; color: var(--muted); font-size: .85rem; }
.cell.code pre.source { margin: 0; padding: .5rem .9rem .8rem; font-size: .85rem; line-height: 1.45; }
.outputs { margin-top: .4rem; min-width: 0; }
pre.output { margin: .3rem 0; padding: .3rem .9rem; font-size: .85rem; line-height: 1.4; border-left: 3px solid var(--line); white-space: pre; overflow-x: auto; max-width: 100%; }
pre.output.stderr { border-left-color: #e0a800; background: #fff8e1; }
.table-wrap { overflow-x: auto; max-width: 100%; }
.table-wrap table { border-collapse: collapse; font-size: .9rem; }
.table-wrap th, .table-wrap td { border-bottom: 1px solid var(--line); padding: .25rem .6rem; text-align: right; white-space: nowrap; }
.table-wrap th:first-child, .table-wrap td:first-child { text-align: left; }
figure.fig, figure.live { margin: .6rem 0 1rem; min-width: 0; }
figure figcaption { font-size: .88rem; color: var(--muted); margin-top: .2rem; }
figure figcaption a { color: inherit; font-weight: 600; text-decoration: none; }
.output.plot, .plot.live-extra { width: 100%; min-height: 300px; }
img.output { max-width: 100%; height: auto; }
.claim { border-left: 4px solid var(--accent); background: #f2f7fd; padding: .6rem .9rem; border-radius: 0 6px 6px 0; }
.math-block { overflow-x: auto; overflow-y: hidden; }
.katex-display { margin: .8em 0; overflow-x: auto; overflow-y: hidden; }
.index .notebook { margin: 1.5rem 0 2rem; }
.index ul.claims { list-style: none; padding: 0; }
.index ul.claims li { margin: .6rem 0; }
.index .go { white-space: nowrap; font-size: .9rem; margin-left: .4rem; }
.index .live { font-size: .85rem; color: #1a7f37; }
section.explore { border: 1px solid #b6cde8; background: #f7fafd; border-radius: 8px; padding: .4rem 1rem 1rem; margin: 1.2rem 0; }
section.explore h2 { margin-top: .6rem; font-size: 1.2rem; }
.explore-intro { font-size: .92rem; color: var(--muted); margin: .2rem 0 .6rem; }
form.knobs { display: grid; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); gap: .5rem 1rem; }
.knob { display: grid; grid-template-columns: 5.5rem 1fr; align-items: center; gap: 0 .5rem; min-width: 0; }
.knob label { font-family: ui-monospace, monospace; font-size: .9rem; }
.knob input, .knob select { font: inherit; font-size: .92rem; padding: .15rem .35rem; width: 100%; min-width: 0; }
.knob .doc { grid-column: 1 / -1; font-size: .75rem; color: var(--muted); line-height: 1.3; }
.knob-error { margin: .6rem 0; padding: .5rem .8rem; border-left: 4px solid #b42318; background: #fdecea; color: #7a1c12; font-size: .9rem; white-space: pre-wrap; }
.explore-bar { display: flex; flex-wrap: wrap; gap: .4rem; margin: .8rem 0 .3rem; }
.explore-bar button { font: inherit; font-size: .88rem; padding: .25rem .7rem; border: 1px solid #9bb4d1; border-radius: 5px; background: white; cursor: pointer; }
.explore-bar button.run { background: var(--accent); color: white; border-color: var(--accent); }
.explore-bar button:disabled { opacity: .45; cursor: default; }
.explore-status, .engine { font-size: .85rem; color: var(--muted); margin: .2rem 0; }
.live-claims .summary { font-weight: 600; margin: .6rem 0 .2rem; }
.live-claims .summary.held, ul.claims-live li.held .mark { color: #1a7f37; }
.live-claims .summary.failed, ul.claims-live li.failed, ul.claims-live li.failed .mark { color: #b42318; }
ul.claims-live { list-style: none; padding: 0; margin: 0; font-size: .9rem; }
ul.claims-live li { margin: .3rem 0; }
ul.claims-live .measured { color: var(--muted); }
body.non-default .cell.code .outputs pre.output { opacity: .45; }
body.non-default .cell.code .outputs pre.output::before { content: "default run's output"; display: block; font: italic .75rem sans-serif; color: var(--muted); }
@media (max-width: 600px) {
  header, main, footer, .paper, nav.prevnext { padding: 0 .75rem; }
  header { padding-top: .6rem; }
  h1 { font-size: 1.5rem; }
  section.explore { padding: .3rem .6rem .8rem; }
  .knob { grid-template-columns: 4.8rem 1fr; }
  pre.output, .cell.code pre.source { font-size: .78rem; }
}
`;

const SITE_JS = `// Draws every stored plot of the page with the bundled plotly.js (no network). On narrow screens the
// legend goes under the plot; plots follow the width of the page.
(function () {
  function fit(layout, width) {
    var l = Object.assign({}, layout || {}, { autosize: true });
    delete l.width;
    if (width < 600) {
      l.legend = Object.assign({}, l.legend || {}, { orientation: 'h', x: 0, xanchor: 'left', y: -0.22, yanchor: 'top' });
      var m = Object.assign({}, l.margin || {});
      m.r = 10; m.b = Math.max(m.b || 55, 95);
      l.margin = m;
    }
    return l;
  }
  window.lpFitLayout = fit;
  function draw() {
    var blocks = document.querySelectorAll('script.plot-data');
    for (var i = 0; i < blocks.length; i++) {
      var el = document.getElementById(blocks[i].getAttribute('data-target'));
      if (el.getAttribute('data-live') === 'true') continue;
      var fig = JSON.parse(blocks[i].textContent);
      var config = Object.assign({ responsive: true, displaylogo: false }, fig.config || {});
      window.Plotly.newPlot(el, fig.data, fit(fig.layout, el.clientWidth), config).then(function (gd) { if (!gd.hasAttribute('data-drawn')) gd.setAttribute('data-drawn', 'true'); });
    }
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', draw); else draw();
})();
`;

export interface BuildResult { dir: string; pages: PageInfo[]; ms: number }

/** The stories of the notebooks being built, by notebook name. */
async function storiesOf(stems: readonly string[]): Promise<Map<string, AnyStory>> {
  const out = new Map<string, AnyStory>();
  for (const stem of stems) if (Object.prototype.hasOwnProperty.call(STORIES, stem)) out.set(stem, await loadStory(stem));
  return out;
}

/**
 * The committed cells of a story's default parameters (cache key → result), for every engine a page may
 * run (simd, wasm, cpu): what the page needs so that its default view computes nothing.
 */
export async function shippedCells(story: AnyStory, dataDir = defaultDataDir()): Promise<Record<string, Json>> {
  const out: Record<string, Json> = {};
  const v = defaultKnobs(story);
  for (const req of Object.values(story.sweeps(v) as Record<string, { experiment: string; set: Record<string, Json[]>; seeds?: number }>)) {
    const exp = await loadRegistered(req.experiment);
    for (const c of expandGrid(exp, effectiveGrid(exp, { set: req.set, seeds: req.seeds }))) {
      for (const engine of ['simd', 'wasm', 'cpu']) {
        const key = cellKey(exp.name, exp.version, c.params, c.replicate, null, engine);
        const file = join(dataDir, exp.name, `${key}.json`);
        if (!existsSync(file)) continue;
        const d = decodeCell(readFileSync(file, 'utf8'), key);
        if (d.ok) out[key] = d.record.result;
      }
    }
  }
  return out;
}

/** The page bundle (explore.js) and the sweep worker's bundle, minified, for the browser. */
async function bundles(): Promise<{ explore: string; worker: string }> {
  const one = async (entry: string, format: 'iife' | 'esm') => {
    const r = await build({
      entryPoints: [join(ROOT, entry)], bundle: true, format, platform: 'browser', target: 'es2022', minify: true,
      write: false, logLevel: 'silent', legalComments: 'none',
    });
    return r.outputFiles[0]!.text;
  };
  const [explore, worker] = await Promise.all([one('src/site/explore.ts', 'iife'), one('src/sweep/worker.ts', 'iife')]);
  return { explore, worker };
}

/** Build the site from `notebooks` into `outDir` (emptied first). */
export async function buildSite(outDir = SITE_DIR, notebooks = listNotebooks()): Promise<BuildResult> {
  const t0 = Date.now();
  if (notebooks.length === 0) throw new SiteError('no notebooks to build');
  const stems = notebooks.map((f) => basename(f, '.ipynb'));
  const stories = await storiesOf(stems);
  const loaded = notebooks.map((f) => ({ f, stem: basename(f, '.ipynb'), nb: readNotebook(f) }));
  // titles first, for the previous/next links
  const titles = loaded.map(({ nb, stem }) => {
    const m = nb.cells.find((c) => c.cell_type === 'markdown' && /^#\s+/m.test(text(c.source)));
    return m ? /^#\s+(.*)$/m.exec(text(m.source))![1]!.replace(/\$[^$]*\$/g, (x) => x.slice(1, -1)).trim() : stem;
  });
  const pages: { info: PageInfo; html: string; src: string; checks: ClaimCheck[]; scaled: { profile: string; info: PageInfo; html: string; src: string; checks: ClaimCheck[] }[] }[] = [];
  for (const [i, { f, stem, nb }] of loaded.entries()) {
    const story = stories.get(stem);
    // the notebook executed at each profile of its story, where committed (notebooks/paper-scale/NAME.ipynb)
    const scaled: (typeof pages)[number]['scaled'] = [];
    for (const [profile, knobs] of Object.entries(story?.profiles ?? {})) {
      const pf = profilePath(f, profile, dirname(f));
      if (!existsSync(pf)) continue;
      const pnb = readNotebook(pf);
      const r = renderNotebook(pnb, stem, relative(ROOT, pf) || pf, undefined, { of: { profile, knobs: { ...knobs }, file: `${stem}.html` } });
      scaled.push({ profile, info: r.info, html: r.html, src: pf, checks: parseClaims(printedText(pnb)) });
    }
    const nav: PageNav = {
      prev: i > 0 ? { file: `${loaded[i - 1]!.stem}.html`, title: titles[i - 1]! } : undefined,
      next: i + 1 < loaded.length ? { file: `${loaded[i + 1]!.stem}.html`, title: titles[i + 1]! } : undefined,
      profile: scaled[0] ? { file: scaled[0].info.file, name: scaled[0].profile } : undefined,
    };
    const { html, info } = renderNotebook(nb, stem, relative(ROOT, f) || f, story ? { figures: Object.keys(story.figures) } : undefined, nav);
    // the closing cell's numerical checks (src/claims.ts lines in the printed output)
    pages.push({ info, html, src: f, checks: parseClaims(printedText(nb)), scaled });
  }
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(outDir, 'assets', 'katex'), { recursive: true });
  mkdirSync(join(outDir, 'notebooks'), { recursive: true });
  copyFileSync(PLOTLY_MIN_JS, join(outDir, 'assets', 'plotly.min.js'));
  copyFileSync(join(KATEX_DIST, 'katex.min.css'), join(outDir, 'assets', 'katex', 'katex.min.css'));
  cpSync(join(KATEX_DIST, 'fonts'), join(outDir, 'assets', 'katex', 'fonts'), { recursive: true });
  writeFileSync(join(outDir, 'assets', 'site.css'), SITE_CSS);
  writeFileSync(join(outDir, 'assets', 'site.js'), SITE_JS);
  for (const p of pages) {
    writeFileSync(join(outDir, p.info.file), p.html);
    copyFileSync(p.src, join(outDir, 'notebooks', `${p.info.stem}.ipynb`));
    for (const sp of p.scaled) {
      writeFileSync(join(outDir, sp.info.file), sp.html);
      mkdirSync(join(outDir, 'notebooks', `${sp.profile}-scale`), { recursive: true });
      copyFileSync(sp.src, join(outDir, 'notebooks', `${sp.profile}-scale`, `${sp.info.stem}.ipynb`));
    }
  }
  if (stories.size > 0) {
    // explorable pages: the page and worker bundles, the wasm binary, the default cells and the notebooks
    // as scripts (a file:// page may load scripts, not fetch files)
    const b = await bundles();
    writeFileSync(join(outDir, 'assets', 'explore.js'), b.explore);
    writeFileSync(join(outDir, 'assets', 'sweep-worker.js'), `self.LP_WORKER_SOURCE=${scriptJson(b.worker)};\n`);
    writeFileSync(join(outDir, 'assets', 'tfjs-wasm-simd.js'), `self.LP_WASM_SIMD=${JSON.stringify(readFileSync(TFJS_WASM_SIMD).toString('base64'))};\n`);
    mkdirSync(join(outDir, 'cells'), { recursive: true });
    for (const [stem, story] of stories) {
      const cells = await shippedCells(story);
      writeFileSync(join(outDir, 'cells', `${stem}.js`), `(self.LP_CELLS=self.LP_CELLS||{})[${JSON.stringify(stem)}]=${scriptJson(cells)};\n`);
      writeFileSync(join(outDir, 'notebooks', `${stem}.ipynb.js`), `(self.LP_NOTEBOOKS=self.LP_NOTEBOOKS||{})[${JSON.stringify(stem)}]=${scriptJson(readNotebook(join(NOTEBOOK_DIR, `${stem}.ipynb`)))};\n`);
    }
  }

  // The index: an introduction (notebooks/README.md, if present) and every claim with its link.
  const md = createMarkdown();
  const introEnv = newEnv('notebooks/README.md');
  const introFile = join(NOTEBOOK_DIR, 'README.md');
  const intro = existsSync(introFile) ? anchorHeadings(wrapTables(renderMarkdown(md, readFileSync(introFile, 'utf8'), introEnv)))
    : '<h1>Notebooks</h1>';
  let formulas = introEnv.formulas;
  const checksHtml = (checks: ClaimCheck[], scale?: string) => {
    if (checks.length === 0) return '';
    const held = checks.filter((c) => c.holds).length, ok = held === checks.length;
    const items = checks.map((c) => `<li class="${c.holds ? 'held' : 'failed'}">${c.holds ? '✓' : '✗'} ${esc(c.claim)}<br><span class="meta">measured: ${esc(c.measured)}</span></li>`).join('\n');
    return `<details class="checks"><summary class="${ok ? 'held' : 'failed'}">${ok ? '✓' : '✗'} ${held} of ${checks.length} numerical checks held when the notebook was executed${scale ? ` ${scale}` : ''}</summary><ul>\n${items}\n</ul></details>`;
  };
  const list = pages.map(({ info, checks, scaled }) => {
    const items = info.claims.map((c) => {
      const env = newEnv(`${info.stem}: claim`);
      const html = md.renderInline(c.text, env);
      formulas += env.formulas;
      return `<li>${html} <a class="go" href="${esc(info.file)}#${c.id}">→ in the notebook</a></li>`;
    }).join('\n');
    return `<section class="notebook" id="${esc(info.stem)}"><h2><a href="${esc(info.file)}">${esc(info.title)}</a></h2>
<p class="meta"><code>notebooks/${esc(info.stem)}.ipynb</code> · ${info.plots} plot${info.plots === 1 ? '' : 's'}${info.explorable ? ' · <span class="live">recomputable in the page</span>' : ''}${scaled.map((sp) => ` · <a class="scale" href="${esc(sp.info.file)}">at ${esc(sp.profile)} scale</a>`).join('')}</p>
<ul class="claims">
${items}
</ul>
${checksHtml(checks)}${scaled.map((sp) => checksHtml(sp.checks, `at ${sp.profile} scale (<a href="${esc(sp.info.file)}">page</a>)`)).join('')}</section>`;
  }).join('\n');
  // The robustness table (docs/robustness.md, written by `npm run robustness`) as a page of its own.
  const robustFile = join(ROOT, 'docs', 'robustness.md');
  let robustLink = '';
  if (existsSync(robustFile)) {
    const env = newEnv('docs/robustness.md');
    const html = anchorHeadings(wrapTables(renderMarkdown(md, readFileSync(robustFile, 'utf8'), env)));
    const rbody = `<header><a href="index.html">← All notebooks</a><span class="src">Source: <code>docs/robustness.md</code>, written by <code>npm run robustness</code></span></header>
<div class="paper">${citation()}</div>
<main>
${html}
</main>
<footer>Every claim re-evaluated under other base seeds, more replicates and a larger size.${citation()}</footer>`;
    writeFileSync(join(outDir, 'robustness.html'), page('Robustness of the claims', rbody, { plots: 0, formulas: env.formulas }));
    robustLink = `<h2 id="robustness">Robustness</h2>
<p>Every notebook's claims re-evaluated under other base seeds, more replicates and a larger size, with the statistic of each: <a href="robustness.html">the robustness table</a>. Where a claim fails there, the notebook states the boundary with its numbers.</p>`;
  }
  const body = `<div class="paper">${citation()}</div>
<main class="index">
${intro}
<h2>Claims</h2>
${list}
${robustLink}
</main>
<footer>Built from the executed notebooks by <code>npm run site</code>; works offline.${citation()}</footer>`;
  writeFileSync(join(outDir, 'index.html'), page('Notebooks — layer-wise preconditioning', body, { plots: 0, formulas }));
  return { dir: outDir, pages: pages.map((p) => p.info), ms: Date.now() - t0 };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename ?? '')) {
  try {
    const out = process.argv[2] ? resolve(process.argv[2]) : SITE_DIR;
    const r = await buildSite(out);
    for (const p of r.pages) console.log(`${p.file}: ${p.claims.length} claim(s), ${p.plots} plot(s), ${p.formulas} formula(s)`);
    console.log(`site built in ${r.ms} ms: open ${pathToFileURL(join(r.dir, 'index.html')).href}`);
  } catch (e) {
    console.error(e instanceof Error && (e.name === 'SiteError' || e.name === 'MathError') ? `error: ${e.message}` : e);
    process.exit(1);
  }
}
