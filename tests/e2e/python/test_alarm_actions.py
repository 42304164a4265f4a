"""CloudWatch alarm actions through SNS, end to end with boto3: the operator's setup from the
CloudWatch issue. An alarm on a queue's depth and one on its dead-letter queue notify an SNS topic
that a queue subscribes; messages that fail three times land in the DLQ; as the server's adjustable
clock moves a minute at a time (never sleeping), the alarms go to ALARM and the notifications
arrive in the subscribed queue with AWS's envelope and message; purging the DLQ returns its alarm
to OK, which notifies again."""
import json
import uuid

import boto3
import pytest

from conftest import Sluice

MINUTE = 60


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = Sluice(tmp_path_factory.mktemp("alarm-actions"), '[testing]\nclock = "adjustable"\n')
    yield s
    s.stop()


def client(srv, service):
    return boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                 region_name="us-east-1").client(service, endpoint_url=srv.endpoint)


def notifications(sqs, url, subject_prefix):
    """The SNS envelopes in `url` (deleted after reading), once one whose Subject starts with
    `subject_prefix` has arrived: an alarm's actions may run on the server's minute timer, just
    after a request has already seen the new state."""
    got = []
    for _ in range(20):
        r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for m in r.get("Messages", []):
            got.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        if any(e["Subject"].startswith(subject_prefix) for e in got):
            break
    return got


def test_queue_and_dlq_alarms_notify_a_subscribed_queue(srv):
    sqs, sns, cw = client(srv, "sqs"), client(srv, "sns"), client(srv, "cloudwatch")
    name = f"jobs-{uuid.uuid4().hex[:8]}"
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName=name, Attributes={
        "VisibilityTimeout": "0",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})})["QueueUrl"]
    topic = sns.create_topic(Name=f"{name}-ops")["TopicArn"]
    ops_url = sqs.create_queue(QueueName=f"{name}-ops-inbox")["QueueUrl"]
    ops_arn = sqs.get_queue_attributes(QueueUrl=ops_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=ops_arn)

    common = dict(Namespace="AWS/SQS", MetricName="ApproximateNumberOfMessagesVisible", Statistic="Maximum",
                  AlarmActions=[topic], OKActions=[topic])
    cw.put_metric_alarm(AlarmName=f"{name}-depth", Dimensions=[{"Name": "QueueName", "Value": name}],
                        Period=60, EvaluationPeriods=2, Threshold=1000,
                        ComparisonOperator="GreaterThanThreshold", **common)
    dlq_alarm = f"{name}-dlq-not-empty"
    cw.put_metric_alarm(AlarmName=dlq_alarm, Dimensions=[{"Name": "QueueName", "Value": f"{name}-dlq"}],
                        Period=60, EvaluationPeriods=1, Threshold=0,
                        ComparisonOperator="GreaterThanThreshold", TreatMissingData="notBreaching", **common)

    # Three messages that fail three times each: received and never deleted.
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"job {i}")
    for _ in range(10):
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    attrs = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"])
    assert attrs["Attributes"]["ApproximateNumberOfMessages"] == "3"

    srv.advance_clock(MINUTE)
    states = {a["AlarmName"]: a["StateValue"] for a in cw.describe_alarms(AlarmNamePrefix=name)["MetricAlarms"]}
    assert states[dlq_alarm] == "ALARM", states
    # OKActions also fire when an alarm first becomes OK (the depth alarm, and the DLQ alarm if it
    # was evaluated before the messages arrived), as on AWS: pick the DLQ alarm's ALARM one.
    got = notifications(sqs, ops_url, f'ALARM: "{dlq_alarm}"')
    alarms = [e for e in got if e["Subject"].startswith(f'ALARM: "{dlq_alarm}"')]
    assert len(alarms) == 1, [e["Subject"] for e in got]
    env = alarms[0]
    assert env["Type"] == "Notification" and env["TopicArn"] == topic
    assert env["Subject"] == f'ALARM: "{dlq_alarm}" in US East (N. Virginia)'
    msg = json.loads(env["Message"])
    assert (msg["AlarmName"], msg["NewStateValue"], msg["AWSAccountId"]) == (dlq_alarm, "ALARM", "000000000000")
    assert msg["OldStateValue"] in ("INSUFFICIENT_DATA", "OK")
    assert msg["Trigger"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert msg["Trigger"]["Namespace"] == "AWS/SQS"
    assert msg["Trigger"]["Dimensions"] == [{"value": f"{name}-dlq", "name": "QueueName"}]
    assert msg["NewStateReason"].startswith("Threshold Crossed")

    sqs.purge_queue(QueueUrl=dlq_url)
    srv.advance_clock(MINUTE)
    assert cw.describe_alarms(AlarmNames=[dlq_alarm])["MetricAlarms"][0]["StateValue"] == "OK"
    back = [e for e in notifications(sqs, ops_url, f'OK: "{dlq_alarm}"') if dlq_alarm in e["Subject"]]
    assert [json.loads(e["Message"])["NewStateValue"] for e in back] == ["OK"]
    history = cw.describe_alarm_history(AlarmName=dlq_alarm, HistoryItemType="Action")["AlarmHistoryItems"]
    assert history and all(h["HistorySummary"] == f"Successfully executed action {topic}" for h in history)


def test_an_action_to_a_missing_topic_is_recorded_as_failed(srv):
    cw = client(srv, "cloudwatch")
    alarm = f"orphan-{uuid.uuid4().hex[:8]}"
    topic = "arn:aws:sns:us-east-1:000000000000:no-such-topic"
    cw.put_metric_alarm(AlarmName=alarm, Namespace="App", MetricName="Nothing", Statistic="Sum", Period=60,
                        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold",
                        AlarmActions=[topic])
    cw.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="testing")
    history = cw.describe_alarm_history(AlarmName=alarm, HistoryItemType="Action")["AlarmHistoryItems"]
    assert [h["HistorySummary"] for h in history] == [f"Failed to execute action {topic}"]
