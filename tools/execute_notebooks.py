"""Re-execute chapters top to bottom and store their outputs in place.

    python tools/execute_notebooks.py                    # every chapter
    python tools/execute_notebooks.py book/01_*.ipynb    # some

Runs each notebook in a fresh kernel from the ``book/`` folder, with the project's IPython
profile (TensorFlow's C++ log lines stay out of the outputs), then strips what must not be
stored: widget state and per-cell execution metadata.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
import notebooks as nbs
from nbclient import NotebookClient


def clean(nb) -> None:
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            for output in cell.get("outputs", []):
                output.get("data", {}).pop("application/vnd.jupyter.widget-view+json", None)


def execute(path: Path, timeout: int) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        # Text redrawn in place with "\r" (progress bars) is stored as its final state.
        coalesce_streams=True,
    ).execute()
    clean(nb)
    nbformat.write(nb, path)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--timeout", type=int, default=2400, help="seconds per cell")
    args = parser.parse_args()
    os.environ["IPYTHONDIR"] = str(nbs.ROOT / ".ipython")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    for path in args.paths or nbs.notebooks():
        print(f"{path}: executed in {execute(path.resolve(), args.timeout):.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
