#!/usr/bin/env bash
# Creates $REPO/.venv-sdk with the pinned Python SDKs used by tests/sdk/python/*.py
# (dreadnode, zenml, messagebird-sdk) and pytest, then installs the pytest plugin
# clients/python (gateway-testkit) into it, editable, so its sources are used as they are.
# Idempotent: a stamp file holds a hash of the requirement file(s), the plugin's
# pyproject.toml and the interpreter version; when it matches, the script exits at once.
# When it does not, the venv is rebuilt from scratch so it matches the lock exactly.
# Needs only python3 (with venv + pip) and access to PyPI (or PIP_INDEX_URL).
#
# Usage: scripts/install-python-sdks.sh        (env PYTHON=python3.12 to pick another)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO/.venv-sdk"
REQS=("$REPO/tests/sdk/python/requirements.txt")
PLUGIN="$REPO/clients/python"
HASHED=("${REQS[@]}" "$PLUGIN/pyproject.toml")
STAMP="$VENV/.requirements.sha256"
PYTHON="${PYTHON:-python3}"

say() { echo "install-python-sdks: $*"; }

# Hash of the given files plus the interpreter version (a new python3 needs a new venv).
want_hash() {
    "$PYTHON" - "$@" <<'EOF'
import hashlib, sys
h = hashlib.sha256(sys.version.encode())
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        h.update(f.read())
print(h.hexdigest())
EOF
}

up_to_date() {
    [[ -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" ]] && "$VENV/bin/python" -c '' 2>/dev/null
}

command -v "$PYTHON" >/dev/null || { echo "install-python-sdks: $PYTHON not found" >&2; exit 1; }
WANT="$(want_hash "${HASHED[@]}")"
if up_to_date; then
    say "$VENV is up to date (stamp $(cut -c1-12 "$STAMP"))"
    exit 0
fi

# Serialise concurrent runs (e.g. parallel cargo tests) where flock exists.
if command -v flock >/dev/null; then
    exec 9>"$REPO/.venv-sdk.lock"
    flock 9
    if up_to_date; then
        say "$VENV was installed by a concurrent run"
        exit 0
    fi
fi

start=$SECONDS
if [[ -e "$VENV" ]]; then
    say "requirements or interpreter changed: removing old $VENV"
    rm -rf -- "$VENV"
fi
say "creating venv $VENV with $("$PYTHON" --version 2>&1)"
"$PYTHON" -m venv "$VENV" || {
    echo "install-python-sdks: '$PYTHON -m venv' failed (on Debian/Ubuntu: apt-get install python3-venv)" >&2
    exit 1
}

PIP=("$VENV/bin/python" -m pip --disable-pip-version-check --no-input)
for req in "${REQS[@]}"; do
    # --no-deps: the file is a complete lock, and dreadnode must not pull its ML dependencies.
    say "pip install --no-deps -r ${req#"$REPO"/}"
    "${PIP[@]}" install --quiet --no-deps -r "$req"
done

# Editable, without build isolation: setuptools comes from the lock, nothing else is fetched.
say "pip install --no-deps --no-build-isolation -e ${PLUGIN#"$REPO"/}"
"${PIP[@]}" install --quiet --no-deps --no-build-isolation -e "$PLUGIN"

say "pip check (dreadnode's unneeded dependencies are expected to be missing)"
problems="$("${PIP[@]}" check 2>&1 | grep -v -e '^dreadnode ' -e '^No broken requirements' || true)"
if [[ -n "$problems" ]]; then
    echo "install-python-sdks: inconsistent environment:" >&2
    echo "$problems" >&2
    exit 1
fi

say "smoke import: dreadnode.app.api.client and cli.main, zenml.login.pro.client and cli, bird, gateway_testkit.plugin, aiosmtpd"
smoke_dir="$(mktemp -d)"
trap 'rm -rf -- "$smoke_dir"' EXIT
ZENML_CONFIG_PATH="$smoke_dir" ZENML_ANALYTICS_OPT_IN=false ZENML_LOGGING_VERBOSITY=ERROR \
    "$VENV/bin/python" -W ignore -c 'import dreadnode.app.api.client, dreadnode.app.cli.main, zenml.login.pro.client, zenml.cli, bird, gateway_testkit.plugin, aiosmtpd.controller, aiosmtpd.handlers'

echo "$WANT" > "$STAMP"
say "done in $((SECONDS - start))s; stamp $STAMP"
