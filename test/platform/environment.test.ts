/** environment.yml: a conda environment file that gives Node.js (all `npm ci && npm start` needs), JupyterLab and the plotly renderer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../../tools/lib/jupyter.js';

// conda's MatchSpec, as far as an environment file uses it: name, then an optional version spec.
const SPEC = /^([a-z0-9][a-z0-9._-]*)(?:\s*((?:[<>=!~]=?|==)?\s*[0-9][0-9a-z.*+]*(?:\s*,\s*[<>=!~]=?\s*[0-9][0-9a-z.*+]*)*))?$/i;

test('environment.yml parses and names jupyterlab, nodejs and plotly (conda-forge)', () => {
  const env = parse(readFileSync(join(ROOT, 'environment.yml'), 'utf8')) as { name?: unknown; channels?: unknown; dependencies?: unknown };
  assert.equal(typeof env.name, 'string');
  assert.ok(Array.isArray(env.channels) && env.channels.includes('conda-forge'), 'channels lists conda-forge (it has nodejs and jupyterlab 4)');
  assert.ok(Array.isArray(env.dependencies), 'dependencies is a list');
  const specs = new Map<string, string>();
  for (const d of env.dependencies as unknown[]) {
    if (typeof d === 'object' && d !== null && 'pip' in d) continue; // a pip: sub-list is allowed
    assert.equal(typeof d, 'string', `dependency ${JSON.stringify(d)} is a string`);
    const m = SPEC.exec((d as string).trim());
    assert.ok(m, `'${d as string}' is a conda match spec`);
    specs.set(m[1]!.toLowerCase(), (m[2] ?? '').replace(/\s/g, ''));
  }
  for (const name of ['jupyterlab', 'nodejs', 'plotly', 'python']) assert.ok(specs.has(name), `environment.yml names ${name}`);
  assert.match(specs.get('jupyterlab')!, /^>=4/, 'JupyterLab 4');
  const node = /^>=(\d+)/.exec(specs.get('nodejs')!);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
  const need = Number(/(\d+)/.exec(pkg.engines.node)![1]);
  assert.ok(node && Number(node[1]) >= need, `nodejs ${specs.get('nodejs')} satisfies package.json engines.node ${pkg.engines.node}`);
});
