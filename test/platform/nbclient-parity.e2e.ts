/**
 * The Node executor records what nbclient records: the same notebooks (a plain one, one with sweeps
 * read from data/, one with overrides injected, one that fails) executed through the same kernel by
 * nbclient (tools/nbexec.py, the executor this project used before) and by tools/lib/execute.ts give
 * the same cells: outputs (types, stream names and texts, MIME bundles, error fields) and
 * execution counts, compared as parsed JSON. Both are timed (reported, not asserted). Runs where a
 * Python with nbclient is installed (Debian: python3-nbclient); skipped elsewhere, required in CI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { formatNotebook, readNotebook, type Notebook } from '../../tools/lib/ipynb.js';
import { executeNotebook } from '../../tools/lib/execute.js';
import { ROOT, KERNEL_NAME, buildLibrary, findPython, kernelSpec, privateJupyterPath } from '../../tools/lib/jupyter.js';
import { injectParameters } from '../../tools/lib/params.js';
import { need } from './_tools.js';

const CASES: { file: string; overrides?: string[]; fails?: boolean }[] = [
  { file: 'notebooks/00-platform-demo.ipynb' },
  { file: 'notebooks/10-linear-sgd-rate.ipynb' },
  { file: 'test/platform/fixtures/params.ipynb', overrides: ['kappa=1000', 'method="sgd"', 'label="a \\"quoted\\"\\nlabel"'] },
  { file: 'test/platform/fixtures/failing.ipynb', fails: true },
];

const ENV = { ...process.env, LP_KERNEL_QUIET: '1', LP_HEADLESS: '1' };

function cellsOf(nb: Notebook): unknown[] {
  return nb.cells.map((c) => (c.cell_type === 'code' ? { outputs: c.outputs, execution_count: c.execution_count } : { source: c.source }));
}

test('the Node executor records the same outputs as nbclient, through the same kernel', { timeout: 900_000 }, async (t) => {
  const py = findPython();
  if (!need(t, py, 'a Python with nbclient (apt-get install python3-nbclient)')) return;
  buildLibrary();
  const jp = privateJupyterPath();
  const dir = mkdtempSync(join(tmpdir(), 'lp-parity-'));
  const times: string[] = [];
  try {
    for (const c of CASES) {
      const input = injectParameters(readNotebook(join(ROOT, c.file)), c.overrides ?? [], c.file);
      const inFile = join(dir, 'in.ipynb'), pyOut = join(dir, 'nbclient.ipynb');
      writeFileSync(inFile, formatNotebook(input));
      const cwd = dirname(join(ROOT, c.file));
      const t0 = Date.now();
      const r = spawnSync(py!, [join(ROOT, 'tools', 'nbexec.py'), '--kernel', KERNEL_NAME, '--cwd', cwd, '--timeout', '600', '--label', c.file, inFile, pyOut], {
        encoding: 'utf8', env: { ...ENV, JUPYTER_PATH: jp },
      });
      const msPy = Date.now() - t0;
      assert.equal(r.status, c.fails ? 1 : 0, `nbclient on ${c.file}: ${r.stderr}`);
      // nbexec.py leaves the cells after a failure as they were; papermill and our executor clear them.
      const viaPy = JSON.parse(readFileSync(pyOut, 'utf8')) as Notebook;
      const t1 = Date.now();
      const node = await executeNotebook(input, { spec: kernelSpec(), cwd, env: ENV, timeoutS: 600 });
      const msNode = Date.now() - t1;
      const viaNode = JSON.parse(formatNotebook(node.nb)) as Notebook;
      assert.equal(node.failure !== undefined, !!c.fails, `${c.file}: failure ${JSON.stringify(node.failure)}`);
      const upTo = node.failure ? node.failure.index + 1 : viaPy.cells.length;
      assert.deepEqual(cellsOf(viaNode).slice(0, upTo), cellsOf(viaPy).slice(0, upTo), `${c.file}: cells as nbclient records them`);
      assert.deepEqual(viaNode.metadata, viaPy.metadata, `${c.file}: notebook metadata untouched by either`);
      times.push(`${c.file}: nbclient ${(msPy / 1000).toFixed(1)} s, Node ${(msNode / 1000).toFixed(1)} s`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(jp, { recursive: true, force: true });
  }
  for (const l of times) t.diagnostic(l);
  console.log(times.join('\n'));
});
