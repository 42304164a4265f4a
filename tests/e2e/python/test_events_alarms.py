"""CloudWatch alarm state changes on EventBridge's default bus, with boto3: a rule on the default bus matching
"aws.cloudwatch" / "CloudWatch Alarm State Change" for one alarm delivers AWS's event shape to a queue."""
import json

from conftest import REGION, Sluice
from test_events import ACCOUNT, client, drain, queue, uid


def test_alarm_state_change_reaches_a_rule_on_the_default_bus(tmp_path):
    s = Sluice(tmp_path, "")
    try:
        ev, sqs, cw = client(s.endpoint, "events"), client(s.endpoint, "sqs"), client(s.endpoint, "cloudwatch")
        alarm = "cpu-" + uid()
        url, arn = queue(sqs, "alarms-" + uid())
        rule = "alarms-" + uid()
        ev.put_rule(Name=rule, EventPattern=json.dumps({
            "source": ["aws.cloudwatch"], "detail-type": ["CloudWatch Alarm State Change"],
            "detail": {"alarmName": [alarm], "state": {"value": ["ALARM"]}}}))
        ev.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": arn}])
        cw.put_metric_alarm(AlarmName=alarm, AlarmDescription="too busy", Namespace="App", MetricName="Cpu",
                            Dimensions=[{"Name": "Host", "Value": "h1"}], Statistic="Average", Period=60,
                            EvaluationPeriods=1, Threshold=90, ComparisonOperator="GreaterThanThreshold")
        cw.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="testing",
                           StateReasonData=json.dumps({"x": 1}))
        (m,) = drain(sqs, url, want=1)
        e = json.loads(m["Body"])
        assert e["source"] == "aws.cloudwatch" and e["detail-type"] == "CloudWatch Alarm State Change"
        assert e["account"] == ACCOUNT and e["region"] == REGION
        assert e["resources"] == [f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{alarm}"]
        d = e["detail"]
        assert d["alarmName"] == alarm
        assert d["state"]["value"] == "ALARM" and d["state"]["reason"] == "testing"
        assert json.loads(d["state"]["reasonData"]) == {"x": 1}
        assert d["state"]["timestamp"].endswith("+0000")
        assert d["previousState"]["value"] == "INSUFFICIENT_DATA"
        assert d["configuration"]["description"] == "too busy"
        (metric,) = d["configuration"]["metrics"]
        assert metric["metricStat"] == {"metric": {"namespace": "App", "name": "Cpu", "dimensions": {"Host": "h1"}},
                                        "period": 60, "stat": "Average"}
        assert metric["returnData"] is True
        # Back to OK: the rule's pattern wants ALARM only.
        cw.set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="fine")
        assert drain(sqs, url, want=1, tries=2) == []
    finally:
        s.stop()
