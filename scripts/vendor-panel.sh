#!/usr/bin/env bash
# Vendor the browser libraries used by the web panel (api/panel/static/vendor/).
# Needs Node.js/npm only when (re)vendoring; the panel itself runs without Node.
# Idempotent: re-running with the same pins rewrites identical files
# (except the date in VERSIONS.txt). All npm work happens in a temp dir.
set -euo pipefail

PREACT_VERSION="11.2.0"
HTM_VERSION="3.1.1"
GRAPHQL_WS_VERSION="6.4.2"
ESBUILD_VERSION="0.28.2"
UPLOT_VERSION="1.6.32"

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT_DIR="$REPO_ROOT/api/panel/static/vendor"

command -v npm >/dev/null || { echo "vendor-panel: npm is required" >&2; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cd "$WORK"
cat > package.json <<JSON
{ "name": "switchboard-panel-vendor", "version": "0.0.0", "private": true }
JSON
npm install --no-audit --no-fund --save-exact --loglevel=error \
  "preact@$PREACT_VERSION" \
  "htm@$HTM_VERSION" \
  "graphql-ws@$GRAPHQL_WS_VERSION" \
  "uplot@$UPLOT_VERSION" \
  "esbuild@$ESBUILD_VERSION" >/dev/null

NM="$WORK/node_modules"
STAGE="$WORK/out"
mkdir -p "$STAGE"

# First existing file among the arguments (preact 10 ships *.module.js,
# preact 11 ships *.mjs for the same ES module build).
first_of() {
  local f
  for f in "$@"; do [[ -f "$f" ]] && { echo "$f"; return 0; }; done
  echo "vendor-panel: none of these exist: $*" >&2
  return 1
}

# preact: ES module build as is.
cp "$(first_of "$NM/preact/dist/preact.module.js" "$NM/preact/dist/preact.mjs")" \
  "$STAGE/preact.mjs"

# preact/hooks: ES module build; it imports the bare specifier "preact",
# which the page's import map resolves to preact.mjs.
cp "$(first_of "$NM/preact/hooks/dist/hooks.module.js" "$NM/preact/hooks/dist/hooks.mjs")" \
  "$STAGE/preact-hooks.mjs"
grep -Eq "from ?[\"']preact[\"']" "$STAGE/preact-hooks.mjs" || {
  echo "vendor-panel: preact-hooks.mjs does not import bare 'preact'" >&2; exit 1; }

# htm: ES module build.
cp "$NM/htm/dist/htm.module.js" "$STAGE/htm.mjs"

# Drop trailing sourceMappingURL comments (the .map files are not vendored).
for f in preact.mjs preact-hooks.mjs htm.mjs; do
  sed -i -E '/^\/\/# sourceMappingURL=/d; s#//\# sourceMappingURL=[^ ]*$##' "$STAGE/$f"
done

# graphql-ws client: one minified browser ES module exporting createClient.
echo 'export { createClient } from "graphql-ws";' > "$WORK/graphql-ws-entry.mjs"
"$NM/.bin/esbuild" "$WORK/graphql-ws-entry.mjs" \
  --bundle --format=esm --minify --platform=browser \
  --legal-comments=none --log-level=warning \
  --outfile="$STAGE/graphql-ws.mjs"

# uPlot (the analytics page's charts): its ES module build, minified; its stylesheet as is.
"$NM/.bin/esbuild" "$NM/uplot/dist/uPlot.esm.js" \
  --format=esm --minify --platform=browser \
  --legal-comments=none --log-level=warning \
  --outfile="$STAGE/uplot.mjs"
cp "$NM/uplot/dist/uPlot.min.css" "$STAGE/uplot.css"

cat > "$STAGE/VERSIONS.txt" <<TXT
# Vendored by scripts/vendor-panel.sh on $(date -u +%Y-%m-%d)
preact $PREACT_VERSION (ES module build -> preact.mjs; preact/hooks ES module build -> preact-hooks.mjs)
htm $HTM_VERSION (dist/htm.module.js -> htm.mjs)
graphql-ws $GRAPHQL_WS_VERSION (client bundled -> graphql-ws.mjs)
uplot $UPLOT_VERSION (dist/uPlot.esm.js minified -> uplot.mjs; dist/uPlot.min.css -> uplot.css)
esbuild $ESBUILD_VERSION (build tool only)
TXT

mkdir -p "$OUT_DIR"
for f in preact.mjs preact-hooks.mjs htm.mjs graphql-ws.mjs uplot.mjs uplot.css VERSIONS.txt; do
  cp "$STAGE/$f" "$OUT_DIR/$f"
done

echo "vendor-panel: wrote $OUT_DIR"
ls -l "$OUT_DIR"
