/**
 * Checks of the data directories a sweep or a merge is given, before any work: an empty path (which
 * would resolve to the current directory), a path inside a pseudo file system (/proc, /sys, /dev), a
 * path that is (or passes through) a file, a read-only or non-writable location, and for `--from`
 * a missing or unreadable directory. Each is a `PathError` naming the option and the path (bad input:
 * the command line exits with status 2).
 */
import { constants } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { GridError } from '../sweep/grid.js';

export class PathError extends GridError {
  constructor(message: string) { super(message); this.name = 'PathError'; }
}

const PSEUDO = ['/proc', '/sys', '/dev'];

function codeOf(e: unknown): string { return (e as NodeJS.ErrnoException)?.code ?? ''; }

async function statOrUndefined(p: string) {
  try { return await fsp.stat(p); } catch (e) {
    if (codeOf(e) === 'ENOENT') return undefined;
    if (codeOf(e) === 'ENOTDIR') return null; // a component on the way is a file
    throw e;
  }
}

function describeAccess(flag: string, shown: string, p: string, e: unknown): PathError {
  const code = codeOf(e);
  const why = code === 'EROFS' ? 'is on a read-only file system'
    : code === 'EACCES' || code === 'EPERM' ? 'is not writable (permission denied)'
    : `cannot be used (${code || (e as Error)?.message})`;
  return new PathError(`${flag} ${shown}: ${p} ${why}; choose another directory`);
}

/** The resolved data directory, or a PathError saying why it cannot hold a sweep's cells. */
export async function checkDataDir(dir: unknown, flag = '--data', sub?: string): Promise<string> {
  if (typeof dir !== 'string' || dir.trim() === '') {
    throw new PathError(`${flag} '': empty path; give a directory (an empty one would mean the current directory)`);
  }
  const shown = dir;
  const abs = resolve(dir);
  // the nearest existing ancestor, resolved through links: it decides the file system
  let probe = abs;
  for (;;) {
    const st = await statOrUndefined(probe);
    const notDir = (file: string) => new PathError(`${flag} ${shown}: cannot create the data directory ${sub ? join(abs, sub) : abs}: ENOTDIR: ${file} is a file (a path component is a file, not a directory)`);
    if (st === null) { probe = dirname(probe); continue; }
    if (st !== undefined) {
      if (!st.isDirectory()) throw notDir(probe);
      break;
    }
    const up = dirname(probe);
    if (up === probe) break;
    probe = up;
  }
  const real = await fsp.realpath(probe).catch(() => probe);
  for (const p of PSEUDO) {
    if (real === p || real.startsWith(p + sep) || abs === p || abs.startsWith(p + sep)) {
      throw new PathError(`${flag} ${shown}: ${abs} is inside ${p}, a pseudo file system that cannot hold files; choose another directory`);
    }
  }
  try { await fsp.access(probe, constants.W_OK | constants.X_OK); } catch (e) { throw describeAccess(flag, shown, probe, e); }
  return abs;
}

/** A directory to read shards from (`merge --from`): it must exist, be a directory and be readable. */
export async function checkSourceDir(dir: unknown, flag = '--from'): Promise<string> {
  if (typeof dir !== 'string' || dir.trim() === '') throw new PathError(`${flag}: empty path; give a shard's data directory`);
  const shown = dir;
  const abs = resolve(dir);
  const st = await statOrUndefined(abs);
  if (st === undefined) throw new PathError(`${flag} ${shown}: no such directory (${abs})`);
  if (st === null || !st.isDirectory()) throw new PathError(`${flag} ${shown}: ${abs} is a file, not a directory (give the shard's data directory)`);
  try { await fsp.access(abs, constants.R_OK | constants.X_OK); } catch (e) {
    throw new PathError(`${flag} ${shown}: ${abs} cannot be read (${codeOf(e) || (e as Error).message})`);
  }
  return abs;
}
