"""Outbox deliveries of a node killed with kill -9 are made by a surviving node, once.

Three nodes on one PostgreSQL, in test mode (each node's clock can be moved forward, which is how
a node's lease on its deliveries expires here without waiting). An HTTP endpoint refuses at first.
Through node A: an SNS publish to an HTTP subscription and an EventBridge event to an API
destination; A's first attempts are refused, then A is killed with kill -9 and the endpoint
accepts. While A's lease lives nobody else delivers; once B's and C's clocks are past it, exactly
one of them adopts and makes each delivery. Counting, never timing.

SLUICE_PG_URL names an empty database (tests/e2e/postgres/run.sh creates one); SLUICE_BIN the binary.
"""
import json
import os
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

os.environ.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")
import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

from test_kill import Node as KillableNode  # noqa: E402

PG_URL = os.environ.get("SLUICE_PG_URL", "")
BIN = os.environ.get("SLUICE_BIN", "")
pytestmark = pytest.mark.skipif(not PG_URL, reason="SLUICE_PG_URL is not set")


class Node(KillableNode):
    """A node of test_kill.py in test mode, with SNS and EventBridge clients."""

    def start(self):
        self.proc = subprocess.Popen(
            [BIN, "serve", "--listen", f"127.0.0.1:{self.port}", "--admin-listen", f"127.0.0.1:{self.admin}",
             "--backend", "postgres", "--postgres-url", PG_URL, "--log-level", "info", "--test-mode"],
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

    def client(self, service):
        return boto3.client(service, endpoint_url=f"http://127.0.0.1:{self.port}",
                            config=Config(retries={"max_attempts": 0}, connect_timeout=2, read_timeout=15))

    def advance(self, seconds):
        req = urllib.request.Request(f"http://127.0.0.1:{self.admin}/test/clock/advance?seconds={seconds}",
                                     method="POST", data=b"")
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.status == 200


def pending_deliveries():
    """Deliveries still in the outboxes (SNS and EventBridge), read in the database itself."""
    out = subprocess.run(["psql", "-XAtq", PG_URL, "-c",
                          "SELECT count(*) FROM resources WHERE kind IN ('sns.delivery', 'events.delivery')"],
                         check=True, capture_output=True, text=True).stdout
    return int(out.strip())


def eventually(check, timeout=30):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


class Endpoint:
    """Refuses (HTTP 500) until accept is set; keeps what it accepted and counts what it refused."""

    def __init__(self):
        self.accept = False
        self.accepted = []  # (kind, id): kind "sns" or "events"
        self.refused = 0
        self.confirmations = []
        self.cond = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                kind = self.headers.get("x-amz-sns-message-type")
                with outer.cond:
                    if kind == "SubscriptionConfirmation":
                        outer.confirmations.append(json.loads(body))
                        status = 200
                    elif outer.accept:
                        doc = json.loads(body)
                        outer.accepted.append(("sns", doc["MessageId"]) if kind else ("events", doc["id"]))
                        status = 200
                    else:
                        outer.refused += 1
                        status = 500
                    outer.cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait(self, what, timeout=30):
        with self.cond:
            assert self.cond.wait_for(lambda: what(self), timeout), \
                f"accepted {self.accepted}, refused {self.refused}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_a_killed_nodes_deliveries_are_made_once_by_a_survivor():
    endpoint = Endpoint()
    nodes = [Node(), Node(), Node()]
    try:
        a, b, c = nodes
        sns, events = a.client("sns"), a.client("events")
        topic = sns.create_topic(Name="outbox-kill")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint.url)
        endpoint.wait(lambda e: e.confirmations)
        sns.confirm_subscription(TopicArn=topic, Token=endpoint.confirmations[0]["Token"])
        conn = events.create_connection(
            Name="hook", AuthorizationType="API_KEY",
            AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}})["ConnectionArn"]
        dest = events.create_api_destination(Name="hook", ConnectionArn=conn, InvocationEndpoint=endpoint.url,
                                             HttpMethod="POST")["ApiDestinationArn"]
        events.put_rule(Name="to-hook", EventPattern=json.dumps({"source": ["orders"]}))
        events.put_targets(Rule="to-hook", Targets=[{"Id": "hook", "Arn": dest}])

        message_id = sns.publish(TopicArn=topic, Message="order 1")["MessageId"]
        put = events.put_events(Entries=[{"Source": "orders", "DetailType": "d", "Detail": "{}"}])
        assert put["FailedEntryCount"] == 0
        event_id = put["Entries"][0]["EventId"]
        endpoint.wait(lambda e: e.refused >= 2)  # A made its first attempts: refused
        a.kill9()
        assert pending_deliveries() == 2  # A's, and A is gone
        endpoint.accept = True
        # Past A's lease (30 s, renewed every 10 s) on B's and C's clocks: their next scan adopts,
        # the adopter delivers.
        for n in (b, c):
            n.advance(60)
        eventually(lambda: pending_deliveries() == 0)
        # Every delivery is done and out of the outboxes: what arrived is all that ever will.
        with endpoint.cond:
            assert sorted(endpoint.accepted) == [("events", event_id), ("sns", message_id)]
    finally:
        for n in nodes:
            n.stop()
        endpoint.close()
