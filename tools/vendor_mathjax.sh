#!/usr/bin/env bash
# Re-create vendor/_static/mathjax/: the one MathJax 3 bundle the book loads, with its fonts, so
# that the book typesets its mathematics offline (no CDN). Needs npm; run it to change the version.
#
#   bash tools/vendor_mathjax.sh [VERSION]     # default: the version in vendor/_static/mathjax/VERSION
#
# The build copies vendor/ into _build/html/ (html_extra_path in _config.yml) and pages load
# _static/mathjax/tex-chtml-full.js (mathjax_path), which already contains every TeX extension, so
# that MathJax never fetches more scripts.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=vendor/_static/mathjax
VERSION="${1:-$(cat "$DEST/VERSION" 2>/dev/null || echo 3)}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
npm install --silent --no-save --no-audit --no-fund --prefix "$WORK" "mathjax@$VERSION"
SRC="$WORK/node_modules/mathjax"
rm -rf "$DEST"
mkdir -p "$DEST/output/chtml/fonts"
cp "$SRC/es5/tex-chtml-full.js" "$SRC/LICENSE" "$DEST/"
cp -r "$SRC/es5/output/chtml/fonts/woff-v2" "$DEST/output/chtml/fonts/"
python3 -c "import json, sys; print(json.load(open(sys.argv[1]))['version'])" \
  "$SRC/package.json" >"$DEST/VERSION"
echo "MathJax $(cat "$DEST/VERSION") in $DEST ($(du -sh "$DEST" | cut -f1))"
