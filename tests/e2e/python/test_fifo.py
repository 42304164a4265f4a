"""FIFO queues (sqs-semantics.md §4): group ordering and locking, deduplication, FIFO-only validation."""
import hashlib
import re
import time

from conftest import unique_name
from sqs_md5 import md5_of_body


def test_fifo_validation(sqs, error, make_queue, queue):
    url = make_queue(fifo=True)
    error(sqs.send_message, "MissingParameter", 400, "The request must contain the parameter MessageGroupId.",
          QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")
    error(sqs.send_message, "InvalidParameterValue", 400,
          "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided "
          "explicitly", QueueUrl=url, MessageBody="x", MessageGroupId="g")
    error(sqs.send_message, "InvalidParameterValue", 400,
          "Value 2 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not "
          "valid for this queue type.", QueueUrl=url, MessageBody="x", MessageGroupId="g",
          MessageDeduplicationId="d", DelaySeconds=2)
    error(sqs.set_queue_attributes, "InvalidAttributeValue", 400,
          "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.",
          QueueUrl=url, Attributes={"FifoQueue": "false"})
    error(sqs.set_queue_attributes, "InvalidAttributeName", 400,
          "You can specify the DeduplicationScope only when FifoQueue is set to true.",
          QueueUrl=queue, Attributes={"DeduplicationScope": "messageGroup"})
    error(sqs.create_queue, "InvalidParameterValue", 400, QueueName=unique_name("std") + ".fifo")


def test_fifo_order_dedup_and_sequence(sqs, make_queue):
    url = make_queue(fifo=True)
    ids, seqs = [], []
    for i in range(5):
        r = sqs.send_message(QueueUrl=url, MessageBody=f"m{i}", MessageGroupId="g", MessageDeduplicationId=f"d{i}")
        assert r["MD5OfMessageBody"] == md5_of_body(f"m{i}")
        assert re.fullmatch(r"\d+", r["SequenceNumber"])
        ids.append(r["MessageId"])
        seqs.append(int(r["SequenceNumber"]))
    assert seqs == sorted(seqs) and len(set(seqs)) == 5
    dup = sqs.send_message(QueueUrl=url, MessageBody="m0 again", MessageGroupId="g", MessageDeduplicationId="d0")
    assert dup["MessageId"] == ids[0]  # duplicate within the window: original id, not enqueued again
    got = []
    while len(got) < 5:
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                   AttributeNames=["All"]).get("Messages", [])
        assert msgs, got
        for m in msgs:
            got.append(m)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert [m["Body"] for m in got] == [f"m{i}" for i in range(5)]
    assert [m["MessageId"] for m in got] == ids
    a = got[0]["Attributes"]
    assert a["MessageGroupId"] == "g" and a["MessageDeduplicationId"] == "d0"
    assert int(a["SequenceNumber"]) == seqs[0]
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []) == []


def test_fifo_group_locked_while_in_flight(sqs, make_queue):
    url = make_queue(fifo=True, attributes={"ContentBasedDeduplication": "true"})
    for body, group in [("a1", "A"), ("a2", "A"), ("b1", "B")]:
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group)
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
    assert [m["Body"] for m in first] == ["a1"]
    nxt = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    assert [m["Body"] for m in nxt] == ["b1"]  # a2 stays hidden while a1 is in flight
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"])
    after = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    assert [m["Body"] for m in after] == ["a2"]


def test_fifo_content_based_dedup(sqs, make_queue):
    url = make_queue(fifo=True, attributes={"ContentBasedDeduplication": "true"})
    r1 = sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    r2 = sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    assert r1["MessageId"] == r2["MessageId"]
    r3 = sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g", MessageDeduplicationId="explicit")
    assert r3["MessageId"] != r1["MessageId"]
    m = sqs.receive_message(QueueUrl=url, AttributeNames=["All"])["Messages"][0]
    assert m["Attributes"]["MessageDeduplicationId"] == hashlib.sha256(b"same").hexdigest()


def test_fifo_batch_in_order_and_entry_errors(sqs, make_queue):
    url = make_queue(fifo=True)
    r = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": f"e{i}", "MessageBody": f"b{i}", "MessageGroupId": "g", "MessageDeduplicationId": f"d{i}"}
        for i in range(5)] + [{"Id": "bad", "MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "dx",
                               "MessageAttributes": {"a": {"DataType": "Nope", "StringValue": "v"}}}])
    assert sorted(s["Id"] for s in r["Successful"]) == [f"e{i}" for i in range(5)]
    seq = {s["Id"]: int(s["SequenceNumber"]) for s in r["Successful"]}
    assert [seq[f"e{i}"] for i in range(5)] == sorted(seq.values())
    [f] = r["Failed"]
    assert f["Id"] == "bad" and f["Code"] == "InvalidParameterValue" and f["SenderFault"] is True
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in msgs] == [f"b{i}" for i in range(5)]


def test_fifo_batch_without_group_or_dedup_id_fails_whole(sqs, error, make_queue):
    # AWS fails the whole request, not the entry (recorded: InvalidParameterValue for both).
    url = make_queue(fifo=True)
    good = {"Id": "good", "MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "d1"}
    error(sqs.send_message_batch, "InvalidParameterValue", 400, "The request must contain the parameter MessageGroupId.",
          QueueUrl=url, Entries=[good, {"Id": "nogroup", "MessageBody": "y", "MessageDeduplicationId": "d2"}])
    error(sqs.send_message_batch, "InvalidParameterValue", 400,
          "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided "
          "explicitly", QueueUrl=url, Entries=[good, {"Id": "nodedup", "MessageBody": "y", "MessageGroupId": "g"}])
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []) == []
    cbd = make_queue(fifo=True, attributes={"ContentBasedDeduplication": "true"})
    r = sqs.send_message_batch(QueueUrl=cbd, Entries=[{"Id": "nodedup", "MessageBody": "y", "MessageGroupId": "g"}])
    assert [s["Id"] for s in r["Successful"]] == ["nodedup"]


def test_fifo_receive_request_attempt_id(sqs, make_queue):
    url = make_queue(fifo=True, attributes={"ContentBasedDeduplication": "true"})
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"r{i}", MessageGroupId="g")
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, ReceiveRequestAttemptId="attempt-1")
    retry = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, ReceiveRequestAttemptId="attempt-1")
    assert [m["MessageId"] for m in retry["Messages"]] == [m["MessageId"] for m in first["Messages"]]
    assert [m["ReceiptHandle"] for m in retry["Messages"]] == [m["ReceiptHandle"] for m in first["Messages"]]


def test_fifo_delete_with_expired_handle(sqs, error, make_queue):
    url = make_queue(fifo=True, attributes={"ContentBasedDeduplication": "true"})
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
    m = sqs.receive_message(QueueUrl=url)["Messages"][0]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
    error(sqs.delete_message, "InvalidParameterValue", 400,
          f"Value {m['ReceiptHandle']} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.",
          QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def test_fifo_attributes_dlq_and_types(sqs, error, make_queue, queue):
    url = make_queue(fifo=True, attributes={"DeduplicationScope": "messageGroup",
                                            "FifoThroughputLimit": "perMessageGroupId",
                                            "ContentBasedDeduplication": "true"})
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (a["FifoQueue"], a["DeduplicationScope"], a["FifoThroughputLimit"], a["ContentBasedDeduplication"]) == \
        ("true", "messageGroup", "perMessageGroupId", "true")
    std_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    error(sqs.set_queue_attributes, "InvalidParameterValue", 400, QueueUrl=url, Attributes={
        "RedrivePolicy": f'{{"deadLetterTargetArn":"{std_arn}","maxReceiveCount":1}}'})
    # Same-group dedup scope: the same id in another group is a new message.
    r1 = sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g1", MessageDeduplicationId="d")
    r2 = sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g2", MessageDeduplicationId="d")
    assert r1["MessageId"] != r2["MessageId"]


def test_fifo_dlq_keeps_group(sqs, make_queue):
    dlq = make_queue("dlq", fifo=True)
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    src = make_queue(fifo=True, attributes={
        "ContentBasedDeduplication": "true",
        "RedrivePolicy": f'{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":1}}'})
    sent = sqs.send_message(QueueUrl=src, MessageBody="poison", MessageGroupId="g")
    sqs.receive_message(QueueUrl=src, VisibilityTimeout=0)
    assert sqs.receive_message(QueueUrl=src).get("Messages", []) == []  # moved during this receive
    [m] = sqs.receive_message(QueueUrl=dlq, AttributeNames=["All"], WaitTimeSeconds=1)["Messages"]
    assert m["MessageId"] == sent["MessageId"]
    assert m["Attributes"]["MessageGroupId"] == "g"
    assert m["Attributes"]["MessageDeduplicationId"] == sent["MessageId"]
    assert re.fullmatch(r"\d{20}", m["Attributes"]["SequenceNumber"])


def test_fifo_ten_consumers_hundred_groups(sqs, make_client, make_queue):
    """10 concurrent consumers, 100 groups, 10,000 messages: per group in order, each exactly once."""
    import threading
    from concurrent.futures import ThreadPoolExecutor
    url = make_queue(fifo=True)
    groups, per_group = 100, 100

    def produce(g):
        client = make_client()
        for start in range(0, per_group, 10):
            r = client.send_message_batch(QueueUrl=url, Entries=[
                {"Id": f"e{i}", "MessageBody": f"{g}:{i}", "MessageGroupId": f"g{g}",
                 "MessageDeduplicationId": f"{g}-{i}"} for i in range(start, start + 10)])
            assert not r.get("Failed"), r
    with ThreadPoolExecutor(10) as pool:
        list(pool.map(produce, range(groups)))
    # A duplicate of every group's first message, within the window: dropped.
    r = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": f"d{g}", "MessageBody": "dup", "MessageGroupId": f"g{g}", "MessageDeduplicationId": f"{g}-0"}
        for g in range(10)])
    assert len(r["Successful"]) == 10

    lock = threading.Lock()
    seen = {g: [] for g in range(groups)}
    total = [0]

    def consume(_):
        client = make_client()
        idle = 0
        while idle < 3:
            msgs = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                          VisibilityTimeout=60).get("Messages", [])
            if not msgs:
                idle += 1
                continue
            idle = 0
            with lock:
                for m in msgs:
                    g, i = m["Body"].split(":")
                    seen[int(g)].append(int(i))
                total[0] += len(msgs)
            d = client.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(k), "ReceiptHandle": m["ReceiptHandle"]} for k, m in enumerate(msgs)])
            assert not d.get("Failed"), d
    with ThreadPoolExecutor(10) as pool:
        list(pool.map(consume, range(10)))
    assert total[0] == groups * per_group
    for g in range(groups):
        assert seen[g] == list(range(per_group)), g


def test_fifo_queue_delay_is_retroactive(sqs, make_queue):
    # AWS: "For FIFO queues, the per-queue delay setting is retroactive—changing the setting affects
    # the delay of messages already in the queue." Messages received before are not affected.
    url = make_queue(fifo=True, attributes={"ContentBasedDeduplication": "true"})
    sqs.send_message(QueueUrl=url, MessageBody="r", MessageGroupId="R")
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    assert [m["Body"] for m in got] == ["r"]  # visible again at once, received once
    sqs.send_message(QueueUrl=url, MessageBody="a", MessageGroupId="A")
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "900"})
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessagesDelayed"] == "1"
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60).get("Messages", [])
    assert [m["Body"] for m in got] == ["r"]  # "a" is hidden again
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []) == []
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "0"})
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=5).get("Messages", [])
    assert [m["Body"] for m in got] == ["a"]


def test_purge_clears_dedup_window(sqs, make_queue):
    # AWS: after PurgeQueue a message with the same deduplication id is accepted and delivered
    # (localstack's AWS-validated test_purge_queue_clears_fifo_deduplication_cache).
    url = make_queue(fifo=True)
    first = sqs.send_message(QueueUrl=url, MessageBody="m1", MessageGroupId="g", MessageDeduplicationId="d")
    sqs.purge_queue(QueueUrl=url)
    second = sqs.send_message(QueueUrl=url, MessageBody="m2", MessageGroupId="g", MessageDeduplicationId="d")
    assert second["MessageId"] != first["MessageId"]
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in msgs] == ["m2"]


def test_fifo_only_attributes_on_standard_queue(sqs, error, make_queue, queue):
    # AWS: a standard queue knows no FIFO attribute, not even FifoQueue=false (InvalidAttributeName);
    # a FIFO queue accepts FifoQueue=true again but not false.
    for attrs, message in [({"FifoQueue": "false"}, "Unknown Attribute FifoQueue."),
                           ({"ContentBasedDeduplication": "false"}, "Unknown Attribute ContentBasedDeduplication."),
                           ({"DeduplicationScope": "queue"},
                            "You can specify the DeduplicationScope only when FifoQueue is set to true."),
                           ({"FifoThroughputLimit": "perQueue"},
                            "You can specify the FifoThroughputLimit only when FifoQueue is set to true.")]:
        error(sqs.create_queue, "InvalidAttributeName", 400, message, QueueName=unique_name("std"), Attributes=attrs)
    for value in ("true", "false"):
        error(sqs.set_queue_attributes, "InvalidAttributeName", 400, "Unknown Attribute FifoQueue.",
              QueueUrl=queue, Attributes={"FifoQueue": value})
    url = make_queue(fifo=True)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"FifoQueue": "true"})
    error(sqs.set_queue_attributes, "InvalidAttributeValue", 400,
          "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.",
          QueueUrl=url, Attributes={"FifoQueue": "false"})
    # An empty MessageGroupId is refused on a standard queue (a FIFO queue calls it missing).
    error(sqs.send_message, "InvalidParameterValue", 400, QueueUrl=queue, MessageBody="x", MessageGroupId="")
    error(sqs.send_message, "MissingParameter", 400, QueueUrl=url, MessageBody="x", MessageGroupId="",
          MessageDeduplicationId="d")


def _bodies(sqs, url, **kwargs):
    return [m["Body"] for m in sqs.receive_message(QueueUrl=url, **kwargs).get("Messages", [])]


def test_group_back_from_flight_goes_to_the_back(sqs, make_queue):
    # The example, recorded on AWS (localstack's AWS-validated
    # test_fifo_receive_message_visibility_timeout_shared_in_group): the groups that waited come first.
    url = make_queue(fifo=True, attributes={"ContentBasedDeduplication": "true", "VisibilityTimeout": "1"})
    for body in ["g1-m1", "g1-m2", "g1-m3", "g1-m4", "g2-m1", "g3-m1"]:
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=body[:2])
    assert _bodies(sqs, url, MaxNumberOfMessages=2) == ["g1-m1", "g1-m2"]
    assert _bodies(sqs, url, MaxNumberOfMessages=1) == ["g2-m1"]
    time.sleep(1.5)  # both visibility timeouts end by themselves
    assert _bodies(sqs, url, MaxNumberOfMessages=10, VisibilityTimeout=0) == \
        ["g3-m1", "g1-m1", "g1-m2", "g1-m3", "g1-m4", "g2-m1"]


def test_group_received_with_zero_visibility_goes_to_the_back(sqs, make_queue):
    # localstack's AWS-validated test_fifo_receive_message_with_zero_visibility_timeout.
    url = make_queue(fifo=True, attributes={"ContentBasedDeduplication": "true"})
    for body in ["g1-m1", "g2-m1", "g2-m2", "g3-m1", "g1-m2"]:
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=body[:2])
    assert _bodies(sqs, url, MaxNumberOfMessages=3, VisibilityTimeout=0) == ["g1-m1", "g1-m2", "g2-m1"]
    assert _bodies(sqs, url, MaxNumberOfMessages=10, VisibilityTimeout=0) == \
        ["g3-m1", "g1-m1", "g1-m2", "g2-m1", "g2-m2"]


def test_group_head_made_visible_is_served_after_waiting_groups(sqs, make_queue):
    # localstack's AWS-validated test_fifo_message_group_visibility_after_terminate_visibility_timeout:
    # the head is served again although a later message of its group is still in flight.
    url = make_queue(fifo=True, attributes={"ContentBasedDeduplication": "true", "VisibilityTimeout": "30"})
    for body in ["g1-m1", "g1-m2", "g2-m1"]:
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=body[:2])
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)["Messages"]
    assert [m["Body"] for m in got] == ["g1-m1", "g1-m2"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"], VisibilityTimeout=0)
    assert _bodies(sqs, url, MaxNumberOfMessages=3) == ["g2-m1", "g1-m1"]
