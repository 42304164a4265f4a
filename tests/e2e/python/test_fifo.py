"""FIFO queues (sqs-semantics.md §4): group ordering and locking, deduplication, FIFO-only validation."""
import hashlib
import re

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
        for i in range(5)] + [{"Id": "nogroup", "MessageBody": "x", "MessageDeduplicationId": "dx"}])
    assert sorted(s["Id"] for s in r["Successful"]) == [f"e{i}" for i in range(5)]
    seq = {s["Id"]: int(s["SequenceNumber"]) for s in r["Successful"]}
    assert [seq[f"e{i}"] for i in range(5)] == sorted(seq.values())
    [f] = r["Failed"]
    assert f["Id"] == "nogroup" and f["Code"] == "InvalidParameterValue" and f["SenderFault"] is True
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in msgs] == [f"b{i}" for i in range(5)]


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
