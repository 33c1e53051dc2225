/**
 * Shared by the platform tests: a test that needs a tool (Chromium, nbclient, JupyterLab) which is
 * missing is skipped on a developer's machine, with the reason, and FAILS in CI (CI=true).
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';

export const IN_CI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';

/** Returns true when the test may go on; otherwise fails (CI) or skips (elsewhere) the test. */
export function need(t: TestContext, available: unknown, what: string): boolean {
  if (available) return true;
  if (IN_CI) assert.fail(`${what} is missing, and CI must run this test (.ci/run installs it)`);
  t.skip(`${what} is missing (CI installs it; see .ci/run)`);
  return false;
}
