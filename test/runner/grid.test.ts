import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson, JsonValueError } from '../../src/sweep/canonical.js';
import {
  deriveSeed, effectiveGrid, expandGrid, GridError, isDeclaredGrid, parseShard, shardCells, validateExperiment,
} from '../../src/sweep/grid.js';
import { experimentNames, loadRegistered, REGISTRY, UnknownExperimentError } from '../../src/experiments/registry.js';
import { defineExperiment, type Experiment } from '../../src/sweep/types.js';
import { experimentSourceFile } from '../../src/node/locate.js';
import { existsSync } from 'node:fs';

const exp = (over: Partial<Record<string, unknown>> = {}): Experiment => ({
  name: 'g', version: '1', grid: { axes: { a: [1, 2], b: ['x', 'y', 'z'] }, seeds: 2 }, run: () => null, ...over,
} as Experiment);

test('canonical JSON sorts keys at every depth and keeps array order', () => {
  assert.equal(canonicalJson({ b: 1, a: [3, { d: 1, c: 2 }], 'x y': null }), '{"a":[3,{"c":2,"d":1}],"b":1,"x y":null}');
  assert.equal(canonicalJson({ a: 1, b: 2 }), canonicalJson({ b: 2, a: 1 }));
  assert.equal(canonicalJson(0.1 + 0.2), '0.30000000000000004');
  assert.equal(canonicalJson(-0), '0');
  const x = 1 / 3;
  assert.equal(JSON.parse(canonicalJson(x)), x);
});

test('canonical JSON refuses what JSON cannot hold and says where it is', () => {
  const cases: [unknown, RegExp][] = [
    [{ loss: [1, Number.NaN] }, /value\.loss\[1\] is NaN/],
    [{ a: Infinity }, /value\.a is Infinity/],
    [{ a: undefined }, /value\.a is undefined/],
    [{ f: () => 1 }, /value\.f is a function/],
    [{ t: new Float64Array(2) }, /value\.t is a Float64Array/],
    [{ d: new Date(0) }, /value\.d is a Date/],
    [{ m: new Map() }, /value\.m is a Map/],
    [{ b: 1n }, /bigint/],
    [{ 'odd key': Number.NaN }, /value\["odd key"\] is NaN/],
  ];
  for (const [v, re] of cases) assert.throws(() => canonicalJson(v), (e: unknown) => e instanceof JsonValueError && re.test((e as Error).message), String(re));
  const cyc: Record<string, unknown> = {};
  cyc.self = cyc;
  assert.throws(() => canonicalJson(cyc), /cycle/);
  // a repeated (not cyclic) reference is fine
  const shared = { k: 1 };
  assert.equal(canonicalJson([shared, shared]), '[{"k":1},{"k":1}]');
});

test('grid expands in declared axis order, first axis slowest, replicates innermost', () => {
  const cells = expandGrid(exp());
  assert.equal(cells.length, 12);
  assert.deepEqual(cells.map((c) => c.index), [...Array(12).keys()]);
  assert.deepEqual(cells.slice(0, 4).map((c) => [c.params.a, c.params.b, c.replicate]), [[1, 'x', 0], [1, 'x', 1], [1, 'y', 0], [1, 'y', 1]]);
  assert.deepEqual([cells[11].params, cells[11].replicate], [{ a: 2, b: 'z' }, 1]);
  // no axes: one point
  assert.equal(expandGrid(exp({ grid: { axes: {}, seeds: 3 } })).length, 3);
});

test('seeds depend on name, params and replicate only: not on order, position or version', () => {
  const s = deriveSeed('e', { a: 1, b: 'x' }, 0);
  assert.ok(Number.isSafeInteger(s) && s >= 0);
  assert.equal(deriveSeed('e', { b: 'x', a: 1 }, 0), s);
  assert.notEqual(deriveSeed('e', { a: 1, b: 'x' }, 1), s);
  assert.notEqual(deriveSeed('f', { a: 1, b: 'x' }, 0), s);
  assert.notEqual(deriveSeed('e', { a: 2, b: 'x' }, 0), s);
  // the same grid point keeps its seed when the axes grow or are reordered
  const small = expandGrid(exp());
  const big = expandGrid(exp({ version: '2', grid: { axes: { b: ['w', 'x', 'y', 'z'], a: [0, 1, 2] }, seeds: 3 } }));
  for (const c of small) {
    const same = big.find((d) => canonicalJson(d.params) === canonicalJson(c.params) && d.replicate === c.replicate)!;
    assert.equal(same.seed, c.seed);
  }
  const seeds = new Set(big.map((c) => c.seed));
  assert.equal(seeds.size, big.length, 'distinct seeds');
});

test('invalid grids are refused, naming the parameter', () => {
  assert.throws(() => validateExperiment(exp({ grid: { axes: { a: [], b: [1] }, seeds: 1 } })), /axis 'a' of experiment 'g' is empty/);
  assert.throws(() => validateExperiment(exp({ grid: { axes: { a: [1, Number.NaN] }, seeds: 1 } })), /parameter a\[1\] is NaN/);
  assert.throws(() => validateExperiment(exp({ grid: { axes: { a: [1, undefined] }, seeds: 1 } })), /parameter a\[1\] is undefined/);
  assert.throws(() => validateExperiment(exp({ grid: { axes: { a: [1, { x: 2 }, { x: 2 }] }, seeds: 1 } })), /axis 'a' of experiment 'g' lists \{"x":2\} twice \(positions 1 and 2\)/);
  assert.throws(() => validateExperiment(exp({ grid: { axes: { a: 3 }, seeds: 1 } })), /axis 'a'.*must be an array/);
  assert.throws(() => validateExperiment(exp({ grid: { axes: { 'a-b': [1] }, seeds: 1 } })), /parameter name 'a-b'/);
  assert.throws(() => validateExperiment(exp({ grid: { axes: { a: [1] }, seeds: 0 } })), /grid.seeds must be an integer >= 1/);
  assert.throws(() => validateExperiment(exp({ name: 'bad/name' })), /name must be/);
  assert.throws(() => validateExperiment(exp({ version: '' })), /version must be a non-empty string/);
  assert.throws(() => validateExperiment(exp({ run: 3 })), /run must be a function/);
  assert.throws(() => validateExperiment(exp({ params: { c: { type: 'integer' } } })), /domain for 'c', which is not a parameter; parameters: a, b/);
  assert.throws(() => validateExperiment(exp({ params: { a: { oneOf: [2, 3] } } })), /parameter 'a' = 1 is not allowed; allowed values: 2, 3/);
  assert.throws(() => validateExperiment(exp(), 'other'), /registry entry 'other' loads an experiment named 'g'/);
  assert.throws(() => validateExperiment(null), GridError);
});

test('overrides: unknown names list the parameters, domains list the allowed values', () => {
  const e = validateExperiment(exp({ params: { a: { type: 'integer', min: 1, max: 5 }, b: { oneOf: ['x', 'y', 'z', 'w'] } } }));
  const g = effectiveGrid(e, { set: { a: [5, 3] }, seeds: 1 });
  assert.deepEqual(g.axes.a, [5, 3]);
  assert.equal(g.seeds, 1);
  assert.equal(isDeclaredGrid(e, g), false);
  assert.equal(isDeclaredGrid(e, effectiveGrid(e, {})), true);
  assert.throws(() => effectiveGrid(e, { set: { c: [1] } }), /unknown parameter 'c' for experiment 'g'; its parameters are: a, b/);
  assert.throws(() => effectiveGrid(e, { set: { a: [] } }), /--set a: axis 'a' of experiment 'g' is empty/);
  assert.throws(() => effectiveGrid(e, { set: { a: [6] } }), /parameter 'a' = 6 is not allowed; allowed: an integer >= 1 and <= 5/);
  assert.throws(() => effectiveGrid(e, { set: { a: [2.5] } }), /parameter 'a' = 2.5 is not allowed/);
  assert.throws(() => effectiveGrid(e, { set: { b: ['v'] } }), /parameter 'b' = "v" is not allowed; allowed values: "x", "y", "z", "w"/);
  assert.throws(() => effectiveGrid(e, { seeds: 0 }), /--seeds must be an integer >= 1/);
  assert.throws(() => effectiveGrid(e, { set: { a: [1, 1] } }), /lists 1 twice/);
});

test('shards partition the grid by cell index, whatever n', () => {
  const cells = expandGrid(exp());
  for (const n of [1, 2, 3, 5, 12, 13]) {
    const parts = Array.from({ length: n }, (_, i) => shardCells(cells, { index: i, count: n }));
    const seen = parts.flat().map((c) => c.index).sort((x, y) => x - y);
    assert.deepEqual(seen, cells.map((c) => c.index), `n=${n}`);
    parts.forEach((p, i) => assert.ok(p.every((c) => c.index % n === i)));
  }
  assert.deepEqual(parseShard('2/3'), { index: 2, count: 3 });
  for (const bad of ['3/3', '1', '-1/3', '1/0', 'a/b', '']) assert.throws(() => parseShard(bad), /--shard must be i\/n with integers 0 <= i < n/, bad);
});

test('registry: every entry loads, carries its own name, and points at its source file', async () => {
  assert.ok(experimentNames().includes('demo-gaussian-moments'));
  for (const name of experimentNames()) {
    const e = await loadRegistered(name);
    assert.equal(e.name, name);
    assert.ok(existsSync(experimentSourceFile(REGISTRY[name].module)), REGISTRY[name].module);
  }
  await assert.rejects(loadRegistered('no-such-thing'), (e: unknown) => e instanceof UnknownExperimentError && /unknown experiment 'no-such-thing'; known experiments: .*demo-gaussian-moments/.test((e as Error).message));
});

test('defineExperiment types run from the axes (compile-time check) and is the identity', () => {
  const def = defineExperiment({ name: 't', version: '1', grid: { axes: { n: [1, 2], s: ['a'] }, seeds: 1 }, run: ({ n, s }) => ({ v: n * 2, s }) });
  assert.equal(validateExperiment(def).name, 't');
});

test('firstReplicate: seed 0 keeps the replicate indices 0..seeds-1; another base seed gives disjoint replicates and seeds', async () => {
  const { effectiveGrid, expandGrid, SEED_STRIDE } = await import('../../src/sweep/grid.js');
  const e = (await import('../../src/experiments/demo-gaussian-moments.js')).default;
  const base = expandGrid(e, effectiveGrid(e, { seeds: 2 }));
  const same = expandGrid(e, effectiveGrid(e, { seeds: 2, firstReplicate: 0 }));
  assert.deepEqual(same, base);
  const other = expandGrid(e, effectiveGrid(e, { seeds: 2, firstReplicate: SEED_STRIDE }));
  assert.deepEqual(other.map((c) => c.replicate).slice(0, 2), [SEED_STRIDE, SEED_STRIDE + 1]);
  const seeds = new Set(base.map((c) => c.seed));
  assert.ok(other.every((c) => !seeds.has(c.seed)));
  assert.throws(() => effectiveGrid(e, { firstReplicate: -1 }), /firstReplicate must be an integer >= 0/);
});
