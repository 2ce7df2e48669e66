#!/usr/bin/env bash
# Run every check (tools/test.py): lint and format, unit tests against TensorFlow/Keras, nbval over
# every chapter, the test environments and platforms, the book build and the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  echo "No .venv yet: run bash tools/build.sh first." >&2
  exit 1
fi
exec .venv/bin/python tools/test.py "$@"
