"""Provisioning from sluice.toml (docs/provisioning.md), seen by boto3: the storefront example's
queues, dead-letter pairing, tags and SSM parameters exist after a start; a restart with an edited
file updates them; a file that cannot be applied stops the start with its file and line; `sluice
plan` prints what a start would change."""
import json
import os
import re
import subprocess
import time
import urllib.request

import boto3
import pytest
from botocore.config import Config

from conftest import ACCOUNT, REGION, REPO, Sluice, _free_port

CFG = Config(retries={"total_max_attempts": 1, "mode": "standard"})
EXAMPLE = (REPO / "examples" / "storefront.toml").read_text()
BINARY = os.environ.get("SLUICE_BIN") or str(REPO / "build" / "sluice")


def clients(endpoint):
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION)
    return (session.client("sqs", endpoint_url=endpoint, config=CFG),
            session.client("ssm", endpoint_url=endpoint, config=CFG),
            session.client("sns", endpoint_url=endpoint, config=CFG))


@pytest.fixture
def storefront(tmp_path):
    srv = Sluice(tmp_path, EXAMPLE, data_dir=tmp_path / "data")
    yield srv
    srv.stop()


def attributes(sqs, url):
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]


def test_storefront_exists_after_start(storefront):
    sqs, ssm, sns = clients(storefront.endpoint)
    for env, timeout in (("dev", "30"), ("prod", "60")):
        # The application finds its queue through SSM, as on AWS.
        url = ssm.get_parameter(Name=f"/storefront-{env}/sqs/domain-queue-url")["Parameter"]["Value"]
        assert url == f"{storefront.endpoint}/{ACCOUNT}/storefront-{env}-domain-operations"
        dlq = ssm.get_parameter(Name=f"/storefront-{env}/sqs/domain-dlq-url")["Parameter"]["Value"]
        attrs = attributes(sqs, url)
        assert attrs["VisibilityTimeout"] == timeout
        assert attrs["ReceiveMessageWaitTimeSeconds"] == "20"
        assert json.loads(attrs["RedrivePolicy"]) == {
            "deadLetterTargetArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:storefront-{env}-domain-operations-dlq",
            "maxReceiveCount": 3}
        assert attributes(sqs, dlq)["MessageRetentionPeriod"] == "1209600"
        assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"app": "storefront", "env": env}
        assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [url]
    prod = ssm.get_parameter(Name="/storefront-prod/sqs/domain-queue-url")["Parameter"]["Value"]
    assert attributes(sqs, prod)["KmsMasterKeyId"] == "alias/storefront-prod"
    secret = ssm.get_parameter(Name="/storefront-prod/db/password", WithDecryption=True)["Parameter"]
    assert (secret["Type"], secret["Value"]) == ("SecureString", "change-me")
    sqs.send_message(QueueUrl=prod, MessageBody="encrypted at rest")
    assert sqs.receive_message(QueueUrl=prod, WaitTimeSeconds=1)["Messages"][0]["Body"] == "encrypted at rest"
    # The topic delivers order events to the dev queue, raw, filtered by kind.
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:storefront-order-events"
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["DisplayName"] == "Storefront orders"
    dev = ssm.get_parameter(Name="/storefront-dev/sqs/domain-queue-url")["Parameter"]["Value"]
    sns.publish(TopicArn=topic, Message="ignored", MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "inventory"}})
    sns.publish(TopicArn=topic, Message="order 42", MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "order-placed"}})
    got = sqs.receive_message(QueueUrl=dev, WaitTimeSeconds=5, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["order 42"]


def test_alarm_and_rule_exist_after_start(storefront):
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION)
    cw = session.client("cloudwatch", endpoint_url=storefront.endpoint, config=CFG)
    events = session.client("events", endpoint_url=storefront.endpoint, config=CFG)
    alarm = cw.describe_alarms(AlarmNames=["storefront-prod-dlq-not-empty"])["MetricAlarms"][0]
    assert alarm["AlarmActions"] == [f"arn:aws:sns:{REGION}:{ACCOUNT}:storefront-alerts"]
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": "storefront-prod-domain-operations-dlq"}]
    assert alarm["Threshold"] == 0.0 and alarm["ComparisonOperator"] == "GreaterThanThreshold"
    rule = events.describe_rule(Name="storefront-prod-order-placed")
    assert json.loads(rule["EventPattern"]) == {"source": ["storefront"], "detail-type": ["OrderPlaced"]}
    targets = events.list_targets_by_rule(Rule="storefront-prod-order-placed")["Targets"]
    assert [t["Arn"] for t in targets] == [f"arn:aws:sqs:{REGION}:{ACCOUNT}:storefront-prod-domain-operations"]
    iam = session.client("iam", endpoint_url=storefront.endpoint, config=CFG)
    assert iam.get_user(UserName="storefront-worker")["User"]["UserName"] == "storefront-worker"
    attached = iam.list_attached_user_policies(UserName="storefront-worker")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [f"arn:aws:iam::{ACCOUNT}:policy/storefront-queues"]
    assert iam.list_user_policies(UserName="storefront-worker")["PolicyNames"] == ["read-parameters"]
    # An event reaches the queue through the provisioned rule.
    events.put_events(Entries=[{"Source": "storefront", "DetailType": "OrderPlaced", "Detail": '{"order": 7}'}])
    sqs, ssm, _ = clients(storefront.endpoint)
    prod = ssm.get_parameter(Name="/storefront-prod/sqs/domain-queue-url")["Parameter"]["Value"]
    body = json.loads(sqs.receive_message(QueueUrl=prod, WaitTimeSeconds=5)["Messages"][0]["Body"])
    assert body["detail"] == {"order": 7}


def test_restart_with_an_edited_file_updates_it(storefront):
    edited = EXAMPLE.replace("VisibilityTimeout = 30, ReceiveMessageWaitTimeSeconds = 20",
                             "VisibilityTimeout = 120")
    edited = edited.replace('tags = { app = "storefront", env = "dev" }\nurl_parameter = "/storefront-dev/sqs/domain-queue-url"',
                            'tags = { app = "storefront", env = "dev", team = "checkout" }\n'
                            'url_parameter = "/storefront-dev/sqs/domain-queue-url"')
    assert edited.count("team") == 1
    (storefront.dir / "sluice.toml").write_text(edited)
    storefront.restart()
    sqs, ssm, _ = clients(storefront.endpoint)
    url = ssm.get_parameter(Name="/storefront-dev/sqs/domain-queue-url")["Parameter"]["Value"]
    # The restart listens on another port: the parameter follows the queue's URL.
    assert url == f"{storefront.endpoint}/{ACCOUNT}/storefront-dev-domain-operations"
    attrs = attributes(sqs, url)
    assert attrs["VisibilityTimeout"] == "120"
    assert attrs["ReceiveMessageWaitTimeSeconds"] == "0"  # removed from the file: back to the default
    assert "RedrivePolicy" in attrs
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"app": "storefront", "env": "dev", "team": "checkout"}
    log = (storefront.dir / "sluice.log").read_text()
    assert "provisioning stopped" not in log


def test_prune_deletes_what_is_not_declared(storefront):
    sqs, _, _ = clients(storefront.endpoint)
    extra = sqs.create_queue(QueueName="made-by-hand")["QueueUrl"]
    storefront.restart()
    sqs, _, _ = clients(storefront.endpoint)
    assert any(u.endswith("/made-by-hand") for u in sqs.list_queues()["QueueUrls"])  # left alone
    (storefront.dir / "sluice.toml").write_text(EXAMPLE.replace("# prune = true ", "prune = [\"queues\"] "))
    storefront.restart()
    sqs, _, _ = clients(storefront.endpoint)
    names = sorted(u.rsplit("/", 1)[1] for u in sqs.list_queues()["QueueUrls"])
    assert names == sorted(["storefront-dev-domain-operations", "storefront-dev-domain-operations-dlq",
                            "storefront-prod-domain-operations", "storefront-prod-domain-operations-dlq"])
    assert extra


def run_serve(tmp_path, text):
    (tmp_path / "sluice.toml").write_text(text)
    return subprocess.run([BINARY, "serve", "--config", str(tmp_path / "sluice.toml"), "--ephemeral",
                           "--listen", f"127.0.0.1:{_free_port()}", "--admin-listen", "off"],
                          capture_output=True, text=True, timeout=30)


def test_a_bad_file_stops_the_start_with_file_and_line(tmp_path):
    bad = EXAMPLE.replace("VisibilityTimeout = 60,", "VisibilityTimeout = 99999,")
    line = next(i for i, text in enumerate(bad.splitlines(), 1) if "storefront-prod-domain-operations\"" in text)
    done = run_serve(tmp_path, bad)
    assert done.returncode == 2
    out = done.stdout + done.stderr
    assert (f"{tmp_path}/sluice.toml:{line - 1}: queue 'storefront-prod-domain-operations' "
            f"({ACCOUNT} {REGION}): InvalidAttributeValue: Invalid value for the parameter VisibilityTimeout.") in out
    # A typo is an error too, at its line.
    done = run_serve(tmp_path, "[[provision.queues]]\nname = \"a\"\nvisiblity_timeout = 3\n")
    assert done.returncode == 2
    assert f"{tmp_path}/sluice.toml:3: provision.queues: unknown key 'visiblity_timeout'" in done.stdout + done.stderr


def plan(tmp_path, *args):
    return subprocess.run([BINARY, "plan", "--config", str(tmp_path / "sluice.toml"), *args],
                          capture_output=True, text=True, timeout=60)


def test_plan_shows_what_a_start_would_change(tmp_path):
    (tmp_path / "sluice.toml").write_text(EXAMPLE)
    done = plan(tmp_path, "--data-dir", str(tmp_path / "data"))
    assert done.returncode == 0, done.stderr
    assert "+ queue storefront-dev-domain-operations-dlq (000000000000 us-east-1)\n" in done.stdout
    assert done.stdout.endswith("Plan: 19 to create, 0 to update, 0 to delete, 0 unchanged.\n"), done.stdout
    srv = Sluice(tmp_path, EXAMPLE, data_dir=tmp_path / "data")
    # While the server runs, its data directory is locked: plan says so.
    done = plan(tmp_path, "--data-dir", str(tmp_path / "data"))
    assert done.returncode == 2 and "in use by a running server" in done.stderr
    srv.stop()
    (tmp_path / "sluice.toml").write_text(EXAMPLE.replace("VisibilityTimeout = 60,", "VisibilityTimeout = 90,"))
    done = plan(tmp_path, "--data-dir", str(tmp_path / "data"))
    assert done.returncode == 0, done.stderr
    assert ("~ queue storefront-prod-domain-operations (000000000000 us-east-1)\n"
            "    VisibilityTimeout: \"60\" -> \"90\"\n") in done.stdout
    (tmp_path / "sluice.toml").write_text(EXAMPLE.replace("VisibilityTimeout = 60,", "VisibilityTimeout = -1,"))
    done = plan(tmp_path, "--data-dir", str(tmp_path / "data"))
    assert done.returncode == 1
    assert re.search(r"sluice\.toml:\d+: queue 'storefront-prod-domain-operations' .*InvalidAttributeValue",
                     done.stderr), done.stderr


def time_to_ready(tmp_path, text, data_dir=None):
    (tmp_path / "sluice.toml").write_text(text)
    port, admin = _free_port(), _free_port()
    store = ["--data-dir", str(data_dir)] if data_dir else ["--ephemeral"]
    t0 = time.monotonic()
    proc = subprocess.Popen([BINARY, "serve", "--config", str(tmp_path / "sluice.toml"), "--listen",
                             f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{admin}", "--log-level", "warn",
                             *store], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        while True:
            assert proc.poll() is None, "the server exited"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{admin}/ready", timeout=1):
                    return time.monotonic() - t0
            except OSError:
                time.sleep(0.01)
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_thousand_declared_queues_start(tmp_path):
    many = "".join(f'[[provision.queues]]\nname = "q-{i:04d}"\nattributes = {{ VisibilityTimeout = 45 }}\n'
                   for i in range(1000))
    empty = time_to_ready(tmp_path, "", tmp_path / "empty")
    first = time_to_ready(tmp_path, many, tmp_path / "data")   # creates them
    again = time_to_ready(tmp_path, many, tmp_path / "data")   # all unchanged
    print(f"\ntime to ready: empty {empty:.3f} s, 1000 queues created {first:.3f} s, "
          f"1000 queues unchanged {again:.3f} s")
    assert first < 60 and again < 60
    srv = Sluice(tmp_path, many, data_dir=tmp_path / "data")
    sqs, _, _ = clients(srv.endpoint)
    assert len(sqs.list_queues(QueueNamePrefix="q-", MaxResults=1000)["QueueUrls"]) == 1000
    srv.stop()
