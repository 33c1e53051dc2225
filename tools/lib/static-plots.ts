/**
 * Static images of plotly outputs: every output carrying `application/vnd.plotly.v1+json` gets an
 * `image/png` of the same figure in the same MIME bundle, drawn by plotly.js in headless Chromium.
 * JupyterLab and the site keep drawing the interactive figure (they prefer the plotly MIME type);
 * viewers that run no script, such as GitHub's notebook preview, show the PNG.
 */
import { createRequire } from 'node:module';
import { PLOTLY_MIME, canonicalJson, type Notebook, type Output } from './ipynb.js';
import { launchChromium, type Launched } from './chromium.js';
import { describeFigure, type Figure } from '../../src/plot.js';

const require = createRequire(import.meta.url);
export const PLOTLY_JS = require.resolve('plotly.js-dist/plotly.js');

export const PNG_WIDTH = 800;
export const PNG_DEFAULT_HEIGHT = 420;

interface Fig { data: unknown[]; layout?: Record<string, unknown>; config?: Record<string, unknown> }

export class PlotRenderer {
  private constructor(private readonly chrome: Launched, private readonly page: import('playwright-core').Page) {}

  static async start(): Promise<PlotRenderer> {
    const chrome = await launchChromium();
    // Nothing may be fetched: plotly.js is injected from the package, the page is built in place.
    await chrome.context.route('**/*', (route) => {
      const url = route.request().url();
      return url.startsWith('data:') || url === 'about:blank' ? route.continue() : route.abort();
    });
    const page = await chrome.context.newPage();
    await page.setContent('<!doctype html><html><body><div id="plot"></div></body></html>');
    await page.addScriptTag({ path: PLOTLY_JS });
    return new PlotRenderer(chrome, page);
  }

  /** The PNG of a figure, base64-encoded as nbformat stores it. */
  async png(fig: Fig): Promise<string> {
    const height = typeof fig.layout?.height === 'number' ? fig.layout.height : PNG_DEFAULT_HEIGHT;
    const url = await this.page.evaluate(async ({ fig, width, height }) => {
      const Plotly = (window as unknown as { Plotly: { toImage(f: unknown, o: unknown): Promise<string> } }).Plotly;
      return Plotly.toImage(
        { data: fig.data, layout: { ...(fig.layout ?? {}), width, height }, config: { ...(fig.config ?? {}), staticPlot: true } },
        { format: 'png', width, height, scale: 1 },
      );
    }, { fig, width: PNG_WIDTH, height });
    const prefix = 'data:image/png;base64,';
    if (!url.startsWith(prefix)) throw new Error('plotly did not return a PNG');
    return url.slice(prefix.length);
  }

  async close(): Promise<void> { await this.chrome.close(); }
}

/** The outputs of the notebook's code cells that carry a plotly figure, in order. */
export function plotOutputs(nb: Notebook): (Output & { data: Record<string, unknown> })[] {
  const out: (Output & { data: Record<string, unknown> })[] = [];
  for (const c of nb.cells) {
    if (c.cell_type !== 'code') continue;
    for (const o of c.outputs) {
      if ((o.output_type === 'display_data' || o.output_type === 'execute_result') && o.data[PLOTLY_MIME] !== undefined) out.push(o);
    }
  }
  return out;
}

export function countPlots(nb: Notebook): number { return plotOutputs(nb).length; }

/**
 * Add `image/png` to every plotly output of the notebook (in place) that has none yet (all of them, or
 * those `keepCommittedImages` left without one: new or changed figures); returns the number drawn.
 */
export async function addStaticImages(nb: Notebook, renderer: PlotRenderer): Promise<number> {
  const outs = plotOutputs(nb).filter((o) => typeof o.data['image/png'] !== 'string');
  for (const o of outs) {
    o.data['image/png'] = await renderer.png(o.data[PLOTLY_MIME] as Fig);
    if (o.data['text/plain'] === undefined) o.data['text/plain'] = describeFigure(o.data[PLOTLY_MIME] as Figure);
  }
  return outs.length;
}

/**
 * Give every plotly output of `nb` the PNG that `previous` (the committed notebook) holds for the same
 * figure (same plotly JSON). Without Chromium, so that a run never strips the PNGs of a tracked notebook;
 * with it, before `addStaticImages` draws the rest, because the same figure is not drawn into the same bytes
 * on every machine (2026-12-02: Debian's chromium 156.0.8078.114 drew every committed figure, unchanged
 * plotly JSON, into other PNG bytes), and a run that changes no number must leave the committed
 * notebooks as they are.
 * Returns the number of PNGs kept; a figure that changed gets none (and its `text/plain` only).
 */
export function keepCommittedImages(nb: Notebook, previous: Notebook): number {
  const pngs = new Map<string, string>();
  for (const o of plotOutputs(previous)) {
    if (typeof o.data['image/png'] === 'string') pngs.set(canonicalJson(o.data[PLOTLY_MIME]), o.data['image/png'] as string);
  }
  let kept = 0;
  for (const o of plotOutputs(nb)) {
    const png = pngs.get(canonicalJson(o.data[PLOTLY_MIME]));
    if (png !== undefined) { o.data['image/png'] = png; kept++; }
    if (o.data['text/plain'] === undefined) o.data['text/plain'] = describeFigure(o.data[PLOTLY_MIME] as Figure);
  }
  return kept;
}
