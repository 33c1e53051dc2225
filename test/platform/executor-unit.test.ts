/** Pieces of the headless executor and its set-up that need no kernel: wire format, line splitting, Chromium discovery. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { decode, encode, sign, type Message } from '../../tools/lib/kernel-client.js';
import { pySplitLines, splitOutput } from '../../tools/lib/execute.js';
import { chromiumCandidates, chromiumPath } from '../../tools/lib/chromium.js';

test('messages are signed with HMAC-SHA256 over header, parent, metadata and content; a bad signature is refused', () => {
  const key = 'k3y';
  const m: Message = {
    header: { msg_id: 'a', msg_type: 'execute_request', session: 's', username: 'u', date: '2025-01-01T00:00:00.000Z', version: '5.3' },
    parent_header: {}, metadata: {}, content: { code: '1 + 1' },
  };
  const frames = encode(key, m);
  assert.equal(frames[0]!.toString(), '<IDS|MSG>');
  const h = createHmac('sha256', key);
  for (const f of frames.slice(2)) h.update(f);
  assert.equal(frames[1]!.toString(), h.digest('hex'));
  assert.equal(sign(key, frames.slice(2)), frames[1]!.toString());
  // A ROUTER prefixes identities; decode skips them.
  assert.deepEqual(decode(key, [Buffer.from('id'), ...frames]), m);
  const tampered = [...frames];
  tampered[5] = Buffer.from(JSON.stringify({ code: 'rm -rf' }));
  assert.throws(() => decode(key, tampered), /bad HMAC signature/);
  assert.throws(() => decode('other', frames), /bad HMAC signature/);
});

test('multiline strings are split as nbformat (Python str.splitlines(keepends=True)) stores them', () => {
  assert.deepEqual(pySplitLines('a\nb\n'), ['a\n', 'b\n']);
  assert.deepEqual(pySplitLines('a\r\nb\rc'), ['a\r\n', 'b\r', 'c']);
  assert.deepEqual(pySplitLines('x\u2028y\x0cz'), ['x\u2028', 'y\x0c', 'z']);
  assert.deepEqual(pySplitLines(''), []);
  const o = splitOutput({ output_type: 'display_data', metadata: {}, data: { 'text/plain': 'a\nb', 'application/vnd.plotly.v1+json': { x: 1 }, 'image/svg+xml': '<s>\n</s>', 'image/png': 'AAA\nBBB' } });
  assert.deepEqual((o as { data: Record<string, unknown> }).data, { 'text/plain': ['a\n', 'b'], 'application/vnd.plotly.v1+json': { x: 1 }, 'image/svg+xml': ['<s>\n', '</s>'], 'image/png': 'AAA\nBBB' });
});

test('Chromium is looked for at CHROMIUM_PATH, Debian/Ubuntu paths, the macOS app bundles and on PATH', () => {
  const mac = chromiumCandidates({ PATH: '/opt/x/bin' }, 'darwin', '/Users/me');
  assert.equal(mac[0], '/Applications/Chromium.app/Contents/MacOS/Chromium');
  assert.ok(mac.includes('/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'));
  assert.ok(mac.includes('/Users/me/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'));
  assert.ok(mac.includes('/opt/x/bin/google-chrome'));
  const linux = chromiumCandidates({ PATH: '' }, 'linux', '/home/me');
  assert.equal(linux[0], '/usr/bin/chromium');
  assert.ok(linux.includes('/snap/bin/chromium') && linux.includes('/usr/bin/chromium-browser'));
  assert.equal(chromiumPath({ CHROMIUM_PATH: '/nonexistent/chrome' }, 'linux'), undefined, 'a CHROMIUM_PATH that does not exist is not replaced by a guess');
});

/** The committed notebook 00 and a copy of it, with the plot outputs of the copy (`plotOutputs`). */
async function committedAndCopy() {
  const { readNotebook, PLOTLY_MIME } = await import('../../tools/lib/ipynb.js');
  const sp = await import('../../tools/lib/static-plots.js');
  const { join } = await import('node:path');
  const { ROOT } = await import('../../tools/lib/jupyter.js');
  const committed = readNotebook(join(ROOT, 'notebooks', '00-platform-demo.ipynb'));
  const fresh = structuredClone(committed);
  return { PLOTLY_MIME, sp, committed, fresh, freshPlots: sp.plotOutputs(fresh) };
}

test('without Chromium a run keeps the committed PNG of every unchanged figure, and only of those', async () => {
  const { PLOTLY_MIME, sp: { keepCommittedImages, countPlots, plotOutputs }, committed, fresh, freshPlots } = await committedAndCopy();
  const plots = () => plotOutputs(committed);
  assert.ok(countPlots(committed) >= 2);
  for (const o of freshPlots) {
    delete o.data['image/png']; delete o.data['text/plain'];
    // As the kernel sends it: keys in insertion order, not the sorted order of the file.
    const fig = o.data[PLOTLY_MIME] as Record<string, unknown>;
    o.data[PLOTLY_MIME] = Object.fromEntries(Object.entries(fig).reverse());
  }
  // The last figure changed (another run's numbers): its old PNG would be wrong, so it gets none.
  (freshPlots.at(-1)!.data[PLOTLY_MIME] as { layout: Record<string, unknown> }).layout.title = { text: 'changed' };
  assert.equal(keepCommittedImages(fresh, committed), freshPlots.length - 1);
  for (const [i, o] of freshPlots.entries()) {
    if (i < freshPlots.length - 1) assert.equal(o.data['image/png'], plots()[i]!.data['image/png']);
    else assert.equal(o.data['image/png'], undefined);
    assert.equal(typeof o.data['text/plain'], 'string');
  }
});

test('with Chromium a run draws only the new or changed figures: unchanged ones keep the committed PNG whatever the Chromium build', async () => {
  const { PLOTLY_MIME, sp: { keepCommittedImages, addStaticImages }, committed, fresh, freshPlots } = await committedAndCopy();
  const old = freshPlots.map((o) => o.data['image/png']);
  for (const o of freshPlots) delete o.data['image/png'];
  (freshPlots[0]!.data[PLOTLY_MIME] as { layout: Record<string, unknown> }).layout.title = { text: 'changed' };
  const drawn: unknown[] = [];
  // a renderer standing in for Chromium: it records what it is asked to draw
  const renderer = { png: async (fig: unknown) => { drawn.push(fig); return 'DRAWN'; } } as unknown as Parameters<typeof addStaticImages>[1];
  assert.equal(keepCommittedImages(fresh, committed), freshPlots.length - 1);
  assert.equal(await addStaticImages(fresh, renderer), 1);
  assert.equal(drawn.length, 1);
  assert.equal(freshPlots[0]!.data['image/png'], 'DRAWN');
  for (let i = 1; i < freshPlots.length; i++) assert.equal(freshPlots[i]!.data['image/png'], old[i]);
});
