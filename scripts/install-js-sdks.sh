#!/usr/bin/env bash
# Installs the JavaScript packages of the SDK compatibility tests (tests/sdk/js: @stackframe/js, and
# svix for the webhook tests) and of
# the vitest helper's own tests (clients/js: vitest and @stackframe/js), each pinned by its
# package-lock.json, with `npm ci`. Idempotent: a directory is skipped when its node_modules was
# installed from the current lock (a stamp inside node_modules records the hash of package.json +
# package-lock.json). A fresh install of tests/sdk/js takes about 8-10 s (cold npm cache; 20 s for the
# first `npm install`), of clients/js about 35 s; a skip ~0.1 s.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

command -v node >/dev/null || { echo "install-js-sdks: node is not installed (need Node >= 20)" >&2; exit 1; }
command -v npm >/dev/null || { echo "install-js-sdks: npm is not installed" >&2; exit 1; }
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$NODE_MAJOR" -lt 20 ]; then
  echo "install-js-sdks: Node $(node --version) is too old; @stackframe/js needs Node >= 20 (native fetch)" >&2
  exit 1
fi

# install DIR PACKAGE: `npm ci` in DIR unless its stamp matches; PACKAGE must be there afterwards.
install() {
  local dir="$ROOT/$1" package="$2"
  local stamp="$dir/node_modules/.install-stamp" hash start
  hash="$(cat "$dir/package.json" "$dir/package-lock.json" | sha256sum | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ] && [ -f "$dir/node_modules/$package/package.json" ]; then
    echo "install-js-sdks: $dir/node_modules is up to date with package-lock.json (stamp $hash); skipping npm ci"
    return
  fi
  echo "install-js-sdks: running npm ci in $dir (node $(node --version), npm $(npm --version))"
  start=$(date +%s)
  # --ignore-scripts: nothing the tests use needs an install script (esbuild's postinstall only
  # checks its binary package, which npm installs as an optional dependency; tsx is unused).
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$hash" > "$stamp"
  echo "install-js-sdks: installed $package $(node -p "require('$dir/node_modules/$package/package.json').version") in $(( $(date +%s) - start )) s"
}

install tests/sdk/js @stackframe/js
# The webhook tests verify deliveries with svix, pinned in the same package-lock.json.
test -f "$ROOT/tests/sdk/js/node_modules/svix/package.json" || { echo "install-js-sdks: svix is missing from tests/sdk/js/node_modules" >&2; exit 1; }
install clients/js vitest
