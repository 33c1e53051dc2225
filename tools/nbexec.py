#!/usr/bin/env python3
"""Execute one notebook top to bottom with nbclient and write the executed notebook.

The reference executor: test/platform/nbclient-parity.e2e.ts runs a notebook through it and through
tools/lib/execute.ts (which `npm run notebook(s)` and `npm start` use, with no Python) and checks that
both record the same cells. Works with Debian's python3-nbclient as with a pip or conda install.

    nbexec.py --kernel NAME --cwd DIR --timeout S --label LABEL IN.ipynb OUT.ipynb

Exit status 0 when every cell ran; 1 when a cell raised an error (then stderr names the notebook and
the cell, and OUT holds the notebook executed up to that cell); 2 for a usage or kernel-start error.
"""
import argparse
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError


def cell_label(nb, index):
    cell = nb.cells[index]
    code_no = sum(1 for c in nb.cells[: index + 1] if c.cell_type == "code")
    tags = cell.get("metadata", {}).get("tags", [])
    first = next((ln for ln in cell.source.splitlines() if ln.strip()), "")
    return "cell %d (code cell %d%s): %s" % (
        index + 1,
        code_no,
        ", tags: " + ",".join(tags) if tags else "",
        first[:80],
    )


def failure_text(cell, exc):
    """What the kernel said about the failure: tslab reports compile and runtime errors on the
    cell's stderr stream (its error reply carries no traceback), other kernels in an error output."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            parts.append(out.get("text", ""))
        elif out.get("output_type") == "error":
            parts.append("%s: %s\n%s" % (out.get("ename"), out.get("evalue"), "\n".join(out.get("traceback", []))))
    if isinstance(exc, (CellTimeoutError, DeadKernelError)) or not parts:
        parts.append("%s: %s" % (type(exc).__name__, str(exc).strip().splitlines()[-1] if str(exc).strip() else ""))
    return "\n".join(p.rstrip("\n") for p in parts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--cwd", required=True)
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--startup-timeout", type=int, default=120)
    ap.add_argument("--label", default=None)
    ap.add_argument("input")
    ap.add_argument("output")
    a = ap.parse_args()
    label = a.label or a.input

    nb = nbformat.read(a.input, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=a.kernel,
        timeout=a.timeout,
        startup_timeout=a.startup_timeout,
        allow_errors=False,
        record_timing=False,
        resources={"metadata": {"path": a.cwd}},
    )
    failed = None
    try:
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                try:
                    client.execute_cell(
                        cell, index, execution_count=client.code_cells_executed + 1
                    )
                except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
                    failed = (index, e)
                    break
    except Exception as e:  # the kernel did not start, or died outside a cell
        if failed is None:
            print("%s: the kernel '%s' failed: %s: %s" % (label, a.kernel, type(e).__name__, e), file=sys.stderr)
            nbformat.write(nb, a.output)
            return 2
    nbformat.write(nb, a.output)
    if failed is not None:
        index, e = failed
        print("%s: %s failed:" % (label, cell_label(nb, index)), file=sys.stderr)
        print(failure_text(nb.cells[index], e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
