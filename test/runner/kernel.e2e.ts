/**
 * Opt-in end-to-end check (not in `npm test`: it builds dist/ and starts a Jupyter kernel, ~30 s):
 * a sweep started from a notebook in the project's tslab kernel runs on 2 worker threads and writes the
 * same bytes as the command line. Needs a Python with nbclient (Debian: /usr/bin/python3 with
 * python3-nbclient).
 *
 *   node --import tsx --test test/runner/kernel.e2e.ts
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runSweep } from '../../src/node/runner.js';
import { readText, REPO, tmp } from './helpers.js';

function pythonWithNbclient(): string | undefined {
  for (const py of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(py, ['-c', 'import nbclient, nbformat'], { encoding: 'utf8' }).status === 0) return py;
  }
  return undefined;
}

test('a notebook in the tslab kernel runs a sweep on worker threads, with the same bytes as the CLI', (t) => {
  const py = pythonWithNbclient();
  if (!py) { t.skip('no Python with nbclient'); return; }
  const dir = tmp('kernel');
  mkdirSync(join(dir, 'kernels', 'lp-sweep-test'), { recursive: true });
  writeFileSync(join(dir, 'kernels', 'lp-sweep-test', 'kernel.json'), JSON.stringify({
    argv: [process.execPath, join(REPO, 'tools', 'kernel.mjs'), '--config-path', '{connection_file}'], display_name: 'lp sweep test', language: 'typescript',
  }));
  const data = join(dir, 'data');
  const cells = [
    `import { runSweep } from 'layerwise-precond/node/runner';\nimport { throttledLines } from 'layerwise-precond/node/progress';\nconst lines: string[] = [];`,
    `const r = await runSweep('demo-gaussian-moments', { dataDir: ${JSON.stringify(data)}, workers: 2, set: { n: [100] }, onProgress: throttledLines((s) => lines.push(s), 0) });\nconsole.log(JSON.stringify({ computed: r.computed, file: r.resultsFile, last: lines[lines.length - 1], threads: process.execArgv }));`,
  ];
  const script = `
import json, nbformat, sys
from nbclient import NotebookClient
nb = nbformat.v4.new_notebook()
nb.cells = [nbformat.v4.new_code_cell(s) for s in json.loads(sys.argv[1])]
NotebookClient(nb, kernel_name='lp-sweep-test', timeout=300, resources={'metadata': {'path': ${JSON.stringify(join(REPO, 'notebooks'))}}}).execute()
print(''.join(o.get('text', '') for o in nb.cells[1].outputs if o.get('name') == 'stdout'))
`;
  const r = spawnSync(py, ['-c', script, JSON.stringify(cells)], {
    encoding: 'utf8', timeout: 600_000, env: { ...process.env, JUPYTER_PATH: dir, JUPYTER_DATA_DIR: join(dir, 'jd'), LP_KERNEL_QUIET: '1' },
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(out.computed, 16);
  assert.match(out.last, /16\/16 cells, .*done in/);
  return runSweep('demo-gaussian-moments', { dataDir: join(dir, 'ref'), workers: 0, set: { n: [100] }, onNotice: () => {} }).then((ref) => {
    assert.equal(readText(out.file), readText(ref.resultsFile!));
  });
});
