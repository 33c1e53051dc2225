/**
 * Headless execution through the real kernel (nbclient + tslab): parameters reach the code, bad
 * overrides are refused before any kernel starts, a failing cell fails the run naming the notebook
 * and the cell, and an edit to src/ reaches a notebook after a kernel restart.
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
  return need(t, findPython(), 'a Python with nbclient (apt-get install python3-nbclient)') && need(t, chromiumPath(), 'Chromium (apt-get install chromium)');
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

test('a failing cell fails the run, naming the notebook and the cell, and writes nothing', { timeout: 300_000 }, (t) => {
  if (!tools(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'lp-run-'));
  try {
    const out = join(dir, 'out.ipynb');
    const r = cli('run', rel(join(FIX, 'failing.ipynb')), '--out', out);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /test\/platform\/fixtures\/failing\.ipynb: cell 3 \(code cell 3\): const boom = .* failed:/);
    assert.match(r.stderr, /deliberate failure in the fixture/);
    assert.ok(!existsSync(out), 'no output notebook for a failed run');
    const te = cli('run', rel(join(FIX, 'type-error.ipynb')), '--out', out);
    assert.equal(te.status, 1);
    assert.match(te.stderr, /type-error\.ipynb: cell 2 \(code cell 2\)/);
    assert.match(te.stderr, /Type 'string' is not assignable to type 'number'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
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
