#!/bin/sh
# Rebuild editor.bundle.js (committed, so the app needs no network or npm at
# run time) from editor.js and the CodeMirror packages pinned in package.json.
set -eu
cd "$(dirname "$0")"
work=$(mktemp -d)
cp package.json editor.js "$work"
(cd "$work" && npm install --no-audit --no-fund >/dev/null \
  && npx esbuild editor.js --bundle --minify --format=esm --legal-comments=none --outfile=bundle.js)
{ echo "// Built by build.sh from editor.js + CodeMirror 6 (MIT, see LICENSE-codemirror.txt)."; cat "$work/bundle.js"; } \
  > editor.bundle.js
rm -rf "$work"
