"""EventBridge against Sluice with boto3 (AWS JSON 1.1; the repo's model through AWS_DATA_PATH, so
the same requests run in both passes): buses, rules, targets, tags, TestEventPattern, PutEvents
delivered to SQS (standard and FIFO), to an SNS topic and to another bus, input transformation,
dead-letter queues, schedules on the adjustable clock, restarts with a data directory, and the
issue's cross-account flow with auth "sigv4" (a whole-policy put_permission, a refused account,
kill -9 mid-way: nothing answered is lost)."""
import json
import re
import signal
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import REGION, Sluice

CFG = Config(retries={"total_max_attempts": 1, "mode": "standard"})
ACCOUNT = "000000000000"


def client(endpoint, service, akid="test", secret="test"):
    session = boto3.session.Session(aws_access_key_id=akid, aws_secret_access_key=secret, region_name=REGION)
    return session.client(service, endpoint_url=endpoint, config=CFG)


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = Sluice(tmp_path_factory.mktemp("events"), '[testing]\nclock = "adjustable"\n')
    yield s
    s.stop()


@pytest.fixture(scope="module")
def ev(srv):
    return client(srv.endpoint, "events")


@pytest.fixture(scope="module")
def sqs(srv):
    return client(srv.endpoint, "sqs")


@pytest.fixture(scope="module")
def sns(srv):
    return client(srv.endpoint, "sns")


def uid():
    return uuid.uuid4().hex[:10]


def expect(fn, code, message=None, **kwargs):
    with pytest.raises(ClientError) as info:
        fn(**kwargs)
    err = info.value.response
    assert err["Error"]["Code"] == code, err
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400, err
    if isinstance(message, re.Pattern):
        assert message.search(err["Error"]["Message"]), err
    elif message is not None:
        assert err["Error"]["Message"] == message, err
    return err["Error"]["Message"]


def queue(sqs, name, **attributes):
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def drain(sqs, url, want=1, tries=10, attributes=False):
    got = []
    for _ in range(tries):
        kwargs = {"MessageAttributeNames": ["All"]} if attributes else {}
        r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, **kwargs)
        for m in r.get("Messages", []):
            got.append(m)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        if len(got) >= want:
            break
    return got


# ---- buses -------------------------------------------------------------------------------------

def test_default_bus_and_custom_bus_lifecycle(ev):
    d = ev.describe_event_bus()
    assert d["Name"] == "default"
    assert d["Arn"] == f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"
    name = f"orders-{uid()}"
    arn = ev.create_event_bus(Name=name, Description="orders",
                              Tags=[{"Key": "team", "Value": "shop"}])["EventBusArn"]
    assert arn == f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{name}"
    expect(ev.create_event_bus, "ResourceAlreadyExistsException", f"Event bus {name} already exists.", Name=name)
    got = ev.describe_event_bus(Name=name)
    assert got["Description"] == "orders" and "CreationTime" in got
    assert ev.describe_event_bus(Name=arn)["Name"] == name
    names = [b["Name"] for b in ev.list_event_buses()["EventBuses"]]
    assert "default" in names and name in names
    assert [b["Name"] for b in ev.list_event_buses(NamePrefix=name)["EventBuses"]] == [name]
    ev.update_event_bus(Name=name, Description="changed")
    assert ev.describe_event_bus(Name=name)["Description"] == "changed"
    assert ev.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "shop"}]
    ev.tag_resource(ResourceARN=arn, Tags=[{"Key": "env", "Value": "dev"}])
    ev.untag_resource(ResourceARN=arn, TagKeys=["team"])
    assert ev.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]
    expect(ev.delete_event_bus, "ValidationException", "Cannot delete event bus default.", Name="default")
    ev.delete_event_bus(Name=name)
    expect(ev.describe_event_bus, "ResourceNotFoundException", f"Event bus {name} does not exist.", Name=name)
    ev.delete_event_bus(Name=name)  # gone: still fine


def test_bus_name_validation(ev):
    expect(ev.create_event_bus, "ValidationException", "Event bus name must not contain '/'.", Name="a/b")
    expect(ev.create_event_bus, "ValidationException", re.compile("failed to satisfy constraint"),
           Name="bad name!")


# ---- rules -------------------------------------------------------------------------------------

def test_rule_lifecycle_and_errors(ev, sqs):
    name = f"r-{uid()}"
    pattern = json.dumps({"source": [{"prefix": "com.shop"}], "detail": {"status": ["paid"]}})
    arn = ev.put_rule(Name=name, EventPattern=pattern, Description="paid orders")["RuleArn"]
    assert arn == f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}"
    d = ev.describe_rule(Name=name)
    assert d["EventPattern"] == pattern and d["State"] == "ENABLED" and d["EventBusName"] == "default"
    ev.disable_rule(Name=name)
    assert ev.describe_rule(Name=name)["State"] == "DISABLED"
    ev.enable_rule(Name=name)
    assert ev.describe_rule(Name=name)["State"] == "ENABLED"
    assert name in [r["Name"] for r in ev.list_rules(NamePrefix=name)["Rules"]]
    expect(ev.describe_rule, "ResourceNotFoundException", "Rule nope-x does not exist on EventBus default.",
           Name="nope-x")
    expect(ev.put_rule, "ValidationException",
           "Parameter(s) EventPattern or ScheduleExpression must be specified.", Name=name)
    expect(ev.put_rule, "ValidationException", "Parameter ScheduleExpression is not valid.",
           Name=name, ScheduleExpression="rate(1 minutes)")
    expect(ev.put_rule, "ValidationException", "Parameter ScheduleExpression is not valid.",
           Name=name, ScheduleExpression="cron(0 12 * * * *)")
    expect(ev.put_rule, "InvalidEventPatternException",
           "Event pattern is not valid. Reason: Unrecognized match type foo",
           Name=name, EventPattern='{"source": [{"foo": 1}]}')
    bus = f"b-{uid()}"
    ev.create_event_bus(Name=bus)
    expect(ev.put_rule, "ValidationException", "ScheduleExpression is supported only on the default event bus.",
           Name=name, ScheduleExpression="rate(5 minutes)", EventBusName=bus)
    expect(ev.put_rule, "ResourceNotFoundException", "Event bus nobus does not exist.",
           Name=name, EventPattern=pattern, EventBusName="nobus")
    # Targets: at most 5, FIFO queues need a group, and a rule with targets is not deleted.
    _, qarn = queue(sqs, f"t-{uid()}")
    targets = [{"Id": f"t{i}", "Arn": qarn} for i in range(6)]
    expect(ev.put_targets, "LimitExceededException", Rule=name, Targets=targets)
    assert ev.put_targets(Rule=name, Targets=targets[:5])["FailedEntryCount"] == 0
    assert [t["Id"] for t in ev.list_targets_by_rule(Rule=name)["Targets"]] == [f"t{i}" for i in range(5)]
    assert ev.list_rule_names_by_target(TargetArn=qarn)["RuleNames"] == [name]
    _, fifo = queue(sqs, f"f-{uid()}.fifo", FifoQueue="true")
    expect(ev.put_targets, "ValidationException", "Parameter(s) SqsParameters must be specified for target: f.",
           Rule=name, Targets=[{"Id": "f", "Arn": fifo}])
    expect(ev.put_targets, "ValidationException", re.compile("Provided Arn is not in correct format"),
           Rule=name, Targets=[{"Id": "x", "Arn": "not-an-arn"}])
    expect(ev.put_targets, "ResourceNotFoundException", "Rule nope-y does not exist on EventBus default.",
           Rule="nope-y", Targets=[{"Id": "x", "Arn": qarn}])
    expect(ev.delete_rule, "ValidationException", "Rule can't be deleted since it has targets.", Name=name)
    ev.remove_targets(Rule=name, Ids=["t0", "t1"])
    assert len(ev.list_targets_by_rule(Rule=name)["Targets"]) == 3
    ev.delete_rule(Name=name, Force=True)
    expect(ev.describe_rule, "ResourceNotFoundException", Name=name)
    ev.delete_rule(Name=name)  # gone: fine


def test_rule_tags_and_paging(ev):
    prefix = f"p-{uid()}"
    for i in range(5):
        ev.put_rule(Name=f"{prefix}-{i}", EventPattern='{"source": ["x"]}',
                    Tags=[{"Key": "n", "Value": str(i)}])
    page = ev.list_rules(NamePrefix=prefix, Limit=2)
    names = [r["Name"] for r in page["Rules"]]
    while "NextToken" in page:
        page = ev.list_rules(NamePrefix=prefix, Limit=2, NextToken=page["NextToken"])
        names += [r["Name"] for r in page["Rules"]]
    assert names == [f"{prefix}-{i}" for i in range(5)]
    arn = ev.describe_rule(Name=f"{prefix}-3")["Arn"]
    assert ev.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "n", "Value": "3"}]


def test_test_event_pattern(ev):
    event = json.dumps({"id": "1", "account": ACCOUNT, "source": "com.shop.orders", "time": "2024-01-01T00:00:00Z",
                        "region": REGION, "resources": [], "detail-type": "Order", "detail": {"amount": 120}})
    ok = ev.test_event_pattern(EventPattern=json.dumps({"detail": {"amount": [{"numeric": [">", 100]}]}}), Event=event)
    assert ok["Result"] is True
    no = ev.test_event_pattern(EventPattern=json.dumps({"source": [{"anything-but": {"prefix": "com."}}]}), Event=event)
    assert no["Result"] is False
    expect(ev.test_event_pattern, "InvalidEventPatternException", re.compile("^Event pattern is not valid. Reason: "),
           EventPattern='{"a": 1}', Event=event)
    expect(ev.test_event_pattern, "ValidationException", "Parameter Event is not valid.",
           EventPattern='{"a": [1]}', Event="[]")


# ---- PutEvents ---------------------------------------------------------------------------------

def test_put_events_envelope_and_entry_errors(ev, sqs):
    url, arn = queue(sqs, f"env-{uid()}")
    src = f"com.test.{uid()}"
    ev.put_rule(Name=f"all-{uid()}", EventPattern=json.dumps({"source": [src]}))
    rule = [r for r in ev.list_rules()["Rules"] if src in r.get("EventPattern", "")][0]["Name"]
    ev.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": arn}])
    r = ev.put_events(Entries=[
        {"Source": src, "DetailType": "Thing", "Detail": json.dumps({"a": 1}), "Resources": ["arn:x"]},
        {"DetailType": "x", "Detail": "{}"},
        {"Source": src, "Detail": "{}"},
        {"Source": src, "DetailType": "x"},
        {"Source": src, "DetailType": "x", "Detail": "[1]"},
        {"Source": src, "DetailType": "x", "Detail": "{}", "EventBusName": "nobus"},
    ])
    assert r["FailedEntryCount"] == 5
    e = r["Entries"]
    assert re.fullmatch(r"[0-9a-f-]{36}", e[0]["EventId"])
    assert e[1] == {"ErrorCode": "InvalidArgument",
                    "ErrorMessage": "Parameter Source is not valid. Reason: Source is a required argument."}
    assert e[2]["ErrorMessage"] == "Parameter DetailType is not valid. Reason: DetailType is a required argument."
    assert e[3]["ErrorMessage"] == "Parameter Detail is not valid. Reason: Detail is a required argument."
    assert e[4] == {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    assert e[5]["ErrorCode"] == "ResourceNotFoundException"
    got = drain(sqs, url)
    assert len(got) == 1
    body = json.loads(got[0]["Body"])
    assert list(body) == ["version", "id", "detail-type", "source", "account", "time", "region", "resources",
                          "detail"]
    assert body["version"] == "0" and body["id"] == e[0]["EventId"] and body["detail-type"] == "Thing"
    assert body["source"] == src and body["account"] == ACCOUNT and body["region"] == REGION
    assert body["resources"] == ["arn:x"] and body["detail"] == {"a": 1}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["time"])
    expect(ev.put_events, "ValidationException", "Total size of the entries in the request is over the limit.",
           Entries=[{"Source": src, "DetailType": "x", "Detail": json.dumps({"p": "x" * 300_000})}])
    expect(ev.put_events, "ValidationException", re.compile("length less than or equal to 10"),
           Entries=[{"Source": src, "DetailType": "x", "Detail": "{}"}] * 11)


def test_input_path_input_and_transformer(ev, sqs):
    src = f"com.shop.{uid()}"
    rule = f"tx-{uid()}"
    ev.put_rule(Name=rule, EventPattern=json.dumps({"source": [src]}))
    urls = {}
    targets = []
    for kind in ("input", "path", "json", "string"):
        urls[kind], qarn = queue(sqs, f"{kind}-{uid()}")
        targets.append({"Id": kind, "Arn": qarn})
    targets[0]["Input"] = '{"fixed": true}'
    targets[1]["InputPath"] = "$.detail.order"
    targets[2]["InputTransformer"] = {
        "InputPathsMap": {"id": "$.detail.order.id", "status": "$.detail.status", "items": "$.detail.items",
                          "none": "$.detail.missing"},
        "InputTemplate": '{"order": <id>, "status": <status>, "items": <items>, "text": "order <id> is <status>", '
                         '"missing": <none>, "rule": <aws.events.rule-name>}'}
    targets[3]["InputTransformer"] = {"InputPathsMap": {"status": "$.detail.status"},
                                      "InputTemplate": '"The order is <status>"'}
    ev.put_targets(Rule=rule, Targets=targets)
    detail = {"order": {"id": "o-1", "total": 5}, "status": "shipped", "items": [1, 2]}
    assert ev.put_events(Entries=[{"Source": src, "DetailType": "Order", "Detail": json.dumps(detail)}])[
        "FailedEntryCount"] == 0
    assert json.loads(drain(sqs, urls["input"])[0]["Body"]) == {"fixed": True}
    assert json.loads(drain(sqs, urls["path"])[0]["Body"]) == {"id": "o-1", "total": 5}
    assert json.loads(drain(sqs, urls["json"])[0]["Body"]) == {
        "order": "o-1", "status": "shipped", "items": [1, 2], "text": "order o-1 is shipped", "missing": None,
        "rule": rule}
    assert drain(sqs, urls["string"])[0]["Body"] == '"The order is shipped"'
    expect(ev.put_targets, "ValidationException", re.compile("Only one of Input, InputPath, or InputTransformer"),
           Rule=rule, Targets=[{"Id": "x", "Arn": targets[0]["Arn"], "Input": "{}", "InputPath": "$"}])
    expect(ev.put_targets, "ValidationException", re.compile("InputPathsMap is not valid"),
           Rule=rule, Targets=[{"Id": "x", "Arn": targets[0]["Arn"],
                                "InputTransformer": {"InputPathsMap": {"a": "detail"}, "InputTemplate": "<a>"}}])


def test_fifo_queue_sns_fanout_and_bus_to_bus(ev, sqs, sns):
    src = f"com.fan.{uid()}"
    fifo_url, fifo_arn = queue(sqs, f"orders-{uid()}.fifo", FifoQueue="true")
    topic = sns.create_topic(Name=f"orders-{uid()}")["TopicArn"]
    fan = []
    for i in range(2):
        u, a = queue(sqs, f"fan{i}-{uid()}")
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=a, Attributes={"RawMessageDelivery": "true"})
        fan.append(u)
    other = f"other-{uid()}"
    other_arn = ev.create_event_bus(Name=other)["EventBusArn"]
    other_url, other_q = queue(sqs, f"otherq-{uid()}")
    ev.put_rule(Name="on-other", EventBusName=other, EventPattern=json.dumps({"source": [src]}))
    ev.put_targets(Rule="on-other", EventBusName=other_arn, Targets=[{"Id": "q", "Arn": other_q}])
    rule = f"fan-{uid()}"
    ev.put_rule(Name=rule, EventPattern=json.dumps({"source": [src]}))
    ev.put_targets(Rule=rule, Targets=[
        {"Id": "fifo", "Arn": fifo_arn, "SqsParameters": {"MessageGroupId": "orders"}},
        {"Id": "topic", "Arn": topic},
        {"Id": "bus", "Arn": other_arn},
    ])
    ids = []
    for i in range(3):
        r = ev.put_events(Entries=[{"Source": src, "DetailType": "Order", "Detail": json.dumps({"n": i})}])
        assert r["FailedEntryCount"] == 0
        ids.append(r["Entries"][0]["EventId"])
    got = drain(sqs, fifo_url, want=3)
    assert [json.loads(m["Body"])["detail"]["n"] for m in got] == [0, 1, 2]
    for u in fan:
        assert sorted(json.loads(m["Body"])["id"] for m in drain(sqs, u, want=3)) == sorted(ids)
    assert sorted(json.loads(m["Body"])["id"] for m in drain(sqs, other_url, want=3)) == sorted(ids)


def test_dead_letter_queue_gets_what_cannot_be_delivered(ev, sqs):
    src = f"com.dlq.{uid()}"
    dlq_url, dlq_arn = queue(sqs, f"dlq-{uid()}")
    rule = f"dl-{uid()}"
    ev.put_rule(Name=rule, EventPattern=json.dumps({"source": [src]}))
    gone = f"arn:aws:sqs:{REGION}:{ACCOUNT}:no-such-queue-{uid()}"
    lam = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f"
    ev.put_targets(Rule=rule, Targets=[
        {"Id": "gone", "Arn": gone, "DeadLetterConfig": {"Arn": dlq_arn}},
        {"Id": "lambda", "Arn": lam, "DeadLetterConfig": {"Arn": dlq_arn}}])
    r = ev.put_events(Entries=[{"Source": src, "DetailType": "x", "Detail": '{"k": "v"}'}])
    assert r["FailedEntryCount"] == 0
    got = drain(sqs, dlq_url, want=2, attributes=True)
    assert len(got) == 2
    by_target = {m["MessageAttributes"]["TARGET_ARN"]["StringValue"]: m for m in got}
    assert set(by_target) == {gone, lam}
    m = by_target[gone]
    assert json.loads(m["Body"])["id"] == r["Entries"][0]["EventId"]
    attrs = m["MessageAttributes"]
    assert attrs["RULE_ARN"]["StringValue"].endswith(f":rule/{rule}")
    assert attrs["ERROR_CODE"]["StringValue"]
    assert attrs["RETRY_ATTEMPTS"]["StringValue"] == "0"


def test_scheduled_rule_fires_on_the_adjustable_clock(srv, ev, sqs):
    url, arn = queue(sqs, f"sched-{uid()}")
    rule = f"every-{uid()}"
    rule_arn = ev.put_rule(Name=rule, ScheduleExpression="rate(5 minutes)")["RuleArn"]
    ev.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": arn}])
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages") is None
    srv.advance_clock(5 * 60 + 1)
    got = drain(sqs, url)
    assert len(got) == 1
    body = json.loads(got[0]["Body"])
    assert body["detail-type"] == "Scheduled Event" and body["source"] == "aws.events"
    assert body["resources"] == [rule_arn] and body["detail"] == {}
    ev.disable_rule(Name=rule)
    srv.advance_clock(10 * 60)
    assert drain(sqs, url, tries=2) == []


def test_rules_survive_a_restart(tmp_path):
    s = Sluice(tmp_path, "", data_dir=tmp_path / "data")
    try:
        ev, sqs = client(s.endpoint, "events"), client(s.endpoint, "sqs")
        url, arn = queue(sqs, "keep")
        ev.create_event_bus(Name="kept")
        ev.put_rule(Name="r", EventBusName="kept", EventPattern='{"source": ["a"]}')
        ev.put_targets(Rule="r", EventBusName="kept", Targets=[{"Id": "q", "Arn": arn}])
        ev.put_permission(EventBusName="kept", Action="events:PutEvents", Principal="111122223333",
                          StatementId="s1")
        s.proc.send_signal(signal.SIGKILL)
        s.proc.wait(5)
        s.log.close()
        s.start()
        ev, sqs = client(s.endpoint, "events"), client(s.endpoint, "sqs")
        policy = json.loads(ev.describe_event_bus(Name="kept")["Policy"])
        assert policy["Statement"][0]["Sid"] == "s1"
        assert policy["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
        ev.put_events(Entries=[{"Source": "a", "DetailType": "x", "Detail": "{}", "EventBusName": "kept"}])
        assert len(drain(sqs, url)) == 1
        ev.remove_permission(EventBusName="kept", StatementId="s1")
        assert "Policy" not in ev.describe_event_bus(Name="kept")
        expect(ev.remove_permission, "ResourceNotFoundException", "EventBus does not have a policy.",
               EventBusName="kept", StatementId="s1")
    finally:
        s.stop()


# ---- the cross-account flow (auth "sigv4") --------------------------------------------

A, B, C = "111111111111", "222222222222", "333333333333"
KEYS = {A: ("AKIDEVENTSA", "secret-a"), B: ("AKIDEVENTSB", "secret-b"), C: ("AKIDEVENTSC", "secret-c")}


def auth_config():
    lines = ["[auth]", 'mode = "sigv4"', f'region = "{REGION}"', f'accounts = ["{A}", "{B}", "{C}"]', ""]
    policy = json.dumps({"Version": "2012-10-17",
                         "Statement": [{"Effect": "Allow", "Action": ["events:*", "sqs:*", "sns:*"],
                                        "Resource": "*"}]})
    for account, (akid, secret) in KEYS.items():
        lines += ["[[auth.users]]", f'name = "admin{account[0]}"', f'account = "{account}"',
                  f'access_key_id = "{akid}"', f'secret_access_key = "{secret}"', f"policies = [{json.dumps(policy)}]",
                  ""]
    return "\n".join(lines)


def test_cross_account_orders_flow_survives_kill_9(tmp_path):
    s = Sluice(tmp_path, auth_config(), data_dir=tmp_path / "data")
    try:
        def c(account, service):
            return client(s.endpoint, service, *KEYS[account])
        ev_a, sqs_a, sns_a = c(A, "events"), c(A, "sqs"), c(A, "sns")
        bus_arn = ev_a.create_event_bus(Name="orders")["EventBusArn"]
        ev_a.put_permission(EventBusName="orders", Policy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Sid": "from-b", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:root"},
                           "Action": "events:PutEvents", "Resource": bus_arn}]}))
        rule_arn = ev_a.put_rule(Name="shipped", EventBusName="orders", EventPattern=json.dumps(
            {"source": [{"prefix": "com.partner."}], "detail": {"status": ["shipped"]}}))["RuleArn"]

        def allow_events(url, arn):
            sqs_a.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": ["events.amazonaws.com", "sns.amazonaws.com"]},
                               "Action": "sqs:SendMessage", "Resource": arn}]})})

        fifo_url = sqs_a.create_queue(QueueName="shipped.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        fifo_arn = f"arn:aws:sqs:{REGION}:{A}:shipped.fifo"
        allow_events(fifo_url, fifo_arn)
        topic = sns_a.create_topic(Name="shipped")["TopicArn"]
        fan = []
        for name in ("billing", "mail"):
            u = sqs_a.create_queue(QueueName=name)["QueueUrl"]
            a = f"arn:aws:sqs:{REGION}:{A}:{name}"
            allow_events(u, a)
            sns_a.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=a, Attributes={"RawMessageDelivery": "true"})
            fan.append(u)
        transformer = {"InputPathsMap": {"id": "$.detail.id", "source": "$.source"},
                       "InputTemplate": '{"order": <id>, "from": <source>}'}
        ev_a.put_targets(Rule="shipped", EventBusName="orders", Targets=[
            {"Id": "fifo", "Arn": fifo_arn, "SqsParameters": {"MessageGroupId": "orders"},
             "InputTransformer": transformer},
            {"Id": "topic", "Arn": topic, "InputTransformer": transformer}])

        ev_b, ev_c = c(B, "events"), c(C, "events")

        def put(events_client, i, status="shipped"):
            return events_client.put_events(Entries=[{
                "Source": "com.partner.orders", "DetailType": "Order", "EventBusName": bus_arn,
                "Detail": json.dumps({"id": f"o-{i}", "status": status})}])

        refused = put(ev_c, 0)
        assert refused["FailedEntryCount"] == 1 and refused["Entries"][0]["ErrorCode"] == "AccessDeniedException"
        answered = []
        for i in range(10):
            assert put(ev_b, i)["FailedEntryCount"] == 0
            answered.append(f"o-{i}")
        assert put(ev_b, 99, status="pending")["FailedEntryCount"] == 0  # no match
        # kill -9 mid-way, restart on the same data, continue.
        s.proc.send_signal(signal.SIGKILL)
        s.proc.wait(5)
        s.log.close()
        s.start()
        ev_b, sqs_a = client(s.endpoint, "events", *KEYS[B]), client(s.endpoint, "sqs", *KEYS[A])
        for i in range(10, 20):
            assert put(ev_b, i)["FailedEntryCount"] == 0
            answered.append(f"o-{i}")
        fifo = [json.loads(m["Body"]) for m in drain(sqs_a, fifo_url, want=20, tries=20)]
        assert [m["order"] for m in fifo] == answered
        assert all(m["from"] == "com.partner.orders" for m in fifo)
        for u in fan:
            got = sorted(json.loads(m["Body"])["order"] for m in drain(sqs_a, u, want=20, tries=20))
            assert got == sorted(answered)
        assert rule_arn == f"arn:aws:events:{REGION}:{A}:rule/orders/shipped"
    finally:
        s.stop()
