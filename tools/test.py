"""Run every check of the course, with the programs of ``.venv`` (made by ``tools/build.py``).

    bash tools/test.sh                   # Linux, macOS (runs this script)
    .venv\\Scripts\\python tools\\test.py   # Windows, in PowerShell

Lint and format (code and notebooks, with ruff), then pytest: the unit tests of ``utils`` against
TensorFlow/Keras, nbval over every chapter, the environments (Colab's package set, the lower
bounds), the platform resolution, the book build with warnings as errors, and the browser tests.
Arguments go to pytest (``tools/test.py tests/test_conv.py -x``).
"""

from __future__ import annotations

import os
import subprocess
import sys

from build import ROOT, VENV, venv_bin


def main(arguments: list[str]) -> int:
    python = venv_bin("python")
    if not python.exists():
        print("No .venv yet: run tools/build.py (or tools/build.sh) first.", file=sys.stderr)
        return 1
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(python.parent), env.get("PATH", "")])
    env["VIRTUAL_ENV"] = str(VENV)
    for command in (
        [python, "-m", "ruff", "check", "."],
        [python, "-m", "ruff", "format", "--check", "."],
        [python, "-m", "pytest", *arguments],
    ):
        print("+", " ".join(str(part) for part in command[1:]), flush=True)
        code = subprocess.run([str(part) for part in command], cwd=ROOT, env=env).returncode
        if code != 0:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
