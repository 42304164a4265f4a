#!/usr/bin/env bash
# Crash test: producers and consumers under load, kill -9 of the server at random moments over several
# cycles, restart on the same data directory each time; then every acknowledged send must have been
# received, no acknowledged delete may come back, queue attributes and tags must be intact.
# Usage: tests/crash/run.sh [path/to/sluice]      (env: CYCLES, LOAD_SECONDS, SEED; see README.md)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(realpath -m "${1:-${SLUICE_BIN:-$HERE/../../build/sluice}}")  # resolved against the caller's cwd

# The binary may be being relinked by another build: wait a little for it to appear.
for _ in $(seq 1 30); do [[ -x $BIN ]] && break; sleep 1; done
if [[ ! -x $BIN ]]; then echo "sluice binary not found or not executable: $BIN" >&2; exit 2; fi

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
PORT=$(free_port)
ADMIN_PORT=$(free_port)
while [[ $ADMIN_PORT == "$PORT" ]]; do ADMIN_PORT=$(free_port); done
WORK=$(mktemp -d /tmp/sluice-crash.XXXXXX)
DRIVER_PID=

cleanup() {
  if [[ -n $DRIVER_PID ]]; then  # timeout passes TERM on to the driver; its server dies with it
    kill -TERM "$DRIVER_PID" 2>/dev/null
    for _ in $(seq 1 20); do kill -0 "$DRIVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$DRIVER_PID" 2>/dev/null
  fi
  if [[ -s $WORK/server.pid ]]; then
    local pid; pid=$(<"$WORK/server.pid")
    kill -KILL "$pid" 2>/dev/null
  fi
  if [[ ${KEEP_CRASH_DIR:-0} == 1 ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export SLUICE_BIN=$BIN CRASH_PORT=$PORT CRASH_ADMIN_PORT=$ADMIN_PORT CRASH_DATA_DIR=$WORK/data \
  CRASH_WORK_DIR=$WORK CRASH_PIDFILE=$WORK/server.pid PYTHONDONTWRITEBYTECODE=1
mkdir -p "$WORK/data"
# Whole run bounded: the driver budgets itself (CRASH_BUDGET, default 80 s); timeout is the backstop.
LIMIT=$(( ${CRASH_BUDGET:-80} + 8 ))
timeout -k 2 "$LIMIT" /usr/bin/python3 "$HERE/crash_test.py" &
DRIVER_PID=$!
wait "$DRIVER_PID"
rc=$?
DRIVER_PID=
if ((rc == 124 || rc == 137)); then
  echo "crash test timed out after ${LIMIT} s"
  echo "crash: 0 passed, 1 failed"
fi
if ((rc != 0)) && [[ ${KEEP_CRASH_DIR:-0} != 1 ]]; then
  for f in "$WORK"/server-*.log; do
    [[ -s $f ]] || continue
    echo "--- last lines of $(basename "$f")"; tail -n 15 "$f"
  done
fi
exit $rc
