#!/usr/bin/env bash
# Creates $REPO/.venv-fuzz with schemathesis pinned from PyPI (tests/fuzz/requirements.txt is the
# complete lock, installed with --no-deps). Idempotent: a stamp file holds a hash of the lock and
# of the interpreter version; when it matches, the script exits at once. When it does not, the
# venv is rebuilt from scratch so it matches the lock exactly. Needs only python3 (with venv +
# pip) and access to PyPI (or PIP_INDEX_URL).
#
# Usage: scripts/install-fuzz-tools.sh        (env PYTHON=python3.12 to pick another)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO/.venv-fuzz"
REQ="$REPO/tests/fuzz/requirements.txt"
STAMP="$VENV/.requirements.sha256"
PYTHON="${PYTHON:-python3}"

say() { echo "install-fuzz-tools: $*"; }

# Hash of the lock plus the interpreter version (a new python3 needs a new venv).
want_hash() {
    "$PYTHON" - "$REQ" <<'PY'
import hashlib, sys
h = hashlib.sha256(sys.version.encode())
with open(sys.argv[1], "rb") as f:
    h.update(f.read())
print(h.hexdigest())
PY
}

up_to_date() {
    [[ -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" ]] && "$VENV/bin/schemathesis" --version >/dev/null 2>&1
}

command -v "$PYTHON" >/dev/null || { echo "install-fuzz-tools: $PYTHON not found" >&2; exit 1; }
WANT="$(want_hash)"
if up_to_date; then
    say "$VENV is up to date (stamp $(cut -c1-12 "$STAMP"))"
    exit 0
fi

# Serialise concurrent runs (parallel cargo tests) where flock exists.
if command -v flock >/dev/null; then
    exec 9>"$REPO/.venv-fuzz.lock"
    flock 9
    if up_to_date; then
        say "$VENV was installed by a concurrent run"
        exit 0
    fi
fi

start=$SECONDS
if [[ -e "$VENV" ]]; then
    say "lock or interpreter changed: removing old $VENV"
    rm -rf -- "$VENV"
fi
say "creating venv $VENV with $("$PYTHON" --version 2>&1)"
"$PYTHON" -m venv "$VENV" || {
    echo "install-fuzz-tools: '$PYTHON -m venv' failed (on Debian/Ubuntu: apt-get install python3-venv)" >&2
    exit 1
}

PIP=("$VENV/bin/python" -m pip --disable-pip-version-check --no-input)
say "pip install --no-deps -r ${REQ#"$REPO"/}"
"${PIP[@]}" install --quiet --no-deps -r "$REQ"

say "pip check"
"${PIP[@]}" check

say "smoke: $("$VENV/bin/schemathesis" --version)"
echo "$WANT" > "$STAMP"
say "done in $((SECONDS - start))s; stamp $STAMP"
