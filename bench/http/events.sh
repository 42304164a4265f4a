#!/usr/bin/env bash
# EventBridge PutEvents next to SQS SendMessage, on the same connections, in one run (JSON
# protocols, unsigned, auth "none"): SendMessage of a 512 B body (AWS JSON 1.0); PutEvents of one
# entry with a 512 B Detail matched by a rule delivering to one queue; the same event on a bus with
# 300 rules (one matches); and PutEvents matched by no rule.
# Usage: bench/http/events.sh [path/to/sluice]   (REPS=3 DURATION=10 CONNS=8)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(realpath "${1:-$HERE/../../build/sluice}")
REPS=${REPS:-3} DURATION=${DURATION:-10} CONNS=${CONNS:-8}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
port=$((20000 + RANDOM % 20000)); admin=$((port + 1))
"$BIN" serve --ephemeral --listen 127.0.0.1:$port --admin-listen 127.0.0.1:$admin --log-level warn &
pid=$!
until curl -fs "http://127.0.0.1:$admin/health" >/dev/null 2>&1; do sleep 0.05; done
ep=http://127.0.0.1:$port
sqsj=application/x-amz-json-1.0 evj=application/x-amz-json-1.1
j() { curl -fsS -X POST "$ep/" -H "Content-Type: $1" -H "X-Amz-Target: $2" --data "$3" >/dev/null; }
j $sqsj AmazonSQS.CreateQueue '{"QueueName":"bench"}'
j $sqsj AmazonSQS.CreateQueue '{"QueueName":"bench-events"}'
qarn=arn:aws:sqs:us-east-1:000000000000:bench-events
j $evj AWSEvents.CreateEventBus '{"Name":"busy"}'
for bus in default busy; do
  j $evj AWSEvents.PutRule "{\"Name\":\"orders\",\"EventBusName\":\"$bus\",\"EventPattern\":\"{\\\"source\\\":[\\\"bench.orders\\\"],\\\"detail\\\":{\\\"status\\\":[\\\"paid\\\"]}}\"}"
  j $evj AWSEvents.PutTargets "{\"Rule\":\"orders\",\"EventBusName\":\"$bus\",\"Targets\":[{\"Id\":\"q\",\"Arn\":\"$qarn\"}]}"
done
# 299 more rules on "busy" (AWS's default quota is 300 rules per bus), each on another customer.
python3 - "$work/rules" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(299):
        pattern = json.dumps({"source": ["bench.orders"], "detail": {"customer": [f"c{i}"]}})
        f.write(json.dumps({"Name": f"r{i}", "EventBusName": "busy", "EventPattern": pattern}) + "\n")
PY
while read -r line; do j $evj AWSEvents.PutRule "$line"; done < "$work/rules"
body=$(head -c 384 /dev/urandom | base64 -w0)
printf '{"QueueUrl":"%s/000000000000/bench","MessageBody":"%s"}' "$ep" "$body" > "$work/send"
detail=$(printf '{\\"status\\":\\"paid\\",\\"customer\\":\\"none\\",\\"blob\\":\\"%s\\"}' "${body:0:470}")
printf '{"Entries":[{"Source":"bench.orders","DetailType":"Order","Detail":"%s"}]}' "$detail" > "$work/put"
printf '{"Entries":[{"Source":"bench.orders","DetailType":"Order","EventBusName":"busy","Detail":"%s"}]}' "$detail" > "$work/put300"
printf '{"Entries":[{"Source":"bench.other","DetailType":"Order","Detail":"%s"}]}' "$detail" > "$work/nomatch"
declare -A target=([send]=AmazonSQS.SendMessage [put]=AWSEvents.PutEvents [put300]=AWSEvents.PutEvents [nomatch]=AWSEvents.PutEvents)
declare -A ctype=([send]=$sqsj [put]=$evj [put300]=$evj [nomatch]=$evj)
workloads="send put put300 nomatch"
declare -A rates
for rep in $(seq "$REPS"); do
  for w in $workloads; do
    out=$(wrk -t1 -c"$CONNS" -d"${DURATION}s" -s "$HERE/post.lua" "$ep/" -- "${target[$w]}" "${ctype[$w]}" "$work/$w" 2>&1 >/dev/null | awk '/^RESULT/')
    read -r _ rps status_err sock_err p50 p99 <<<"$out"
    if ((status_err > 0 || sock_err > 0)); then echo "$w: $status_err HTTP errors, $sock_err socket errors" >&2; exit 1; fi
    rates[$w]="${rates[$w]:-} $rps"
    echo "rep $rep $w: $rps req/s (p50 ${p50} us, p99 ${p99} us)"
  done
done
median() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
send=$(median "${rates[send]}")
echo
echo "| workload | req/s (median of $REPS, ${CONNS} connections) | vs SendMessage |"
echo "|---|---|---|"
for w in $workloads; do
  m=$(median "${rates[$w]}")
  echo "| $w | $m | $(awk -v a="$m" -v b="$send" 'BEGIN {printf "%.2f", a / b}') x |"
done
