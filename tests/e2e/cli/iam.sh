#!/usr/bin/env bash
# IAM with the AWS CLI (issue 12), the third-party-access flow as users type it, against a server of its own
# with auth = "sigv4", a data directory and a master key: create-user, create-access-key, create-policy with
# two queue ARNs, attach-user-policy; the new key sends and receives on those queues and is refused on a
# third; deactivate the key -> the next request fails; detach the policy -> the next send-message is
# AccessDenied; create-role + attach-role-policy + assume-role + the temporary credentials; restart the
# server -> everything still in force. Called by run.sh; usage: tests/e2e/cli/iam.sh [path/to/sluice]
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(realpath -m "${1:-${SLUICE_BIN:-$HERE/../../../build/sluice}}")
AWS=/usr/bin/aws; [[ -x $AWS ]] || AWS=$(command -v aws) || { echo "aws CLI not installed" >&2; exit 1; }
source "$HERE/../lib/server.sh"
export AWS_DEFAULT_REGION=us-east-1 AWS_PAGER="" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
  AWS_MAX_ATTEMPTS=1
unset AWS_PROFILE AWS_SESSION_TOKEN

failures=0
ok() { echo "ok   iam: $1"; }
bad() { echo "FAIL iam: $1"; failures=$((failures + 1)); }
jpath() { /usr/bin/python3 -c 'import json,sys; d=json.loads(sys.argv[1] or "{}"); print(eval(sys.argv[2]))' "$1" "$2"; }
check() { if [[ "$2" == "$3" ]]; then ok "$1"; else bad "$1: expected [$3], got [$2]"; fi; }
q() { /usr/bin/python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }

[[ -x "$BIN" ]] || { echo "FAIL iam: no binary at $BIN"; exit 1; }
dir=$(mktemp -d /tmp/sluice-cli-iam.XXXXXX)
admin_policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
cat >"$dir/sluice.toml" <<TOML
[auth]
mode = "sigv4"
region = "us-east-1"
[[auth.users]]
name = "admin"
account = "111111111111"
access_key_id = "AKIDCLIIAMADMIN"
secret_access_key = "cli-iam-admin-secret"
policies = [$(q "$admin_policy")]
TOML
export SLUICE_MASTER_KEY=$(openssl rand -hex 32)
port=$(free_port); admin_port=$(free_port)
pid=
start() {
  "$BIN" serve --config "$dir/sluice.toml" --listen "127.0.0.1:$port" --admin-listen "127.0.0.1:$admin_port" \
    --data-dir "$dir/data" --log-level warn >>"$dir/log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$admin_port/health" 2>/dev/null && return 0
    sleep 0.1
  done
  bad "server did not start: $(tail -5 "$dir/log")"
  return 1
}
stop() { [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; pid=; }
trap 'stop; rm -rf "$dir"' EXIT
start || exit 1
ep="http://127.0.0.1:$port"
as_admin() { AWS_ACCESS_KEY_ID=AKIDCLIIAMADMIN AWS_SECRET_ACCESS_KEY=cli-iam-admin-secret \
  timeout -k 5 40 "$AWS" --endpoint-url "$ep" --output json "$@"; }

for n in orders invoices payroll; do
  as_admin sqs create-queue --queue-name "$n" >/dev/null || bad "create-queue $n"
done
url() { echo "$ep/111111111111/$1"; }

# The third party's user, key and policy, exactly as users type them.
out=$(as_admin iam create-user --user-name sqs-external-client) || bad "create-user exit $?"
check "create-user arn" "$(jpath "$out" 'd["User"]["Arn"]')" "arn:aws:iam::111111111111:user/sqs-external-client"
out=$(as_admin iam create-access-key --user-name sqs-external-client) || bad "create-access-key exit $?"
akid=$(jpath "$out" 'd["AccessKey"]["AccessKeyId"]'); secret=$(jpath "$out" 'd["AccessKey"]["SecretAccessKey"]')
check "create-access-key shape" "$(jpath "$out" '(d["AccessKey"]["AccessKeyId"][:4], len(d["AccessKey"]["SecretAccessKey"]), d["AccessKey"]["Status"])')" "('AKIA', 40, 'Active')"
cat >"$dir/policy.json" <<'JSON'
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
      "Resource": [
        "arn:aws:sqs:us-east-1:111111111111:orders",
        "arn:aws:sqs:us-east-1:111111111111:invoices"
      ]
    }
  ]
}
JSON
out=$(as_admin iam create-policy --policy-name sqs-external-access --policy-document "file://$dir/policy.json") \
  || bad "create-policy exit $?"
parn=$(jpath "$out" 'd["Policy"]["Arn"]')
check "create-policy arn" "$parn" "arn:aws:iam::111111111111:policy/sqs-external-access"
as_admin iam attach-user-policy --user-name sqs-external-client --policy-arn "$parn" || bad "attach-user-policy exit $?"

ext() { AWS_ACCESS_KEY_ID=$akid AWS_SECRET_ACCESS_KEY=$secret timeout -k 5 40 "$AWS" --endpoint-url "$ep" --output json "$@"; }
for n in orders invoices; do
  ext sqs send-message --queue-url "$(url $n)" --message-body "to $n" >/dev/null && ok "new key sends to $n" \
    || bad "new key sends to $n"
  out=$(ext sqs receive-message --queue-url "$(url $n)" --wait-time-seconds 1) || bad "receive $n exit $?"
  check "new key receives from $n" "$(jpath "$out" 'd["Messages"][0]["Body"]')" "to $n"
done
err=$(ext sqs send-message --queue-url "$(url payroll)" --message-body x 2>&1 >/dev/null)
[[ "$err" == *AccessDenied* ]] && ok "new key refused on payroll" || bad "payroll: $err"

out=$(as_admin iam get-policy-version --policy-arn "$parn" --version-id v1) || bad "get-policy-version exit $?"
check "get-policy-version document" "$(jpath "$out" 'd["PolicyVersion"]["Document"]["Statement"][0]["Resource"][1]')" \
  "arn:aws:sqs:us-east-1:111111111111:invoices"
out=$(as_admin iam list-attached-user-policies --user-name sqs-external-client) || bad "list-attached exit $?"
check "list-attached-user-policies" "$(jpath "$out" '[p["PolicyName"] for p in d["AttachedPolicies"]]')" \
  "['sqs-external-access']"

# Deactivate the key: the next request fails; activate it again.
as_admin iam update-access-key --user-name sqs-external-client --access-key-id "$akid" --status Inactive \
  || bad "update-access-key Inactive"
err=$(ext sqs send-message --queue-url "$(url orders)" --message-body x 2>&1 >/dev/null)
[[ "$err" == *InvalidClientTokenId* ]] && ok "inactive key refused at once" || bad "inactive key: $err"
as_admin iam update-access-key --user-name sqs-external-client --access-key-id "$akid" --status Active \
  || bad "update-access-key Active"
ext sqs send-message --queue-url "$(url orders)" --message-body y >/dev/null && ok "active again" || bad "active again"

# Detach: the next send-message is AccessDenied; attach again.
as_admin iam detach-user-policy --user-name sqs-external-client --policy-arn "$parn" || bad "detach exit $?"
err=$(ext sqs send-message --queue-url "$(url orders)" --message-body x 2>&1 >/dev/null)
[[ "$err" == *AccessDenied* ]] && ok "detached policy: next send-message AccessDenied" || bad "after detach: $err"
as_admin iam attach-user-policy --user-name sqs-external-client --policy-arn "$parn" || bad "re-attach exit $?"

# A role for a service, trusted by the user; assume it and use the temporary credentials.
trust='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/sqs-external-client"},"Action":"sts:AssumeRole"}]}'
out=$(as_admin iam create-role --role-name queue-reader --assume-role-policy-document "$trust") \
  || bad "create-role exit $?"
check "create-role arn" "$(jpath "$out" 'd["Role"]["Arn"]')" "arn:aws:iam::111111111111:role/queue-reader"
as_admin iam attach-role-policy --role-name queue-reader --policy-arn arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess \
  || bad "attach-role-policy exit $?"
out=$(as_admin iam list-attached-role-policies --role-name queue-reader) || bad "list-attached-role-policies exit $?"
check "list-attached-role-policies" "$(jpath "$out" '[p["PolicyArn"] for p in d["AttachedPolicies"]]')" \
  "['arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess']"
creds=$(ext sts assume-role --role-arn arn:aws:iam::111111111111:role/queue-reader --role-session-name cli) \
  || bad "assume-role exit $?"
as_role() { AWS_ACCESS_KEY_ID=$(jpath "$creds" 'd["Credentials"]["AccessKeyId"]') \
  AWS_SECRET_ACCESS_KEY=$(jpath "$creds" 'd["Credentials"]["SecretAccessKey"]') \
  AWS_SESSION_TOKEN=$(jpath "$creds" 'd["Credentials"]["SessionToken"]') \
  timeout -k 5 40 "$AWS" --endpoint-url "$ep" --output json "$@"; }
out=$(as_role sqs get-queue-attributes --queue-url "$(url payroll)" --attribute-names QueueArn) \
  || bad "role get-queue-attributes exit $?"
check "role reads queue attributes" "$(jpath "$out" 'd["Attributes"]["QueueArn"]')" \
  "arn:aws:sqs:us-east-1:111111111111:payroll"
err=$(as_role sqs send-message --queue-url "$(url payroll)" --message-body x 2>&1 >/dev/null)
[[ "$err" == *AccessDenied* ]] && ok "read-only role cannot send" || bad "role send: $err"

# Bad input: AWS's errors.
err=$(as_admin iam create-user --user-name sqs-external-client 2>&1 >/dev/null)
[[ "$err" == *EntityAlreadyExists* ]] && ok "duplicate user EntityAlreadyExists" || bad "duplicate user: $err"
err=$(as_admin iam delete-user --user-name sqs-external-client 2>&1 >/dev/null)
[[ "$err" == *DeleteConflict* ]] && ok "delete-user with keys DeleteConflict" || bad "delete-user: $err"
err=$(as_admin iam create-policy --policy-name broken --policy-document '{"Statement":' 2>&1 >/dev/null)
[[ "$err" == *MalformedPolicyDocument* ]] && ok "broken policy MalformedPolicyDocument" || bad "broken policy: $err"
err=$(as_admin iam get-role --role-name nobody 2>&1 >/dev/null)
[[ "$err" == *NoSuchEntity* ]] && ok "unknown role NoSuchEntity" || bad "unknown role: $err"

# Restart: the key, the policy, the role are as they were.
stop
start || exit 1
ext sqs send-message --queue-url "$(url invoices)" --message-body z >/dev/null && ok "after restart: key and policy in force" \
  || bad "after restart: send-message"
err=$(ext sqs send-message --queue-url "$(url payroll)" --message-body x 2>&1 >/dev/null)
[[ "$err" == *AccessDenied* ]] && ok "after restart: still refused on payroll" || bad "after restart payroll: $err"
creds=$(ext sts assume-role --role-arn arn:aws:iam::111111111111:role/queue-reader --role-session-name cli2) \
  && ok "after restart: assume-role" || bad "after restart: assume-role"
out=$(as_admin iam get-user --user-name sqs-external-client) || bad "get-user after restart exit $?"
check "after restart: get-user" "$(jpath "$out" 'd["User"]["UserName"]')" "sqs-external-client"

echo "cli iam: $failures failure(s)"
((failures == 0))
