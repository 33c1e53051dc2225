/**
 * The explorable page: a notebook page of the site whose notebook has a story gets controls generated
 * from the story's knobs, validated by `checkKnobs` (the notebook command's validator), the values in
 * the page URL (a permalink), its figures and claim checks recomputed in the page by the story through
 * the browser runner (Web Workers, the shipped default cells, IndexedDB), "Download as notebook" with
 * the values injected as `npm run notebook` does, and a "clear cache" control.
 *
 * Bundled by tools/site.ts into site/assets/explore.js; it reads its configuration from the page's
 * `#lp-explore-config` element. Runs in a browser only.
 */
import { loadStory } from '../stories/index.js';
import { checkKnobs, computeStory, defaultKnobs, describeKnob, KnobError, type AnyStory, type Knob, type Knobs, type KnobValues, type SweepRequest } from '../stories/story.js';
import type { ClaimCheck } from '../claims.js';
import type { Json } from '../sweep/types.js';
import type { Figure } from '../plot.js';
import { injectParameters } from '../ipynb/params.js';
import { formatNotebook, type Notebook } from '../ipynb/format.js';
import { BrowserRunner, CancelledError, indexedDbStore, memoryStore, type CellStore, type SweepProgress } from '../sweep/browser-runner.js';
import { fromBase64, startBrowserEngine } from '../sweep/engine.js';

interface PlotlyLike {
  react(el: HTMLElement, data: unknown[], layout: unknown, config: unknown): Promise<HTMLElement>;
  Plots: { resize(el: HTMLElement): void };
}
interface SiteGlobals {
  Plotly?: PlotlyLike;
  LP_CELLS?: Record<string, Record<string, Json>>;
  LP_WORKER_SOURCE?: string;
  LP_WASM_SIMD?: string;
  LP_NOTEBOOKS?: Record<string, Notebook>;
  __lpExplore?: ExploreState;
}
const g = globalThis as unknown as SiteGlobals;
type KV = KnobValues<Knobs>;

export interface PageConfig {
  notebook: string;
  /** Story figure name → ids of the page's plot elements that show it (the notebook's outputs). */
  figures: Record<string, string[]>;
  /** Relative paths of the lazily loaded scripts. */
  scripts: { worker: string; wasm: string; cells: string; notebook: string };
}

export interface ExploreState {
  status: 'starting' | 'running' | 'done' | 'error' | 'cancelled' | 'invalid';
  error: string | null;
  values: KV | null;
  result: unknown;
  claims: ClaimCheck[];
  figures: Record<string, Figure>;
  engine: string;
  engineDetail: string;
  workers: number;
  store: string;
  progress: Record<string, SweepProgress>;
  /** Runs started (each knob change starts one). */
  runs: number;
  /** True once the workers (and their engines) have started. */
  workersReady: boolean;
  /** Milliseconds from the start of the last run to its first figure drawn with a computed cell, and to its end. */
  firstComputedMs: number | null;
  completeMs: number | null;
  /** Milliseconds from the start of the last run to its first computed cell's arrival (before drawing). */
  firstCellMs: number | null;
  notebookText(): Promise<string>;
}

function loadScript(src: string): Promise<void> {
  return new Promise((ok, fail) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = () => ok();
    s.onerror = () => fail(new Error(`could not load ${src}`));
    document.head.appendChild(s);
  });
}

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
};

// ---------------------------------------------------------------- knob values as text (controls, URL)

const NUMBER_RE = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
/** A number when the text is one; otherwise the text itself, which the validator then refuses by name. */
const parseNumber = (t: string): number | string => (NUMBER_RE.test(t.trim()) ? Number(t.trim()) : t.trim());

export function parseKnobText(k: Knob, t: string): unknown {
  switch (k.type) {
    case 'number': case 'integer': return parseNumber(t);
    case 'number[]': case 'integer[]': return t.trim() === '' ? [] : t.split(',').map(parseNumber);
    case 'boolean': return t === 'true' ? true : t === 'false' ? false : t;
    case 'choice': return t;
  }
}
export function knobText(k: Knob, v: unknown): string {
  if (k.type === 'number[]' || k.type === 'integer[]') return Array.isArray(v) ? v.join(', ') : String(v);
  return String(v);
}
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Responsive layout: full width, and the legend under the plot on narrow screens. */
export function fitLayout(layout: Figure['layout'], width: number): Figure['layout'] {
  const out: Figure['layout'] = { ...layout, autosize: true };
  delete out.width;
  if (width < 600) {
    out.legend = { ...(layout.legend as object | undefined), orientation: 'h', x: 0, xanchor: 'left', y: -0.22, yanchor: 'top' };
    const m = (layout.margin ?? {}) as Record<string, number>;
    out.margin = { ...m, r: 10, b: Math.max(m.b ?? 55, 95) };
  }
  return out;
}

// ---------------------------------------------------------------- the page

async function main(): Promise<void> {
  const cfgEl = document.getElementById('lp-explore-config');
  const host = document.getElementById('lp-explore');
  if (!cfgEl || !host) return;
  const cfg = JSON.parse(cfgEl.textContent ?? '{}') as PageConfig;
  const story: AnyStory = await loadStory(cfg.notebook);
  const defaults: KV = defaultKnobs(story);
  const names = Object.keys(story.knobs);

  const state: ExploreState = {
    status: 'starting', error: null, values: null, result: null, claims: [], figures: {}, engine: '', engineDetail: '', workers: 0,
    store: '', progress: {}, runs: 0, workersReady: false, firstComputedMs: null, completeMs: null, firstCellMs: null,
    notebookText: async () => notebookText(state.values ?? defaults),
  };
  g.__lpExplore = state;

  // controls
  host.replaceChildren();
  host.appendChild(el('h2', { id: 'explore' }, 'Explore: recompute this notebook in your browser'));
  host.appendChild(el('p', { class: 'explore-intro' }, 'Change a parameter and press Enter (or leave the field): the figures and checks below are recomputed in this page by the same library code, seeds and cache keys as the notebook. Cells already computed (shipped with the site, or by this browser) are reused.'));
  const form = el('form', { class: 'knobs', novalidate: '' });
  const inputs = new Map<string, HTMLInputElement | HTMLSelectElement>();
  for (const name of names) {
    const k = story.knobs[name] as Knob;
    const row = el('div', { class: 'knob' });
    const id = `knob-${name}`;
    row.appendChild(el('label', { for: id }, name));
    let input: HTMLInputElement | HTMLSelectElement;
    if (k.type === 'choice') {
      input = el('select', { id, name });
      for (const o of k.options) input.appendChild(el('option', { value: o }, o));
    } else if (k.type === 'boolean') {
      input = el('select', { id, name });
      for (const o of ['true', 'false']) input.appendChild(el('option', { value: o }, o));
    } else {
      input = el('input', { id, name, type: 'text', inputmode: k.type === 'integer' || k.type === 'number' ? 'decimal' : 'text', autocomplete: 'off', spellcheck: 'false' });
    }
    input.value = knobText(k, defaults[name]);
    input.setAttribute('data-default', knobText(k, defaults[name]));
    row.appendChild(input);
    row.appendChild(el('span', { class: 'doc' }, `${k.doc} — ${describeKnob(k)}`));
    form.appendChild(row);
    inputs.set(name, input);
  }
  host.appendChild(form);
  const error = el('div', { class: 'knob-error', role: 'alert', hidden: '' });
  host.appendChild(error);
  const bar = el('div', { class: 'explore-bar' });
  const runBtn = el('button', { type: 'submit', form: 'x', class: 'run' }, 'Recompute');
  const cancelBtn = el('button', { type: 'button', class: 'cancel', disabled: '' }, 'Cancel');
  const resetBtn = el('button', { type: 'button', class: 'reset' }, 'Defaults');
  const dlBtn = el('button', { type: 'button', class: 'download' }, 'Download as notebook');
  const clearBtn = el('button', { type: 'button', class: 'clear-cache' }, 'Clear cache');
  bar.append(runBtn, cancelBtn, resetBtn, dlBtn, clearBtn);
  host.appendChild(bar);
  const status = el('p', { class: 'explore-status', 'aria-live': 'polite' }, 'starting the numeric engine…');
  host.appendChild(status);
  const engineLine = el('p', { class: 'engine' });
  host.appendChild(engineLine);
  const claimsBox = el('div', { class: 'live-claims' });
  host.appendChild(claimsBox);
  const extraFigs = el('div', { class: 'live-figures' });
  host.appendChild(extraFigs);

  // state from the URL
  const fromUrl = (): Record<string, unknown> => {
    const o: Record<string, unknown> = {};
    for (const [name, text] of new URLSearchParams(location.search)) {
      const k = Object.prototype.hasOwnProperty.call(story.knobs, name) ? story.knobs[name] as Knob : undefined;
      o[name] = k ? parseKnobText(k, text) : text;
    }
    return o;
  };
  const fromControls = (): Record<string, unknown> => {
    const o: Record<string, unknown> = {};
    for (const name of names) {
      const k = story.knobs[name] as Knob, input = inputs.get(name)!;
      const v = parseKnobText(k, input.value);
      if (!same(v, defaults[name])) o[name] = v;
    }
    return o;
  };
  const toUrl = (v: KV) => {
    const q = new URLSearchParams();
    for (const name of names) if (!same(v[name], defaults[name])) q.set(name, knobText(story.knobs[name] as Knob, v[name]));
    const s = q.toString();
    const url = `${location.pathname}${s ? `?${s}` : ''}${location.hash}`;
    history.replaceState(null, '', url);
  };
  const showError = (msg: string | null) => {
    if (msg === null) { error.hidden = true; error.textContent = ''; return; }
    error.hidden = false;
    error.textContent = msg;
  };

  // engine, runner, shipped cells
  const wasmP = loadScript(cfg.scripts.wasm).then(() => (g.LP_WASM_SIMD ? fromBase64(g.LP_WASM_SIMD) : null), () => null);
  const workerP = loadScript(cfg.scripts.worker);
  const cellsP = loadScript(cfg.scripts.cells).catch(() => undefined);
  let store: CellStore;
  try { store = await indexedDbStore(); } catch { store = memoryStore(); }
  const wasm = await wasmP;
  const choice = await startBrowserEngine(wasm);
  await Promise.all([workerP, cellsP]);
  const shipped = g.LP_CELLS?.[cfg.notebook] ?? {};
  const workerUrl = URL.createObjectURL(new Blob([g.LP_WORKER_SOURCE ?? ''], { type: 'text/javascript' }));
  const workers = Math.max(1, Math.min(16, navigator.hardwareConcurrency || 2));
  Object.assign(state, { engine: choice.engine, engineDetail: choice.detail, workers, store: store.kind });
  engineLine.textContent = `numeric engine: ${choice.detail} · ${workers} worker${workers === 1 ? '' : 's'} · ${Object.keys(shipped).length} cells shipped with the site · computed cells kept in ${store.kind === 'IndexedDB' ? 'this browser (IndexedDB)' : 'memory (IndexedDB unavailable)'}`;

  let runStart = 0;
  const runner = new BrowserRunner({
    workerUrl, wasm, engine: choice.engine, workers, store,
    shipped: (key) => (Object.prototype.hasOwnProperty.call(shipped, key) ? shipped[key] : undefined),
    onProgress: (p) => {
      state.progress[p.sweep] = p;
      if (p.computed > 0 && state.firstCellMs === null) state.firstCellMs = performance.now() - runStart;
      const all = Object.values(state.progress);
      const total = all.reduce((s, x) => s + x.total, 0), stored = all.reduce((s, x) => s + x.stored, 0), computed = all.reduce((s, x) => s + x.computed, 0);
      status.textContent = `${stored + computed} of ${total} cells so far (${stored} stored, ${computed} computed here)… ${((performance.now() - runStart) / 1000).toFixed(1)} s`;
    },
  });

  const plotly = () => { if (!g.Plotly) throw new Error('plotly.js is not loaded'); return g.Plotly; };
  const lastDrawn = new Map<string, string>();
  // one drawing at a time; while it draws, only the latest result waits (partial results come faster
  // than plotly draws on a busy machine)
  let drawing: Promise<void> | null = null;
  let queued: { r: unknown; v: KV; done?: () => void } | null = null;
  const requestDraw = (r: unknown, v: KV, done?: () => void): Promise<void> => {
    queued = { r, v, done };
    drawing ??= (async () => {
      while (queued) {
        const q: { r: unknown; v: KV; done?: () => void } = queued;
        queued = null;
        try { await draw(q.r, q.v); q.done?.(); } catch { /* a partial result a figure cannot show: drawn when complete */ }
      }
      drawing = null;
    })();
    return drawing;
  };
  const draw = async (r: unknown, v: KV) => {
    const jobs: Promise<unknown>[] = [];
    for (const [name, make] of Object.entries(story.figures as Record<string, (r: unknown, v: unknown) => Figure>)) {
      const fig = make(r, v);
      state.figures[name] = JSON.parse(JSON.stringify(fig)) as Figure; // plotly.js edits the traces it is given
      let ids = cfg.figures[name] ?? [];
      if (ids.length === 0) {
        const id = `live-${name}`;
        if (!document.getElementById(id)) {
          const f = el('figure', { class: 'live' });
          f.append(el('div', { class: 'plot live-extra', id }), el('figcaption', {}, `Figure (${name}), recomputed in the page`));
          extraFigs.appendChild(f);
        }
        ids = [id];
      }
      const json = JSON.stringify(fig);
      for (const id of ids) {
        const target = document.getElementById(id);
        if (!target) continue;
        if (lastDrawn.get(id) === json) continue; // unchanged by the cells that came in: not redrawn
        lastDrawn.set(id, json);
        jobs.push(plotly().react(target, fig.data, fitLayout(fig.layout, target.clientWidth), { responsive: true, displaylogo: false, ...(fig.config ?? {}) }).then(() => {
          target.setAttribute('data-drawn', 'true');
          target.setAttribute('data-rev', String(Number(target.getAttribute('data-rev') ?? '0') + 1));
          target.setAttribute('data-live', 'true');
        }));
      }
    }
    await Promise.all(jobs);
  };
  const showClaims = (checks: ClaimCheck[], partial: boolean) => {
    state.claims = checks;
    claimsBox.replaceChildren();
    const held = checks.filter((c) => c.holds).length;
    claimsBox.appendChild(el('p', { class: `summary ${held === checks.length ? 'held' : 'failed'}` },
      `${partial ? 'So far: ' : ''}${held} of ${checks.length} checks held with these parameters`));
    const ul = el('ul', { class: 'claims-live' });
    for (const c of checks) {
      const li = el('li', { class: c.holds ? 'held' : 'failed' });
      li.append(el('span', { class: 'mark' }, c.holds ? '✓' : '✗'), el('span', { class: 'claim-text' }, ` ${c.claim} `),
        el('span', { class: 'measured' }, `measured: ${c.measured}`));
      if (!c.holds) li.appendChild(el('strong', { class: 'verdict' }, ' FAILED'));
      ul.appendChild(li);
    }
    claimsBox.appendChild(ul);
  };

  let generation = 0;
  const run = async (overrides: Record<string, unknown>, fromUser: boolean) => {
    let v: KV;
    try {
      v = checkKnobs(story, overrides);
    } catch (e) {
      if (!(e instanceof KnobError)) throw e;
      state.status = 'invalid'; state.error = e.message;
      showError(e.message);
      status.textContent = 'not recomputed: fix the parameter above';
      return;
    }
    showError(null);
    // the same values again (a field left after Enter fires 'change' too): keep the run that has them
    if (fromUser && same(v, state.values) && (state.status === 'running' || state.status === 'done')) return;
    for (const name of names) inputs.get(name)!.value = knobText(story.knobs[name] as Knob, v[name]);
    if (fromUser) toUrl(v);
    document.body.classList.toggle('non-default', names.some((n) => !same(v[n], defaults[n])));
    const my = ++generation;
    runner.cancel();
    Object.assign(state, { status: 'running', error: null, values: v, progress: {}, firstComputedMs: null, completeMs: null, firstCellMs: null, runs: state.runs + 1 });
    cancelBtn.disabled = false;
    runStart = performance.now();
    const computedSoFar = () => Object.values(state.progress).reduce((s, x) => s + x.computed, 0);
    try {
      void runner.prefetch(Object.values(story.sweeps(v) as Record<string, SweepRequest>));
      const r = await computeStory(story, v, runner, (partial) => {
        if (my !== generation) return;
        state.result = partial;
        // a story's figures and checks must accept partial cells; one that still throws on them is
        // drawn when its cells are complete (an error of the complete result is shown, below)
        let checks: ClaimCheck[];
        try { checks = story.claims(partial, v); } catch { return; }
        const withComputed = computedSoFar() > 0;
        void requestDraw(partial, v, () => {
          if (my === generation && state.firstComputedMs === null && withComputed) state.firstComputedMs = performance.now() - runStart;
        });
        showClaims(checks, true);
      });
      if (my !== generation) return;
      state.result = r;
      await requestDraw(r, v);
      await draw(r, v); // the complete result (throws here if a figure cannot show it)
      showClaims(story.claims(r, v), false);
      if (state.firstComputedMs === null && computedSoFar() > 0) state.firstComputedMs = performance.now() - runStart;
      state.completeMs = performance.now() - runStart;
      const all = Object.values(state.progress);
      status.textContent = `done in ${(state.completeMs / 1000).toFixed(2)} s: ${all.reduce((s, x) => s + x.total, 0)} cells (${all.reduce((s, x) => s + x.stored, 0)} stored, ${computedSoFar()} computed here)`;
      state.status = 'done';
    } catch (e) {
      if (my !== generation) return;
      if (e instanceof CancelledError) {
        state.status = 'cancelled';
        status.textContent = 'cancelled: the figures show the cells finished so far (they are kept)';
      } else {
        state.status = 'error'; state.error = (e as Error).message;
        showError((e as Error).message);
        status.textContent = 'failed';
      }
    } finally {
      if (my === generation) cancelBtn.disabled = true;
    }
  };

  const notebookText = async (v: KV): Promise<string> => {
    if (!g.LP_NOTEBOOKS?.[cfg.notebook]) await loadScript(cfg.scripts.notebook);
    const nb = g.LP_NOTEBOOKS?.[cfg.notebook];
    if (!nb) throw new Error('the notebook could not be loaded');
    const overrides = new Map<string, { raw: string; value: Json }>();
    for (const name of names) if (!same(v[name], defaults[name])) overrides.set(name, { raw: JSON.stringify(v[name]), value: v[name] as Json });
    return formatNotebook(injectParameters(nb, overrides, `${cfg.notebook}.ipynb`));
  };

  const submit = () => { void run(fromControls(), true); };
  form.addEventListener('submit', (e) => { e.preventDefault(); submit(); });
  form.addEventListener('change', submit);
  form.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); submit(); } });
  runBtn.addEventListener('click', (e) => { e.preventDefault(); submit(); });
  cancelBtn.addEventListener('click', () => { generation++; runner.cancel(); state.status = 'cancelled'; cancelBtn.disabled = true; status.textContent = 'cancelled: the figures show the cells finished so far (they are kept)'; });
  resetBtn.addEventListener('click', () => { for (const name of names) inputs.get(name)!.value = knobText(story.knobs[name] as Knob, defaults[name]); submit(); });
  clearBtn.addEventListener('click', () => {
    void store.clear().then(() => { status.textContent = 'the cells this browser computed are cleared (the cells shipped with the site stay)'; });
  });
  dlBtn.addEventListener('click', () => {
    void (async () => {
      try {
        const text = await notebookText(state.values ?? defaults);
        const a = el('a', { href: URL.createObjectURL(new Blob([text], { type: 'application/x-ipynb+json' })), download: `${cfg.notebook}.ipynb` });
        document.body.appendChild(a);
        a.click();
        a.remove();
      } catch (e) { showError((e as Error).message); }
    })();
  });
  window.addEventListener('resize', () => {
    for (const ids of Object.values(cfg.figures)) for (const id of ids) {
      const t = document.getElementById(id);
      if (t && t.getAttribute('data-live') === 'true') try { plotly().Plots.resize(t); } catch { /* not drawn yet */ }
    }
  });

  await run(fromUrl(), false);
  // workers started while the reader reads: the first knob change then computes at once
  void runner.warm().then(() => { state.workersReady = true; }, () => undefined);
}

main().catch((e: unknown) => {
  const s = g.__lpExplore;
  if (s) { s.status = 'error'; s.error = (e as Error).message; }
  console.error(e);
});
