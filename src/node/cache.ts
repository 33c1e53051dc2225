/**
 * The cell cache: one file per finished cell, `<dataDir>/<experiment>/<key>.json`.
 *
 * `key` is the first 128 bits (hex) of SHA-256 over the canonical JSON of {experiment, version, params,
 * replicate, source}, where `source` is the SHA-256 of the experiment module's text when the experiment
 * sets `hashSource`, else null. A file holds `{"checksum":"sha256:…","payload":{…}}`; the checksum is
 * SHA-256 of the payload's canonical JSON, so a truncated, hand-edited or otherwise damaged file is
 * detected on read (and then recomputed by the runner). Files are written by `atomicWrite`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { canonicalJson } from '../experiments/canonical.js';
import type { Json, Params } from '../experiments/types.js';
import { atomicWrite, CacheWriteError, isTempName, type FsLayer } from './fs-layer.js';

export const CELL_FORMAT = 'sweep-cell/1';
/** Temporary files older than this are leftovers of a killed run and are removed. */
export const STALE_TEMP_MS = 10 * 60 * 1000;

export const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export interface CellRecord {
  format: string;
  experiment: string;
  version: string;
  key: string;
  params: Params;
  replicate: number;
  seed: number;
  source: string | null;
  result: Json;
  /** Wall time of `run` in ms (kept in the cache file only; combined results leave it out). */
  elapsedMs: number;
}

/** Cache key of a cell: shared with the page's runner (`src/sweep/keys.ts`). */
export { cellKey } from '../sweep/keys.js';

/** File text of a record. */
export function encodeCell(rec: CellRecord): string {
  const payload = canonicalJson(rec, 'cell');
  return `{"checksum":"sha256:${sha256(payload)}","payload":${payload}}\n`;
}

export type Decoded = { ok: true; record: CellRecord } | { ok: false; reason: string };

/** Parses and checks a cache file's text against the key it is filed under. */
export function decodeCell(text: string, expectedKey: string): Decoded {
  let doc: unknown;
  try { doc = JSON.parse(text); } catch (e) {
    return { ok: false, reason: `not valid JSON (${text.length} bytes; truncated?): ${(e as Error).message}` };
  }
  const d = doc as { checksum?: unknown; payload?: unknown };
  if (typeof d !== 'object' || d === null || typeof d.checksum !== 'string' || typeof d.payload !== 'object' || d.payload === null) {
    return { ok: false, reason: 'not a cache file (no checksum and payload)' };
  }
  let payloadText: string;
  try { payloadText = canonicalJson(d.payload, 'payload'); } catch (e) { return { ok: false, reason: (e as Error).message }; }
  const sum = `sha256:${sha256(payloadText)}`;
  if (sum !== d.checksum) return { ok: false, reason: `checksum mismatch (stored ${d.checksum.slice(0, 19)}…, contents give ${sum.slice(0, 19)}…): the file changed after it was written` };
  const r = d.payload as CellRecord;
  if (r.format !== CELL_FORMAT) return { ok: false, reason: `format ${JSON.stringify(r.format)}, expected ${CELL_FORMAT}` };
  if (r.key !== expectedKey) return { ok: false, reason: `holds cell ${r.key} but is filed as ${expectedKey}` };
  return { ok: true, record: r };
}

export type CacheRead =
  | { status: 'hit'; record: CellRecord }
  | { status: 'miss' }
  | { status: 'corrupt'; file: string; reason: string };

export class CellCache {
  readonly dir: string;
  constructor(readonly dataDir: string, readonly experiment: string, readonly fs: FsLayer) {
    this.dir = join(dataDir, experiment);
  }

  fileOf(key: string): string { return join(this.dir, `${key}.json`); }

  /**
   * Creates the directory, proves it writable (so a bad data directory fails before any work), and
   * removes temporary files that killed runs left behind. Returns how many were removed.
   */
  async prepare(now = Date.now()): Promise<number> {
    try { await this.fs.mkdir(this.dir); } catch (e) { throw new CacheWriteError('create the data directory', this.dir, e); }
    const probe = join(this.dir, `.probe.tmp-${process.pid}-${randomBytes(6).toString("hex")}`);
    await atomicWrite(this.fs, probe, 'ok\n');
    await this.fs.remove(probe);
    let removed = 0;
    for (const name of await this.fs.list(this.dir)) {
      if (!isTempName(name)) continue;
      const f = join(this.dir, name);
      const t = await this.fs.mtimeMs(f);
      if (t !== undefined && now - t > STALE_TEMP_MS) { await this.fs.remove(f); removed++; }
    }
    return removed;
  }

  async read(key: string): Promise<CacheRead> {
    const file = this.fileOf(key);
    const text = await this.fs.readText(file);
    if (text === undefined) return { status: 'miss' };
    const d = decodeCell(text, key);
    return d.ok ? { status: 'hit', record: d.record } : { status: 'corrupt', file, reason: d.reason };
  }

  async write(rec: CellRecord): Promise<void> {
    await atomicWrite(this.fs, this.fileOf(rec.key), encodeCell(rec));
  }
}
