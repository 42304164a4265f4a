"""SNS to HTTPS endpoints with boto3: a subscriber written as users write one (Python's http.server
with ssl), its certificate issued by a test CA made here with openssl, which the server trusts
through `[sns] trusted_ca_file`. The subscriber gets the SubscriptionConfirmation, confirms through
the SubscribeURL, and verifies every notification's signature against the certificate served at
SigningCertURL. A subscriber whose certificate no trusted CA issued gets nothing: the TLS
handshake is refused (verification is on by default), the delivery is retried on the
DeliveryPolicy's schedule (the adjustable clock), then lands in the dead-letter queue and counts
as one failed notification.

SNS speaks only Query: the suite runs in the query pass."""
import json
import ssl
import subprocess
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from botocore.config import Config

from conftest import PROTOCOL, REGION, Sluice
from test_sns import verify_signature

pytestmark = pytest.mark.skipif(PROTOCOL != "query", reason="SNS is Query only; runs in the query pass")

CFG = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A test CA, a certificate for 127.0.0.1 it issued, and a self-signed one nobody trusts."""
    d = tmp_path_factory.mktemp("pki")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=Sluice test CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "hook.key", "-out", "hook.csr",
            "-subj", "/CN=127.0.0.1", cwd=d)
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "hook.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "hook.pem", "-days", "2", "-extfile", "ext.cnf", cwd=d)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "rogue.key", "-out", "rogue.pem",
            "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", cwd=d)
    return d


@pytest.fixture(scope="module")
def srv(tmp_path_factory, pki):
    text = f'[testing]\nclock = "adjustable"\n\n[sns]\ntrusted_ca_file = "{pki / "ca.pem"}"\n'
    s = Sluice(tmp_path_factory.mktemp("sns-https"), text)
    yield s
    s.stop()


class HttpsSubscriber:
    """An HTTPS endpoint: records every POST and every refused TLS handshake."""

    def __init__(self, cert, key):
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(cert, key)
        self.requests, self.refused = [], 0
        self.cond = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer.cond:
                    outer.requests.append((dict((k.lower(), v) for k, v in self.headers.items()), body))
                    outer.cond.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            def get_request(self):
                sock, addr = self.socket.accept()
                try:
                    sock.settimeout(5)
                    return outer.tls.wrap_socket(sock, server_side=True), addr
                except OSError:
                    sock.close()
                    with outer.cond:
                        outer.refused += 1
                        outer.cond.notify_all()
                    raise

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.url = f"https://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait(self, predicate, what, timeout=10):
        with self.cond:
            assert self.cond.wait_for(lambda: predicate(self), timeout), \
                f"{what}: {len(self.requests)} requests, {self.refused} refused handshakes"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def clients(srv):
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION)
    return (session.client("sns", endpoint_url=srv.endpoint, config=CFG),
            session.client("sqs", endpoint_url=srv.endpoint, config=CFG))


def test_https_subscriber_with_a_trusted_ca_confirms_and_verifies(srv, pki, tmp_path):
    sns, _ = clients(srv)
    hook = HttpsSubscriber(pki / "hook.pem", pki / "hook.key")
    try:
        topic = sns.create_topic(Name=f"https-{uuid.uuid4().hex[:8]}",
                                 Attributes={"SignatureVersion": "2"})["TopicArn"]
        sub = sns.subscribe(TopicArn=topic, Protocol="https", Endpoint=hook.url,
                            ReturnSubscriptionArn=True)["SubscriptionArn"]
        hook.wait(lambda h: len(h.requests) >= 1, "the confirmation")
        headers, body = hook.requests[0]
        doc = json.loads(body)
        assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation" and doc["Type"] == headers[
            "x-amz-sns-message-type"]
        assert doc["SignatureVersion"] == "2" and verify_signature(doc, tmp_path)
        with urllib.request.urlopen(doc["SubscribeURL"], timeout=5) as r:
            assert r.status == 200
        assert sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["PendingConfirmation"] == "false"
        mids = [sns.publish(TopicArn=topic, Message=f"secure {i}", Subject="tls")["MessageId"] for i in range(5)]
        hook.wait(lambda h: len(h.requests) >= 6, "the notifications")
        docs = [json.loads(b) for _, b in hook.requests[1:]]
        assert sorted(d["MessageId"] for d in docs) == sorted(mids)
        for headers, body in hook.requests[1:]:
            d = json.loads(body)
            assert headers["x-amz-sns-message-type"] == "Notification" and headers["x-amz-sns-subscription-arn"] == sub
            assert d["Subject"] == "tls" and verify_signature(d, tmp_path)
        assert hook.refused == 0
    finally:
        hook.close()


def test_untrusted_certificate_gets_nothing_is_retried_then_dead_lettered(srv, pki):
    sns, sq = clients(srv)
    # The endpoint first presents the CA's certificate (so the subscription can be confirmed),
    # then a self-signed one.
    hook = HttpsSubscriber(pki / "hook.pem", pki / "hook.key")
    try:
        topic = sns.create_topic(Name=f"rogue-{uuid.uuid4().hex[:8]}")["TopicArn"]
        dlq_url = sq.create_queue(QueueName=f"rogue-dlq-{uuid.uuid4().hex[:8]}")["QueueUrl"]
        dlq_arn = sq.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sub = sns.subscribe(TopicArn=topic, Protocol="https", Endpoint=hook.url, ReturnSubscriptionArn=True,
                            Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})})["SubscriptionArn"]
        hook.wait(lambda h: len(h.requests) >= 1, "the confirmation")
        token = json.loads(hook.requests[0][1])["Token"]
        sns.confirm_subscription(TopicArn=topic, Token=token)
        assert sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["PendingConfirmation"] == "false"

        rogue = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        rogue.load_cert_chain(pki / "rogue.pem", pki / "rogue.key")
        hook.tls = rogue
        mid = sns.publish(TopicArn=topic, Message="never over an untrusted connection")["MessageId"]
        # The default policy: one attempt and 3 retries 20 s apart, each refused at the handshake.
        hook.wait(lambda h: h.refused >= 1, "the first attempt")
        for n in range(3):
            time.sleep(0.2)  # no retry before its time
            assert hook.refused == 1 + n
            srv.advance_clock(20)
            hook.wait(lambda h, n=n: h.refused >= 2 + n, f"retry {n + 1}")
        dead = sq.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=10).get("Messages", [])
        assert [json.loads(m["Body"])["MessageId"] for m in dead] == [mid]
        srv.advance_clock(60)
        time.sleep(0.3)
        assert hook.refused == 4 and len(hook.requests) == 1  # nothing was ever POSTed
        # Counted as one failed notification (AWS/SNS), once its minute has closed.
        cw = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                   region_name=REGION).client("cloudwatch", endpoint_url=srv.endpoint, config=CFG)

        def stat(metric):
            r = cw.get_metric_statistics(Namespace="AWS/SNS", MetricName=metric,
                                         Dimensions=[{"Name": "TopicName", "Value": topic.split(":")[-1]}],
                                         StartTime=time.time() - 86400, EndTime=time.time() + 86400, Period=3600,
                                         Statistics=["Sum"])
            return sum(p["Sum"] for p in r["Datapoints"])

        assert (stat("NumberOfNotificationsFailed"), stat("NumberOfNotificationsDelivered")) == (1, 0)
    finally:
        hook.close()
