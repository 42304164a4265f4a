#!/usr/bin/env bash
# boto3 end-to-end suite, run twice: AWS Query protocol (Debian's boto3 1.26 default) and AWS JSON 1.0
# (the repo's current SQS model loaded through AWS_DATA_PATH). The malformed-request tests run in the
# query pass only. Usage: tests/e2e/python/run.sh [path/to/sluice] [extra pytest args...]
# SLUICE_ENDPOINT=http://host:port runs against an already running server instead of starting one.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(realpath -m "${1:-${SLUICE_BIN:-$HERE/../../../build/sluice}}")  # resolved against the caller's cwd
shift || true
export SLUICE_BIN=$BIN
cd "$HERE"
export PYTHONDONTWRITEBYTECODE=1
rc=0
for proto in query json; do
  echo "--- pytest, SLUICE_PROTOCOL=$proto"
  SLUICE_PROTOCOL=$proto timeout -k 10 420 /usr/bin/python3 -m pytest -q "$@" || rc=1
done
exit $rc
