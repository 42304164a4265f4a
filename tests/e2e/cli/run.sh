#!/usr/bin/env bash
# AWS CLI smoke test against a Sluice binary (Debian's awscli; output checked with python3, no jq).
# Usage: tests/e2e/cli/run.sh [path/to/sluice]   (SLUICE_ENDPOINT=... uses an already running server)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(realpath -m "${1:-${SLUICE_BIN:-$HERE/../../../build/sluice}}")  # resolved against the caller's cwd
cd "$HERE"
AWS=/usr/bin/aws; [[ -x $AWS ]] || AWS=$(command -v aws) || { echo "aws CLI not installed" >&2; exit 1; }
source ../lib/server.sh
sluice_start "$BIN" || exit 1
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 AWS_PAGER="" \
  AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_MAX_ATTEMPTS=1
unset AWS_PROFILE

failures=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; failures=$((failures + 1)); }
sqs() { timeout -k 5 40 "$AWS" --endpoint-url "$SLUICE_ENDPOINT" --output json sqs "$@"; }
# jpath JSON EXPR: evaluates a python expression over the parsed document `d`
jpath() { /usr/bin/python3 -c 'import json,sys; d=json.loads(sys.argv[1] or "{}"); print(eval(sys.argv[2]))' "$1" "$2"; }
check() {  # check NAME ACTUAL EXPECTED
  if [[ "$2" == "$3" ]]; then ok "$1"; else bad "$1: expected [$3], got [$2]"; fi
}

name="cli-$$-$RANDOM"
out=$(sqs create-queue --queue-name "$name" --attributes VisibilityTimeout=40) || bad "create-queue exit $?"
url=$(jpath "$out" 'd["QueueUrl"]')
check "create-queue url" "$url" "$SLUICE_ENDPOINT/000000000000/$name"

out=$(sqs get-queue-url --queue-name "$name") || bad "get-queue-url exit $?"
check "get-queue-url" "$(jpath "$out" 'd["QueueUrl"]')" "$url"

out=$(sqs list-queues --queue-name-prefix "$name") || bad "list-queues exit $?"
check "list-queues" "$(jpath "$out" 'd.get("QueueUrls")')" "['$url']"

out=$(sqs get-queue-attributes --queue-url "$url" --attribute-names All) || bad "get-queue-attributes exit $?"
check "get-queue-attributes VisibilityTimeout" "$(jpath "$out" 'd["Attributes"]["VisibilityTimeout"]')" "40"
check "get-queue-attributes QueueArn" "$(jpath "$out" 'd["Attributes"]["QueueArn"]')" \
  "arn:aws:sqs:us-east-1:000000000000:$name"

body='hello from the CLI: {"k": [1, 2]} é'
out=$(sqs send-message --queue-url "$url" --message-body "$body" \
  --message-attributes '{"greeting":{"DataType":"String","StringValue":"hi"}}') || bad "send-message exit $?"
check "send-message MD5OfMessageBody" "$(jpath "$out" 'd["MD5OfMessageBody"]')" \
  "$(printf '%s' "$body" | md5sum | cut -d' ' -f1)"
check "send-message MD5OfMessageAttributes" "$(jpath "$out" 'd["MD5OfMessageAttributes"]')" \
  "7c50c7ee3dca03a9a7c3f73e6c838c20"
msgid=$(jpath "$out" 'd["MessageId"]')

out=$(sqs receive-message --queue-url "$url" --wait-time-seconds 2 --attribute-names All \
  --message-attribute-names All) || bad "receive-message exit $?"
check "receive-message count" "$(jpath "$out" 'len(d.get("Messages", []))')" "1"
check "receive-message id" "$(jpath "$out" 'd["Messages"][0]["MessageId"]')" "$msgid"
check "receive-message body" "$(jpath "$out" 'd["Messages"][0]["Body"]')" "$body"
check "receive-message attribute" "$(jpath "$out" 'd["Messages"][0]["MessageAttributes"]["greeting"]["StringValue"]')" "hi"
check "receive-message receive count" "$(jpath "$out" 'd["Messages"][0]["Attributes"]["ApproximateReceiveCount"]')" "1"
handle=$(jpath "$out" 'd["Messages"][0]["ReceiptHandle"]')

sqs delete-message --queue-url "$url" --receipt-handle "$handle" && ok "delete-message" || bad "delete-message exit $?"
out=$(sqs get-queue-attributes --queue-url "$url" \
  --attribute-names ApproximateNumberOfMessages ApproximateNumberOfMessagesNotVisible) || bad "get-queue-attributes exit $?"
check "queue empty after delete" \
  "$(jpath "$out" 'd["Attributes"]["ApproximateNumberOfMessages"] + "/" + d["Attributes"]["ApproximateNumberOfMessagesNotVisible"]')" "0/0"

err=$(sqs get-queue-url --queue-name "missing-$name" 2>&1 >/dev/null); rc=$?
if ((rc != 0)) && [[ "$err" == *"AWS.SimpleQueueService.NonExistentQueue"* || "$err" == *"QueueDoesNotExist"* ]]; then
  ok "get-queue-url of a missing queue fails ($rc)"
else
  bad "get-queue-url of a missing queue: rc=$rc err=$err"
fi

sqs delete-queue --queue-url "$url" && ok "delete-queue" || bad "delete-queue exit $?"
out=$(sqs list-queues --queue-name-prefix "$name") || bad "list-queues exit $?"
check "list-queues after delete" "$(jpath "$out" 'd.get("QueueUrls", [])')" "[]"

echo "cli smoke: $failures failure(s)"
((failures == 0))
