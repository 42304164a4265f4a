#!/usr/bin/env bash
# SNS Publish next to SQS SendMessage, on the same connections, in one run (AWS Query, 256 B
# bodies): SendMessage; Publish to a topic with 1 SQS subscription; Publish to a topic with 10 SQS
# subscriptions (fan-out: deliveries/s = 10 x req/s); Publish to a topic with 1,000 SQS
# subscriptions (deliveries/s = 1,000 x req/s); Publish to a topic with 1,000 SQS subscriptions
# that each have a filter policy ({"customer": ["c<i>"], "total": [{"numeric": [">", 10]}]}),
# with a message only one of them matches (filter evaluation). Requests are unsigned (auth "none").
# Usage: bench/http/sns.sh [path/to/sluice]   (REPS=3 DURATION=10 CONNS=8 WORKLOADS="send ...")
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(realpath "${1:-$HERE/../../build/sluice}")
REPS=${REPS:-3} DURATION=${DURATION:-10} CONNS=${CONNS:-8}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
port=$((20000 + RANDOM % 20000)); admin=$((port + 1))
printf '[sns]\nfilter_policy_limit = 1000\n' > "$work/sluice.toml"
"$BIN" serve --ephemeral --config "$work/sluice.toml" --listen 127.0.0.1:$port \
  --admin-listen 127.0.0.1:$admin --log-level warn &
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
# topic_py NAME SUBSCRIPTIONS FILTERED -> topic ARN (one keep-alive connection: 1,000 queues fast)
topic_py() {
  python3 - "$ep" "$1" "$2" "$3" <<'PY'
import http.client, json, re, sys, urllib.parse
ep, name, n, filtered = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
conn = http.client.HTTPConnection(urllib.parse.urlparse(ep).netloc)
def q(params):
    conn.request("POST", "/", urllib.parse.urlencode(params),
                 {"Content-Type": "application/x-www-form-urlencoded"})
    r = conn.getresponse(); body = r.read().decode()
    if r.status != 200: sys.exit(body)
    return body
arn = re.search("<TopicArn>([^<]*)<", q({"Action": "CreateTopic", "Version": "2010-03-31", "Name": name})).group(1)
for i in range(n):
    q({"Action": "CreateQueue", "Version": "2012-11-05", "QueueName": f"{name}-{i}"})
    p = {"Action": "Subscribe", "Version": "2010-03-31", "TopicArn": arn, "Protocol": "sqs",
         "Endpoint": f"arn:aws:sqs:us-east-1:000000000000:{name}-{i}",
         "Attributes.entry.1.key": "RawMessageDelivery", "Attributes.entry.1.value": "true"}
    if filtered:
        p["Attributes.entry.2.key"] = "FilterPolicy"
        p["Attributes.entry.2.value"] = json.dumps({"customer": [f"c{i}"], "total": [{"numeric": [">", 10]}]})
    q(p)
print(arn)
PY
}
t1=$(topic one 1)
t10=$(topic ten 10)
t1000=$(topic_py thousand 1000 0)
t1000f=$(topic_py filtered 1000 1)
body=$(head -c 192 /dev/urandom | base64 -w0)
printf 'Action=SendMessage&Version=2012-11-05&QueueUrl=%s&MessageBody=%s' "$(enc "$qurl")" "$(enc "$body")" > "$work/send"
printf 'Action=Publish&Version=2010-03-31&TopicArn=%s&Message=%s' "$(enc "$t1")" "$(enc "$body")" > "$work/publish1"
printf 'Action=Publish&Version=2010-03-31&TopicArn=%s&Message=%s' "$(enc "$t10")" "$(enc "$body")" > "$work/publish10"
attrs='MessageAttributes.entry.1.Name=customer&MessageAttributes.entry.1.Value.DataType=String&MessageAttributes.entry.1.Value.StringValue=c7&MessageAttributes.entry.2.Name=total&MessageAttributes.entry.2.Value.DataType=Number&MessageAttributes.entry.2.Value.StringValue=25'
printf 'Action=Publish&Version=2010-03-31&TopicArn=%s&Message=%s' "$(enc "$t1000")" "$(enc "$body")" > "$work/publish1000"
printf 'Action=Publish&Version=2010-03-31&TopicArn=%s&Message=%s&%s' "$(enc "$t1000f")" "$(enc "$body")" "$attrs" > "$work/publish1000f"
workloads=${WORKLOADS:-"send publish1 publish10 publish1000 publish1000f"}
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
