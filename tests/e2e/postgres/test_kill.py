"""Three Sluice nodes on one PostgreSQL; one is killed with kill -9 while clients send and receive
through all of them, then restarted. Every answered send is received: at least once on a standard
queue, exactly once and in order per group on a FIFO queue. Counting, never timing.

SLUICE_PG_URL names an empty database (tests/e2e/postgres/run.sh creates one); SLUICE_BIN the binary.
"""
import os
import random
import signal
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

from test_nodes import _free_port  # noqa: E402

PG_URL = os.environ.get("SLUICE_PG_URL", "")
BIN = os.environ.get("SLUICE_BIN", "")
pytestmark = pytest.mark.skipif(not PG_URL, reason="SLUICE_PG_URL is not set")

PER_PRODUCER = 120
GROUPS = 4


class Node:
    def __init__(self):
        self.port, self.admin = _free_port(), _free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="sluice-pg-kill-", suffix=".log", delete=False)
        self.proc = None
        self.start()

    def start(self):
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

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()
        os.unlink(self.log.name)

    def client(self):
        return boto3.client("sqs", endpoint_url=f"http://127.0.0.1:{self.port}",
                            config=Config(retries={"max_attempts": 0}, connect_timeout=2, read_timeout=15))


def test_kill9_one_of_three_nodes_loses_nothing_answered():
    nodes = [Node(), Node(), Node()]
    try:
        run(nodes)
    finally:
        for n in nodes:
            n.stop()


def run(nodes):
    tag = uuid.uuid4().hex[:8]
    c0 = nodes[1].client()
    std_path = "/" + c0.create_queue(QueueName=f"kill-{tag}", Attributes={"VisibilityTimeout": "10"})[
        "QueueUrl"].split("/", 3)[3]
    fifo_path = "/" + c0.create_queue(QueueName=f"kill-{tag}.fifo", Attributes={
        "FifoQueue": "true", "VisibilityTimeout": "10"})["QueueUrl"].split("/", 3)[3]
    clients = [[n.client() for n in nodes] for _ in range(8)]  # one set per thread: boto3 clients

    def url(i, path):
        return f"http://127.0.0.1:{nodes[i].port}{path}"

    lock = threading.Lock()
    answered = {"std": set(), "fifo": set()}
    unanswered = [0]
    received = {"std": defaultdict(int), "fifo": defaultdict(int)}
    order = defaultdict(list)
    producing = [True]

    def send_until_answered(cs, path, kind, body, **kw):
        # A send that gets no answer may or may not have been committed: it is sent again
        # through another node (FIFO: the same deduplication id makes it one message).
        while True:
            i = random.randrange(3)
            try:
                cs[i].send_message(QueueUrl=url(i, path), MessageBody=body, **kw)
                with lock:
                    answered[kind].add(body)
                return
            except Exception:  # noqa: BLE001 - a dead node: connection refused/reset, 5xx
                with lock:
                    unanswered[0] += 1

    def produce_std(p):
        cs = clients[p]
        for k in range(PER_PRODUCER):
            send_until_answered(cs, std_path, "std", f"s{p}-{k}")

    def produce_fifo(g):
        cs = clients[2 + g % 2]
        for k in range(PER_PRODUCER // 2):
            body = f"g{g}-{k}"
            send_until_answered(cs, fifo_path, "fifo", body, MessageGroupId=f"g{g}",
                                MessageDeduplicationId=body)

    def consume(t):
        cs = clients[4 + t]
        while True:
            with lock:
                done = not producing[0] and answered["std"] <= set(received["std"]) and \
                    answered["fifo"] <= set(received["fifo"])
            if done:
                return
            for kind, path in (("std", std_path), ("fifo", fifo_path)):
                i = random.randrange(3)
                try:
                    msgs = cs[i].receive_message(QueueUrl=url(i, path), MaxNumberOfMessages=10,
                                                 WaitTimeSeconds=1).get("Messages", [])
                except Exception:  # noqa: BLE001
                    continue
                with lock:
                    for m in msgs:
                        received[kind][m["Body"]] += 1
                        if kind == "fifo":
                            g, k = m["Body"].split("-")
                            order[g].append(int(k))
                for m in msgs:  # in order (FIFO: each delete frees the group's next message)
                    for attempt in range(6):
                        j = (i + attempt) % 3
                        try:
                            cs[j].delete_message(QueueUrl=url(j, path), ReceiptHandle=m["ReceiptHandle"])
                            break
                        except Exception:  # noqa: BLE001
                            continue

    producers = [threading.Thread(target=produce_std, args=(p,)) for p in range(2)] + \
        [threading.Thread(target=produce_fifo, args=(g,)) for g in range(GROUPS)]
    consumers = [threading.Thread(target=consume, args=(t,)) for t in range(4)]
    for t in producers + consumers:
        t.start()

    def answered_count():
        with lock:
            return len(answered["std"]) + len(answered["fifo"])

    total = 2 * PER_PRODUCER + GROUPS * (PER_PRODUCER // 2)
    while answered_count() < total // 3:
        time.sleep(0.01)
    nodes[0].kill9()  # mid-way, while every client is busy
    killed_at = answered_count()
    while answered_count() < min(total, killed_at + total // 4):
        time.sleep(0.01)  # the others carry on meanwhile
    nodes[0].start()
    for t in producers:
        t.join(300)
    producing[0] = False
    for t in consumers:
        t.join(300)
    assert not any(t.is_alive() for t in producers + consumers), "clients did not finish"

    assert len(answered["std"]) == 2 * PER_PRODUCER
    assert len(answered["fifo"]) == GROUPS * (PER_PRODUCER // 2)
    assert answered["std"] <= set(received["std"]), sorted(answered["std"] - set(received["std"]))[:10]
    assert answered["fifo"] <= set(received["fifo"])
    dup = {b: n for b, n in received["fifo"].items() if n > 1}
    assert not dup, dup
    for g in range(GROUPS):
        assert order[f"g{g}"] == list(range(PER_PRODUCER // 2)), (g, order[f"g{g}"])
    print(f"kill -9 mid-way: {total} sends answered, {unanswered[0]} attempts unanswered and retried")
