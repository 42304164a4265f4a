"""The test-control API (docs/test-mode.md) with boto3 and the Python client in clients/python: a
server started with --test-mode moves its clock forward on request, and the queues follow it
(visibility timeouts, dead-letter queues, retention, delays); any other server refuses."""
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


def receive(sqs, url, **kw):
    return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
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
