"""SNS against Sluice with boto3 (AWS Query, XML responses): topics and their attributes, SQS
subscriptions receiving AWS's JSON envelope (signature checked with OpenSSL against the certificate
served at SigningCertURL) or the raw message, filter policies on attributes and on the body,
PublishBatch with per-entry failures, a FIFO topic feeding a FIFO queue, an HTTP subscriber written
as users write one (confirmation through the SubscribeURL, signed notifications, retries on the
adjustable clock, then the subscription's dead-letter queue), and kill -9 durability.

SNS speaks only Query: the suite runs in the query pass (the SQS side does not change it)."""
import base64
import json
import subprocess
import threading
import time
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import PROTOCOL, REGION, Sluice

pytestmark = pytest.mark.skipif(PROTOCOL != "query", reason="SNS is Query only; runs in the query pass")

ACCOUNT = "000000000000"
CFG = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def sns_client(endpoint):
    return boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                 region_name=REGION).client("sns", endpoint_url=endpoint, config=CFG)


def sqs_client(endpoint):
    return boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                 region_name=REGION).client("sqs", endpoint_url=endpoint, config=CFG)


@pytest.fixture(scope="module")
def sns(server):
    return sns_client(server.endpoint)


@pytest.fixture(scope="module")
def sq(server):
    return sqs_client(server.endpoint)


def name(prefix="t"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def expect(fn, code, message=None, status=400, **kwargs):
    with pytest.raises(ClientError) as info:
        fn(**kwargs)
    err = info.value.response
    assert (err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]) == (code, status), err
    if message is not None:
        assert err["Error"]["Message"] == message, err["Error"]["Message"]
    return err["Error"]["Message"]


def make_queue(sq, fifo=False, attributes=None):
    attrs = dict(attributes or {})
    if fifo:
        attrs["FifoQueue"] = "true"
    url = sq.create_queue(QueueName=name("q") + (".fifo" if fifo else ""), Attributes=attrs)["QueueUrl"]
    arn = sq.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def receive(sq, url, count, timeout=10, attributes=False):
    """Receives until `count` messages arrived (deleting them), or the timeout."""
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        kwargs = {"MessageAttributeNames": ["All"], "AttributeNames": ["All"]} if attributes else {}
        msgs = sq.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, **kwargs)
        for m in msgs.get("Messages", []):
            got.append(m)
            sq.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return got


def empty(sq, url):
    return not sq.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages")


# ------------------------------------------------------------------ signatures, checked with OpenSSL

def string_to_sign(doc):
    if doc["Type"] == "Notification":
        keys = ["Message", "MessageId"] + (["Subject"] if "Subject" in doc else []) + \
            ["Timestamp", "TopicArn", "Type"]
    else:
        keys = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    return "".join(f"{k}\n{doc[k]}\n" for k in keys).encode()


def verify_signature(doc, tmp_path):
    """As the SDKs' message validators do: fetch SigningCertURL, check the signature over the
    canonical string with SHA1 (version 1) or SHA256 (version 2)."""
    with urllib.request.urlopen(doc["SigningCertURL"], timeout=5) as r:
        cert = r.read()
    (tmp_path / "cert.pem").write_bytes(cert)
    pub = subprocess.run(["openssl", "x509", "-in", str(tmp_path / "cert.pem"), "-noout", "-pubkey"],
                         check=True, capture_output=True).stdout
    (tmp_path / "pub.pem").write_bytes(pub)
    (tmp_path / "sig").write_bytes(base64.b64decode(doc["Signature"]))
    (tmp_path / "data").write_bytes(string_to_sign(doc))
    digest = {"1": "-sha1", "2": "-sha256"}[doc["SignatureVersion"]]
    res = subprocess.run(["openssl", "dgst", digest, "-verify", str(tmp_path / "pub.pem"), "-signature",
                          str(tmp_path / "sig"), str(tmp_path / "data")], capture_output=True)
    return res.returncode == 0


# ------------------------------------------------------------------ topics

def test_topics_create_is_idempotent_list_attributes_delete(sns):
    n = name()
    arn = sns.create_topic(Name=n, Attributes={"DisplayName": "orders"}, Tags=[{"Key": "env", "Value": "dev"}])["TopicArn"]
    assert arn == f"arn:aws:sns:{REGION}:{ACCOUNT}:{n}"
    assert sns.create_topic(Name=n, Attributes={"DisplayName": "orders"},
                            Tags=[{"Key": "env", "Value": "dev"}])["TopicArn"] == arn
    expect(sns.create_topic, "InvalidParameter", Name=n, Attributes={"DisplayName": "other"})
    expect(sns.create_topic, "InvalidParameter",
           "Invalid parameter: Tags Reason: Topic already exists with different tags",
           Name=n, Attributes={"DisplayName": "orders"}, Tags=[{"Key": "env", "Value": "prod"}])
    arns = []
    for page in sns.get_paginator("list_topics").paginate():
        arns += [t["TopicArn"] for t in page["Topics"]]
    assert arn in arns
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attrs["TopicArn"] == arn and attrs["Owner"] == ACCOUNT and attrs["DisplayName"] == "orders"
    assert attrs["SubscriptionsConfirmed"] == "0" and attrs["SubscriptionsPending"] == "0"
    policy = json.loads(attrs["Policy"])
    assert policy["Statement"][0]["Resource"] == arn
    assert "EffectiveDeliveryPolicy" in attrs
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="renamed")
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["DisplayName"] == "renamed"
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]
    sns.delete_topic(TopicArn=arn)
    sns.delete_topic(TopicArn=arn)  # idempotent, as on AWS
    expect(sns.get_topic_attributes, "NotFound", "Topic does not exist", 404, TopicArn=arn)
    expect(sns.create_topic, "InvalidParameter", Name="bad name!")
    expect(sns.create_topic, "InvalidParameter", Name="x" * 257)
    expect(sns.get_topic_attributes, "InvalidParameter",
           "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1", TopicArn="nope")


def test_publish_errors(sns):
    arn = sns.create_topic(Name=name())["TopicArn"]
    expect(sns.publish, "NotFound", "Topic does not exist", 404, TopicArn=arn + "x", Message="m")
    expect(sns.publish, "InvalidParameter", "Invalid parameter: Message too long", TopicArn=arn,
           Message="x" * (256 * 1024 + 1))
    expect(sns.publish, "InvalidParameter",
           "Invalid parameter: Message Structure - No default entry in JSON message body",
           TopicArn=arn, Message='{"sqs": "a"}', MessageStructure="json")
    expect(sns.publish, "ParameterValueInvalid",
           "The message attribute 'a' must contain non-empty message attribute value for message "
           "attribute type 'String'.", TopicArn=arn, Message="m",
           MessageAttributes={"a": {"DataType": "String", "StringValue": ""}})
    # Hostile nesting is refused, not a crashed server.
    deep = "[" * 200_000
    expect(sns.publish, "InvalidParameter", TopicArn=arn, Message=deep, MessageStructure="json")
    expect(sns.set_topic_attributes, "InvalidParameter", TopicArn=arn, AttributeName="DeliveryPolicy",
           AttributeValue=deep)
    expect(sns.publish, "ParameterValueInvalid", TopicArn=arn, Message="m",
           MessageAttributes={"a": {"DataType": "String.Array", "StringValue": deep}})
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["TopicArn"] == arn
    expect(sns.subscribe, "InvalidParameter",
           "Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon",
           TopicArn=arn, Protocol="carrier-pigeon", Endpoint="x")


# ------------------------------------------------------------------ SQS subscriptions

def test_sqs_subscription_gets_the_signed_envelope(sns, sq, tmp_path):
    topic = sns.create_topic(Name=name())["TopicArn"]
    url, qarn = make_queue(sq)
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, ReturnSubscriptionArn=True)["SubscriptionArn"]
    assert sub.startswith(topic + ":")
    sattrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert sattrs["Protocol"] == "sqs" and sattrs["Endpoint"] == qarn and sattrs["PendingConfirmation"] == "false"
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsConfirmed"] == "1"
    assert any(s["SubscriptionArn"] == sub for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"])
    mid = sns.publish(TopicArn=topic, Message="hello", Subject="greeting", MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "order"},
        "n": {"DataType": "Number", "StringValue": "42"},
        "bin": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        "list": {"DataType": "String.Array", "StringValue": '["a", 1]'}})["MessageId"]
    (msg,) = receive(sq, url, 1)
    doc = json.loads(msg["Body"])
    assert doc["Type"] == "Notification" and doc["MessageId"] == mid and doc["TopicArn"] == topic
    assert doc["Subject"] == "greeting" and doc["Message"] == "hello"
    assert doc["Timestamp"].endswith("Z") and doc["SignatureVersion"] == "1"
    assert urllib.parse.unquote(doc["UnsubscribeURL"]).endswith(f"Action=Unsubscribe&SubscriptionArn={sub}")
    assert doc["MessageAttributes"] == {
        "kind": {"Type": "String", "Value": "order"}, "n": {"Type": "Number", "Value": "42"},
        "bin": {"Type": "Binary", "Value": "AAE="}, "list": {"Type": "String.Array", "Value": '["a", 1]'}}
    assert verify_signature(doc, tmp_path)
    tampered = dict(doc, Message="HELLO")
    assert not verify_signature(tampered, tmp_path)  # the check can fail
    # SignatureVersion 2: SHA256.
    sns.set_topic_attributes(TopicArn=topic, AttributeName="SignatureVersion", AttributeValue="2")
    sns.publish(TopicArn=topic, Message="v2")
    (msg,) = receive(sq, url, 1)
    doc = json.loads(msg["Body"])
    assert doc["SignatureVersion"] == "2" and "Subject" not in doc and verify_signature(doc, tmp_path)
    # Unsubscribe: nothing more arrives.
    sns.unsubscribe(SubscriptionArn=sub)
    expect(sns.get_subscription_attributes, "NotFound", "Subscription does not exist", 404, SubscriptionArn=sub)
    sns.publish(TopicArn=topic, Message="after")
    assert empty(sq, url)


def test_raw_delivery_and_message_structure(sns, sq):
    topic = sns.create_topic(Name=name())["TopicArn"]
    url, qarn = make_queue(sq)
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, ReturnSubscriptionArn=True,
                        Attributes={"RawMessageDelivery": "true"})["SubscriptionArn"]
    assert sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["RawMessageDelivery"] == "true"
    sns.publish(TopicArn=topic, Message="raw body", MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "order"},
        "bin": {"DataType": "Binary", "BinaryValue": b"\x07"}})
    (msg,) = receive(sq, url, 1, attributes=True)
    assert msg["Body"] == "raw body"
    assert msg["MessageAttributes"]["kind"] == {"DataType": "String", "StringValue": "order"}
    assert msg["MessageAttributes"]["bin"] == {"DataType": "Binary", "BinaryValue": b"\x07"}
    sns.publish(TopicArn=topic, MessageStructure="json", Message=json.dumps({"default": "d", "sqs": "for sqs"}))
    (msg,) = receive(sq, url, 1)
    assert msg["Body"] == "for sqs"


def test_filter_policies_on_attributes_and_body(sns, sq):
    topic = sns.create_topic(Name=name())["TopicArn"]
    q_attr, a_attr = make_queue(sq)
    q_body, a_body = make_queue(sq)
    q_all, a_all = make_queue(sq)
    s_attr = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=a_attr, ReturnSubscriptionArn=True, Attributes={
        "FilterPolicy": json.dumps({"kind": ["order"], "amount": [{"numeric": [">", 100]}]}),
        "RawMessageDelivery": "true"})["SubscriptionArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=a_body, Attributes={
        "FilterPolicyScope": "MessageBody",
        "FilterPolicy": json.dumps({"order": {"country": [{"prefix": "D"}], "gift": [{"exists": False}]}}),
        "RawMessageDelivery": "true"})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=a_all, Attributes={"RawMessageDelivery": "true"})
    assert sns.get_subscription_attributes(SubscriptionArn=s_attr)["Attributes"]["FilterPolicyScope"] == \
        "MessageAttributes"

    def pub(body, **attrs):
        ma = {k: ({"DataType": "Number", "StringValue": str(v)} if isinstance(v, int)
                  else {"DataType": "String", "StringValue": v}) for k, v in attrs.items()}
        sns.publish(TopicArn=topic, Message=body, MessageAttributes=ma)

    pub("a1", kind="order", amount=150)                       # attr
    pub("a2", kind="order", amount=50)                        # none
    pub("a3", kind="refund", amount=150)                      # none
    pub(json.dumps({"order": {"country": "DE"}}))             # body
    pub(json.dumps({"order": {"country": "DE", "gift": 1}}))  # none
    pub(json.dumps({"order": {"country": "FR"}}), kind="order", amount=101)  # attr
    assert sorted(m["Body"] for m in receive(sq, q_attr, 2)) == ["a1", json.dumps({"order": {"country": "FR"}})]
    assert [m["Body"] for m in receive(sq, q_body, 1)] == [json.dumps({"order": {"country": "DE"}})]
    assert len(receive(sq, q_all, 6)) == 6
    assert empty(sq, q_attr) and empty(sq, q_body)
    # Changing the policy takes effect; AWS's validation texts.
    sns.set_subscription_attributes(SubscriptionArn=s_attr, AttributeName="FilterPolicy",
                                    AttributeValue=json.dumps({"kind": [{"anything-but": ["order"]}]}))
    pub("b1", kind="refund")
    pub("b2", kind="order")
    assert [m["Body"] for m in receive(sq, q_attr, 1)] == ["b1"]
    expect(sns.set_subscription_attributes, "InvalidParameter",
           "Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys",
           SubscriptionArn=s_attr, AttributeName="FilterPolicy",
           AttributeValue=json.dumps({k: ["x"] for k in "abcdef"}))
    expect(sns.set_subscription_attributes, "InvalidParameter",
           "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy",
           SubscriptionArn=s_attr, AttributeName="FilterPolicy", AttributeValue=json.dumps({"a": {"b": ["x"]}}))
    expect(sns.subscribe, "InvalidParameter",
           "Invalid parameter: Attributes Reason: FilterPolicy: exists match pattern must be either true or false.",
           TopicArn=topic, Protocol="sqs", Endpoint=a_all,
           Attributes={"FilterPolicy": json.dumps({"a": [{"exists": "yes"}]})})
    msg = expect(sns.set_subscription_attributes, "InvalidParameter", SubscriptionArn=s_attr,
                 AttributeName="FilterPolicy", AttributeValue="{not json")
    assert msg.startswith("Invalid parameter: FilterPolicy: failed to parse JSON."), msg


def test_publish_batch_with_per_entry_failures(sns, sq):
    topic = sns.create_topic(Name=name())["TopicArn"]
    url, qarn = make_queue(sq)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})
    res = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "ok1", "Message": "one"},
        {"Id": "bad", "Message": "two", "MessageAttributes": {"a": {"DataType": "String", "StringValue": ""}}},
        {"Id": "ok2", "Message": "three", "Subject": "s"}])
    assert sorted(e["Id"] for e in res["Successful"]) == ["ok1", "ok2"]
    assert all(e["MessageId"] for e in res["Successful"])
    (failed,) = res["Failed"]
    assert failed["Id"] == "bad" and failed["SenderFault"] is True and failed["Code"]
    assert sorted(m["Body"] for m in receive(sq, url, 2)) == ["one", "three"]
    expect(sns.publish_batch, "BatchEntryIdsNotDistinct", TopicArn=topic,
           PublishBatchRequestEntries=[{"Id": "a", "Message": "x"}, {"Id": "a", "Message": "y"}])
    expect(sns.publish_batch, "TooManyEntriesInBatchRequest", TopicArn=topic,
           PublishBatchRequestEntries=[{"Id": str(i), "Message": "x"} for i in range(11)])
    expect(sns.publish_batch, "BatchRequestTooLong", TopicArn=topic,
           PublishBatchRequestEntries=[{"Id": str(i), "Message": "x" * 100_000} for i in range(3)])


def test_fifo_topic_to_fifo_queue_in_order_with_dedup(sns, sq):
    topic = sns.create_topic(Name=name() + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    url, qarn = make_queue(sq, fifo=True)
    std_url, std_arn = make_queue(sq)
    expect(sns.subscribe, "InvalidParameter", TopicArn=sns.create_topic(Name=name())["TopicArn"],
           Protocol="sqs", Endpoint=qarn)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})
    expect(sns.publish, "InvalidParameter", TopicArn=topic, Message="no group")
    seqs = []
    for g in ("g1", "g2"):
        for i in range(5):
            r = sns.publish(TopicArn=topic, Message=f"{g}-{i}", MessageGroupId=g, MessageDeduplicationId=f"{g}{i}")
            seqs.append(int(r["SequenceNumber"]))
    assert seqs == sorted(seqs)
    dup = sns.publish(TopicArn=topic, Message="g1-0 again", MessageGroupId="g1", MessageDeduplicationId="g10")
    assert dup["SequenceNumber"] == str(seqs[0]).zfill(len(dup["SequenceNumber"]))
    res = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": str(i), "Message": f"g3-{i}", "MessageGroupId": "g3", "MessageDeduplicationId": f"g3{i}"}
        for i in range(3)])
    assert len(res["Successful"]) == 3 and all(e["SequenceNumber"] for e in res["Successful"])
    got = receive(sq, url, 13, attributes=True)
    by_group = {}
    for m in got:
        by_group.setdefault(m["Attributes"]["MessageGroupId"], []).append(m["Body"])
    assert by_group == {"g1": [f"g1-{i}" for i in range(5)], "g2": [f"g2-{i}" for i in range(5)],
                        "g3": [f"g3-{i}" for i in range(3)]}
    assert empty(sq, url)
    # Content-based deduplication.
    cb = sns.create_topic(Name=name() + ".fifo", Attributes={"FifoTopic": "true",
                                                              "ContentBasedDeduplication": "true"})["TopicArn"]
    sns.subscribe(TopicArn=cb, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})
    a = sns.publish(TopicArn=cb, Message="same", MessageGroupId="g")
    b = sns.publish(TopicArn=cb, Message="same", MessageGroupId="g")
    assert a["MessageId"] == b["MessageId"]
    assert [m["Body"] for m in receive(sq, url, 1)] == ["same"] and empty(sq, url)
    del std_url, std_arn


# ------------------------------------------------------------------ HTTP subscribers

class Subscriber:
    """A user's HTTP endpoint: records every POST, answers with `status`."""

    def __init__(self):
        self.requests = []
        self.status = 200
        self.cond = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer.cond:
                    outer.requests.append((dict((k.lower(), v) for k, v in self.headers.items()), body))
                    outer.cond.notify_all()
                    status = outer.status
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait(self, count, timeout=10):
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.requests) >= count, timeout), \
                f"{len(self.requests)} requests, expected {count}"
            return list(self.requests)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def clocked(tmp_path_factory):
    srv = Sluice(tmp_path_factory.mktemp("sns-clock"), '[testing]\nclock = "adjustable"\n')
    yield srv
    srv.stop()


def test_http_subscriber_confirms_verifies_retries_and_dead_letters(clocked, tmp_path):
    sns, sq = sns_client(clocked.endpoint), sqs_client(clocked.endpoint)
    hook = Subscriber()
    try:
        topic = sns.create_topic(Name=name())["TopicArn"]
        dlq_url, dlq_arn = make_queue(sq)
        sub = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=hook.url, ReturnSubscriptionArn=True,
                            Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})})["SubscriptionArn"]
        assert sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["PendingConfirmation"] == "true"
        assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsPending"] == "1"
        ((headers, body),) = hook.wait(1)
        doc = json.loads(body)
        assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
        assert headers["x-amz-sns-topic-arn"] == topic and headers["x-amz-sns-message-id"] == doc["MessageId"]
        assert headers["content-type"] == "text/plain; charset=UTF-8"
        assert doc["Type"] == "SubscriptionConfirmation" and doc["Token"] and doc["TopicArn"] == topic
        assert verify_signature(doc, tmp_path)
        # Confirm as users do: GET the SubscribeURL.
        with urllib.request.urlopen(doc["SubscribeURL"], timeout=5) as r:
            assert r.status == 200 and sub.encode() in r.read()
        sattrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
        assert sattrs["PendingConfirmation"] == "false"
        # Notifications, signed.
        mid = sns.publish(TopicArn=topic, Message="to http", Subject="s")["MessageId"]
        headers, body = hook.wait(2)[1]
        doc = json.loads(body)
        assert headers["x-amz-sns-message-type"] == "Notification"
        assert headers["x-amz-sns-subscription-arn"] == sub and doc["MessageId"] == mid
        assert doc["Message"] == "to http" and verify_signature(doc, tmp_path)
        # A failing endpoint: the default policy is 1 attempt + 3 retries 20 s apart, then the DLQ.
        with hook.cond:
            hook.status = 500
        mid = sns.publish(TopicArn=topic, Message="will fail")["MessageId"]
        hook.wait(3)
        for n in range(3):
            time.sleep(0.2)  # no retry comes before its time
            assert len(hook.requests) == 3 + n
            clocked.advance_clock(20)
            reqs = hook.wait(4 + n)
            assert json.loads(reqs[-1][1])["MessageId"] == mid
        (dead,) = receive(sq, dlq_url, 1)
        assert json.loads(dead["Body"])["MessageId"] == mid
        clocked.advance_clock(60)
        time.sleep(0.3)
        assert len(hook.requests) == 6  # given up: no fifth attempt
    finally:
        hook.close()


# ------------------------------------------------------------------ durability

def test_answered_publishes_survive_kill_9(tmp_path):
    srv = Sluice(tmp_path, "", data_dir=tmp_path / "data")
    try:
        sns, sq = sns_client(srv.endpoint), sqs_client(srv.endpoint)
        topic = sns.create_topic(Name=name())["TopicArn"]
        urls = []
        for _ in range(2):
            url, qarn = make_queue(sq)
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})
            urls.append(url)
        sent = set()
        for i in range(20):
            sns.publish(TopicArn=topic, Message=f"m{i}")
            sent.add(f"m{i}")
        for i in range(0, 20, 10):
            sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
                {"Id": str(j), "Message": f"b{i + j}"} for j in range(10)])
            sent.update(f"b{i + j}" for j in range(10))
        srv.proc.kill()
        srv.proc.wait(5)
        srv.log.close()
        srv.start()
        sq = sqs_client(srv.endpoint)
        for url in urls:
            assert {m["Body"] for m in receive(sq, url, len(sent))} == sent
        sns = sns_client(srv.endpoint)
        assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsConfirmed"] == "2"
    finally:
        srv.stop()


def test_http_retries_survive_a_restart(tmp_path):
    srv = Sluice(tmp_path, '[testing]\nclock = "adjustable"\n', data_dir=tmp_path / "data")
    hook = Subscriber()
    try:
        sns = sns_client(srv.endpoint)
        topic = sns.create_topic(Name=name())["TopicArn"]
        sub = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=hook.url,
                            ReturnSubscriptionArn=True)["SubscriptionArn"]
        token = json.loads(hook.wait(1)[0][1])["Token"]
        sns.confirm_subscription(TopicArn=topic, Token=token)
        assert sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["PendingConfirmation"] == "false"
        with hook.cond:
            hook.status = 500
        mid = sns.publish(TopicArn=topic, Message="survives")["MessageId"]
        hook.wait(2)  # the first attempt failed; a retry is due in 20 s
        srv.proc.kill()
        srv.proc.wait(5)
        srv.log.close()
        with hook.cond:
            hook.status = 200
        srv.start()
        srv.advance_clock(25)
        reqs = hook.wait(3)
        assert json.loads(reqs[2][1])["MessageId"] == mid
        assert reqs[2][0]["x-amz-sns-message-type"] == "Notification"
        time.sleep(0.3)
        srv.advance_clock(60)
        time.sleep(0.3)
        assert len(hook.requests) == 3  # delivered once: no further retries
    finally:
        hook.close()
        srv.stop()
