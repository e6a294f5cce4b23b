#!/usr/bin/env bash
# Installs what `make bench` needs besides the Rust toolchain, idempotently:
#   - wrk 4.1 (the HTTP load generator), from Debian's packages when it is not on PATH;
#   - Prism (@stoplight/prism-cli, pinned by scripts/bench/package-lock.json), the peer server, into
#     .tools/prism with `npm ci` (skipped when a stamp says that install matches the lock);
#   - taskset (util-linux), used to pin the server and the load generator to different cores;
#   - valgrind (callgrind, for `make bench-instructions`).
# Prints one line per tool. A fresh install takes about 20 s (apt) + 10 s (npm); a skip ~0.1 s.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/scripts/bench"
PRISM_DIR="$ROOT/.tools/prism"
STAMP="$PRISM_DIR/node_modules/.install-stamp"
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi

apt_install() {
  echo "install-bench-tools: installing $* from Debian packages"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

command -v wrk >/dev/null || apt_install wrk
command -v taskset >/dev/null || apt_install util-linux
command -v callgrind_control >/dev/null || apt_install valgrind
echo "install-bench-tools: $(wrk --version 2>&1 | head -n 1 | cut -d' ' -f1-2)"

command -v node >/dev/null || { echo "install-bench-tools: node is not installed (need Node >= 18 for Prism)" >&2; exit 1; }
command -v npm >/dev/null || { echo "install-bench-tools: npm is not installed" >&2; exit 1; }
HASH="$(cat "$SRC/package.json" "$SRC/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$HASH" ] && [ -x "$PRISM_DIR/node_modules/.bin/prism" ]; then
  echo "install-bench-tools: prism is up to date in $PRISM_DIR (stamp $HASH)"
  exit 0
fi
mkdir -p "$PRISM_DIR"
cp "$SRC/package.json" "$SRC/package-lock.json" "$PRISM_DIR/"
START=$(date +%s)
(cd "$PRISM_DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
echo "$HASH" > "$STAMP"
echo "install-bench-tools: prism $(node -p "require('$PRISM_DIR/node_modules/@stoplight/prism-cli/package.json').version") installed in $PRISM_DIR in $(( $(date +%s) - START )) s"
