/**
 * Notebook parameters, as papermill has them, for TypeScript notebooks.
 *
 * The first code cell tagged `parameters` holds the notebook's knobs, one declaration each:
 *
 *     const seed = 0;                       // a JSON literal after `=`
 *     const kappa: number = 100;            // an optional type annotation
 *     const method: 'sgd' | 'kfac' = 'kfac';
 *     const widths = [8, 16, 32];
 *
 * `name=value` overrides (value as JSON) are checked against these defaults — an unknown name, a value
 * that is not JSON, or a value of another type than the default is refused — and then injected as a
 * new cell, tagged `injected-parameters`, right after the parameters cell. The injected cell
 * re-declares each overridden name with the value re-serialised from its parsed JSON form: the text
 * given on the command line is never copied into code.
 *
 * Browser-safe: the site's "Download as notebook" injects the page's values with the same code.
 */
import { text, lines, hasTag, type Notebook, type CodeCell } from './format.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface ParamDecl {
  name: string;
  keyword: 'const' | 'let' | 'var';
  /** The annotation's text as written, without the colon; undefined when there is none. */
  annotation?: string;
  value: Json;
  /** 1-based line of the declaration in the cell. */
  line: number;
  /** Its comment: the `// ...` after it on its line, else the `//` lines right above it. */
  doc?: string;
}

export class ParamError extends Error {
  override name = 'ParamError';
}

export const PARAMETERS_TAG = 'parameters';
export const INJECTED_TAG = 'injected-parameters';

// ---------------------------------------------------------------------------------------------
// Parsing the parameters cell

class Scanner {
  pos = 0;
  constructor(readonly src: string, readonly where: string) {}
  line(at = this.pos): number { return this.src.slice(0, at).split('\n').length; }
  fail(msg: string, at = this.pos): never {
    throw new ParamError(`${this.where}, line ${this.line(at)}: ${msg}`);
  }
  /** Skip whitespace and comments. */
  skip(): void {
    const s = this.src;
    for (;;) {
      while (this.pos < s.length && /\s/.test(s[this.pos]!)) this.pos++;
      if (s.startsWith('//', this.pos)) {
        const nl = s.indexOf('\n', this.pos);
        this.pos = nl < 0 ? s.length : nl + 1;
      } else if (s.startsWith('/*', this.pos)) {
        const end = s.indexOf('*/', this.pos + 2);
        if (end < 0) this.fail('unterminated comment');
        this.pos = end + 2;
      } else return;
    }
  }
  eof(): boolean { this.skip(); return this.pos >= this.src.length; }
  peek(): string { this.skip(); return this.src[this.pos] ?? ''; }
  ident(): string {
    this.skip();
    const m = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(this.src.slice(this.pos));
    if (!m) this.fail(`expected a name, found '${this.src.slice(this.pos, this.pos + 12)}'`);
    this.pos += m[0].length;
    return m[0];
  }
  expect(ch: string): void {
    if (this.peek() !== ch) this.fail(`expected '${ch}', found '${this.src.slice(this.pos, this.pos + 12) || 'end of cell'}'`);
    this.pos++;
  }
  /** The annotation text up to the `=` at bracket depth 0. */
  annotation(): string {
    const s = this.src, start = this.pos;
    let depth = 0;
    while (this.pos < s.length) {
      const c = s[this.pos]!;
      if (c === '"' || c === "'") { this.string(); continue; }
      if ('([{<'.includes(c)) depth++;
      else if (')]}>'.includes(c)) {
        // `=>` in a function type is not a closing bracket
        if (!(c === '>' && s[this.pos - 1] === '=')) depth--;
      } else if (c === '=' && depth === 0 && s[this.pos + 1] !== '>') break;
      this.pos++;
    }
    if (this.pos >= s.length) this.fail('expected \'=\' after the type annotation', start);
    return s.slice(start, this.pos).trim();
  }
  string(): string {
    const s = this.src, q = s[this.pos]!, start = this.pos;
    let out = '';
    this.pos++;
    for (;;) {
      if (this.pos >= s.length || s[this.pos] === '\n') this.fail('unterminated string', start);
      const c = s[this.pos]!;
      if (c === q) { this.pos++; return out; }
      if (c === '\\') {
        const e = s[this.pos + 1];
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '0': '\0', '\\': '\\', "'": "'", '"': '"', '/': '/' };
        if (e !== undefined && e in simple) { out += simple[e]; this.pos += 2; continue; }
        if (e === 'u') {
          const m = /^[0-9a-fA-F]{4}/.exec(s.slice(this.pos + 2));
          if (!m) this.fail('bad \\u escape');
          out += String.fromCharCode(parseInt(m[0], 16));
          this.pos += 6;
          continue;
        }
        this.fail(`unsupported escape '\\${e ?? ''}' in a parameter string`);
      }
      out += c;
      this.pos++;
    }
  }
  /** A JSON literal, also allowing single quotes, unquoted keys and trailing commas. */
  value(): Json {
    const c = this.peek();
    if (c === '"' || c === "'") return this.string();
    if (c === '[') {
      this.pos++;
      const arr: Json[] = [];
      while (this.peek() !== ']') {
        arr.push(this.value());
        if (this.peek() === ',') this.pos++;
        else if (this.peek() !== ']') this.fail("expected ',' or ']' in an array");
      }
      this.pos++;
      return arr;
    }
    if (c === '{') {
      this.pos++;
      const obj: { [k: string]: Json } = {};
      while (this.peek() !== '}') {
        const k = this.peek() === '"' || this.peek() === "'" ? this.string() : this.ident();
        this.expect(':');
        Object.defineProperty(obj, k, { value: this.value(), enumerable: true, writable: true, configurable: true });
        if (this.peek() === ',') this.pos++;
        else if (this.peek() !== '}') this.fail("expected ',' or '}' in an object");
      }
      this.pos++;
      return obj;
    }
    const rest = this.src.slice(this.pos);
    const num = /^-?(?:0|[1-9][0-9_]*)(?:\.[0-9_]+)?(?:[eE][+-]?[0-9]+)?(?![A-Za-z0-9_$.])/.exec(rest)
      ?? /^-?\.[0-9]+(?:[eE][+-]?[0-9]+)?(?![A-Za-z0-9_$.])/.exec(rest);
    if (num) { this.pos += num[0].length; return Number(num[0].replace(/_/g, '')); }
    const word = /^(true|false|null)(?![A-Za-z0-9_$])/.exec(rest);
    if (word) { this.pos += word[0].length; return word[1] === 'null' ? null : word[1] === 'true'; }
    this.fail(`a parameter's default must be a JSON literal (number, string, boolean, null, array, object); found '${rest.split('\n')[0]!.slice(0, 30)}'`);
  }
}

/** Parse a parameters cell's source into its declarations. */
export function parseParameters(source: string, where = 'parameters cell'): ParamDecl[] {
  const sc = new Scanner(source, where);
  const out: ParamDecl[] = [];
  const seen = new Set<string>();
  while (!sc.eof()) {
    const at = sc.pos;
    const word = sc.ident();
    if (word !== 'const' && word !== 'let' && word !== 'var') {
      sc.fail(`the parameters cell holds only declarations 'const name = <JSON literal>;' (found '${word}')`, at);
    }
    const kw = word as ParamDecl['keyword'];
    for (;;) {
      const nameAt = sc.pos;
      const name = sc.ident();
      if (seen.has(name)) sc.fail(`parameter '${name}' is declared twice`, nameAt);
      seen.add(name);
      let annotation: string | undefined;
      if (sc.peek() === ':') { sc.pos++; annotation = sc.annotation(); }
      sc.expect('=');
      const value = sc.value();
      out.push({ name, keyword: kw, annotation, value, line: sc.line(nameAt) });
      if (sc.peek() === ',') { sc.pos++; continue; }
      break;
    }
    if (sc.peek() === ';') sc.pos++;
    else if (!sc.eof() && sc.line(sc.pos) === out[out.length - 1]!.line) sc.fail("expected ';' or a new line after a declaration");
  }
  const srcLines = source.split('\n');
  for (const d of out) d.doc = declDoc(srcLines, d.line);
  return out;
}

/** The comment of the declaration on 1-based line `line`: trailing `// ...`, else the `//` lines above. */
function declDoc(srcLines: readonly string[], line: number): string | undefined {
  const own = srcLines[line - 1] ?? '';
  // A trailing comment: `//` outside a string literal.
  let quote = '';
  for (let i = 0; i < own.length; i++) {
    const c = own[i]!;
    if (quote) { if (c === '\\') i++; else if (c === quote) quote = ''; continue; }
    if (c === '"' || c === "'" || c === '`') { quote = c; continue; }
    if (c === '/' && own[i + 1] === '/') { const t = own.slice(i + 2).trim(); if (t) return t; break; }
  }
  const above: string[] = [];
  for (let l = line - 2; l >= 0; l--) {
    const m = /^\s*\/\/\s?(.*)$/.exec(srcLines[l]!);
    if (!m) break;
    above.unshift(m[1]!.trim());
  }
  const t = above.join(' ').trim();
  return t || undefined;
}

export function findParametersCell(nb: Notebook): { index: number; cell: CodeCell } | undefined {
  const index = nb.cells.findIndex((c) => c.cell_type === 'code' && hasTag(c, PARAMETERS_TAG));
  return index < 0 ? undefined : { index, cell: nb.cells[index] as CodeCell };
}

export function notebookParameters(nb: Notebook, where = 'notebook'): ParamDecl[] {
  const p = findParametersCell(nb);
  if (!p) return [];
  const first = nb.cells.findIndex((c) => c.cell_type === 'code');
  if (first !== p.index) throw new ParamError(`${where}: the cell tagged '${PARAMETERS_TAG}' must be the first code cell (it is code cell ${nb.cells.slice(0, p.index + 1).filter((c) => c.cell_type === 'code').length})`);
  return parseParameters(text(p.cell.source), `${where}, parameters cell`);
}

// ---------------------------------------------------------------------------------------------
// Checking overrides

export function jsonKind(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function describe(v: Json): string {
  const s = JSON.stringify(v);
  return s.length > 40 ? s.slice(0, 37) + '...' : s;
}

/** The literal members of an annotation like `'sgd' | 'kfac'` or `1 | 2 | 4`; undefined for other types. */
export function literalUnion(annotation: string): Json[] | undefined {
  const parts = annotation.split('|').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) return undefined;
  const vals: Json[] = [];
  for (const p of parts) {
    if (/^'[^'\\]*'$/.test(p) || /^"[^"\\]*"$/.test(p)) vals.push(p.slice(1, -1));
    else if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(p)) vals.push(Number(p));
    else if (p === 'true' || p === 'false') vals.push(p === 'true');
    else return undefined;
  }
  return vals;
}

const PRIMITIVE_ANNOTATIONS: Record<string, string> = { number: 'number', string: 'string', boolean: 'boolean' };

/** Check `value` against the declaration; returns an error message or undefined when it fits. */
export function typeError(decl: ParamDecl, value: Json): string | undefined {
  if (decl.annotation !== undefined) {
    const union = literalUnion(decl.annotation);
    if (union) {
      return union.some((u) => u === value) ? undefined
        : `must be one of ${union.map((u) => JSON.stringify(u)).join(' | ')}; got ${describe(value)}`;
    }
  }
  return shapeError(decl.value, value, decl.annotation?.trim());
}

function shapeError(def: Json, value: Json, annotation?: string, path = ''): string | undefined {
  const at = path ? ` at ${path}` : '';
  let want = jsonKind(def);
  if (annotation !== undefined) {
    const arr = /^(number|string|boolean)\[\]$/.exec(annotation) ?? /^Array<(number|string|boolean)>$/.exec(annotation);
    if (annotation in PRIMITIVE_ANNOTATIONS) want = PRIMITIVE_ANNOTATIONS[annotation]!;
    else if (arr) {
      if (!Array.isArray(value)) return `must be an array of ${arr[1]}${at}; got ${jsonKind(value)} ${describe(value)}`;
      const bad = value.findIndex((v) => jsonKind(v) !== arr[1]);
      return bad < 0 ? undefined : `must be an array of ${arr[1]}${at}; element ${bad} is ${jsonKind(value[bad]!)} ${describe(value[bad]!)}`;
    }
  }
  if (want === 'null') return undefined; // a null default declares no type
  const got = jsonKind(value);
  if (got !== want) return `must be ${want === 'array' || want === 'object' ? 'an' : 'a'} ${want}${at} like the default ${describe(def)}; got ${got} ${describe(value)}`;
  if (Array.isArray(def) && Array.isArray(value) && def.length > 0) {
    const kinds = new Set(def.map(jsonKind));
    if (kinds.size === 1) {
      for (let i = 0; i < value.length; i++) {
        const e = shapeError(def[0]!, value[i]!, undefined, `${path}[${i}]`);
        if (e) return e;
      }
    }
  }
  if (want === 'object') {
    const d = def as { [k: string]: Json }, v = value as { [k: string]: Json };
    const dk = Object.keys(d).sort(), vk = Object.keys(v).sort();
    const extra = vk.filter((k) => !Object.prototype.hasOwnProperty.call(d, k));
    const missing = dk.filter((k) => !Object.prototype.hasOwnProperty.call(v, k));
    if (extra.length) return `has unknown key${extra.length > 1 ? 's' : ''} ${extra.map((k) => `'${k}'`).join(', ')}${at} (keys: ${dk.join(', ')})`;
    if (missing.length) return `lacks key${missing.length > 1 ? 's' : ''} ${missing.map((k) => `'${k}'`).join(', ')}${at}`;
    for (const k of dk) {
      const e = shapeError(d[k]!, v[k]!, undefined, `${path}.${k}`);
      if (e) return e;
    }
  }
  return undefined;
}

/** Parse `name=value` arguments (value as JSON) into a map; refuses malformed or repeated names. */
export function parseOverrides(args: readonly string[]): Map<string, { raw: string; value: Json }> {
  const out = new Map<string, { raw: string; value: Json }>();
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new ParamError(`parameter override '${a}' is not of the form name=value`);
    const name = a.slice(0, eq).trim();
    const raw = a.slice(eq + 1);
    if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name)) throw new ParamError(`'${name}' is not a parameter name`);
    if (out.has(name)) throw new ParamError(`parameter '${name}' is given twice`);
    let value: Json;
    try {
      value = JSON.parse(raw) as Json;
    } catch {
      throw new ParamError(`value of '${name}' is not JSON: ${raw}` +
        (/^[A-Za-z_][\w-]*$/.test(raw) ? ` (a string is written with double quotes: ${name}='"${raw}"')` : ''));
    }
    out.set(name, { raw, value });
  }
  return out;
}

/** Check overrides against a notebook's parameters; returns the checked values in declaration order. */
export function checkOverrides(decls: readonly ParamDecl[], overrides: Map<string, { raw: string; value: Json }>, where = 'notebook'): { decl: ParamDecl; value: Json }[] {
  if (overrides.size > 0 && decls.length === 0) {
    throw new ParamError(`${where} has no cell tagged '${PARAMETERS_TAG}', so it takes no parameters (given: ${[...overrides.keys()].join(', ')})`);
  }
  const byName = new Map(decls.map((d) => [d.name, d]));
  const known = decls.map((d) => `${d.name} (default ${describe(d.value)})`).join(', ');
  const errors: string[] = [];
  for (const name of overrides.keys()) {
    if (!byName.has(name)) errors.push(`unknown parameter '${name}'; ${where} takes: ${known}`);
  }
  const out: { decl: ParamDecl; value: Json }[] = [];
  for (const d of decls) {
    const o = overrides.get(d.name);
    if (!o) continue;
    const e = typeError(d, o.value);
    if (e) errors.push(`parameter '${d.name}' ${e}`);
    else out.push({ decl: d, value: o.value });
  }
  if (errors.length) throw new ParamError(errors.join('\n'));
  return out;
}

/** A JSON value as TypeScript source: its canonical JSON text, which is a valid TS expression. */
export function literal(value: Json): string {
  // JSON.stringify escapes quotes, backslashes and control characters; U+2028/2029 are escaped too so
  // the literal stays valid for any JavaScript parser. `__proto__` keys would change meaning in an
  // object literal, so they are refused.
  const s = JSON.stringify(value, (k, v: unknown) => {
    if (k === '__proto__') throw new ParamError("a key named '__proto__' cannot be injected");
    if (typeof v === 'number' && !Number.isFinite(v)) throw new ParamError(`${v} is not a JSON number`);
    return v;
  });
  return s.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** The source of the injected cell. */
export function injectedSource(values: readonly { decl: ParamDecl; value: Json }[]): string {
  const body = values.map(({ decl, value }) =>
    `${decl.keyword} ${decl.name}${decl.annotation !== undefined ? `: ${decl.annotation}` : ''} = ${literal(value)};`);
  return ['// Parameters injected by tools/notebook.ts (overrides of the cell above).', ...body].join('\n');
}

/**
 * Return a copy of the notebook with the overrides injected as a cell after the parameters cell
 * (replacing an injected cell from an earlier run). With no overrides, only an old injected cell is
 * removed.
 */
export function injectParameters(nb: Notebook, args: readonly string[] | Map<string, { raw: string; value: Json }>, where = 'notebook'): Notebook {
  const overrides = args instanceof Map ? args : parseOverrides(args);
  const decls = notebookParameters(nb, where);
  const values = checkOverrides(decls, overrides, where);
  const out: Notebook = structuredClone(nb);
  out.cells = out.cells.filter((c) => !hasTag(c, INJECTED_TAG));
  if (values.length === 0) return out;
  const p = findParametersCell(out)!;
  const cell: CodeCell = {
    cell_type: 'code',
    execution_count: null,
    metadata: { tags: [INJECTED_TAG] },
    outputs: [],
    source: lines(injectedSource(values)),
  };
  if (out.nbformat > 4 || (out.nbformat === 4 && out.nbformat_minor >= 5)) cell.id = INJECTED_TAG;
  out.cells.splice(p.index + 1, 0, cell);
  return out;
}
