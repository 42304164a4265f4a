"""EventBridge API destinations and connections against Sluice with boto3: the connection and destination
actions (secrets never returned), a rule target that calls a real local HTTP server (python http.server) with
basic auth, HttpParameters and the transformed event, at most the destination's rate per second of the server's
clock, retries on 5xx then the dead-letter queue, no retry on 400, durability across kill -9, and the loopback
refusal with auth "sigv4"."""
import base64
import json
import signal
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import REGION, Sluice
from test_events import ACCOUNT, client, drain, expect, queue, uid


class Endpoint:
    """A local HTTP server recording every request; answers `status` (per path prefix)."""

    def __init__(self, user="alice", password="s3cret"):
        self.requests = []
        self.cond = threading.Condition()
        self.status = {}
        self.auth_by_path = {}  # first path segment -> expected Authorization
        self.expected_auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def handle_any(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                path = urllib.parse.urlsplit(self.path)
                with outer.cond:
                    outer.requests.append({"method": self.command, "path": path.path,
                                           "query": dict(urllib.parse.parse_qsl(path.query)),
                                           "headers": {k.lower(): v for k, v in self.headers.items()},
                                           "body": body, "at": time.time()})
                    outer.cond.notify_all()
                    status = 200
                    for prefix, s in outer.status.items():
                        if path.path.startswith(prefix):
                            status = s
                expected = outer.auth_by_path.get(path.path.split("/")[1], outer.expected_auth)
                if self.headers.get("Authorization") != expected:
                    status = 403
                if path.path == "/token" and status == 200:  # an OAuth client-credentials endpoint
                    answer = json.dumps({"access_token": "tok-orders", "token_type": "Bearer",
                                         "expires_in": 3600}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                    return
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_PUT = do_GET = handle_any

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def on(self, prefix):
        with self.cond:
            return [r for r in self.requests if r["path"].startswith(prefix)]

    def wait(self, prefix, count, timeout=15):
        with self.cond:
            assert self.cond.wait_for(lambda: len([r for r in self.requests if r["path"].startswith(prefix)]) >= count,
                                      timeout), f"{len(self.on(prefix))} requests on {prefix}, expected {count}"
        return self.on(prefix)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = Sluice(tmp_path_factory.mktemp("events-api"), '[testing]\nclock = "adjustable"\n')
    yield s
    s.stop()


@pytest.fixture(scope="module")
def ev(srv):
    return client(srv.endpoint, "events")


@pytest.fixture(scope="module")
def sqs(srv):
    return client(srv.endpoint, "sqs")


@pytest.fixture()
def hook():
    e = Endpoint()
    yield e
    e.close()


def basic_connection(ev, name=None, **kwargs):
    name = name or "conn-" + uid()
    r = ev.create_connection(Name=name, AuthorizationType="BASIC", AuthParameters={
        "BasicAuthParameters": {"Username": "alice", "Password": "s3cret"},
        "InvocationHttpParameters": {"HeaderParameters": [
            {"Key": "X-Conn", "Value": "from-connection", "IsValueSecret": False},
            {"Key": "X-Token", "Value": "hidden", "IsValueSecret": True}]}}, **kwargs)
    return name, r


def test_connection_lifecycle_never_returns_secrets(ev):
    name, created = basic_connection(ev, Description="to the partner")
    arn = created["ConnectionArn"]
    assert arn.startswith(f"arn:aws:events:{REGION}:{ACCOUNT}:connection/{name}/")
    assert created["ConnectionState"] == "CREATING"
    d = ev.describe_connection(Name=name)
    assert d["ConnectionState"] == "AUTHORIZED" and d["AuthorizationType"] == "BASIC"
    assert d["Description"] == "to the partner"
    assert d["AuthParameters"]["BasicAuthParameters"] == {"Username": "alice"}
    headers = d["AuthParameters"]["InvocationHttpParameters"]["HeaderParameters"]
    assert {"Key": "X-Token", "IsValueSecret": True} in headers
    assert {"Key": "X-Conn", "Value": "from-connection", "IsValueSecret": False} in headers
    assert "s3cret" not in json.dumps(d, default=str) and "hidden" not in json.dumps(d, default=str)
    expect(ev.create_connection, "ResourceAlreadyExistsException", f"Connection {name} already exists.",
           Name=name, AuthorizationType="API_KEY",
           AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "k"}})
    expect(ev.create_connection, "ValidationException",
           "ApiKeyAuthParameters must be specified for AuthorizationType API_KEY.",
           Name="other-" + uid(), AuthorizationType="API_KEY",
           AuthParameters={"BasicAuthParameters": {"Username": "a", "Password": "b"}})
    listed = ev.list_connections(NamePrefix=name)["Connections"]
    assert [c["Name"] for c in listed] == [name] and "AuthParameters" not in listed[0]
    # Update to an API key: the basic parameters go.
    up = ev.update_connection(Name=name, AuthorizationType="API_KEY", AuthParameters={
        "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "k-1"}})
    assert up["ConnectionState"] == "UPDATING"
    d = ev.describe_connection(Name=name)
    assert d["AuthorizationType"] == "API_KEY" and "BasicAuthParameters" not in d["AuthParameters"]
    assert d["AuthParameters"]["ApiKeyAuthParameters"] == {"ApiKeyName": "x-api-key"}
    assert ev.deauthorize_connection(Name=name)["ConnectionState"] == "DEAUTHORIZING"
    assert ev.describe_connection(Name=name)["ConnectionState"] == "DEAUTHORIZED"
    assert ev.list_connections(NamePrefix=name, ConnectionState="AUTHORIZED")["Connections"] == []
    assert ev.delete_connection(Name=name)["ConnectionState"] == "DELETING"
    expect(ev.describe_connection, "ResourceNotFoundException",
           f"Failed to describe the connection(s). Connection '{name}' does not exist.", Name=name)


def test_api_destination_lifecycle(ev):
    _, conn = basic_connection(ev)
    name = "dest-" + uid()
    created = ev.create_api_destination(Name=name, ConnectionArn=conn["ConnectionArn"],
                                        InvocationEndpoint="https://partner.example.com/orders/*",
                                        HttpMethod="POST", InvocationRateLimitPerSecond=5)
    assert created["ApiDestinationArn"].startswith(f"arn:aws:events:{REGION}:{ACCOUNT}:api-destination/{name}/")
    assert created["ApiDestinationState"] == "ACTIVE"
    d = ev.describe_api_destination(Name=name)
    assert d["InvocationEndpoint"] == "https://partner.example.com/orders/*" and d["HttpMethod"] == "POST"
    assert d["InvocationRateLimitPerSecond"] == 5 and d["ConnectionArn"] == conn["ConnectionArn"]
    ev.update_api_destination(Name=name, InvocationRateLimitPerSecond=10, HttpMethod="PUT")
    d = ev.describe_api_destination(Name=name)
    assert d["InvocationRateLimitPerSecond"] == 10 and d["HttpMethod"] == "PUT"
    listed = ev.list_api_destinations(ConnectionArn=conn["ConnectionArn"])["ApiDestinations"]
    assert [x["Name"] for x in listed] == [name]
    expect(ev.create_api_destination, "ResourceAlreadyExistsException", f"An api-destination '{name}' already exists.",
           Name=name, ConnectionArn=conn["ConnectionArn"], InvocationEndpoint="https://x.example.com",
           HttpMethod="POST")
    missing = conn["ConnectionArn"].rsplit("/", 2)[0] + "/nope/0b7f3a7e-1111-2222-3333-444455556666"
    expect(ev.create_api_destination, "ResourceNotFoundException", Name="d-" + uid(), ConnectionArn=missing,
           InvocationEndpoint="https://x.example.com", HttpMethod="POST")
    ev.delete_api_destination(Name=name)
    expect(ev.describe_api_destination, "ResourceNotFoundException",
           f"Failed to describe the api-destination(s). An api-destination '{name}' does not exist.", Name=name)


def destination(ev, hook, path, rate=5, method="POST"):
    _, conn = basic_connection(ev)
    name = "dest-" + uid()
    arn = ev.create_api_destination(Name=name, ConnectionArn=conn["ConnectionArn"],
                                    InvocationEndpoint=f"{hook.base}{path}/*", HttpMethod=method,
                                    InvocationRateLimitPerSecond=rate)["ApiDestinationArn"]
    return name, arn


def rule_to(ev, source, target):
    rule = "r-" + uid()
    ev.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
    ev.put_targets(Rule=rule, Targets=[target])
    return rule


def put(ev, source, n, start=0):
    for i in range(start, start + n, 10):
        batch = [{"Source": source, "DetailType": "Order", "Detail": json.dumps({"id": f"o-{j}", "n": j})}
                 for j in range(i, min(i + 10, start + n))]
        assert ev.put_events(Entries=batch)["FailedEntryCount"] == 0


def test_rule_target_calls_the_endpoint_transformed_with_auth_and_parameters_at_the_rate(ev, hook):
    _, arn = destination(ev, hook, "/orders", rate=5)
    source = "com.shop." + uid()
    rule_to(ev, source, {
        "Id": "api", "Arn": arn,
        "HttpParameters": {"PathParameterValues": ["$.detail.id"], "HeaderParameters": {"X-Order": "$.detail.id"},
                           "QueryStringParameters": {"from": "$.source", "fixed": "yes"}},
        "InputTransformer": {"InputPathsMap": {"id": "$.detail.id", "n": "$.detail.n"},
                             "InputTemplate": '{"order": <id>, "n": <n>}'}})
    put(ev, source, 15)
    got = hook.wait("/orders", 15)
    assert len(got) == 15
    for r in got:
        body = json.loads(r["body"])
        assert r["method"] == "POST"
        assert r["path"] == f"/orders/{body['order']}"
        assert r["headers"]["authorization"] == hook.expected_auth
        assert r["headers"]["x-order"] == body["order"] and r["headers"]["x-conn"] == "from-connection"
        assert r["headers"]["x-token"] == "hidden"
        assert r["headers"]["content-type"] == "application/json; charset=utf-8"
        assert r["headers"]["user-agent"] == "Amazon/EventBridge/ApiDestinations"
        assert r["query"] == {"from": source, "fixed": "yes"}
    assert sorted(json.loads(r["body"])["n"] for r in got) == list(range(15))
    # At most 5 per second of the server's clock: any 11 calls span more than one whole second (3 seconds).
    at = sorted(r["at"] for r in got)
    assert all(at[i + 10] - at[i] > 0.9 for i in range(len(at) - 10)), at


def test_5xx_is_retried_then_dead_lettered_and_400_is_not_retried(srv, ev, sqs, hook):
    dlq_url, dlq_arn = queue(sqs, "api-dlq-" + uid())
    _, arn = destination(ev, hook, "/fail", rate=100)
    hook.status["/fail"] = 503
    source = "com.fail." + uid()
    rule = rule_to(ev, source, {"Id": "api", "Arn": arn, "DeadLetterConfig": {"Arn": dlq_arn},
                                "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600}})
    put(ev, source, 1)
    hook.wait("/fail", 1)
    srv.advance_clock(2)
    hook.wait("/fail", 2)
    srv.advance_clock(4)
    calls = hook.wait("/fail", 3)
    (m,) = drain(sqs, dlq_url, want=1, tries=15, attributes=True)
    attrs = {k: v["StringValue"] for k, v in m["MessageAttributes"].items()}
    assert attrs["ERROR_CODE"] == "503" and attrs["RETRY_ATTEMPTS"] == "2"
    assert attrs["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
    assert attrs["TARGET_ARN"] == arn and attrs["RULE_ARN"].endswith(f":rule/{rule}")
    assert json.loads(m["Body"])["source"] == source
    assert len(calls) == 3
    # 400: not retried, dead-lettered at once.
    _, arn400 = destination(ev, hook, "/bad", rate=100)
    hook.status["/bad"] = 400
    source = "com.bad." + uid()
    rule_to(ev, source, {"Id": "api", "Arn": arn400, "DeadLetterConfig": {"Arn": dlq_arn}})
    put(ev, source, 1)
    (m,) = drain(sqs, dlq_url, want=1, tries=15, attributes=True)
    attrs = {k: v["StringValue"] for k, v in m["MessageAttributes"].items()}
    assert attrs["ERROR_CODE"] == "400" and attrs["RETRY_ATTEMPTS"] == "0"
    assert "EXHAUSTED_RETRY_CONDITION" not in attrs
    srv.advance_clock(10)
    assert len(hook.on("/bad")) == 1


def test_oauth_client_credentials_fetch_a_token_then_send_it(ev, hook):
    client_auth = "Basic " + base64.b64encode(b"client-1:csecret").decode()
    hook.auth_by_path["token"] = client_auth
    name = "oauth-" + uid()
    created = ev.create_connection(Name=name, AuthorizationType="OAUTH_CLIENT_CREDENTIALS", AuthParameters={
        "OAuthParameters": {"ClientParameters": {"ClientID": "client-1", "ClientSecret": "csecret"},
                            "AuthorizationEndpoint": f"{hook.base}/token", "HttpMethod": "POST",
                            "OAuthHttpParameters": {"BodyParameters": [{"Key": "scope", "Value": "orders"}]}}})
    assert created["ConnectionState"] == "AUTHORIZING"
    d = ev.describe_connection(Name=name)
    assert d["AuthParameters"]["OAuthParameters"]["ClientParameters"] == {"ClientID": "client-1"}
    assert "csecret" not in json.dumps(d, default=str)
    arn = ev.create_api_destination(Name="d-" + uid(), ConnectionArn=created["ConnectionArn"],
                                    InvocationEndpoint=f"{hook.base}/oauth", HttpMethod="POST")["ApiDestinationArn"]
    hook.auth_by_path["oauth"] = "Bearer tok-orders"
    source = "com.oauth." + uid()
    rule_to(ev, source, {"Id": "api", "Arn": arn})
    put(ev, source, 3)
    got = hook.wait("/oauth", 3)
    assert all(r["headers"]["authorization"] == "Bearer tok-orders" for r in got), got
    tokens = hook.on("/token")
    assert 1 <= len(tokens) <= 3  # the first calls, made together, may each ask for one
    assert tokens[-1]["headers"]["authorization"] == client_auth
    assert urllib.parse.parse_qs(tokens[-1]["body"].decode()) == {"grant_type": ["client_credentials"],
                                                                   "scope": ["orders"]}


def test_answered_events_survive_kill_9(tmp_path, hook):
    s = Sluice(tmp_path, '[testing]\nclock = "adjustable"\n', data_dir=tmp_path / "data")
    try:
        ev = client(s.endpoint, "events")
        _, arn = destination(ev, hook, "/durable", rate=100)
        hook.status["/durable"] = 503  # nothing gets through before the kill
        source = "com.durable." + uid()
        rule_to(ev, source, {"Id": "api", "Arn": arn})
        put(ev, source, 10)
        hook.wait("/durable", 10)
        s.proc.send_signal(signal.SIGKILL)
        s.proc.wait(5)
        s.log.close()
        before = len(hook.on("/durable"))
        hook.status["/durable"] = 200
        s.start()
        s.advance_clock(5)
        ok = []
        deadline = time.time() + 20
        while time.time() < deadline:
            ok = {json.loads(r["body"])["detail"]["n"] for r in hook.on("/durable")[before:]}
            if len(ok) == 10:
                break
            time.sleep(0.1)
        assert ok == set(range(10))
    finally:
        s.stop()


def test_loopback_endpoints_are_refused_with_auth(tmp_path):
    akid, secret = "AKIDAPIDEST", "secret-api"
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    cfg = "\n".join(["[auth]", 'mode = "sigv4"', f'region = "{REGION}"', f'accounts = ["{ACCOUNT}"]', "",
                     "[sns]", 'allowed_endpoints = ["127.0.0.2:8080"]', "",
                     "[[auth.users]]", 'name = "admin"', f'account = "{ACCOUNT}"', f'access_key_id = "{akid}"',
                     f'secret_access_key = "{secret}"', f"policies = [{json.dumps(policy)}]", ""])
    s = Sluice(tmp_path, cfg)
    try:
        ev = client(s.endpoint, "events", akid, secret)
        _, conn = basic_connection(ev)
        for url in ("http://127.0.0.1:9/x", "http://localhost/x", f"http://127.0.0.1:{s.port}/"):
            expect(ev.create_api_destination, "ValidationException",
                   "Parameter InvocationEndpoint is not valid. Reason: Endpoints on a loopback address or on this "
                   "server are not allowed.",
                   Name="d-" + uid(), ConnectionArn=conn["ConnectionArn"], InvocationEndpoint=url, HttpMethod="POST")
        ev.create_api_destination(Name="allowed", ConnectionArn=conn["ConnectionArn"],
                                  InvocationEndpoint="http://127.0.0.2:8080/hook", HttpMethod="POST")
        ev.create_api_destination(Name="public", ConnectionArn=conn["ConnectionArn"],
                                  InvocationEndpoint="https://partner.example.com/hook", HttpMethod="POST")
        # The same guard for SNS's HTTP subscriptions (services/platform/endpoint_guard.h).
        sns = client(s.endpoint, "sns", akid, secret)
        topic = sns.create_topic(Name="guarded")["TopicArn"]
        expect(sns.subscribe, "InvalidParameter",
               "Invalid parameter: Endpoint Reason: Endpoints on a loopback address or on this server are not allowed",
               TopicArn=topic, Protocol="http", Endpoint="http://127.0.0.1:9/x")
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint="http://127.0.0.2:8080/hook")
    finally:
        s.stop()
