#!/usr/bin/env bash
# One node on PostgreSQL against one node on the embedded durable store, in one run on the same
# machine (docs/postgres.md "Measured"). Needs SLUICE_TEST_PG_URL (tools/pg-fixture.sh run ...).
#   tools/pg-bench.sh [path/to/sluice] [seconds] [workloads]
# Prints sluice bench's JSON lines for each node, then one ratio per workload; with
# PG_BENCH_STATS=1 also the top statements of pg_stat_statements (when the extension is loaded).
set -euo pipefail
BIN=$(realpath "${1:-build/sluice}")
DUR=${2:-5}
WL=${3:-send,batch,receive}
: "${SLUICE_TEST_PG_URL:?run under tools/pg-fixture.sh run}"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
db="sluice_bench_$(date +%s%N)"
psql -q -v ON_ERROR_STOP=1 "$SLUICE_TEST_PG_URL" -c "CREATE DATABASE $db" >/dev/null
pg_url="${SLUICE_TEST_PG_URL%/*}/$db"
run_node() {  # name, extra args...: starts a node, benches it, stops it
  local name=$1 port admin pid
  shift
  port=$(free_port)
  admin=$(free_port)
  "$BIN" serve --listen "127.0.0.1:$port" --admin-listen "127.0.0.1:$admin" --log-level warn "$@" \
    >"$tmp/$name.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$admin/health" >/dev/null && break; sleep 0.05; done
  "$BIN" bench --endpoint "http://127.0.0.1:$port" -d "$DUR" --warmup 1 -w "$WL" --fill 20000 --json |
    sed "s/^/$name /" | tee -a "$tmp/results"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}
run_node embedded --data-dir "$tmp/data"
run_node postgres --backend postgres --postgres-url "$pg_url"
python3 - "$tmp/results" <<'PY'
import json, sys
rates = {}
for line in open(sys.argv[1]):
    name, js = line.split(" ", 1)
    d = json.loads(js)
    rates.setdefault(d.get("workload"), {})[name] = d
for wl, r in rates.items():
    if "embedded" in r and "postgres" in r:
        key = next(k for k in ("msgs_per_s", "messages_per_s", "rate", "ops_per_s") if k in r["embedded"]) if any(k in r["embedded"] for k in ("msgs_per_s", "messages_per_s", "rate", "ops_per_s")) else None
        if key:
            e, p = r["embedded"][key], r["postgres"][key]
            print(f"ratio {wl}: embedded {e:.0f}, postgres {p:.0f}, {p / e:.2f}x")
PY
if [[ "${PG_BENCH_STATS:-}" == 1 ]]; then
  psql -q "$pg_url" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null || true
  psql -q "$pg_url" -c "SELECT calls, round(total_exec_time) AS ms, round(mean_exec_time::numeric, 3) AS mean_ms, left(regexp_replace(query, '\s+', ' ', 'g'), 110) AS query FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 15" || true
fi
