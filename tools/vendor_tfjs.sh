#!/usr/bin/env bash
# Re-create vendor/_static/tfjs/: the two TensorFlow.js bundles that the page "Draw a digit"
# (book/live_network.md) loads, so that the network runs in the page offline (no CDN). Needs npm;
# run it to change the version.
#
#   bash tools/vendor_tfjs.sh [VERSION]     # default: the version in vendor/_static/tfjs/VERSION
#
# Only TensorFlow.js' core (tensors and ops) and its CPU backend are kept, about 0.4 MB: the page
# computes the course CNN with tf.conv2d, tf.maxPool and tf.matMul itself, so it needs neither the
# layers API nor the WebGL backend of the full @tensorflow/tfjs bundle (1.5 MB). The build copies
# vendor/ into _build/html/ (html_extra_path in _config.yml).
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=vendor/_static/tfjs
VERSION="${1:-$(cat "$DEST/VERSION" 2>/dev/null || echo 4)}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
npm install --silent --no-save --no-audit --no-fund --prefix "$WORK" \
  "@tensorflow/tfjs-core@$VERSION" "@tensorflow/tfjs-backend-cpu@$VERSION"
SRC="$WORK/node_modules/@tensorflow"
rm -rf "$DEST"
mkdir -p "$DEST"
cp "$SRC/tfjs-core/dist/tf-core.min.js" "$SRC/tfjs-backend-cpu/dist/tf-backend-cpu.min.js" "$DEST/"
# The packages carry no LICENSE file: each bundle opens with its Apache-2.0 notice.
python3 -c "import json, sys; print('Apache-2.0' == json.load(open(sys.argv[1]))['license'])" \
  "$SRC/tfjs-core/package.json" | grep -qx True
echo "TensorFlow.js is Copyright Google LLC, licensed under the Apache License, Version 2.0:
https://www.apache.org/licenses/LICENSE-2.0 (the notice at the top of each bundle)." >"$DEST/LICENSE"
python3 -c "import json, sys; print(json.load(open(sys.argv[1]))['version'])" \
  "$SRC/tfjs-core/package.json" >"$DEST/VERSION"
echo "TensorFlow.js $(cat "$DEST/VERSION") in $DEST ($(du -sh "$DEST" | cut -f1))"
