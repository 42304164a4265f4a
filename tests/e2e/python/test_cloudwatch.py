"""CloudWatch end to end with boto3: the AWS/SQS and AWS/SNS metrics Sluice emits, PutMetricData and the
statistics, ListMetrics, GetMetricData, and an alarm on queue depth, all on the server's adjustable
clock (never sleeping). boto3's CloudWatch model speaks Query in Debian's botocore; the JSON pass
loads the repo's model with its protocol set to AWS JSON 1.0 (awsQueryCompatible)."""
import datetime as dt
import json
import shutil
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import HERE, PROTOCOL, REPO, Sluice

MINUTE = 60


def _json_model_dir():
    """A data dir whose cloudwatch model speaks AWS JSON 1.0 (the repo's model, protocol 'json')."""
    target = HERE / "data" / "cw-json" / "cloudwatch" / "2010-08-01"
    target.mkdir(parents=True, exist_ok=True)
    model = json.loads((REPO / "models" / "monitoring.json").read_text())
    model["metadata"]["protocol"] = "json"
    model["metadata"].pop("protocols", None)
    (target / "service-2.json").write_text(json.dumps(model))
    return str(HERE / "data" / "cw-json")


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = Sluice(tmp_path_factory.mktemp("cloudwatch"), '[testing]\nclock = "adjustable"\n')
    yield s
    s.stop()


def _session():
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                    region_name="us-east-1")
    if PROTOCOL == "json":
        loader = session._session.get_component("data_loader")
        loader.search_paths.insert(0, _json_model_dir())
    return session


@pytest.fixture(scope="module")
def cw(srv):
    cfg = Config(retries={"total_max_attempts": 1, "mode": "standard"})
    client = _session().client("cloudwatch", endpoint_url=srv.endpoint, config=cfg)
    seen = {}
    client.meta.events.register("before-send.cloudwatch",
                                lambda request, **_: seen.update(headers=dict(request.headers)))
    client.list_metrics()
    ctype = seen["headers"].get("Content-Type", b"")
    ctype = ctype.decode() if isinstance(ctype, bytes) else ctype
    if PROTOCOL == "json":
        assert ctype.startswith("application/x-amz-json-1.0"), ctype
    else:
        assert ctype.startswith("application/x-www-form-urlencoded"), ctype
    return client


@pytest.fixture(scope="module")
def sqs(srv):
    return boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                 region_name="us-east-1").client("sqs", endpoint_url=srv.endpoint)


def server_now(srv):
    """The server's adjustable clock: system time plus the offset the admin port reports."""
    offset_ms = int(srv.advance_clock(0).strip().split("=")[1])
    return dt.datetime.now(dt.timezone.utc) + dt.timedelta(milliseconds=offset_ms)


def expect(fn, code, status=400, message=None, **kwargs):
    with pytest.raises(ClientError) as info:
        fn(**kwargs)
    err = info.value.response
    assert (err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]) == (code, status), err
    if message is not None:
        assert err["Error"]["Message"] == message
    return err


def test_sqs_metrics_count_what_was_sent(srv, cw, sqs):
    name = f"cw-{uuid.uuid4().hex[:10]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    srv.advance_clock(MINUTE)  # a fresh minute, so every send below falls into one
    start = server_now(srv) - dt.timedelta(minutes=5)
    for i in range(7):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "x" * 10} for i in range(3)])
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=4)["Messages"]
    for m in got[:2]:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    srv.advance_clock(MINUTE)
    end = server_now(srv) + dt.timedelta(minutes=1)

    def stat(metric, statistic="Sum"):
        r = cw.get_metric_statistics(Namespace="AWS/SQS", MetricName=metric,
                                     Dimensions=[{"Name": "QueueName", "Value": name}],
                                     StartTime=start, EndTime=end, Period=3600,
                                     Statistics=[statistic])
        return sum(dp[statistic] for dp in r["Datapoints"])

    assert stat("NumberOfMessagesSent") == 10
    assert stat("NumberOfMessagesReceived") == len(got)
    assert stat("NumberOfMessagesDeleted") == 2
    assert stat("SentMessageSize", "Maximum") == 10
    assert stat("SentMessageSize", "Minimum") == 2
    listed = cw.list_metrics(Namespace="AWS/SQS", Dimensions=[{"Name": "QueueName", "Value": name}])["Metrics"]
    names = {m["MetricName"] for m in listed}
    assert {"NumberOfMessagesSent", "ApproximateNumberOfMessagesVisible", "NumberOfEmptyReceives",
            "ApproximateAgeOfOldestMessage"} <= names
    # Messages age on the server's clock, which test mode moves for the queues too: the minute was
    # sampled after the clock moved 60 s past the sends, so the oldest is a minute old and a bit.
    r = cw.get_metric_statistics(Namespace="AWS/SQS", MetricName="ApproximateAgeOfOldestMessage",
                                 Dimensions=[{"Name": "QueueName", "Value": name}],
                                 StartTime=start, EndTime=end, Period=3600, Statistics=["Maximum"])
    (dp,) = r["Datapoints"]
    assert dp["Unit"] == "Seconds" and MINUTE <= dp["Maximum"] < 2 * MINUTE, dp


def test_fifo_deduplicated_sends_are_counted(srv, cw, sqs):
    name = f"dedup-{uuid.uuid4().hex[:10]}.fifo"
    url = sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true"})["QueueUrl"]
    srv.advance_clock(MINUTE)
    start = server_now(srv) - dt.timedelta(minutes=5)
    first = sqs.send_message(QueueUrl=url, MessageBody="a", MessageGroupId="g", MessageDeduplicationId="1")
    again = sqs.send_message(QueueUrl=url, MessageBody="a", MessageGroupId="g", MessageDeduplicationId="1")
    assert again["MessageId"] == first["MessageId"]
    sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "x", "MessageBody": "b", "MessageGroupId": "g", "MessageDeduplicationId": "1"},
        {"Id": "y", "MessageBody": "c", "MessageGroupId": "g", "MessageDeduplicationId": "2"}])
    srv.advance_clock(MINUTE)
    end = server_now(srv) + dt.timedelta(minutes=1)

    def total(metric):
        r = cw.get_metric_statistics(Namespace="AWS/SQS", MetricName=metric,
                                     Dimensions=[{"Name": "QueueName", "Value": name}],
                                     StartTime=start, EndTime=end, Period=3600, Statistics=["Sum"])
        return sum(dp["Sum"] for dp in r["Datapoints"])

    assert total("NumberOfMessagesSent") == 2
    assert total("NumberOfDeduplicatedSentMessages") == 2


def test_put_metric_data_then_statistics(srv, cw):
    ns = f"App/{uuid.uuid4().hex[:8]}"
    now = server_now(srv)
    cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": "Latency", "Dimensions": [{"Name": "Api", "Value": "get"}],
         "Values": [1, 2, 3, 4, 100], "Counts": [1, 1, 1, 1, 1], "Unit": "Milliseconds", "Timestamp": now},
        {"MetricName": "Latency", "Dimensions": [{"Name": "Api", "Value": "get"}], "Value": 5,
         "Unit": "Milliseconds", "Timestamp": now},
        {"MetricName": "Jobs", "StatisticValues": {"SampleCount": 4, "Sum": 10, "Minimum": 1, "Maximum": 4},
         "Timestamp": now},
    ])
    r = cw.get_metric_statistics(Namespace=ns, MetricName="Latency", Dimensions=[{"Name": "Api", "Value": "get"}],
                                 StartTime=now - dt.timedelta(minutes=10), EndTime=now + dt.timedelta(minutes=10),
                                 Period=1200, Statistics=["Sum", "Average", "Minimum", "Maximum", "SampleCount"])
    assert r["Label"] == "Latency"
    (dp,) = r["Datapoints"]
    assert (dp["Sum"], dp["SampleCount"], dp["Minimum"], dp["Maximum"]) == (115, 6, 1, 100)
    assert dp["Average"] == pytest.approx(115 / 6)
    assert dp["Unit"] == "Milliseconds"
    r = cw.get_metric_statistics(Namespace=ns, MetricName="Latency", Dimensions=[{"Name": "Api", "Value": "get"}],
                                 StartTime=now - dt.timedelta(minutes=10), EndTime=now + dt.timedelta(minutes=10),
                                 Period=1200, ExtendedStatistics=["p50", "p99"])
    assert r["Datapoints"][0]["ExtendedStatistics"] == {"p50": 3.0, "p99": 100.0}
    r = cw.get_metric_statistics(Namespace=ns, MetricName="Jobs", StartTime=now - dt.timedelta(minutes=10),
                                 EndTime=now + dt.timedelta(minutes=10), Period=1200, Statistics=["Average"])
    assert r["Datapoints"][0]["Average"] == 2.5
    metrics = cw.list_metrics(Namespace=ns)["Metrics"]
    assert sorted(m["MetricName"] for m in metrics) == ["Jobs", "Latency"]
    assert cw.list_metrics(Namespace=ns, Dimensions=[{"Name": "Api"}])["Metrics"][0]["Dimensions"] == \
        [{"Name": "Api", "Value": "get"}]
    data = cw.get_metric_data(
        MetricDataQueries=[{"Id": "lat", "MetricStat": {
            "Metric": {"Namespace": ns, "MetricName": "Latency", "Dimensions": [{"Name": "Api", "Value": "get"}]},
            "Period": 60, "Stat": "Maximum"}}],
        StartTime=now - dt.timedelta(minutes=10), EndTime=now + dt.timedelta(minutes=10))
    (res,) = data["MetricDataResults"]
    assert res["Id"] == "lat" and res["Values"] == [100.0] and res["StatusCode"] == "Complete"


def test_put_metric_data_errors(srv, cw):
    expect(cw.put_metric_data, "InvalidParameterValue",
           message="The value AWS/SQS for parameter Namespace is invalid.",
           Namespace="AWS/SQS", MetricData=[{"MetricName": "x", "Value": 1}])
    expect(cw.put_metric_data, "InvalidParameterCombination", Namespace="App",
           MetricData=[{"MetricName": "x", "Value": 1, "Values": [1]}])
    expect(cw.put_metric_data, "InvalidParameterValue", Namespace="App",
           MetricData=[{"MetricName": "x", "Values": [1, 2], "Counts": [1]}])
    expect(cw.put_metric_data, "InvalidParameterValue", Namespace="App",
           MetricData=[{"MetricName": "x", "Value": 1,
                        "Timestamp": server_now(srv) - dt.timedelta(days=15)}])
    now = server_now(srv)
    expect(cw.get_metric_statistics, "InvalidParameterValue",
           message="The parameter Period must be a multiple of 60.", Namespace="App", MetricName="x",
           StartTime=now - dt.timedelta(hours=1), EndTime=now, Period=90, Statistics=["Sum"])
    expect(cw.get_metric_statistics, "InvalidParameterCombination", Namespace="App", MetricName="x",
           StartTime=now - dt.timedelta(hours=1), EndTime=now, Period=60)
    expect(cw.get_metric_statistics, "InvalidParameterCombination", Namespace="App", MetricName="x",
           StartTime=now - dt.timedelta(days=2), EndTime=now, Period=60, Statistics=["Sum"])


def test_alarm_on_queue_depth_goes_to_alarm_and_back(srv, cw, sqs):
    name = f"depth-{uuid.uuid4().hex[:10]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    alarm = f"{name}-alarm"
    topic = "arn:aws:sns:us-east-1:000000000000:ops"
    cw.put_metric_alarm(AlarmName=alarm, Namespace="AWS/SQS", MetricName="ApproximateNumberOfMessagesVisible",
                        Dimensions=[{"Name": "QueueName", "Value": name}], Statistic="Maximum", Period=60,
                        EvaluationPeriods=1, Threshold=3, ComparisonOperator="GreaterThanThreshold",
                        AlarmActions=[topic], OKActions=[topic])
    (a,) = cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
    assert a["StateValue"] == "INSUFFICIENT_DATA" and a["Threshold"] == 3.0
    for i in range(5):
        sqs.send_message(QueueUrl=url, MessageBody=str(i))
    srv.advance_clock(MINUTE)
    (a,) = cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
    assert a["StateValue"] == "ALARM", a
    assert a["StateReason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints [5.0 (")
    assert json.loads(a["StateReasonData"])["recentDatapoints"] == [5.0]
    assert [x["AlarmName"] for x in cw.describe_alarms(StateValue="ALARM")["MetricAlarms"]].count(alarm) == 1
    sqs.purge_queue(QueueUrl=url)
    srv.advance_clock(MINUTE)
    (a,) = cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
    assert a["StateValue"] == "OK", a
    history = cw.describe_alarm_history(AlarmName=alarm)["AlarmHistoryItems"]
    summaries = [h["HistorySummary"] for h in history]
    assert "Alarm updated from ALARM to OK" in summaries
    assert "Alarm updated from INSUFFICIENT_DATA to ALARM" in summaries
    # The topic does not exist: the actions are recorded as failed (test_alarm_actions.py has one
    # that does).
    actions = [h for h in history if h["HistoryItemType"] == "Action"]
    assert actions and all(h["HistorySummary"] == f"Failed to execute action {topic}" for h in actions)
    metric_alarms = cw.describe_alarms_for_metric(
        Namespace="AWS/SQS", MetricName="ApproximateNumberOfMessagesVisible",
        Dimensions=[{"Name": "QueueName", "Value": name}])["MetricAlarms"]
    assert [x["AlarmName"] for x in metric_alarms] == [alarm]


def test_alarm_state_actions_and_delete(srv, cw):
    alarm = f"manual-{uuid.uuid4().hex[:8]}"
    cw.put_metric_alarm(AlarmName=alarm, Namespace="App", MetricName="Nothing", Statistic="Sum", Period=60,
                        EvaluationPeriods=2, DatapointsToAlarm=1, Threshold=1,
                        ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="breaching")
    (a,) = cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
    assert a["StateValue"] == "ALARM" and "treated as [Breaching]" in a["StateReason"]
    cw.set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="testing")
    (a,) = cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
    assert (a["StateValue"], a["StateReason"]) == ("OK", "testing")
    cw.disable_alarm_actions(AlarmNames=[alarm])
    assert cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["ActionsEnabled"] is False
    cw.enable_alarm_actions(AlarmNames=[alarm])
    assert cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["ActionsEnabled"] is True
    expect(cw.set_alarm_state, "ResourceNotFound", 404, AlarmName="nope", StateValue="OK", StateReason="x")
    expect(cw.delete_alarms, "ResourceNotFound", 404, AlarmNames=[alarm, "nope"])
    cw.delete_alarms(AlarmNames=[alarm])
    assert cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"] == []
    expect(cw.describe_alarms, "InvalidParameterCombination", AlarmNames=["a"], AlarmNamePrefix="a")


def test_prometheus_metrics_match_queue_attributes(srv, sqs):
    import urllib.request
    from prometheus_client import parser  # Debian's python3-prometheus-client (tools/install-deps.sh)
    text_string_to_metric_families = parser.text_string_to_metric_families

    name = f"prom-{uuid.uuid4().hex[:10]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    for i in range(4):
        sqs.send_message(QueueUrl=url, MessageBody=str(i))
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=300)
    with urllib.request.urlopen(f"http://127.0.0.1:{srv.admin}/metrics", timeout=5) as r:
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = r.read().decode()
    values = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.labels.get("queue") == name:
                values[s.name] = s.value
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert values["sluice_sqs_approximate_number_of_messages_visible"] == int(attrs["ApproximateNumberOfMessages"]) == 3
    assert values["sluice_sqs_approximate_number_of_messages_not_visible"] == \
        int(attrs["ApproximateNumberOfMessagesNotVisible"]) == 1
    assert values["sluice_sqs_number_of_messages_sent_total"] == 4
    assert values["sluice_sqs_number_of_messages_received_total"] == 1
    assert 0 <= values["sluice_sqs_approximate_age_of_oldest_message_seconds"] < 60


def test_sns_metrics_count_publishes_deliveries_and_filters(srv, cw, sqs):
    """AWS/SNS by TopicName: published messages and their sizes, deliveries (three SQS queues),
    failures (a lambda subscription, which this server cannot deliver), and what each kind of
    filter policy rejected, read back with get_metric_statistics after the clock moves on."""
    import urllib.request
    from prometheus_client import parser

    sns = _session().client("sns", endpoint_url=srv.endpoint)
    name = f"cwsns-{uuid.uuid4().hex[:10]}"
    arn = sns.create_topic(Name=name)["TopicArn"]

    def subscribe(attributes):
        url = sqs.create_queue(QueueName=f"{name}-{uuid.uuid4().hex[:6]}")["QueueUrl"]
        qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=qarn, Attributes=attributes)

    subscribe({"FilterPolicy": json.dumps({"kind": ["order"]})})
    subscribe({"FilterPolicy": json.dumps({"n": [1]}), "FilterPolicyScope": "MessageBody"})
    subscribe({})
    sns.subscribe(TopicArn=arn, Protocol="lambda", Endpoint="arn:aws:lambda:us-east-1:000000000000:function:f")
    srv.advance_clock(MINUTE)  # a fresh minute
    start = server_now(srv) - dt.timedelta(minutes=5)
    order = {"kind": {"DataType": "String", "StringValue": "order"}}
    sizes = []
    for _ in range(3):  # every queue; the lambda fails
        sns.publish(TopicArn=arn, Message='{"n": 1}', MessageAttributes=order)
        sizes.append(len('{"n": 1}') + len("kind") + len("String") + len("order"))
    for _ in range(2):  # no attributes: the attribute policy rejects it as NoMessageAttributes
        sns.publish(TopicArn=arn, Message='{"n": 2}')
        sizes.append(len('{"n": 2}'))
    sns.publish_batch(TopicArn=arn, PublishBatchRequestEntries=[{  # both policies reject it
        "Id": "a", "Message": "plain text",
        "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "refund"}}}])
    sizes.append(len("plain text") + len("kind") + len("String") + len("refund"))
    srv.advance_clock(MINUTE)
    end = server_now(srv) + dt.timedelta(minutes=1)

    def stat(metric, statistic="Sum"):
        r = cw.get_metric_statistics(Namespace="AWS/SNS", MetricName=metric,
                                     Dimensions=[{"Name": "TopicName", "Value": name}],
                                     StartTime=start, EndTime=end, Period=3600, Statistics=[statistic])
        return sum(dp[statistic] for dp in r["Datapoints"])

    assert stat("NumberOfMessagesPublished") == 6
    assert stat("NumberOfNotificationsDelivered") == 3 * 3 + 2 + 1
    assert stat("NumberOfNotificationsFailed") == 6
    assert stat("NumberOfNotificationsFilteredOut") == 2 + 2
    assert stat("NumberOfNotificationsFilteredOut-NoMessageAttributes") == 2
    assert stat("NumberOfNotificationsFilteredOut-InvalidAttributes") == 0
    assert stat("PublishSize", "SampleCount") == 6
    assert stat("PublishSize", "Sum") == sum(sizes)
    assert stat("PublishSize", "Maximum") == max(sizes)
    r = cw.get_metric_statistics(Namespace="AWS/SNS", MetricName="PublishSize",
                                 Dimensions=[{"Name": "TopicName", "Value": name}],
                                 StartTime=start, EndTime=end, Period=3600, Statistics=["Average"])
    assert r["Datapoints"][0]["Unit"] == "Bytes"
    listed = {m["MetricName"] for m in cw.list_metrics(
        Namespace="AWS/SNS", Dimensions=[{"Name": "TopicName", "Value": name}])["Metrics"]}
    assert "NumberOfNotificationsFilteredOut-InvalidAttributes" not in listed  # sparse, as on AWS
    assert {"NumberOfMessagesPublished", "NumberOfNotificationsDelivered", "PublishSize"} <= listed
    with urllib.request.urlopen(f"http://127.0.0.1:{srv.admin}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    values = {s.name: s.value for family in parser.text_string_to_metric_families(text)
              for s in family.samples if s.labels.get("topic") == name}
    assert values["sluice_sns_number_of_messages_published_total"] == 6
    assert values["sluice_sns_number_of_notifications_delivered_total"] == 12
    assert values["sluice_sns_number_of_notifications_filtered_out_total"] == 6


def test_alarm_tags(srv, cw):
    name = f"tagged-{uuid.uuid4().hex[:8]}"
    cw.put_metric_alarm(AlarmName=name, Namespace="App", MetricName="M", Statistic="Sum", Period=60,
                        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold",
                        Tags=[{"Key": "team", "Value": "shop"}])
    arn = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["AlarmArn"]
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "shop"}]
    cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "ops"}])
    tags = {t["Key"]: t["Value"] for t in cw.list_tags_for_resource(ResourceARN=arn)["Tags"]}
    assert tags == {"team": "ops", "env": "prod"}
    # Updating the alarm leaves its tags alone (AWS: only TagResource/UntagResource change them).
    cw.put_metric_alarm(AlarmName=name, Namespace="App", MetricName="M", Statistic="Sum", Period=60,
                        EvaluationPeriods=1, Threshold=2, ComparisonOperator="GreaterThanThreshold",
                        Tags=[{"Key": "ignored", "Value": "x"}])
    assert len(cw.list_tags_for_resource(ResourceARN=arn)["Tags"]) == 2
    cw.untag_resource(ResourceARN=arn, TagKeys=["team", "absent"])
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "env", "Value": "prod"}]
    expect(cw.tag_resource, "InvalidParameterValue", ResourceARN=arn, Tags=[{"Key": "aws:x", "Value": "1"}])
    expect(cw.tag_resource, "InvalidParameterValue", ResourceARN=arn,
           Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    cw.delete_alarms(AlarmNames=[name])
    expect(cw.list_tags_for_resource, "ResourceNotFoundException", 404, ResourceARN=arn)
    expect(cw.tag_resource, "ResourceNotFoundException", 404, ResourceARN=arn, Tags=[{"Key": "a", "Value": "b"}])
    expect(cw.list_tags_for_resource, "InvalidParameterValue", ResourceARN="not-an-arn")


def test_dashboards(srv, cw):
    name = f"dash-{uuid.uuid4().hex[:8]}"
    body = json.dumps({"widgets": [
        {"type": "text", "x": 0, "y": 0, "width": 24, "height": 2, "properties": {"markdown": "# Orders"}},
        {"type": "metric", "x": 0, "y": 2, "width": 12, "height": 6, "properties": {
            "metrics": [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "orders"]],
            "period": 60, "stat": "Maximum", "region": "us-east-1", "title": "Depth"}}]})
    assert cw.put_dashboard(DashboardName=name, DashboardBody=body)["DashboardValidationMessages"] == []
    got = cw.get_dashboard(DashboardName=name)
    assert got["DashboardBody"] == body and got["DashboardName"] == name
    assert got["DashboardArn"] == f"arn:aws:cloudwatch::000000000000:dashboard/{name}"
    entries = cw.list_dashboards(DashboardNamePrefix=name)["DashboardEntries"]
    assert [(e["DashboardName"], e["Size"]) for e in entries] == [(name, len(body))]
    assert "LastModified" in entries[0]
    # Replaced whole.
    cw.put_dashboard(DashboardName=name, DashboardBody='{"widgets": []}')
    assert cw.get_dashboard(DashboardName=name)["DashboardBody"] == '{"widgets": []}'
    msg = expect(cw.put_dashboard, "InvalidParameterInput", DashboardName=name, DashboardBody="not json")
    assert msg["Error"]["Message"] == "The field DashboardBody must be a valid JSON object"
    msg = expect(cw.put_dashboard, "InvalidParameterInput", DashboardName=name,
                 DashboardBody=json.dumps({"widgets": [{"type": "chart", "width": 30, "properties": {}},
                                                       {"type": "text", "properties": {}}]}))
    text = msg["Error"]["Message"]
    assert text.startswith("The dashboard body is invalid, there are 3 validation errors:"), text
    assert '"dataPath": "/widgets/0/type"' in text and '"dataPath": "/widgets/0/width"' in text
    assert "Should have required property 'markdown'" in text
    expect(cw.put_dashboard, "InvalidParameterInput", DashboardName="bad name!", DashboardBody='{"widgets": []}')
    expect(cw.get_dashboard, "ResourceNotFound", 404, DashboardName="absent-" + name)
    # All or nothing: an unknown name fails the call and deletes nothing.
    expect(cw.delete_dashboards, "ResourceNotFound", 404, DashboardNames=[name, "absent-" + name])
    assert cw.get_dashboard(DashboardName=name)["DashboardName"] == name
    cw.delete_dashboards(DashboardNames=[name])
    expect(cw.get_dashboard, "ResourceNotFound", 404, DashboardName=name)
    assert cw.list_dashboards(DashboardNamePrefix=name)["DashboardEntries"] == []


def test_metrics_and_alarms_survive_kill_9(tmp_path):
    srv = Sluice(tmp_path, "", data_dir=tmp_path / "data")
    try:
        client = _session().client("cloudwatch", endpoint_url=srv.endpoint)
        now = dt.datetime.now(dt.timezone.utc)
        client.put_metric_data(Namespace="Durable", MetricData=[{"MetricName": "M", "Values": [1, 2, 3]}])
        client.put_metric_alarm(AlarmName="durable", Namespace="Durable", MetricName="M", Statistic="Sum",
                                Period=60, EvaluationPeriods=1, Threshold=100,
                                ComparisonOperator="GreaterThanThreshold")
        srv.proc.kill()  # SIGKILL: no shutdown path runs
        srv.proc.wait(5)
        srv.log.close()
        srv.start()
        client = _session().client("cloudwatch", endpoint_url=srv.endpoint)
        r = client.get_metric_statistics(Namespace="Durable", MetricName="M",
                                         StartTime=now - dt.timedelta(minutes=5),
                                         EndTime=now + dt.timedelta(minutes=5), Period=600,
                                         Statistics=["Sum", "SampleCount"])
        assert [(d["Sum"], d["SampleCount"]) for d in r["Datapoints"]] == [(6.0, 3.0)]
        assert [a["AlarmName"] for a in client.describe_alarms()["MetricAlarms"]] == ["durable"]
    finally:
        srv.stop()


def test_units_of_one_metric_stay_apart(srv, cw):
    ns = f"Units/{uuid.uuid4().hex[:8]}"
    now = server_now(srv)
    cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": "Size", "Value": 10, "Unit": "Bytes", "Timestamp": now},
        {"MetricName": "Size", "Value": 2, "Unit": "Kilobytes", "Timestamp": now},
        {"MetricName": "Size", "Value": 30, "Unit": "Bytes", "Timestamp": now},
    ])
    window = {"Namespace": ns, "MetricName": "Size", "StartTime": now - dt.timedelta(minutes=10),
              "EndTime": now + dt.timedelta(minutes=10), "Period": 1200}
    r = cw.get_metric_statistics(**window, Statistics=["Sum", "SampleCount"])
    got = sorted((d["Unit"], d["Sum"], d["SampleCount"]) for d in r["Datapoints"])
    assert got == [("Bytes", 40.0, 2.0), ("Kilobytes", 2.0, 1.0)], r["Datapoints"]
    r = cw.get_metric_statistics(**window, Statistics=["Sum"], Unit="Kilobytes")
    assert [(d["Unit"], d["Sum"]) for d in r["Datapoints"]] == [("Kilobytes", 2.0)]
    r = cw.get_metric_statistics(**window, Statistics=["Sum"], Unit="Seconds")
    assert r["Datapoints"] == []


def test_statistic_set_of_equal_values_has_percentiles(srv, cw):
    ns = f"Sets/{uuid.uuid4().hex[:8]}"
    now = server_now(srv)
    cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": "M", "StatisticValues": {"SampleCount": 3, "Sum": 15, "Minimum": 5, "Maximum": 5},
         "Timestamp": now},
        {"MetricName": "N", "StatisticValues": {"SampleCount": 2, "Sum": 6, "Minimum": 1, "Maximum": 5},
         "Timestamp": now}])
    window = {"Namespace": ns, "StartTime": now - dt.timedelta(minutes=10),
              "EndTime": now + dt.timedelta(minutes=10), "Period": 1200, "ExtendedStatistics": ["p90"]}
    r = cw.get_metric_statistics(MetricName="M", **window)
    assert r["Datapoints"][0]["ExtendedStatistics"] == {"p90": 5.0}
    r = cw.get_metric_statistics(MetricName="N", **window)
    assert r["Datapoints"][0].get("ExtendedStatistics", {}) == {}


def test_old_hours_read_back_after_restart(tmp_path):
    """Points hours back (older than the hours kept in memory) answer the same before and after a
    restart, which loads only the index and the recent hours."""
    srv = Sluice(tmp_path, "", data_dir=tmp_path / "data")
    try:
        client = _session().client("cloudwatch", endpoint_url=srv.endpoint)
        hour = dt.datetime.now(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)
        base = hour - dt.timedelta(hours=30)
        data = [{"MetricName": "Old", "Timestamp": base + dt.timedelta(minutes=7 * i), "Values": [i, i + 1],
                 "Unit": "Count"} for i in range(200)]
        for k in range(0, len(data), 100):
            client.put_metric_data(Namespace="History", MetricData=data[k:k + 100])
        window = {"Namespace": "History", "MetricName": "Old", "StartTime": base,
                  "EndTime": base + dt.timedelta(hours=24), "Period": 3600,
                  "Statistics": ["Sum", "SampleCount", "Maximum"]}

        def answer(c):
            r = c.get_metric_statistics(**window)
            return sorted((d["Timestamp"], d["Sum"], d["SampleCount"], d["Maximum"]) for d in r["Datapoints"])

        before = answer(client)
        assert len(before) == 24
        assert sum(d[1] for d in before) == sum(2 * i + 1 for i in range(200) if 7 * i < 24 * 60)
        p = client.get_metric_statistics(Namespace="History", MetricName="Old", StartTime=base,
                                         EndTime=base + dt.timedelta(minutes=1), Period=60,
                                         ExtendedStatistics=["p100"])
        assert p["Datapoints"][0]["ExtendedStatistics"] == {"p100": 1.0}
        srv.stop()
        srv.start()
        client = _session().client("cloudwatch", endpoint_url=srv.endpoint)
        assert answer(client) == before
        assert [m["MetricName"] for m in client.list_metrics(Namespace="History")["Metrics"]] == ["Old"]
        client.put_metric_data(Namespace="History", MetricData=[
            {"MetricName": "Old", "Timestamp": base, "Value": 1000, "Unit": "Count"}])
        after = answer(client)
        assert after[0][1] == before[0][1] + 1000 and after[1:] == before[1:]
    finally:
        srv.stop()
