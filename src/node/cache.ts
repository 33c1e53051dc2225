/**
 * The cell cache: one file per finished cell, `<dataDir>/<experiment>/<key>.json`.
 *
 * `key` is the first 128 bits (hex) of SHA-256 over the canonical JSON of {experiment, version, params,
 * replicate, source}, where `source` is the SHA-256 of the experiment module's text when the experiment
 * sets `hashSource`, else null. A file holds `{"checksum":"sha256:…","payload":{…}}`; the checksum is
 * SHA-256 of the payload's canonical JSON, so a truncated, hand-edited or otherwise damaged file is
 * detected on read (and then recomputed by the runner). Files are written by `atomicWrite`.
 *
 * A record is used only for the cell it describes: besides the checksum, its experiment, version,
 * canonical params, replicate, source hash and engine must equal those of the cell asked for, and its
 * key must be the key of those fields (so a record copied or renamed to another cell's file, even with
 * a recomputed checksum, is reported and recomputed). Records of format `sweep-cell/2` carry their
 * engine; the older `sweep-cell/1` records (the committed `data/` cells) do not, and are accepted when
 * the key of their fields under the asked engine is the key they are filed under: the key hashes the
 * engine, so a cell of another engine has another key.
 *
 * Claims: a run computing a cell first creates `<key>.lock` exclusively (pid, host, time). Another run
 * on the same directory skips a claimed cell and later reads it from the cache; a lock whose owner
 * process is gone (same host) is stale and reclaimed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { canonicalJson } from '../sweep/canonical.js';
import type { Json, Params } from '../sweep/types.js';
import { atomicWrite, CacheWriteError, isTempName, type FsLayer } from './fs-layer.js';

export const CELL_FORMAT = 'sweep-cell/2';
/** The format before records carried their engine (still read: see the module comment). */
export const CELL_FORMAT_V1 = 'sweep-cell/1';
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
  /** Numeric engine that computed it (absent in sweep-cell/1 records, where only the key holds it). */
  engine?: string;
  result: Json;
  /** Wall time of `run` in ms (kept in the cache file only; combined results leave it out). */
  elapsedMs: number;
}

/** Cache key of a cell: shared with the page's runner (`src/sweep/keys.ts`). */
import { cellKey } from '../sweep/keys.js';
export { cellKey };

/** File text of a record. */
export function encodeCell(rec: CellRecord): string {
  const payload = canonicalJson(rec, 'cell');
  return `{"checksum":"sha256:${sha256(payload)}","payload":${payload}}\n`;
}

export type Decoded = { ok: true; record: CellRecord } | { ok: false; reason: string };

/** The cell a caller asks the cache for: what a record must describe to be used. */
export interface ExpectedCell {
  key: string;
  experiment: string;
  version: string;
  params: Params;
  replicate: number;
  source: string | null;
  engine: string;
}

const describe = (r: { experiment?: unknown; version?: unknown; params?: unknown; replicate?: unknown; engine?: unknown }): string => {
  let params: string;
  try { params = canonicalJson(r.params as Json); } catch { params = String(r.params); }
  return `${String(r.experiment)} v${String(r.version)} ${params} replicate ${String(r.replicate)}${r.engine !== undefined ? ` engine ${String(r.engine)}` : ''}`;
};

/**
 * Parses and checks a cache file's text: checksum, format, and that it describes exactly the cell asked
 * for (`expected`; a bare key checks only the key, for tools that do not know the cell).
 */
export function decodeCell(text: string, expected: string | ExpectedCell): Decoded {
  const expectedKey = typeof expected === 'string' ? expected : expected.key;
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
  if (r.format !== CELL_FORMAT && r.format !== CELL_FORMAT_V1) return { ok: false, reason: `format ${JSON.stringify(r.format)}, expected ${CELL_FORMAT} (or ${CELL_FORMAT_V1})` };
  if (r.key !== expectedKey) return { ok: false, reason: `holds cell ${r.key} but is filed as ${expectedKey}` };
  if (!('result' in r)) return { ok: false, reason: 'the record has no result' };
  if (typeof expected === 'string') return { ok: true, record: r };
  const want = expected;
  if (r.format === CELL_FORMAT && typeof r.engine !== 'string') return { ok: false, reason: `a ${CELL_FORMAT} record without its engine` };
  if (r.format === CELL_FORMAT_V1 && r.engine !== undefined) return { ok: false, reason: `a ${CELL_FORMAT_V1} record with an engine field` };
  const engine = r.engine ?? want.engine;
  let same: boolean;
  try {
    same = r.experiment === want.experiment && r.version === want.version && r.replicate === want.replicate
      && (r.source ?? null) === want.source && engine === want.engine
      && canonicalJson(r.params) === canonicalJson(want.params)
      && cellKey(r.experiment, r.version, r.params, r.replicate, r.source ?? null, engine) === want.key;
  } catch { same = false; }
  if (!same) {
    return { ok: false, reason: `describes another cell (${describe({ ...r, engine })}) than the one asked for (${describe(want)}); it was copied or renamed here` };
  }
  return { ok: true, record: r };
}

/** Contents of a claim (lock) file. */
export interface LockOwner { pid: number; host: string; since: number }

export type CacheRead =
  | { status: 'hit'; record: CellRecord }
  | { status: 'miss' }
  | { status: 'corrupt'; file: string; reason: string }
  /** Something that is not a readable file is where the cell should be (a directory, no permission). */
  | { status: 'unreadable'; file: string; reason: string };

/** Whether a process with this pid runs on this machine (a dead owner's lock is stale). */
function processAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

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
      if (name.endsWith('.lock')) { if (await this.staleLock(join(this.dir, name))) { await this.fs.remove(join(this.dir, name)); removed++; } continue; }
      if (!isTempName(name)) continue;
      const f = join(this.dir, name);
      const t = await this.fs.mtimeMs(f);
      if (t !== undefined && now - t > STALE_TEMP_MS) { await this.fs.remove(f); removed++; }
    }
    return removed;
  }

  async read(want: string | ExpectedCell): Promise<CacheRead> {
    const file = this.fileOf(typeof want === 'string' ? want : want.key);
    let text: string | undefined;
    try { text = await this.fs.readText(file); } catch (e) {
      const code = (e as NodeJS.ErrnoException)?.code;
      const why = code === 'EISDIR' ? 'a directory is where the cell file should be'
        : code === 'EACCES' || code === 'EPERM' ? 'the cell file cannot be read (permission denied)'
        : `the cell file cannot be read (${code ?? (e as Error)?.message})`;
      return { status: 'unreadable', file, reason: why };
    }
    if (text === undefined) return { status: 'miss' };
    const d = decodeCell(text, want);
    return d.ok ? { status: 'hit', record: d.record } : { status: 'corrupt', file, reason: d.reason };
  }

  lockOf(key: string): string { return join(this.dir, `${key}.lock`); }

  /**
   * Claims a cell for this process: creates `<key>.lock` exclusively. False when another live process
   * holds it; a lock of a process that no longer runs on this host is removed and the claim retried.
   * Locks of other hosts (a shared file system) are respected until released or older than `staleMs`.
   */
  async claim(key: string, staleMs = 24 * 3600 * 1000): Promise<boolean> {
    if (!this.fs.createExclusive) return true; // an injected file layer without exclusive create: no claims
    const file = this.lockOf(key);
    const me: LockOwner = { pid: process.pid, host: hostname(), since: Date.now() };
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await this.fs.createExclusive(file, `${JSON.stringify(me)}\n`)) return true;
      let owner: LockOwner | undefined;
      try { owner = JSON.parse((await this.fs.readText(file)) ?? 'null') ?? undefined; } catch { owner = undefined; }
      if (owner === undefined) {
        // vanished, or being written this instant: an unreadable lock older than a minute is stale
        const t = await this.fs.mtimeMs(file);
        if (t !== undefined && Date.now() - t < 60_000) return false;
      } else if (owner.pid === process.pid && owner.host === me.host) {
        return false; // this process already runs it
      } else if (owner.host === me.host ? processAlive(owner.pid) : Date.now() - owner.since < staleMs) {
        return false;
      }
      await this.fs.remove(file); // stale: its owner is gone
    }
    return false;
  }

  /** A lock of a process that no longer runs on this host (killed after saving its cell, before releasing it). */
  private async staleLock(file: string): Promise<boolean> {
    let owner: LockOwner | undefined;
    try { owner = JSON.parse((await this.fs.readText(file)) ?? 'null') ?? undefined; } catch { return false; }
    return owner !== undefined && owner.host === hostname() && owner.pid !== process.pid && !processAlive(owner.pid);
  }

  async release(key: string): Promise<void> {
    try { await this.fs.remove(this.lockOf(key)); } catch { /* the cell is saved; a leftover lock is stale once we exit */ }
  }

  async write(rec: CellRecord): Promise<void> {
    await atomicWrite(this.fs, this.fileOf(rec.key), encodeCell(rec));
  }
}
