/**
 * A story is one notebook's results as a library function: its knobs (typed, with defaults, ranges and
 * cross-constraints), the sweeps it runs, the analysis of their cells, its figures and its claim checks.
 * The notebook, `npm start` and the site all call the same story, so they produce the same numbers.
 *
 *     const v = checkKnobs(kfacStory, { kappaSigmas: [1, 10, 100] });   // one validator everywhere
 *     const r = await computeStory(kfacStory, v, runner);                // sweeps through a given runner
 *     show(kfacStory.figures.iterations(r, v));
 *     printClaims(kfacStory.claims(r, v));
 *
 * `analyze` must accept partial cells (a sweep still running, or one not started): the browser redraws
 * figures as cells finish. Browser-safe: no Node API here.
 */
import type { ClaimCheck } from '../claims.js';
import type { Json, Params } from '../sweep/types.js';
import type { Figure } from '../plot.js';

// ---------------------------------------------------------------------------------------------------
// Knobs

interface KnobBase { /** One line for readers: shown by `--params`, the site's controls, the parameters cell. */ readonly doc: string }
export interface NumberKnob extends KnobBase {
  readonly type: 'number' | 'integer';
  readonly default: number;
  readonly min?: number;
  readonly max?: number;
  /** Exclusive lower bound (e.g. a step size > 0). */
  readonly above?: number;
}
export interface NumberListKnob extends KnobBase {
  readonly type: 'number[]' | 'integer[]';
  readonly default: readonly number[];
  readonly min?: number;
  readonly max?: number;
  readonly above?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
}
export interface ChoiceKnob<O extends string = string> extends KnobBase {
  readonly type: 'choice';
  readonly default: O;
  readonly options: readonly O[];
}
export interface BooleanKnob extends KnobBase { readonly type: 'boolean'; readonly default: boolean }
export type Knob = NumberKnob | NumberListKnob | ChoiceKnob | BooleanKnob;
export type Knobs = Readonly<Record<string, Knob>>;

/** The value type of each knob. */
export type KnobValues<K extends Knobs> = {
  readonly [N in keyof K]: K[N] extends NumberKnob ? number
    : K[N] extends NumberListKnob ? readonly number[]
      : K[N] extends ChoiceKnob<infer O> ? O
        : boolean;
};

/** A knob value outside its declaration or a violated cross-constraint; the message names the knob. */
export class KnobError extends Error {
  override name = 'KnobError';
}

export function describeKnob(k: Knob): string {
  const range = (x: NumberKnob | NumberListKnob) => [
    x.above !== undefined ? `> ${x.above}` : undefined,
    x.min !== undefined ? `≥ ${x.min}` : undefined,
    x.max !== undefined ? `≤ ${x.max}` : undefined,
  ].filter(Boolean).join(' and ');
  switch (k.type) {
    case 'number': case 'integer': {
      const r = range(k);
      return `${k.type === 'integer' ? 'an integer' : 'a finite number'}${r ? ` ${r}` : ''}`;
    }
    case 'number[]': case 'integer[]': {
      const r = range(k);
      const len = k.minLength !== undefined || k.maxLength !== undefined
        ? ` (${k.minLength ?? 1} to ${k.maxLength ?? '∞'} values)` : ' (at least one value)';
      return `a list of ${k.type === 'integer[]' ? 'integers' : 'finite numbers'}${r ? ` ${r}` : ''}${len}`;
    }
    case 'choice': return `one of ${k.options.map((o) => JSON.stringify(o)).join(', ')}`;
    case 'boolean': return 'true or false';
  }
}

function numberOk(k: NumberKnob | NumberListKnob, x: unknown): boolean {
  if (typeof x !== 'number' || !Number.isFinite(x)) return false;
  if ((k.type === 'integer' || k.type === 'integer[]') && !Number.isInteger(x)) return false;
  if (k.above !== undefined && !(x > k.above)) return false;
  if (k.min !== undefined && x < k.min) return false;
  if (k.max !== undefined && x > k.max) return false;
  return true;
}

/** Why `value` is not allowed for knob `k`, or undefined when it is. */
export function knobViolation(k: Knob, value: unknown): string | undefined {
  switch (k.type) {
    case 'number': case 'integer':
      return numberOk(k, value) ? undefined : describeKnob(k);
    case 'number[]': case 'integer[]': {
      if (!Array.isArray(value)) return describeKnob(k);
      const min = k.minLength ?? 1;
      if (value.length < min || (k.maxLength !== undefined && value.length > k.maxLength)) return describeKnob(k);
      return value.every((x) => numberOk(k, x)) ? undefined : describeKnob(k);
    }
    case 'choice': return typeof value === 'string' && k.options.includes(value) ? undefined : describeKnob(k);
    case 'boolean': return typeof value === 'boolean' ? undefined : describeKnob(k);
  }
}

const show = (v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : JSON.stringify(v) ?? String(v));

/**
 * The one validator of a story's knobs (the notebook command, the site's controls and the tests call it):
 * unknown names, wrong types and out-of-range values are refused with a message naming the knob and what
 * it allows; then the story's cross-constraints are checked on the complete values.
 */
export function checkKnobs<K extends Knobs, R>(story: Story<K, R>, overrides: Readonly<Record<string, unknown>> = {}): KnobValues<K> {
  const values: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(overrides)) {
    if (!Object.prototype.hasOwnProperty.call(story.knobs, name)) {
      throw new KnobError(`${story.notebook}: unknown parameter '${name}'; known: ${Object.keys(story.knobs).join(', ')}`);
    }
    const why = knobViolation(story.knobs[name]!, value);
    if (why) throw new KnobError(`${story.notebook}: parameter '${name}' must be ${why}; got ${show(value)}`);
  }
  for (const [name, k] of Object.entries(story.knobs)) {
    values[name] = Object.prototype.hasOwnProperty.call(overrides, name) ? overrides[name] : k.default;
  }
  const v = values as KnobValues<K>;
  const problems = story.constraints?.(v) ?? [];
  if (problems.length) throw new KnobError(`${story.notebook}: ${problems.join('; ')}`);
  return v;
}

/** The profile names declared by any of `stories` (sorted). */
export function profileNames(stories: readonly AnyStory[]): string[] {
  return [...new Set(stories.flatMap((s) => Object.keys(s.profiles ?? {})))].sort();
}

/**
 * The knob overrides of `story`'s profile `name` (refused, naming the profiles it has, when it has no such
 * profile). Pass them to `checkKnobs`, possibly merged with further overrides.
 */
export function profileKnobs<K extends Knobs, R>(story: Story<K, R>, name: string): Readonly<Record<string, unknown>> {
  const profiles = story.profiles ?? {};
  if (!Object.prototype.hasOwnProperty.call(profiles, name)) {
    const known = Object.keys(profiles);
    throw new KnobError(`${story.notebook}: no profile '${name}'; profiles: ${known.length ? known.join(', ') : '(none)'}`);
  }
  return profiles[name]!;
}

/** The default values of every knob (checked: a story's defaults must pass its own validator). */
export function defaultKnobs<K extends Knobs, R>(story: Story<K, R>): KnobValues<K> {
  return checkKnobs(story, {});
}

// ---------------------------------------------------------------------------------------------------
// Sweeps and runners

/** One sweep of a registered experiment, with some axes replaced (as `runSweep`'s `set`/`seeds`). */
export interface SweepRequest {
  readonly experiment: string;
  readonly set: Readonly<Record<string, readonly Json[]>>;
  readonly seeds?: number;
  /** First replicate index (default 0): a story's `seed` knob s passes `s * SEED_STRIDE` (sweep/grid.ts). */
  readonly firstReplicate?: number;
}

/** A finished cell as a story sees it. */
export interface StoryCell {
  readonly params: Params;
  readonly replicate: number;
  readonly result: Json;
}

/**
 * Runs sweeps with the Node runner's semantics (grid expansion, derived seeds, cache keys); Node's is in
 * `node/story-runner.ts`, the page's in the site. `onCells` receives all the cells available so far each
 * time more finish (cached cells first).
 */
export interface SweepRunner {
  /** The numeric engine the cells are computed with (part of every cache key). */
  readonly engine: string;
  sweep(name: string, req: SweepRequest, onCells?: (cells: readonly StoryCell[]) => void): Promise<readonly StoryCell[]>;
}

export type SweepCells<S extends string> = { readonly [N in S]: readonly StoryCell[] };

// ---------------------------------------------------------------------------------------------------
// Stories

export interface Story<K extends Knobs, R, S extends string = string, F extends string = string> {
  /** The notebook's file name without `.ipynb`, e.g. '11-linear-kfac'. */
  readonly notebook: string;
  readonly title: string;
  readonly knobs: K;
  /** Cross-constraints: one message per violated condition, naming the knobs (empty when all hold). */
  constraints?(v: KnobValues<K>): string[];
  /** The sweeps behind the results, by name, in the order the notebook runs them. */
  sweeps(v: KnobValues<K>): { readonly [N in S]: SweepRequest };
  /** The results from the cells available (partial while sweeps run). */
  analyze(v: KnobValues<K>, cells: SweepCells<S>): R;
  /** The figures, by name, in notebook order. */
  readonly figures: { readonly [N in F]: (r: R, v: KnobValues<K>) => Figure };
  /** The claim checks, each computed from measured numbers (see `claims.ts`). */
  claims(r: R, v: KnobValues<K>): ClaimCheck[];
  /**
   * Settings of the robustness run (`npm run robustness`): other base seeds, more replicates, a larger
   * size. Each is a set of knob overrides, checked with `checkKnobs`.
   */
  readonly robustness?: readonly { readonly name: string; readonly knobs: Readonly<Record<string, unknown>> }[];
  /**
   * Named knob profiles, e.g. `paper` (the paper-scale sizes: `npm start -- --profile paper`,
   * `npm run notebook -- notebooks/NAME.ipynb --profile paper`): each is a set of knob overrides, checked
   * with `checkKnobs` like any override.
   */
  readonly profiles?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** Any story (for registries and generic tools). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyStory = Story<any, any, any, any>;

/**
 * Runs a story's sweeps one after another through `runner` and returns its analysed results; `onPartial`
 * gets re-analysed results whenever more cells are available.
 */
export async function computeStory<K extends Knobs, R, S extends string>(
  story: Story<K, R, S>, v: KnobValues<K>, runner: SweepRunner, onPartial?: (r: R) => void,
): Promise<R> {
  const reqs = story.sweeps(v);
  const names = Object.keys(reqs) as S[];
  const cells = Object.fromEntries(names.map((n) => [n, [] as readonly StoryCell[]])) as Record<S, readonly StoryCell[]>;
  for (const name of names) {
    cells[name] = await runner.sweep(name, reqs[name], onPartial && ((cs) => {
      cells[name] = cs;
      onPartial(story.analyze(v, cells));
    }));
  }
  return story.analyze(v, cells);
}
