#!/usr/bin/env bash
# A private PostgreSQL cluster for tests: initdb into a temporary directory, a free port on
# 127.0.0.1, trust authentication, stopped and removed at the end. Never touches a system cluster.
#
#   tools/pg-fixture.sh start        prints shell assignments (eval them):
#                                      SLUICE_TEST_PG_URL=postgresql://...  SLUICE_PG_FIXTURE_DIR=...
#   tools/pg-fixture.sh stop DIR     stops the cluster started in DIR and removes DIR
#   tools/pg-fixture.sh run CMD...   starts, runs CMD with SLUICE_TEST_PG_URL (and
#                                    SLUICE_PG_FIXTURE_DIR: tests that stop and start it) set, stops
#
# SLUICE_PG_FIXTURE_OPTS adds server options, e.g. "-c shared_preload_libraries=pg_stat_statements"
# (tools/pg-bench.sh profiles with it).
# Uses Debian's PostgreSQL (/usr/lib/postgresql/<version>/bin, package postgresql). As root the
# server runs as the `postgres` user (PostgreSQL refuses to run as root).
set -euo pipefail

bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [[ -n "$d" && -x "$d/initdb" ]] || { echo "pg-fixture: PostgreSQL not installed (apt-get install postgresql)" >&2; exit 1; }
  echo "$d"
}

as_owner() {  # runs "$@" as the cluster's owner
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start() {
  local bin dir port
  bin=$(bindir)
  dir=$(mktemp -d "${TMPDIR:-/tmp}/sluice-pg-XXXXXX")
  chmod 755 "$dir"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  port=$(free_port)
  # Tests open many short-lived databases; no fsync needed for a throwaway cluster.
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 ${SLUICE_PG_FIXTURE_OPTS:-}" >/dev/null ||
    { cat "$dir/server.log" >&2; exit 1; }
  echo "SLUICE_TEST_PG_URL=postgresql://postgres@127.0.0.1:$port/postgres"
  echo "SLUICE_PG_FIXTURE_DIR=$dir"
}

stop() {
  local dir=$1 bin
  bin=$(bindir)
  [[ -d "$dir/data" ]] && as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "$2" ;;
  run)
    shift
    eval "$(start)"
    export SLUICE_TEST_PG_URL SLUICE_PG_FIXTURE_DIR
    trap 'stop "$SLUICE_PG_FIXTURE_DIR"' EXIT
    "$@"
    ;;
  *) echo "usage: $0 start | stop DIR | run CMD..." >&2; exit 2 ;;
esac
