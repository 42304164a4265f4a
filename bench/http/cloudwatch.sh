#!/usr/bin/env bash
# CloudWatch costs, one server, one run (ratios comparable): PutMetricData (20 metrics a call) vs
# SendMessage req/s, and the same PutMetricData in Smithy RPC v2 CBOR vs AWS JSON 1.0; GetMetricData over SERIES series with a math expression vs the same queries
# without it; the CPU the server spends per minute of the (adjustable) clock evaluating ALARMS
# alarms. Usage: bench/http/cloudwatch.sh [path/to/sluice]
#   (DURATION=5 CONNS=8 SERIES=500 ALARMS=10000; 500 is AWS's limit of queries per GetMetricData)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(realpath "${1:-$HERE/../../build/sluice}")
DURATION=${DURATION:-5} CONNS=${CONNS:-8} SERIES=${SERIES:-500} ALARMS=${ALARMS:-10000}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
work=$(mktemp -d)
pid=
trap '[[ -n $pid ]] && { kill $pid 2>/dev/null; wait $pid 2>/dev/null; }; rm -rf "$work"' EXIT
port=$((20000 + RANDOM % 20000)); admin=$((port + 1))
printf '[testing]\nclock = "adjustable"\n' > "$work/sluice.toml"
"$BIN" serve --ephemeral --config "$work/sluice.toml" --listen 127.0.0.1:$port \
  --admin-listen 127.0.0.1:$admin --log-level warn &
pid=$!
until curl -fs "http://127.0.0.1:$admin/health" >/dev/null 2>&1; do sleep 0.005; done
ep=http://127.0.0.1:$port
export EP=$ep ADMIN=http://127.0.0.1:$admin WORK=$work SERIES ALARMS

run() {  # run TARGET BODY_FILE CONNS [CONTENT_TYPE] -> "rps p50 p99"
  local out
  out=$(wrk -t1 -c"$3" -d"${DURATION}s" --timeout 30s -s "$HERE/post.lua" "$ep/" -- "$1" \
    "${4:-application/x-amz-json-1.0}" "$2" 2>&1 >/dev/null | awk '/^RESULT/')
  read -r _ rps status_err sock_err p50 p99 <<<"$out"
  if ((status_err > 0 || sock_err > 0)); then echo "$1: errors" >&2; exit 1; fi
  echo "$rps $p50 $p99"
}

# Request bodies and the data: SERIES series with an hour of points, ALARMS alarms over them.
python3 - <<'EOF'
import json, os, time, http.client, urllib.parse
ep = urllib.parse.urlparse(os.environ["EP"])
work, series, alarms = os.environ["WORK"], int(os.environ["SERIES"]), int(os.environ["ALARMS"])
conn = http.client.HTTPConnection(ep.hostname, ep.port)
def call(target, body):
    conn.request("POST", "/", json.dumps(body), {
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target,
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/x/aws4_request, SignedHeaders=host, Signature=0"})
    r = conn.getresponse(); data = r.read()
    assert r.status == 200, (target, r.status, data[:300])
    return json.loads(data or b"{}")
url = call("AmazonSQS.CreateQueue", {"QueueName": "bench"})["QueueUrl"]
json.dump({"QueueUrl": url, "MessageBody": "x" * 256}, open(f"{work}/send.json", "w"))
json.dump({"Namespace": "Bench", "MetricData": [
    {"MetricName": f"m{i}", "Dimensions": [{"Name": "Host", "Value": "h1"}], "Value": i, "Unit": "Count"}
    for i in range(20)]}, open(f"{work}/put.json", "w"))
now = time.time()
start = int(now // 60) * 60 - 3600
for minute in range(60):
    for lo in range(0, series, 1000):
        call("GraniteServiceVersion20100801.PutMetricData", {"Namespace": "Bench/Series", "MetricData": [
            {"MetricName": "Load", "Dimensions": [{"Name": "Host", "Value": f"h{i}"}],
             "Value": (i * 7 + minute) % 100, "Timestamp": start + minute * 60}
            for i in range(lo, min(series, lo + 1000))]})
stats = [{"Id": f"m{i}", "MetricStat": {"Metric": {"Namespace": "Bench/Series", "MetricName": "Load",
          "Dimensions": [{"Name": "Host", "Value": f"h{i}"}]}, "Period": 60, "Stat": "Average"}}
         for i in range(series - 2)]  # room for the two expressions within AWS's 500 queries
window = {"StartTime": start, "EndTime": start + 3600}
json.dump({**window, "MetricDataQueries": stats}, open(f"{work}/plain.json", "w"))
json.dump({**window, "MetricDataQueries": stats + [
    {"Id": "total", "Expression": "SUM(METRICS())"},
    {"Id": "spread", "Expression": "(MAX(METRICS()) - MIN(METRICS())) / AVG(METRICS()) * 100"}]},
    open(f"{work}/math.json", "w"))
for i in range(alarms):
    call("GraniteServiceVersion20100801.PutMetricAlarm", {
        "AlarmName": f"a{i}", "Namespace": "Bench/Series", "MetricName": "Load",
        "Dimensions": [{"Name": "Host", "Value": f"h{i % series}"}], "Statistic": "Average", "Period": 60,
        "EvaluationPeriods": 3, "DatapointsToAlarm": 2, "Threshold": 50,
        "ComparisonOperator": "GreaterThanThreshold"})
EOF

read -r send_rps send_p50 _ <<<"$(run AmazonSQS.SendMessage "$work/send.json" "$CONNS")"
read -r put_rps put_p50 _ <<<"$(run GraniteServiceVersion20100801.PutMetricData "$work/put.json" "$CONNS")"
# The same body in CBOR (python3-cbor2, Debian's; the system interpreter has it).
/usr/bin/python3 -c 'import cbor2, json, sys; open(sys.argv[2], "wb").write(cbor2.dumps(json.load(open(sys.argv[1]))))' \
  "$work/put.json" "$work/put.cbor"
read -r cbor_rps cbor_p50 _ <<<"$(run rpcv2:/service/GraniteServiceVersion20100801/operation/PutMetricData \
  "$work/put.cbor" "$CONNS" application/cbor)"
read -r plain_rps plain_p50 _ <<<"$(run GraniteServiceVersion20100801.GetMetricData "$work/plain.json" 1)"
read -r math_rps math_p50 _ <<<"$(run GraniteServiceVersion20100801.GetMetricData "$work/math.json" 1)"

# Alarm evaluation: CPU (user + system) of the server per minute of the clock, each minute closed
# by one cheap CloudWatch request; the same without a clock move is the baseline.
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
list='{"Namespace":"None"}'
poke() {
  curl -fsS -o /dev/null -X POST "$ep/" -H "X-Amz-Target: GraniteServiceVersion20100801.ListMetrics" \
    -H "Content-Type: application/x-amz-json-1.0" --data-binary "$list"
}
MINUTES=10
before=$(cpu)
for _ in $(seq $MINUTES); do poke; done
base=$(( $(cpu) - before ))
before=$(cpu)
for _ in $(seq $MINUTES); do
  curl -fsS -o /dev/null -X POST "http://127.0.0.1:$admin/test/clock/advance?seconds=60"
  poke
done
eval_ticks=$(( $(cpu) - before - base ))

echo "SendMessage (256 B, $CONNS connections): $send_rps req/s (p50 $send_p50 us)"
echo "PutMetricData (20 metrics, $CONNS connections): $put_rps req/s (p50 $put_p50 us)," \
  "ratio to SendMessage $(awk -v a="$put_rps" -v b="$send_rps" 'BEGIN {printf "%.3f", a / b}')"
echo "PutMetricData in RPC v2 CBOR ($(stat -c %s "$work/put.cbor") B vs $(stat -c %s "$work/put.json") B JSON):" \
  "$cbor_rps req/s (p50 $cbor_p50 us), ratio to JSON $(awk -v a="$cbor_rps" -v b="$put_rps" 'BEGIN {printf "%.3f", a / b}')"
echo "GetMetricData, $((SERIES - 2)) series x 60 points, no math: $plain_rps req/s (p50 $plain_p50 us)"
echo "GetMetricData, same + SUM(METRICS()) and a spread expression: $math_rps req/s (p50 $math_p50 us)," \
  "ratio $(awk -v a="$math_rps" -v b="$plain_rps" 'BEGIN {printf "%.3f", a / b}')"
echo "Alarm evaluation, $ALARMS alarms: $(awk -v t="$eval_ticks" -v h="$ticks" -v m=$MINUTES \
  'BEGIN {printf "%.0f", t / h / m * 1000}') ms CPU per minute of the clock" \
  "(over $MINUTES minutes, baseline requests subtracted)"
