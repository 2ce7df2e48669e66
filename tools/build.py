"""Install everything the course needs into ``.venv`` and build the HTML book into ``_build/html``.

    python3 tools/build.py        # Linux, macOS (what tools/build.sh runs)
    py -3.12 tools\\build.py       # Windows, in PowerShell

The Python that runs this script creates ``.venv`` (if it is not there yet): 3.11, 3.12 or 3.13,
the versions ``requirements.txt`` is tested for. The exact versions of ``requirements.txt`` go into
it, the course package (``utils``) in editable mode among them, and the book is built with
warnings as errors.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
PYTHONS = ((3, 11), (3, 12), (3, 13))


def venv_bin(name: str, venv: Path = VENV) -> Path:
    """A program of a virtual environment: ``bin/NAME`` (``Scripts\\NAME.exe`` on Windows)."""
    if os.name == "nt":
        return venv / "Scripts" / f"{name}.exe"
    return venv / "bin" / name


def run(*command) -> None:
    print("+", " ".join(str(part) for part in command), flush=True)
    subprocess.run([str(part) for part in command], cwd=ROOT, check=True)


def main() -> int:
    python = venv_bin("python")
    if not python.exists():
        if sys.version_info[:2] not in PYTHONS:
            versions = ", ".join(f"{major}.{minor}" for major, minor in PYTHONS)
            print(
                f"Python {sys.version.split()[0]} cannot install the course's pinned versions; "
                f"run this script with Python {versions}.",
                file=sys.stderr,
            )
            return 1
        run(sys.executable, "-m", "venv", VENV)
    run(python, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(python, "-m", "pip", "install", "--quiet", "-r", ROOT / "requirements.txt")
    found = subprocess.run([str(python), "-c", "import tensorflow"], capture_output=True)
    if found.returncode != 0:
        print(
            "TensorFlow did not install: requirements.txt has it for Linux (x86_64, aarch64), "
            "macOS on Apple silicon and Windows (x86_64). On another machine, open the chapters "
            "on Colab.",
            file=sys.stderr,
        )
        return 1
    install_axe()
    run(venv_bin("jupyter-book"), "build", ROOT, "-W", "--keep-going")
    run(python, ROOT / "tools" / "build_pdf.py")  # the book as a PDF, printed by Chromium
    print(f"The book is at {ROOT / '_build' / 'html' / 'index.html'}")
    return 0


AXE = ROOT / "tests" / "a11y"  # axe-core, for the browser tests' accessibility checks


def install_axe() -> None:
    """axe-core from npm, at the version of ``tests/a11y/package-lock.json`` (tests only)."""
    npm = shutil.which("npm")
    if npm is None:
        print(
            "npm not found: the accessibility checks of the browser tests need Node.js and npm "
            "(axe-core); the book builds without them.",
            file=sys.stderr,
        )
        return
    run(npm, "ci", "--prefix", AXE, "--no-audit", "--no-fund", "--silent")


if __name__ == "__main__":
    sys.exit(main())
