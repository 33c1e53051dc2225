/**
 * Open the notebooks in JupyterLab:  npm run lab
 *
 * Registers the kernel (as `npm run kernel:install` does) and starts JupyterLab — the one on PATH
 * (conda: `conda activate layerwise-precond`), or the one `npm run lab:install` put in .venv/ —
 * at the repository root, showing notebooks/. Extra arguments go to `jupyter lab`.
 */
import { spawn } from 'node:child_process';
import { ROOT, findJupyterLab, jupyterUserDataDir, writeKernelSpec } from './lib/jupyter.js';

const jupyter = findJupyterLab();
if (!jupyter) {
  console.error('JupyterLab not found: `conda env create -f environment.yml && conda activate layerwise-precond`, or `npm run lab:install`');
  process.exit(1);
}
console.log(`kernel: ${writeKernelSpec(jupyterUserDataDir())}`);
const args = ['lab', `--ServerApp.root_dir=${ROOT}`, '--LabApp.default_url=/lab/tree/notebooks', ...process.argv.slice(2)];
if (process.getuid?.() === 0 && !args.includes('--allow-root')) args.push('--allow-root');
const child = spawn(jupyter, args, { cwd: ROOT, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
for (const s of ['SIGINT', 'SIGTERM'] as const) process.on(s, () => child.kill(s));
