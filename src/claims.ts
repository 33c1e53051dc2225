/**
 * Claim checks for the closing cell of a notebook: each check prints one line,
 *
 *     ✓ held: <claim> — <measured>        or        ✗ FAILED: <claim> — <measured>
 *
 * and `done()` throws if any failed, which fails the notebook (and the headless run). The lines are
 * the record that `npm start` collects into its table of claims. Browser-safe.
 */
export interface ClaimCheck { claim: string; measured: string; holds: boolean }

export const CLAIM_LINE = /^(✓ held|✗ FAILED): (.*) — (.*)$/;

export function formatClaim(c: ClaimCheck): string {
  const clean = (s: string) => s.replace(/\s*\n\s*/g, ' ').replace(/ — /g, ' - ');
  return `${c.holds ? '✓ held' : '✗ FAILED'}: ${clean(c.claim)} — ${clean(c.measured)}`;
}

/** Parse the claim lines out of a notebook's printed text. */
export function parseClaims(text: string): ClaimCheck[] {
  const out: ClaimCheck[] = [];
  for (const line of text.split('\n')) {
    const m = CLAIM_LINE.exec(line.trim());
    if (m) out.push({ holds: m[1] === '✓ held', claim: m[2], measured: m[3] });
  }
  return out;
}

export class ClaimFailedError extends Error {
  constructor(failed: ClaimCheck[]) {
    super(`${failed.length} claim(s) failed:\n` + failed.map(formatClaim).join('\n'));
    this.name = 'ClaimFailedError';
  }
}

/** A list of checks; `log` defaults to console.log. */
export function claims(log: (line: string) => void = (l) => console.log(l)) {
  const list: ClaimCheck[] = [];
  return {
    /** Record and print one check; `holds` must be a boolean computed from measured numbers. */
    check(claim: string, measured: string, holds: boolean): boolean {
      const c = { claim, measured, holds: holds === true };
      list.push(c);
      log(formatClaim(c));
      return c.holds;
    },
    get list(): readonly ClaimCheck[] { return list; },
    /** Throw if any check failed. */
    done(): void {
      const failed = list.filter((c) => !c.holds);
      if (list.length === 0) throw new Error('claims: no claim was checked');
      if (failed.length) throw new ClaimFailedError(failed);
    },
  };
}

/** The closing cell of a notebook: print every check of a story and throw if any failed. */
export function reportClaims(list: readonly ClaimCheck[], log: (line: string) => void = (l) => console.log(l)): void {
  const c = claims(log);
  for (const x of list) c.check(x.claim, x.measured, x.holds);
  c.done();
}
