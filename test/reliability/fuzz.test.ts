/**
 * Property-based fuzz of every public entry point that takes options (issue 10): the generators, the
 * models, `makeOptimizer`, the metrics, the sweep grids and the notebook knob validator. Inputs are
 * random keys (declared ones, misspellings, junk), values of every JSON type and NaN, ±∞, huge,
 * negative, fractional and string-typed numbers. The invariant, for every call:
 *
 *   a result built from exactly the given inputs (each given option is the one in force), or a
 *   RangeError / GridError / KnobError whose message names one of the parameters of the call:
 *   never a silent default, a dropped key, a raw engine error (TypeError, "Invalid typed array length").
 *
 * fast-check (dubzzz/fast-check) generates and shrinks the inputs. The seed is fixed so that `npm test`
 * is reproducible; `FUZZ_SEED=<n>` and `FUZZ_RUNS=<n>` explore further. A failure prints the seed and
 * the shrunk counterexample (fast-check's report), so it can be replayed with FUZZ_SEED.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { covarianceFromSpectrum, makeCovariance, type CovarianceSpec } from '../../src/data/covariance.js';
import { makeLinearTeacher, makeSingleIndexTeacher, makeTransferTask, sampleLinear, sampleSingleIndex } from '../../src/data/teachers.js';
import { sampleInputs } from '../../src/data/inputs.js';
import { effectiveGrid, expandGrid, GridError } from '../../src/sweep/grid.js';
import { canonicalJson } from '../../src/sweep/canonical.js';
import { experimentNames, loadRegistered } from '../../src/experiments/registry.js';
import { Mat } from '../../src/mat.js';
import { cosine, fitHead, mse, principalAngles, subspaceDistance, transferLoss } from '../../src/metrics.js';
import { initSingleIndexNet, oneStep } from '../../src/models/singleIndex.js';
import { makeOptimizer, optimizerNames } from '../../src/optim/index.js';
import { Rng } from '../../src/rng.js';
import { checkKnobs, KnobError, type Story } from '../../src/stories/story.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20260101);
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const stats = { cases: 0, accepted: 0, refused: 0 };

// ------------------------------------------------------------------------------------------ values

/** Anything a caller might pass where a number is expected (and worse). */
const junk = fc.oneof(
  fc.constantFrom(Number.NaN, Infinity, -Infinity, 1e300, -1e300, 1e6, -1, 0, 2.5, -0.5, 2 ** 32, Number.MIN_VALUE, 1e-300),
  fc.double(), fc.integer({ min: -10, max: 20 }),
  fc.constantFrom('3', '', 'haar', 'none', 'NaN', true, false, null, undefined, [], {}, [1, 2], { a: 1 }),
);
const small = (lo: number, hi: number) => fc.oneof({ weight: 4, arbitrary: fc.integer({ min: lo, max: hi }) }, { weight: 1, arbitrary: junk });
const real = (lo: number, hi: number) => fc.oneof({ weight: 4, arbitrary: fc.double({ min: lo, max: hi, noNaN: true }) }, { weight: 1, arbitrary: junk });
const pick = <T>(xs: readonly T[]) => fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...xs) }, { weight: 1, arbitrary: junk });
const misspelt = fc.constantFrom('rotaton', 'nosie', 'kapa', 'Lr', 'lr ', 'momentun', 'leftfactor', 'ridge_', 'seed', '__proto__x');

/** An object with some of `fields` (each key present or not) and perhaps one misspelt key. */
function record(fields: Record<string, fc.Arbitrary<unknown>>) {
  return fc.tuple(fc.record(fields, { requiredKeys: [] }), fc.option(fc.tuple(misspelt, junk), { freq: 4 }))
    .map(([o, extra]) => (extra ? { ...o, [extra[0]]: extra[1] } : o) as Record<string, unknown>);
}

/**
 * Calls `f`; a thrown error must be a refusal naming one of `names`. Returns the result, or undefined
 * when refused.
 */
function attempt<T>(f: () => T, names: readonly string[], what: string): T | undefined {
  stats.cases++;
  try {
    const r = f();
    stats.accepted++;
    return r;
  } catch (e) {
    const err = e as Error;
    assert.ok(e instanceof RangeError || e instanceof GridError || e instanceof KnobError,
      `${what}: a raw ${err?.name} instead of a refusal naming the parameter: ${err?.message}`);
    assert.ok(names.some((n) => err.message.includes(n)), `${what}: the error names none of ${names.join(', ')}: ${err.message}`);
    stats.refused++;
    return undefined;
  }
}

const same = (a: unknown, b: unknown) => Object.is(a, b) || (typeof a === 'number' && a === b);
const run = (name: string, prop: fc.IPropertyWithHooks<any> | fc.IProperty<any>, runs = RUNS) => {
  try { fc.assert(prop, { seed: SEED, numRuns: runs }); } catch (e) {
    (e as Error).message = `[fuzz ${name}] seed ${SEED} (replay: FUZZ_SEED=${SEED})\n${(e as Error).message}`;
    throw e;
  }
};

// ------------------------------------------------------------------------------------------ generators

test('fuzz: makeCovariance and covarianceFromSpectrum', () => {
  const spec = record({
    family: pick(['identity', 'geometric', 'twoLevel', 'spiked', 'powerLaw']),
    d: small(1, 12), kappa: real(1, 1e6), fraction: real(0, 1), theta: real(-1, 10), alpha: real(0, 5),
    rotation: pick(['none', 'haar']), normalizeTrace: pick([true, false]),
  });
  run('makeCovariance', fc.property(spec, fc.integer({ min: 0, max: 2 ** 32 - 1 }), (s, seed) => {
    const names = [...Object.keys(s), 'spec', 'family', 'd'];
    const cov = attempt(() => makeCovariance(s as unknown as CovarianceSpec, new Rng(seed)), names, `makeCovariance(${JSON.stringify(s)})`);
    if (!cov) return;
    assert.equal(cov.family, s.family);
    assert.equal(cov.d, s.d);
    for (const k of ['kappa', 'fraction', 'theta', 'alpha']) if (k in s && s[k] !== undefined) assert.ok(same(cov.params[k], s[k]), `${k} in force`);
    assert.equal(cov.vectors === null, s.rotation !== 'haar', 'rotation in force');
    assert.ok(Number.isFinite(cov.kappa) && cov.kappa >= 1);
    for (const v of cov.values) assert.ok(v > 0 && Number.isFinite(v));
    if (s.normalizeTrace === true) assert.ok(Math.abs(cov.trace - cov.d) <= 1e-9 * cov.d);
  }));
  run('covarianceFromSpectrum', fc.property(
    fc.oneof(fc.array(real(1e-3, 1e3), { minLength: 0, maxLength: 8 }), fc.array(fc.double(), { maxLength: 6 }), junk),
    record({ rotation: pick(['none', 'haar']), normalizeTrace: pick([true, false]) }),
    (values, o) => {
      const cov = attempt(() => covarianceFromSpectrum(values as number[], { ...o, rng: new Rng(1) } as never), ['values', 'd', 'eigenvalue', 'κ', 'normalizeTrace', 'rotation', ...Object.keys(o)], 'covarianceFromSpectrum');
      if (!cov) return;
      assert.equal(cov.d, (values as number[]).length);
      assert.ok(Number.isFinite(cov.kappa));
    }));
});

test('fuzz: Model A teachers, transfer tasks and their batches', () => {
  const cov = makeCovariance({ family: 'geometric', d: 6, kappa: 10, rotation: 'haar' }, new Rng(5));
  const opts = record({ k: small(1, 7), dy: small(1, 8), kappaF: real(1, 100), noise: real(0, 3), tasks: small(1, 3), law: pick(['gaussian', 'rademacher']) });
  run('makeLinearTeacher', fc.property(opts, small(1, 20), (o, n) => {
    const names = [...Object.keys(o), 'k', 'dy', 'cov'];
    const t = attempt(() => makeLinearTeacher({ cov, ...o } as never, new Rng(9)), names, `makeLinearTeacher(${JSON.stringify(o)})`);
    if (!t) return;
    assert.equal(t.k, o.k); assert.equal(t.dy, o.dy);
    assert.ok(same(t.kappaF, o.kappaF ?? 1)); assert.ok(same(t.noise, o.noise ?? 0));
    assert.equal(t.heads.length, o.tasks ?? 1); assert.equal(t.law, o.law ?? 'gaussian');
    const b = attempt(() => sampleLinear(t, n as number, new Rng(3)), ['n'], 'sampleLinear');
    if (b) { assert.equal(b.X.rows, n); for (const v of b.Y.data) assert.ok(Number.isFinite(v)); }
  }));
  run('makeTransferTask', fc.property(record({ targetKappaF: real(1, 50), targetNoise: real(0, 2) }), (o) => {
    const t = attempt(() => makeTransferTask({ cov, k: 2, dy: 3, ...o } as never, new Rng(4)), [...Object.keys(o), 'k', 'dy'], 'makeTransferTask');
    if (!t) return;
    assert.ok(same(t.target.kappaF, o.targetKappaF ?? 1)); assert.ok(same(t.target.noise, o.targetNoise ?? 0));
  }));
  run('sampleInputs', fc.property(small(1, 30), pick(['gaussian', 'rademacher']), (n, law) => {
    const X = attempt(() => sampleInputs(cov, n as number, new Rng(2), law as never), ['n', 'law'], 'sampleInputs');
    if (X) { assert.equal(X.rows, n); assert.equal(X.cols, 6); }
  }));
});

test('fuzz: Model B teachers (named and custom links) and their batches', () => {
  const cov = makeCovariance({ family: 'spiked', d: 5, theta: 3 });
  const links = [
    'relu', 'tanh', 'poly', 'linear',
    { name: 'cube', f: (x: number) => x ** 3, df: (x: number) => 3 * x * x },
    { name: 'nan', f: (x: number) => (x > 2 ? Number.NaN : x), df: () => 1 },
    { name: 'huge', f: (x: number) => Math.exp(x * x * 400), df: () => 1 },
  ];
  const opts = record({
    link: fc.oneof(fc.constantFrom(...links), junk), noise: real(0, 2), law: pick(['gaussian', 'rademacher']),
    poly: fc.oneof(record({ a1: real(-2, 2), a2: real(-2, 2) }), junk),
    direction: fc.oneof(fc.constant('random'), fc.constant({ eigenvector: 0 }), fc.array(real(-1, 1), { minLength: 5, maxLength: 5 }), junk),
  });
  run('makeSingleIndexTeacher', fc.property(opts, small(1, 20), (o, n) => {
    const names = [...Object.keys(o), 'link', 'cov', 'c1', 'direction'];
    const t = attempt(() => makeSingleIndexTeacher({ cov, ...o } as never, new Rng(8)), names, `makeSingleIndexTeacher(${JSON.stringify(o)})`);
    if (!t) return;
    assert.ok(same(t.noise, o.noise ?? 0)); assert.equal(t.law, o.law ?? 'gaussian');
    for (const v of [t.c1, t.s2, t.r2, t.mean, t.m4]) assert.ok(Number.isFinite(v), 'finite moments');
    const b = attempt(() => sampleSingleIndex(t, n as number, new Rng(1)), ['n', 'link'], 'sampleSingleIndex');
    if (b) for (const v of b.y) assert.ok(Number.isFinite(v));
  }));
});

// ------------------------------------------------------------------------------------------ models

test('fuzz: the single-index network and its one-step update', () => {
  const cov = makeCovariance({ family: 'geometric', d: 4, kappa: 5 });
  const t = makeSingleIndexTeacher({ cov, link: 'relu' }, new Rng(1));
  const b = sampleSingleIndex(t, 12, new Rng(2));
  run('initSingleIndexNet', fc.property(small(1, 6), small(1, 6),
    record({ activation: pick(['relu', 'tanh', 'softplus', 'linear']), secondLayer: pick(['rademacher', 'gaussian']), batchNorm: pick([true, false]), bnEps: real(0, 1) }),
    (d, N, o) => {
      const net = attempt(() => initSingleIndexNet(d as number, N as number, new Rng(3), o as never), ['d', 'N', ...Object.keys(o)], 'initSingleIndexNet');
      if (!net) return;
      assert.equal(net.W.rows, N); assert.equal(net.W.cols, d);
      assert.equal(net.activation, o.activation ?? 'relu'); assert.equal(net.batchNorm, o.batchNorm ?? false);
      assert.ok(same(net.bnEps, o.bnEps ?? 1e-5));
    }));
  const net = initSingleIndexNet(4, 3, new Rng(4));
  run('oneStep', fc.property(pick(['plain', 'preconditioned', 'adam']), record({ eta: real(0, 2), lambda: real(0, 1), eps: real(0, 1) }), (kind, o) => {
    const r = attempt(() => oneStep(net, b.X, b.y, kind as never, o as never), ['kind', 'eta', 'lambda', 'eps', ...Object.keys(o)], `oneStep(${String(kind)}, ${JSON.stringify(o)})`);
    if (r) assert.equal(r.net.W.rows, 3);
  }));
});

// ------------------------------------------------------------------------------------------ optimizers

test('fuzz: makeOptimizer (every optimizer, its options, misspellings, undefined values)', () => {
  const declared = new Map(optimizerNames().map((n) => [n, Object.keys(makeOptimizer(n, {}).options)]));
  const extra = ['lr', 'lrF', 'lrG', 'momentum', 'nesterov', 'beta1', 'beta2', 'eps', 'damping', 'leftFactor', 'exponent', 'sides', 'weightDecay'];
  const optValue = fc.oneof(real(0, 1), fc.constantFrom('gn', 'identity', 'smaller', 'both', 'empirical', 'population', 'newton-schulz', 'svd', true, false, undefined), junk);
  run('makeOptimizer', fc.property(
    fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...optimizerNames()) }, { weight: 1, arbitrary: junk }),
    fc.dictionary(fc.oneof(fc.constantFrom(...extra), misspelt), optValue, { maxKeys: 3 }),
    (name, o) => {
      const opt = attempt(() => makeOptimizer(name as string, o), ['optimizer', ...Object.keys(o)], `makeOptimizer(${String(name)}, ${JSON.stringify(o)})`);
      if (!opt) return;
      for (const [k, v] of Object.entries(o)) {
        assert.ok(declared.get(name as string)!.includes(k) || k in opt.options, `option '${k}' accepted by ${String(name)} but not in force`);
        assert.ok(same(opt.options[k], v), `option '${k}' = ${String(v)} given, ${String(opt.options[k])} in force`);
      }
    }));
});

// ------------------------------------------------------------------------------------------ metrics

test('fuzz: metrics', () => {
  const mat = fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 5 }), fc.array(fc.oneof(fc.double({ min: -3, max: 3, noNaN: true }), junk), { minLength: 20, maxLength: 20 }))
    .map(([r, c, xs]) => new Mat(r, c, Float64Array.from(xs.slice(0, r * c).map((x) => (typeof x === 'number' ? x : Number(x))))));
  run('subspaceDistance/principalAngles', fc.property(mat, mat, (A, B) => {
    const d = attempt(() => subspaceDistance(A, B), ['G', 'd'], 'subspaceDistance');
    if (d !== undefined) assert.ok(d >= 0 && d <= 1);
    const a = attempt(() => principalAngles(A, B), ['A', 'B', 'G', 'd'], 'principalAngles');
    if (a) for (const x of a) assert.ok(x >= 0 && x <= Math.PI / 2 + 1e-12);
  }));
  run('cosine/mse', fc.property(fc.array(fc.oneof(fc.double(), junk), { maxLength: 5 }), fc.array(fc.oneof(fc.double(), junk), { maxLength: 5 }), (u, v) => {
    const c = attempt(() => cosine(u as number[], v as number[]), ['lengths', 'vectors', 'u', 'v'], 'cosine');
    if (c !== undefined) assert.ok(Math.abs(c) <= 1 + 1e-12, `cosine ${c}`);
    const m = attempt(() => mse(u as number[], v as number[]), ['sizes', 'sample', 'pred', 'y'], 'mse');
    if (m !== undefined) assert.ok(m >= 0 && Number.isFinite(m), `mse ${m}`);
  }));
  const cov = makeCovariance({ family: 'geometric', d: 4, kappa: 5 });
  const teacher = makeLinearTeacher({ cov, k: 2, dy: 2 }, new Rng(1));
  const G = new Rng(2).normalMat(2, 4);
  run('fitHead/transferLoss', fc.property(real(0, 1), record({ nFit: small(1, 20), nTest: small(1, 20), ridge: real(0, 1), task: small(0, 1) }), (ridge, o) => {
    const F = attempt(() => fitHead(G, sampleLinear(teacher, 8, new Rng(3)), ridge as number), ['ridge'], 'fitHead');
    if (F) assert.equal(F.rows, 2);
    const L = attempt(() => transferLoss(G, teacher, new Rng(4), o as never), ['nFit', 'nTest', 'ridge', 'task', 'n', ...Object.keys(o)], `transferLoss(${JSON.stringify(o)})`);
    if (L !== undefined) assert.ok(L >= 0 && Number.isFinite(L));
  }));
});

// ------------------------------------------------------------------------------------------ grids and knobs

test('fuzz: sweep grids of every registered experiment (--set values, unknown axes)', async () => {
  const exps = await Promise.all(experimentNames().map((n) => loadRegistered(n)));
  const jsonish: fc.Arbitrary<unknown> = fc.oneof(
    junk, fc.jsonValue({ maxDepth: 2 }),
    fc.record({ optimizer: fc.oneof(fc.constantFrom(...optimizerNames(), 'sgd+bn', 'adam+bn'), junk), lr: real(0, 2) }, { requiredKeys: [] }),
    fc.array(real(0, 10), { maxLength: 4 }),
  );
  run('effectiveGrid', fc.property(fc.integer({ min: 0, max: exps.length - 1 }), fc.oneof(fc.nat(), misspelt), jsonish, (ei, axisPick, value) => {
    const e = exps[ei];
    const axes = Object.keys(e.grid.axes);
    const axis = typeof axisPick === 'number' ? axes[axisPick % axes.length] : axisPick;
    const g = attempt(() => effectiveGrid(e, { set: { [axis]: [value as never] } }), [axis], `${e.name} --set ${axis}=${JSON.stringify(value)}`);
    if (!g) return;
    // accepted: every cell carries exactly the value given
    const cells = expandGrid(e, g);
    for (const c of cells) assert.equal(canonicalJson(c.params[axis]), canonicalJson(value as never));
    // and the library accepts what the grid accepted (no grid value that would crash or be relabelled)
    if (axis === 'run') {
      const { optimizer, lr } = value as { optimizer: string; lr: number };
      assert.doesNotThrow(() => makeOptimizer(optimizer.replace(/\+bn$/, ''), { lr }));
      assert.ok(!optimizer.endsWith('+bn') || optimizer === 'sgd+bn');
    }
    if (axis === 'method') assert.doesNotThrow(() => makeOptimizer(value as string, {}));
  }), 300);
});

test('fuzz: notebook overrides (checkKnobs)', () => {
  const knobs = {
    kappa: { type: 'number', default: 100, min: 1, doc: 'κ' },
    steps: { type: 'integer', default: 50, min: 1, max: 1000, doc: 'steps' },
    lr: { type: 'number', default: 0.1, above: 0, doc: 'step size' },
    kappas: { type: 'number[]', default: [1, 10], min: 1, minLength: 1, maxLength: 4, doc: 'κ grid' },
    widths: { type: 'integer[]', default: [8], min: 1, doc: 'N grid' },
    rotation: { type: 'choice', default: 'haar', options: ['haar', 'none'], doc: 'rotation' },
    bn: { type: 'boolean', default: false, doc: 'batch-norm' },
  } as const;
  const story = { notebook: 'fuzz', title: 'fuzz', knobs, sweeps: () => ({}), analyze: () => ({}), figures: {}, claims: () => [] } as unknown as Story<typeof knobs, unknown>;
  const value = fc.oneof(junk, fc.array(fc.oneof(real(0, 2000), junk), { maxLength: 5 }), fc.constantFrom('haar', 'none'));
  run('checkKnobs', fc.property(fc.dictionary(fc.oneof(fc.constantFrom(...Object.keys(knobs)), misspelt), value, { maxKeys: 3 }), (o) => {
    const v = attempt(() => checkKnobs(story, o), Object.keys(o), `checkKnobs(${JSON.stringify(o)})`);
    if (!v) return;
    for (const [k, x] of Object.entries(o)) assert.equal(canonicalJson((v as unknown as Record<string, never>)[k]), canonicalJson(x as never), `knob ${k} in force`);
    for (const k of Object.keys(knobs)) if (!(k in o)) assert.deepEqual((v as Record<string, unknown>)[k], knobs[k as keyof typeof knobs].default);
  }), 300);
});

test('fuzz: cases tried', (t) => {
  t.diagnostic(`seed ${SEED}: ${stats.cases} calls (${stats.accepted} accepted and checked, ${stats.refused} refused naming the parameter)`);
  assert.ok(stats.cases > 1000);
});
