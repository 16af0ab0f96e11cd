#!/usr/bin/env bash
# Installs the PostgreSQL server binaries the ledger tests start (tests/support/postgres.ts):
# Debian's `postgresql` package, which puts them under /usr/lib/postgresql/<version>/bin.
# Does nothing when they are already there. For CI and developer machines running Debian or Ubuntu.
set -euo pipefail

found() { compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; }

if found; then
  echo "postgres: server binaries present: $(ls -d /usr/lib/postgresql/*/bin | tr '\n' ' ')"
  exit 0
fi

if ! command -v apt-get >/dev/null; then
  echo "postgres: no apt-get here; install the PostgreSQL server and set KENTAUR_TEST_PG_BINDIR to its bin directory" >&2
  exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi

echo "postgres: apt-get update"
"${sudo[@]}" apt-get update
echo "postgres: apt-get install postgresql"
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends postgresql

if ! found; then
  echo "postgres: installed the package, yet no /usr/lib/postgresql/*/bin/initdb" >&2
  exit 1
fi
echo "postgres: installed: $(ls -d /usr/lib/postgresql/*/bin | tr '\n' ' ')"
