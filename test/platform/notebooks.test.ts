/**
 * The committed notebooks: each one's outputs are those `npm run notebooks` produced for its current
 * cells (the stamp in its metadata), it ran top to bottom without an error, every plot carries its
 * PNG, its parameters cell parses, and its page renders (claims, formulas).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basename, relative } from 'node:path';
import { readNotebook, PLOTLY_MIME, text, codeCells } from '../../tools/lib/ipynb.js';
import { notebookParameters } from '../../tools/lib/params.js';
import { KERNEL_NAME, ROOT } from '../../tools/lib/jupyter.js';
import { listNotebooks, sourceHash, STAMP_KEY } from '../../tools/notebook.js';
import { renderNotebook } from '../../tools/site.js';

const notebooks = listNotebooks();

test('there is at least one notebook', () => {
  assert.ok(notebooks.length > 0, 'notebooks/ holds .ipynb files');
});

for (const file of notebooks) {
  const label = relative(ROOT, file);
  test(`${label}: outputs are those of \`npm run notebooks\` for its current cells`, () => {
    const nb = readNotebook(file);
    assert.equal(nb.metadata.kernelspec?.name, KERNEL_NAME, 'kernelspec');
    const stamp = nb.metadata[STAMP_KEY] as { source_sha256: string; executed_by: string; parameters: object } | undefined;
    assert.ok(stamp, 'executed by npm run notebooks (metadata stamp present)');
    assert.equal(stamp.executed_by, 'npm run notebooks');
    assert.deepEqual(stamp.parameters, {}, 'default parameters');
    assert.equal(stamp.source_sha256, sourceHash(nb), 'no cell was edited after the run: run `npm run notebooks`');
    const code = codeCells(nb);
    assert.deepEqual(code.map((c) => c.execution_count), code.map((_, i) => i + 1), 'every code cell ran, in order');
    for (const [i, c] of code.entries()) {
      for (const o of c.outputs) {
        assert.notEqual(o.output_type, 'error', `code cell ${i + 1} has no error output`);
        if (o.output_type === 'stream') assert.notEqual(o.name, 'stderr', `code cell ${i + 1} wrote to stderr: ${text(o.text).slice(0, 300)}`);
        if ((o.output_type === 'display_data' || o.output_type === 'execute_result') && o.data[PLOTLY_MIME] !== undefined) {
          const png = o.data['image/png'];
          assert.equal(typeof png, 'string', `code cell ${i + 1}: a plot carries its PNG`);
          assert.equal(Buffer.from(png as string, 'base64').subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'a real PNG');
        }
      }
    }
  });

  test(`${label}: its first code cell is a parseable parameters cell`, () => {
    const nb = readNotebook(file);
    const decls = notebookParameters(nb, label);
    assert.ok(decls.length > 0, 'the first code cell is tagged `parameters` and declares the knobs');
    assert.ok(decls.some((d) => /seed/i.test(d.name)), 'a seed (or seeds) among the parameters: runs are seeded');
  });

  test(`${label}: its page renders, with claims and formulas`, () => {
    const { info } = renderNotebook(readNotebook(file), basename(file, '.ipynb'), label);
    assert.ok(info.claims.length > 0);
    assert.ok(info.title.length > 0);
  });
}
