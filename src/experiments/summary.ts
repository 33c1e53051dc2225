/**
 * Small helpers to summarise sweep cells in notebooks: group, average over replicates, pick the best
 * step size. Browser-safe.
 */
export const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Sample standard deviation (n − 1); 0 for a single value. */
export function std(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}
export const stderr = (xs: readonly number[]): number => (xs.length < 2 ? 0 : std(xs) / Math.sqrt(xs.length));
export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Group items by a string key, keeping first-seen key order. */
export function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = out.get(k);
    if (list) list.push(it); else out.set(k, [it]);
  }
  return out;
}

/**
 * The entry with the smallest score; entries whose score is null or not finite (diverged, never reached
 * the target) are skipped. Returns undefined when none qualifies.
 */
export function argmin<T>(items: readonly T[], score: (t: T) => number | null): T | undefined {
  let best: T | undefined, bestScore = Infinity;
  for (const it of items) {
    const s = score(it);
    if (s !== null && Number.isFinite(s) && s < bestScore) { best = it; bestScore = s; }
  }
  return best;
}
