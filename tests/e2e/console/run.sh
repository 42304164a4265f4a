#!/usr/bin/env bash
# The web console (docs/console.md) in a real browser: Debian's chromium driven by playwright-core,
# against one Sluice server the suite starts itself (auth sigv4, test mode).
# Usage: tests/e2e/console/run.sh [path/to/sluice]   Screenshots of failures: $CONSOLE_ARTIFACTS
# (default tests/e2e/console/artifacts).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(realpath -m "${1:-${SLUICE_BIN:-$HERE/../../../build/sluice}}")
cd "$HERE"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x $CHROMIUM ]]; then
  echo "chromium not found at $CHROMIUM (tools/install-deps.sh --test installs it)" >&2
  exit 1
fi
if [[ ! -d node_modules ]]; then
  npm ci --no-audit --no-fund --loglevel=error || exit 1
fi
export SLUICE_BIN="$BIN" CHROMIUM
export CONSOLE_ARTIFACTS=${CONSOLE_ARTIFACTS:-$HERE/artifacts}
timeout -k 10 120 node --test --test-concurrency=1 --test-timeout=60000 test/
