#!/usr/bin/env bash
# Installs what building the gateway needs beyond the Rust toolchain: libpq (diesel's postgres
# backend links it). SQLite is bundled. Quiet and quick when everything is present.
set -euo pipefail
if pkg-config --exists libpq 2>/dev/null || [ -e /usr/lib/x86_64-linux-gnu/libpq.so ]; then
  exit 0
fi
echo "installing libpq-dev (needed by diesel's postgres backend)..."
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libpq-dev pkg-config >/dev/null
