"""Message actions: SendMessage(+Batch), ReceiveMessage, DeleteMessage(+Batch),
ChangeMessageVisibility(+Batch), PurgeQueue."""
import time

import pytest

from sqs_md5 import md5_of_attributes, md5_of_body

TRACE = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
ALL_TYPES = {
    "s": {"DataType": "String", "StringValue": "caf\u00e9 \u2603 <&>"},
    "n": {"DataType": "Number", "StringValue": "-12.5e3"},
    "ni": {"DataType": "Number.int", "StringValue": "42"},
    "b": {"DataType": "Binary", "BinaryValue": bytes(range(256))},
    "bpng": {"DataType": "Binary.png", "BinaryValue": b"\x89PNG\r\n\x1a\n"},
    "sc": {"DataType": "String.custom", "StringValue": "x"},
}


def receive_one(sqs, url, **kwargs):
    kwargs.setdefault("WaitTimeSeconds", 1)
    msgs = sqs.receive_message(QueueUrl=url, **kwargs).get("Messages", [])
    assert len(msgs) == 1, msgs
    return msgs[0]


def receive_all(sqs, url, expected, **kwargs):
    got = []
    for _ in range(20):
        got += sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                   **kwargs).get("Messages", [])
        if len(got) >= expected:
            break
    return got


def approx(sqs, url):
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return (int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"]),
            int(a["ApproximateNumberOfMessagesDelayed"]))


# ---------------------------------------------------------------- SendMessage

def test_send_receive_md5_vectors(sqs, queue):
    r = sqs.send_message(QueueUrl=queue, MessageBody="hello",
                         MessageAttributes={"greeting": {"DataType": "String", "StringValue": "hi"}})
    assert r["MD5OfMessageBody"] == "5d41402abc4b2a76b9719d911017c592"
    assert r["MD5OfMessageAttributes"] == "7c50c7ee3dca03a9a7c3f73e6c838c20"
    assert "MD5OfMessageSystemAttributes" not in r
    assert r["MessageId"] and len(r["MessageId"]) <= 100
    m = receive_one(sqs, queue, MessageAttributeNames=["All"])
    assert m["MessageId"] == r["MessageId"]
    assert m["Body"] == "hello" and m["MD5OfBody"] == "5d41402abc4b2a76b9719d911017c592"
    assert m["MessageAttributes"] == {"greeting": {"DataType": "String", "StringValue": "hi"}}
    assert m["MD5OfMessageAttributes"] == "7c50c7ee3dca03a9a7c3f73e6c838c20"


def test_send_without_attributes_omits_attribute_md5(sqs, queue):
    r = sqs.send_message(QueueUrl=queue, MessageBody="plain")
    assert "MD5OfMessageAttributes" not in r
    m = receive_one(sqs, queue, MessageAttributeNames=["All"])
    assert "MessageAttributes" not in m and "MD5OfMessageAttributes" not in m


def test_all_attribute_types(sqs, queue):
    body = "unicode \u00e9\u4e2d\U0001F600 tab\t nl\n cr\r end"
    r = sqs.send_message(QueueUrl=queue, MessageBody=body, MessageAttributes=ALL_TYPES)
    assert r["MD5OfMessageBody"] == md5_of_body(body)
    assert r["MD5OfMessageAttributes"] == md5_of_attributes(ALL_TYPES)
    m = receive_one(sqs, queue, MessageAttributeNames=["All"])
    assert m["Body"] == body
    assert m["MD5OfBody"] == md5_of_body(body)
    assert m["MessageAttributes"] == ALL_TYPES
    assert m["MD5OfMessageAttributes"] == md5_of_attributes(ALL_TYPES)


def test_v3_vector(sqs, queue):
    attrs = {"count": {"DataType": "Number", "StringValue": "42"},
             "blob": {"DataType": "Binary", "BinaryValue": b"\x01\x02\x03"},
             "name": {"DataType": "String.custom", "StringValue": "caf\u00e9"}}
    r = sqs.send_message(QueueUrl=queue, MessageBody="v3", MessageAttributes=attrs)
    assert r["MD5OfMessageAttributes"] == "0259b5d53b62083e93646e1f00a64728"


def test_aws_trace_header(sqs, queue):
    r = sqs.send_message(QueueUrl=queue, MessageBody="traced", MessageSystemAttributes={
        "AWSTraceHeader": {"DataType": "String", "StringValue": TRACE}})
    assert r["MD5OfMessageSystemAttributes"] == "5ae4d5d7636402d80f4eb6d213245a88"
    assert "MD5OfMessageAttributes" not in r
    m = receive_one(sqs, queue, AttributeNames=["All"], MessageAttributeNames=["All"])
    assert m["Attributes"]["AWSTraceHeader"] == TRACE
    assert "MessageAttributes" not in m  # system attributes are not user attributes


def test_aws_trace_header_from_http_header(make_client, queue):
    # X-Ray-instrumented SDKs send X-Amzn-Trace-Id; SQS stores it as every message's AWSTraceHeader
    # (SendMessage and SendMessageBatch), and a MessageSystemAttributes AWSTraceHeader wins over it.
    client = make_client()

    def add_trace_header(request, **_):
        request.headers["X-Amzn-Trace-Id"] = TRACE
    client.meta.events.register("before-send.sqs.SendMessage", add_trace_header)
    client.meta.events.register("before-send.sqs.SendMessageBatch", add_trace_header)
    r = client.send_message(QueueUrl=queue, MessageBody="traced by header")
    assert "MD5OfMessageSystemAttributes" not in r
    client.send_message(QueueUrl=queue, MessageBody="own", MessageSystemAttributes={
        "AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-00000000-000000000000000000000001"}})
    client.send_message_batch(QueueUrl=queue, Entries=[{"Id": "b", "MessageBody": "batched"}])
    got = {m["Body"]: m["Attributes"].get("AWSTraceHeader")
           for m in receive_all(client, queue, 3, AttributeNames=["All"])}
    assert got == {"traced by header": TRACE, "batched": TRACE,
                   "own": "Root=1-00000000-000000000000000000000001"}


def test_message_system_attribute_names_parameter(sqs, queue):
    if "MessageSystemAttributeNames" not in sqs.meta.service_model.operation_model("ReceiveMessage").input_shape.members:
        pytest.skip("this botocore model predates MessageSystemAttributeNames")
    sqs.send_message(QueueUrl=queue, MessageBody="x")
    m = receive_one(sqs, queue, MessageSystemAttributeNames=["SentTimestamp", "ApproximateReceiveCount"])
    assert set(m["Attributes"]) == {"SentTimestamp", "ApproximateReceiveCount"}


def test_message_group_id_on_standard_queue(sqs, error, queue):
    sqs.send_message(QueueUrl=queue, MessageBody="tenant", MessageGroupId="tenant-1")
    m = receive_one(sqs, queue, AttributeNames=["All"])
    assert m["Attributes"]["MessageGroupId"] == "tenant-1"
    error(sqs.send_message, "InvalidParameterValue", 400, QueueUrl=queue, MessageBody="x",
          MessageGroupId="g" * 129)
    error(sqs.send_message, "InvalidParameterValue", 400, QueueUrl=queue, MessageBody="x",
          MessageDeduplicationId="d1")


def test_only_trace_header_system_attribute(sqs, error, queue):
    error(sqs.send_message, "InvalidParameterValue", 400, QueueUrl=queue, MessageBody="x",
          MessageSystemAttributes={"Other": {"DataType": "String", "StringValue": "v"}})


def test_delay_seconds(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody="later", DelaySeconds=1)
    assert sqs.receive_message(QueueUrl=queue).get("Messages", []) == []
    visible, inflight, delayed = approx(sqs, queue)
    assert (visible, inflight, delayed) == (0, 0, 1)
    start = time.monotonic()
    m = receive_one(sqs, queue, WaitTimeSeconds=5)  # long poll wakes when the delay ends
    assert m["Body"] == "later"
    assert time.monotonic() - start < 4.5


def test_delay_seconds_range(sqs, error, queue):
    error(sqs.send_message, "InvalidParameterValue", 400, QueueUrl=queue, MessageBody="x", DelaySeconds=901)


def test_queue_delay_applies(sqs, make_queue):
    url = make_queue(attributes={"DelaySeconds": "900"})
    sqs.send_message(QueueUrl=url, MessageBody="x")
    assert approx(sqs, url) == (0, 0, 1)
    sqs.send_message(QueueUrl=url, MessageBody="now", DelaySeconds=0)  # per-message value overrides
    assert receive_one(sqs, url)["Body"] == "now"


def test_size_limit_exact(sqs, error, queue):
    body = "a" * 1048576
    r = sqs.send_message(QueueUrl=queue, MessageBody=body)
    assert r["MD5OfMessageBody"] == md5_of_body(body)
    m = receive_one(sqs, queue)
    assert len(m["Body"]) == 1048576 and m["MD5OfBody"] == md5_of_body(body)
    error(sqs.send_message, "InvalidParameterValue", 400,
          "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes.",
          QueueUrl=queue, MessageBody=body + "a")


def test_size_limit_multibyte(sqs, error, queue):
    # 1 MiB of UTF-8 as 2-byte characters: ~3 MiB on the wire in both protocols (%C3%A9 / \u00e9), but the
    # message itself is exactly at the limit, so AWS accepts it.
    body = "\u00e9" * (1048576 // 2)
    r = sqs.send_message(QueueUrl=queue, MessageBody=body)
    assert r["MD5OfMessageBody"] == md5_of_body(body)
    m = receive_one(sqs, queue)
    assert m["Body"] == body
    error(sqs.send_message, "InvalidParameterValue", 400,
          "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes.",
          QueueUrl=queue, MessageBody=body + "a")


def test_size_counts_attributes(sqs, error, queue):
    attrs = {"k": {"DataType": "String", "StringValue": "v"}}  # 1 + 6 + 1 = 8 bytes
    body = "a" * (1048576 - 8)
    sqs.send_message(QueueUrl=queue, MessageBody=body, MessageAttributes=attrs)
    error(sqs.send_message, "InvalidParameterValue", 400, QueueUrl=queue, MessageBody=body + "a",
          MessageAttributes=attrs)


def test_size_uses_queue_maximum(sqs, error, make_queue):
    url = make_queue(attributes={"MaximumMessageSize": "1024"})
    sqs.send_message(QueueUrl=url, MessageBody="b" * 1024)
    error(sqs.send_message, "InvalidParameterValue", 400,
          "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.",
          QueueUrl=url, MessageBody="b" * 1025)


@pytest.mark.parametrize("body", ["bad \x00 nul", "bad \x08 backspace", "bad \ufffe", "bad \x1f"])
def test_invalid_characters(sqs, error, queue, body):
    error(sqs.send_message, "InvalidMessageContents", 400, QueueUrl=queue, MessageBody=body)


def test_empty_body(sqs, error, queue):
    error(sqs.send_message, "MissingParameter", 400, "The request must contain the parameter MessageBody.",
          QueueUrl=queue, MessageBody="")


@pytest.mark.parametrize("attrs", [
    {"e": {"DataType": "String", "StringValue": ""}},
    {"AWS.x": {"DataType": "String", "StringValue": "v"}},
    {"amazon.x": {"DataType": "String", "StringValue": "v"}},
    {"bad name": {"DataType": "String", "StringValue": "v"}},
    {".lead": {"DataType": "String", "StringValue": "v"}},
    {"a..b": {"DataType": "String", "StringValue": "v"}},
    {"Invalid-\u00a7-attr": {"DataType": "String", "StringValue": "v"}},
    {"s": {"DataType": "String", "StringValue": "Invalid-\x08,\x0b"}},  # AWS: not InvalidMessageContents
    {"t": {"DataType": "Integer", "StringValue": "1"}},
    {"n": {"DataType": "Number", "StringValue": "abc"}},
    {"s": {"DataType": "String", "BinaryValue": b"x"}},
    {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)},
])
def test_invalid_message_attributes(sqs, error, queue, attrs):
    error(sqs.send_message, "InvalidParameterValue", 400, QueueUrl=queue, MessageBody="x", MessageAttributes=attrs)


def test_non_ascii_letters_in_attribute_names(sqs, queue):
    # AWS accepts letters beyond ASCII in names (localstack's AWS-validated
    # test_send_message_with_invalid_string_attributes sends "attr.1\u00f8\u00df\u00e4").
    attrs = {"attr.1\u00f8\u00df\u00e4": {"DataType": "String", "StringValue": "Valida"},
             "\u0438\u043c\u044f": {"DataType": "String", "StringValue": "cyrillic"}}
    r = sqs.send_message(QueueUrl=queue, MessageBody="x", MessageAttributes=attrs)
    assert r["MD5OfMessageAttributes"] == md5_of_attributes(attrs)
    m = receive_one(sqs, queue, MessageAttributeNames=["All"])
    assert m["MessageAttributes"] == attrs


def test_empty_string_attribute_text(sqs, error, queue):
    error(sqs.send_message, "InvalidParameterValue", 400,
          "Message (user) attribute 'e' must contain a non-empty value of type 'String'.",
          QueueUrl=queue, MessageBody="x", MessageAttributes={"e": {"DataType": "String", "StringValue": ""}})


def test_ten_attributes_ok(sqs, queue):
    attrs = {f"a{i}": {"DataType": "String", "StringValue": str(i)} for i in range(10)}
    r = sqs.send_message(QueueUrl=queue, MessageBody="x", MessageAttributes=attrs)
    assert r["MD5OfMessageAttributes"] == md5_of_attributes(attrs)


# ---------------------------------------------------------------- SendMessageBatch

def test_send_batch_ten(sqs, queue):
    entries = [{"Id": f"m{i}", "MessageBody": f"body {i}",
                "MessageAttributes": {"i": {"DataType": "Number", "StringValue": str(i)}}} for i in range(10)]
    entries[3]["MessageSystemAttributes"] = {"AWSTraceHeader": {"DataType": "String", "StringValue": TRACE}}
    r = sqs.send_message_batch(QueueUrl=queue, Entries=entries)
    assert r.get("Failed", []) == []
    ok = {e["Id"]: e for e in r["Successful"]}
    assert set(ok) == {f"m{i}" for i in range(10)}
    for e in entries:
        s = ok[e["Id"]]
        assert s["MD5OfMessageBody"] == md5_of_body(e["MessageBody"])
        assert s["MD5OfMessageAttributes"] == md5_of_attributes(e["MessageAttributes"])
    assert ok["m3"]["MD5OfMessageSystemAttributes"] == "5ae4d5d7636402d80f4eb6d213245a88"
    assert "MD5OfMessageSystemAttributes" not in ok["m0"]
    assert len({s["MessageId"] for s in ok.values()}) == 10
    got = receive_all(sqs, queue, 10)
    assert sorted(m["Body"] for m in got) == sorted(e["MessageBody"] for e in entries)


def test_send_batch_request_level_errors(sqs, error, queue):
    eleven = [{"Id": f"m{i}", "MessageBody": "x"} for i in range(11)]
    error(sqs.send_message_batch, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400,
          "Maximum number of entries per request are 10. You have sent 11.", QueueUrl=queue, Entries=eleven)
    error(sqs.send_message_batch, "AWS.SimpleQueueService.EmptyBatchRequest", 400, QueueUrl=queue, Entries=[])
    error(sqs.send_message_batch, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400, QueueUrl=queue,
          Entries=[{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}])
    bad_id_text = ("A batch entry id can only contain alphanumeric characters, hyphens and underscores. "
                   "It can be at most 80 letters long.")
    for bad in ["has space", "dot.id", "x" * 81]:
        error(sqs.send_message_batch, "AWS.SimpleQueueService.InvalidBatchEntryId", 400, bad_id_text,
              QueueUrl=queue, Entries=[{"Id": bad, "MessageBody": "x"}])
    sqs.send_message_batch(QueueUrl=queue, Entries=[{"Id": "A-z_09" + "x" * 74, "MessageBody": "x"}])
    # total size: 2 x 524289 = 1048578 bytes > 1 MiB
    big = [{"Id": f"b{i}", "MessageBody": "z" * 524289} for i in range(2)]
    error(sqs.send_message_batch, "AWS.SimpleQueueService.BatchRequestTooLong", 400,
          "Batch requests cannot be longer than 1048576 bytes. You have sent 1048578 bytes.",
          QueueUrl=queue, Entries=big)
    assert approx(sqs, queue)[0] == 1  # nothing of the failed requests was enqueued


def test_send_batch_total_exactly_limit(sqs, queue):
    entries = [{"Id": f"b{i}", "MessageBody": "z" * 262144} for i in range(4)]
    r = sqs.send_message_batch(QueueUrl=queue, Entries=entries)
    assert len(r["Successful"]) == 4 and r.get("Failed", []) == []


def test_send_batch_partial_failure(sqs, make_queue):
    url = make_queue(attributes={"MaximumMessageSize": "1024"})
    r = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "ok1", "MessageBody": "fine"},
        {"Id": "big", "MessageBody": "x" * 1025},
        {"Id": "ctl", "MessageBody": "bad \x00"},
        {"Id": "ok2", "MessageBody": "also fine"},
        {"Id": "delay", "MessageBody": "x", "DelaySeconds": 901},
    ])
    assert sorted(s["Id"] for s in r["Successful"]) == ["ok1", "ok2"]
    failed = {f["Id"]: f for f in r["Failed"]}
    assert set(failed) == {"big", "ctl", "delay"}
    for f in failed.values():
        assert f["SenderFault"] is True and f["Code"] and f["Message"]
    assert failed["big"]["Code"] == "InvalidParameterValue"
    assert failed["big"]["Message"] == \
        "One or more parameters cannot be validated. Reason: Message must be shorter than 1024 bytes."
    assert failed["ctl"]["Code"] == "InvalidMessageContents"
    assert failed["delay"]["Code"] == "InvalidParameterValue"
    assert sorted(m["Body"] for m in receive_all(sqs, url, 2)) == ["also fine", "fine"]


# ---------------------------------------------------------------- ReceiveMessage

def test_receive_parameter_ranges(sqs, error, queue):
    error(sqs.receive_message, "InvalidParameterValue", 400,
          "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.",
          QueueUrl=queue, MaxNumberOfMessages=11)
    error(sqs.receive_message, "InvalidParameterValue", 400,
          "Value 0 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.",
          QueueUrl=queue, MaxNumberOfMessages=0)
    error(sqs.receive_message, "InvalidParameterValue", 400,
          "Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.",
          QueueUrl=queue, WaitTimeSeconds=21)
    error(sqs.receive_message, "InvalidParameterValue", 400, QueueUrl=queue, WaitTimeSeconds=-1)
    error(sqs.receive_message, "InvalidParameterValue", 400, QueueUrl=queue, VisibilityTimeout=43201)


def test_receive_max_number(sqs, queue):
    sqs.send_message_batch(QueueUrl=queue, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(10)])
    assert len(sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]) == 1  # default 1
    got = receive_all(sqs, queue, 9)
    assert len(got) == 9
    assert sqs.receive_message(QueueUrl=queue).get("Messages", []) == []


def test_receive_empty_short_poll(sqs, queue):
    start = time.monotonic()
    assert sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []) == []
    assert time.monotonic() - start < 2


def test_message_attribute_selection(sqs, queue):
    attrs = {"General": {"DataType": "String", "StringValue": "Kenobi"},
             "Hello": {"DataType": "String", "StringValue": "There"},
             "Help.Me": {"DataType": "String", "StringValue": "Me"}}
    r = sqs.send_message(QueueUrl=queue, MessageBody="subset", MessageAttributes=attrs)
    assert r["MD5OfMessageAttributes"] == "4c360f3fdafd970e05fae2f149d997f5"  # recorded from AWS

    def recv(names):
        m = receive_one(sqs, queue, MessageAttributeNames=names, VisibilityTimeout=0)
        return m.get("MessageAttributes", {}), m.get("MD5OfMessageAttributes")

    got, md5 = recv(["General", "Hello"])
    assert set(got) == {"General", "Hello"} and md5 == "fca026605781cb4126a1e9044df24232"
    got, md5 = recv(["All"])
    assert got == attrs and md5 == "4c360f3fdafd970e05fae2f149d997f5"
    got, md5 = recv([".*"])
    assert got == attrs
    got, md5 = recv(["Help.*"])
    assert set(got) == {"Help.Me"} and md5 == md5_of_attributes({"Help.Me": attrs["Help.Me"]})
    got, md5 = recv(["Hello", "Missing"])
    assert set(got) == {"Hello"} and md5 == md5_of_attributes({"Hello": attrs["Hello"]})
    got, md5 = recv(["Missing"])
    assert got == {} and md5 is None
    got, md5 = recv([])
    assert got == {} and md5 is None
    got, md5 = recv(["general"])  # case-sensitive
    assert got == {} and md5 is None


def test_system_attributes(sqs, queue):
    before = int(time.time() * 1000)
    sqs.send_message(QueueUrl=queue, MessageBody="sys")
    after_send = int(time.time() * 1000)
    m1 = receive_one(sqs, queue, AttributeNames=["All"], VisibilityTimeout=0)
    a = m1["Attributes"]
    assert {"SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp"} <= set(a)
    assert a["SenderId"]
    assert before - 2000 <= int(a["SentTimestamp"]) <= after_send + 2000
    assert a["ApproximateReceiveCount"] == "1"
    first = int(a["ApproximateFirstReceiveTimestamp"])
    assert int(a["SentTimestamp"]) - 2000 <= first <= int(time.time() * 1000) + 2000

    m2 = receive_one(sqs, queue, AttributeNames=["ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp"],
                     VisibilityTimeout=0)
    assert set(m2["Attributes"]) == {"ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp"}
    assert m2["Attributes"]["ApproximateReceiveCount"] == "2"
    assert int(m2["Attributes"]["ApproximateFirstReceiveTimestamp"]) == first
    assert m2["ReceiptHandle"] != m1["ReceiptHandle"]
    assert m2["MessageId"] == m1["MessageId"]

    m3 = receive_one(sqs, queue)
    assert "Attributes" not in m3 or m3["Attributes"] == {}
    assert m3["ReceiptHandle"] not in (m1["ReceiptHandle"], m2["ReceiptHandle"])
    assert len(m3["ReceiptHandle"]) <= 1024


def test_receive_visibility_timeout(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody="vt")
    receive_one(sqs, queue, VisibilityTimeout=30)
    assert sqs.receive_message(QueueUrl=queue).get("Messages", []) == []
    assert approx(sqs, queue) == (0, 1, 0)


# ---------------------------------------------------------------- DeleteMessage(+Batch)

def test_message_back_from_flight_keeps_its_place(sqs, queue):
    # AWS serves a standard queue best-effort by send time (localstack's AWS-validated
    # test_inflight_message_requeue): a message back from flight comes before one sent later.
    sqs.send_message(QueueUrl=queue, MessageBody="A")
    assert receive_one(sqs, queue, VisibilityTimeout=1)["Body"] == "A"
    sqs.send_message(QueueUrl=queue, MessageBody="B")
    time.sleep(1.2)  # the visibility timeout ends by itself
    assert receive_one(sqs, queue, WaitTimeSeconds=0)["Body"] == "A"


def test_delete_message(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody="del")
    m = receive_one(sqs, queue)
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
    assert approx(sqs, queue) == (0, 0, 0)
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])  # already deleted: still succeeds


def test_delete_with_older_handle(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody="old")
    m1 = receive_one(sqs, queue, VisibilityTimeout=0)
    m2 = receive_one(sqs, queue)
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=m1["ReceiptHandle"])  # succeeds on standard queues
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=m2["ReceiptHandle"])
    assert approx(sqs, queue) == (0, 0, 0)


def test_delete_bad_handle(sqs, error, queue):
    error(sqs.delete_message, "ReceiptHandleIsInvalid", 404,
          'The input receipt handle "garbage" is not a valid receipt handle.',
          QueueUrl=queue, ReceiptHandle="garbage")


def test_delete_message_batch(sqs, error, queue):
    sqs.send_message_batch(QueueUrl=queue, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(3)])
    msgs = receive_all(sqs, queue, 3)
    assert len(msgs) == 3
    entries = [{"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)]
    entries.append({"Id": "bad", "ReceiptHandle": "garbage"})
    r = sqs.delete_message_batch(QueueUrl=queue, Entries=entries)
    assert sorted(s["Id"] for s in r["Successful"]) == ["d0", "d1", "d2"]
    [f] = r["Failed"]
    assert f["Id"] == "bad" and f["Code"] == "ReceiptHandleIsInvalid" and f["SenderFault"] is True
    assert approx(sqs, queue) == (0, 0, 0)
    error(sqs.delete_message_batch, "AWS.SimpleQueueService.EmptyBatchRequest", 400, QueueUrl=queue, Entries=[])
    error(sqs.delete_message_batch, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400, QueueUrl=queue,
          Entries=[{"Id": str(i), "ReceiptHandle": "x"} for i in range(11)])
    error(sqs.delete_message_batch, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400, QueueUrl=queue,
          Entries=[{"Id": "a", "ReceiptHandle": "x"}, {"Id": "a", "ReceiptHandle": "y"}])
    error(sqs.delete_message_batch, "AWS.SimpleQueueService.InvalidBatchEntryId", 400, QueueUrl=queue,
          Entries=[{"Id": "a b", "ReceiptHandle": "x"}])


# ---------------------------------------------------------------- ChangeMessageVisibility(+Batch)

def test_change_visibility(sqs, error, queue):
    sqs.send_message(QueueUrl=queue, MessageBody="cmv")
    m = receive_one(sqs, queue, VisibilityTimeout=30)
    assert sqs.receive_message(QueueUrl=queue).get("Messages", []) == []
    sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
    m2 = receive_one(sqs, queue, VisibilityTimeout=30, WaitTimeSeconds=0)
    assert m2["MessageId"] == m["MessageId"]
    sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=m2["ReceiptHandle"], VisibilityTimeout=120)
    assert approx(sqs, queue) == (0, 1, 0)
    error(sqs.change_message_visibility, "InvalidParameterValue", 400, QueueUrl=queue,
          ReceiptHandle=m2["ReceiptHandle"], VisibilityTimeout=43201)
    error(sqs.change_message_visibility, "ReceiptHandleIsInvalid", 404, QueueUrl=queue,
          ReceiptHandle="garbage", VisibilityTimeout=0)


def test_change_visibility_with_older_handles(sqs, error, queue, make_queue):
    # AWS (localstack's AWS-validated test_terminate_visibility_timeout_after_receive and PR 9632):
    # the first handle of a message received again still changes its visibility; after the timeout
    # ended and nobody received it, the last handle answers OK (and the message stays visible).
    sqs.send_message(QueueUrl=queue, MessageBody="old handles")
    first = receive_one(sqs, queue, VisibilityTimeout=0)
    receive_one(sqs, queue, VisibilityTimeout=3, WaitTimeSeconds=0)
    sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=0)
    last = receive_one(sqs, queue, VisibilityTimeout=1, WaitTimeSeconds=0)
    time.sleep(1.2)  # the visibility timeout must end by itself
    sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=last["ReceiptHandle"], VisibilityTimeout=30)
    assert approx(sqs, queue) == (1, 0, 0)
    gone = receive_one(sqs, queue, VisibilityTimeout=30, WaitTimeSeconds=0)
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=gone["ReceiptHandle"])
    error(sqs.change_message_visibility, "InvalidParameterValue", 400,
          f"Value {first['ReceiptHandle']} for parameter ReceiptHandle is invalid. Reason: Message does not exist "
          "or is not available for visibility timeout change.",
          QueueUrl=queue, ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=0)
    # FIFO, as its DeleteMessage: only the receive that holds the message.
    fifo = make_queue(fifo=True, attributes={"ContentBasedDeduplication": "true"})
    sqs.send_message(QueueUrl=fifo, MessageBody="f", MessageGroupId="g")
    h1 = receive_one(sqs, fifo, VisibilityTimeout=0)["ReceiptHandle"]
    receive_one(sqs, fifo, VisibilityTimeout=30, WaitTimeSeconds=0)
    error(sqs.change_message_visibility, "InvalidParameterValue", 400,
          f"Value {h1} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.",
          QueueUrl=fifo, ReceiptHandle=h1, VisibilityTimeout=0)


def test_change_visibility_batch(sqs, error, queue):
    sqs.send_message_batch(QueueUrl=queue, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(3)])
    msgs = receive_all(sqs, queue, 3, VisibilityTimeout=60)
    assert len(msgs) == 3
    entries = [{"Id": f"c{i}", "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
               for i, m in enumerate(msgs)]
    entries.append({"Id": "bad", "ReceiptHandle": "garbage", "VisibilityTimeout": 0})
    r = sqs.change_message_visibility_batch(QueueUrl=queue, Entries=entries)
    assert sorted(s["Id"] for s in r["Successful"]) == ["c0", "c1", "c2"]
    [f] = r["Failed"]
    assert f["Id"] == "bad" and f["Code"] == "ReceiptHandleIsInvalid" and f["SenderFault"] is True
    again = receive_all(sqs, queue, 3)
    assert sorted(m["MessageId"] for m in again) == sorted(m["MessageId"] for m in msgs)
    error(sqs.change_message_visibility_batch, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400,
          QueueUrl=queue, Entries=[{"Id": str(i), "ReceiptHandle": "x", "VisibilityTimeout": 1} for i in range(11)])
    error(sqs.change_message_visibility_batch, "AWS.SimpleQueueService.EmptyBatchRequest", 400,
          QueueUrl=queue, Entries=[])


# ---------------------------------------------------------------- PurgeQueue

def test_purge_queue(sqs, error, queue):
    sqs.send_message_batch(QueueUrl=queue, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(5)])
    receive_one(sqs, queue)  # one in flight: purge removes it too
    sqs.send_message(QueueUrl=queue, MessageBody="delayed", DelaySeconds=600)
    sqs.purge_queue(QueueUrl=queue)
    assert approx(sqs, queue) == (0, 0, 0)
    assert sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []) == []
    name = queue.rsplit("/", 1)[1]
    error(sqs.purge_queue, "AWS.SimpleQueueService.PurgeQueueInProgress", 403,
          f"Only one PurgeQueue operation on {name} is allowed every 60 seconds.", QueueUrl=queue)
