"""The control-plane records of every service on PostgreSQL, shared by the nodes (docs/postgres.md):
with boto3, two nodes with sigv4 auth and one master key on one database, a record written through
one node is used through the other at once, and survives the nodes' restart.

SLUICE_PG_URL names an empty database (tests/e2e/postgres/run.sh creates one); SLUICE_BIN the binary.
"""
import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid

import pytest

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

PG_URL = os.environ.get("SLUICE_PG_URL", "")
BIN = os.environ.get("SLUICE_BIN", "")
pytestmark = pytest.mark.skipif(not PG_URL, reason="SLUICE_PG_URL is not set")

ACCOUNT = "111111111111"
ADMIN = ("AKIDSHAREDADMIN", "shared-admin-secret")
MASTER_KEY = "42" * 32


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def eventually(check, timeout=5.0):
    """check() until it passes: caches learn of another node's change through NOTIFY, milliseconds
    after the change was answered (docs/postgres.md); bounded, so a change never seen still fails."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except (AssertionError, ClientError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class Node:
    def __init__(self, config):
        self.port, self.admin = _free_port(), _free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="sluice-pg-shared-", suffix=".log", delete=False)
        env = dict(os.environ, SLUICE_MASTER_KEY=MASTER_KEY)
        self.proc = subprocess.Popen(
            [BIN, "serve", "--config", config, "--listen", f"127.0.0.1:{self.port}",
             "--admin-listen", f"127.0.0.1:{self.admin}", "--backend", "postgres", "--postgres-url", PG_URL,
             "--log-level", "warn"],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 20
        while True:
            assert self.proc.poll() is None, f"node exited: {open(self.log.name).read()[-2000:]}"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.admin}/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "node did not become healthy"
            time.sleep(0.05)

    def client(self, service, key=ADMIN):
        return boto3.client(service, endpoint_url=f"http://127.0.0.1:{self.port}", region_name="us-east-1",
                            aws_access_key_id=key[0], aws_secret_access_key=key[1],
                            config=Config(retries={"max_attempts": 0}, read_timeout=30))

    def stop(self):
        if self.proc.poll() is not None and self.log.closed:
            return  # stopped already
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.log.close()
        os.unlink(self.log.name)


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    d = tmp_path_factory.mktemp("shared")
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    (d / "sluice.toml").write_text("\n".join([
        "[auth]", 'mode = "sigv4"', 'region = "us-east-1"', f'accounts = ["{ACCOUNT}"]', "",
        "[[auth.users]]", 'name = "admin"', f'account = "{ACCOUNT}"', f'access_key_id = "{ADMIN[0]}"',
        f'secret_access_key = "{ADMIN[1]}"', f"policies = [{json.dumps(policy)}]", ""]))
    return str(d / "sluice.toml")


@pytest.fixture(scope="module")
def nodes(config):
    a, b = Node(config), Node(config)
    yield a, b
    a.stop()
    b.stop()


def test_alarms_metrics_and_rules_are_shared(nodes):
    a, b = nodes
    tag = uuid.uuid4().hex[:8]
    # CloudWatch: an alarm made on A is described on B; datapoints put through both nodes add up.
    cw_a, cw_b = a.client("cloudwatch"), b.client("cloudwatch")
    cw_a.put_metric_alarm(AlarmName=f"shared-{tag}", Namespace=f"Shared/{tag}", MetricName="M",
                          Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=100,
                          ComparisonOperator="GreaterThanThreshold")
    def described():
        names = [x["AlarmName"] for x in cw_b.describe_alarms(AlarmNamePrefix=f"shared-{tag}")["MetricAlarms"]]
        assert names == [f"shared-{tag}"]
    eventually(described)
    now = time.time()
    cw_a.put_metric_data(Namespace=f"Shared/{tag}", MetricData=[{"MetricName": "M", "Value": 2, "Timestamp": now}])
    cw_b.put_metric_data(Namespace=f"Shared/{tag}", MetricData=[{"MetricName": "M", "Value": 3, "Timestamp": now}])
    for cw in (cw_a, cw_b):
        def summed():
            points = cw.get_metric_statistics(Namespace=f"Shared/{tag}", MetricName="M", StartTime=now - 600,
                                              EndTime=now + 600, Period=60, Statistics=["Sum", "SampleCount"])
            assert [(p["Sum"], p["SampleCount"]) for p in points["Datapoints"]] == [(5.0, 2.0)]
        eventually(summed)
    cw_b.delete_alarms(AlarmNames=[f"shared-{tag}"])

    def deleted():
        assert cw_a.describe_alarms(AlarmNamePrefix=f"shared-{tag}")["MetricAlarms"] == []
    eventually(deleted)

    # EventBridge: a rule and a queue target made on A route an event put on B (whose index of the
    # default bus was loaded before the rule existed).
    sqs_a = a.client("sqs")
    queue_url = sqs_a.create_queue(QueueName=f"events-{tag}")["QueueUrl"]
    queue_arn = sqs_a.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    b.client("events").put_events(Entries=[{"Source": f"shared.{tag}", "DetailType": "t", "Detail": "{}"}])
    events_a = a.client("events")
    rule_arn = events_a.put_rule(Name=f"shared-{tag}", EventPattern=json.dumps({"source": [f"shared.{tag}"]}))["RuleArn"]
    sqs_a.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
            "Resource": queue_arn, "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}}]})})
    events_a.put_targets(Rule=f"shared-{tag}", Targets=[{"Id": "q", "Arn": queue_arn}])

    def routed():
        b.client("events").put_events(Entries=[{"Source": f"shared.{tag}", "DetailType": "t", "Detail": '{"n": 1}'}])
        msgs = sqs_a.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1).get("Messages", [])
        assert len(msgs) == 1 and json.loads(msgs[0]["Body"])["detail"] == {"n": 1}
    eventually(routed)


def test_records_written_on_one_node_are_used_on_the_other_and_survive_restart(config, nodes):
    a, b = nodes
    tag = uuid.uuid4().hex[:8]
    # SSM: a String and a SecureString (under AWS's managed key alias/aws/ssm) put on A, read on B.
    a.client("ssm").put_parameter(Name=f"/shared/{tag}/plain", Value="v1", Type="String")
    a.client("ssm").put_parameter(Name=f"/shared/{tag}/secret", Value="s3cret", Type="SecureString")
    assert b.client("ssm").get_parameter(Name=f"/shared/{tag}/plain")["Parameter"]["Value"] == "v1"
    got = b.client("ssm").get_parameter(Name=f"/shared/{tag}/secret", WithDecryption=True)["Parameter"]
    assert got["Value"] == "s3cret"
    b.client("ssm").put_parameter(Name=f"/shared/{tag}/plain", Value="v2", Type="String", Overwrite=True)
    assert a.client("ssm").get_parameter(Name=f"/shared/{tag}/plain")["Parameter"]["Version"] == 2

    # KMS: a key made on A encrypts on B and decrypts on A; an alias made on B resolves on A.
    key_id = a.client("kms").create_key(Description=f"shared {tag}")["KeyMetadata"]["KeyId"]
    blob = b.client("kms").encrypt(KeyId=key_id, Plaintext=b"across nodes")["CiphertextBlob"]
    assert a.client("kms").decrypt(CiphertextBlob=blob)["Plaintext"] == b"across nodes"
    b.client("kms").create_alias(AliasName=f"alias/shared-{tag}", TargetKeyId=key_id)
    assert a.client("kms").describe_key(KeyId=f"alias/shared-{tag}")["KeyMetadata"]["KeyId"] == key_id

    # SNS: a topic and a queue subscription made on A; a publish on B lands in the queue.
    sqs_a = a.client("sqs")
    queue_url = sqs_a.create_queue(QueueName=f"shared-{tag}")["QueueUrl"]
    queue_arn = sqs_a.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic_arn = a.client("sns").create_topic(Name=f"shared-{tag}")["TopicArn"]
    sqs_a.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
            "Resource": queue_arn, "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}}}]})})
    # B has published to the topic before the subscription exists: its index of the topic is loaded.
    b.client("sns").publish(TopicArn=topic_arn, Message="before")
    a.client("sns").subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn,
                              Attributes={"RawMessageDelivery": "true"})

    def delivered():
        b.client("sns").publish(TopicArn=topic_arn, Message=f"hello {tag}")
        msgs = sqs_a.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1).get("Messages", [])
        assert [m["Body"] for m in msgs] == [f"hello {tag}"]
        sqs_a.delete_message(QueueUrl=queue_url, ReceiptHandle=msgs[0]["ReceiptHandle"])
    eventually(delivered)
    assert b.client("sns").list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"][0]["Endpoint"] == queue_arn

    # IAM: a user and its access key made on A sign requests on B; the key deleted on A is refused on B.
    iam_a = a.client("iam")
    iam_a.create_user(UserName=f"u-{tag}")
    iam_a.put_user_policy(UserName=f"u-{tag}", PolicyName="queues", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:ListQueues", "Resource": "*"}]}))
    created = iam_a.create_access_key(UserName=f"u-{tag}")["AccessKey"]
    user_key = (created["AccessKeyId"], created["SecretAccessKey"])
    eventually(lambda: b.client("sqs", user_key).list_queues())  # B hears of the key
    assert any(u.endswith(f"/shared-{tag}") for u in b.client("sqs", user_key).list_queues()["QueueUrls"])
    with pytest.raises(ClientError) as e:  # its policy allows nothing else, on either node
        b.client("sqs", user_key).create_queue(QueueName=f"denied-{tag}")
    assert e.value.response["Error"]["Code"] in ("AccessDenied", "AccessDeniedException")
    second = iam_a.create_access_key(UserName=f"u-{tag}")["AccessKey"]
    iam_a.delete_access_key(UserName=f"u-{tag}", AccessKeyId=created["AccessKeyId"])

    def refused():
        try:
            b.client("sqs", user_key).list_queues()
        except ClientError as e:
            assert e.response["Error"]["Code"] == "InvalidClientTokenId"
            return
        raise AssertionError("the deleted key is still accepted on B")
    eventually(refused)
    user_key = (second["AccessKeyId"], second["SecretAccessKey"])

    # Every node stopped; a new one on the same database has it all.
    a.stop()
    b.stop()
    c = Node(config)
    nodes_after = [c]
    try:
        assert c.client("ssm").get_parameter(Name=f"/shared/{tag}/plain")["Parameter"]["Value"] == "v2"
        got = c.client("ssm").get_parameter(Name=f"/shared/{tag}/secret", WithDecryption=True)["Parameter"]
        assert got["Value"] == "s3cret"
        assert c.client("kms").decrypt(CiphertextBlob=blob)["Plaintext"] == b"across nodes"
        c.client("sns").publish(TopicArn=topic_arn, Message=f"after {tag}")
        url_c = f"http://127.0.0.1:{c.port}/" + queue_url.split("/", 3)[3]
        msgs = c.client("sqs").receive_message(QueueUrl=url_c, WaitTimeSeconds=10)["Messages"]
        assert [m["Body"] for m in msgs] == [f"after {tag}"]
        assert any(u.endswith(f"/shared-{tag}") for u in c.client("sqs", user_key).list_queues()["QueueUrls"])
    finally:
        for n in nodes_after:
            n.stop()
