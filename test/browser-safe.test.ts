import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

// The core (everything in src/ outside src/node/) must run in a browser: no Node built-ins, no
// `process`, no `require`, and no import from src/node/.
const ROOT = join(import.meta.dirname, '..', 'src');
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? (f === 'node' ? [] : files(p)) : p.endsWith('.ts') ? [p] : [];
  });
}

test('the core imports no Node-only module and uses no Node global', () => {
  const core = files(ROOT);
  assert.ok(core.length > 20, `found only ${core.length} core files`);
  const bad: string[] = [];
  for (const f of core) {
    const text = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    const rel = relative(ROOT, f);
    if (/from\s+'node:|import\(\s*'node:|\brequire\(|\bprocess\.|from\s+'(fs|path|os|child_process|worker_threads)'/.test(text)) bad.push(`${rel}: Node API`);
    if (/from\s+'(\.\.?\/)+node\//.test(text) || /from\s+'\.\/node\//.test(text)) bad.push(`${rel}: imports src/node/`);
  }
  assert.deepEqual(bad, []);
});
