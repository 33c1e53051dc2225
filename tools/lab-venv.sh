#!/usr/bin/env bash
# JupyterLab 4 and the plotly renderer in .venv/, with pip (for those without conda):
#   npm run lab:install      then      npm run lab
# pip uses the machine's configured index; --retries 0 fails fast where it cannot be reached.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# package.json says "type": "module"; JupyterLab's bundled yarn.js under .venv/ is CommonJS, and Node
# would read it as ESM without a package.json of its own nearer to it.
echo '{ "type": "commonjs" }' > .venv/package.json
.venv/bin/pip install --retries 0 --disable-pip-version-check 'jupyterlab>=4,<5' 'plotly>=5'
.venv/bin/jupyter lab --version
