/**
 * Register the notebook kernel with Jupyter:  npm run kernel:install [-- --prefix DIR | --sys-prefix]
 *
 * Writes the kernelspec `layerwise-precond` ("TypeScript (layerwise-precond)"): this Node running
 * tools/kernel.mjs of this checkout, which builds src/ and starts tslab. Default: the user's Jupyter
 * data directory (what `jupyter --data-dir` prints; $JUPYTER_DATA_DIR when set), seen by every
 * JupyterLab of the user. --sys-prefix: the active conda environment or virtualenv. Run it again
 * after moving the checkout or changing Node.
 */
import { join } from 'node:path';
import { KERNEL_NAME, jupyterUserDataDir, kernelSpec, writeKernelSpec } from './lib/jupyter.js';

const args = process.argv.slice(2);
let dataDir = jupyterUserDataDir();
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--prefix' && args[i + 1]) dataDir = join(args[++i]!, 'share', 'jupyter');
  else if (args[i] === '--sys-prefix') {
    const prefix = process.env.CONDA_PREFIX ?? process.env.VIRTUAL_ENV;
    if (!prefix) { console.error('--sys-prefix: no active conda environment or virtualenv (CONDA_PREFIX / VIRTUAL_ENV unset)'); process.exit(2); }
    dataDir = join(prefix, 'share', 'jupyter');
  } else {
    console.error('usage: npm run kernel:install [-- --prefix DIR | --sys-prefix]');
    process.exit(2);
  }
}
const spec = kernelSpec();
const file = writeKernelSpec(dataDir, spec);
console.log(`installed kernel '${KERNEL_NAME}' (${spec.display_name}) in ${file}`);
console.log(`  ${spec.argv.join(' ')}`);
