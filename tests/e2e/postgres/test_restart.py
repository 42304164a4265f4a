"""PostgreSQL stopped and started again under load: while it is down, requests fail fast with
ServiceUnavailable (HTTP 503); the node recovers by itself when it is back; every answered send is
still there. Counting, never timing (but "fast" is bounded generously).

SLUICE_PG_URL names an empty database; SLUICE_PG_FIXTURE_DIR the fixture's cluster
(tools/pg-fixture.sh run); SLUICE_BIN the binary.
"""
import glob
import os
import threading
import time
import urllib.parse

import pytest
from botocore.exceptions import ClientError

from test_kill import Node

PG_URL = os.environ.get("SLUICE_PG_URL", "")
FIXTURE = os.environ.get("SLUICE_PG_FIXTURE_DIR", "")
pytestmark = pytest.mark.skipif(not PG_URL or not FIXTURE, reason="needs the pg-fixture cluster")


def pg_ctl(*args):
    binary = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))[-1]
    cmd = [binary, "-D", f"{FIXTURE}/data", "-w", "-t", "60", *args]
    if os.getuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    assert os.system(" ".join(f"'{c}'" for c in cmd) + " >/dev/null") == 0, cmd


def start_pg():
    port = urllib.parse.urlparse(PG_URL).port
    pg_ctl("-l", f"{FIXTURE}/server.log", "start", "-o",
           f"-p {port} -k {FIXTURE} -c listen_addresses=127.0.0.1 -c fsync=off "
           "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")


def test_database_restart_under_load():
    node = Node()
    try:
        sqs = node.client()
        url = sqs.create_queue(QueueName="restart")["QueueUrl"]
        answered, failures, retry_after = set(), [], []
        stop = threading.Event()

        def produce():
            k = 0
            while not stop.is_set():
                body = f"m{k}"
                k += 1
                t0 = time.monotonic()
                try:
                    sqs.send_message(QueueUrl=url, MessageBody=body)
                    answered.add(body)
                except ClientError as e:
                    meta = e.response["ResponseMetadata"]
                    failures.append((e.response["Error"]["Code"], meta["HTTPStatusCode"],
                                     time.monotonic() - t0))
                    retry_after.append(meta.get("HTTPHeaders", {}).get("retry-after"))
                except Exception as e:  # noqa: BLE001 - no answer at all: recorded, fails below
                    failures.append((repr(e), 0, time.monotonic() - t0))

        producer = threading.Thread(target=produce)
        producer.start()
        while len(answered) < 50:
            time.sleep(0.01)
        pg_ctl("-m", "fast", "stop")
        while len(failures) < 5:  # the node answers, with errors, while the database is down
            time.sleep(0.01)
        start_pg()
        before = len(answered)
        deadline = time.monotonic() + 60
        while len(answered) < before + 50:  # recovered by itself
            assert time.monotonic() < deadline, "the node did not recover"
            time.sleep(0.01)
        stop.set()
        producer.join(30)
        assert failures and all(code == "ServiceUnavailable" and status == 503 for code, status, _ in failures), \
            failures[:5]
        assert max(s for _, _, s in failures) < 10, failures  # fast: well within a client's timeout
        assert retry_after and all(v == "1" for v in retry_after), retry_after[:5]  # when to try again
        got = set()
        while True:
            msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not msgs:
                break
            for m in msgs:
                got.add(m["Body"])
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)])
        assert answered <= got, sorted(answered - got)[:10]
        print(f"database restart: {len(answered)} sends answered, {len(failures)} failed with 503")
    finally:
        node.stop()
