#!/usr/bin/env bash
# Install everything the course needs into .venv and build the HTML book into _build/html
# (tools/build.py does it; PYTHON chooses the Python that creates .venv: 3.11 to 3.13).
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${PYTHON:-python3}" tools/build.py
