#!/usr/bin/env bash
# Runs a build tree's tests with one process per GoogleTest binary (in the binary's directory, as
# ctest does; two binaries at a time), then its other ctest entries through ctest. Used for the
# ASan+UBSan tree: AddressSanitizer's start-up and LeakSanitizer's scan at exit cost about 0.3 s a
# process, so ctest's one process per test (1,244 of them) took 311 s on the 2-core machine where
# the 22 binaries take about 90 s. SIGPIPE is ignored, as the server ignores it (src/app/server.cc):
# a test that writes to a socket whose peer has gone gets EPIPE instead of killing the binary.
# Usage: tools/run-gtest-binaries.sh BUILD_DIR        (environment passes through, e.g. ASAN_OPTIONS)
set -uo pipefail
BUILD=$(cd "${1:?usage: run-gtest-binaries.sh BUILD_DIR}" && pwd) || exit 2

# "gtest <binary>" per GoogleTest binary, "other <test name>" per other ctest entry.
plan=$(cd "$BUILD" && ctest --show-only=json-v1 | /usr/bin/python3 -c '
import json, sys
seen = set()
for t in json.load(sys.stdin)["tests"]:
    cmd = t.get("command") or []
    if any(p["name"] == "DISABLED" and p["value"] for p in t.get("properties", [])):
        continue
    if any(a.startswith("--gtest_filter") for a in cmd):
        if cmd[0] not in seen:
            seen.add(cmd[0])
            print("gtest", cmd[0])
    else:
        print("other", t["name"])
') || exit 2
mapfile -t binaries < <(awk '$1 == "gtest" {print $2}' <<<"$plan")
mapfile -t others < <(awk '$1 == "other" {print $2}' <<<"$plan")
((${#binaries[@]})) || { echo "no GoogleTest binaries found in $BUILD" >&2; exit 2; }

run_one() {  # run_one BINARY: its log next to it; the log's tail on failure
  local exe=$1 log=$1.log rc
  (cd "$(dirname "$exe")" && trap '' PIPE && exec timeout 1500 "$exe" --gtest_brief=1) >"$log" 2>&1
  rc=$?
  if ((rc != 0)); then
    echo "FAILED: $(basename "$exe") (exit $rc); the end of $log:"
    tail -n 60 "$log"
    return 1
  fi
  echo "ok: $(basename "$exe") ($(grep -E '^\[  PASSED  \]' "$log" | tail -n 1))"
}
export -f run_one

failed=0
# The engine suite first: it is the longest, so the two lanes finish together.
printf '%s\n' "${binaries[@]}" | awk '{print (/engine_test$/ ? 0 : 1), $0}' | sort -k1,1n -s |
  cut -d' ' -f2- | xargs -P 2 -I{} bash -c 'run_one "$@"' _ {} || failed=1
if ((${#others[@]})); then
  regex="^($(IFS='|'; echo "${others[*]}"))\$"
  (cd "$BUILD" && ctest --output-on-failure -R "$regex") || failed=1
fi
echo "GoogleTest binaries: ${#binaries[@]}; other tests: ${#others[@]}; $( ((failed)) && echo FAILED || echo ok)"
((failed == 0))
