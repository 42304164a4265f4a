#!/usr/bin/env bash
# The cost of the AWS/SQS metrics: SendMessage (256 B, JSON 1.0) req/s with [monitoring]
# sqs_metrics on and off, two servers side by side, runs alternated so both see the same machine.
# Usage: bench/http/sqs-metrics.sh [path/to/sluice]   (REPS=3 DURATION=10 CONNS=8)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(realpath "${1:-$HERE/../../build/sluice}")
REPS=${REPS:-3} DURATION=${DURATION:-10} CONNS=${CONNS:-8}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; rm -rf "$work"' EXIT
declare -A ep
for mode in on off; do
  port=$((20000 + RANDOM % 20000)); admin=$((port + 1))
  [[ $mode == on ]] && flag=true || flag=false
  printf '[monitoring]\nsqs_metrics = %s\n' "$flag" > "$work/$mode.toml"
  "$BIN" serve --ephemeral --config "$work/$mode.toml" --listen 127.0.0.1:$port \
    --admin-listen 127.0.0.1:$admin --log-level warn &
  pids+=($!)
  until curl -fs "http://127.0.0.1:$admin/health" >/dev/null 2>&1; do sleep 0.005; done
  ep[$mode]=http://127.0.0.1:$port
  qurl=$(curl -fsS -X POST "${ep[$mode]}/" -H "X-Amz-Target: AmazonSQS.CreateQueue" \
    -H "Content-Type: application/x-amz-json-1.0" --data-binary '{"QueueName":"bench"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["QueueUrl"])')
  body=$(head -c 192 /dev/urandom | base64 -w0)
  printf '{"QueueUrl":"%s","MessageBody":"%s"}' "$qurl" "$body" > "$work/send-$mode.json"
done
declare -A rates
for rep in $(seq "$REPS"); do
  for mode in on off; do
    out=$(wrk -t1 -c"$CONNS" -d"${DURATION}s" -s "$HERE/post.lua" "${ep[$mode]}/" -- \
      AmazonSQS.SendMessage application/x-amz-json-1.0 "$work/send-$mode.json" 2>&1 >/dev/null |
      awk '/^RESULT/')
    read -r _ rps status_err sock_err p50 p99 <<<"$out"
    if ((status_err > 0 || sock_err > 0)); then echo "$mode: errors" >&2; exit 1; fi
    rates[$mode]="${rates[$mode]:-} $rps"
    echo "rep $rep metrics $mode: $rps req/s (p50 ${p50} us, p99 ${p99} us)"
  done
done
median() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
on=$(median "${rates[on]}") off=$(median "${rates[off]}")
echo
echo "SendMessage req/s (median of $REPS): metrics on $on, off $off, ratio $(awk -v a="$on" -v b="$off" 'BEGIN {printf "%.3f", a / b}')"
