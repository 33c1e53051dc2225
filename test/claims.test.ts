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
