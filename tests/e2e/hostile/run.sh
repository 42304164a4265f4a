#!/usr/bin/env bash
# Hostile-client suite: thousands of idle connections, slowloris, half-open TLS, oversized headers and
# bodies, garbage, rate-limit abusers and the connection limit, while well-behaved clients keep working.
# Starts its own servers (it needs configured limits, so SLUICE_ENDPOINT is ignored). Finishes in ~20 s.
# Usage: tests/e2e/hostile/run.sh [path/to/sluice]
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(realpath -m "${1:-${SLUICE_BIN:-$HERE/../../../build/sluice}}")  # resolved against the caller's cwd
exec timeout -k 10 120 /usr/bin/python3 "$HERE/hostile.py" "$BIN"
