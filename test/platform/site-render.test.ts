import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { figureCalls, mergeStreams, renderNotebook, PAPER } from '../../tools/site.js';
import { readNotebook, type Output } from '../../tools/lib/ipynb.js';
import { NOTEBOOK_DIR } from '../../tools/notebook.js';

test('consecutive stream outputs of one stream become one output; other outputs separate them', () => {
  const o: Output[] = [
    { output_type: 'stream', name: 'stdout', text: 'a\n' },
    { output_type: 'stream', name: 'stdout', text: ['b\n', 'c\n'] },
    { output_type: 'stream', name: 'stderr', text: 'warn\n' },
    { output_type: 'stream', name: 'stdout', text: 'd\n' },
    { output_type: 'display_data', data: { 'text/plain': 'x' }, metadata: {} },
    { output_type: 'stream', name: 'stdout', text: 'e\n' },
  ];
  const m = mergeStreams(o);
  assert.deepEqual(m.map((x) => (x.output_type === 'stream' ? `${x.name}:${Array.isArray(x.text) ? x.text.join('') : x.text}` : x.output_type)),
    ['stdout:a\nb\nc\n', 'stderr:warn\n', 'stdout:d\n', 'display_data', 'stdout:e\n']);
});

test('figure calls in a cell\'s source, in order, only names the story has', () => {
  assert.deepEqual(figureCalls("show(s.figures.spectrum(r, v));\nshow(kfac.figures['iterations'](r, v)); s.figures.nope(r)", ['spectrum', 'iterations']), ['spectrum', 'iterations']);
  assert.deepEqual(figureCalls('show(figure([line(x, y)]))', ['spectrum']), []);
});

test('a storied notebook\'s page: controls placeholder after the parameters cell, figures mapped, numbered, contents, neighbours, the paper', () => {
  const nb = readNotebook(join(NOTEBOOK_DIR, '00-platform-demo.ipynb'));
  const { html, info } = renderNotebook(nb, '00-platform-demo', '00', { figures: ['spectrum', 'distance'] }, { next: { file: '10-x.html', title: 'Ten' } });
  assert.equal(info.explorable, true);
  const cfg = JSON.parse(/<script type="application\/json" id="lp-explore-config">([^<]*)<\/script>/.exec(html)![1]!) as { figures: Record<string, string[]> };
  assert.deepEqual(cfg.figures, { spectrum: ['plot-1'], distance: ['plot-2'] });
  assert.ok(html.indexOf('id="lp-explore"') > html.indexOf('class="cell code parameters"'), 'the controls follow the parameters cell');
  assert.match(html, /<figcaption><a href="#figure-1">Figure 1\.<\/a> Spectrum of Σ/);
  assert.match(html, /<nav class="toc"[\s\S]*href="#the-input-covariance"/);
  assert.match(html, /<h2 id="the-input-covariance">The input covariance <a class="anchor" href="#the-input-covariance"/);
  assert.match(html, /<a rel="next" href="10-x.html">Ten →<\/a>/);
  assert.ok(html.includes(PAPER.url) && html.includes('Zhang, Moniri, Nagwekar, Rahman, Xue, Hassani, Matni') && html.includes('ICML 2025'));
  assert.equal((html.match(/assets\/plotly\.min\.js/g) ?? []).length, 1, 'plotly loaded once');
  const plain = renderNotebook(nb, '00-platform-demo', '00').html;
  assert.ok(!plain.includes('lp-explore') && !plain.includes('explore.js'), 'without a story the page keeps its stored figures only');
});
