"""The test-control API (docs/test-mode.md) with boto3 and the Python client in clients/python: a
server started with --test-mode moves its clock forward on request, and the queues follow it
(visibility timeouts, dead-letter queues, retention, delays); any other server refuses."""
import concurrent.futures
import json
import sys
import time
import urllib.error
import urllib.request

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config as BotoConfig

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


def aws(endpoint, service):
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                    region_name="us-east-1")
    return session.client(service, endpoint_url=endpoint, config=BotoConfig(
        retries={"total_max_attempts": 3, "mode": "standard"}, read_timeout=30, connect_timeout=5))


def fill_every_service(endpoint):
    """One resource of each kind, so that a reset has something to remove everywhere."""
    sqs = aws(endpoint, "sqs")
    url = sqs.create_queue(QueueName="rs-orders", Attributes={"VisibilityTimeout": "300"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="before the reset")
    aws(endpoint, "ssm").put_parameter(Name="/rs/queue-url", Value=url, Type="String")
    topic = aws(endpoint, "sns").create_topic(Name="rs-events")["TopicArn"]
    aws(endpoint, "sns").subscribe(TopicArn=topic, Protocol="sqs",
                                   Endpoint="arn:aws:sqs:us-east-1:000000000000:rs-orders")
    key = aws(endpoint, "kms").create_key()["KeyMetadata"]["KeyId"]
    aws(endpoint, "kms").create_alias(AliasName="alias/rs", TargetKeyId=key)
    aws(endpoint, "iam").create_user(UserName="rs-user")
    aws(endpoint, "cloudwatch").put_metric_alarm(
        AlarmName="rs-depth", Namespace="AWS/SQS", MetricName="ApproximateNumberOfMessagesVisible",
        Dimensions=[{"Name": "QueueName", "Value": "rs-orders"}], Statistic="Maximum", Period=60,
        EvaluationPeriods=1, Threshold=10, ComparisonOperator="GreaterThanThreshold")
    aws(endpoint, "events").put_rule(Name="rs-rule", EventPattern='{"source": ["shop"]}')
    return url


def assert_empty(endpoint):
    sqs = aws(endpoint, "sqs")
    assert sqs.list_queues().get("QueueUrls", []) == []
    assert aws(endpoint, "ssm").describe_parameters()["Parameters"] == []
    assert aws(endpoint, "sns").list_topics()["Topics"] == []
    assert aws(endpoint, "sns").list_subscriptions()["Subscriptions"] == []
    assert aws(endpoint, "kms").list_keys()["Keys"] == []
    assert [a["AliasName"] for a in aws(endpoint, "kms").list_aliases()["Aliases"]
            if not a["AliasName"].startswith("alias/aws/")] == []
    assert aws(endpoint, "iam").list_users()["Users"] == []
    assert aws(endpoint, "cloudwatch").describe_alarms()["MetricAlarms"] == []
    assert aws(endpoint, "events").list_rules()["Rules"] == []


def test_reset_removes_all_state(tmp_path):
    s = Sluice(tmp_path, "", args=["--test-mode"])
    try:
        control = SluiceTestControl(f"http://127.0.0.1:{s.admin}")
        fill_every_service(s.endpoint)
        control.advance(120)
        # A long poll parked on the old state is answered (empty) by the reset, not dropped.
        sqs = aws(s.endpoint, "sqs")
        url = sqs.create_queue(QueueName="rs-waiting")["QueueUrl"]
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(sqs.receive_message, QueueUrl=url, WaitTimeSeconds=20)
            time.sleep(0.3)  # usually lets the poll park first; either order must answer at once
            control.reset()
            try:
                assert waiting.result(timeout=10).get("Messages", []) == []  # parked: answered
            except botocore.exceptions.ClientError as e:  # came after the reset: no such queue
                assert "NonExistentQueue" in str(e) or "QueueDoesNotExist" in str(e)
        assert_empty(s.endpoint)
        assert control.offset_ms() >= 120_000  # the clock keeps its offset
        # The same names at once: no QueueDeletedRecently, no leftover message or alias.
        url = sqs.create_queue(QueueName="rs-orders", Attributes={"VisibilityTimeout": "300"})["QueueUrl"]
        assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", []) == []
        assert control.messages("rs-orders") == []
        fill_every_service(s.endpoint.replace("127.0.0.1", "localhost"))
    finally:
        s.stop()


def test_reset_of_a_durable_store_survives_a_restart(tmp_path):
    s = Sluice(tmp_path, "", data_dir=tmp_path / "data", args=["--test-mode"])
    try:
        control = SluiceTestControl(f"http://127.0.0.1:{s.admin}")
        fill_every_service(s.endpoint)
        control.reset()
        assert_empty(s.endpoint)
        url = aws(s.endpoint, "sqs").create_queue(QueueName="after")["QueueUrl"]
        aws(s.endpoint, "sqs").send_message(QueueUrl=url, MessageBody="kept")
        s.restart()
        assert [u.rsplit("/", 1)[1] for u in aws(s.endpoint, "sqs").list_queues()["QueueUrls"]] == ["after"]
        assert aws(s.endpoint, "ssm").describe_parameters()["Parameters"] == []
        got = aws(s.endpoint, "sqs").receive_message(QueueUrl=f"{s.endpoint}/000000000000/after")
        assert [m["Body"] for m in got["Messages"]] == ["kept"]
    finally:
        s.stop()


def test_reset_refused_without_test_mode(server):
    req = urllib.request.Request(f"http://127.0.0.1:{server.admin_port}/test/reset", method="POST", data=b"")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=5)
    assert e.value.code == 403


def test_reset_returns_to_the_provisioned_state(tmp_path):
    """A reset rebuilds the state as a start does: what [provision] declares is there again, the
    rest is gone."""
    s = Sluice(tmp_path, '[provision]\n[[provision.queues]]\nname = "declared"\n'
                         'attributes = { VisibilityTimeout = 45 }\nurl_parameter = "/app/declared-url"\n',
               args=["--test-mode"])
    try:
        control = SluiceTestControl(f"http://127.0.0.1:{s.admin}")
        sqs = aws(s.endpoint, "sqs")
        declared = sqs.get_queue_url(QueueName="declared")["QueueUrl"]
        sqs.send_message(QueueUrl=declared, MessageBody="gone after the reset")
        sqs.create_queue(QueueName="undeclared")
        control.reset()
        names = [u.rsplit("/", 1)[1] for u in sqs.list_queues()["QueueUrls"]]
        assert names == ["declared"]
        attrs = sqs.get_queue_attributes(QueueUrl=declared, AttributeNames=["All"])["Attributes"]
        assert attrs["VisibilityTimeout"] == "45" and attrs["ApproximateNumberOfMessages"] == "0"
        assert aws(s.endpoint, "ssm").get_parameter(Name="/app/declared-url")["Parameter"]["Value"] == declared
    finally:
        s.stop()
