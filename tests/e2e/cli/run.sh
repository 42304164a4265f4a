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

# ---- HTTPS: a second server with its API on TLS only (server.listen = "off"), the committed test CA
# and certificate (tests/unit/net/data), and the CLI's --ca-bundle.
if [[ -x "$BIN" ]]; then
  DATA=$(cd "$HERE/../../unit/net/data" && pwd)
  tls_port=$(free_port); tls_admin=$(free_port)
  while [[ "$tls_admin" == "$tls_port" ]]; do tls_admin=$(free_port); done
  tls_dir=$(mktemp -d /tmp/sluice-cli-tls.XXXXXX)
  printf '%s\n' '[server]' 'listen = "off"' "tls_listen = \"127.0.0.1:$tls_port\"" \
    "admin_listen = \"127.0.0.1:$tls_admin\"" "tls_cert_file = \"$DATA/server-cert.pem\"" \
    "tls_key_file = \"$DATA/server-key.pem\"" >"$tls_dir/sluice.toml"
  "$BIN" serve --config "$tls_dir/sluice.toml" --ephemeral --log-level warn >"$tls_dir/sluice.log" 2>&1 &
  tls_pid=$!
  trap 'kill -TERM $tls_pid 2>/dev/null; sluice_stop; rm -rf "$tls_dir"' EXIT
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$tls_admin/health" 2>/dev/null && break
    sleep 0.1
  done
  tsqs() { timeout -k 5 40 "$AWS" --endpoint-url "https://localhost:$tls_port" --ca-bundle "$DATA/ca.pem" \
    --output json sqs "$@"; }
  out=$(tsqs create-queue --queue-name "$name-tls") || bad "https create-queue exit $?"
  turl=$(jpath "$out" 'd.get("QueueUrl")')
  check "https create-queue url" "$turl" "https://localhost:$tls_port/000000000000/$name-tls"
  out=$(tsqs send-message --queue-url "$turl" --message-body "over TLS") || bad "https send-message exit $?"
  check "https send-message MD5" "$(jpath "$out" 'd.get("MD5OfMessageBody")')" \
    "$(printf '%s' "over TLS" | md5sum | cut -d' ' -f1)"
  out=$(tsqs receive-message --queue-url "$turl" --wait-time-seconds 2) || bad "https receive-message exit $?"
  check "https receive-message body" "$(jpath "$out" 'd["Messages"][0]["Body"]')" "over TLS"
  # Without the CA bundle the CLI must refuse the certificate.
  err=$(timeout -k 5 40 "$AWS" --endpoint-url "https://localhost:$tls_port" --output json sqs list-queues 2>&1 >/dev/null)
  rc=$?
  if ((rc != 0)) && [[ "$err" == *"SSL"* || "$err" == *"certificate"* ]]; then ok "https without --ca-bundle refused ($rc)"
  else bad "https without --ca-bundle: rc=$rc err=$err"; fi
  kill -TERM "$tls_pid" 2>/dev/null; wait "$tls_pid" 2>/dev/null
fi

# ---------------------------------------------------------------- STS
out=$(timeout -k 5 40 "$AWS" --endpoint-url "$SLUICE_ENDPOINT" --output json sts get-caller-identity) \
  || bad "sts get-caller-identity exit $?"
check "sts get-caller-identity (auth none: the account root)" "$(jpath "$out" 'd["Arn"]')" \
  "arn:aws:iam::000000000000:root"

# A second server with auth = "sigv4", a role and an adjustable clock: assume-role, use, expire.
if [[ -x "$BIN" ]]; then
  sts_dir=$(mktemp -d /tmp/sluice-cli-sts.XXXXXX)
  trust='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/cli"},"Action":"sts:AssumeRole"}]}'
  send_only='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sqs:SendMessage","sqs:GetQueueUrl"],"Resource":"*"}]}'
  all_sqs='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]}'
  q() { /usr/bin/python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }
  cat >"$sts_dir/sluice.toml" <<TOML
[auth]
mode = "sigv4"
[[auth.users]]
name = "cli"
account = "111111111111"
access_key_id = "AKIDCLISTS"
secret_access_key = "cli-sts-secret"
policies = [$(q "$all_sqs")]
[[auth.roles]]
name = "sender"
account_id = "111111111111"
assume_role_policy = $(q "$trust")
policies = [$(q "$send_only")]
[testing]
clock = "adjustable"
TOML
  sts_port=$(free_port); sts_admin=$(free_port)
  "$BIN" serve --config "$sts_dir/sluice.toml" --listen "127.0.0.1:$sts_port" \
    --admin-listen "127.0.0.1:$sts_admin" --ephemeral --log-level warn >"$sts_dir/log" 2>&1 &
  sts_pid=$!
  stop_sts() { kill -TERM "$sts_pid" 2>/dev/null; wait "$sts_pid" 2>/dev/null; rm -rf "$sts_dir"; }
  eval "set -- $(trap -p EXIT)"  # keep the earlier EXIT trap (trap -- 'cmd' EXIT) running too
  trap "stop_sts; ${3:-}" EXIT
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$sts_admin/health" 2>/dev/null && break
    sleep 0.1
  done
  sts_ep="http://127.0.0.1:$sts_port"
  as_user() { AWS_ACCESS_KEY_ID=AKIDCLISTS AWS_SECRET_ACCESS_KEY=cli-sts-secret \
    timeout -k 5 40 "$AWS" --endpoint-url "$sts_ep" --output json "$@"; }
  out=$(as_user sts get-caller-identity) || bad "sts get-caller-identity (sigv4) exit $?"
  check "sts get-caller-identity (user)" "$(jpath "$out" 'd["Arn"]')" "arn:aws:iam::111111111111:user/cli"
  qurl=$(jpath "$(as_user sqs create-queue --queue-name "cli-sts-$$")" 'd["QueueUrl"]')
  out=$(as_user sts assume-role --role-arn arn:aws:iam::111111111111:role/sender \
    --role-session-name cli-session --duration-seconds 900) || bad "sts assume-role exit $?"
  check "sts assume-role arn" "$(jpath "$out" 'd["AssumedRoleUser"]["Arn"]')" \
    "arn:aws:sts::111111111111:assumed-role/sender/cli-session"
  as_role() { AWS_ACCESS_KEY_ID=$(jpath "$out" 'd["Credentials"]["AccessKeyId"]') \
    AWS_SECRET_ACCESS_KEY=$(jpath "$out" 'd["Credentials"]["SecretAccessKey"]') \
    AWS_SESSION_TOKEN=$(jpath "$out" 'd["Credentials"]["SessionToken"]') \
    timeout -k 5 40 "$AWS" --endpoint-url "$sts_ep" --output json "$@"; }
  who=$(as_role sts get-caller-identity) || bad "sts get-caller-identity (role) exit $?"
  check "sts get-caller-identity (assumed role)" "$(jpath "$who" 'd["Arn"]')" \
    "arn:aws:sts::111111111111:assumed-role/sender/cli-session"
  as_role sqs send-message --queue-url "$qurl" --message-body "from the role" >/dev/null \
    && ok "send-message with assumed-role credentials" || bad "send-message with assumed-role credentials"
  err=$(as_role sqs create-queue --queue-name "cli-sts-no-$$" 2>&1 >/dev/null)
  [[ "$err" == *AccessDenied* ]] && ok "the role's policy denies create-queue" || bad "create-queue: $err"
  err=$(as_user sts assume-role --role-arn arn:aws:iam::111111111111:role/other \
    --role-session-name x1 2>&1 >/dev/null)
  [[ "$err" == *AccessDenied* ]] && ok "assume-role of an unknown role is AccessDenied" || bad "unknown role: $err"
  curl -fsS -o /dev/null -X POST "http://127.0.0.1:$sts_admin/testing/clock?advance_seconds=900" \
    || bad "advancing the testing clock"
  err=$(as_role sts get-caller-identity 2>&1 >/dev/null)
  [[ "$err" == *ExpiredToken* ]] && ok "assumed-role credentials expire" || bad "after expiry: $err"
  stop_sts
else
  bad "sts sigv4 section: no binary at $BIN"
fi

# ---- KMS (the CLI bundles its own KMS model; fileb:// blobs as users pass them)
kms() { timeout -k 5 40 "$AWS" --endpoint-url "$SLUICE_ENDPOINT" --output json kms "$@"; }
tmp=$(mktemp -d)
out=$(kms create-key --description "cli key" --tags TagKey=team,TagValue=cli) || bad "kms create-key exit $?"
key_id=$(jpath "$out" 'd["KeyMetadata"]["KeyId"]')
check "kms create-key state" "$(jpath "$out" 'd["KeyMetadata"]["KeyState"]')" "Enabled"
kms create-alias --alias-name "alias/cli-$$" --target-key-id "$key_id" || bad "kms create-alias exit $?"
check "kms describe-key by alias" "$(jpath "$(kms describe-key --key-id "alias/cli-$$")" 'd["KeyMetadata"]["KeyId"]')" "$key_id"
printf 'secret \x00 bytes' > "$tmp/plain"
kms encrypt --key-id "alias/cli-$$" --plaintext "fileb://$tmp/plain" --encryption-context app=cli \
  --query CiphertextBlob --output text | base64 -d > "$tmp/blob" || bad "kms encrypt exit $?"
kms decrypt --ciphertext-blob "fileb://$tmp/blob" --encryption-context app=cli \
  --query Plaintext --output text | base64 -d > "$tmp/back" || bad "kms decrypt exit $?"
cmp -s "$tmp/plain" "$tmp/back" && ok "kms encrypt/decrypt round trip (fileb://)" || bad "kms round trip differs"
err=$(kms decrypt --ciphertext-blob "fileb://$tmp/blob" 2>&1 >/dev/null)
[[ "$err" == *InvalidCiphertextException* ]] && ok "kms decrypt without its context" || bad "kms decrypt: $err"
check "kms list-resource-tags" "$(jpath "$(kms list-resource-tags --key-id "$key_id")" 'd["Tags"]')" \
  "[{'TagKey': 'team', 'TagValue': 'cli'}]"
kms disable-key --key-id "$key_id" || bad "kms disable-key exit $?"
err=$(kms encrypt --key-id "$key_id" --plaintext "fileb://$tmp/plain" 2>&1 >/dev/null)
[[ "$err" == *DisabledException* ]] && ok "kms encrypt with a disabled key" || bad "disabled key: $err"
out=$(kms schedule-key-deletion --key-id "$key_id" --pending-window-in-days 7) || bad "kms schedule-key-deletion exit $?"
check "kms schedule-key-deletion" "$(jpath "$out" 'd["KeyState"]')" "PendingDeletion"
check "kms generate-random" "$(kms generate-random --number-of-bytes 16 --query Plaintext --output text | base64 -d | wc -c)" "16"
rm -rf "$tmp"

# ---- SNS (Query): a topic fanning out to an SQS queue
snsc() { timeout -k 5 40 "$AWS" --endpoint-url "$SLUICE_ENDPOINT" --output json sns "$@"; }
out=$(snsc create-topic --name "cli-topic-$$") || bad "sns create-topic exit $?"
topic=$(jpath "$out" 'd["TopicArn"]')
check "sns create-topic arn" "$topic" "arn:aws:sns:us-east-1:000000000000:cli-topic-$$"
out=$(sqs create-queue --queue-name "cli-sns-$$") || bad "create-queue exit $?"
url=$(jpath "$out" 'd["QueueUrl"]')
qarn="arn:aws:sqs:us-east-1:000000000000:cli-sns-$$"
out=$(snsc subscribe --topic-arn "$topic" --protocol sqs --notification-endpoint "$qarn" \
  --attributes '{"RawMessageDelivery":"true","FilterPolicy":"{\"kind\":[\"order\"]}"}' \
  --return-subscription-arn) || bad "sns subscribe exit $?"
[[ "$(jpath "$out" 'd["SubscriptionArn"]')" == "$topic:"* ]] && ok "sns subscribe arn" || bad "sns subscribe: $out"
snsc publish --topic-arn "$topic" --message "cli-order" \
  --message-attributes '{"kind":{"DataType":"String","StringValue":"order"}}' >/dev/null || bad "sns publish exit $?"
snsc publish --topic-arn "$topic" --message "cli-refund" \
  --message-attributes '{"kind":{"DataType":"String","StringValue":"refund"}}' >/dev/null || bad "sns publish exit $?"
out=$(snsc publish-batch --topic-arn "$topic" --publish-batch-request-entries \
  'Id=1,Message=batch1,MessageAttributes={kind={DataType=String,StringValue=order}}' \
  'Id=2,Message=batch2,MessageAttributes={kind={DataType=String,StringValue=other}}') || bad "sns publish-batch exit $?"
check "sns publish-batch successful" "$(jpath "$out" 'len(d["Successful"])')" "2"
bodies=""
for _ in 1 2 3 4 5; do
  out=$(sqs receive-message --queue-url "$url" --max-number-of-messages 10 --wait-time-seconds 1) || break
  bodies="$bodies $(jpath "$out" '" ".join(m["Body"] for m in d.get("Messages", []))')"
  for h in $(jpath "$out" '" ".join(m["ReceiptHandle"] for m in d.get("Messages", []))'); do
    sqs delete-message --queue-url "$url" --receipt-handle "$h" || bad "delete-message exit $?"
  done
done
check "sns fan-out to sqs, filtered" "$(echo $bodies | tr ' ' '\n' | sort | tr '\n' ' ')" "batch1 cli-order "
snsc delete-topic --topic-arn "$topic" || bad "sns delete-topic exit $?"
err=$(snsc get-topic-attributes --topic-arn "$topic" 2>&1 >/dev/null)
[[ "$err" == *NotFound* ]] && ok "sns deleted topic is NotFound" || bad "sns deleted topic: $err"

# CloudWatch (Query in Debian's awscli): custom metrics, their statistics and listing, an alarm.
cw() { timeout -k 5 40 "$AWS" --endpoint-url "$SLUICE_ENDPOINT" --output json cloudwatch "$@"; }
ns="Cli/$$"
cw put-metric-data --namespace "$ns" \
  --metric-data '[{"MetricName":"Orders","Dimensions":[{"Name":"Shop","Value":"eu"}],"Values":[1,2,3],"Unit":"Count"}]' \
  && ok "cloudwatch put-metric-data" || bad "cloudwatch put-metric-data exit $?"
start=$(date -u -d '-10 min' +%Y-%m-%dT%H:%M:%SZ) end=$(date -u -d '+10 min' +%Y-%m-%dT%H:%M:%SZ)
out=$(cw get-metric-statistics --namespace "$ns" --metric-name Orders --dimensions Name=Shop,Value=eu \
  --start-time "$start" --end-time "$end" --period 1200 --statistics Sum Maximum) || bad "get-metric-statistics exit $?"
check "cloudwatch get-metric-statistics" "$(jpath "$out" '[(p["Sum"], p["Maximum"]) for p in d["Datapoints"]]')" "[(6.0, 3.0)]"
check "cloudwatch list-metrics" "$(jpath "$(cw list-metrics --namespace "$ns")" '[m["MetricName"] for m in d["Metrics"]]')" "['Orders']"
cw put-metric-alarm --alarm-name "cli-$$" --namespace "$ns" --metric-name Orders --statistic Sum --period 60 \
  --evaluation-periods 1 --threshold 5 --comparison-operator GreaterThanThreshold || bad "put-metric-alarm exit $?"
check "cloudwatch describe-alarms" "$(jpath "$(cw describe-alarms --alarm-names "cli-$$")" '(d["MetricAlarms"][0]["Threshold"], d["MetricAlarms"][0]["ComparisonOperator"])')" \
  "(5.0, 'GreaterThanThreshold')"
err=$(cw put-metric-data --namespace AWS/SQS --metric-name X --value 1 2>&1 >/dev/null)
[[ "$err" == *InvalidParameterValue* ]] && ok "cloudwatch refuses AWS/ namespaces" || bad "AWS/ namespace: $err"

# ---- EventBridge (JSON 1.1): a bus, a rule with a pattern, a transformed target queue, put-events
evc() { timeout -k 5 40 "$AWS" --endpoint-url "$SLUICE_ENDPOINT" --output json events "$@"; }
bus="cli-bus-$$"
out=$(evc create-event-bus --name "$bus") || bad "events create-event-bus exit $?"
check "events create-event-bus arn" "$(jpath "$out" 'd["EventBusArn"]')" "arn:aws:events:us-east-1:000000000000:event-bus/$bus"
out=$(evc put-rule --name paid --event-bus-name "$bus" \
  --event-pattern '{"source":[{"prefix":"com.cli"}],"detail":{"status":["paid"]}}') || bad "events put-rule exit $?"
check "events put-rule arn" "$(jpath "$out" 'd["RuleArn"]')" "arn:aws:events:us-east-1:000000000000:rule/$bus/paid"
out=$(sqs create-queue --queue-name "cli-events-$$") || bad "create-queue exit $?"
url=$(jpath "$out" 'd["QueueUrl"]')
qarn="arn:aws:sqs:us-east-1:000000000000:cli-events-$$"
out=$(evc put-targets --rule paid --event-bus-name "$bus" --targets \
  "[{\"Id\":\"q\",\"Arn\":\"$qarn\",\"InputTransformer\":{\"InputPathsMap\":{\"id\":\"\$.detail.id\"},\"InputTemplate\":\"\\\"paid <id>\\\"\"}}]") \
  || bad "events put-targets exit $?"
check "events put-targets" "$(jpath "$out" 'd["FailedEntryCount"]')" "0"
out=$(evc put-events --entries "[{\"Source\":\"com.cli.shop\",\"DetailType\":\"Order\",\"EventBusName\":\"$bus\",\"Detail\":\"{\\\"id\\\":\\\"o-7\\\",\\\"status\\\":\\\"paid\\\"}\"},{\"Source\":\"com.cli.shop\",\"DetailType\":\"Order\",\"EventBusName\":\"$bus\",\"Detail\":\"{\\\"id\\\":\\\"o-8\\\",\\\"status\\\":\\\"new\\\"}\"}]") \
  || bad "events put-events exit $?"
check "events put-events" "$(jpath "$out" 'd["FailedEntryCount"]')" "0"
out=$(sqs receive-message --queue-url "$url" --wait-time-seconds 5 --max-number-of-messages 10) || bad "receive exit $?"
check "events transformed delivery" "$(jpath "$out" '[m["Body"] for m in d.get("Messages", [])]')" "['\"paid o-7\"']"
out=$(evc test-event-pattern --event-pattern '{"detail":{"n":[{"numeric":[">",1]}]}}' \
  --event '{"id":"1","detail-type":"x","source":"a","account":"000000000000","time":"2024-01-01T00:00:00Z","region":"us-east-1","resources":[],"detail":{"n":2}}') \
  || bad "events test-event-pattern exit $?"
check "events test-event-pattern" "$(jpath "$out" 'd["Result"]')" "True"
err=$(evc delete-rule --name paid --event-bus-name "$bus" 2>&1 >/dev/null)
[[ "$err" == *"Rule can't be deleted since it has targets."* ]] && ok "events delete-rule with targets" || bad "delete-rule: $err"
err=$(evc describe-event-bus --name "no-bus-$$" 2>&1 >/dev/null)
[[ "$err" == *ResourceNotFoundException* ]] && ok "events unknown bus" || bad "unknown bus: $err"

# ---- IAM: its own server (auth sigv4, a data directory, a restart), see iam.sh
if [[ -x "$BIN" ]]; then
  "$HERE/iam.sh" "$BIN" || failures=$((failures + 1))
else
  bad "iam section: no binary at $BIN"
fi

echo "cli smoke: $failures failure(s)"
((failures == 0))
