#!/usr/bin/env bash
# Install everything the course needs into .venv and build the HTML book into _build/html.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r requirements.txt
.venv/bin/jupyter-book build . -W --keep-going
echo "The book is at $(pwd)/_build/html/index.html"
