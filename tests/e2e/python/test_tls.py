"""HTTPS: boto3 against a Sluice whose API speaks TLS only (server.listen = "off"), and aws:SecureTransport
with auth = "sigv4" on a server with both an HTTP and an HTTPS listener. The certificate is the committed
test material of tests/unit/net/data (a test CA and a server certificate for localhost / 127.0.0.1)."""
import json
import os
import socket
import ssl
import subprocess
import time
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, SSLError

from conftest import REGION, REPO, _die_with_parent, _free_port, stop_process, unique_name, wait_for_health

DATA = REPO / "tests" / "unit" / "net" / "data"
CA = str(DATA / "ca.pem")
CERT = str(DATA / "server-cert.pem")
KEY = str(DATA / "server-key.pem")


def _ports(n):
    ports = set()
    while len(ports) < n:
        ports.add(_free_port())
    return list(ports)


class TlsServer:
    def __init__(self, proc, log_path, http_port, https_port, admin_port):
        self.proc, self.log_path = proc, log_path
        self.http_port, self.https_port, self.admin_port = http_port, https_port, admin_port
        self.https = f"https://localhost:{https_port}"
        self.http = f"http://127.0.0.1:{http_port}" if http_port else None

    def log_tail(self):
        try:
            return open(self.log_path, errors="replace").read()[-3000:]
        except OSError:
            return ""


def start_server(tmp_path, server_lines, extra_sections="", plain=False):
    """Starts sluice with [server] TLS settings; the admin port stays plain HTTP for /health."""
    binary = os.environ.get("SLUICE_BIN") or str(REPO / "build" / "sluice")
    http_port, https_port, admin_port = _ports(3)
    lines = ["[server]",
             f'listen = "127.0.0.1:{http_port}"' if plain else 'listen = "off"',
             f'tls_listen = "127.0.0.1:{https_port}"',
             f'admin_listen = "127.0.0.1:{admin_port}"',
             f'tls_cert_file = "{CERT}"', f'tls_key_file = "{KEY}"', *server_lines, "", extra_sections]
    (tmp_path / "sluice.toml").write_text("\n".join(lines))
    log_path = str(tmp_path / "sluice.log")
    log = open(log_path, "w")
    proc = subprocess.Popen([binary, "serve", "--config", str(tmp_path / "sluice.toml"), "--ephemeral",
                             "--log-level", "info"], stdout=log, stderr=subprocess.STDOUT,
                            preexec_fn=_die_with_parent)
    srv = TlsServer(proc, log_path, http_port if plain else None, https_port, admin_port)
    wait_for_health(proc, admin_port, srv.log_tail, "sluice (TLS)")
    return srv, log


def stop_server(srv, log):
    stop_process(srv.proc)
    log.close()


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    srv, log = start_server(tmp_path_factory.mktemp("tls"), [])
    yield srv
    stop_server(srv, log)


def client(endpoint, verify=CA, akid="test", secret="test"):
    session = boto3.session.Session(aws_access_key_id=akid, aws_secret_access_key=secret, region_name=REGION)
    return session.client("sqs", endpoint_url=endpoint, verify=verify,
                          config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5,
                                        read_timeout=30))


def test_startup_log_names_https(tls_server):
    log = tls_server.log_tail()
    assert f"https://127.0.0.1:{tls_server.https_port}" in log, log
    assert "http://127.0.0.1" not in log.split("serving", 1)[1].split("(admin", 1)[0], log


def test_boto3_over_https(tls_server):
    sqs = client(tls_server.https)
    url = sqs.create_queue(QueueName=unique_name("tls"))["QueueUrl"]
    assert url.startswith(f"https://localhost:{tls_server.https_port}/000000000000/"), url
    assert sqs.get_queue_url(QueueName=url.rsplit("/", 1)[1])["QueueUrl"] == url
    assert url in sqs.list_queues(QueueNamePrefix=url.rsplit("/", 1)[1]).get("QueueUrls", [])
    sent = sqs.send_message(QueueUrl=url, MessageBody="over TLS é")
    big = "x" * (256 * 1024)  # many TLS records each way
    sqs.send_message(QueueUrl=url, MessageBody=big)
    got = {}
    deadline = time.monotonic() + 10
    while len(got) < 2 and time.monotonic() < deadline:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            got[m["MessageId"]] = m
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert got[sent["MessageId"]]["Body"] == "over TLS é"
    assert sorted(len(m["Body"]) for m in got.values()) == [len("over TLS é"), len(big)]
    sqs.delete_queue(QueueUrl=url)


def test_certificate_is_verified(tls_server):
    # Without the test CA the client must refuse the server: the handshake really is TLS.
    with pytest.raises(SSLError):
        client(tls_server.https, verify=True).list_queues()


def test_plain_http_to_tls_port_is_answered_and_closed(tls_server):
    # Like nginx: a plain-HTTP request on the HTTPS port gets a plain 400 saying so, then a clean close.
    with socket.create_connection(("127.0.0.1", tls_server.https_port), timeout=10) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        data = b""
        while chunk := s.recv(4096):
            data += chunk
    assert data.startswith(b"HTTP/1.1 400 "), data
    assert b"Connection: close" in data and data.endswith(b"This port speaks HTTPS only.\n"), data
    assert tls_server.proc.poll() is None


def test_no_plain_listener(tls_server):
    # listen = "off": the API is HTTPS only; the log names no http:// API address.
    assert tls_server.http is None


def test_tls_versions(tls_server):
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        ctx = ssl.create_default_context(cafile=CA)
        ctx.minimum_version = ctx.maximum_version = version
        with socket.create_connection(("127.0.0.1", tls_server.https_port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                assert s.version() == {ssl.TLSVersion.TLSv1_2: "TLSv1.2", ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[version]
                if version == ssl.TLSVersion.TLSv1_2:
                    assert s.cipher()[0].startswith("ECDHE-"), s.cipher()
                s.sendall(b"GET /?Action=ListQueues&Version=2012-11-05 HTTP/1.1\r\nHost: localhost\r\n"
                          b"Connection: close\r\n\r\n")
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
                assert data.startswith(b"HTTP/1.1 200"), data[:200]


def test_bad_certificate_fails_startup(tmp_path):
    binary = os.environ.get("SLUICE_BIN") or str(REPO / "build" / "sluice")
    port, admin = _ports(2)
    (tmp_path / "bad.toml").write_text("\n".join([
        "[server]", f'tls_listen = "127.0.0.1:{port}"', f'admin_listen = "127.0.0.1:{admin}"',
        f'tls_cert_file = "{CERT}"', f'tls_key_file = "{DATA / "other-key.pem"}"']))
    r = subprocess.run([binary, "serve", "--config", str(tmp_path / "bad.toml"), "--ephemeral"],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode != 0
    assert "does not match" in r.stdout + r.stderr, r.stdout + r.stderr
    (tmp_path / "nocert.toml").write_text("\n".join(["[server]", f'tls_listen = "127.0.0.1:{port}"']))
    r = subprocess.run([binary, "serve", "--config", str(tmp_path / "nocert.toml"), "--ephemeral"],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode != 0 and "tls_cert_file" in r.stdout + r.stderr, r.stdout + r.stderr


# ---------------------------------------------------------------- aws:SecureTransport with sigv4

ADMIN_AKID, ADMIN_SECRET = "AKIDTLSADMIN", "tls-admin-secret"


@pytest.fixture(scope="module")
def auth_tls_server(tmp_path_factory):
    policy = json.dumps({"Version": "2012-10-17",
                         "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]})
    auth = "\n".join(['[auth]', 'mode = "sigv4"', f'region = "{REGION}"', 'accounts = ["111111111111"]', '',
                      '[[auth.users]]', 'name = "admin"', 'account = "111111111111"',
                      f'access_key_id = "{ADMIN_AKID}"', f'secret_access_key = "{ADMIN_SECRET}"',
                      f"policies = [{json.dumps(policy)}]", ''])
    srv, log = start_server(tmp_path_factory.mktemp("tls-auth"), [], extra_sections=auth, plain=True)
    yield srv
    stop_server(srv, log)


def test_secure_transport_condition(auth_tls_server):
    over_tls = client(auth_tls_server.https, akid=ADMIN_AKID, secret=ADMIN_SECRET)
    over_http = client(auth_tls_server.http, akid=ADMIN_AKID, secret=ADMIN_SECRET)
    url = over_tls.create_queue(QueueName=unique_name("st"))["QueueUrl"]
    assert url.startswith("https://"), url
    arn = over_tls.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    deny_plain = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": arn,
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
    over_http.send_message(QueueUrl=url, MessageBody="before the policy")
    over_tls.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(deny_plain)})
    with pytest.raises(ClientError) as info:
        over_http.send_message(QueueUrl=url, MessageBody="over http")
    err = info.value.response
    assert (err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]) == ("AccessDenied", 403), err
    over_tls.send_message(QueueUrl=url, MessageBody="over https")
    # The opposite condition: only plain HTTP allowed.
    deny_tls = json.loads(json.dumps(deny_plain))
    deny_tls["Statement"][0]["Condition"]["Bool"]["aws:SecureTransport"] = "true"
    over_tls.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(deny_tls)})
    with pytest.raises(ClientError) as info:
        over_tls.send_message(QueueUrl=url, MessageBody="over https")
    assert info.value.response["Error"]["Code"] == "AccessDenied"
    over_http.send_message(QueueUrl=url, MessageBody="over http")
    over_http.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})
    over_http.delete_queue(QueueUrl=url)


# ---------------------------------------------------------------- the per-connection rate limit, as SDKs see it

def test_rate_limit_is_request_throttled(tmp_path):
    srv, log = start_server(tmp_path, ["max_requests_per_second = 0.001", "request_burst = 3"], plain=True)
    try:
        for endpoint in (srv.http, srv.https):
            sqs = client(endpoint)  # one keep-alive connection: its bucket holds 3 requests
            for _ in range(3):
                sqs.list_queues()
            with pytest.raises(ClientError) as info:
                sqs.list_queues()
            err = info.value.response
            assert (err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]) == ("RequestThrottled", 403), err
            assert err["ResponseMetadata"].get("RequestId"), err
            # A new connection starts with a full bucket.
            client(endpoint).list_queues()
    finally:
        stop_server(srv, log)
