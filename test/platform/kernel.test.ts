/**
 * The kernel's registration and the import mechanism: `npm run kernel:install` writes a kernelspec
 * that Jupyter finds, and `layerwise-precond/<module>` resolves from a notebook's folder to the
 * compiled library, for Node (package "exports") and for tslab's TypeScript (package "typesVersions").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KERNEL_NAME, ROOT, buildLibrary, findPython, kernelSpec, jupyterUserDataDir, NODE_FLAGS } from '../../tools/lib/jupyter.js';
import { need } from './_tools.js';

test('npm run kernel:install registers a kernelspec that jupyter_client finds', (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lp-kspec-'));
  try {
    const r = spawnSync('npm', ['run', '--silent', 'kernel:install'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, JUPYTER_DATA_DIR: dataDir } });
    assert.equal(r.status, 0, r.stderr);
    const file = join(dataDir, 'kernels', KERNEL_NAME, 'kernel.json');
    const spec = JSON.parse(readFileSync(file, 'utf8')) as ReturnType<typeof kernelSpec>;
    assert.deepEqual(spec, kernelSpec());
    const f = NODE_FLAGS.length;
    assert.deepEqual(spec.argv.slice(1, 1 + f), [...NODE_FLAGS]);
    assert.ok(existsSync(spec.argv[0]!) && existsSync(spec.argv[1 + f]!), 'node and tools/kernel.mjs exist');
    assert.equal(spec.argv[3 + f], '{connection_file}');
    const py = findPython(['jupyter_client']);
    if (!need(t, py, 'a Python with jupyter_client (apt-get install python3-jupyter-client)')) return;
    const q = spawnSync(py!, ['-c', `from jupyter_client.kernelspec import KernelSpecManager as M; s = M().get_kernel_spec('${KERNEL_NAME}'); print(s.display_name); print(s.argv[${1 + f}]); print(s.resource_dir)`],
      { encoding: 'utf8', env: { ...process.env, JUPYTER_DATA_DIR: dataDir, JUPYTER_PATH: '' } });
    assert.equal(q.status, 0, q.stderr);
    assert.deepEqual(q.stdout.trim().split('\n'), [spec.display_name, join(ROOT, 'tools', 'kernel.mjs'), join(dataDir, 'kernels', KERNEL_NAME)]);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('jupyterUserDataDir follows jupyter_core', () => {
  assert.equal(jupyterUserDataDir({ JUPYTER_DATA_DIR: '/x' }, 'linux', '/h'), '/x');
  assert.equal(jupyterUserDataDir({}, 'linux', '/h'), '/h/.local/share/jupyter');
  assert.equal(jupyterUserDataDir({ XDG_DATA_HOME: '/d' }, 'linux', '/h'), '/d/jupyter');
  assert.equal(jupyterUserDataDir({}, 'darwin', '/h'), '/h/Library/Jupyter');
});

test('layerwise-precond/<module> resolves from notebooks/ to the compiled library', () => {
  const link = join(ROOT, 'node_modules', 'layerwise-precond');
  assert.ok(lstatSync(link).isSymbolicLink(), 'npm links the package into its own node_modules (devDependency "layerwise-precond": "file:")');
  assert.equal(realpathSync(link), realpathSync(ROOT));
  buildLibrary({ allowTypeErrors: true }); // type errors are the typecheck's business; the kernel runs the emitted JS
  const req = createRequire(join(ROOT, 'notebooks', 'any.js'));
  assert.equal(req.resolve('layerwise-precond/plot'), join(ROOT, 'dist', 'src', 'plot.js'));
  assert.equal(req.resolve('layerwise-precond/node/notebook'), join(ROOT, 'dist', 'src', 'node', 'notebook.js'));
  // tslab's TypeScript resolves with node10 rules, which read "typesVersions", not "exports".
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { typesVersions: Record<string, Record<string, string[]>> };
  assert.deepEqual(pkg.typesVersions['*']!['*'], ['dist/src/*']);
  assert.ok(existsSync(join(ROOT, 'dist', 'src', 'plot.d.ts')), 'declarations are emitted for tslab');
  const plot = req('layerwise-precond/plot') as typeof import('../../src/plot.js');
  assert.equal(plot.PLOTLY_MIME, 'application/vnd.plotly.v1+json');
});
