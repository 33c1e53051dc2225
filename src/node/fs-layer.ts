/**
 * The file operations of the cache, behind one small interface so that tests can inject failures
 * (a full disk, a read-only directory) and the atomic write can be checked step by step.
 *
 * `atomicWrite` writes a temporary file in the target's directory, fsyncs it, renames it over the
 * target and fsyncs the directory: a reader (or a run restarted after kill -9 or a power cut) sees the
 * old file or the new one, never a part.
 */
import * as fsp from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

export interface FsLayer {
  /** mkdir -p. */
  mkdir(dir: string): Promise<void>;
  /** File contents as UTF-8, or undefined when the file does not exist. */
  readText(file: string): Promise<string | undefined>;
  /** Create or truncate `file`, write `data`, fsync, close. */
  writeDurable(file: string, data: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Remove a file; no error when it does not exist. */
  remove(file: string): Promise<void>;
  /** Names in a directory ([] when it does not exist). */
  list(dir: string): Promise<string[]>;
  /** Modification time in ms, or undefined when the file does not exist. */
  mtimeMs(file: string): Promise<number | undefined>;
  /** fsync a directory (so a rename in it is durable); best effort. */
  syncDir(dir: string): Promise<void>;
  /** Create `file` with `data` only if it does not exist (O_EXCL): true when created, false when it existed. */
  createExclusive?(file: string, data: string): Promise<boolean>;
}

const isCode = (e: unknown, ...codes: string[]) => codes.includes((e as NodeJS.ErrnoException)?.code ?? '');

export const nodeFs: FsLayer = {
  async mkdir(dir) { await fsp.mkdir(dir, { recursive: true }); },
  async readText(file) {
    try { return await fsp.readFile(file, 'utf8'); } catch (e) { if (isCode(e, 'ENOENT')) return undefined; throw e; }
  },
  async writeDurable(file, data) {
    const h = await fsp.open(file, 'w');
    try { await h.writeFile(data, 'utf8'); await h.sync(); } finally { await h.close(); }
  },
  async rename(from, to) { await fsp.rename(from, to); },
  async remove(file) { await fsp.rm(file, { force: true }); },
  async list(dir) {
    try { return await fsp.readdir(dir); } catch (e) { if (isCode(e, 'ENOENT')) return []; throw e; }
  },
  async mtimeMs(file) {
    try { return (await fsp.stat(file)).mtimeMs; } catch (e) { if (isCode(e, 'ENOENT')) return undefined; throw e; }
  },
  async createExclusive(file, data) {
    let h: fsp.FileHandle;
    try { h = await fsp.open(file, 'wx'); } catch (e) { if (isCode(e, 'EEXIST')) return false; throw e; }
    try { await h.writeFile(data, 'utf8'); } finally { await h.close(); }
    return true;
  },
  async syncDir(dir) {
    let h: fsp.FileHandle | undefined;
    try { h = await fsp.open(dir, 'r'); await h.sync(); } catch { /* not supported on every platform */ } finally { await h?.close(); }
  },
};

const TMP_MARK = '.tmp-';

/** True for the temporary files `atomicWrite` leaves behind when killed mid-write. */
export function isTempName(name: string): boolean {
  return name.startsWith('.') && name.includes(TMP_MARK);
}

/** A file system error made readable: what was being done, to which path, and what to do. */
export class CacheWriteError extends Error {
  readonly code: string | undefined;
  readonly path: string;
  constructor(action: string, path: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException)?.code;
    const hint = code === 'ENOSPC' ? ' (no space left on device: free space, or point --data at another disk)'
      : code === 'EACCES' || code === 'EPERM' ? ' (permission denied: make the directory writable, or choose another with --data)'
      : code === 'EROFS' ? ' (read-only file system: choose another directory with --data)'
      : code === 'ENOTDIR' || code === 'EEXIST' ? ' (a path component is a file, not a directory)'
      : '';
    super(`cannot ${action} ${path}: ${(cause as Error)?.message ?? String(cause)}${hint}`, { cause });
    this.name = 'CacheWriteError';
    this.code = code;
    this.path = path;
  }
}

/** Atomically replaces `file` with `data` (temp file + fsync + rename + directory fsync). */
export async function atomicWrite(fs: FsLayer, file: string, data: string): Promise<void> {
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}${TMP_MARK}${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    await fs.writeDurable(tmp, data);
    await fs.rename(tmp, file);
  } catch (e) {
    try { await fs.remove(tmp); } catch { /* the original error matters more */ }
    throw new CacheWriteError('write', file, e);
  }
  await fs.syncDir(dir);
}
