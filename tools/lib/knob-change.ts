/**
 * For the explorable site's checks and benchmark: one non-default value of one knob of a story, chosen
 * so that it changes as few sweep cells as possible (at least one), and the count of new cells. Generic
 * over stories: every knob kind is tried (numbers scaled or shifted, lists shortened or extended,
 * other choices, the other boolean), and only values the story's validator accepts are kept.
 */
import { loadRegistered } from '../../src/experiments/registry.js';
import { checkKnobs, defaultKnobs, KnobError, type AnyStory, type Knob, type SweepRequest } from '../../src/stories/story.js';
import { keyedCells } from '../../src/sweep/keys.js';

export interface KnobChange { name: string; value: unknown; newCells: number; totalCells: number }

/** The cache keys (under `engine`) of every cell a story runs for values `v`. */
export async function storyCellKeys(story: AnyStory, v: unknown, engine: string): Promise<string[]> {
  const keys: string[] = [];
  for (const req of Object.values(story.sweeps(v as never) as Record<string, SweepRequest>)) {
    keys.push(...keyedCells(await loadRegistered(req.experiment), req, engine).map((c) => c.key));
  }
  return keys;
}

function candidates(k: Knob): unknown[] {
  switch (k.type) {
    case 'number': case 'integer': {
      const d = k.default;
      const xs = [d * 2, d + 1, d / 2, d - 1, d * 10, d === 0 ? 1 : d * 1.5];
      return xs.map((x) => (k.type === 'integer' ? Math.round(x) : x)).filter((x) => x !== d);
    }
    case 'number[]': case 'integer[]': {
      const d = k.default, last = d[d.length - 1] ?? 1;
      return [d.slice(0, -1), [...d, last * 10], [...d, last + 1], d.slice(1)].filter((x) => x.length > 0);
    }
    case 'choice': return k.options.filter((o) => o !== k.default);
    case 'boolean': return [!k.default];
  }
}

/** The cheapest non-default value of one knob (fewest new cells, at least one), over all knobs. */
export async function cheapestChange(story: AnyStory, engine: string): Promise<KnobChange> {
  const base = new Set(await storyCellKeys(story, defaultKnobs(story), engine));
  let best: KnobChange | undefined;
  for (const [name, k] of Object.entries(story.knobs as Record<string, Knob>)) {
    for (const value of candidates(k)) {
      let v: unknown;
      try { v = checkKnobs(story, { [name]: value }); } catch (e) { if (e instanceof KnobError) continue; throw e; }
      const keys = await storyCellKeys(story, v, engine);
      const newCells = new Set(keys.filter((x) => !base.has(x))).size;
      if (newCells > 0 && (!best || newCells < best.newCells)) best = { name, value, newCells, totalCells: new Set(keys).size };
    }
  }
  if (!best) throw new Error(`${story.notebook}: no single knob change gives new cells`);
  return best;
}

/** A value the validator refuses for one knob, with the message it gives. */
export function badValue(story: AnyStory): { name: string; text: string; message: string } {
  for (const [name, k] of Object.entries(story.knobs as Record<string, Knob>)) {
    if (k.type === 'number' || k.type === 'integer') {
      const text = k.min !== undefined ? String(k.min - 1) : k.above !== undefined ? String(k.above) : 'abc';
      const value = text === 'abc' ? 'abc' : Number(text);
      try { checkKnobs(story, { [name]: value }); } catch (e) { if (e instanceof KnobError) return { name, text, message: e.message }; throw e; }
    }
  }
  throw new Error(`${story.notebook}: no numeric knob to give a bad value`);
}
