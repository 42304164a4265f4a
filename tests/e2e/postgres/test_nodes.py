"""Several Sluice nodes on one PostgreSQL database (docs/postgres.md), with Debian's boto3.

SLUICE_PG_URL names an empty database (tests/e2e/postgres/run.sh creates one); SLUICE_BIN the binary.
"""
import os
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
import uuid
from collections import defaultdict

import pytest

os.environ.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")
import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

PG_URL = os.environ.get("SLUICE_PG_URL", "")
BIN = os.environ.get("SLUICE_BIN", "")
pytestmark = pytest.mark.skipif(not PG_URL, reason="SLUICE_PG_URL is not set")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    def __init__(self):
        self.port, self.admin = _free_port(), _free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="sluice-pg-node-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [BIN, "serve", "--listen", f"127.0.0.1:{self.port}", "--admin-listen", f"127.0.0.1:{self.admin}",
             "--backend", "postgres", "--postgres-url", PG_URL, "--log-level", "warn"],
            stdout=self.log, stderr=subprocess.STDOUT)
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
        self.sqs = boto3.client("sqs", endpoint_url=f"http://127.0.0.1:{self.port}",
                                config=Config(retries={"max_attempts": 0}, read_timeout=30))

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.log.close()
        os.unlink(self.log.name)


@pytest.fixture(scope="module")
def nodes():
    a, b = Node(), Node()
    yield a, b
    a.stop()
    b.stop()


def url_on(node, url):
    """The same queue's URL as node `node` serves it."""
    return f"http://127.0.0.1:{node.port}/" + url.split("/", 3)[3]


def test_queue_made_on_one_node_is_seen_by_the_other(nodes):
    a, b = nodes
    name = f"shared-{uuid.uuid4().hex[:8]}"
    url = a.sqs.create_queue(QueueName=name)["QueueUrl"]
    assert any(u.endswith("/" + name) for u in b.sqs.list_queues(QueueNamePrefix=name)["QueueUrls"])
    b.sqs.send_message(QueueUrl=url_on(b, url), MessageBody="hello")
    got = a.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
    assert got[0]["Body"] == "hello"
    # A receipt handle from node A deletes the message through node B (one secret for all nodes).
    b.sqs.delete_message(QueueUrl=url_on(b, url), ReceiptHandle=got[0]["ReceiptHandle"])
    attrs = a.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_send_on_b_wakes_long_poll_on_a(nodes):
    a, b = nodes
    url = a.sqs.create_queue(QueueName=f"wake-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    latencies = []
    for i in range(5):
        out = {}

        def poll():
            r = a.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20, MaxNumberOfMessages=1)
            out["at"] = time.monotonic()
            out["msgs"] = r.get("Messages", [])

        t = threading.Thread(target=poll)
        t.start()
        time.sleep(0.5)  # lets the receive park on node A (not a measurement of time)
        assert "msgs" not in out
        sent = time.monotonic()
        b.sqs.send_message(QueueUrl=url_on(b, url), MessageBody=f"m{i}")
        t.join(25)
        assert out["msgs"] and out["msgs"][0]["Body"] == f"m{i}"
        latencies.append(out["at"] - sent)
        a.sqs.delete_message(QueueUrl=url, ReceiptHandle=out["msgs"][0]["ReceiptHandle"])
    # Woken by NOTIFY, not by the poll's 20 s deadline.
    assert max(latencies) < 2.0, latencies
    print(f"cross-node wake-up (send on B -> answer on A), seconds: {sorted(latencies)}")


def test_concurrent_receives_on_two_nodes_never_share_a_message(nodes):
    a, b = nodes
    url = a.sqs.create_queue(QueueName=f"race-{uuid.uuid4().hex[:8]}",
                             Attributes={"VisibilityTimeout": "300"})["QueueUrl"]
    total = 300
    for i in range(0, total, 10):
        b.sqs.send_message_batch(QueueUrl=url_on(b, url), Entries=[
            {"Id": str(j), "MessageBody": f"m{i + j}"} for j in range(10)])
    seen = defaultdict(int)
    lock = threading.Lock()

    def consume(node):
        client = boto3.client("sqs", endpoint_url=f"http://127.0.0.1:{node.port}")
        q = url_on(node, url)
        empty = 0
        while empty < 3:
            msgs = client.receive_message(QueueUrl=q, MaxNumberOfMessages=10).get("Messages", [])
            if not msgs:
                empty += 1
                continue
            empty = 0
            with lock:
                for m in msgs:
                    seen[m["Body"]] += 1
            client.delete_message_batch(QueueUrl=q, Entries=[
                {"Id": str(k), "ReceiptHandle": m["ReceiptHandle"]} for k, m in enumerate(msgs)])

    threads = [threading.Thread(target=consume, args=(n,)) for n in (a, b, a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(seen) == total
    assert max(seen.values()) == 1, {k: v for k, v in seen.items() if v > 1}


def test_fifo_order_per_group_across_nodes(nodes):
    a, b = nodes
    url = a.sqs.create_queue(QueueName=f"order-{uuid.uuid4().hex[:8]}.fifo",
                             Attributes={"FifoQueue": "true", "VisibilityTimeout": "300"})["QueueUrl"]
    groups = ["g1", "g2", "g3"]
    for i in range(20):
        node = a if i % 2 else b
        for g in groups:
            node.sqs.send_message(QueueUrl=url_on(node, url), MessageBody=f"{g}-{i}", MessageGroupId=g,
                                  MessageDeduplicationId=f"{g}-{i}")
    got = defaultdict(list)
    lock = threading.Lock()

    def consume(node):
        client = boto3.client("sqs", endpoint_url=f"http://127.0.0.1:{node.port}")
        q = url_on(node, url)
        empty = 0
        while empty < 3:
            msgs = client.receive_message(QueueUrl=q, MaxNumberOfMessages=10).get("Messages", [])
            if not msgs:
                empty += 1
                continue
            empty = 0
            with lock:
                for m in msgs:
                    g, i = m["Body"].split("-")
                    got[g].append(int(i))
            for m in msgs:  # in order: each delete frees the group's next message
                client.delete_message(QueueUrl=q, ReceiptHandle=m["ReceiptHandle"])

    threads = [threading.Thread(target=consume, args=(n,)) for n in (a, b, a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for g in groups:
        assert got[g] == list(range(20)), (g, got[g])
