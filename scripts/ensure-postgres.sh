#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 with trust auth for user postgres:
# starts the installed cluster, or installs PostgreSQL from Debian's packages and starts it.
set -euo pipefail
ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
ready && { echo "postgresql: answering on 127.0.0.1:5432"; exit 0; }
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
  echo "postgresql: not installed; installing from Debian packages..."
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql postgresql-client >/dev/null
fi
version=$(ls /etc/postgresql | sort -V | tail -n 1)
hba=/etc/postgresql/$version/main/pg_hba.conf
if ! grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$hba"; then
  echo "postgresql: allowing trust auth on 127.0.0.1 (test machine only)"
  $SUDO sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
fi
echo "postgresql: starting cluster $version/main"
$SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || $SUDO pg_ctlcluster "$version" main restart
for _ in $(seq 1 30); do ready && { echo "postgresql: ready"; exit 0; }; sleep 1; done
echo "postgresql: did not come up on 127.0.0.1:5432" >&2
exit 1
