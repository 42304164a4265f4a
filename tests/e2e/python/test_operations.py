"""Operating Sluice (docs/operations.md): the Debian package installed into a scratch root and run
with its packaged configuration; `sluice backup` taken online while producers send, `sluice
restore` into another directory, and a server on the restored copy that has every message
acknowledged before the backup began."""
import concurrent.futures
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config as BotoConfig

from conftest import REPO, PROTOCOL, Sluice, _free_port

pytestmark = pytest.mark.skipif(PROTOCOL != "query", reason="one pass is enough: no protocol-specific code")

BIN = os.environ.get("SLUICE_BIN") or str(REPO / "build" / "sluice")
# tools/run-tests.sh runs this suite a second time against the ASan+UBSan debug server: there the
# volume test is smaller (the server is ~10x slower) and the package of that build is not made.
SANITIZED = "ASAN_OPTIONS" in os.environ


def sqs_client(endpoint):
    return boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                 region_name="us-east-1").client(
        "sqs", endpoint_url=endpoint,
        config=BotoConfig(retries={"total_max_attempts": 3, "mode": "standard"}, max_pool_connections=16))


def visible(sqs, url):
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attrs["Attributes"]["ApproximateNumberOfMessages"])


def send_batches(endpoint, url, start, count, tag):
    """SendMessageBatch over one keep-alive connection in the JSON protocol, without boto3's cost per
    call (the server runs with auth "none"): 100,000 messages in seconds, not minutes."""
    conn = http.client.HTTPConnection(endpoint.split("//", 1)[1], timeout=30)
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.SendMessageBatch"}
    for first in range(start, start + count, 10):
        entries = [{"Id": str(i), "MessageBody": f"{tag}-{first + i}"} for i in range(min(10, start + count - first))]
        conn.request("POST", "/", json.dumps({"QueueUrl": url, "Entries": entries}), headers)
        r = conn.getresponse()
        body = json.loads(r.read())
        assert r.status == 200 and not body.get("Failed") and len(body["Successful"]) == len(entries), body
    conn.close()


def test_backup_while_sending_and_restore(tmp_path):
    s = Sluice(tmp_path, "", data_dir=tmp_path / "data")
    try:
        sqs = sqs_client(s.endpoint)
        url = sqs.create_queue(QueueName="backed-up")["QueueUrl"]
        before = 20_000 if SANITIZED else 100_000
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda k: send_batches(s.endpoint, url, k * before // 4, before // 4, "pre"), range(4)))
        assert visible(sqs, url) == before
        # Producers keep sending while the backup runs; what they sent may or may not be in it.
        stop = threading.Event()
        during = [0]

        def produce():
            while not stop.is_set():
                send_batches(s.endpoint, url, during[0], 100, "during")
                during[0] += 100

        producer = threading.Thread(target=produce)
        producer.start()
        try:
            out = subprocess.run([BIN, "backup", "--to", str(tmp_path / "backup"), "--admin",
                                  f"127.0.0.1:{s.admin}"], capture_output=True, text=True, timeout=120)
        finally:
            stop.set()
            producer.join()
        assert out.returncode == 0, out.stderr
        assert "backup written to" in out.stdout
        # A second backup into the same directory is refused, as is a relative path.
        again = subprocess.run([BIN, "backup", "--to", str(tmp_path / "backup"), "--admin",
                                f"127.0.0.1:{s.admin}"], capture_output=True, text=True, timeout=60)
        assert again.returncode != 0 and "exists" in again.stderr
    finally:
        s.stop()
    total = before + during[0]
    # Restore into another directory and start a server on it.
    out = subprocess.run([BIN, "restore", "--from", str(tmp_path / "backup"), "--data-dir",
                          str(tmp_path / "restored")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    refused = subprocess.run([BIN, "restore", "--from", str(tmp_path / "backup"), "--data-dir",
                              str(tmp_path / "restored")], capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "holds data" in refused.stderr
    (tmp_path / "r").mkdir()
    r = Sluice(tmp_path / "r", "", data_dir=tmp_path / "restored")
    try:
        sqs = sqs_client(r.endpoint)
        url = sqs.get_queue_url(QueueName="backed-up")["QueueUrl"]
        count = visible(sqs, url)
        assert before <= count <= total, (before, count, total)
        # Every message acknowledged before the backup began is there, each once, uncorrupted
        # (received with a long visibility timeout, so none comes twice).
        seen = []
        conn = http.client.HTTPConnection(r.endpoint.split("//", 1)[1], timeout=30)
        headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.ReceiveMessage"}
        while True:
            conn.request("POST", "/", json.dumps({"QueueUrl": url, "MaxNumberOfMessages": 10,
                                                  "VisibilityTimeout": 3600}), headers)
            resp = conn.getresponse()
            got = json.loads(resp.read()).get("Messages", [])
            assert resp.status == 200
            if not got:
                break
            for m in got:
                assert hashlib.md5(m["Body"].encode()).hexdigest() == m["MD5OfBody"]
                seen.append(m["Body"])
        assert len(seen) == len(set(seen)) == count
        assert {f"pre-{i}" for i in range(before)} <= set(seen)
    finally:
        r.stop()


def test_backup_refusals(tmp_path):
    eph = Sluice(tmp_path, "")
    try:
        out = subprocess.run([BIN, "backup", "--to", str(tmp_path / "b"), "--admin", f"127.0.0.1:{eph.admin}"],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode != 0 and "in memory" in out.stderr
    finally:
        eph.stop()
    # Offline: a stopped server's data directory, directly.
    (tmp_path / "d").mkdir()
    s = Sluice(tmp_path / "d", "", data_dir=tmp_path / "data")
    sqs_client(s.endpoint).create_queue(QueueName="offline")
    locked = subprocess.run([BIN, "backup", "--to", str(tmp_path / "b1"), "--data-dir", str(tmp_path / "data")],
                            capture_output=True, text=True, timeout=60)
    assert locked.returncode != 0 and "admin port" in locked.stderr
    s.stop()
    out = subprocess.run([BIN, "backup", "--to", str(tmp_path / "b2"), "--data-dir", str(tmp_path / "data")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    bad = subprocess.run([BIN, "restore", "--from", str(tmp_path), "--data-dir", str(tmp_path / "x")],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "sluice backup" in bad.stderr


@pytest.mark.skipif(not shutil.which("dpkg-deb") or SANITIZED, reason="needs dpkg-deb and a release build")
def test_debian_package_installs_and_runs(tmp_path):
    out = subprocess.run([str(REPO / "tools" / "package-deb.sh"), BIN, str(tmp_path / "pkg")],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    deb = Path(out.stdout.strip().splitlines()[-1])
    info = subprocess.run(["dpkg-deb", "-I", str(deb)], capture_output=True, text=True, check=True).stdout
    assert "Package: sluice" in info and "Depends:" in info and "libc6" in info
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    for path in ["./usr/bin/sluice", "./lib/systemd/system/sluice.service", "./etc/sluice/sluice.toml"]:
        assert path in listing, path
    root = tmp_path / "root"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    control = tmp_path / "control"
    subprocess.run(["dpkg-deb", "-e", str(deb), str(control)], check=True)
    assert (control / "conffiles").read_text().split() == ["/etc/sluice/sluice.toml"]
    unit = (root / "lib/systemd/system/sluice.service").read_text()
    for option in ["User=sluice", "NoNewPrivileges=yes", "ProtectSystem=strict", "ReadWritePaths=/var/lib/sluice",
                   "ExecStart=/usr/bin/sluice serve --config /etc/sluice/sluice.toml"]:
        assert option in unit, option
    conf = (root / "etc/sluice/sluice.toml").read_text()
    assert 'data_dir = "/var/lib/sluice"' in conf
    # The installed binary with the packaged configuration (data directory and ports moved into the test's).
    installed = root / "usr/bin/sluice"
    assert subprocess.run([str(installed), "version"], capture_output=True, text=True, check=True).stdout.startswith("sluice ")
    s = Sluice(tmp_path, conf, data_dir=tmp_path / "var-lib-sluice", binary=installed)
    try:
        sqs = sqs_client(s.endpoint)
        url = sqs.create_queue(QueueName="from-the-package")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="installed")
        assert [m["Body"] for m in sqs.receive_message(QueueUrl=url)["Messages"]] == ["installed"]
    finally:
        s.stop()


def wait_for(predicate, what, timeout=10):
    """Polls a condition the server reaches by itself (a signal handled), not the passing of time."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_json_logs_access_log_and_sighup_reopens_the_file(tmp_path):
    log_file = tmp_path / "logs" / "sluice.log"
    log_file.parent.mkdir()
    s = Sluice(tmp_path, f'[log]\nformat = "json"\nfile = "{log_file}"\naccess = true\n', args=["--log-level", "info"])
    try:
        sqs = sqs_client(s.endpoint)
        url = sqs.create_queue(QueueName="logged")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="secret body text")
        try:
            sqs.get_queue_url(QueueName="no-such-queue\nforged line")
        except Exception:
            pass

        def records():
            return [json.loads(line) for line in log_file.read_text().splitlines() if line.strip()]

        wait_for(lambda: any(r.get("action") == "SendMessage" for r in records()), "the access line")
        lines = records()  # every line is one JSON object
        assert all({"time", "level"} <= set(r) for r in lines)
        assert any(r.get("msg", "").startswith("sluice ") and "ready in" in r["msg"] for r in lines)
        sent = next(r for r in lines if r.get("action") == "SendMessage")
        assert sent["logger"] == "access" and sent["service"] == "sqs" and sent["status"] == 200
        assert sent["resource"] == url and sent["account"] == "000000000000" and sent["ip"] == "127.0.0.1"
        assert isinstance(sent["latency_us"], int) and len(sent["request_id"]) == 36
        failed = next(r for r in lines if r.get("action") == "GetQueueUrl")
        assert failed["status"] == 400 and failed["resource"] == "no-such-queue\nforged line"
        assert "secret body text" not in log_file.read_text()  # bodies are never logged
        # logrotate: move the file away, SIGHUP, and the server writes a new one.
        log_file.rename(tmp_path / "logs" / "sluice.log.1")
        s.proc.send_signal(signal.SIGHUP)
        wait_for(log_file.exists, "the reopened log file")
        sqs.list_queues()
        wait_for(lambda: any(r.get("action") == "ListQueues" for r in records()), "an access line in the new file")
        assert not any(r.get("action") == "ListQueues"
                       for r in map(json.loads, (tmp_path / "logs" / "sluice.log.1").read_text().splitlines()))
        assert s.proc.poll() is None  # SIGHUP does not stop the server
    finally:
        s.stop()


def test_text_access_log_cannot_be_forged(tmp_path):
    s = Sluice(tmp_path, "", args=["--access-log", "--log-level", "info"])
    try:
        sqs = sqs_client(s.endpoint)
        try:
            sqs.get_queue_url(QueueName="x status=200 forged\n[access] fake")
        except Exception:
            pass
        sqs.list_queues()
        wait_for(lambda: "ListQueues" in s.log_tail(), "the access line")
        lines = s.log_tail().splitlines()
        access = [line for line in lines if "[info] access " in line]
        assert access and all(line.startswith("[") for line in lines)
        assert all(line.split("] ", 1)[1].startswith("[") for line in lines)  # "[time] [level] ..." everywhere
        forged = [line for line in access if "GetQueueUrl" in line]
        assert len(forged) == 1 and "status=400" in forged[0] and "x?status=200?forged?[access]?fake" in forged[0]
        assert not any(line.endswith("fake") for line in lines)
    finally:
        s.stop()


def test_sighup_reloads_the_tls_certificate(tmp_path):
    data = REPO / "tests" / "unit" / "net" / "data"
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    shutil.copy(data / "server-cert.pem", cert)
    shutil.copy(data / "server-key.pem", key)
    tls_port = _free_port()
    s = Sluice(tmp_path, f'[server]\ntls_listen = "127.0.0.1:{tls_port}"\ntls_cert_file = "{cert}"\n'
                         f'tls_key_file = "{key}"\n', args=["--log-level", "info"])

    def served_cert():
        ctx = ssl.create_default_context()
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        with socket.create_connection(("127.0.0.1", tls_port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                return tls.getpeercert(binary_form=True)

    try:
        before = served_cert()
        assert before == ssl.PEM_cert_to_DER_cert(cert.read_text())
        # A broken file: the reload is refused and the old certificate stays.
        cert.write_text("not a certificate")
        s.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "not reloaded" in s.log_tail(), "the refused reload")
        assert served_cert() == before
        # A renewed certificate: new connections get it.
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
        s.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "TLS certificate reloaded" in s.log_tail(), "the reload")
        after = served_cert()
        assert after != before and after == ssl.PEM_cert_to_DER_cert(cert.read_text())
        assert s.proc.poll() is None
    finally:
        s.stop()
