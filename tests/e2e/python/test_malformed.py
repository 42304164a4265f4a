"""Malformed and unusual requests over raw HTTP (runs once, in the query pass). After each case the server
must still answer a normal request."""
import http.client
import json
import os
import re
import socket
import time
import urllib.parse

import pytest

from conftest import ACCOUNT, PROTOCOL, unique_name

pytestmark = pytest.mark.skipif(PROTOCOL != "query", reason="protocol-independent; runs in the query pass")

FORM = "application/x-www-form-urlencoded; charset=utf-8"
JSON = "application/x-amz-json-1.0"


class Resp:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, {k.lower(): v for k, v in headers}, body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def xml_code(self):
        m = re.search(r"<Code>([^<]*)</Code>", self.text)
        return m and m.group(1)

    def json(self):
        return json.loads(self.body)


def request(server, method, path, body=b"", headers=None, timeout=15):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return Resp(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


def query(server, params, path="/", method="POST"):
    enc = urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
    if method == "GET":
        return request(server, "GET", f"{path}?{enc}")
    return request(server, "POST", path, enc.encode(), {"Content-Type": FORM})


def json_call(server, op, body, raw=False):
    data = body if raw else json.dumps(body).encode()
    return request(server, "POST", "/", data, {"Content-Type": JSON, "X-Amz-Target": f"AmazonSQS.{op}",
                                               "x-amzn-query-mode": "true"})


def raw_exchange(server, payload, read_timeout=5, close_write=False, want_send_failed=False):
    """Sends raw bytes; returns whatever the server answers before closing or the timeout (b"" if nothing).
    With want_send_failed, returns (bytes, whether the server closed before taking the whole payload)."""
    s = socket.create_connection(("127.0.0.1", server.port), timeout=read_timeout)
    send_failed = False
    try:
        try:
            s.sendall(payload)
            if close_write:
                s.shutdown(socket.SHUT_WR)
        except OSError:
            send_failed = True
        chunks = []
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                if b"\r\n\r\n" in b"".join(chunks) and not close_write:
                    break
        except (socket.timeout, ConnectionResetError):
            pass
        raw = b"".join(chunks)
        return (raw, send_failed) if want_send_failed else raw
    finally:
        s.close()


def status_of(raw):
    m = re.match(rb"HTTP/1\.[01] (\d{3})", raw)
    return int(m.group(1)) if m else None


@pytest.fixture
def healthy(server):
    """Yields, then checks the server process is alive and answers a normal request."""
    yield
    assert server.alive(), f"server died:\n{server.log_tail()}"
    r = query(server, {"Action": "ListQueues", "Version": "2012-11-05"})
    assert r.status == 200 and "<ListQueuesResponse" in r.text, (r.status, r.text)


def assert_query_error(r, status, code):
    assert r.status == status, (r.status, r.text)
    assert r.headers.get("content-type", "").startswith("text/xml"), r.headers
    assert "<ErrorResponse" in r.text, r.text
    assert r.xml_code() == code, r.text


def assert_json_error(r, status, code=None, shape=None):
    assert r.status == status, (r.status, r.text)
    assert r.headers.get("content-type", "").startswith(JSON), r.headers
    assert r.headers.get("x-amzn-requestid"), r.headers
    doc = r.json()
    assert "__type" in doc, doc
    assert "message" in doc or "Message" in doc, doc
    qe = r.headers.get("x-amzn-query-error", "")
    assert re.fullmatch(r"[A-Za-z0-9.]+;Sender", qe), (qe, doc)  # awsQueryCompatible: always sent
    if code is not None:
        assert qe == f"{code};Sender", (qe, doc)
    if shape is not None:
        assert doc["__type"].split("#")[-1] == shape, doc
    return doc


# ---------------------------------------------------------------- JSON protocol

def test_json_ok_and_empty_body(server, healthy):
    r = json_call(server, "ListQueues", b"", raw=True)
    assert r.status == 200, r.text
    assert r.headers["content-type"].startswith(JSON) and r.headers.get("x-amzn-requestid")
    r = json_call(server, "ListQueues", {})
    assert r.status == 200 and isinstance(r.json(), dict)


def test_json_unknown_members_ignored(server, healthy):
    r = json_call(server, "ListQueues", {"FutureMember": {"x": 1}, "QueueNamePrefix": "zzz-none"})
    assert r.status == 200, r.text


def test_json_bad_json(server, healthy):
    r = json_call(server, "ListQueues", b"{not json", raw=True)
    assert_json_error(r, 400)


@pytest.mark.parametrize("op,body", [
    ("CreateQueue", {"QueueName": 123}),
    ("CreateQueue", {"QueueName": ["a"]}),
    ("ReceiveMessage", {"QueueUrl": "http://x/000000000000/q", "MaxNumberOfMessages": "ten"}),
    ("CreateQueue", {"QueueName": "ok", "Attributes": ["not", "a", "map"]}),
    ("ListQueues", [1, 2, 3]),
    ("ListQueues", "string"),
])
def test_json_wrong_types(server, healthy, op, body):
    assert_json_error(json_call(server, op, body), 400)


def test_json_unknown_target(server, healthy):
    r = json_call(server, "NoSuchOperation", {})
    doc = assert_json_error(r, 400)
    assert doc["__type"].split("#")[-1] in ("UnknownOperationException", "InvalidAction"), doc


def test_json_missing_required(server, healthy):
    r = json_call(server, "GetQueueUrl", {})
    doc = assert_json_error(r, 400, "MissingParameter", "MissingRequiredParameterException")
    assert doc.get("message", doc.get("Message")) == "The request must contain the parameter QueueName."


def test_json_nonexistent_queue(server, healthy):
    r = json_call(server, "GetQueueUrl", {"QueueName": unique_name("nope")})
    doc = assert_json_error(r, 400, "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")
    assert doc["__type"] == "com.amazonaws.sqs#QueueDoesNotExist"
    assert doc.get("message") == "The specified queue does not exist."


# ---------------------------------------------------------------- Query protocol

def test_query_unknown_action(server, healthy):
    assert_query_error(query(server, {"Action": "NoSuchAction", "Version": "2012-11-05"}), 400, "InvalidAction")


def test_query_missing_action(server, healthy):
    r = query(server, {"Version": "2012-11-05", "QueueName": "x"})
    assert r.status == 400, r.text
    assert "<ErrorResponse" in r.text and r.xml_code() in ("MissingAction", "InvalidAction"), r.text


def test_query_empty_post(server, healthy):
    r = request(server, "POST", "/", b"", {"Content-Type": FORM})
    assert r.status == 400 and r.xml_code() in ("MissingAction", "InvalidAction"), r.text


@pytest.mark.parametrize("params,missing", [
    ({"Action": "GetQueueUrl"}, "QueueName"),
    ({"Action": "CreateQueue"}, "QueueName"),
    ({"Action": "DeleteMessage", "QueueUrl": "QURL"}, "ReceiptHandle"),
    ({"Action": "ChangeMessageVisibility", "QueueUrl": "QURL", "ReceiptHandle": "x"}, "VisibilityTimeout"),
])
def test_query_missing_parameter(server, healthy, sqs, queue, params, missing):
    params = {k: (queue if v == "QURL" else v) for k, v in params.items()}
    r = query(server, {**params, "Version": "2012-11-05"})
    assert_query_error(r, 400, "MissingParameter")
    assert f"<Message>The request must contain the parameter {missing}.</Message>" in r.text, r.text


def test_query_bad_percent_encoding(server, healthy):
    r = request(server, "POST", "/", b"Action=ListQueues&Version=2012-11-05&QueueNamePrefix=%ZZ%",
                {"Content-Type": FORM})
    assert (r.status, r.xml_code()) in ((404, "MalformedQueryString"), (400, "InvalidQueryParameter")), r.text
    assert "<ErrorResponse" in r.text, r.text
    r = request(server, "GET", "/?Action=ListQueues&Version=2012-11-05&QueueNamePrefix=%E9%")
    assert r.status in (400, 404) and "<ErrorResponse" in r.text, r.text


def test_query_plus_decodes_as_space(server, healthy, sqs, queue):
    body = "Action=SendMessage&Version=2012-11-05&QueueUrl=" + urllib.parse.quote(queue, safe="") + \
        "&MessageBody=a+b%20c"
    r = request(server, "POST", "/", body.encode(), {"Content-Type": FORM})
    assert r.status == 200, r.text
    m = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"][0]
    assert m["Body"] == "a b c"


def test_query_get_with_url_params(server, healthy, sqs, queue):
    name = queue.rsplit("/", 1)[1]
    r = query(server, {"Action": "ListQueues", "Version": "2012-11-05", "QueueNamePrefix": name}, method="GET")
    assert r.status == 200 and f"<QueueUrl>{queue}</QueueUrl>" in r.text, r.text
    r = query(server, {"Action": "SendMessage", "Version": "2012-11-05", "MessageBody": "Your message"},
              path=f"/{ACCOUNT}/{name}", method="GET")
    assert r.status == 200, r.text
    import hashlib
    assert f"<MD5OfMessageBody>{hashlib.md5(b'Your message').hexdigest()}</MD5OfMessageBody>" in r.text
    m = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"][0]
    assert m["Body"] == "Your message"


def test_query_post_to_queue_path_without_queue_url(server, healthy, sqs, queue):
    name = queue.rsplit("/", 1)[1]
    path = f"/{ACCOUNT}/{name}"
    r = query(server, {"Action": "SendMessage", "Version": "2012-11-05", "MessageBody": "by path"}, path=path)
    assert r.status == 200 and "<SendMessageResponse" in r.text, r.text
    r = query(server, {"Action": "GetQueueAttributes", "Version": "2012-11-05", "AttributeName.1": "All"},
              path=path)
    assert r.status == 200 and "<Name>ApproximateNumberOfMessages</Name><Value>1</Value>" in \
        re.sub(r">\s+<", "><", r.text), r.text
    r = query(server, {"Action": "ReceiveMessage", "Version": "2012-11-05", "WaitTimeSeconds": "1"}, path=path)
    assert r.status == 200 and "<Body>by path</Body>" in r.text, r.text
    handle = re.search(r"<ReceiptHandle>([^<]+)</ReceiptHandle>", r.text).group(1)
    import html
    r = query(server, {"Action": "DeleteMessage", "Version": "2012-11-05", "ReceiptHandle": html.unescape(handle)},
              path=path)
    assert r.status == 200, r.text
    r = query(server, {"Action": "GetQueueUrl", "Version": "2012-11-05", "QueueName": name})
    assert f"<QueueUrl>{queue}</QueueUrl>" in r.text


def test_query_get_on_queue_url(server, healthy, queue):
    # AWS-validated in localstack's TestSqsQueryApi: a queue URL is no endpoint for CreateQueue or
    # ListQueues; without an Action it answers a bare UnknownOperationException (404), also to a
    # client asking for JSON; an empty result is written <ReceiveMessageResult/>.
    path = f"/{ACCOUNT}/{queue.rsplit('/', 1)[1]}"
    for action, extra in [("CreateQueue", {"QueueName": unique_name("viaget")}), ("ListQueues", {})]:
        r = query(server, {"Action": action, "Version": "2012-11-05", **extra}, path=path, method="GET")
        assert_query_error(r, 400, "InvalidAction")
        assert f"<Message>The action {action} is not valid for this endpoint.</Message>" in r.text, r.text
    for headers in ({}, {"Accept": "application/json"}):
        r = request(server, "GET", path, headers=headers)
        assert r.status == 404 and "<UnknownOperationException" in r.text, (r.status, r.text)
    r = query(server, {"Action": "ReceiveMessage", "Version": "2012-11-05"}, path=path, method="GET")
    assert r.status == 200 and "<ReceiveMessageResult/>" in r.text, r.text
    # The service endpoint itself still lists queues over GET, and answers MissingAction without one.
    r = query(server, {"Action": "ListQueues", "Version": "2012-11-05"}, method="GET")
    assert r.status == 200 and "<ListQueuesResponse" in r.text, r.text
    assert request(server, "GET", "/").status == 400


def test_query_path_of_missing_queue(server, healthy):
    r = query(server, {"Action": "SendMessage", "Version": "2012-11-05", "MessageBody": "x"},
              path=f"/{ACCOUNT}/{unique_name('nope')}")
    assert_query_error(r, 400, "AWS.SimpleQueueService.NonExistentQueue")


def test_query_empty_list_tolerated(server, healthy, queue):
    r = query(server, {"Action": "GetQueueAttributes", "Version": "2012-11-05", "QueueUrl": queue,
                       "AttributeName": ""})
    assert r.status == 200, r.text


def test_xml_escaping_of_body(server, healthy, sqs, queue):
    body = "<tag attr=\"v\">&amp; 'q' \r\n</tag>]]>"
    sqs.send_message(QueueUrl=queue, MessageBody=body)
    r = query(server, {"Action": "ReceiveMessage", "Version": "2012-11-05", "QueueUrl": queue,
                       "WaitTimeSeconds": "1"})
    assert r.status == 200
    import xml.etree.ElementTree as ET
    root = ET.fromstring(r.body)
    bodies = [e.text for e in root.iter() if e.tag.endswith("}Body") or e.tag == "Body"]
    assert bodies == [body], (bodies, r.text)


# ---------------------------------------------------------------- HTTP-level abuse

def test_oversized_body(server, healthy, queue):
    big = b"Action=SendMessage&Version=2012-11-05&QueueUrl=" + urllib.parse.quote(queue, safe="").encode() + \
        b"&MessageBody=" + b"a" * (8 * 1024 * 1024)
    payload = (f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: {FORM}\r\n"
               f"Content-Length: {len(big)}\r\nConnection: close\r\n\r\n").encode() + big
    start = time.monotonic()
    raw, send_failed = raw_exchange(server, payload, read_timeout=15, close_write=True, want_send_failed=True)
    assert time.monotonic() - start < 14, "server hung on an oversized body"
    status = status_of(raw)
    # 413 (or an AWS error) expected; a server that answers and closes early may reset the connection before
    # the client reads the answer, which is acceptable only if it refused the rest of the body.
    assert status in (400, 413) or (status is None and send_failed), (send_failed, raw[:500])


def test_truncated_request(server, healthy):
    raw = raw_exchange(server, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: " + FORM.encode() +
                       b"\r\nContent-Length: 100\r\n\r\nAction=Li", read_timeout=1)
    assert status_of(raw) in (None, 400, 408), raw[:300]
    raw = raw_exchange(server, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Le", read_timeout=1)
    assert status_of(raw) in (None, 400, 408), raw[:300]


def test_garbage_bytes(server, healthy):
    raw = raw_exchange(server, os.urandom(2048) + b"\r\n\r\n", read_timeout=5)
    assert status_of(raw) in (None, 400), raw[:300]
    raw = raw_exchange(server, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64, read_timeout=2)
    assert status_of(raw) in (None, 400), raw[:300]
    raw = raw_exchange(server, b"GET / HTTP/9.9\r\n\r\n", read_timeout=2)
    assert status_of(raw) in (None, 400, 505), raw[:300]


def test_content_length_shorter_than_body(server, healthy):
    body = b"Action=ListQueues&Version=2012-11-05"
    payload = (f"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: {FORM}\r\nContent-Length: 10\r\n"
               f"Connection: close\r\n\r\n").encode() + body
    raw = raw_exchange(server, payload, read_timeout=5, close_write=True)
    assert status_of(raw) == 400, raw[:500]
    assert b"InvalidAction" in raw or b"MissingAction" in raw or b"MissingParameter" in raw, raw[:800]


def test_content_length_longer_than_body(server, healthy):
    payload = (f"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: {FORM}\r\nContent-Length: 500\r\n\r\n").encode() + \
        b"Action=ListQueues&Version=2012-11-05"
    raw = raw_exchange(server, payload, read_timeout=1, close_write=True)
    assert status_of(raw) in (None, 400), raw[:300]


def test_bad_content_length_header(server, healthy):
    payload = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\nAction=ListQueues"
    raw = raw_exchange(server, payload, read_timeout=2, close_write=True)
    assert status_of(raw) in (None, 400), raw[:300]


def test_keep_alive_two_requests(server, healthy):
    body = b"Action=ListQueues&Version=2012-11-05"
    one = (f"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: {FORM}\r\nContent-Length: {len(body)}\r\n\r\n"
           ).encode() + body
    raw = raw_exchange(server, one + one, read_timeout=3, close_write=True)
    assert raw.count(b"HTTP/1.1 200") == 2, raw[:1000]


@pytest.mark.parametrize("action,params", [
    ("SetQueueAttributes", {"Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "31"}),
    ("GetQueueAttributes", {"AttributeName.1": "VisibilityTimeout"}),
    ("TagQueue", {"Tag.1.Key": "k", "Tag.1.Value": "v"}),
    ("ListQueueTags", {}),
    ("UntagQueue", {"TagKey.1": "k"}),
    ("SendMessageBatch", {"SendMessageBatchRequestEntry.1.Id": "a", "SendMessageBatchRequestEntry.1.MessageBody": "b"}),
    ("AddPermission", {"Label": "l1", "AWSAccountId.1": "111122223333", "ActionName.1": "SendMessage"}),
    ("RemovePermission", {"Label": "l1"}),
    ("ListDeadLetterSourceQueues", {}),
    ("PurgeQueue", {}),
    ("DeleteQueue", {}),
])
def test_query_path_addressing_every_action(server, healthy, make_queue, action, params):
    url = make_queue("path")
    name = url.rsplit("/", 1)[1]
    if action == "RemovePermission":
        query(server, {"Action": "AddPermission", "Version": "2012-11-05", "Label": "l1",
                       "AWSAccountId.1": "111122223333", "ActionName.1": "SendMessage"}, path=f"/{ACCOUNT}/{name}")
    r = query(server, {"Action": action, "Version": "2012-11-05", **params}, path=f"/{ACCOUNT}/{name}")
    assert r.status == 200 and f"<{action}Response" in r.text, r.text
    if action == "SetQueueAttributes":
        r = query(server, {"Action": "GetQueueAttributes", "Version": "2012-11-05", "QueueUrl": url,
                           "AttributeName.1": "VisibilityTimeout"})
        assert "<Value>31</Value>" in r.text, r.text
    if action == "SendMessageBatch":
        assert "<SendMessageBatchResultEntry>" in r.text, r.text


def test_json_no_output_operation_body(server, healthy, make_queue):
    url = make_queue("noout")
    r = json_call(server, "SetQueueAttributes", {"QueueUrl": url, "Attributes": {"DelaySeconds": "1"}})
    assert r.status == 200, r.text
    assert r.body in (b"", b"{}"), r.body
    assert r.headers.get("x-amzn-requestid")


def test_expect_100_continue(server, healthy):
    body = b"Action=ListQueues&Version=2012-11-05"
    s = socket.create_connection(("127.0.0.1", server.port), timeout=3)
    try:
        s.sendall((f"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: {FORM}\r\nContent-Length: {len(body)}\r\n"
                   "Expect: 100-continue\r\n\r\n").encode())
        first = s.recv(4096)  # must not leave the client waiting (curl waits 1 s, others longer)
        assert first.startswith(b"HTTP/1.1 100") or first.startswith(b"HTTP/1.1 417"), first[:200]
        if first.startswith(b"HTTP/1.1 100"):
            s.sendall(body)
            rest = first.split(b"\r\n\r\n", 1)[1]
            while b"</ListQueuesResponse>" not in rest:
                chunk = s.recv(65536)
                if not chunk:
                    break
                rest += chunk
            assert rest.startswith(b"HTTP/1.1 200"), rest[:300]
    finally:
        s.close()
