/**
 * Notebook files: the nbformat types and Jupyter's formatting (browser-safe, in src/ipynb/format.ts,
 * re-exported here) and reading and writing them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { formatNotebook, type Notebook } from '../../src/ipynb/format.js';

export * from '../../src/ipynb/format.js';

export function readNotebook(path: string): Notebook {
  let nb: Notebook;
  try {
    nb = JSON.parse(readFileSync(path, 'utf8')) as Notebook;
  } catch (e) {
    throw new Error(`${path}: not a readable notebook (${(e as Error).message})`);
  }
  if (nb.nbformat !== 4 || !Array.isArray(nb.cells)) throw new Error(`${path}: not an nbformat 4 notebook`);
  return nb;
}

export function writeNotebook(path: string, nb: Notebook): void {
  writeFileSync(path, formatNotebook(nb));
}

