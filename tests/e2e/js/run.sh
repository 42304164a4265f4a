#!/usr/bin/env bash
# AWS SDK for JavaScript v3 + sqs-consumer + sqs-producer suites (node --test) against a Sluice binary.
# Usage: tests/e2e/js/run.sh [path/to/sluice]   (SLUICE_ENDPOINT=... uses an already running server)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(realpath -m "${1:-${SLUICE_BIN:-$HERE/../../../build/sluice}}")  # resolved against the caller's cwd
cd "$HERE"
if [[ ! -d node_modules ]]; then
  npm ci --no-audit --no-fund --loglevel=error || exit 1
fi
source ../lib/server.sh
sluice_start "$BIN" || exit 1
export SLUICE_BIN="$BIN"  # for suites that start servers of their own (test/sts.test.mjs)
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
timeout -k 10 150 node --test --test-concurrency=1 --test-timeout=60000 test/
