#!/usr/bin/env bash
# Runs the whole test suite: unit, integration (real MariaDB, RabbitMQ and Redis, started by the tests
# themselves on loopback ports) and browser tests (Chromium).
# Usage: scripts/test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Segments]
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Server binaries live in sbin, which a non-root PATH lacks on Debian.
export PATH="$PATH:/usr/sbin:/sbin"

missing=()
command -v mariadbd >/dev/null 2>&1 || missing+=(mariadb-server)
command -v rabbitmq-server >/dev/null 2>&1 || missing+=(rabbitmq-server)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# Validates docker-compose.yml (`docker-compose config`); no Docker engine is needed.
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)

if ((${#missing[@]} > 0)); then
  echo "Installing ${missing[*]}…"
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { echo "Need root (or sudo) to install ${missing[*]}." >&2; exit 1; }
    sudo=(sudo)
  fi

  # The tests start their own throwaway servers; keep the packages' postinst scripts from starting
  # system-wide services (which also fails where no init system runs, e.g. in a container).
  policy=/usr/sbin/policy-rc.d
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod +x "$policy"
    trap '"${sudo[@]}" rm -f "$policy"' EXIT
  fi

  "${sudo[@]}" apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi

# newman, pinned in tests/postman/package-lock.json, runs docs/postman's collection against the embedded mode.
(cd tests/postman && npm ci --no-audit --no-fund)

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# A test that hangs is reported by name (and its process killed) instead of holding the run forever.
# The test projects run in parallel and their output interleaves, so the log is kept and, when the run
# fails, the failures are repeated at the end where a truncated CI log still shows them.
# The lock files (packages.lock.json) pin every package, transitive ones included; a restore that would resolve
# anything else fails here instead of testing other versions than the ones committed.
dotnet restore XenoCrm.sln --locked-mode

log=$(mktemp -t xenocrm-test.XXXXXX)
set +e
dotnet test XenoCrm.sln -c Release --no-restore \
  --logger "console;verbosity=normal" \
  --blame-hang-timeout 10m --blame-hang-dump-type none \
  "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

if ((status != 0)); then
  echo
  echo "=== dotnet test failed (exit $status); failures and errors from the log above ==="
  # Each failure's block (message and stack trace) runs to the next blank line.
  awk '/^ +Failed [A-Za-z]|error [A-Z]+[0-9]+:|The active test run was aborted|Test host process crashed/ { n = 60 }
       n > 0 { print; if ($0 ~ /^[[:space:]]*$/) n = 0; else n-- }' "$log" | head -600
  echo "=== per-project results ==="
  grep -E -A3 '^Test Run (Successful|Failed|Aborted)' "$log" || true
fi
rm -f "$log"
exit "$status"
