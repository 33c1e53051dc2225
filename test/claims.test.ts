import { test } from 'node:test';
import assert from 'node:assert/strict';
import { claims, parseClaims, ClaimFailedError } from '../src/claims.js';

test('claim lines round-trip and a failed claim fails done()', () => {
  const lines: string[] = [];
  const c = claims((l) => lines.push(l));
  c.check('SGD grows tenfold', '×126 (need ≥ 10)', 126 >= 10);
  c.check('KFAC is flat — really', 'spread 0%', true);
  assert.doesNotThrow(() => c.done());
  const parsed = parseClaims(lines.join('\n') + '\nunrelated line\n');
  assert.deepEqual(parsed.map((p) => p.holds), [true, true]);
  assert.equal(parsed[0].claim, 'SGD grows tenfold');
  assert.equal(parsed[0].measured, '×126 (need ≥ 10)');
  assert.equal(parsed[1].claim, 'KFAC is flat - really');
  c.check('a false claim', '3 < 10', false);
  assert.throws(() => c.done(), ClaimFailedError);
  assert.equal(parseClaims(lines.join('\n'))[2].holds, false);
  assert.throws(() => claims(() => {}).done(), /no claim was checked/);
});

test('a claim cannot hold on a measured value that is NaN, infinite or missing', async () => {
  const { claimCheck, finite, nonFinite, unavailable, formatClaim } = await import('../src/claims.js');
  const lines: string[] = [];
  const c = claims((l) => lines.push(l));
  // The ratio of two growths where the κ = 1 run diverged: Infinity ≥ 10 is true, but it must not hold.
  const ratio = Infinity;
  assert.equal(c.check('SGD grows tenfold', `×${ratio}`, ratio >= 10, ratio), false);
  assert.match(lines[0]!, /^✗ FAILED: SGD grows tenfold — ×Infinity \(cannot hold: not a finite number: value = Infinity\)$/);
  assert.equal(c.check('a mean', 'NaN', NaN < 1, { mean: NaN, se: 0.1 }), false);
  assert.match(lines[1]!, /not a finite number: mean = NaN/);
  // An optional input that is missing: `null` (e.g. a κ not in the grid) fails with its name.
  assert.equal(c.check('SGD vs KFAC', 'SGD: null', true, { sgd: null, kfac: 3 }), false);
  assert.match(lines[2]!, /not a finite number: sgd = null/);
  // Without `values`, a measured text that shows a non-number still fails.
  assert.equal(claimCheck('x', 'Infinity (×Infinity)', true).holds, false);
  assert.equal(claimCheck('x', 'SGD: null', true).holds, false);
  assert.equal(claimCheck('x', 'spread −∞', true).holds, false);
  // Words that merely contain these letters are fine; finite values hold as computed.
  assert.equal(claimCheck('x', 'nullspace dimension 3; Infinitesimal', true).holds, true);
  assert.equal(claimCheck('x', '×126 (need ≥ 10)', 126 >= 10, [126, 1]).holds, true);
  assert.equal(claimCheck('x', '3 < 10', false, 3).holds, false);
  assert.equal(finite(1, 2, 3), true);
  assert.equal(finite(1, NaN), false);
  assert.equal(finite(undefined), false);
  assert.deepEqual(nonFinite([1, -Infinity, 2]), ['value 2 = -Infinity']);
  // Formatting never prints a pass over a non-number, even for a ClaimCheck built by hand.
  assert.match(formatClaim({ claim: 'y', measured: 'Infinity (×Infinity)', holds: true }), /^✗ FAILED: y — Infinity/);
  // Missing inputs: the reason is the measured text, and done() fails.
  const u = unavailable('A6 at the damping κ', 'κ = 100 is not in the κ grid [1, 10]');
  assert.deepEqual(u, { claim: 'A6 at the damping κ', measured: 'cannot be checked: κ = 100 is not in the κ grid [1, 10]', holds: false });
  assert.equal(c.unavailable('an error bar', 'needs at least 2 seeds; got 1'), false);
  assert.match(lines[3]!, /^✗ FAILED: an error bar — cannot be checked: needs at least 2 seeds; got 1$/);
  assert.equal(c.add({ claim: 'from a story', measured: 'NaN', holds: true }), false);
  assert.throws(() => c.done(), ClaimFailedError);
  assert.equal(parseClaims(lines.join('\n')).filter((p) => p.holds).length, 0);
});
