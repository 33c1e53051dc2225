/**
 * Plot helper: builds plotly.js figures (plain JSON: `{ data, layout }`) in the project's house
 * style. Browser-safe — it only builds data; showing a figure is `show` in `node/notebook.ts` (in a
 * notebook) or `Plotly.newPlot` (in a page).
 *
 * A figure leaves a notebook as the MIME type `application/vnd.plotly.v1+json`: JupyterLab draws it
 * with the plotly renderer, the static site with its bundled plotly.js, and `npm run notebooks` adds a
 * PNG of it to the same output for viewers that run no script (GitHub).
 *
 * Numbers are rounded to `SIGNIFICANT_DIGITS` significant digits, typed arrays become arrays and
 * non-finite values become `null` (a gap), so a figure is valid JSON and the committed outputs stay
 * small and stable.
 */

export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';
export const SIGNIFICANT_DIGITS = 6;

export type Series = ArrayLike<number> | readonly (number | null)[];
export type Datum = number | string | null;

/** A plotly trace (the subset this project builds; any other plotly attribute may be added). */
export interface Trace {
  type?: string;
  name?: string;
  mode?: string;
  x?: Datum[];
  y?: Datum[];
  [attr: string]: unknown;
}

export interface Axis { title?: { text: string }; type?: 'linear' | 'log' | 'category'; [attr: string]: unknown }

export interface Layout {
  title?: { text: string };
  xaxis?: Axis;
  yaxis?: Axis;
  width?: number;
  height?: number;
  [attr: string]: unknown;
}

export interface Figure { data: Trace[]; layout: Layout; config?: Record<string, unknown> }

export interface FigureOptions {
  title?: string;
  /** Axis titles. */
  x?: string;
  y?: string;
  logX?: boolean;
  logY?: boolean;
  /** Pixel height; the width follows the page. */
  height?: number;
  /** Any further plotly layout attributes, merged last. */
  layout?: Layout;
}

/** Round to `SIGNIFICANT_DIGITS`; NaN and ±Infinity become null (plotly draws a gap). */
export function clean(v: number | null | undefined): number | null {
  if (v === null || v === undefined || !Number.isFinite(v)) return null;
  return v === 0 ? 0 : Number(v.toPrecision(SIGNIFICANT_DIGITS));
}

export function toData(s: Series): (number | null)[] {
  const out = new Array<number | null>(s.length);
  for (let i = 0; i < s.length; i++) out[i] = clean(s[i] as number | null);
  return out;
}

/** 0, 1, …, n−1 (or 1…n with `from = 1`). */
export function range(n: number, from = 0): number[] {
  return Array.from({ length: n }, (_, i) => i + from);
}

export interface TraceOptions {
  name?: string;
  /** Line dash: 'solid', 'dash', 'dot', … */
  dash?: string;
  color?: string;
  /** Symmetric error bars (scatter). */
  error?: Series;
  /** Any further plotly trace attributes, merged last. */
  extra?: Record<string, unknown>;
}

function baseTrace(mode: string, x: Series, y: Series, o: TraceOptions): Trace {
  if (x.length !== y.length) throw new RangeError(`trace '${o.name ?? ''}': x has ${x.length} values, y has ${y.length}`);
  const t: Trace = { type: 'scatter', mode, x: toData(x), y: toData(y) };
  if (o.name !== undefined) t.name = o.name;
  if (mode.includes('lines')) t.line = { ...(o.dash ? { dash: o.dash } : {}), ...(o.color ? { color: o.color } : {}) };
  if (mode.includes('markers') && o.color) t.marker = { color: o.color };
  if (o.error) t.error_y = { type: 'data', array: toData(o.error), visible: true };
  return { ...t, ...(o.extra ?? {}) };
}

/** A line through (x[i], y[i]). */
export function line(x: Series, y: Series, o: TraceOptions = {}): Trace { return baseTrace('lines', x, y, o); }
/** Markers at (x[i], y[i]), with optional error bars. */
export function markers(x: Series, y: Series, o: TraceOptions = {}): Trace { return baseTrace('markers', x, y, o); }

/** A filled band between `lo` and `hi` (e.g. mean ± one standard deviation), drawn as one trace. */
export function band(x: Series, lo: Series, hi: Series, o: TraceOptions = {}): Trace {
  if (lo.length !== x.length || hi.length !== x.length) throw new RangeError('band: x, lo and hi must have one length');
  const xs = toData(x), l = toData(lo), h = toData(hi);
  return {
    type: 'scatter', mode: 'lines', name: o.name, fill: 'toself', hoverinfo: 'skip', showlegend: o.name !== undefined,
    x: [...xs, ...xs.slice().reverse()], y: [...h, ...l.slice().reverse()],
    line: { width: 0, ...(o.color ? { color: o.color } : {}) }, opacity: 0.25, ...(o.extra ?? {}),
  };
}

/** A bar chart trace. */
export function bars(x: readonly Datum[] | Series, y: Series, o: TraceOptions = {}): Trace {
  const xs = Array.from(x as ArrayLike<Datum>, (v) => (typeof v === 'number' ? clean(v) : v));
  return { type: 'bar', x: xs, y: toData(y), ...(o.name !== undefined ? { name: o.name } : {}), ...(o.color ? { marker: { color: o.color } } : {}), ...(o.extra ?? {}) };
}

/**
 * A figure in the house style. An axis is logarithmic when asked (`logX`, `logY`), categorical when a
 * trace puts strings on it (bar charts of named methods: plotly draws nothing for strings on a linear
 * axis), linear otherwise.
 */
export function figure(data: Trace[], o: FigureOptions = {}): Figure {
  const strings = (key: 'x' | 'y') => data.some((t) => Array.isArray(t[key]) && (t[key] as unknown[]).some((v) => typeof v === 'string'));
  const axis = (title: string | undefined, log: boolean | undefined, key: 'x' | 'y'): Axis => ({
    ...(title !== undefined ? { title: { text: title } } : {}),
    type: log ? 'log' : strings(key) ? 'category' : 'linear',
    zeroline: false,
    showline: true,
    mirror: true,
    ticks: 'outside',
    linecolor: '#444',
    gridcolor: '#e5e5e5',
    exponentformat: 'power',
  });
  const layout: Layout = {
    ...(o.title !== undefined ? { title: { text: o.title } } : {}),
    xaxis: axis(o.x, o.logX, 'x'),
    yaxis: axis(o.y, o.logY, 'y'),
    height: o.height ?? 420,
    margin: { l: 70, r: 20, t: o.title !== undefined ? 50 : 20, b: 55 },
    paper_bgcolor: 'white',
    plot_bgcolor: 'white',
    font: { family: 'Helvetica, Arial, sans-serif', size: 13 },
    legend: { bgcolor: 'rgba(255,255,255,0.7)' },
  };
  const merged: Layout = { ...layout, ...(o.layout ?? {}) };
  for (const ax of ['xaxis', 'yaxis'] as const) if (o.layout?.[ax]) merged[ax] = { ...layout[ax], ...o.layout[ax] };
  return { data, layout: merged };
}

/** Check that a value is a figure this helper (or plotly) can draw; throws a readable error if not. */
export function assertFigure(fig: unknown): asserts fig is Figure {
  const f = fig as Figure;
  if (!f || typeof f !== 'object' || !Array.isArray(f.data) || typeof f.layout !== 'object' || f.layout === null) {
    throw new TypeError('not a plotly figure: expected { data: Trace[], layout: {...} }');
  }
}

/** A one-line description of a figure (the plain-text form of a plot). */
export function describeFigure(fig: Figure): string {
  const title = fig.layout.title?.text;
  const names = fig.data.map((t) => t.name).filter((n): n is string => !!n);
  return `<Figure${title ? ` '${title}'` : ''}: ${fig.data.length} trace${fig.data.length === 1 ? '' : 's'}${names.length ? ` (${names.join(', ')})` : ''}>`;
}
