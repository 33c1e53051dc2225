/**
 * Markdown with LaTeX, rendered at build time: markdown-it for the text, KaTeX for the math, so the
 * site shows formulas without running any script. The delimiters are Jupyter's: `$…$` and `\(…\)`
 * inline, `$$…$$`, `\[…\]` and `\begin{env}…\end{env}` displayed. A formula KaTeX cannot render
 * fails the build, naming where it is.
 *
 * Paragraphs that start with `**Claim` are the notebook's claims: they get an anchor (`claim-1`, …)
 * and are collected for the site's index.
 */
import MarkdownIt from 'markdown-it';
import type { MarkdownIt as Md, StateBlock, StateInline, Token } from 'markdown-it';
import katex from 'katex';

export type RenderEnv = {
  /** Where the text comes from, for error messages. */
  where: string;
  formulas: number;
  claims: { id: string; html: string; text: string }[];
  headings: { level: number; id: string; text: string }[];
  /** Claim numbering continues across the cells of a notebook. */
  claimCounter: { n: number };
  slugs: Set<string>;
};

export function newEnv(where: string, claimCounter = { n: 0 }, slugs = new Set<string>()): RenderEnv {
  return { where, formulas: 0, claims: [], headings: [], claimCounter, slugs };
}

export class MathError extends Error { override name = 'MathError'; }

export function renderMath(tex: string, display: boolean, env: RenderEnv): string {
  env.formulas++;
  try {
    return katex.renderToString(tex, { displayMode: display, throwOnError: true, strict: 'ignore', output: 'htmlAndMathml' });
  } catch (e) {
    throw new MathError(`${env.where}: LaTeX error in ${display ? '$$' : '$'}${tex.trim().slice(0, 60)}${display ? '$$' : '$'}: ${(e as Error).message}`);
  }
}

/** Inline math: `$…$`, `$$…$$` inside a paragraph, `\(…\)`, `\[…\]`. */
function mathInline(state: StateInline, silent: boolean): boolean {
  const src = state.src, pos = state.pos;
  let open: string, close: string, display: boolean;
  if (src.startsWith('$$', pos)) { open = '$$'; close = '$$'; display = true; }
  else if (src[pos] === '$') { open = '$'; close = '$'; display = false; }
  else if (src.startsWith('\\(', pos)) { open = '\\('; close = '\\)'; display = false; }
  else if (src.startsWith('\\[', pos)) { open = '\\['; close = '\\]'; display = true; }
  else return false;
  const start = pos + open.length;
  // As Jupyter pairs them: a `$` closes at the next unescaped `$` (no whitespace rules), so what the
  // site shows is what JupyterLab shows; a literal dollar is written `\$`.
  let end = start;
  for (;;) {
    end = src.indexOf(close, end);
    if (end < 0) return false;
    if (close.startsWith('$') && src[end - 1] === '\\') { end += 1; continue; }
    break;
  }
  const content = src.slice(start, end);
  if (content.trim() === '') return false;
  if (!silent) {
    const t = state.push(display ? 'math_display' : 'math_inline', 'math', 0);
    t.content = content;
    t.markup = open;
  }
  state.pos = end + close.length;
  return true;
}

const ENV_RE = /^\\begin\{([a-zA-Z]+\*?)\}/;

/** Display math as a block: lines from `$$` to `$$`, `\[` to `\]`, or `\begin{env}` to `\end{env}`. */
function mathBlock(state: StateBlock, startLine: number, endLine: number, silent: boolean): boolean {
  const lineText = (l: number) => state.src.slice(state.bMarks[l]! + state.tShift[l]!, state.eMarks[l]);
  if (state.sCount[startLine]! - state.blkIndent >= 4) return false;
  const first = lineText(startLine);
  let close: string, body0: string, keepDelims = false;
  if (first.startsWith('$$')) { close = '$$'; body0 = first.slice(2); }
  else if (first.startsWith('\\[')) { close = '\\]'; body0 = first.slice(2); }
  else {
    const m = ENV_RE.exec(first);
    if (!m) return false;
    close = `\\end{${m[1]}}`; body0 = first; keepDelims = true;
  }
  // A one-line block must end with its closing delimiter; `$$x$$ and more` is inline math in a paragraph.
  let last = startLine, content: string;
  const oneLineEnd = body0.trimEnd().endsWith(close) && (keepDelims || body0.trimEnd().length >= close.length);
  if (oneLineEnd && (keepDelims || body0.trim() !== '')) {
    const t = body0.trimEnd();
    content = keepDelims ? t : t.slice(0, t.length - close.length);
    if (!keepDelims && content.includes(close)) return false;
  } else {
    if (body0.trim() !== '' && !keepDelims && body0.includes(close)) return false;
    const parts = [body0];
    let found = false;
    for (let l = startLine + 1; l < endLine; l++) {
      const tx = lineText(l);
      if (tx.trimEnd().endsWith(close)) {
        const t = tx.trimEnd();
        parts.push(keepDelims ? t : t.slice(0, t.length - close.length));
        last = l;
        found = true;
        break;
      }
      parts.push(tx);
    }
    if (!found) return false;
    content = parts.join('\n');
  }
  if (silent) return true;
  state.line = last + 1;
  const t = state.push('math_block', 'math', 0);
  t.block = true;
  t.content = content;
  t.map = [startLine, state.line];
  t.markup = close;
  return true;
}

function slugify(s: string, used: Set<string>): string {
  let base = s.toLowerCase().normalize('NFKD').replace(/[^\p{L}\p{N}\s-]/gu, '').trim().replace(/\s+/g, '-') || 'section';
  let slug = base, i = 1;
  while (used.has(slug)) slug = `${base}-${++i}`;
  used.add(slug);
  return slug;
}

/** The shared markdown renderer. */
export function createMarkdown(): Md {
  const md = new MarkdownIt({ html: true, linkify: false, typographer: false });
  md.inline.ruler.before('escape', 'math', mathInline);
  md.block.ruler.before('fence', 'math_block', mathBlock, { alt: ['paragraph', 'reference', 'blockquote', 'list'] });
  md.renderer.rules.math_inline = (tokens, idx, _o, env) => renderMath(tokens[idx]!.content, false, env as unknown as RenderEnv);
  md.renderer.rules.math_display = (tokens, idx, _o, env) => renderMath(tokens[idx]!.content, true, env as unknown as RenderEnv);
  md.renderer.rules.math_block = (tokens, idx, _o, env) => `<div class="math-block">${renderMath(tokens[idx]!.content, true, env as unknown as RenderEnv)}</div>\n`;

  // Links to notebooks point at their pages; claims and headings get anchors.
  md.core.ruler.push('site_anchors', (state) => {
    const env = state.env as unknown as RenderEnv;
    const tokens: Token[] = state.tokens;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t.type === 'inline' && t.children) {
        for (const c of t.children) {
          if (c.type !== 'link_open') continue;
          const raw = c.attrGet('href');
          const href = raw === null ? null : String(raw);
          if (href && !/^[a-z][a-z0-9+.-]*:/i.test(href) && /\.ipynb(#|$)/.test(href)) {
            c.attrSet('href', href.replace(/^(?:\.\/)?(?:notebooks\/)?([^/#]+)\.ipynb/, '$1.html'));
          }
        }
      }
      if (!env || !env.claimCounter) continue;
      if (t.type === 'heading_open') {
        const inline = tokens[i + 1]!;
        const id = slugify(inline.content, env.slugs);
        t.attrSet('id', id);
        env.headings.push({ level: Number(t.tag.slice(1)), id, text: inline.content });
      }
      if (t.type === 'paragraph_open') {
        const inline = tokens[i + 1]!;
        if (inline.type === 'inline' && /^\*\*Claims?\b/.test(inline.content)) {
          const id = `claim-${++env.claimCounter.n}`;
          t.attrSet('id', id);
          t.attrSet('class', 'claim');
          env.claims.push({ id, html: '', text: inline.content });
        }
      }
    }
  });
  return md;
}

/** Render markdown; claims found are returned with their inline HTML (for the index). */
export function renderMarkdown(md: Md, src: string, env: RenderEnv): string {
  const before = env.claims.length;
  const html = md.render(src, env);
  for (const c of env.claims.slice(before)) {
    const e2 = newEnv(env.where);
    c.html = md.renderInline(c.text, e2);
  }
  return html;
}
