#!/usr/bin/env bash
# SNS Publish next to SQS SendMessage, on the same connections, in one run (AWS Query, 256 B
# bodies): SendMessage; Publish to a topic with 1 SQS subscription; Publish to a topic with 10 SQS
# subscriptions (fan-out: deliveries/s = 10 x req/s). Requests are unsigned (auth "none").
# Usage: bench/http/sns.sh [path/to/sluice]   (REPS=3 DURATION=10 CONNS=8)
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
form=application/x-www-form-urlencoded
q() { curl -fsS -X POST "$ep/" -H "Content-Type: $form" --data "$1"; }
xml() { python3 -c 'import re,sys; print(re.search(r"<'"$1"'>([^<]*)</'"$1"'>", sys.stdin.read()).group(1))'; }
enc() { python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
qurl=$(q "Action=CreateQueue&Version=2012-11-05&QueueName=bench" | xml QueueUrl)
topic() {  # topic NAME SUBSCRIPTIONS -> topic ARN
  local arn i
  arn=$(q "Action=CreateTopic&Version=2010-03-31&Name=$1" | xml TopicArn)
  for i in $(seq "$2"); do
    q "Action=CreateQueue&Version=2012-11-05&QueueName=$1-$i" >/dev/null
    q "Action=Subscribe&Version=2010-03-31&TopicArn=$(enc "$arn")&Protocol=sqs&Endpoint=$(enc "arn:aws:sqs:us-east-1:000000000000:$1-$i")&Attributes.entry.1.key=RawMessageDelivery&Attributes.entry.1.value=true" >/dev/null
  done
  echo "$arn"
}
t1=$(topic one 1)
t10=$(topic ten 10)
body=$(head -c 192 /dev/urandom | base64 -w0)
printf 'Action=SendMessage&Version=2012-11-05&QueueUrl=%s&MessageBody=%s' "$(enc "$qurl")" "$(enc "$body")" > "$work/send"
printf 'Action=Publish&Version=2010-03-31&TopicArn=%s&Message=%s' "$(enc "$t1")" "$(enc "$body")" > "$work/publish1"
printf 'Action=Publish&Version=2010-03-31&TopicArn=%s&Message=%s' "$(enc "$t10")" "$(enc "$body")" > "$work/publish10"
workloads="send publish1 publish10"
declare -A rates
for rep in $(seq "$REPS"); do
  for w in $workloads; do
    out=$(wrk -t1 -c"$CONNS" -d"${DURATION}s" -s "$HERE/post.lua" "$ep/" -- - "$form" "$work/$w" 2>&1 >/dev/null | awk '/^RESULT/')
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
