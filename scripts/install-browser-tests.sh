#!/usr/bin/env bash
# Installs what the console's browser test needs: Debian's `chromium` (apt, only when
# /usr/bin/chromium is missing; never a browser download) and `playwright-core` pinned by
# tests/browser/package-lock.json (`npm ci`, no install scripts, so Playwright fetches no browser).
# Idempotent: npm ci is skipped when node_modules matches the lock (a stamp records its hash).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/tests/browser"
STAMP="$DIR/node_modules/.install-stamp"

if [ ! -x /usr/bin/chromium ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "install-browser-tests: installing Debian chromium with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
echo "install-browser-tests: $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium (version unknown)')"

command -v node >/dev/null || { echo "install-browser-tests: node is not installed (need Node >= 18)" >&2; exit 1; }
command -v npm >/dev/null || { echo "install-browser-tests: npm is not installed" >&2; exit 1; }

HASH="$(cat "$DIR/package.json" "$DIR/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$HASH" ] && [ -f "$DIR/node_modules/playwright-core/package.json" ]; then
  echo "install-browser-tests: $DIR/node_modules is up to date (stamp $HASH)"
  exit 0
fi
echo "install-browser-tests: running npm ci in $DIR"
(cd "$DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
echo "$HASH" > "$STAMP"
echo "install-browser-tests: playwright-core $(node -p "require('$DIR/node_modules/playwright-core/package.json').version")"
