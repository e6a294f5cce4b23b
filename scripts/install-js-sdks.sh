#!/usr/bin/env bash
# Installs the JavaScript SDKs used by the SDK compatibility tests (tests/sdk/js: @stackframe/js, pinned
# by package-lock.json) with `npm ci`. Idempotent: skipped when node_modules was installed from the
# current lock (a stamp inside node_modules records the hash of package.json + package-lock.json).
# A fresh install takes about 8-10 s (cold npm cache; 20 s for the first `npm install`); a skip ~0.1 s.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/tests/sdk/js"
STAMP="$DIR/node_modules/.install-stamp"

command -v node >/dev/null || { echo "install-js-sdks: node is not installed (need Node >= 20)" >&2; exit 1; }
command -v npm >/dev/null || { echo "install-js-sdks: npm is not installed" >&2; exit 1; }
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$NODE_MAJOR" -lt 20 ]; then
  echo "install-js-sdks: Node $(node --version) is too old; @stackframe/js needs Node >= 20 (native fetch)" >&2
  exit 1
fi

HASH="$(cat "$DIR/package.json" "$DIR/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$HASH" ] && [ -f "$DIR/node_modules/@stackframe/js/package.json" ]; then
  echo "install-js-sdks: $DIR/node_modules is up to date with package-lock.json (stamp $HASH); skipping npm ci"
  exit 0
fi

echo "install-js-sdks: running npm ci in $DIR (node $(node --version), npm $(npm --version))"
START=$(date +%s)
# --ignore-scripts: nothing the tests use needs an install script (the only one, esbuild's postinstall,
# belongs to an unused transitive dependency, tsx).
(cd "$DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
echo "$HASH" > "$STAMP"
echo "install-js-sdks: installed @stackframe/js $(node -p "require('$DIR/node_modules/@stackframe/js/package.json').version") in $(( $(date +%s) - START )) s"
