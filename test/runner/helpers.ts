import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';

export const FIXTURE = fileURLToPath(new URL('./fixtures/counting.ts', import.meta.url));
export const REPO = fileURLToPath(new URL('../../', import.meta.url));

const made: string[] = [];
after(() => { for (const d of made) rmSync(d, { recursive: true, force: true }); });

/** A fresh temporary directory, removed when the test file ends. */
export function tmp(label: string): string {
  const d = mkdtempSync(join(tmpdir(), `sweep-${label}-`));
  made.push(d);
  return d;
}

/** Names of the cell files (32 hex + .json) in a data dir's experiment folder. */
export function cellFiles(dataDir: string, experiment: string): string[] {
  try { return readdirSync(join(dataDir, experiment)).filter((n) => /^[0-9a-f]{32}\.json$/.test(n)).sort(); } catch { return []; }
}

export function allFiles(dataDir: string, experiment: string): string[] {
  try { return readdirSync(join(dataDir, experiment)).sort(); } catch { return []; }
}

export function readText(...parts: string[]): string {
  return readFileSync(join(...parts), 'utf8');
}

/** Lines of the fixture's execution log (each a JSON object). */
export function logLines(file: string): Array<{ a: number; b: string; mode: string; replicate: number }> {
  let text = '';
  try { text = readFileSync(file, 'utf8'); } catch { return []; }
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}
