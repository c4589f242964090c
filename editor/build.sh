#!/bin/sh
# Builds assets/static/js/editor.js (one minified IIFE, no eval, no source map) and
# assets/static/js/editor.LICENSES.txt from the pinned packages in package-lock.json.
set -eu
cd "$(dirname "$0")"

npm ci --no-audit --no-fund

OUT=../assets/static/js
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

./node_modules/.bin/esbuild src/main.js \
  --bundle --format=iife --minify --target=es2019 --platform=browser \
  --legal-comments=none --log-level=warning \
  --metafile="$TMP/meta.json" --outfile="$TMP/editor.js"

# The admin pages run under a strict CSP: no eval, no Function constructor.
if grep -q -e 'eval(' -e 'new Function' "$TMP/editor.js"; then
  echo "build.sh: the bundle contains eval( or new Function" >&2
  exit 1
fi

node licenses.mjs "$TMP/meta.json" > "$TMP/editor.LICENSES.txt"
cp "$TMP/editor.js" "$OUT/editor.js"
cp "$TMP/editor.LICENSES.txt" "$OUT/editor.LICENSES.txt"

echo "editor.js: $(wc -c < "$OUT/editor.js") bytes, $(gzip -9 < "$OUT/editor.js" | wc -c) gzipped"
