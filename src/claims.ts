/**
 * Claim checks for the closing cell of a notebook: each check prints one line,
 *
 *     ✓ held: <claim> — <measured>        or        ✗ FAILED: <claim> — <measured>
 *
 * and `done()` throws if any failed, which fails the notebook (and the headless run). The lines are
 * the record that `npm start` collects into its table of claims. Browser-safe.
 */
export interface ClaimCheck { claim: string; measured: string; holds: boolean }

/** The measured numbers a check rests on: one, a list, or named ones. */
export type Measured = number | null | undefined | readonly (number | null | undefined)[] | Readonly<Record<string, number | null | undefined>>;

/**
 * The measured numbers that are not finite (NaN, ±∞, null, undefined — a missing input), as
 * `name = value` texts; empty when all are finite.
 */
export function nonFinite(values: Measured): string[] {
  const entries: [string, unknown][] = values === null || values === undefined || typeof values === 'number'
    ? [['value', values]]
    : Array.isArray(values) ? values.map((v, i) => [`value ${i + 1}`, v]) : Object.entries(values);
  return entries.filter(([, v]) => typeof v !== 'number' || !Number.isFinite(v)).map(([k, v]) => `${k} = ${String(v)}`);
}

/** True when every measured number is finite: `holds: finite(ratio) && ratio >= 10`. */
export function finite(...values: (number | null | undefined)[]): boolean {
  return nonFinite(values).length === 0;
}

/** A measured text that shows a non-number where a number should be ("Infinity", "NaN", "null"). */
const NOT_A_NUMBER = /(^|[^A-Za-z])(NaN|-?Infinity|-?∞|null|undefined)(?![A-Za-z])/;

/**
 * One claim check that cannot pass quietly: it fails when `holds` is not `true`, when a measured
 * number in `values` is not finite (the measured text then says which), and when the measured text
 * itself shows NaN, Infinity, ∞, null or undefined.
 */
export function claimCheck(claim: string, measured: string, holds: boolean, values?: Measured): ClaimCheck {
  const reasons: string[] = [];
  if (values !== undefined) {
    const bad = nonFinite(values);
    if (bad.length) reasons.push(`not a finite number: ${bad.join(', ')}`);
  }
  const shown = NOT_A_NUMBER.exec(measured);
  if (shown && reasons.length === 0) reasons.push(`the measured value shows ${shown[2]}, not a finite number`);
  if (reasons.length) return { claim, measured: `${measured} (cannot hold: ${reasons.join('; ')})`, holds: false };
  return { claim, measured, holds: holds === true };
}

/**
 * A claim whose inputs are missing (a grid without the value it needs, too few seeds for an error
 * bar): it fails, saying why, instead of being computed from nothing.
 */
export function unavailable(claim: string, why: string): ClaimCheck {
  return { claim, measured: `cannot be checked: ${why}`, holds: false };
}

export const CLAIM_LINE = /^(✓ held|✗ FAILED): (.*) — (.*)$/;

export function formatClaim(c: ClaimCheck): string {
  const clean = (s: string) => s.replace(/\s*\n\s*/g, ' ').replace(/ — /g, ' - ');
  // A pass is never printed over a measured text showing NaN, Infinity or null.
  const d = c.holds ? claimCheck(c.claim, c.measured, true) : c;
  return `${d.holds ? '✓ held' : '✗ FAILED'}: ${clean(d.claim)} — ${clean(d.measured)}`;
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
    /**
     * Record and print one check; `holds` must be a boolean computed from measured numbers, and
     * `values` (optional) are those numbers: a non-finite one fails the check (see `claimCheck`).
     */
    check(claim: string, measured: string, holds: boolean, values?: Measured): boolean {
      return this.add(claimCheck(claim, measured, holds, values));
    },
    /** Record and print a check made elsewhere (a story's `claims`), with the same guards. */
    add(c: ClaimCheck): boolean {
      const checked = c.holds ? claimCheck(c.claim, c.measured, c.holds) : { ...c, holds: false };
      list.push(checked);
      log(formatClaim(checked));
      return checked.holds;
    },
    /** Record a claim whose inputs are missing (see `unavailable`). */
    unavailable(claim: string, why: string): boolean {
      return this.add(unavailable(claim, why));
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
