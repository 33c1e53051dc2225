/**
 * The subset of nbformat 4 that the notebook tools and the site read and write, and a writer that formats
 * the JSON exactly as Jupyter does (indent 1, sorted keys, trailing newline), so a notebook saved by
 * JupyterLab and one written here differ only where their content differs. Browser-safe (the site's
 * "Download as notebook" uses it); reading and writing files is in tools/lib/ipynb.ts.
 */
export type MultilineString = string | string[];
export type MimeBundle = Record<string, unknown>;

export interface StreamOutput { output_type: 'stream'; name: 'stdout' | 'stderr'; text: MultilineString }
export interface DisplayOutput { output_type: 'display_data'; data: MimeBundle; metadata: Record<string, unknown>; transient?: unknown }
export interface ResultOutput { output_type: 'execute_result'; data: MimeBundle; metadata: Record<string, unknown>; execution_count: number | null }
export interface ErrorOutput { output_type: 'error'; ename: string; evalue: string; traceback: string[] }
export type Output = StreamOutput | DisplayOutput | ResultOutput | ErrorOutput;

export interface CellMetadata { tags?: string[]; [key: string]: unknown }
export interface CodeCell { cell_type: 'code'; id?: string; source: MultilineString; metadata: CellMetadata; outputs: Output[]; execution_count: number | null }
export interface MarkdownCell { cell_type: 'markdown'; id?: string; source: MultilineString; metadata: CellMetadata; attachments?: unknown }
export interface RawCell { cell_type: 'raw'; id?: string; source: MultilineString; metadata: CellMetadata }
export type Cell = CodeCell | MarkdownCell | RawCell;

export interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: Record<string, unknown> & { kernelspec?: { name: string; display_name: string; language?: string } };
  cells: Cell[];
}

export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

/** Jupyter stores a multiline string either whole or as lines; this joins either form. */
export function text(s: MultilineString | undefined): string {
  return s === undefined ? '' : Array.isArray(s) ? s.join('') : s;
}

/** Everything the notebook's code cells printed (stream outputs), in cell order. */
export function printedText(nb: Notebook): string {
  return nb.cells.flatMap((c) => (c.cell_type === 'code' ? c.outputs : []))
    .filter((o) => o.output_type === 'stream').map((o) => text((o as { text?: MultilineString }).text)).join('\n');
}

/** Jupyter's on-disk form of a string: its lines, each but the last keeping its '\n'. */
export function lines(s: string): string[] {
  if (s === '') return [];
  const out = s.split(/(?<=\n)/);
  return out;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) o[k] = sortKeys((v as Record<string, unknown>)[k]);
    return o;
  }
  return v;
}

/** JSON text with sorted keys: equal for equal values whatever the key order. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(sortKeys(v));
}

/** Serialise as nbformat's writer does: indent 1, sorted keys, non-ASCII kept, newline at the end. */
export function formatNotebook(nb: Notebook): string {
  return JSON.stringify(sortKeys(nb), null, 1) + '\n';
}

export function codeCells(nb: Notebook): CodeCell[] {
  return nb.cells.filter((c): c is CodeCell => c.cell_type === 'code');
}

export function hasTag(c: Cell, tag: string): boolean {
  return Array.isArray(c.metadata?.tags) && c.metadata.tags.includes(tag);
}
