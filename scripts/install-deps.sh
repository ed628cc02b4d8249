#!/usr/bin/env bash
# Installs the Debian packages the tests and the demo need, when they are missing:
# the PostgreSQL, MariaDB, Redis and NATS server binaries (the tests start their own
# throw-away servers from them). As root it installs with apt-get; otherwise it prints
# the command to run. Go itself must already be installed (go.dev/dl).
set -euo pipefail

missing=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]; }

ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || have initdb || missing+=(postgresql)
{ have mariadbd || have mysqld; } && have mariadb-install-db || missing+=(mariadb-server)
have redis-server || missing+=(redis-server)
have nats-server || missing+=(nats-server)

if ! command -v go >/dev/null 2>&1; then
  echo "install-deps: Go is not installed; install Go 1.25 or newer from https://go.dev/dl/" >&2
  exit 1
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing ${missing[*]}; run: sudo apt-get update && sudo $cmd" >&2
  # Outside CI the tests that need them say so and skip; in CI they fail.
  [ -z "${CI:-}" ] || exit 1
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
$cmd
