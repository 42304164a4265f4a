#!/usr/bin/python3
"""Hostile clients against a Sluice binary (stdlib only). Usage: hostile.py path/to/sluice

Starts server A (plain HTTP + HTTPS, modest limits: 3 s idle timeout, 2 s request timeout, 8 KiB headers,
64 KiB bodies, 20 requests/s per connection with a burst of 40) and server B (max_connections = 100), then
runs all of these at once against A:
  - thousands of idle connections (plain, and TLS after the handshake): the server closes every one of
    them after its idle timeout and sends nothing;
  - slowloris clients (one header byte every 0.5 s, plain and over TLS): closed by the request timeout;
  - half-open TLS: connections that never send a byte, and ones that stop in the middle of a ClientHello;
  - oversized headers (431 and close) and bodies (413 and close; Content-Length and chunked), plain and TLS;
  - garbage bytes (400 or a plain close, never anything else), plain and TLS;
  - rate-limit abusers (AWS Query and JSON 1.0): the burst passes, then RequestThrottled (403, AWS-shaped),
    then the connection is closed; the admin port answers 429;
while well-behaved clients (plain and HTTPS, raw http.client) keep doing SendMessage / ReceiveMessage /
DeleteMessage, every request succeeding within a bound, and every message sent is received exactly once.
Against B: connections beyond max_connections are closed at once, without affecting the open ones, and
accepted again once others left. At the end both servers are alive and A's memory (RSS) is bounded.
Every check is an assertion; a summary with the numbers is printed. Exit status 0 = all passed.
"""
import hashlib
import http.client
import json
import os
import random
import re
import resource
import selectors
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
DATA = REPO / "tests" / "unit" / "net" / "data"
CA = str(DATA / "ca.pem")

RATE, BURST, ABUSE_FACTOR = 20, 40, 10
IDLE_TIMEOUT, REQUEST_TIMEOUT = 3, 2
MAX_HEADER, MAX_BODY = 8192, 65536
LATENCY_BOUND = 5.0  # s, per well-behaved request (generous: 2 shared cores, hostile load, maybe ASan)
RSS_BOUND_MB = 400   # server A at the end, after the idle connections are gone
CLOSE_BOUND = 20.0   # s, for the server to close idle / slow / half-open connections (timeouts: 2-3 s)

failures = []
notes = []
lock = threading.Lock()


def check(cond, what):
    if not cond:
        with lock:
            failures.append(what)
        print(f"FAIL {what}", flush=True)
    return cond


def note(text):
    with lock:
        notes.append(text)
    print(f"  {text}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def tls_context():
    ctx = ssl.create_default_context(cafile=CA)
    return ctx


def connect(port, tls=False, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    if tls:
        s = tls_context().wrap_socket(s, server_hostname="localhost")
    return s


def read_response(sock):
    """Reads one HTTP/1.1 response with Content-Length. Returns (status, headers(lower), body) or None when
    the connection closed first."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        try:
            chunk = sock.recv(65536)
        except (ConnectionError, ssl.SSLError, OSError):
            return None
        if not chunk:
            return None
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3})", lines[0])
    if not m:
        return (0, {}, buf)
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    while len(rest) < n:
        try:
            chunk = sock.recv(65536)
        except (ConnectionError, ssl.SSLError, OSError):
            return None
        if not chunk:
            return None
        rest += chunk
    return (int(m.group(1)), headers, rest[:n])


def wait_closed(sock, timeout):
    """True when the peer closes (EOF or reset) within timeout, after reading and discarding any data.
    Returns (closed, bytes_received)."""
    sock.settimeout(timeout)
    got = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return False, got
        except (ConnectionError, ssl.SSLError, OSError):
            return True, got
        if not chunk:
            return True, got
        got += chunk
    return False, got


def query_body(action, **params):
    return urllib.parse.urlencode({"Action": action, "Version": "2012-11-05", **params}).encode()


def query_request(action, host="localhost", **params):
    body = query_body(action, **params)
    return (f"POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def json_request(action, doc, host="localhost"):
    body = json.dumps(doc).encode()
    return (f"POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-amz-json-1.0\r\n"
            f"X-Amz-Target: AmazonSQS.{action}\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


# ---------------------------------------------------------------- servers

class Server:
    def __init__(self, binary, workdir, name, server_lines):
        self.port, self.admin_port = free_port(), free_port()
        self.tls_port = free_port()
        lines = ["[server]", f'listen = "127.0.0.1:{self.port}"', f'admin_listen = "127.0.0.1:{self.admin_port}"']
        lines += [line.format(tls_port=self.tls_port, cert=DATA / "server-cert.pem", key=DATA / "server-key.pem")
                  for line in server_lines]
        cfg = Path(workdir) / f"{name}.toml"
        cfg.write_text("\n".join(lines) + "\n")
        self.log_path = Path(workdir) / f"{name}.log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([binary, "serve", "--config", str(cfg), "--ephemeral", "--log-level", "warn"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"{name} exited with {self.proc.returncode}:\n{self.log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.admin_port}/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.proc.kill()
                raise SystemExit(f"{name} did not answer /health:\n{self.log_path.read_text()}")
            time.sleep(0.05)

    def healthy(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.admin_port}/health", timeout=5) as r:
                return r.status == 200
        except OSError:
            return False

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


# ---------------------------------------------------------------- well-behaved clients

class GoodClient(threading.Thread):
    """SendMessage / ReceiveMessage / DeleteMessage in a loop over one keep-alive connection (Query
    protocol), at about 10 requests/s: under the per-connection rate."""

    def __init__(self, server, tls, stop):
        super().__init__(daemon=True)
        self.server, self.tls, self.stop = server, tls, stop
        self.name = "https" if tls else "http"
        self.latencies, self.errors = [], []
        self.sent, self.received = set(), []
        self.queue_url = None

    def conn(self):
        if self.tls:
            return http.client.HTTPSConnection("localhost", self.server.tls_port, timeout=30,
                                               context=tls_context())
        return http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)

    def call(self, c, action, **params):
        t0 = time.monotonic()
        c.request("POST", "/", body=query_body(action, **params),
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
        r = c.getresponse()
        data = r.read().decode()
        self.latencies.append(time.monotonic() - t0)
        if r.status != 200:
            raise RuntimeError(f"{action}: HTTP {r.status}: {data[:300]}")
        return data

    def run(self):
        c = self.conn()
        try:
            out = self.call(c, "CreateQueue", QueueName=f"hostile-{self.name}-{os.getpid()}")
            self.queue_url = re.search(r"<QueueUrl>([^<]+)</QueueUrl>", out).group(1)
            i = 0
            while not self.stop.is_set():
                body = f"{self.name} message {i} " + "x" * 200
                out = self.call(c, "SendMessage", QueueUrl=self.queue_url, MessageBody=body)
                md5 = re.search(r"<MD5OfMessageBody>([0-9a-f]+)<", out).group(1)
                if md5 != hashlib.md5(body.encode()).hexdigest():
                    raise RuntimeError(f"bad MD5 for {body!r}: {md5}")
                self.sent.add(body)
                self.receive_some(c, 0)
                i += 1
                time.sleep(0.25)
            # Drain what is left.
            deadline = time.monotonic() + 10
            while len(self.received) < len(self.sent) and time.monotonic() < deadline:
                self.receive_some(c, 1)
        except Exception as e:  # noqa: BLE001 - every failure is a finding
            self.errors.append(f"{type(e).__name__}: {e}")
        finally:
            c.close()

    def receive_some(self, c, wait):
        out = self.call(c, "ReceiveMessage", QueueUrl=self.queue_url, MaxNumberOfMessages="10",
                        WaitTimeSeconds=str(wait), VisibilityTimeout="60")
        for m in re.finditer(r"<Message>.*?</Message>", out, re.S):
            body = re.search(r"<Body>(.*?)</Body>", m.group(0), re.S).group(1)
            handle = re.search(r"<ReceiptHandle>(.*?)</ReceiptHandle>", m.group(0), re.S).group(1)
            self.received.append(body)
            self.call(c, "DeleteMessage", QueueUrl=self.queue_url, ReceiptHandle=handle)


# ---------------------------------------------------------------- hostile clients

def idle_flood(server, n_plain, n_tls, results):
    socks = []
    t0 = time.monotonic()
    for i in range(n_plain):
        try:
            socks.append((socket.create_connection(("127.0.0.1", server.port), timeout=10), False))
        except OSError as e:
            check(False, f"idle flood: plain connection {i} failed: {e}")
            break
    for i in range(n_tls):
        try:
            socks.append((connect(server.tls_port, tls=True), True))
        except OSError as e:
            check(False, f"idle flood: TLS connection {i} failed: {e}")
            break
    opened = time.monotonic()
    results["idle_open_s"] = opened - t0
    results["idle_opened"] = len(socks)
    results["rss_idle_open_mb"] = rss_mb(server.proc.pid)
    sel = selectors.DefaultSelector()
    for s, tls in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, tls)
    open_count, data_received, last_close = len(socks), 0, opened
    deadline = opened + IDLE_TIMEOUT + CLOSE_BOUND
    while open_count and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.5):
            s = key.fileobj
            try:
                chunk = s.recv(4096)
            except (ssl.SSLWantReadError, BlockingIOError):
                continue  # TLS 1.3 session ticket: no application data
            except (ConnectionError, ssl.SSLError, OSError):
                chunk = b""
            if chunk:
                data_received += len(chunk)
                continue
            sel.unregister(s)
            s.close()
            open_count -= 1
            last_close = time.monotonic()
    for key in list(sel.get_map().values()):
        key.fileobj.close()
    results["idle_all_closed_after_s"] = last_close - opened
    check(open_count == 0, f"idle flood: {open_count} of {len(socks)} idle connections still open "
                           f"{IDLE_TIMEOUT + CLOSE_BOUND} s after opening")
    check(data_received == 0, f"idle flood: the server sent {data_received} bytes to idle connections")


def slowloris(server, n_plain, n_tls, results):
    conns = []
    for i in range(n_plain + n_tls):
        tls = i >= n_plain
        try:
            s = connect(server.tls_port if tls else server.port, tls=tls)
            s.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
            conns.append([s, time.monotonic(), None])
        except OSError as e:
            check(False, f"slowloris: connect {i}: {e}")
    deadline = time.monotonic() + REQUEST_TIMEOUT + CLOSE_BOUND
    while time.monotonic() < deadline and any(c[2] is None for c in conns):
        time.sleep(0.5)
        for c in conns:
            if c[2] is not None:
                continue
            try:
                c[0].sendall(b"a")
            except (OSError, ssl.SSLError):
                c[2] = time.monotonic() - c[1]
    still = sum(1 for c in conns if c[2] is None)
    for c in conns:
        c[0].close()
    times = [c[2] for c in conns if c[2] is not None]
    results["slowloris_closed_max_s"] = max(times) if times else None
    check(still == 0, f"slowloris: {still} of {len(conns)} dribbling connections never closed")


def half_open_tls(server, n_silent, n_partial, results):
    # A real ClientHello, cut in half.
    obj = ssl.create_default_context().wrap_bio(ssl.MemoryBIO(), out := ssl.MemoryBIO(), server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = out.read()
    socks = []
    for i in range(n_silent + n_partial):
        s = socket.create_connection(("127.0.0.1", server.tls_port), timeout=10)
        if i >= n_silent:
            s.sendall(hello[: len(hello) // 2])
        socks.append(s)
    t0 = time.monotonic()
    closed = 0
    for s in socks:
        ok, _ = wait_closed(s, max(0.1, t0 + REQUEST_TIMEOUT + CLOSE_BOUND - time.monotonic()))
        closed += ok
        s.close()
    results["half_open_closed_after_s"] = time.monotonic() - t0
    check(closed == len(socks), f"half-open TLS: {len(socks) - closed} of {len(socks)} never closed")


def oversized_and_garbage(server, results):
    counts = {"431": 0, "413": 0, "garbage_400": 0, "garbage_closed": 0}
    for tls in (False, True):
        port = server.tls_port if tls else server.port
        kind = "TLS" if tls else "plain"
        for _ in range(5):  # header block over the limit
            s = connect(port, tls)
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"h" * (MAX_HEADER * 3) + b"\r\n\r\n")
            r = read_response(s)
            if check(r is not None and r[0] == 431, f"{kind} oversized header: got {r and r[0]}"):
                counts["431"] += 1
                check(r[1].get("connection") == "close", f"{kind} 431 without Connection: close")
                check(wait_closed(s, 10)[0], f"{kind} 431: connection not closed")
            s.close()
        for _ in range(3):  # Content-Length over the limit: answered before the body is read
            s = connect(port, tls)
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n" + b"b" * 4096)
            r = read_response(s)
            if check(r is not None and r[0] == 413, f"{kind} oversized body: got {r and r[0]}"):
                counts["413"] += 1
                check(wait_closed(s, 10)[0], f"{kind} 413: connection not closed")
            s.close()
        s = connect(port, tls)  # chunked, growing past the limit
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        status = None
        try:
            for _ in range(2 * MAX_BODY // 4096 + 2):
                s.sendall(b"1000\r\n" + b"c" * 4096 + b"\r\n")
        except OSError:
            pass
        r = read_response(s)
        status = r and r[0]
        if check(status == 413, f"{kind} chunked oversized body: got {status}"):
            counts["413"] += 1
        s.close()
        rnd = random.Random(7)
        for i in range(10):  # garbage
            s = connect(port, tls)
            blob = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 3000)))
            if i % 2:
                blob += b"\r\n\r\n"
            try:
                s.sendall(blob)
            except OSError:
                pass
            closed, got = wait_closed(s, 10)
            if got:
                ok = got.startswith(b"HTTP/1.1 400 ")
                counts["garbage_400"] += ok
                check(ok, f"{kind} garbage answered with {got[:40]!r}")
            else:
                counts["garbage_closed"] += 1
            check(closed, f"{kind} garbage: connection not closed")
            s.close()
    rnd = random.Random(11)
    for i in range(10):  # garbage instead of a TLS handshake: an alert at most, then closed
        s = socket.create_connection(("127.0.0.1", server.tls_port), timeout=10)
        blob = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 3000)))
        if i % 2:
            blob = b"\x16\x03\x01" + blob  # looks like a handshake record at first
        try:
            s.sendall(blob)
        except OSError:
            pass
        closed, got = wait_closed(s, 10)
        check(closed, "raw garbage on the TLS port: connection not closed")
        check(not got or got[0] == 0x15, f"raw garbage on the TLS port answered with {got[:20]!r}")
        counts["garbage_closed"] += closed
        s.close()
    results.update(counts)


def rate_abuser(server, protocol, results):
    s = connect(server.port)
    if protocol == "json":
        req = json_request("ListQueues", {})
    else:
        req = query_request("ListQueues")
    ok = throttled = 0
    first_throttled_at = None
    closed_by_server = False
    for i in range(20000):
        try:
            s.sendall(req)
        except OSError:
            closed_by_server = True
            break
        r = read_response(s)
        if r is None:
            closed_by_server = True
            break
        status, headers, body = r
        if status == 200:
            ok += 1
        elif status == 403:
            throttled += 1
            if first_throttled_at is None:
                first_throttled_at = i
                text = body.decode()
                check(bool(headers.get("x-amzn-requestid")), f"{protocol} throttled: no request id")
                if protocol == "json":
                    doc = json.loads(text)
                    check(doc.get("__type") == "com.amazonaws.sqs#RequestThrottled", f"json throttled body {text}")
                    check(headers.get("x-amzn-query-error") == "RequestThrottled;Sender",
                          f"json throttled x-amzn-query-error {headers}")
                else:
                    check("<Code>RequestThrottled</Code>" in text and "<Type>Sender</Type>" in text
                          and "<RequestId>" in text, f"query throttled body {text}")
        else:
            check(False, f"{protocol} abuser: unexpected status {status}: {body[:200]!r}")
            break
        if headers.get("connection") == "close":
            closed_by_server = wait_closed(s, 10)[0]
            break
    s.close()
    results[f"abuser_{protocol}"] = {"ok": ok, "throttled": throttled, "closed": closed_by_server}
    check(first_throttled_at is not None and first_throttled_at >= BURST,
          f"{protocol} abuser: throttled at request {first_throttled_at}, burst is {BURST}")
    check(throttled >= ABUSE_FACTOR * BURST - 1, f"{protocol} abuser: only {throttled} throttled before the close")
    check(closed_by_server, f"{protocol} abuser: connection never closed ({ok} ok, {throttled} throttled)")


def admin_abuser(server, results):
    s = socket.create_connection(("127.0.0.1", server.admin_port), timeout=10)
    statuses = []
    for _ in range(BURST + 10):
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        r = read_response(s)
        if r is None:
            break
        statuses.append(r[0])
    s.close()
    results["admin_429"] = statuses.count(429)
    check(statuses[:BURST] == [200] * BURST and 429 in statuses, f"admin abuser statuses {statuses}")


def connection_limit(server_b, limit, results):
    good = http.client.HTTPConnection("127.0.0.1", server_b.port, timeout=10)

    def good_call():
        good.request("POST", "/", body=query_body("ListQueues"),
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        r = good.getresponse()
        r.read()
        return r.status

    check(good_call() == 200, "limit: first request")
    held = []
    for _ in range(limit - 1):
        s = socket.create_connection(("127.0.0.1", server_b.port), timeout=10)
        held.append(s)
    # The server may still be registering the last of them; one well-behaved request makes sure the
    # accept loop has caught up (it runs on the same io thread as sessions).
    check(good_call() == 200, "limit: request with the server full")
    refused = 0
    for _ in range(50):
        s = socket.create_connection(("127.0.0.1", server_b.port), timeout=10)
        try:
            s.sendall(query_request("ListQueues"))
        except OSError:
            pass
        closed, got = wait_closed(s, 10)
        refused += closed and not got
        s.close()
    results["limit_refused"] = refused
    check(refused == 50, f"limit: {50 - refused} of 50 connections over max_connections were not closed cleanly")
    for _ in range(20):
        check(good_call() == 200, "limit: the open connection stopped working")
    for s in held[:10]:  # room again: accepted once the server saw them go
        s.close()
    accepted = False
    deadline = time.monotonic() + 10
    while not accepted and time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", server_b.port, timeout=5)
            c.request("POST", "/", body=query_body("ListQueues"),
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
            accepted = c.getresponse().status == 200
            c.close()
        except (OSError, http.client.HTTPException):
            time.sleep(0.1)
    check(accepted, "limit: no new connection accepted after others closed")
    for s in held[10:]:
        s.close()
    good.close()


def monitor(server, stop, results):
    peak = 0.0
    while not stop.wait(0.2):
        peak = max(peak, rss_mb(server.proc.pid))
    results["rss_peak_mb"] = peak


def main():
    binary = os.path.realpath(sys.argv[1] if len(sys.argv) > 1 else REPO / "build" / "sluice")
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"sluice binary not found: {binary}")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    except (ValueError, OSError):
        pass
    n_plain, n_tls = 3000, 300
    budget = soft - 800  # everything else this script opens, plus slack
    if budget < n_plain + n_tls:
        n_plain = max(100, int(budget * 0.9))
        n_tls = max(10, budget - n_plain)
        note(f"open-file limit {soft}: idle flood scaled down to {n_plain} plain + {n_tls} TLS")
    workdir = tempfile.mkdtemp(prefix="sluice-hostile-")
    a = Server(binary, workdir, "server-a", [
        'tls_listen = "127.0.0.1:{tls_port}"', 'tls_cert_file = "{cert}"', 'tls_key_file = "{key}"',
        f"max_connections = {n_plain + n_tls + 1000}", f"max_header_bytes = {MAX_HEADER}",
        f"max_body_bytes = {MAX_BODY}", f"idle_timeout_seconds = {IDLE_TIMEOUT}",
        f"request_timeout_seconds = {REQUEST_TIMEOUT}", f"max_requests_per_second = {RATE}",
        f"request_burst = {BURST}"])
    limit = 100
    b = Server(binary, workdir, "server-b", [f"max_connections = {limit}"])
    results = {"rss_start_mb": rss_mb(a.proc.pid)}
    t_start = time.monotonic()
    try:
        stop_good, stop_monitor = threading.Event(), threading.Event()
        good = [GoodClient(a, False, stop_good), GoodClient(a, True, stop_good)]
        mon = threading.Thread(target=monitor, args=(a, stop_monitor, results), daemon=True)
        mon.start()
        for g in good:
            g.start()
        time.sleep(0.5)
        attacks = [
            threading.Thread(target=idle_flood, args=(a, n_plain, n_tls, results)),
            threading.Thread(target=slowloris, args=(a, 50, 20, results)),
            threading.Thread(target=half_open_tls, args=(a, 30, 20, results)),
            threading.Thread(target=oversized_and_garbage, args=(a, results)),
            threading.Thread(target=rate_abuser, args=(a, "query", results)),
            threading.Thread(target=rate_abuser, args=(a, "json", results)),
            threading.Thread(target=admin_abuser, args=(a, results)),
            threading.Thread(target=connection_limit, args=(b, limit, results)),
        ]
        for t in attacks:
            t.daemon = True
            t.start()
        for t in attacks:
            t.join(60)
            check(not t.is_alive(), f"attack {t.name} did not finish within 60 s")
        stop_good.set()
        for g in good:
            g.join(30)
        stop_monitor.set()
        mon.join(5)

        for g in good:
            check(not g.errors, f"well-behaved {g.name} client failed: {g.errors}")
            check(len(g.sent) >= 10, f"well-behaved {g.name}: only {len(g.sent)} messages sent")
            check(sorted(g.received) == sorted(g.sent),
                  f"well-behaved {g.name}: sent {len(g.sent)}, received {len(g.received)} "
                  f"(duplicates or losses)")
            worst = max(g.latencies) if g.latencies else None
            results[f"good_{g.name}"] = {"requests": len(g.latencies), "messages": len(g.sent),
                                         "max_latency_ms": round(1000 * worst, 1) if worst else None}
            check(worst is not None and worst < LATENCY_BOUND,
                  f"well-behaved {g.name}: slowest request took {worst} s (bound {LATENCY_BOUND} s)")
        for srv, name in ((a, "A"), (b, "B")):
            check(srv.proc.poll() is None, f"server {name} died (exit {srv.proc.returncode})")
            check(srv.healthy(), f"server {name} does not answer /health")
        results["rss_end_mb"] = rss_mb(a.proc.pid)
        check(results["rss_end_mb"] < RSS_BOUND_MB, f"server A RSS {results['rss_end_mb']:.0f} MiB at the end "
                                                    f"(bound {RSS_BOUND_MB} MiB)")
    finally:
        a.stop()
        b.stop()
    for srv, name in ((a, "A"), (b, "B")):
        log = srv.log_path.read_text(errors="replace")
        check("AddressSanitizer" not in log and "runtime error" not in log and "[critical]" not in log,
              f"server {name} log reports memory errors:\n{log[-3000:]}")
    results["elapsed_s"] = round(time.monotonic() - t_start, 1)
    print("results: " + json.dumps({k: (round(v, 2) if isinstance(v, float) else v) for k, v in results.items()}))
    for n in notes:
        print(f"note: {n}")
    if failures:
        print(f"hostile: {len(failures)} failure(s)")
        return 1
    print("hostile: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
