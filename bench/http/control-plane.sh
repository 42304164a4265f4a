#!/usr/bin/env bash
# Throughput of the control-plane services next to SQS SendMessage, on the same connections, in one
# run: SendMessage (256 B, JSON 1.0), KMS Encrypt and Decrypt of 1 KiB, SSM GetParameter (JSON 1.1).
# Also start-to-ready time and idle RSS. Requests are unsigned (auth "none": any well-formed
# request). Usage: bench/http/control-plane.sh [path/to/sluice]   (REPS=3 DURATION=10 CONNS=8)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(realpath "${1:-$HERE/../../build/sluice}")
REPS=${REPS:-3} DURATION=${DURATION:-10} CONNS=${CONNS:-8}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
port=$((20000 + RANDOM % 20000)); admin=$((port + 1))
start=$(date +%s%N)
"$BIN" serve --ephemeral --listen 127.0.0.1:$port --admin-listen 127.0.0.1:$admin --log-level warn &
pid=$!
until curl -fs "http://127.0.0.1:$admin/health" >/dev/null 2>&1; do sleep 0.005; done
ready_ms=$(( ($(date +%s%N) - start) / 1000000 ))
idle_kib=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
ep=http://127.0.0.1:$port

call() {  # call TARGET CONTENT_TYPE JSON
  curl -fsS -X POST "$ep/" -H "X-Amz-Target: $1" -H "Content-Type: $2" --data-binary "$3"
}
j10=application/x-amz-json-1.0 j11=application/x-amz-json-1.1
qurl=$(call AmazonSQS.CreateQueue $j10 '{"QueueName":"bench"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["QueueUrl"])')
key=$(call TrentService.CreateKey $j11 '{}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["KeyMetadata"]["KeyId"])')
plain=$(head -c 1024 /dev/urandom | base64 -w0)
blob=$(call TrentService.Encrypt $j11 "{\"KeyId\":\"$key\",\"Plaintext\":\"$plain\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["CiphertextBlob"])')
have_ssm=1
call AmazonSSM.PutParameter $j11 '{"Name":"/bench/queue-url","Type":"String","Value":"'"$qurl"'"}' >/dev/null 2>&1 || have_ssm=0

body256=$(head -c 192 /dev/urandom | base64 -w0)
printf '{"QueueUrl":"%s","MessageBody":"%s"}' "$qurl" "$body256" > "$work/send.json"
printf '{"KeyId":"%s","Plaintext":"%s"}' "$key" "$plain" > "$work/encrypt.json"
printf '{"CiphertextBlob":"%s"}' "$blob" > "$work/decrypt.json"
printf '{"Name":"/bench/queue-url"}' > "$work/getparameter.json"

declare -A target=([send]=AmazonSQS.SendMessage [encrypt]=TrentService.Encrypt
                   [decrypt]=TrentService.Decrypt [getparameter]=AmazonSSM.GetParameter)
declare -A ctype=([send]=$j10 [encrypt]=$j11 [decrypt]=$j11 [getparameter]=$j11)
workloads="send encrypt decrypt"
((have_ssm)) && workloads="$workloads getparameter"
declare -A rates
for rep in $(seq "$REPS"); do
  for w in $workloads; do
    out=$(wrk -t1 -c"$CONNS" -d"${DURATION}s" -s "$HERE/post.lua" "$ep/" -- "${target[$w]}" "${ctype[$w]}" \
      "$work/$w.json" 2>&1 >/dev/null | awk '/^RESULT/')
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
echo
echo "start to ready: ${ready_ms} ms; idle RSS: $((idle_kib / 1024)) MiB ($idle_kib KiB)"
