/** Markdown with LaTeX for the site: Jupyter's delimiters, claims, links, and errors that name the cell. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMarkdown, newEnv, renderMarkdown, MathError } from '../../tools/lib/markdown.js';

const md = createMarkdown();
const render = (src: string) => {
  const env = newEnv('nb.ipynb, cell 3');
  const html = renderMarkdown(md, src, env);
  return { html, env, katex: (html.match(/class="katex"/g) ?? []).length, display: (html.match(/class="katex-display"/g) ?? []).length };
};

test('inline and display math in Jupyter\'s delimiters render with KaTeX', () => {
  const r = render([
    'Inline $x^2$ and \\(y_1\\), a price of \\$5, code `$not math$`.',
    '',
    '$$',
    'G_+ = G - \\eta\\, \\nabla_G \\hat L',
    '- 1 = 0',
    '$$',
    '',
    'Text then $$a = b$$ inline-displayed, and \\[c = d\\].',
    '',
    '\\begin{align}',
    'a &= b \\\\',
    'c &= d',
    '\\end{align}',
  ].join('\n'));
  assert.equal(r.env.formulas, 6);
  assert.equal(r.katex, 6);
  assert.equal(r.display, 4);
  assert.match(r.html, /a price of \$5/);
  assert.match(r.html, /<code>\$not math\$<\/code>/);
  assert.doesNotMatch(r.html, /<li>/, 'a line inside $$…$$ is not a list item');
});

test('dollars pair as in Jupyter: escaped dollars are text, an unclosed $ stays text', () => {
  const r = render('It costs \\$5 and \\$10 today; a lone $ sign.');
  assert.equal(r.env.formulas, 0);
  assert.match(r.html, /\$5 and \$10 today; a lone \$ sign/);
  const j = render('Runs reach $\\mathrm{dist} < $ `target` within $T$ steps.');
  assert.equal(j.env.formulas, 2, 'a closing $ after a space still closes, as in JupyterLab');
  assert.match(j.html, /<code>target<\/code>/);
});

test('claims get anchors and are collected with their inline HTML', () => {
  const env = newEnv('nb', { n: 0 });
  renderMarkdown(md, '# Title\n\n**Claim (A2).** KFAC contracts by $1-\\eta$.\n\nText.\n\n**Claim.** Second.', env);
  assert.deepEqual(env.claims.map((c) => c.id), ['claim-1', 'claim-2']);
  assert.match(env.claims[0]!.html, /<strong>Claim \(A2\)\.<\/strong> KFAC contracts by <span class="katex">/);
  assert.equal(env.headings[0]!.id, 'title');
  const html = md.render('**Claim.** x', newEnv('nb'));
  assert.match(html, /<p id="claim-1" class="claim">/);
});

test('links to notebooks point at their pages', () => {
  const r = render('See [the KFAC notebook](11-linear-kfac.ipynb#claim-2) and [ext](https://example.org/a.ipynb).');
  assert.match(r.html, /href="11-linear-kfac\.html#claim-2"/);
  assert.match(r.html, /href="https:\/\/example\.org\/a\.ipynb"/);
});

test('a formula KaTeX cannot render fails, naming the cell', () => {
  assert.throws(() => render('Bad $\\frac{1}{$ here.'), (e: Error) => e instanceof MathError && /nb\.ipynb, cell 3: LaTeX error/.test(e.message));
  assert.throws(() => render('$$\n\\begin{matrix} a \\end{pmatrix}\n$$'), MathError);
});
