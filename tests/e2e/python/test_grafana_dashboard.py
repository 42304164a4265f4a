"""The Grafana dashboard shipped in packaging/grafana: every metric its panels and variables query
is one the server exports on GET /metrics (parsed with Debian's python3-prometheus-client), with
every label the dashboard filters on, once a queue, a topic and an alarm exist."""
import json
import re
import urllib.request
import uuid

import boto3
from prometheus_client import parser

from conftest import REPO
from test_cloudwatch import cw, sqs, srv  # noqa: F401 (fixtures)

DASHBOARD = REPO / "packaging" / "grafana" / "sluice-dashboard.json"
METRIC = re.compile(r"\b(sluice_[a-z0-9_]+)")
LABEL = re.compile(r"\b([a-z_]+)=~?\"")


def _queries(dashboard):
    """Every PromQL expression of the dashboard: panel targets and query variables."""
    out = []
    for panel in dashboard["panels"]:
        out += [t["expr"] for t in panel.get("targets", [])]
    for v in dashboard["templating"]["list"]:
        if v["type"] == "query":
            out.append(v["query"]["query"] if isinstance(v["query"], dict) else v["query"])
    return out


def test_dashboard_queries_only_exported_metrics(srv, cw, sqs):  # noqa: F811
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] and dashboard["panels"]
    name = f"graf-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    sns = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                region_name="us-east-1").client("sns", endpoint_url=srv.endpoint)
    sns.publish(TopicArn=sns.create_topic(Name=name)["TopicArn"], Message="x")
    cw.put_metric_alarm(AlarmName=name, Namespace="App", MetricName="M", Statistic="Sum", Period=60,
                        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")
    with urllib.request.urlopen(f"http://127.0.0.1:{srv.admin}/metrics", timeout=5) as r:
        text = r.read().decode()
    assert list(parser.text_string_to_metric_families(text))  # a valid exposition
    # Names and labels as exposed (the parser renames counters whose names end in _sum/_count).
    labels_of = {}
    for line in text.splitlines():
        m = re.match(r"(sluice_[a-z0-9_]+)(?:\{(.*)\})? ", line)
        if m:
            labels_of.setdefault(m.group(1), set()).update(re.findall(r'([a-z_]+)="', m.group(2) or ""))
    queries = _queries(dashboard)
    used = {m for q in queries for m in METRIC.findall(q)}
    assert len(used) >= 10, used
    missing = sorted(m for m in used if m not in labels_of)
    assert not missing, f"the dashboard queries metrics the server does not export: {missing}"
    for q in queries:
        for metric in METRIC.findall(q):
            selector = q[q.index(metric) + len(metric):]
            if selector.startswith("{"):
                wanted = set(LABEL.findall(selector[:selector.index("}")]))
                assert wanted <= labels_of[metric], (metric, wanted - labels_of[metric])
    # Every metric documented in docs/metrics.md that the dashboard could show is shown.
    documented = set(METRIC.findall((REPO / "docs" / "metrics.md").read_text()))
    assert documented <= used | {"sluice_"}, sorted(documented - used)
    cw.delete_alarms(AlarmNames=[name])
