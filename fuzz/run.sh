#!/usr/bin/env bash
# Runs the libFuzzer targets: every regression input once, then each target for SECONDS on a
# copy of its seed corpus (the committed corpus never grows).
#   fuzz/run.sh [BUILD_DIR] [SECONDS] [TARGET...]     (defaults: build-fuzz 10, all targets)
# FUZZ_CORPUS_DIR=dir keeps the working corpora in dir/<target> across runs (make fuzz uses
# BUILD_DIR/fuzz-corpus); crashing inputs are written to BUILD_DIR/fuzz-artifacts/.
# FUZZ_SEED=n fixes libFuzzer's seed, so a short run repeats the same inputs (make test uses 1;
# make fuzz leaves it random).
# Exit status: non-zero if a regression input or a fuzzing run crashed.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build-fuzz}
SECONDS_EACH=${2:-10}
shift $(( $# >= 2 ? 2 : $# ))
TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=(fuzz_http_request fuzz_query_decoder fuzz_json_decoder fuzz_policy
                               fuzz_sigv4 fuzz_validation fuzz_filter_policy fuzz_metric_records
                               fuzz_dashboard_body fuzz_iam_records fuzz_event_inputs
                               fuzz_console_session fuzz_metric_math fuzz_alarm_rule
                               fuzz_store_records fuzz_cbor_decoder fuzz_sqs_inputs
                               fuzz_topic_inputs)
ARTIFACTS=$BUILD/fuzz-artifacts
mkdir -p "$ARTIFACTS"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=()

for t in "${TARGETS[@]}"; do
  bin=$BUILD/fuzz/$t
  if [[ ! -x $bin ]]; then
    echo "fuzz: $bin is missing (make fuzz-build)"; failed+=("$t (not built)"); continue
  fi
  # 1. Regressions: crashing inputs found earlier, run once each; none may crash now.
  regs=(fuzz/regressions/$t/*)
  if [[ -e ${regs[0]} ]]; then
    if ! "$bin" "${regs[@]}" >"$tmp/$t.reg.log" 2>&1; then
      tail -40 "$tmp/$t.reg.log"; failed+=("$t (regression)"); continue
    fi
    echo "fuzz: $t: ${#regs[@]} regression inputs ok"
  fi
  # 2. Fuzzing from the seeds (+ the kept corpus, if any).
  work=$tmp/corpus-$t
  [[ -n ${FUZZ_CORPUS_DIR:-} ]] && work=$FUZZ_CORPUS_DIR/$t
  mkdir -p "$work"
  cp -n fuzz/corpus/$t/* "$work/" 2>/dev/null
  args=()  # dictionary and seed
  [[ -f fuzz/dict/$t.dict ]] && args=(-dict=fuzz/dict/$t.dict)
  [[ -n ${FUZZ_SEED:-} ]] && args+=(-seed="$FUZZ_SEED")
  if "$bin" "$work" "${args[@]}" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
      -max_len=8192 -print_final_stats=1 -artifact_prefix="$ARTIFACTS/$t-" \
      >"$tmp/$t.log" 2>&1; then
    stats=$(grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' "$tmp/$t.log" |
            sed 's/stat:://' | tr '\n' ' ')
    cov=$(grep -E '^#[0-9]+.*(DONE|INITED)' "$tmp/$t.log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+')
    echo "fuzz: $t: ok after ${SECONDS_EACH}s ($stats$cov, corpus $(ls "$work" | wc -l))"
  else
    tail -60 "$tmp/$t.log"
    echo "fuzz: $t: CRASHED; input saved under $ARTIFACTS/ (move it to fuzz/regressions/$t/)"
    failed+=("$t")
  fi
done

if ((${#failed[@]})); then
  echo "fuzz: failed: ${failed[*]}"; exit 1
fi
