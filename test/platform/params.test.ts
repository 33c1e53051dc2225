/** Parameters: parsing the `parameters` cell, checking `name=value` overrides, injecting them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseParameters, parseOverrides, checkOverrides, injectParameters, injectedSource, literal, literalUnion,
  ParamError, INJECTED_TAG, type Json,
} from '../../tools/lib/params.js';
import { text, type Notebook } from '../../tools/lib/ipynb.js';

const CELL = `// knobs
const seed = 0;        // a comment
const kappa: number = 100;
const method: 'sgd' | 'kfac' = 'kfac';
let widths = [8, 16, 32];
const opts = { lr: 0.5, damping: 1e-3, name: "x;y" };
const flag = true, label = 'a "quoted" // not a comment';
/* block
   comment */ const nothing = null;
const neg = -2.5e-3
const tags: string[] = []
`;

function nb(source = CELL, extra: Notebook['cells'] = []): Notebook {
  return {
    nbformat: 4, nbformat_minor: 5,
    metadata: { kernelspec: { name: 'layerwise-precond', display_name: 'TS' } },
    cells: [
      { cell_type: 'markdown', id: 'm', metadata: {}, source: '# T' },
      { cell_type: 'code', id: 'p', metadata: { tags: ['parameters'] }, source, outputs: [], execution_count: null },
      { cell_type: 'code', id: 'c', metadata: {}, source: 'console.log(seed)', outputs: [], execution_count: null },
      ...extra,
    ],
  };
}

/** Evaluate injected TypeScript whose declarations carry no annotations, and return the bindings. */
function evalInjected(src: string, names: string[]): Record<string, unknown> {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function(`${src}\nreturn { ${names.join(', ')} };`)() as Record<string, unknown>;
}

test('parseParameters reads names, annotations and JSON defaults', () => {
  const ds = parseParameters(CELL);
  assert.deepEqual(ds.map((d) => d.name), ['seed', 'kappa', 'method', 'widths', 'opts', 'flag', 'label', 'nothing', 'neg', 'tags']);
  const by = Object.fromEntries(ds.map((d) => [d.name, d]));
  assert.equal(by.seed!.value, 0);
  assert.equal(by.kappa!.annotation, 'number');
  assert.equal(by.method!.annotation, "'sgd' | 'kfac'");
  assert.equal(by.method!.value, 'kfac');
  assert.equal(by.widths!.keyword, 'let');
  assert.deepEqual(by.widths!.value, [8, 16, 32]);
  assert.deepEqual(by.opts!.value, { lr: 0.5, damping: 1e-3, name: 'x;y' });
  assert.equal(by.label!.value, 'a "quoted" // not a comment');
  assert.equal(by.nothing!.value, null);
  assert.equal(by.neg!.value, -2.5e-3);
  assert.equal(by.tags!.annotation, 'string[]');
  assert.equal(by.kappa!.line, 3);
});

test('parseParameters refuses anything but literal declarations, naming the line', () => {
  assert.throws(() => parseParameters('const a = 1;\nconst b = a + 1;'), (e: Error) => e instanceof ParamError && /line 2/.test(e.message) && /JSON literal/.test(e.message));
  assert.throws(() => parseParameters('const a = 1;\nconsole.log(a);'), /line 2.*only declarations/);
  assert.throws(() => parseParameters('const a = 1;\nconst a = 2;'), /declared twice/);
  assert.throws(() => parseParameters('const s = "open'), /unterminated string/);
  assert.throws(() => parseParameters('const f = Math.PI;'), /JSON literal/);
});

test('parseOverrides takes name=value with JSON values, and says how to quote a bare string', () => {
  const o = parseOverrides(['seed=3', 'method="sgd"', 'opts={"lr":1,"damping":0,"name":"z"}', 'label=""']);
  assert.equal(o.get('seed')!.value, 3);
  assert.equal(o.get('method')!.value, 'sgd');
  assert.equal(o.get('label')!.value, '');
  assert.throws(() => parseOverrides(['method=sgd']), (e: Error) => /not JSON/.test(e.message) && /method='"sgd"'/.test(e.message));
  assert.throws(() => parseOverrides(['seed']), /not of the form name=value/);
  assert.throws(() => parseOverrides(['seed=1', 'seed=2']), /given twice/);
  assert.throws(() => parseOverrides(['a-b=1']), /not a parameter name/);
});

test('checkOverrides refuses unknown names and wrong types with clear messages', () => {
  const ds = parseParameters(CELL);
  const check = (...args: string[]) => checkOverrides(ds, parseOverrides(args), 'notebooks/x.ipynb');
  assert.throws(() => check('sede=1'), (e: Error) => /unknown parameter 'sede'/.test(e.message) && /notebooks\/x\.ipynb takes: seed \(default 0\)/.test(e.message));
  assert.throws(() => check('seed="1"'), /parameter 'seed' must be a number like the default 0; got string "1"/);
  assert.throws(() => check('kappa=true'), /parameter 'kappa' must be a number/);
  assert.throws(() => check('method="adam"'), /parameter 'method' must be one of "sgd" \| "kfac"; got "adam"/);
  assert.throws(() => check('widths=[8,"16"]'), /'widths' must be a number at \[1\]/);
  assert.throws(() => check('widths=8'), /must be an array/);
  assert.throws(() => check('opts={"lr":1}'), /lacks keys 'damping', 'name'/);
  assert.throws(() => check('opts={"lr":1,"damping":0,"name":"a","extra":1}'), /unknown key 'extra'/);
  assert.throws(() => check('opts={"lr":"1","damping":0,"name":"a"}'), /must be a number at \.lr/);
  assert.throws(() => check('tags=[1]'), /must be an array of string; element 0 is number/);
  // every error at once
  assert.throws(() => check('seed="x"', 'bogus=1'), (e: Error) => e.message.split('\n').length === 2);
  // fitting values pass, in declaration order
  const ok = check('widths=[1]', 'method="sgd"', 'tags=["a"]', 'nothing={"any":[1]}', 'seed=7');
  assert.deepEqual(ok.map((v) => v.decl.name), ['seed', 'method', 'widths', 'nothing', 'tags']);
});

test('literalUnion recognises unions of literals only', () => {
  assert.deepEqual(literalUnion("'a' | 'b'"), ['a', 'b']);
  assert.deepEqual(literalUnion('1 | 2 | 4'), [1, 2, 4]);
  assert.equal(literalUnion('number'), undefined);
  assert.equal(literalUnion("'a' | string"), undefined);
});

test('injected values are re-serialised JSON, never the text given', () => {
  const hostile: Json[] = [
    '"; process.exit(1); "',
    "'); throw new Error('x'); ('",
    '`${process.exit(1)}`',
    '*/ process.exit(1) /*',
    'line\nbreak\u2028sep\u2029end\\',
    '</script>',
  ];
  for (const v of hostile) {
    const ds = parseParameters("const label = 'a';");
    const src = injectedSource(checkOverrides(ds, parseOverrides([`label=${JSON.stringify(v)}`])));
    assert.equal(evalInjected(src, ['label']).label, v, `round trip of ${JSON.stringify(v)}`);
    assert.equal(src.split('\n').length, 2, 'one line per value: a value cannot open a new statement line');
  }
  // The raw text is not what is written: whitespace and number spelling are canonicalised.
  const ds = parseParameters('const x = 0; const o = { a: [1] };');
  const src = injectedSource(checkOverrides(ds, parseOverrides(['x=1.50e+1', 'o={ "a" : [ 2 ,3 ] }'])));
  assert.match(src, /const x = 15;/);
  assert.match(src, /const o = \{"a":\[2,3\]\};/);
  assert.deepEqual(evalInjected(src, ['x', 'o']), { x: 15, o: { a: [2, 3] } });
  assert.throws(() => literal(JSON.parse('{"__proto__": 1}') as Json), /__proto__/);
});

test('injectParameters adds one tagged cell after the parameters cell and replaces an older one', () => {
  const once = injectParameters(nb(), ['seed=5', 'method="sgd"'], 'x.ipynb');
  assert.equal(once.cells.length, 4);
  const cell = once.cells[2]!;
  assert.equal(cell.cell_type, 'code');
  assert.deepEqual(cell.metadata.tags, [INJECTED_TAG]);
  assert.equal(cell.id, INJECTED_TAG);
  const src = text(cell.source);
  assert.match(src, /^const seed = 5;$/m);
  assert.match(src, /^const method: 'sgd' \| 'kfac' = "sgd";$/m);
  assert.doesNotMatch(src, /kappa/, 'only overridden names are re-declared');
  const twice = injectParameters(once, ['seed=6'], 'x.ipynb');
  assert.equal(twice.cells.filter((c) => c.metadata.tags?.includes(INJECTED_TAG)).length, 1);
  assert.match(text(twice.cells[2]!.source), /const seed = 6;/);
  assert.equal(injectParameters(once, [], 'x.ipynb').cells.length, 3, 'no overrides: the old injected cell goes');
  assert.equal(nb().cells.length, 3, 'the input notebook is not modified');
});

test('injectParameters: the parameters cell must be the first code cell; none means no parameters', () => {
  const bad = nb();
  bad.cells.splice(1, 0, { cell_type: 'code', metadata: {}, source: 'let a = 1', outputs: [], execution_count: null });
  assert.throws(() => injectParameters(bad, ['seed=1'], 'x.ipynb'), /must be the first code cell/);
  const none = nb();
  none.cells[1]!.metadata = {};
  assert.throws(() => injectParameters(none, ['seed=1'], 'x.ipynb'), /no cell tagged 'parameters'/);
  assert.equal(injectParameters(none, [], 'x.ipynb').cells.length, 3);
});
