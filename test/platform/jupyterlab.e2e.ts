/**
 * JupyterLab, as a user has it: start JupyterLab 4 (pip- or conda-installed), open a notebook in
 * headless Chromium, clear its outputs, run all cells on the layerwise-precond kernel, and see the
 * plots drawn by JupyterLab's plotly renderer. The notebook file is left as it was (autosave off,
 * nothing saved).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, KERNEL_NAME, findJupyterLab, privateJupyterPath } from '../../tools/lib/jupyter.js';
import { chromiumPath, launchChromium } from '../../tools/lib/chromium.js';
import { readNotebook, PLOTLY_MIME } from '../../tools/lib/ipynb.js';
import { need } from './_tools.js';

const NOTEBOOK = 'notebooks/00-platform-demo.ipynb';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForServer(base: string, token: string, proc: ChildProcess, log: () => string, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (proc.exitCode !== null) throw new Error(`JupyterLab exited (${proc.exitCode}):\n${log().slice(-3000)}`);
    try {
      const r = await fetch(`${base}/api/status?token=${token}`);
      if (r.ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`JupyterLab did not answer within ${ms / 1000} s:\n${log().slice(-3000)}`);
}

test('JupyterLab runs a notebook on the kernel and draws its plots', { timeout: 420_000 }, async (t) => {
  const jupyter = findJupyterLab();
  if (!need(t, jupyter, 'JupyterLab (npm run lab:install, or conda env create -f environment.yml)')) return;
  if (!need(t, chromiumPath(), 'Chromium (apt-get install chromium)')) return;
  const file = join(ROOT, NOTEBOOK);
  const expectedPlots = readNotebook(file).cells.reduce((n, c) => n + (c.cell_type === 'code' ? c.outputs.filter((o) => 'data' in o && o.data[PLOTLY_MIME] !== undefined).length : 0), 0);
  assert.ok(expectedPlots > 0);
  const hashBefore = createHash('sha256').update(readFileSync(file)).digest('hex');

  const tmp = mkdtempSync(join(tmpdir(), 'lp-lab-'));
  const settings = join(tmp, 'settings'), config = join(tmp, 'config');
  mkdirSync(join(settings, '@jupyterlab', 'docmanager-extension'), { recursive: true });
  mkdirSync(join(settings, '@jupyterlab', 'apputils-extension'), { recursive: true });
  mkdirSync(config, { recursive: true });
  writeFileSync(join(settings, '@jupyterlab', 'docmanager-extension', 'plugin.jupyterlab-settings'), JSON.stringify({ autosave: false }));
  writeFileSync(join(settings, '@jupyterlab', 'apputils-extension', 'notification.jupyterlab-settings'), JSON.stringify({ fetchNews: 'false', checkForUpdates: false }));
  writeFileSync(join(config, 'jupyter_server_config.json'), JSON.stringify({ LabApp: { news_url: null, check_for_updates_class: 'jupyterlab.NeverCheckForUpdate' } }));
  const jp = privateJupyterPath();
  const port = await freePort();
  const token = createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 32);
  const base = `http://127.0.0.1:${port}`;
  const args = ['lab', '--no-browser', '--ip=127.0.0.1', `--port=${port}`, `--IdentityProvider.token=${token}`,
    `--ServerApp.root_dir=${ROOT}`, `--LabApp.user_settings_dir=${settings}`, `--LabApp.workspaces_dir=${join(tmp, 'ws')}`,
    '--LabApp.expose_app_in_browser=True', '--ServerApp.port_retries=0'];
  if (process.getuid?.() === 0) args.push('--allow-root');
  let log = '';
  const t0 = Date.now();
  const lab = spawn(jupyter!, args, {
    cwd: ROOT,
    env: { ...process.env, JUPYTER_PATH: jp, JUPYTER_CONFIG_DIR: config, JUPYTER_RUNTIME_DIR: join(tmp, 'runtime') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  lab.stdout!.on('data', (d: Buffer) => { log += d.toString(); });
  lab.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
  let chrome: Awaited<ReturnType<typeof launchChromium>> | undefined;
  try {
    await waitForServer(base, token, lab, () => log);
    t.diagnostic(`JupyterLab up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    chrome = await launchChromium({ viewport: { width: 1400, height: 1000 } });
    const external: string[] = [];
    await chrome.context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(base) || /^(data|blob|about):/.test(url) || url.startsWith(`ws://127.0.0.1:${port}`)) return route.continue();
      external.push(url);
      return route.abort();
    });
    const page = await chrome.context.newPage();
    const t1 = Date.now();
    await page.goto(`${base}/lab/tree/${NOTEBOOK}?token=${token}`, { waitUntil: 'domcontentloaded', timeout: 120_000 });
    // The notebook is open, its session ready, on our kernel.
    await page.waitForFunction(() => {
      const app = (window as any).jupyterapp;
      const w = app?.shell?.currentWidget;
      return !!(w && w.sessionContext && w.context?.isReady && w.sessionContext.session?.kernel);
    }, undefined, { timeout: 180_000, polling: 500 });
    const kernel = await page.evaluate(async () => {
      const w = (window as any).jupyterapp.shell.currentWidget;
      await w.sessionContext.ready;
      return w.sessionContext.session.kernel.name as string;
    });
    assert.equal(kernel, KERNEL_NAME, 'the notebook opens on the layerwise-precond kernel');
    t.diagnostic(`notebook open in ${((Date.now() - t1) / 1000).toFixed(1)} s`);

    // Output areas holding a drawn plotly graph (its SVG), as JupyterLab's plotly renderer makes them.
    const drawnPlots = () => page.evaluate(() => Array.from(document.querySelectorAll('.jp-OutputArea-output')).filter((e) => e.querySelector('.main-svg')).length);
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('notebook:clear-all-cell-outputs'));
    await page.waitForFunction(() => document.querySelectorAll('.jp-OutputArea-output').length === 0, undefined, { timeout: 30_000 });
    assert.equal(await drawnPlots(), 0, 'outputs cleared before the run');

    const t2 = Date.now();
    const ok = await page.evaluate(() => (window as any).jupyterapp.commands.execute('notebook:run-all-cells'));
    try {
      await page.waitForFunction((n) => Array.from(document.querySelectorAll('.jp-OutputArea-output')).filter((e) => e.querySelector('.main-svg')).length >= n, expectedPlots, { timeout: 240_000, polling: 500 });
    } catch (e) {
      const shot = join(tmpdir(), 'lp-jupyterlab-failed.png');
      await page.screenshot({ path: shot, fullPage: true });
      const outputs = await page.$$eval('.jp-OutputArea-output', (els) => els.map((e) => `${e.getAttribute('data-mime-type')}: ${(e.textContent ?? '').slice(0, 300)}`));
      throw new Error(`the plots were not drawn (${(e as Error).message.split('\n')[0]}); screenshot ${shot}; outputs:\n${outputs.join('\n')}\nserver log:\n${log.slice(-2000)}`);
    }
    t.diagnostic(`all cells ran in ${((Date.now() - t2) / 1000).toFixed(1)} s`);
    assert.notEqual(ok, false, 'run-all reports success');

    const state = await page.evaluate(() => {
      const w = (window as any).jupyterapp.shell.currentWidget;
      const cells = w.content.model.cells;
      const counts: (number | null)[] = [];
      for (let i = 0; i < cells.length; i++) { const c = cells.get(i); if (c.type === 'code') counts.push(c.executionCount ?? null); }
      return {
        counts,
        stderr: Array.from(document.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')).map((e) => e.textContent),
        pngShown: document.querySelectorAll('.jp-OutputArea-output[data-mime-type="image/png"]').length,
        traces: Array.from(document.querySelectorAll('.jp-OutputArea-output')).filter((e) => e.querySelector('.main-svg')).map((e) => e.querySelectorAll('.scatterlayer .trace').length),
      };
    });
    assert.equal(await drawnPlots(), expectedPlots, 'the plotly renderer drew every plot (not a PNG fallback)');
    assert.equal(state.pngShown, 0, 'JupyterLab prefers the plotly renderer');
    assert.ok(state.traces.every((n) => n > 0), `every plot has traces (${state.traces.join(', ')})`);
    assert.deepEqual(state.stderr, [], 'no cell wrote to stderr');
    assert.ok(state.counts.every((c) => typeof c === 'number' && c > 0), `every code cell ran (${state.counts.join(', ')})`);
    const shot = join(tmpdir(), 'lp-jupyterlab.png');
    await page.screenshot({ path: shot });
    t.diagnostic(`screenshot: ${shot}; requests refused (off the machine): ${external.length ? external.join(', ') : 'none'}`);
    await page.evaluate(async () => {
      const w = (window as any).jupyterapp.shell.currentWidget;
      await w.sessionContext.shutdown();
    });
  } finally {
    await chrome?.close();
    lab.kill('SIGTERM');
    await new Promise((r) => { const k = setTimeout(() => { lab.kill('SIGKILL'); r(undefined); }, 10_000); lab.on('exit', () => { clearTimeout(k); r(undefined); }); });
    rmSync(tmp, { recursive: true, force: true });
    rmSync(jp, { recursive: true, force: true });
  }
  assert.equal(createHash('sha256').update(readFileSync(file)).digest('hex'), hashBefore, 'the notebook file is unchanged');
});
