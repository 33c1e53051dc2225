/**
 * Notebook side of the plot helper (Node only): `show(fig)` displays a figure in the running
 * notebook. Re-exports the figure builders of `../plot.ts`, so a notebook needs one import:
 *
 *     import { figure, line, show } from 'layerwise-precond/node/notebook';
 *     show(figure([line([1, 2, 3], [1, 4, 9], { name: 'squares' })], { x: 'n', y: 'n²' }));
 *
 * tslab's public `display` sends one MIME type per output; `show` sends the figure's JSON as
 * `application/vnd.plotly.v1+json` (JupyterLab's plotly renderer draws it). The PNG for viewers
 * that run no script is added to that same output by `npm run notebooks`, which renders every
 * plotly output in headless Chromium after execution (tools/lib/static-plots.ts).
 */
import tslab from 'tslab';
import { PLOTLY_MIME, assertFigure, type Figure } from '../plot.js';

export * from '../plot.js';

/** The display sink; tests replace it. */
export type Sink = (mime: string, data: unknown) => void;

let sink: Sink = (mime, data) => {
  // `raw` is typed for strings and bytes, but it passes any value through to the display message,
  // and a JSON MIME type must carry a JSON object (the plotly renderer reads `data` and `layout`).
  (tslab.display.raw as (t: string, b: unknown) => void)(mime, data);
};

export function setSink(s: Sink): Sink {
  const old = sink;
  sink = s;
  return old;
}

/** Display a plotly figure in the notebook. */
export function show(fig: Figure): void {
  assertFigure(fig);
  // A deep copy through JSON: what the notebook stores is exactly what the site and the renderer read.
  const json = JSON.parse(JSON.stringify(fig)) as Figure;
  try {
    sink(PLOTLY_MIME, json);
  } catch (e) {
    if ((e as Error).message === 'Not ready') {
      throw new Error('show() displays a figure in a notebook run by the layerwise-precond kernel (tslab); outside a notebook, use the figure JSON');
    }
    throw e;
  }
}
