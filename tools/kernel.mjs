#!/usr/bin/env node
/**
 * The notebook kernel: tslab, started after the library in src/ is compiled.
 *
 * Jupyter starts this file (see the kernelspec written by `npm run kernel:install`) with the
 * notebook's folder as working directory. It
 *   1. brings dist/ up to date with src/ (`tsc -b tsconfig.lib.json`: a no-op when nothing changed),
 *      so an edit to src/ reaches the notebooks at the next kernel restart;
 *   2. starts tslab's kernel in this process.
 * Notebooks import the library by its package name, `import { Rng } from 'layerwise-precond/rng'`:
 * package.json maps `layerwise-precond/*` to dist/src/* ("exports" for Node, "typesVersions" for
 * tslab's TypeScript), and npm links the package into its own node_modules (the `file:` dev
 * dependency), so the import resolves from any folder of the repository.
 *
 * A type error in src/ does not stop the kernel (a notebook would only see "kernel died"): tsc still
 * emits the JavaScript, and the errors are printed on this process's stderr, the terminal that runs
 * JupyterLab. `npm run notebooks` builds first and stops at any such error.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(join(root, 'package.json'));

const args = process.argv.slice(2);
const at = args.indexOf('--config-path');
const configPath = at >= 0 ? args[at + 1] : args[0];
if (!configPath) {
  console.error('usage: kernel.mjs --config-path <connection_file>');
  process.exit(2);
}

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const t0 = Date.now();
const build = spawnSync(process.execPath, [tsc, '-b', join(root, 'tsconfig.lib.json')], { cwd: root, encoding: 'utf8' });
const buildLog = ((build.stdout ?? '') + (build.stderr ?? '') + (build.error ? String(build.error) : '')).trim();
if (build.status !== 0) {
  process.stderr.write(`[layerwise-precond kernel] building src/ failed (exit ${build.status}); dist/ may be stale:\n${buildLog}\n`);
} else if (!process.env.LP_KERNEL_QUIET) {
  process.stderr.write(`[layerwise-precond kernel] src/ built in ${Date.now() - t0} ms\n`);
}

const { startKernel } = require('tslab/dist/main.js');
startKernel({ configPath, enableFindLocal: false });

