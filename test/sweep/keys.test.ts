import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from '../../src/sweep/sha256.js';
import { cellKey } from '../../src/sweep/keys.js';
import { cellKey as nodeCellKey, decodeCell } from '../../src/node/cache.js';
import { Rng } from '../../src/rng.js';

const nodeSha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

test('the pure-JS SHA-256 equals node:crypto on the FIPS vectors, every length around the block edges, and random UTF-8', () => {
  assert.equal(sha256Hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'), '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  for (let n = 0; n <= 300; n++) {
    const s = 'x'.repeat(n);
    assert.equal(sha256Hex(s), nodeSha(s), `length ${n}`);
  }
  const r = new Rng(1);
  const alphabet = ['a', 'Z', '0', '{', '"', 'κ', 'Σ', 'é', '中', '😀', '\u0000', '\n'];
  for (let i = 0; i < 200; i++) {
    const len = Math.floor(r.uniform() * 400);
    let s = '';
    for (let j = 0; j < len; j++) s += alphabet[Math.floor(r.uniform() * alphabet.length)];
    assert.equal(sha256Hex(s), nodeSha(s), JSON.stringify(s.slice(0, 20)));
  }
});

test('cellKey is one function: node/cache.ts re-exports the browser-safe one', () => {
  assert.equal(nodeCellKey, cellKey);
  const k = cellKey('e', '1', { kappa: 10, name: 'κ' }, 2, null, 'wasm');
  assert.equal(k, nodeSha('{"engine":"wasm","experiment":"e","params":{"kappa":10,"name":"κ"},"replicate":2,"source":null,"version":"1"}').slice(0, 32));
});

test('every committed cell in data/ is still found under its file name', () => {
  const data = join(import.meta.dirname, '..', '..', 'data');
  if (!existsSync(data)) return;
  let checked = 0;
  for (const exp of readdirSync(data)) {
    const dir = join(data, exp);
    let files: string[];
    try { files = readdirSync(dir).filter((f) => /^[0-9a-f]{32}\.json$/.test(f)); } catch { continue; }
    for (const f of files) {
      const key = f.slice(0, 32);
      const d = decodeCell(readFileSync(join(dir, f), 'utf8'), key);
      assert.ok(d.ok, `${exp}/${f}: ${d.ok ? '' : d.reason}`);
      const r = d.record;
      const engines = ['simd', 'wasm', 'cpu', 'tensorflow', 'js64'];
      assert.ok(engines.some((e) => cellKey(r.experiment, r.version, r.params, r.replicate, r.source, e) === key), `${exp}/${f}: key recomputed`);
      checked++;
    }
  }
  assert.ok(checked > 0);
});

test('keyedCells: a sweep request (set, seeds, firstReplicate) plans exactly the cells and keys of its effective grid', async () => {
  const { keyedCells } = await import('../../src/sweep/keys.js');
  const { effectiveGrid, expandGrid, SEED_STRIDE } = await import('../../src/sweep/grid.js');
  const e = (await import('../../src/experiments/demo-gaussian-moments.js')).default;
  const req = { experiment: e.name, set: { n: [100, 1000] }, seeds: 2, firstReplicate: SEED_STRIDE };
  const got = keyedCells(e, req, 'wasm');
  const want = expandGrid(e, effectiveGrid(e, req)).map((c) => ({ ...c, key: cellKey(e.name, e.version, c.params, c.replicate, null, 'wasm') }));
  assert.deepEqual(got, want);
  assert.ok(got.every((c) => c.replicate >= SEED_STRIDE), 'firstReplicate reaches the cells');
  assert.deepEqual(keyedCells(e, effectiveGrid(e, req), 'wasm'), got, 'a grid and its overrides plan the same cells');
});
