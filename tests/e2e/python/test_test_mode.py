"""The test-control API (docs/test-mode.md) with boto3 and the Python client in clients/python: a
server started with --test-mode moves its clock forward on request, and the queues follow it
(visibility timeouts, dead-letter queues, retention, delays); any other server refuses."""
import json
import sys
import urllib.error
import urllib.request

import pytest

from conftest import REPO, Sluice, PROTOCOL

sys.path.insert(0, str(REPO / "clients" / "python"))
from sluice_test_control import SluiceTestControl, TestControlError  # noqa: E402

pytestmark = pytest.mark.skipif(PROTOCOL != "query", reason="one pass is enough: no protocol-specific code")


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = Sluice(tmp_path_factory.mktemp("test-mode"), "", args=["--test-mode"])
    yield s
    s.stop()


@pytest.fixture(scope="module")
def control(srv):
    return SluiceTestControl(f"http://127.0.0.1:{srv.admin}")


@pytest.fixture(scope="module")
def sqs(srv, make_client):
    return make_client(srv.endpoint)


def new_queue(sqs, name, **attributes):
    return sqs.create_queue(QueueName=name, Attributes={k: str(v) for k, v in attributes.items()})["QueueUrl"]


def receive(sqs, url, max_messages=10, **kw):
    return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=max_messages, WaitTimeSeconds=0,
                               AttributeNames=["All"], **kw).get("Messages", [])


def test_visibility_timeout_of_300_seconds(sqs, control):
    url = new_queue(sqs, "tm-visibility", VisibilityTimeout=300)
    sqs.send_message(QueueUrl=url, MessageBody="job")
    assert [m["Body"] for m in receive(sqs, url)] == ["job"]
    control.advance(299)
    assert receive(sqs, url) == []
    control.advance(1)
    again = receive(sqs, url)
    assert [m["Body"] for m in again] == ["job"]
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"


def test_dead_letter_queue_after_three_failed_receives(sqs, control):
    dlq = new_queue(sqs, "tm-dlq")
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    src = new_queue(sqs, "tm-src", VisibilityTimeout=60,
                    RedrivePolicy=f'{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":3}}')
    sqs.send_message(QueueUrl=src, MessageBody="poison")
    for attempt in range(3):
        got = receive(sqs, src)
        assert [m["Body"] for m in got] == ["poison"], attempt
        control.advance(60)
    assert receive(sqs, src) == []  # the fourth receive moves it instead
    moved = receive(sqs, dlq)
    assert [m["Body"] for m in moved] == ["poison"]


def test_retention_period_expires_messages(sqs, control):
    url = new_queue(sqs, "tm-retention", MessageRetentionPeriod=60)
    sqs.send_message(QueueUrl=url, MessageBody="short-lived")
    control.advance(59)
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
        "Attributes"]["ApproximateNumberOfMessages"] == "1"
    control.advance(2)
    assert receive(sqs, url) == []
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
        "Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_delay_of_fifteen_minutes(sqs, control):
    url = new_queue(sqs, "tm-delay")
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=900)
    assert receive(sqs, url) == []
    control.advance(899)
    assert receive(sqs, url) == []
    control.advance(1)
    assert [m["Body"] for m in receive(sqs, url)] == ["later"]


def test_clock_offset_and_bad_requests(srv, control):
    before = control.offset_ms()
    assert control.advance(0) == before
    assert control.advance(5) == before + 5000
    base = f"http://127.0.0.1:{srv.admin}"
    for path, method, status in [("/test/clock/advance?seconds=-1", "POST", 400),
                                 ("/test/clock/advance?seconds=abc", "POST", 400),
                                 ("/test/clock/advance?seconds=315360001", "POST", 400),
                                 ("/test/clock/advance", "POST", 400),
                                 ("/test/clock/advance?seconds=1", "GET", 405),
                                 ("/test/clock", "POST", 405),
                                 ("/test/nothing-here", "GET", 404)]:
        req = urllib.request.Request(base + path, method=method, data=b"" if method == "POST" else None)
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=5)
        assert e.value.code == status, path
    assert control.offset_ms() == before + 5000  # nothing above moved it
    with pytest.raises(ValueError):
        control.advance(-1)


def test_refused_without_test_mode(server):
    control = SluiceTestControl(f"http://127.0.0.1:{server.admin_port}")
    with pytest.raises(TestControlError) as e:
        control.advance(300)
    assert e.value.status == 403
    assert "--test-mode" in e.value.text
    with pytest.raises(TestControlError) as e:
        control.offset_ms()
    assert e.value.status == 403


def peek(srv, name, max=None, **params):
    if max is None:
        return SluiceTestControl(f"http://127.0.0.1:{srv.admin}").messages(name, **params)
    with urllib.request.urlopen(f"http://127.0.0.1:{srv.admin}/test/queue/messages?name={name}&max={max}",
                                timeout=5) as r:
        return json.loads(r.read())["messages"]


def test_inspect_messages_in_every_state_without_receiving(srv, sqs, control):
    url = new_queue(sqs, "tm-inspect", VisibilityTimeout=300)
    sqs.send_message(QueueUrl=url, MessageBody='{"job": 1}',
                     MessageAttributes={"kind": {"DataType": "String", "StringValue": "order"}})
    sqs.send_message(QueueUrl=url, MessageBody="second")
    sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=600)
    first = receive(sqs, url, max_messages=1)
    assert [m["Body"] for m in first] == ['{"job": 1}']
    seen = peek(srv, name="tm-inspect")
    assert [(m["State"], m["Body"]) for m in seen] == [
        ("in_flight", '{"job": 1}'), ("visible", "second"), ("delayed", "delayed")]
    assert seen[0]["MessageId"] == first[0]["MessageId"]
    assert seen[0]["Attributes"]["ApproximateReceiveCount"] == "1"
    assert seen[0]["MessageAttributes"] == {"kind": {"DataType": "String", "StringValue": "order"}}
    assert seen[1]["Attributes"]["ApproximateReceiveCount"] == "0"
    assert "VisibleAt" not in seen[1] and seen[2]["VisibleAt"] > seen[0]["VisibleAt"] - 300_000
    assert [m["Body"] for m in peek(srv, name="tm-inspect", max=1)] == ['{"job": 1}']
    # Inspecting changed nothing a consumer sees: the visible message comes next, received once.
    nxt = receive(sqs, url)
    assert [(m["Body"], m["Attributes"]["ApproximateReceiveCount"]) for m in nxt] == [("second", "1")]
    control.advance(600)
    assert sorted(m["State"] for m in peek(srv, name="tm-inspect")) == ["visible"] * 3


def test_inspect_fifo_and_bad_requests(srv, sqs):
    url = new_queue(sqs, "tm-inspect.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}", MessageGroupId="g")
    seen = peek(srv, name="tm-inspect.fifo", account="000000000000", region="us-east-1")
    assert [m["Body"] for m in seen] == ["m0", "m1", "m2"]
    assert all(m["Attributes"]["MessageGroupId"] == "g" for m in seen)
    seqs = [int(m["Attributes"]["SequenceNumber"]) for m in seen]
    assert seqs == sorted(seqs)
    base = f"http://127.0.0.1:{srv.admin}/test/queue/messages"
    for query, status in [("", 400), ("?name=nope", 404), ("?name=tm-inspect.fifo&max=0", 400),
                          ("?name=tm-inspect.fifo&max=x", 400), ("?name=tm-inspect.fifo&region=eu-west-1", 404)]:
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(base + query, timeout=5)
        assert e.value.code == status, query
