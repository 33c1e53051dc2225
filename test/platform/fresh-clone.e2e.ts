/**
 * The README's two commands, as a new user runs them: a fresh clone of this commit, `npm ci && npm
 * start` with a PATH on which no Python can import nbclient (the only `python3` is a bare one: no
 * site-packages; PYTHON and the Jupyter variables unset). Every notebook executes, every claim holds,
 * and the clone's `git status --porcelain` is empty afterwards (no timing, no new data cell, no PNG
 * stripped). Slow (a full `npm ci`, then every notebook): in `npm run test:platform`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { ROOT } from '../../tools/lib/jupyter.js';
import { chromiumPath } from '../../tools/lib/chromium.js';
import { need } from './_tools.js';

/** A bin directory with every command on PATH except Pythons, pip and Jupyter, plus a bare python3. */
function pathWithoutNbclient(dir: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const dirs = [dirname(process.execPath), ...(process.env.PATH ?? '').split(delimiter)].filter(Boolean);
  for (const d of dirs) {
    let names: string[] = [];
    try { names = readdirSync(d); } catch { continue; }
    for (const n of names) {
      if (/^(python|pip|jupyter|ipython)/.test(n) || existsSync(join(bin, n))) continue;
      try { if (!statSync(join(d, n)).isFile()) continue; } catch { continue; }
      symlinkSync(join(d, n), join(bin, n));
    }
  }
  const py = ['/usr/bin/python3', '/usr/local/bin/python3'].find(existsSync);
  if (py) writeFileSync(join(bin, 'python3'), `#!/bin/sh\nexec ${py} -I -S "$@"\n`, { mode: 0o755 });
  return bin;
}

test('`npm ci && npm start` on a fresh clone without nbclient: every claim holds, git status stays empty', { timeout: 2_400_000 }, (t) => {
  if (!need(t, chromiumPath(), 'Chromium (apt-get install chromium)')) return;
  const dir = mkdtempSync(join(tmpdir(), 'lp-fresh-'));
  try {
    const repo = join(dir, 'repo');
    const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
    const git = (...a: string[]) => spawnSync('git', a, { cwd: repo, encoding: 'utf8' });
    assert.equal(spawnSync('git', ['clone', '--quiet', '--no-checkout', ROOT, repo], { encoding: 'utf8' }).status, 0);
    assert.equal(git('checkout', '--quiet', head).status, 0);
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: pathWithoutNbclient(dir) };
    for (const k of Object.keys(env)) if (/^(PYTHON|JUPYTER|VIRTUAL_ENV|CONDA|SWEEP_|LP_)/.test(k)) delete env[k];
    const probe = spawnSync('sh', ['-c', 'command -v python3 >/dev/null && python3 -c "import nbclient"'], { env, encoding: 'utf8' });
    assert.notEqual(probe.status, 0, 'no Python on this PATH can import nbclient');

    const t0 = Date.now();
    const ci = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: repo, env, encoding: 'utf8', timeout: 900_000 });
    assert.equal(ci.status, 0, `npm ci: ${ci.stderr.slice(-3000)}`);
    const t1 = Date.now();
    const start = spawnSync('npm', ['start'], { cwd: repo, env, encoding: 'utf8', timeout: 1_200_000, maxBuffer: 64 << 20 });
    const t2 = Date.now();
    const out = start.stdout;
    assert.equal(start.status, 0, `npm start: ${out.slice(-4000)}\n${start.stderr.slice(-2000)}`);
    const summary = /(\d+) of (\d+) claims held; 0 of (\d+) notebooks failed; site rebuilt/.exec(out);
    assert.ok(summary, `summary line: ${out.slice(-1500)}`);
    assert.equal(summary[1], summary[2], 'every claim held');
    assert.ok(Number(summary[2]) > 0);
    assert.doesNotMatch(out, /✗ FAILED/);
    assert.doesNotMatch(out + start.stderr, /nbclient|pip install/i, 'no Python tooling asked for');
    const status = git('status', '--porcelain', '--untracked-files=all').stdout;
    const diff = git('diff', '--stat').stdout;
    // Warm: a second npm start on the same clone (dist/ built, kernel compiled once more).
    const again = spawnSync('npm', ['start'], { cwd: repo, env, encoding: 'utf8', timeout: 1_200_000, maxBuffer: 64 << 20 });
    const t3 = Date.now();
    const times = `npm ci ${((t1 - t0) / 1000).toFixed(0)} s; npm start cold ${((t2 - t1) / 1000).toFixed(0)} s, warm ${((t3 - t2) / 1000).toFixed(0)} s`;
    t.diagnostic(times);
    console.log(times);
    assert.equal(status, '', `git status after npm start:\n${status}\n${diff}`);
    assert.equal(again.status, 0);
    assert.equal(git('status', '--porcelain', '--untracked-files=all').stdout, '', 'still clean after a second run');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
