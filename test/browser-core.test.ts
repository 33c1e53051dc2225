import '../src/node/backend.js'; // relaxed SIMD on in Node 20 (the simd-fma engine), before any module is compiled
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from 'esbuild';
import { join } from 'node:path';
import { launchChromium, chromiumPath } from '../tools/lib/chromium.js';
import { compute } from './fixtures/browser-core-entry.js';

// The core library runs in a browser and gives the numbers it gives in Node: the fixture is bundled for
// the browser (no Node APIs allowed), run in headless Chromium, and compared with the same code run here
// (float64 engine on both sides, the same seeded draws). Not bit for bit: Node 20's V8 and Chromium's
// newer V8 round Math.exp, log, pow, sin and cos differently in the last bit for a few percent of
// arguments (measured while writing this test), so the runs agree to round-off, 1e-12 relative here.
// Within one engine a seed gives identical numbers: the browser runs the fixture twice.
function assertClose(a: unknown, b: unknown, path: string): void {
  if (typeof a === 'number' && typeof b === 'number') {
    assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a), Math.abs(b)), `${path}: ${a} vs ${b}`);
  } else if (Array.isArray(a) && Array.isArray(b)) {
    assert.equal(a.length, b.length, `${path}: lengths`);
    a.forEach((x, i) => assertClose(x, b[i], `${path}[${i}]`));
  } else assert.deepEqual(a, b, path);
}
test('the core runs in Chromium and reproduces Node’s numbers to round-off', { skip: !chromiumPath() && !process.env.CI ? 'no Chromium (required when CI is set)' : false }, async () => {
  const bundle = await build({
    entryPoints: [join(import.meta.dirname, 'fixtures', 'browser-core-entry.ts')],
    bundle: true, format: 'iife', globalName: 'core', platform: 'browser', write: false, logLevel: 'silent',
  });
  const { browser, close } = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.setContent('<!doctype html><title>core</title>');
    await page.addScriptTag({ content: bundle.outputFiles[0].text });
    const run = () => page.evaluate(() => (globalThis as unknown as { core: { compute(): Promise<unknown> } }).core.compute());
    const inBrowser = await run(), again = await run();
    assert.deepEqual(again, inBrowser, 'same seed, same numbers within the browser');
    const inNode = await compute();
    assert.deepEqual(errors, []);
    const b = inBrowser as Record<string, unknown>;
    assert.equal(b.engine, 'cpu');
    // float32 products of 50 terms of N(0,1)·N(0,1): |error| ≲ 50·2⁻²⁴·few ≈ 1e-5
    assert.ok((b.maxErr as number) < 1e-4 && (b.maxErr as number) > 0, `tfjs cpu in the browser: ${b.maxErr}`);
    for (const key of ["kfac", "sgd", "shampoo", "spike"]) assertClose(b[key], inNode[key], key);
    // the simd engine's products (float32 and float64 kernels): bit for bit, no round-off allowance
    const sb = b.simd as number[], sn = inNode.simd as number[];
    assert.equal(sb.length, 96 * 64 + 40 * 30);
    assert.ok(sb.every((x, i) => Object.is(x, sn[i])), `simd products differ between Chromium and Node at entry ${sb.findIndex((x, i) => !Object.is(x, sn[i]))}`);
    // simd-fma starts in both (Chromium has relaxed SIMD; this machine's processor fuses) and gives the same
    // bits in both, which are not simd's
    assert.ok(Array.isArray(b.fma), `simd-fma did not start in Chromium: ${b.fma}`);
    assert.ok(Array.isArray(inNode.fma), `simd-fma did not start in Node: ${inNode.fma}`);
    const fb = b.fma as number[], fn = inNode.fma as number[];
    assert.equal(fb.length, 96 * 64);
    assert.ok(fb.every((x, i) => Object.is(x, fn[i])), `simd-fma products differ between Chromium and Node at entry ${fb.findIndex((x, i) => !Object.is(x, fn[i]))}`);
    assert.ok(fb.some((x, i) => !Object.is(x, sb[i])), 'simd-fma should not give simd\'s bits');
  } finally {
    await close();
  }
});
