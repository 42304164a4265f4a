"""Fixtures for the Sluice end-to-end suite (boto3 against the real binary).

Environment:
  SLUICE_BIN       path of the binary (default: <repo>/build/sluice)
  SLUICE_ENDPOINT  use an already running server (e.g. http://127.0.0.1:9324) instead of starting one
  SLUICE_SERVE_ARGS  storage arguments of the session's server instead of --ephemeral
  SLUICE_PROTOCOL  "query" (default; Debian's boto3 1.26 speaks awsQuery) or "json" (AWS JSON 1.0, by
                   loading the repo's current SQS model through AWS_DATA_PATH; the SSM tests, JSON
                   1.1 only, run in this pass with the repo's SSM model)
"""
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid
from collections import deque
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
PROTOCOL = os.environ.get("SLUICE_PROTOCOL", "query").lower()
if PROTOCOL not in ("query", "json"):
    raise RuntimeError(f"SLUICE_PROTOCOL must be query or json, not {PROTOCOL!r}")

# Must happen before botocore creates its loader (i.e. before any session exists). KMS, SSM and
# EventBridge (JSON 1.1 only) always use the repo's current models, which have operations Debian's boto3 1.26
# lacks; SQS uses it only in the JSON pass (boto3 1.26's own SQS model speaks Query).
_DATA = HERE / "data" / PROTOCOL
_MODELS = [("kms", "2014-11-01"), ("ssm", "2014-11-06"), ("events", "2015-10-07")] + ([("sqs", "2012-11-05")] if PROTOCOL == "json" else [])
for _svc, _version in _MODELS:
    (_DATA / _svc / _version).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO / "models" / f"{_svc}.json", _DATA / _svc / _version / "service-2.json")
os.environ["AWS_DATA_PATH"] = str(_DATA)
for _k in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
    os.environ.pop(_k, None)
os.environ.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

ACCOUNT = "000000000000"
REGION = "us-east-1"
_QUERY_ERRORS = json.loads((REPO / "models" / "sqs.query-errors.json").read_text())["errors"]
# query code -> expected JSON __type (modelled errors), plus the two common unmodelled ones (sqs-protocol.md §4)
JSON_TYPE_BY_CODE = {e["queryCode"]: e["json__type"] for e in _QUERY_ERRORS.values()}
JSON_TYPE_SUFFIX_BY_CODE = {"InvalidParameterValue": "InvalidParameterValueException",
                            "MissingParameter": "MissingRequiredParameterException"}


def _die_with_parent():
    """Runs in the child before exec: SIGTERM the server if pytest dies (e.g. killed by `timeout`)."""
    import ctypes
    import signal
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc, timeout=5):
    """SIGTERM (the server drains and exits), then SIGKILL if it has not exited within `timeout` s."""
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def wait_for_health(proc, admin_port, log_tail, what="sluice", fail=pytest.fail, timeout=10):
    """Waits until the server answers GET /health on its (plain HTTP) admin port. Calls `fail`
    with the end of its log, after killing it, when it exits or does not answer in time."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            fail(f"{what} exited with {proc.returncode} during startup:\n{log_tail()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/health", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait(5)
            fail(f"{what} did not answer /health within {timeout} s:\n{log_tail()}")
        time.sleep(0.05)


class Sluice:
    """A server of a test's own: started with a configuration file's text, stoppable, restartable (same data
    directory), with the adjustable testing clock when the configuration turns it on."""

    def __init__(self, directory, text="", env=None, data_dir=None, args=(), binary=None):
        self.dir = Path(directory)
        self.binary = binary
        self.args = list(args)
        (self.dir / "sluice.toml").write_text(text)
        self.env = dict(os.environ)
        self.env.pop("SLUICE_MASTER_KEY", None)
        self.env.update(env or {})
        self.data_dir = data_dir
        self.proc = None
        self.start()

    def start(self, env=None):
        binary = self.binary or os.environ.get("SLUICE_BIN") or str(REPO / "build" / "sluice")
        self.port, self.admin = _free_port(), _free_port()
        while self.admin == self.port:
            self.admin = _free_port()
        store = ["--data-dir", str(self.data_dir)] if self.data_dir else ["--ephemeral"]
        self.log = open(self.dir / "sluice.log", "a")
        self.proc = subprocess.Popen(
            [binary, "serve", "--config", str(self.dir / "sluice.toml"), "--listen", f"127.0.0.1:{self.port}",
             "--admin-listen", f"127.0.0.1:{self.admin}",
             *([] if "--log-level" in self.args else ["--log-level", "warn"]), *store, *self.args],
            stdout=self.log, stderr=subprocess.STDOUT, env=env or self.env, preexec_fn=_die_with_parent)
        self.endpoint = f"http://127.0.0.1:{self.port}"
        wait_for_health(self.proc, self.admin, self.log_tail)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            stop_process(self.proc, 10)
        self.log.close()

    def restart(self, env=None):
        self.stop()
        self.start(env)

    def log_tail(self):
        return (self.dir / "sluice.log").read_text(errors="replace")[-3000:]

    def advance_clock(self, seconds):
        req = urllib.request.Request(f"http://127.0.0.1:{self.admin}/test/clock/advance?seconds={seconds}",
                                     method="POST", data=b"")
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.read().decode()


class Server:
    def __init__(self, endpoint, port, admin_port=None, proc=None, log_path=None):
        self.endpoint, self.port, self.admin_port, self.proc, self.log_path = \
            endpoint, port, admin_port, proc, log_path

    def log_tail(self, n=4000):
        if not self.log_path or not os.path.exists(self.log_path):
            return ""
        return Path(self.log_path).read_text(errors="replace")[-n:]

    def alive(self):
        return self.proc is None or self.proc.poll() is None


@pytest.fixture(scope="session")
def server():
    existing = os.environ.get("SLUICE_ENDPOINT")
    if existing:
        port = int(existing.rsplit(":", 1)[1].strip("/"))
        yield Server(existing.rstrip("/"), port)
        return
    binary = os.environ.get("SLUICE_BIN") or str(REPO / "build" / "sluice")
    if not os.access(binary, os.X_OK):
        pytest.exit(f"sluice binary not found: {binary}", returncode=2)
    port, admin = _free_port(), _free_port()
    while admin == port:
        admin = _free_port()
    log = tempfile.NamedTemporaryFile(prefix="sluice-e2e-py-", suffix=".log", delete=False)
    # SLUICE_SERVE_ARGS replaces --ephemeral (e.g. "--backend postgres --postgres-url URL").
    store = shlex.split(os.environ.get("SLUICE_SERVE_ARGS", "")) or ["--ephemeral"]
    proc = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}",
                             "--admin-listen", f"127.0.0.1:{admin}", *store, "--log-level", "warn"],
                            stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
    srv = Server(f"http://127.0.0.1:{port}", port, admin, proc, log.name)
    wait_for_health(proc, admin, srv.log_tail,
                    fail=lambda msg: pytest.exit(msg, returncode=2))
    try:
        yield srv
    finally:
        stop_process(proc)
        log.close()


class Recorder:
    """Records the raw requests and responses botocore exchanges, to check the wire protocol."""

    def __init__(self):
        self.requests = deque(maxlen=64)
        self.responses = deque(maxlen=64)

    def on_send(self, request, **_):
        self.requests.append({"method": request.method, "url": request.url,
                              "headers": {k.lower(): (v.decode() if isinstance(v, bytes) else v)
                                          for k, v in request.headers.items()},
                              "body": request.body})
        return None

    def on_response(self, response_dict=None, **_):
        if response_dict is not None:
            self.responses.append(response_dict)

    @property
    def last_request(self):
        return self.requests[-1]

    @property
    def last_response(self):
        return self.responses[-1]


@pytest.fixture(scope="session")
def recorder():
    return Recorder()


@pytest.fixture(scope="session")
def make_client(server, recorder):
    def make(endpoint=None, read_timeout=40):
        session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                        region_name=REGION)
        client = session.client("sqs", endpoint_url=endpoint or server.endpoint, config=Config(
            retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=read_timeout,
            connect_timeout=5, max_pool_connections=20))
        client.meta.events.register("before-send.sqs", recorder.on_send)
        client.meta.events.register("response-received.sqs", recorder.on_response)
        return client
    return make


def assert_protocol(recorder, op):
    req = recorder.last_request
    ctype = req["headers"].get("content-type", "")
    if PROTOCOL == "json":
        assert ctype == "application/x-amz-json-1.0", req
        assert req["headers"].get("x-amz-target") == f"AmazonSQS.{op}", req
    else:
        assert ctype.startswith("application/x-www-form-urlencoded"), req
        assert "x-amz-target" not in req["headers"], req
        body = req["body"].decode() if isinstance(req["body"], bytes) else (req["body"] or "")
        assert f"Action={op}" in body, req


@pytest.fixture(scope="session")
def sqs(make_client, recorder):
    client = make_client()
    client.list_queues()
    assert_protocol(recorder, "ListQueues")  # the mode switch must not fail silently
    return client


def unique_name(prefix="q"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def make_queue(sqs):
    def make(prefix="e2e", attributes=None, fifo=False, tags=None):
        name = unique_name(prefix) + (".fifo" if fifo else "")
        attrs = dict(attributes or {})
        if fifo:
            attrs.setdefault("FifoQueue", "true")
        kwargs = {"QueueName": name, "Attributes": attrs}
        if tags:
            kwargs["tags"] = tags
        return sqs.create_queue(**kwargs)["QueueUrl"]
    return make


@pytest.fixture
def queue(make_queue):
    return make_queue()


def queue_arn(sqs, url):
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def expect_error(recorder, fn, code, status=400, message=None, **kwargs):
    """Calls fn(**kwargs), asserts the AWS error (code, HTTP status, optional exact message or regex) and
    its wire form for the protocol in use. `code` may be a tuple where AWS's code is not established.
    Returns the botocore error response."""
    with pytest.raises(ClientError) as info:
        fn(**kwargs)
    err = info.value.response
    got = (err["Error"].get("Code"), err["ResponseMetadata"].get("HTTPStatusCode"))
    codes = code if isinstance(code, tuple) else (code,)
    assert got[0] in codes and got[1] == status, f"expected {code}/{status}, got {got}: {err['Error']}"
    code = got[0]
    if message is not None:
        text = err["Error"].get("Message", "")
        if isinstance(message, re.Pattern):
            assert message.search(text), f"message {text!r} !~ {message.pattern!r}"
        else:
            assert text == message
    resp = recorder.last_response
    headers = {k.lower(): v for k, v in resp["headers"].items()}
    body = resp["body"].decode("utf-8", "replace") if isinstance(resp["body"], bytes) else resp["body"]
    if PROTOCOL == "json":
        assert headers.get("x-amzn-query-error") == f"{code};Sender", headers
        assert headers.get("content-type", "").startswith("application/x-amz-json-1.0"), headers
        assert headers.get("x-amzn-requestid"), headers
        doc = json.loads(body)
        if code in JSON_TYPE_BY_CODE:
            assert doc.get("__type") == JSON_TYPE_BY_CODE[code], doc
        elif code in JSON_TYPE_SUFFIX_BY_CODE:
            assert doc.get("__type", "").split("#")[-1] == JSON_TYPE_SUFFIX_BY_CODE[code], doc
        assert "message" in doc or "Message" in doc, doc
    else:
        assert "<ErrorResponse" in body and "<Type>Sender</Type>" in body, body
        assert re.search(r"</Error>\s*<RequestId>[^<]+</RequestId>\s*</ErrorResponse>", body), body
    return err


@pytest.fixture
def error(recorder):
    def check(fn, code, status=400, message=None, **kwargs):
        return expect_error(recorder, fn, code, status, message, **kwargs)
    return check


# ---------------------------------------------------------------- raw Query calls for operations that
# Debian's botocore 1.29 query model predates (the message move task API, 2023).

def _xml_to_dict(elem):
    children = list(elem)
    if not children:
        return elem.text or ""
    out = {}
    for child in children:
        tag = child.tag.split("}", 1)[-1]
        value = _xml_to_dict(child)
        if tag in out:
            if not isinstance(out[tag], list):
                out[tag] = [out[tag]]
            out[tag].append(value)
        else:
            out[tag] = value
    return out


def raw_query(server, recorder, action, params):
    import http.client
    import urllib.parse
    import xml.etree.ElementTree as ET
    body = urllib.parse.urlencode({"Action": action, "Version": "2012-11-05", **params},
                                  quote_via=urllib.parse.quote).encode()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("POST", "/", body=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        resp = conn.getresponse()
        data = resp.read()
        headers = dict(resp.getheaders())
    finally:
        conn.close()
    recorder.responses.append({"headers": headers, "body": data, "status_code": resp.status})
    root = ET.fromstring(data)
    if root.tag.split("}", 1)[-1] == "ErrorResponse":
        err = _xml_to_dict(root)["Error"]
        raise ClientError({"Error": {"Code": err.get("Code"), "Message": err.get("Message"),
                                     "Type": err.get("Type")},
                           "ResponseMetadata": {"HTTPStatusCode": resp.status}}, action)
    result = _xml_to_dict(root).get(f"{action}Result", {})
    return result if isinstance(result, dict) else {}


def _snake(op):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", op).lower()


@pytest.fixture
def move_api(sqs, server, recorder):
    """Calls StartMessageMoveTask / ListMessageMoveTasks / CancelMessageMoveTask through boto3 when the
    loaded model has them (JSON mode), else as hand-made Query requests. Returns boto3-shaped dicts."""
    def call(op, **params):
        method = getattr(sqs, _snake(op), None)
        if method is not None:
            return method(**params)
        result = raw_query(server, recorder, op, {k: str(v) for k, v in params.items()})
        if op == "ListMessageMoveTasks":
            entries = result.get("ListMessageMoveTasksResultEntry", [])
            entries = entries if isinstance(entries, list) else [entries]
            ints = ("ApproximateNumberOfMessagesMoved", "ApproximateNumberOfMessagesToMove",
                    "MaxNumberOfMessagesPerSecond", "StartedTimestamp")
            return {"Results": [{k: (int(v) if k in ints else v) for k, v in e.items()} for e in entries]}
        if op == "CancelMessageMoveTask":
            return {"ApproximateNumberOfMessagesMoved": int(result["ApproximateNumberOfMessagesMoved"])}
        return result
    return call


_SERVER_LOG = {}


@pytest.fixture(scope="session", autouse=True)
def _remember_server_log(server):
    _SERVER_LOG["path"] = server.log_path
    _SERVER_LOG["protocol"] = PROTOCOL


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    path = _SERVER_LOG.get("path")
    terminalreporter.write_line(f"protocol: {PROTOCOL}; server log: {path or '(external server)'}")
    if exitstatus != 0 and path and os.path.exists(path):
        tail = Path(path).read_text(errors="replace").splitlines()[-30:]
        if tail:
            terminalreporter.write_line("last server log lines:")
            for line in tail:
                terminalreporter.write_line("  " + line)


# ---------------------------------------------------------------- a second server with auth = "sigv4"

AUTH_ACCOUNT_A = "111111111111"
AUTH_ACCOUNT_B = "222222222222"
AUTH_USERS = {  # name -> (account, access key id, secret, identity policy statements)
    "admin": (AUTH_ACCOUNT_A, "AKIDADMINA", "admin-a-secret", [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]),
    "sender": (AUTH_ACCOUNT_A, "AKIDSENDER", "sender-secret",
               [{"Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:GetQueueUrl"], "Resource": "*"}]),
    "other": (AUTH_ACCOUNT_B, "AKIDADMINB", "admin-b-secret", [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]),
    "loopback": (AUTH_ACCOUNT_A, "AKIDLOOPBACK", "loopback-secret",
                 [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*",
                   "Condition": {"IpAddress": {"aws:SourceIp": ["127.0.0.0/8", "::1/128"]}}}]),
    "remote": (AUTH_ACCOUNT_A, "AKIDREMOTE", "remote-secret",
               [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*",
                 "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]),
}


@pytest.fixture(scope="session")
def auth_server(tmp_path_factory):
    """A Sluice with auth = "sigv4": accounts A and B, the users of AUTH_USERS (secrets inline, from an
    environment variable and from a file)."""
    binary = os.environ.get("SLUICE_BIN") or str(REPO / "build" / "sluice")
    d = tmp_path_factory.mktemp("auth")
    port, admin = _free_port(), _free_port()
    while admin == port:
        admin = _free_port()
    lines = ['[auth]', 'mode = "sigv4"', f'region = "{REGION}"',
             f'accounts = ["{AUTH_ACCOUNT_A}", "{AUTH_ACCOUNT_B}"]', '']
    env = dict(os.environ)
    for i, (name, (account, akid, secret, statements)) in enumerate(AUTH_USERS.items()):
        policy = json.dumps({"Version": "2012-10-17", "Statement": statements})
        lines += ['[[auth.users]]', f'name = "{name}"', f'account = "{account}"', f'access_key_id = "{akid}"']
        if i % 3 == 0:
            lines.append(f'secret_access_key = "{secret}"')
        elif i % 3 == 1:
            env[f"SLUICE_TEST_SECRET_{i}"] = secret
            lines.append(f'secret_env = "SLUICE_TEST_SECRET_{i}"')
        else:
            (d / f"{name}.secret").write_text(secret + "\n")
            lines.append(f'secret_file = "{name}.secret"')
        lines += [f"policies = [{json.dumps(policy)}]", '']
    (d / "sluice.toml").write_text("\n".join(lines))
    log = open(d / "sluice.log", "w")
    proc = subprocess.Popen([binary, "serve", "--config", str(d / "sluice.toml"), "--listen", f"127.0.0.1:{port}",
                             "--admin-listen", f"127.0.0.1:{admin}", "--ephemeral", "--log-level", "warn"],
                            stdout=log, stderr=subprocess.STDOUT, env=env, preexec_fn=_die_with_parent)
    srv = Server(f"http://127.0.0.1:{port}", port, admin, proc, str(d / "sluice.log"))
    wait_for_health(proc, admin, srv.log_tail, "sluice (auth)")
    try:
        yield srv
    finally:
        stop_process(proc)
        log.close()
