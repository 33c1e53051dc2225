/** Notebook parameters: the browser-safe implementation is src/ipynb/params.ts (the site injects with it too). */
export * from '../../src/ipynb/params.js';
