"""auth = "sigv4": signatures, credentials and policies, against a second server (conftest auth_server).

boto3 requests use the protocol of the run (SLUICE_PROTOCOL); hand-signed requests (presigned URLs, skewed
clocks, missing signatures) use AWS Query, which every server speaks."""
import datetime
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import AUTH_ACCOUNT_A, AUTH_ACCOUNT_B, AUTH_USERS, PROTOCOL, REGION, unique_name


def client(server, user=None, akid=None, secret=None):
    if user:
        _, akid, secret, _ = AUTH_USERS[user]
    session = boto3.session.Session(aws_access_key_id=akid, aws_secret_access_key=secret, region_name=REGION)
    return session.client("sqs", endpoint_url=server.endpoint,
                          config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))


def expect(fn, code, status, **kwargs):
    with pytest.raises(ClientError) as info:
        fn(**kwargs)
    err = info.value.response
    assert (err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]) == (code, status), err
    return err["Error"].get("Message", "")


@pytest.fixture(scope="module")
def admin(auth_server):
    return client(auth_server, "admin")


@pytest.fixture
def queue_url(admin):
    return admin.create_queue(QueueName=unique_name("auth"))["QueueUrl"]


# ---------------------------------------------------------------- hand-made SigV4 (Query protocol)

def _sign(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def _quote(s):
    return urllib.parse.quote(s, safe="-_.~")


def signed_query(server, params, user="admin", when=None, presign_expires=None, tamper=None, secret=None):
    """Sends a Query request signed by hand at time `when` (UTC datetime). Header form (POST) by
    default; presign_expires -> a presigned GET. Returns (status, error code or None, body)."""
    _, akid, real_secret, _ = AUTH_USERS[user]
    secret = secret or real_secret
    when = when or datetime.datetime.now(datetime.timezone.utc)
    amz = when.strftime("%Y%m%dT%H%M%SZ")
    date = amz[:8]
    scope = f"{date}/{REGION}/sqs/aws4_request"
    host = f"127.0.0.1:{server.port}"
    params = {"Version": "2012-11-05", **params}
    k = _sign(_sign(_sign(_sign(("AWS4" + secret).encode(), date), REGION), "sqs"), "aws4_request")
    if presign_expires is not None:
        q = dict(params, **{"X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Credential": f"{akid}/{scope}",
                            "X-Amz-Date": amz, "X-Amz-Expires": str(presign_expires), "X-Amz-SignedHeaders": "host"})
        cq = "&".join(f"{_quote(a)}={_quote(b)}" for a, b in sorted(q.items()))
        creq = "\n".join(["GET", "/", cq, f"host:{host}\n", "host", hashlib.sha256(b"").hexdigest()])
        sts = "\n".join(["AWS4-HMAC-SHA256", amz, scope, hashlib.sha256(creq.encode()).hexdigest()])
        sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
        req = urllib.request.Request(f"{server.endpoint}/?{cq}&X-Amz-Signature={sig}", method="GET")
    else:
        body = urllib.parse.urlencode(params, quote_via=urllib.parse.quote).encode()
        ctype = "application/x-www-form-urlencoded; charset=utf-8"
        canon = f"content-type:{ctype}\nhost:{host}\nx-amz-date:{amz}\n"
        signed = "content-type;host;x-amz-date"
        creq = "\n".join(["POST", "/", "", canon, signed, hashlib.sha256(body).hexdigest()])
        sts = "\n".join(["AWS4-HMAC-SHA256", amz, scope, hashlib.sha256(creq.encode()).hexdigest()])
        sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
        if tamper:
            body = tamper(body)
        req = urllib.request.Request(server.endpoint + "/", data=body, method="POST", headers={
            "Content-Type": ctype, "X-Amz-Date": amz,
            "Authorization": f"AWS4-HMAC-SHA256 Credential={akid}/{scope}, SignedHeaders={signed}, Signature={sig}"})
    return _send(req)


def _send(req):
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, None, r.read().decode()
    except urllib.error.HTTPError as e:
        body = e.read().decode()
        code = ET.fromstring(body).find(".//{*}Code").text
        return e.code, code, body


# ---------------------------------------------------------------- signatures and credentials

def test_correct_keys_work(admin, queue_url):
    assert queue_url.split("/")[-2] == AUTH_ACCOUNT_A  # the caller's account owns the queue
    admin.send_message(QueueUrl=queue_url, MessageBody="hello")
    msgs = admin.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1, AttributeNames=["SenderId"])["Messages"]
    assert msgs[0]["Body"] == "hello"
    # An IAM user's SenderId is its unique id (AWS: "AIDA" + 17), stable, not the access key.
    sender_id = msgs[0]["Attributes"]["SenderId"]
    assert len(sender_id) == 21 and sender_id.startswith("AIDA") and sender_id.isalnum(), sender_id
    assert queue_url in admin.list_queues().get("QueueUrls", [])


def test_wrong_secret(auth_server):
    expect(client(auth_server, akid=AUTH_USERS["admin"][1], secret="nope").list_queues, "SignatureDoesNotMatch", 403)


def test_unknown_key(auth_server):
    expect(client(auth_server, akid="AKIDUNKNOWN", secret="x").list_queues, "InvalidClientTokenId", 403)


def test_session_token_not_configured(auth_server):
    session = boto3.session.Session(aws_access_key_id=AUTH_USERS["admin"][1],
                                    aws_secret_access_key=AUTH_USERS["admin"][2],
                                    aws_session_token="made-up", region_name=REGION)
    c = session.client("sqs", endpoint_url=auth_server.endpoint)
    expect(c.list_queues, "InvalidClientTokenId", 403)


def test_missing_signature(auth_server):
    body = b"Action=ListQueues&Version=2012-11-05"
    req = urllib.request.Request(auth_server.endpoint + "/", data=body, method="POST",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    status, code, _ = _send(req)
    assert (status, code) == (403, "MissingAuthenticationToken")


def test_malformed_authorization(auth_server):
    req = urllib.request.Request(auth_server.endpoint + "/", data=b"Action=ListQueues&Version=2012-11-05",
                                 method="POST", headers={
                                     "Content-Type": "application/x-www-form-urlencoded",
                                     "X-Amz-Date": "20240115T120000Z",
                                     "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDADMINA/20240115/us-east-1/sqs/aws4_request"})
    status, code, _ = _send(req)
    assert (status, code) == (400, "IncompleteSignature")


def test_tampered_body(auth_server, queue_url):
    c = client(auth_server, "admin")

    def tamper(request, **_):
        body = request.body
        request.body = body.replace(b"original", b"tampered") if isinstance(body, bytes) \
            else body.replace("original", "tampered")
    c.meta.events.register("before-send.sqs.SendMessage", tamper)
    expect(c.send_message, "SignatureDoesNotMatch", 403, QueueUrl=queue_url, MessageBody="original")
    status, code, _ = signed_query(auth_server, {"Action": "SendMessage", "QueueUrl": queue_url, "MessageBody": "a"},
                                   tamper=lambda b: b.replace(b"MessageBody=a", b"MessageBody=b"))
    assert (status, code) == (403, "SignatureDoesNotMatch")


def test_skewed_clock(auth_server):
    now = datetime.datetime.now(datetime.timezone.utc)
    assert signed_query(auth_server, {"Action": "ListQueues"})[0] == 200
    assert signed_query(auth_server, {"Action": "ListQueues"}, when=now - datetime.timedelta(minutes=10))[0] == 200
    for delta in (-20, 20):
        status, code, body = signed_query(auth_server, {"Action": "ListQueues"},
                                          when=now + datetime.timedelta(minutes=delta))
        assert (status, code) == (403, "SignatureDoesNotMatch"), body
        assert ("Signature expired" if delta < 0 else "Signature not yet current") in body


def test_presigned_url(auth_server, queue_url):
    params = {"Action": "GetQueueAttributes", "QueueUrl": queue_url, "AttributeName.1": "QueueArn"}
    status, code, body = signed_query(auth_server, params, presign_expires=300)
    assert status == 200, body
    assert "QueueArn" in body
    status, code, _ = signed_query(auth_server, params, presign_expires=300, secret="wrong")
    assert (status, code) == (403, "SignatureDoesNotMatch")
    expired_at = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=120)
    status, code, _ = signed_query(auth_server, params, presign_expires=60, when=expired_at)
    assert (status, code) == (400, "RequestExpired")


def test_botocore_presigned_url(auth_server, queue_url):
    """botocore's own presigner (Query GET with X-Amz-* parameters)."""
    from botocore.auth import SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    _, akid, secret, _ = AUTH_USERS["admin"]
    url = f"{auth_server.endpoint}/?" + urllib.parse.urlencode(
        {"Action": "GetQueueAttributes", "QueueUrl": queue_url, "AttributeName.1": "All", "Version": "2012-11-05"})
    req = AWSRequest(method="GET", url=url)
    SigV4QueryAuth(Credentials(akid, secret), "sqs", REGION, expires=60).add_auth(req)
    status, _, body = _send(urllib.request.Request(req.url, method="GET"))
    assert status == 200 and "ApproximateNumberOfMessages" in body


# ---------------------------------------------------------------- policies

def test_send_only_user_cannot_receive(auth_server, queue_url):
    sender = client(auth_server, "sender")
    sender.send_message(QueueUrl=queue_url, MessageBody="m")
    expect(sender.receive_message, "AccessDenied", 403, QueueUrl=queue_url)
    expect(sender.delete_queue, "AccessDenied", 403, QueueUrl=queue_url)
    expect(sender.create_queue, "AccessDenied", 403, QueueName=unique_name("nope"))


def test_cross_account_needs_queue_policy(auth_server, admin, queue_url):
    other = client(auth_server, "other")
    assert other.create_queue(QueueName=unique_name("b"))["QueueUrl"].split("/")[-2] == AUTH_ACCOUNT_B
    expect(other.send_message, "AccessDenied", 403, QueueUrl=queue_url, MessageBody="x")
    name = queue_url.rsplit("/", 1)[1]
    expect(other.get_queue_url, "AccessDenied", 403, QueueName=name, QueueOwnerAWSAccountId=AUTH_ACCOUNT_A)
    admin.add_permission(QueueUrl=queue_url, Label="b-send", AWSAccountIds=[AUTH_ACCOUNT_B],
                         Actions=["SendMessage", "GetQueueUrl"])
    other.send_message(QueueUrl=queue_url, MessageBody="from b")
    assert other.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=AUTH_ACCOUNT_A)["QueueUrl"] == queue_url
    expect(other.receive_message, "AccessDenied", 403, QueueUrl=queue_url)
    # Never grantable across accounts, even with a policy allowing everything.
    admin.add_permission(QueueUrl=queue_url, Label="b-all", AWSAccountIds=[AUTH_ACCOUNT_B], Actions=["*"])
    other.receive_message(QueueUrl=queue_url)
    expect(other.set_queue_attributes, "AccessDenied", 403, QueueUrl=queue_url,
           Attributes={"VisibilityTimeout": "5"})
    expect(other.delete_queue, "AccessDenied", 403, QueueUrl=queue_url)
    admin.remove_permission(QueueUrl=queue_url, Label="b-send")
    admin.remove_permission(QueueUrl=queue_url, Label="b-all")
    expect(other.send_message, "AccessDenied", 403, QueueUrl=queue_url, MessageBody="x")


def test_source_ip_condition(auth_server, queue_url):
    client(auth_server, "loopback").send_message(QueueUrl=queue_url, MessageBody="local")
    expect(client(auth_server, "remote").send_message, "AccessDenied", 403, QueueUrl=queue_url, MessageBody="x")


def test_queue_policy_explicit_deny(auth_server, admin, queue_url):
    arn = admin.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "sqs:SendMessage", "Resource": arn,
         "Condition": {"StringEquals": {"aws:PrincipalAccount": AUTH_ACCOUNT_A}}}]}
    admin.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps(policy)})
    expect(admin.send_message, "AccessDenied", 403, QueueUrl=queue_url, MessageBody="x")
    admin.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": ""})
    admin.send_message(QueueUrl=queue_url, MessageBody="x")


def test_invalid_policy_rejected(admin, queue_url):
    for bad in ("not json", json.dumps({"Statement": [{"Effect": "Allow", "Action": "sqs:*"}]}),
                json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:*",
                                           "Condition": {"StringMaybe": {"aws:SourceIp": "x"}}}]})):
        expect(admin.set_queue_attributes, "InvalidAttributeValue", 400, QueueUrl=queue_url,
               Attributes={"Policy": bad})
        expect(admin.create_queue, "InvalidAttributeValue", 400, QueueName=unique_name("bad"),
               Attributes={"Policy": bad})


# ---------------------------------------------------------------- other SDKs against the same server

def _cli_env(user, secret=None):
    import os
    _, akid, real_secret, _ = AUTH_USERS[user]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=akid, AWS_SECRET_ACCESS_KEY=secret or real_secret, AWS_DEFAULT_REGION=REGION,
               AWS_PAGER="", AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null",
               AWS_MAX_ATTEMPTS="1")
    return env


def test_aws_cli(auth_server, queue_url):
    import shutil
    import subprocess
    cli = shutil.which("aws", path="/usr/bin") or shutil.which("aws")
    if not cli:
        pytest.skip("aws CLI not installed")

    def run(user, *args, secret=None):
        return subprocess.run([cli, "--endpoint-url", auth_server.endpoint, "--output", "json", "sqs", *args],
                              env=_cli_env(user, secret), capture_output=True, text=True, timeout=60)
    ok = run("admin", "send-message", "--queue-url", queue_url, "--message-body", "from cli")
    assert ok.returncode == 0, ok.stderr
    assert "MessageId" in ok.stdout
    bad = run("admin", "list-queues", secret="wrong")
    assert bad.returncode != 0 and "SignatureDoesNotMatch" in bad.stderr, bad.stderr
    denied = run("sender", "receive-message", "--queue-url", queue_url)
    assert denied.returncode != 0 and "AccessDenied" in denied.stderr, denied.stderr


JS = r"""
const { SQSClient, SendMessageCommand, ReceiveMessageCommand } = require("@aws-sdk/client-sqs");
const [endpoint, queueUrl, akid, secret, badSecret] = process.argv.slice(1);
const mk = (s) => new SQSClient({ endpoint, region: "us-east-1", maxAttempts: 1,
                                 credentials: { accessKeyId: akid, secretAccessKey: s } });
(async () => {
  const out = {};
  const sent = await mk(secret).send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "from js" }));
  out.sent = !!sent.MessageId;
  try { await mk(badSecret).send(new ReceiveMessageCommand({ QueueUrl: queueUrl })); out.bad = "no error"; }
  catch (e) { out.bad = e.name + "/" + e.$metadata.httpStatusCode; }
  console.log(JSON.stringify(out));
})().catch((e) => { console.log(JSON.stringify({ error: String(e) })); });
"""


def test_js_sdk_v3(auth_server, queue_url):
    import os
    import shutil
    import subprocess
    js_dir = os.path.join(os.path.dirname(__file__), "..", "js")
    node = shutil.which("node")
    if not node or not os.path.isdir(os.path.join(js_dir, "node_modules", "@aws-sdk", "client-sqs")):
        pytest.skip("node or @aws-sdk/client-sqs not installed")
    _, akid, secret, _ = AUTH_USERS["admin"]
    r = subprocess.run([node, "-e", JS, auth_server.endpoint, queue_url, akid, secret, "wrong"], cwd=js_dir,
                       capture_output=True, text=True, timeout=60)
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out == {"sent": True, "bad": "SignatureDoesNotMatch/403"}, (out, r.stderr)
