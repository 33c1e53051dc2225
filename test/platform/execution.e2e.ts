/**
 * Headless execution through the real kernel (tools/lib/kernel-client.ts + tslab, no Python):
 * parameters reach the code, bad overrides are refused before any kernel starts, a failing cell or a
 * time limit fails the run naming the notebook, the cell and the partial notebook written, each
 * parameter run writes its own file and keeps its sweep cells out of data/, and an edit to src/
 * reaches a notebook after a kernel restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { readNotebook, text, PLOTLY_MIME, type CodeCell } from '../../tools/lib/ipynb.js';
import { ROOT, KERNEL_NAME, findPython, privateJupyterPath } from '../../tools/lib/jupyter.js';
import { chromiumPath } from '../../tools/lib/chromium.js';
import { INJECTED_TAG } from '../../tools/lib/params.js';
import { need } from './_tools.js';

const FIX = join(ROOT, 'test', 'platform', 'fixtures');
const rel = (p: string) => p.slice(ROOT.length + 1);

function cli(...args: string[]) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'tools', 'notebook.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  return { ...r, ms: Date.now() - t0 };
}

function tools(t: import('node:test').TestContext): boolean {
  return need(t, chromiumPath(), 'Chromium (apt-get install chromium)');
}

test('a run with overrides injects them after the parameters cell and writes elsewhere', { timeout: 300_000 }, (t) => {
  if (!tools(t)) return;
  const src = join(FIX, 'params.ipynb');
  const before = readFileSync(src, 'utf8');
  const dir = mkdtempSync(join(tmpdir(), 'lp-run-'));
  try {
    const out = join(dir, 'out.ipynb');
    const label = 'a "quoted"; label\nwith a newline';
    const r = cli('run', rel(src), 'kappa=1000', 'method="sgd"', `label=${JSON.stringify(label)}`, 'sizes=[3,4,5]', '--out', out);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.equal(readFileSync(src, 'utf8'), before, 'the notebook itself is not written');
    const nb = readNotebook(out);
    const injected = nb.cells[2] as CodeCell;
    assert.deepEqual(injected.metadata.tags, [INJECTED_TAG]);
    assert.equal(injected.execution_count, 2);
    const code = nb.cells[3] as CodeCell;
    const printed = code.outputs.filter((o) => o.output_type === 'stream').map((o) => text((o as { text: string }).text)).join('');
    assert.deepEqual(JSON.parse(printed), { seed: 0, kappa: 1000, method: 'sgd', label, sizes: [3, 4, 5] });
    const plot = code.outputs.find((o) => o.output_type === 'display_data') as { data: Record<string, unknown> };
    const fig = plot.data[PLOTLY_MIME] as { data: { y: number[]; name: string }[]; layout: { title: { text: string } } };
    assert.deepEqual(fig.data[0]!.y, [1000, 2000, 3000]);
    assert.equal(fig.data[0]!.name, 'sgd');
    assert.equal(fig.layout.title.text, label);
    assert.match(plot.data['image/png'] as string, /^iVBORw0KGgo/, 'a PNG beside the figure');
    assert.deepEqual((nb.metadata.layerwise_precond as { parameters: object }).parameters, { kappa: 1000, method: 'sgd', label, sizes: [3, 4, 5] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unknown name or a wrong type is refused before any kernel starts', { timeout: 120_000 }, () => {
  const nb = rel(join(FIX, 'params.ipynb'));
  const cases: [string[], RegExp][] = [
    [['kapa=1'], /unknown parameter 'kapa'; test\/platform\/fixtures\/params\.ipynb takes: seed \(default 0\), kappa \(default 10\)/],
    [['kappa="1000"'], /parameter 'kappa' must be a number like the default 10; got string "1000"/],
    [['method="adam"'], /parameter 'method' must be one of "sgd" \| "kfac"; got "adam"/],
    [['method=sgd'], /value of 'method' is not JSON: sgd \(a string is written with double quotes: method='"sgd"'\)/],
    [['sizes=[1,"2"]'], /parameter 'sizes' must be a number at \[1\]/],
  ];
  for (const [args, re] of cases) {
    const r = cli('run', nb, ...args);
    assert.equal(r.status, 1, `${args.join(' ')}: exit status`);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stdout, /built src/, 'refused before the build and the kernel');
  }
  const inPlace = cli('run', nb, 'kappa=5', '--out', nb);
  assert.equal(inPlace.status, 1);
  assert.match(inPlace.stderr, /not written over the notebook/);
});

test('a failing cell fails the run naming the notebook, the cell and the file holding the outputs up to it', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lp-run-'));
  try {
    const out = join(dir, 'out.ipynb');
    const r = cli('run', rel(join(FIX, 'failing.ipynb')), '--out', out);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /test\/platform\/fixtures\/failing\.ipynb: cell 3 \(code cell 3\): `const boom = .*` failed:/);
    assert.match(r.stderr, /deliberate failure in the fixture/);
    assert.match(r.stderr, new RegExp(`The notebook executed up to and including that cell: .*${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').slice(-20)}`));
    // As papermill: the notebook is written, with the outputs up to and including the failing cell.
    const nb = readNotebook(out);
    const code = nb.cells as CodeCell[];
    assert.deepEqual(code.map((c) => c.execution_count), [1, 2, 3, null]);
    assert.equal(text((code[1]!.outputs[0] as { text: string }).text), 'first cell ran\n');
    const err = code[2]!.outputs.map((o) => (o.output_type === 'stream' ? text(o.text) : '')).join('');
    assert.match(err, /deliberate failure in the fixture/, 'the error is in the failing cell');
    assert.deepEqual(code[3]!.outputs, [], 'nothing after the failing cell');
    assert.deepEqual((nb.metadata.layerwise_precond as { failed: object }).failed, { cell: 3, kind: 'error' });
    const te = cli('run', rel(join(FIX, 'type-error.ipynb')), '--out', out);
    assert.equal(te.status, 1);
    assert.match(te.stderr, /type-error\.ipynb: cell 2 \(code cell 2\)/);
    assert.match(te.stderr, /Type 'string' is not assignable to type 'number'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a cell past the time limit is interrupted; the message names the cell and the limit', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lp-run-'));
  try {
    const out = join(dir, 'slow.ipynb');
    // steps=1e8 turns the cell into a busy loop that never yields (SIGINT cannot stop it: the kernel is killed).
    const r = cli('run', rel(join(FIX, 'timeout.ipynb')), 'steps=1e8', '--timeout', '3', '--out', out);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /timeout\.ipynb: cell 4 \(code cell 4\): `\/\/ a busy loop that never yields: only the time limit stops it` ran past the time limit of 3 s and was interrupted \(--timeout S changes the limit\)/);
    assert.doesNotMatch(r.stderr, /SIGINT/);
    const nb = readNotebook(out);
    const code = nb.cells.filter((c) => c.cell_type === 'code') as CodeCell[];
    assert.equal(text((code[2]!.outputs[0] as { text: string }).text), 'before the slow cell\n');
    const last = code[3]!.outputs.at(-1) as { output_type: string; ename: string; evalue: string };
    assert.equal(last.output_type, 'error');
    assert.equal(last.ename, 'CellTimeoutError');
    assert.match(last.evalue, /time limit of 3 s/);
    assert.deepEqual(code[4]!.outputs, []);
    assert.ok(r.ms < 60_000, `stopped soon after the limit (${r.ms} ms)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('each parameter run writes its own file under runs/, and its sweep cells go to .cache/sweeps, not data/', { timeout: 300_000 }, () => {
  const nb = rel(join(FIX, 'sweep.ipynb'));
  const files = [join(ROOT, 'runs', 'sweep--n=37.ipynb'), join(ROOT, 'runs', 'sweep--n=41.ipynb')];
  const status = () => spawnSync('git', ['status', '--porcelain', '--untracked-files=all', '--', 'data'], { cwd: ROOT, encoding: 'utf8' }).stdout;
  const before = status();
  try {
    for (const [i, n] of [37, 41].entries()) {
      const r = cli('run', nb, `n=${n}`);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`writes runs/sweep--n=${n}\\.ipynb \\(a parameter run`));
      const done = readNotebook(files[i]!);
      const printed = (done.cells[2] as CodeCell).outputs.map((o) => (o.output_type === 'stream' ? text(o.text) : '')).join('');
      const res = JSON.parse(printed.trim().split('\n').pop()!) as { computed: number; cached: number; file: string };
      assert.equal(res.computed + res.cached, 4);
      assert.ok(res.file.startsWith(join(ROOT, '.cache', 'sweeps')), `results in the ignored cache: ${res.file}`);
      assert.doesNotMatch(printed, /cells\/s|done in|left/, 'no timing in the recorded progress');
    }
    assert.ok(files.every((f) => existsSync(f)), 'two runs, two files');
    assert.equal(status(), before, 'no new or changed file under data/');
    const plain = cli('run', '--params', nb);
    assert.match(plain.stdout, /n: number = 100\n {4}samples per cell/);
  } finally {
    for (const f of files) rmSync(f, { force: true });
  }
});

test('without overrides the command says it writes the notebook in place', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lp-run-'));
  try {
    const copy = join(dir, 'failing.ipynb');
    writeFileSync(copy, readFileSync(join(FIX, 'failing.ipynb')));
    const r = cli('run', copy);
    assert.match(r.stdout, /no overrides: writes the executed notebook in place, over .*failing\.ipynb/);
    // It failed, so the notebook itself is left as it was and the partial run is in runs/.
    assert.equal(readFileSync(copy, 'utf8'), readFileSync(join(FIX, 'failing.ipynb'), 'utf8'));
    assert.match(r.stderr, /runs\/failing\.failed\.ipynb/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(ROOT, 'runs', 'failing.failed.ipynb'), { force: true });
  }
});

const RESTART_PY = `
import json, sys
from jupyter_client.manager import KernelManager
km = KernelManager(kernel_name=sys.argv[1])
km.start_kernel(cwd=sys.argv[2])
kc = km.client(); kc.start_channels(); kc.wait_for_ready(timeout=180)
def run(code):
    out = []
    hook = lambda m: out.append(m['content'].get('text', '')) if m['msg_type'] == 'stream' else None
    reply = kc.execute_interactive(code, output_hook=hook, timeout=180)
    return {'status': reply['content']['status'], 'out': ''.join(out)}
print(json.dumps(run(sys.argv[3])), flush=True)
sys.stdin.readline()
km.restart_kernel(now=True)
kc.wait_for_ready(timeout=180)
print(json.dumps(run(sys.argv[3])), flush=True)
kc.stop_channels(); km.shutdown_kernel(now=True)
`;

test('an edit to src/ reaches the notebook after a kernel restart', { timeout: 400_000 }, async (t) => {
  const py = findPython(['jupyter_client']);
  if (!need(t, py, 'a Python with jupyter_client (apt-get install python3-jupyter-client)')) return;
  const name = `_kernel_probe_${process.pid}`;
  const file = join(ROOT, 'src', `${name}.ts`);
  const jp = privateJupyterPath();
  writeFileSync(file, `export const probe: string = 'before';\n`);
  try {
    const code = `import { probe } from 'layerwise-precond/${name}';\nconsole.log('probe=' + probe);`;
    const child = spawn(py!, ['-c', RESTART_PY, KERNEL_NAME, join(ROOT, 'notebooks'), code], {
      env: { ...process.env, JUPYTER_PATH: jp }, stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = JSON.parse((await lines.next()).value as string) as { status: string; out: string };
    assert.deepEqual(first, { status: 'ok', out: 'probe=before\n' });
    writeFileSync(file, `export const probe: string = 'after';\n`);
    child.stdin.write('\n');
    const second = JSON.parse((await lines.next()).value as string) as { status: string; out: string };
    assert.deepEqual(second, { status: 'ok', out: 'probe=after\n' }, 'the restarted kernel rebuilt src/');
    await new Promise((r) => child.on('close', r));
  } finally {
    rmSync(file, { force: true });
    for (const ext of ['.js', '.d.ts', '.js.map']) rmSync(join(ROOT, 'dist', 'src', name + ext), { force: true });
    rmSync(jp, { recursive: true, force: true });
  }
});
