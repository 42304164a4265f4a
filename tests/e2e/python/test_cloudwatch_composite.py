"""CloudWatch composite alarms end to end with boto3 (both protocol passes): PutCompositeAlarm with
the AlarmRule language, evaluation when a child changes state, actions on an SNS topic a queue
subscribes, DescribeAlarms by AlarmTypes / ChildrenOfAlarmName / ParentsOfAlarmName, the history,
DeleteAlarms refusing a child still in use, and the rule's errors."""
import json
import uuid

import boto3

from test_cloudwatch import cw, expect, sqs, srv  # noqa: F401 (fixtures)


def _manual(cw, name):  # noqa: F811
    """An alarm only SetAlarmState moves (no data, missing data ignored)."""
    cw.put_metric_alarm(AlarmName=name, Namespace="Composite/Test", MetricName="Never", Statistic="Sum",
                        Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold",
                        TreatMissingData="ignore")


def test_composite_alarm(srv, cw, sqs):  # noqa: F811
    sns = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                region_name="us-east-1").client("sns", endpoint_url=srv.endpoint)
    p = f"c{uuid.uuid4().hex[:8]}"
    cpu, mem, host = f"{p}-cpu", f"{p}-mem", f"{p}-host"
    _manual(cw, cpu)
    _manual(cw, mem)
    topic = sns.create_topic(Name=f"{p}-ops")["TopicArn"]
    inbox = sqs.create_queue(QueueName=f"{p}-inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn)
    rule = f'ALARM("{cpu}") AND (ALARM({mem}) OR INSUFFICIENT_DATA({mem}))'
    cw.put_composite_alarm(AlarmName=host, AlarmRule=rule, AlarmActions=[topic], AlarmDescription="host down")

    # Only metric alarms unless AlarmTypes asks (as on AWS).
    assert host not in [a["AlarmName"] for a in cw.describe_alarms(AlarmNamePrefix=p)["MetricAlarms"]]
    assert cw.describe_alarms(AlarmNamePrefix=p)["CompositeAlarms"] == []
    (c,) = cw.describe_alarms(AlarmNames=[host], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
    assert (c["AlarmRule"], c["StateValue"], c["AlarmDescription"]) == (rule, "OK", "host down")
    assert c["AlarmArn"] == f"arn:aws:cloudwatch:us-east-1:000000000000:alarm:{host}"

    cw.set_alarm_state(AlarmName=cpu, StateValue="ALARM", StateReason="load")
    (c,) = cw.describe_alarms(AlarmNames=[host], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
    assert c["StateValue"] == "ALARM", c
    assert c["StateReason"].startswith(
        f"arn:aws:cloudwatch:us-east-1:000000000000:alarm:{cpu} transitioned to ALARM at "), c
    assert json.loads(c["StateReasonData"])["triggeringAlarms"][0]["state"]["value"] == "ALARM"
    msgs = []
    for _ in range(10):
        r = sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        msgs += [json.loads(json.loads(m["Body"])["Message"]) for m in r.get("Messages", [])]
        if msgs:
            break
    assert [(m["AlarmName"], m["NewStateValue"], m["AlarmRule"]) for m in msgs] == [(host, "ALARM", rule)]

    cw.set_alarm_state(AlarmName=mem, StateValue="OK", StateReason="fine")
    assert cw.describe_alarms(AlarmNames=[host], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"][0][
        "StateValue"] == "OK"

    # Children and parents.
    r = cw.describe_alarms(ChildrenOfAlarmName=host)
    assert sorted(a["AlarmName"] for a in r["MetricAlarms"]) == [cpu, mem]
    r = cw.describe_alarms(ParentsOfAlarmName=mem)
    assert [a["AlarmName"] for a in r["CompositeAlarms"]] == [host]
    history = cw.describe_alarm_history(AlarmName=host, HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert history and all(h["AlarmType"] == "CompositeAlarm" for h in history)
    assert "Alarm updated from OK to ALARM" in [h["HistorySummary"] for h in history]

    # A child in use cannot be deleted; with its composite it can.
    err = expect(cw.delete_alarms, "ValidationError", AlarmNames=[cpu])
    assert err["Error"]["Message"] == (f"The alarm {cpu} cannot be deleted: it is used in the alarm rule "
                                       f"of the composite alarm {host}.")
    cw.delete_alarms(AlarmNames=[host, cpu])
    assert cw.describe_alarms(AlarmNames=[host, cpu], AlarmTypes=["CompositeAlarm", "MetricAlarm"]) \
        ["MetricAlarms"] == []
    cw.delete_alarms(AlarmNames=[mem])


def test_composite_alarm_errors(srv, cw):  # noqa: F811
    p = f"e{uuid.uuid4().hex[:8]}"
    _manual(cw, f"{p}-a")
    err = expect(cw.put_composite_alarm, "ValidationError", AlarmName=f"{p}-c", AlarmRule=f"ALARM({p}-a) AND")
    assert err["Error"]["Message"] == "Error in AlarmRule [Unexpected end of the rule]"
    err = expect(cw.put_composite_alarm, "ValidationError", AlarmName=f"{p}-c", AlarmRule="()")
    assert err["Error"]["Message"] == "Error in AlarmRule [Unsupported token ')' at char 1]"
    err = expect(cw.put_composite_alarm, "ValidationError", AlarmName=f"{p}-c",
                 AlarmRule=f"ALARM({p}-a) OR OK({p}-missing)")
    assert err["Error"]["Message"] == \
        f"Could not save the composite alarm as alarms [{p}-missing] in the alarm rule do not exist"
    expect(cw.put_composite_alarm, "ValidationError", AlarmName=f"{p}-c", AlarmRule=f"ALARM({p}-c)")
    expect(cw.put_composite_alarm, "InvalidParameterCombination", AlarmName=f"{p}-c",
           AlarmRule=f"ALARM({p}-a)", ActionsSuppressorWaitPeriod=60)
    cw.put_composite_alarm(AlarmName=f"{p}-c", AlarmRule="TRUE", ActionsSuppressor=f"{p}-a",
                           ActionsSuppressorWaitPeriod=120, ActionsSuppressorExtensionPeriod=180)
    (c,) = cw.describe_alarms(AlarmNames=[f"{p}-c"], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
    assert c["StateValue"] == "ALARM" and c["ActionsSuppressorWaitPeriod"] == 120
    assert c["ActionsSuppressor"].endswith(f":alarm:{p}-a")
    cw.delete_alarms(AlarmNames=[f"{p}-c", f"{p}-a"])


def _inbox(srv, sqs, name):  # noqa: F811
    sns = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                region_name="us-east-1").client("sns", endpoint_url=srv.endpoint)
    topic = sns.create_topic(Name=name)["TopicArn"]
    inbox = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return topic, inbox


def _drain(sqs, inbox, expect=0):  # noqa: F811
    """The alarm messages in the inbox: waits (long polls) until `expect` have arrived, then takes
    whatever else is there."""
    out = []
    for _ in range(10):
        wait = 1 if len(out) < expect else 0
        r = sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10, WaitTimeSeconds=wait)
        for m in r.get("Messages", []):
            out.append(json.loads(json.loads(m["Body"])["Message"]))
            sqs.delete_message(QueueUrl=inbox, ReceiptHandle=m["ReceiptHandle"])
        if not r.get("Messages") and len(out) >= expect:
            return out
    return out


def test_composite_suppressor_periods(srv, cw, sqs):  # noqa: F811
    """ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod on the server's clock; the
    message's TriggeringChildren; ChildrenOf/ParentsOfAlarmName answer only AWS's fields."""
    p = f"s{uuid.uuid4().hex[:8]}"
    child, sup, svc = f"{p}-child", f"{p}-maint", f"{p}-svc"
    _manual(cw, child)
    _manual(cw, sup)
    topic, inbox = _inbox(srv, sqs, f"{p}-ops")
    cw.put_composite_alarm(AlarmName=svc, AlarmRule=f"ALARM({child})", AlarmActions=[topic],
                           ActionsSuppressor=sup, ActionsSuppressorWaitPeriod=120,
                           ActionsSuppressorExtensionPeriod=180)

    def svc_alarm():
        return cw.describe_alarms(AlarmNames=[svc], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"][0]

    # WaitPeriod: ALARM, actions held 120 s for the suppressor to follow; it does not: they fire.
    cw.set_alarm_state(AlarmName=child, StateValue="ALARM", StateReason="down")
    c = svc_alarm()
    assert (c["StateValue"], c["ActionsSuppressedBy"], c["ActionsSuppressedReason"]) == \
        ("ALARM", "WaitPeriod", "Actions suppressed by WaitPeriod")
    srv.advance_clock(119)
    assert "ActionsSuppressedBy" in svc_alarm() and _drain(sqs, inbox) == []
    srv.advance_clock(1)
    c = svc_alarm()
    assert "ActionsSuppressedBy" not in c, c
    (m,) = _drain(sqs, inbox, 1)
    assert (m["AlarmName"], m["NewStateValue"], m["OldStateValue"]) == (svc, "ALARM", "ALARM")
    assert m["AlarmRule"] == f"ALARM({child})"
    (t,) = m["TriggeringChildren"]
    assert t["Arn"] == f"arn:aws:cloudwatch:us-east-1:000000000000:alarm:{child}"
    assert t["State"]["Value"] == "ALARM" and t["State"]["Timestamp"].endswith("+0000")
    assert list(m)[-2:] == ["AlarmRule", "TriggeringChildren"]
    assert "Trigger" not in m and "AlarmConfigurationUpdatedTimestamp" not in m

    # The suppressor in ALARM holds the actions; after it leaves, the ExtensionPeriod (180 s).
    cw.set_alarm_state(AlarmName=child, StateValue="OK", StateReason="up")
    cw.set_alarm_state(AlarmName=sup, StateValue="ALARM", StateReason="maintenance")
    cw.set_alarm_state(AlarmName=child, StateValue="ALARM", StateReason="down")
    c = svc_alarm()
    assert (c["ActionsSuppressedBy"], c["ActionsSuppressedReason"]) == \
        ("Alarm", f"Alarm {sup} is in ALARM state")
    srv.advance_clock(600)
    assert _drain(sqs, inbox) == []
    cw.set_alarm_state(AlarmName=sup, StateValue="OK", StateReason="done")
    assert svc_alarm()["ActionsSuppressedBy"] == "ExtensionPeriod"
    srv.advance_clock(179)
    assert _drain(sqs, inbox) == [] and svc_alarm()["ActionsSuppressedBy"] == "ExtensionPeriod"
    srv.advance_clock(1)
    assert "ActionsSuppressedBy" not in svc_alarm()
    assert [m["NewStateValue"] for m in _drain(sqs, inbox, 1)] == ["ALARM"]

    # Children and parents: only the fields AWS returns there; no other filter alongside.
    r = cw.describe_alarms(ChildrenOfAlarmName=svc)
    (a,) = r["MetricAlarms"]
    assert set(a) == {"AlarmName", "AlarmArn", "StateValue", "StateUpdatedTimestamp"}, a
    assert (a["AlarmName"], a["StateValue"]) == (child, "ALARM")
    r = cw.describe_alarms(ParentsOfAlarmName=child)
    (a,) = r["CompositeAlarms"]
    assert set(a) == {"AlarmName", "AlarmArn"} and a["AlarmName"] == svc
    expect(cw.describe_alarms, "InvalidParameterCombination", ParentsOfAlarmName=child,
           AlarmTypes=["CompositeAlarm"])
    cw.delete_alarms(AlarmNames=[svc, child, sup])
