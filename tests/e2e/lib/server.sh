# Shared helper for tests/e2e/*/run.sh: starts a Sluice binary on free loopback ports and stops it on exit.
# Usage (sourced):  source "$(dirname "$0")/../lib/server.sh"; sluice_start "$BIN"
# Sets SLUICE_PORT, SLUICE_ADMIN_PORT, SLUICE_ENDPOINT (http://127.0.0.1:PORT), SLUICE_LOG.
# If SLUICE_ENDPOINT is already set, no server is started (run against an existing one).

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

sluice_stop() {
  if [[ -n "${SLUICE_PID:-}" ]] && kill -0 "$SLUICE_PID" 2>/dev/null; then
    kill -TERM "$SLUICE_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$SLUICE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SLUICE_PID" 2>/dev/null
    wait "$SLUICE_PID" 2>/dev/null
  fi
  SLUICE_PID=
}

sluice_start() {  # sluice_start BIN
  if [[ -n "${SLUICE_ENDPOINT:-}" ]]; then
    echo "using existing server at $SLUICE_ENDPOINT"
    return 0
  fi
  local bin=$1
  if [[ ! -x "$bin" ]]; then echo "sluice binary not found or not executable: $bin" >&2; return 1; fi
  SLUICE_PORT=$(free_port)
  SLUICE_ADMIN_PORT=$(free_port)
  while [[ "$SLUICE_ADMIN_PORT" == "$SLUICE_PORT" ]]; do SLUICE_ADMIN_PORT=$(free_port); done
  SLUICE_LOG=$(mktemp /tmp/sluice-e2e.XXXXXX.log)
  "$bin" serve --listen "127.0.0.1:$SLUICE_PORT" --admin-listen "127.0.0.1:$SLUICE_ADMIN_PORT" \
    --ephemeral --log-level warn >"$SLUICE_LOG" 2>&1 &
  SLUICE_PID=$!
  trap 'sluice_stop' EXIT
  trap 'sluice_stop; exit 130' INT TERM
  local deadline=$((SECONDS + 10))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$SLUICE_PID" 2>/dev/null; then
      echo "sluice exited during startup; log:" >&2; cat "$SLUICE_LOG" >&2; SLUICE_PID=; return 1
    fi
    if curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$SLUICE_ADMIN_PORT/health" 2>/dev/null; then
      SLUICE_ENDPOINT="http://127.0.0.1:$SLUICE_PORT"
      export SLUICE_PORT SLUICE_ADMIN_PORT SLUICE_ENDPOINT SLUICE_LOG
      echo "sluice pid $SLUICE_PID listening on $SLUICE_ENDPOINT (admin $SLUICE_ADMIN_PORT)"
      return 0
    fi
    sleep 0.1
  done
  echo "sluice did not become healthy within 10 s; log:" >&2; cat "$SLUICE_LOG" >&2
  sluice_stop
  return 1
}
