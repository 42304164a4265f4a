#!/usr/bin/env bash
# Signed SendMessage req/s for a user whose permissions come from two groups, three managed policies
# and a permissions boundary, against a user with one inline policy, in one run (issue 12's closing
# ratio; aim >= 0.95: the evaluation is cached per principal and invalidated on change). Both users
# and their keys are created with the IAM API (boto3); `sluice bench -w send` signs for real.
# Also: requests between DetachUserPolicy's answer and the first denied SendMessage (aim: 0).
# Usage: bench/http/iam-permissions.sh [path/to/sluice]   (REPS=3 DURATION=5 CONNS=8)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(realpath "${1:-$HERE/../../build/sluice}")
REPS=${REPS:-3} DURATION=${DURATION:-5} CONNS=${CONNS:-8}
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
port=$((20000 + RANDOM % 20000)); admin=$((port + 1))
allow='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
cat >"$work/sluice.toml" <<TOML
[auth]
mode = "sigv4"
[[auth.users]]
name = "admin"
account = "111111111111"
access_key_id = "AKIDBENCHADMIN"
secret_access_key = "bench-admin-secret"
policies = ['$allow']
TOML
"$BIN" serve --config "$work/sluice.toml" --ephemeral --listen 127.0.0.1:$port --admin-listen 127.0.0.1:$admin \
  --log-level warn &
pid=$!
until curl -fs "http://127.0.0.1:$admin/health" >/dev/null 2>&1; do sleep 0.01; done
ep=http://127.0.0.1:$port

keys=$(/usr/bin/python3 - "$ep" <<'PY'
import json, sys, boto3
ep = sys.argv[1]
iam = boto3.client("iam", endpoint_url=ep, region_name="us-east-1",
                   aws_access_key_id="AKIDBENCHADMIN", aws_secret_access_key="bench-admin-secret")
sqs_all = ["sqs:CreateQueue", "sqs:SendMessage", "sqs:SendMessageBatch", "sqs:ReceiveMessage",
           "sqs:DeleteMessage", "sqs:DeleteMessageBatch", "sqs:GetQueueAttributes", "sqs:DeleteQueue"]
doc = lambda actions, effect="Allow", res="*": json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": effect, "Action": actions, "Resource": res}]})
out = []
iam.create_user(UserName="simple")
iam.put_user_policy(UserName="simple", PolicyName="sqs", PolicyDocument=doc(sqs_all))
iam.create_user(UserName="complex")
arns = [iam.create_policy(PolicyName=f"p{i}", PolicyDocument=doc(part))["Policy"]["Arn"]
        for i, part in enumerate([sqs_all[:3], sqs_all[3:6], sqs_all[6:]])]
for g, attach in (("g1", arns[:2]), ("g2", arns[2:])):
    iam.create_group(GroupName=g)
    for a in attach:
        iam.attach_group_policy(GroupName=g, PolicyArn=a)
    iam.add_user_to_group(GroupName=g, UserName="complex")
iam.attach_user_policy(UserName="complex", PolicyArn=iam.create_policy(
    PolicyName="deny-other", PolicyDocument=doc("sqs:PurgeQueue", "Deny"))["Policy"]["Arn"])
boundary = iam.create_policy(PolicyName="boundary", PolicyDocument=doc("sqs:*"))["Policy"]["Arn"]
iam.put_user_permissions_boundary(UserName="complex", PermissionsBoundary=boundary)
for u in ("simple", "complex"):
    k = iam.create_access_key(UserName=u)["AccessKey"]
    out.append(f'{k["AccessKeyId"]} {k["SecretAccessKey"]}')
print(" ".join(out))
PY
)
read -r simple_id simple_secret complex_id complex_secret <<<"$keys"

rate() {  # rate AKID SECRET -> req/s
  "$BIN" bench --endpoint "$ep" --access-key "$1" --secret-key "$2" -w send -c "$CONNS" -d "$DURATION" \
    --warmup 1 --json | /usr/bin/python3 -c 'import json,sys; r=json.loads(sys.stdin.readline()); assert r["check"]=="ok", r; print(r["req_per_s"])'
}
s_total=0 c_total=0
for rep in $(seq 1 "$REPS"); do
  s=$(rate "$simple_id" "$simple_secret"); c=$(rate "$complex_id" "$complex_secret")
  echo "rep $rep: one inline policy $s req/s, groups+managed+boundary $c req/s"
  s_total=$(/usr/bin/python3 -c "print($s_total + $s)"); c_total=$(/usr/bin/python3 -c "print($c_total + $c)")
done
/usr/bin/python3 -c "print(f'ratio complex/simple: {$c_total / $s_total:.3f} (aim >= 0.95)')"

# Detach, then count the SendMessages that still succeed (none should).
/usr/bin/python3 - "$ep" "$complex_id" "$complex_secret" <<'PY'
import sys, boto3
from botocore.exceptions import ClientError
ep, akid, secret = sys.argv[1:]
kw = dict(endpoint_url=ep, region_name="us-east-1")
iam = boto3.client("iam", aws_access_key_id="AKIDBENCHADMIN", aws_secret_access_key="bench-admin-secret", **kw)
sqs = boto3.client("sqs", aws_access_key_id=akid, aws_secret_access_key=secret, **kw)
url = sqs.create_queue(QueueName="detach-probe")["QueueUrl"]
sqs.send_message(QueueUrl=url, MessageBody="before")
for g in ("g1", "g2"):
    iam.remove_user_from_group(GroupName=g, UserName="complex")
ok = 0
try:
    while ok < 1000:
        sqs.send_message(QueueUrl=url, MessageBody="after")
        ok += 1
except ClientError as e:
    print(f"requests accepted after the change: {ok} (then {e.response['Error']['Code']})")
PY
