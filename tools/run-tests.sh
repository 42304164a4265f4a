#!/usr/bin/env bash
# Runs every suite: unit and engine tests (release and ASan+UBSan builds), the end-to-end
# suites and the crash test (tests/crash) against the built binary, then short libFuzzer runs
# (fuzz/run.sh; args: BUILD ASAN_BUILD FUZZ_BUILD). Prints a final "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
ASAN_BUILD=${2:-build-asan}
FUZZ_BUILD=${3:-build-fuzz}
passed=0
failed=0
failures=()

suite() {  # suite NAME COMMAND...
  local name=$1; shift
  echo "=== $name"
  if "$@"; then passed=$((passed + 1)); echo "=== $name: ok"
  else failed=$((failed + 1)); failures+=("$name"); echo "=== $name: FAILED"; fi
}

# A private PostgreSQL cluster (tools/pg-fixture.sh) for the suites that run on PostgreSQL: the
# engine suite's Postgres configuration and the e2e pass against a node on PostgreSQL. Stopped
# and removed on exit.
if pg_env=$(tools/pg-fixture.sh start); then
  eval "$pg_env"
  export SLUICE_TEST_PG_URL SLUICE_PG_FIXTURE_DIR  # the restart test stops and starts it
  trap 'tools/pg-fixture.sh stop "$SLUICE_PG_FIXTURE_DIR"' EXIT
  echo "PostgreSQL test cluster: $SLUICE_TEST_PG_URL"
else
  echo "PostgreSQL test cluster did not start: the PostgreSQL suites will be skipped"
  failed=$((failed + 1)); failures+=("postgres fixture")
fi

if command -v clang-format >/dev/null && [[ -d .git ]]; then
  suite "clang-format" bash -c "clang-format --dry-run --Werror \$(git ls-files '*.cc' '*.h')"
fi
suite "unit+engine (release)" bash -c "cd $BUILD && ctest --output-on-failure -j2"
# One process per test binary rather than per test (tools/run-gtest-binaries.sh says why).
suite "unit+engine (asan+ubsan)" env ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  tools/run-gtest-binaries.sh "$ASAN_BUILD"
for s in tests/e2e/*/run.sh tests/crash/run.sh; do
  [[ -x $s ]] || continue
  suite "$(dirname "${s#tests/}" | tr / ' ')" "$s" "$BUILD/sluice"
done

# The real clients once more, against the ASan+UBSan server: a memory error or undefined
# behaviour aborts the server, which fails the suite.
suite "e2e python (asan+ubsan server)" env ASAN_OPTIONS=abort_on_error=1 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 tests/e2e/python/run.sh "$ASAN_BUILD/sluice"

# libFuzzer targets (fuzz/README.md): every fixed crash input once, then ~10 s of fuzzing each.
# A fixed seed: the same inputs every run, so CI's verdict does not depend on luck (make fuzz
# explores with random seeds).
suite "fuzz (short)" env FUZZ_SEED=1 fuzz/run.sh "$FUZZ_BUILD" 10

echo
((failed)) && printf 'failed suites: %s\n' "${failures[*]}"
echo "suites: $passed passed, $failed failed"
((failed == 0))
