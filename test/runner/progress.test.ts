import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBar, formatDuration, formatProgress, progressReporter, throttledLines, type Progress } from '../../src/node/progress.js';

const p = (over: Partial<Progress> = {}): Progress => ({
  experiment: 'demo', total: 48, done: 12, cached: 8, computed: 4, elapsedMs: 2000, rate: 2, etaMs: 18_000, finished: false, ...over,
});

test('progress text: cells done, cached, rate and time left', () => {
  assert.equal(formatProgress(p()), 'demo: 12/48 cells (8 cached), 2.0 cells/s, 18 s left');
  assert.equal(formatProgress(p({ cached: 0, rate: 0.05, etaMs: 3_723_000 })), 'demo: 12/48 cells, 3.0 cells/min, 1:02:03 left');
  assert.equal(formatProgress(p({ rate: 0, etaMs: undefined })), 'demo: 12/48 cells (8 cached), – cells/s, time left unknown');
  assert.equal(formatProgress(p({ done: 48, finished: true, elapsedMs: 125_000, etaMs: 0 })), 'demo: 48/48 cells (8 cached), 2.0 cells/s, done in 2:05');
  assert.equal(formatBar(p(), 8), 'demo [##------] 25% 12/48 cells (8 cached), 2.0 cells/s, 18 s left');
  assert.equal(formatDuration(59_400), '59 s');
  assert.equal(formatDuration(Number.NaN), '?');
});

test('not a terminal: plain lines, throttled, first and last always printed', () => {
  let t = 0;
  const lines: string[] = [];
  const stream = { isTTY: false, write: (s: string) => { lines.push(s); return true; } };
  const report = progressReporter({ stream, intervalMs: 10_000, now: () => t });
  for (let i = 0; i <= 48; i++) { t = i * 500; report(p({ done: i, finished: i === 48 })); }
  // t = 0, 10 000, 20 000 and the final event at 24 000
  assert.deepEqual(lines.map((l) => l.match(/ (\d+)\/48/)![1]), ['0', '20', '40', '48']);
  assert.ok(lines.every((l) => l.endsWith('\n') && !l.includes('\r') && !l.includes('\x1b')));
  const printed: string[] = [];
  const nb = throttledLines((s) => printed.push(s), 1000, () => t);
  nb(p()); nb(p()); nb(p({ finished: true }));
  assert.equal(printed.length, 2);
});

test('a terminal: one redrawn bar line, ended by a newline when finished', () => {
  let t = 0;
  let out = '';
  const stream = { isTTY: true, columns: 100, write: (s: string) => { out += s; return true; } };
  const report = progressReporter({ stream, now: () => t });
  for (let i = 0; i <= 10; i++) { t = i * 60; report(p({ total: 10, done: i, finished: i === 10 })); }
  const frames = out.split('\r').filter(Boolean);
  assert.ok(frames.length >= 5 && frames.length < 11, `throttled to ~10/s: ${frames.length}`);
  assert.match(frames[frames.length - 1], /^demo \[#{30}\] 100% 10\/10 cells.*done in .*\x1b\[K\n$/);
  assert.equal(out.split('\n').length, 2, 'a single line on screen');
});

test('a headless notebook run: timed lines go to the run log, the notebook gets one timing-free line per sweep', () => {
  let t = 0;
  const printed: string[] = [], logged: string[] = [];
  const nb = throttledLines((s) => printed.push(s), 1000, () => t, true, (s) => logged.push(s));
  nb(p()); t = 5000; nb(p({ done: 30 })); t = 6000; nb(p({ done: 48, finished: true, etaMs: 0, elapsedMs: 6000 }));
  assert.deepEqual(printed, ['demo: 48/48 cells (8 cached)']);
  assert.equal(logged.length, 3);
  assert.ok(logged.every((l) => /cells\/s/.test(l)), 'the log keeps rates and times');
  assert.ok(printed.every((l) => !/\d+(\.\d+)? ?(s|ms|cells\/s|cells\/min)\b|left|done in/.test(l)), 'no timing in what the notebook records');
  // Interactive (not headless): as before, the timed lines themselves.
  const shown: string[] = [];
  throttledLines((s) => shown.push(s), 1000, () => t, false)(p({ finished: true, etaMs: 0 }));
  assert.match(shown[0]!, /done in/);
});
