#!/usr/bin/python3
"""Regenerates the seed corpora in fuzz/corpus/ from real SDK requests.

Captures the exact bytes boto3 (Debian's, awsQuery; and JSON 1.0 through AWS_DATA_PATH, as the
python e2e suite does) and the AWS SDK for JavaScript v3 (tests/e2e/js/node_modules) send to a
local socket, signed with AKIDEXAMPLE / the AWS test-suite secret at fixed times (2024-01-15T12:00:00Z
for SDK traffic, 2015-08-30T12:36:00Z for the signing-suite-style vectors), so the captured
signatures verify in fuzz_sigv4. Adds hand-written HTTP edge cases and sample policies.

Usage: /usr/bin/python3 fuzz/tools/make_seeds.py   (from anywhere; rewrites fuzz/corpus/*)
"""
import datetime
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

FUZZ = Path(__file__).resolve().parents[1]
REPO = FUZZ.parent
CORPUS = FUZZ / "corpus"
AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SDK_TIME = datetime.datetime(2024, 1, 15, 12, 0, 0)
SUITE_TIME = datetime.datetime(2015, 8, 30, 12, 36, 0)


# ---- capture server --------------------------------------------------------------------------

class Capture:
    def __init__(self):
        self.requests = []
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            conn, _ = self.sock.accept()
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                while len(body) < length:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    body += chunk
                self.requests.append(head + b"\r\n\r\n" + body)
                if b"x-amz-json" in head.lower():
                    resp_body, ctype = b"{}", b"application/x-amz-json-1.0"
                else:
                    resp_body = (b"<R><ResponseMetadata><RequestId>x</RequestId>"
                                 b"</ResponseMetadata></R>")
                    ctype = b"text/xml"
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: " + ctype +
                             b"\r\nx-amzn-RequestId: x\r\nConnection: close\r\nContent-Length: " +
                             str(len(resp_body)).encode() + b"\r\n\r\n" + resp_body)


def freeze_botocore_time(when):
    import botocore.auth

    class Fixed(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return cls(when.year, when.month, when.day, when.hour, when.minute, when.second)

    utc = datetime.timezone.utc

    class Module:
        datetime = Fixed
        timezone = type("tz", (), {"utc": utc})
    botocore.auth.datetime = Module
    try:  # Debian's botocore signs with awscrt when it is installed
        import botocore.crt.auth
        botocore.crt.auth.datetime = Module
    except ImportError:
        pass


# ---- boto3 -----------------------------------------------------------------------------------

def boto3_calls(port, protocol):
    """Runs in a child process (AWS_DATA_PATH must be set before botocore loads models)."""
    cap_requests = []
    import boto3
    from botocore.config import Config
    freeze_botocore_time(SDK_TIME)
    endpoint = f"http://127.0.0.1:{port}"
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id=AKID, aws_secret_access_key=SECRET,
                       config=Config(retries={"max_attempts": 1}))
    url = f"{endpoint}/000000000000/q1"
    fifo = f"{endpoint}/000000000000/q1.fifo"
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sqs:SendMessage",
         "Resource": "arn:aws:sqs:us-east-1:000000000000:q1"}]})
    calls = [
        ("CreateQueue", lambda: sqs.create_queue(
            QueueName="q1.fifo", Attributes={"FifoQueue": "true", "VisibilityTimeout": "40",
                                             "ContentBasedDeduplication": "true"},
            tags={"team": "a b", "env": "dev"})),
        ("GetQueueUrl", lambda: sqs.get_queue_url(QueueName="q1",
                                                  QueueOwnerAWSAccountId="000000000000")),
        ("ListQueues", lambda: sqs.list_queues(QueueNamePrefix="q", MaxResults=10)),
        ("SendMessage", lambda: sqs.send_message(
            QueueUrl=url, MessageBody="héllo <wörld> & \"x\"\n", DelaySeconds=5,
            MessageAttributes={"s": {"DataType": "String", "StringValue": "v"},
                               "n": {"DataType": "Number.int", "StringValue": "-12.5e3"},
                               "b": {"DataType": "Binary", "BinaryValue": b"\x00\xff\x10"}},
            MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String",
                                                        "StringValue": "Root=1-5-6"}})),
        ("SendMessageBatch", lambda: sqs.send_message_batch(QueueUrl=fifo, Entries=[
            {"Id": "a", "MessageBody": "one", "MessageGroupId": "g",
             "MessageDeduplicationId": "d1"},
            {"Id": "b", "MessageBody": "two", "MessageGroupId": "g",
             "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}}])),
        ("ReceiveMessage", lambda: sqs.receive_message(
            QueueUrl=url, AttributeNames=["All"], MessageAttributeNames=["All", "a.*"],
            MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=30,
            ReceiveRequestAttemptId="r1")),
        ("DeleteMessage", lambda: sqs.delete_message(QueueUrl=url, ReceiptHandle="rh+/=1")),
        ("DeleteMessageBatch", lambda: sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": "1", "ReceiptHandle": "a"}, {"Id": "2", "ReceiptHandle": "b"}])),
        ("ChangeMessageVisibility", lambda: sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle="rh", VisibilityTimeout=0)),
        ("ChangeMessageVisibilityBatch", lambda: sqs.change_message_visibility_batch(
            QueueUrl=url, Entries=[{"Id": "1", "ReceiptHandle": "a", "VisibilityTimeout": 43200}])),
        ("SetQueueAttributes", lambda: sqs.set_queue_attributes(QueueUrl=url, Attributes={
            "Policy": policy, "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:dlq",
                 "maxReceiveCount": "5"})})),
        ("GetQueueAttributes", lambda: sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "Policy"])),
        ("TagQueue", lambda: sqs.tag_queue(QueueUrl=url, Tags={"k1": "v1", "k2": ""})),
        ("UntagQueue", lambda: sqs.untag_queue(QueueUrl=url, TagKeys=["k1", "k2"])),
        ("ListQueueTags", lambda: sqs.list_queue_tags(QueueUrl=url)),
        ("AddPermission", lambda: sqs.add_permission(
            QueueUrl=url, Label="l1", AWSAccountIds=["111122223333", "444455556666"],
            Actions=["SendMessage", "ReceiveMessage"])),
        ("RemovePermission", lambda: sqs.remove_permission(QueueUrl=url, Label="l1")),
        ("PurgeQueue", lambda: sqs.purge_queue(QueueUrl=url)),
        ("ListDeadLetterSourceQueues", lambda: sqs.list_dead_letter_source_queues(
            QueueUrl=url, MaxResults=5, NextToken="t")),
        ("StartMessageMoveTask", lambda: sqs.start_message_move_task(
            SourceArn="arn:aws:sqs:us-east-1:000000000000:dlq",
            DestinationArn="arn:aws:sqs:us-east-1:000000000000:q1",
            MaxNumberOfMessagesPerSecond=50)),
        ("ListMessageMoveTasks", lambda: sqs.list_message_move_tasks(
            SourceArn="arn:aws:sqs:us-east-1:000000000000:dlq", MaxResults=10)),
        ("CancelMessageMoveTask", lambda: sqs.cancel_message_move_task(TaskHandle="th")),
        ("DeleteQueue", lambda: sqs.delete_queue(QueueUrl=url)),
    ]
    done = []
    for name, call in calls:
        try:
            call()
        except Exception as e:  # canned answers may not parse; the request was sent
            if "Unknown operation" in str(e) or isinstance(e, AttributeError):
                continue
        done.append(name)
    presigned = sqs.generate_presigned_url(
        "get_queue_attributes", Params={"QueueUrl": url, "AttributeNames": ["All"]},
        ExpiresIn=300)
    print(json.dumps({"ops": done, "presigned": presigned}))


def run_boto3(cap, protocol):
    env = dict(os.environ)
    for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
              "AWS_DATA_PATH"):
        env.pop(k, None)
    data_dir = None
    if protocol == "json":
        data_dir = Path("/tmp") / f"sluice-seed-data-{os.getpid()}"
        model_dir = data_dir / "sqs" / "2012-11-05"
        model_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / "models" / "sqs.json", model_dir / "service-2.json")
        env["AWS_DATA_PATH"] = str(data_dir)
    before = len(cap.requests)
    out = subprocess.run([sys.executable, __file__, "--boto3", str(cap.port), protocol], env=env,
                         check=True, capture_output=True, text=True).stdout
    if data_dir:
        shutil.rmtree(data_dir, ignore_errors=True)
    info = json.loads(out.strip().splitlines()[-1])
    return cap.requests[before:], info


# ---- JS SDK v3 -------------------------------------------------------------------------------

JS = r"""
const { createRequire } = require("module");
const req = createRequire(process.argv[1] + "/tests/e2e/js/package.json");
const sqs = req("@aws-sdk/client-sqs");
const endpoint = "http://127.0.0.1:" + process.argv[2];
const client = new sqs.SQSClient({ endpoint, region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
  systemClockOffset: Date.UTC(2024, 0, 15, 12, 0, 0) - Date.now() });
const url = endpoint + "/000000000000/q1";
const cmds = [
  new sqs.CreateQueueCommand({ QueueName: "q1", Attributes: { DelaySeconds: "3", Policy: "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }, tags: { a: "b" } }),
  new sqs.SendMessageCommand({ QueueUrl: url, MessageBody: "hi \u00e9 \ud83d\ude00", MessageAttributes: {
    n: { DataType: "Number", StringValue: "1" }, b: { DataType: "Binary", BinaryValue: new Uint8Array([0, 1, 255]) },
    l: { DataType: "String", StringListValues: ["x"] } } }),
  new sqs.SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: "1", MessageBody: "a", DelaySeconds: 1 }, { Id: "2", MessageBody: "b" }] }),
  new sqs.ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 20, MessageSystemAttributeNames: ["All"], MessageAttributeNames: ["All"] }),
  new sqs.DeleteMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: "1", ReceiptHandle: "r" }] }),
  new sqs.GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] }),
  new sqs.ListQueuesCommand({ MaxResults: 1000, NextToken: "abc" }),
  new sqs.ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: "r", VisibilityTimeout: 10 }),
];
(async () => {
  for (const c of cmds) { try { await client.send(c); } catch (e) {} }
})();
"""


def run_js(cap):
    before = len(cap.requests)
    subprocess.run(["node", "-e", JS, str(REPO), str(cap.port)], check=True,
                   cwd=REPO / "tests" / "e2e" / "js")
    return cap.requests[before:]


# ---- signing-suite-style vectors (botocore's signer at the suite's time) -----------------------

def suite_vectors():
    import botocore.auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    freeze_botocore_time(SUITE_TIME)
    creds = Credentials(AKID, SECRET)
    token_creds = Credentials("AKIDTOKEN", "tokensecret", "session-token")
    host = "example.amazonaws.com"
    cases = [
        ("get-vanilla", "GET", "/", {}, b"", creds, False),
        ("get-query-order", "GET", "/?Param2=value2&Param1=value1", {}, b"", creds, False),
        ("get-utf8-query", "GET", "/%E1%88%B4?%E1%88%B4=bar&a=%20b&c", {}, b"", creds, False),
        ("get-relative", "GET", "/example1/../example2/./x//y/", {}, b"", creds, False),
        ("get-header-fold", "GET", "/", {"My-Header1": "  value1   a\t b ", "My-Header2": "x"},
         b"", creds, False),
        ("post-form", "POST", "/", {"Content-Type": "application/x-www-form-urlencoded"},
         b"Action=ListQueues&Version=2012-11-05", creds, False),
        ("post-sha-header", "POST", "/", {"X-Amz-Content-Sha256":
                                          hashlib.sha256(b"Param1=value1").hexdigest()},
         b"Param1=value1", creds, False),
        ("post-unsigned-payload", "POST", "/", {"X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD"},
         b"whatever", creds, False),
        ("get-session-token", "GET", "/?a=b", {}, b"", token_creds, False),
        ("get-presigned", "GET", "/?Param1=value1", {}, b"", creds, True),
        ("get-presigned-token", "GET", "/x", {}, b"", token_creds, True),
    ]
    out = []
    for name, method, target, headers, body, c, presign in cases:
        url = f"https://{host}{target}"
        req = AWSRequest(method=method, url=url, headers=dict(headers), data=body)
        if presign:
            botocore.auth.SigV4QueryAuth(c, "service", "us-east-1", expires=3600).add_auth(req)
        else:
            botocore.auth.SigV4Auth(c, "service", "us-east-1").add_auth(req)
        path = req.url.split(host, 1)[1] or "/"
        lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
        lines += [f"{k}: {v}" for k, v in req.headers.items() if k.lower() != "host"]
        out.append((name, ("\r\n".join(lines) + "\r\n\r\n").encode() + body))
    return out


# ---- hand-written HTTP edge cases ------------------------------------------------------------

HTTP_CASES = {
    "chunked": b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5\r\nhello\r\n3;ext=1\r\n wo\r\n0\r\nTrailer: x\r\n\r\n",
    "pipelined": b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nPOST /b?x=1 HTTP/1.1\r\nHost: h\r\n"
                 b"Content-Length: 3\r\n\r\nabcGET /c HTTP/1.0\r\n\r\n",
    "expect-continue": b"POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
                       b"Content-Length: 4\r\n\r\nbody",
    "http10-keepalive": b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "connection-close": b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    "cl-and-te": b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "obs-fold": b"GET / HTTP/1.1\r\nHost: h\r\nX-A: one\r\n two\r\n\r\n",
    "bad-cl": b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 2\r\n\r\nx",
    "lf-only": b"GET / HTTP/1.1\nHost: h\n\n",
    "big-body": b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 150\r\n\r\n" + b"x" * 150,
}

POLICIES = {
    "allow-all": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*"}]},
    "identity": {"Version": "2012-10-17", "Statement": [
        {"Sid": "a", "Effect": "Allow", "Action": ["sqs:Send*", "sqs:ReceiveMessage"],
         "Resource": "arn:aws:sqs:us-east-1:111122223333:*"},
        {"Effect": "Deny", "NotAction": "sqs:Get?ueue*", "NotResource": ["arn:aws:sqs:*:*:ord?rs"]}]},
    "resource-conditions": {"Version": "2008-10-17", "Id": "p", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ["111122223333", "arn:aws:iam::444455556666:root",
                                                  "arn:aws:iam::111122223333:user/alice"]},
         "Action": "sqs:*", "Resource": "arn:aws:sqs:us-east-1:111122223333:orders",
         "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]},
                       "Bool": {"aws:SecureTransport": "true"},
                       "DateGreaterThan": {"aws:CurrentTime": "2015-01-01T00:00:00Z"},
                       "NumericLessThanEquals": {"aws:EpochTime": 4102444800},
                       "StringLikeIfExists": {"aws:username": "al*"}}}]},
    "service-principal": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
         "Action": "sqs:SendMessage", "Resource": "*",
         "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:topic"},
                       "StringEquals": {"aws:SourceAccount": "111122223333"},
                       "ForAnyValue:StringEquals": {"aws:PrincipalServiceName": ["sns.amazonaws.com"]}}}]},
    "not-principal-deny": {"Version": "2012-10-17", "Statement": {
        "Effect": "Deny", "NotPrincipal": {"AWS": "*", "Federated": "x", "CanonicalUser": "y"},
        "Action": "sqs:DeleteQueue",
        "Condition": {"Null": {"aws:username": "true"}, "NotIpAddress": {"aws:SourceIp": "::ffff:1.2.3.4/128"},
                      "DateLessThan": {"aws:CurrentTime": "2030-01-01"},
                      "ForAllValues:StringNotEqualsIgnoreCase": {"aws:PrincipalArn": "X"},
                      "NumericNotEquals": {"aws:EpochTime": ["1.5", "+3"]}}}},
}


DICTS = {
    "fuzz_http_request": [
        "HTTP/1.1", "HTTP/1.0", "\r\n", "\r\n\r\n", "GET ", "POST ", "HEAD ", "Host: ",
        "Content-Length: ", "Transfer-Encoding: chunked", "Transfer-Encoding: ", "chunked",
        "Expect: 100-continue", "Connection: close", "Connection: keep-alive", "0\r\n\r\n",
        ";ext=", "Trailer: ", "X-Amz-Target: ", "Content-Type: ", "\x00", "\t"],
    "fuzz_sigv4": [
        "AWS4-HMAC-SHA256", "Authorization: ", "Credential=", "SignedHeaders=", "Signature=",
        "aws4_request", "AKIDEXAMPLE", "AKIDTOKEN", "20150830T123600Z", "20240115T120000Z",
        "20150830", "20240115", "us-east-1", "/sqs/", "/service/", "X-Amz-Date: ",
        "X-Amz-Security-Token: ", "session-token", "X-Amz-Content-Sha256: ", "UNSIGNED-PAYLOAD",
        "X-Amz-Algorithm=", "X-Amz-Credential=", "X-Amz-SignedHeaders=", "X-Amz-Signature=",
        "X-Amz-Expires=", "X-Amz-Security-Token=", "%2F", "host;x-amz-date", "/../", "//", "/./"],
    "fuzz_policy": [
        "\"Version\"", "\"2012-10-17\"", "\"2008-10-17\"", "\"Statement\"", "\"Effect\"",
        "\"Allow\"", "\"Deny\"", "\"Action\"", "\"NotAction\"", "\"Resource\"",
        "\"NotResource\"", "\"Principal\"", "\"NotPrincipal\"", "\"AWS\"", "\"Service\"",
        "\"Condition\"", "\"Sid\"", "\"Id\"", "\"*\"", "\"sqs:*\"", "IfExists",
        "ForAnyValue:", "ForAllValues:", "StringEquals", "StringLike", "ArnLike", "NumericLessThan",
        "DateGreaterThan", "Bool", "IpAddress", "NotIpAddress", "Null", "aws:SourceIp",
        "aws:SourceArn", "aws:SourceAccount", "aws:SecureTransport", "aws:PrincipalArn",
        "aws:CurrentTime", "aws:EpochTime", "aws:username", "arn:aws:iam::", ":root",
        "arn:aws:sqs:us-east-1:111122223333:", "111122223333", "::ffff:", "/32", "1e308"],
}


def model_dicts():
    """Member and Query names of the SQS model, for the two codec targets."""
    model = json.loads((REPO / "models" / "sqs.json").read_text())
    keys = json.loads((REPO / "models" / "sqs.query-keys.json").read_text())
    names = set(model["operations"])
    for shape in model["shapes"].values():
        for m, d in shape.get("members", {}).items():
            names.add(m)
            if "locationName" in d:
                names.add(d["locationName"])
    for text in json.dumps(keys).split('"'):
        if text.isidentifier():
            names.add(text)
    query = sorted(names) + [".1", ".2", ".member.1", ".entry.1", ".Name", ".Value", ".key",
                             ".value", ".DataType", ".StringValue", ".BinaryValue", "=", "&",
                             "%", "%00", "+", "true", "false", "-1", "2147483648"]
    js = ['"%s":' % n for n in sorted(names)] + ["{", "}", "[", "]", "null", "true", "1e400",
                                                 "-9223372036854775809", '"\\u0000"', '"NaN"']
    return {"fuzz_query_decoder": query, "fuzz_json_decoder": js}


def write_dicts():
    d = FUZZ / "dict"
    d.mkdir(exist_ok=True)
    for target, words in {**DICTS, **model_dicts()}.items():
        lines = ["# libFuzzer dictionary for %s (generated by fuzz/tools/make_seeds.py)" % target]
        for w in words:
            esc = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else
                          ("\\" + c if c in '"\\' else "\\x%02x" % ord(c)) for c in w)
            lines.append('"%s"' % esc)
        (d / f"{target}.dict").write_text("\n".join(lines) + "\n")


def write(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--boto3":
        boto3_calls(int(sys.argv[2]), sys.argv[3])
        return
    for t in ("fuzz_http_request", "fuzz_query_decoder", "fuzz_json_decoder", "fuzz_policy",
              "fuzz_sigv4"):
        shutil.rmtree(CORPUS / t, ignore_errors=True)
    cap = Capture()
    traffic = []  # (name, raw request)
    for protocol in ("query", "json"):
        reqs, info = run_boto3(cap, protocol)
        for i, raw in enumerate(reqs):
            traffic.append((f"boto3-{protocol}-{i:02d}", raw))
        # botocore presigns the operation's own method (POST) and, for JSON, its headers.
        path = info["presigned"].split(f":{cap.port}", 1)[1]
        extra = ("Content-Type: application/x-amz-json-1.0\r\n"
                 "X-Amz-Target: AmazonSQS.GetQueueAttributes\r\n") if protocol == "json" else ""
        traffic.append((f"boto3-{protocol}-presigned",
                        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{cap.port}\r\n{extra}"
                        "Content-Length: 0\r\n\r\n".encode()))
    for i, raw in enumerate(run_js(cap)):
        traffic.append((f"js-{i:02d}", raw))

    for name, raw in traffic:
        head, _, body = raw.partition(b"\r\n\r\n")
        headers = {}
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            headers[k.strip().lower()] = v.strip()
        # fuzz_http_request: byte 0 = mode (0: server limits, whole input at once).
        write("fuzz_http_request", name, b"\x00" + raw)
        write("fuzz_sigv4", name, raw)
        target = headers.get(b"x-amz-target", b"")
        if target:
            op = target.split(b".", 1)[1]
            write("fuzz_json_decoder", name, op + b"\n" + body)
        elif body:
            action = [p.split(b"=", 1)[1] for p in body.split(b"&") if p.startswith(b"Action=")]
            write("fuzz_query_decoder", name, (action[0] if action else b"x") + b"\n" + body)
        else:
            query = raw.split(b" ", 2)[1].partition(b"?")[2]
            write("fuzz_query_decoder", name, b"GetQueueAttributes\n" + query)
    for name, raw in suite_vectors():
        write("fuzz_sigv4", "suite-" + name, raw)
    for i, (name, raw) in enumerate(HTTP_CASES.items()):
        write("fuzz_http_request", "edge-" + name, bytes([i * 7 % 256]) + raw)
    for name, doc in POLICIES.items():
        write("fuzz_policy", name, json.dumps(doc, indent=1).encode())
    write_dicts()
    print("seeds:", {t.name: len(list(t.iterdir())) for t in sorted(CORPUS.iterdir())})


if __name__ == "__main__":
    main()
