#!/usr/bin/python3
"""Crash test driver: producers and consumers under load, kill -9 of the server at random moments,
restart on the same data directory, then a final drain and the checks. See README.md.

Run through run.sh (which picks the ports and the data directory). Environment:
  SLUICE_BIN, CRASH_PORT, CRASH_ADMIN_PORT, CRASH_DATA_DIR, CRASH_WORK_DIR   (set by run.sh)
  CRASH_PIDFILE  the current server pid is written here (run.sh's cleanup kills it)
  CYCLES         kill/restart cycles (default 8, at least 1)
  LOAD_SECONDS   "MIN-MAX" or "MAX": load time before each kill (default 0.3-2.0)
  SEED           random seed (printed; set it to replay a run's kill schedule)
  CRASH_BUDGET   seconds the driver may take in total (default 80); the drain is cut short to fit

Only the AWS JSON 1.0 protocol over http.client: an answer is HTTP 200 with a parseable body, anything
else (connection error, timeout, 5xx) is an unknown outcome.
"""
import hashlib
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request

BIN = os.environ["SLUICE_BIN"]
PORT = int(os.environ["CRASH_PORT"])
ADMIN_PORT = int(os.environ["CRASH_ADMIN_PORT"])
DATA_DIR = os.environ["CRASH_DATA_DIR"]
WORK_DIR = os.environ["CRASH_WORK_DIR"]
PIDFILE = os.environ.get("CRASH_PIDFILE")
CYCLES = max(1, int(os.environ.get("CYCLES", "8")))
_ls = os.environ.get("LOAD_SECONDS", "0.3-2.0")
LOAD_MIN, LOAD_MAX = (float(x) for x in _ls.split("-", 1)) if "-" in _ls else (min(0.3, float(_ls)), float(_ls))
SEED = int(os.environ.get("SEED") or random.SystemRandom().randrange(1 << 30))
BUDGET = float(os.environ.get("CRASH_BUDGET", "80"))
T0 = time.monotonic()

MAX_VISIBILITY = 5        # consumers use VisibilityTimeout 2..MAX_VISIBILITY
MAX_RECEIVE_COUNT = 2     # RedrivePolicy of queue A
POISON_EVERY = 25         # bodies with seq % POISON_EVERY == 0 are never deleted by A's consumers
HTTP_TIMEOUT = 10
PAUSE_SINGLE, PAUSE_BATCH = 0.003, 0.015  # producer pacing, so that consumers keep up roughly
VOLATILE = {"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed", "LastModifiedTimestamp"}


def log(msg):
    print(f"[{time.monotonic() - T0:6.2f}s] {msg}", flush=True)


def now():
    return time.monotonic()


# ------------------------------------------------------------------------------------------ server

class Server:
    def __init__(self):
        self.proc = None
        self.starts = 0
        self.logs = []

    def start(self):
        self.starts += 1
        path = os.path.join(WORK_DIR, f"server-{self.starts}.log")
        self.logs.append(path)
        out = open(path, "wb")

        def die_with_parent():
            import ctypes
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG

        deadline = now() + 20
        while True:
            try:
                self.proc = subprocess.Popen(
                    [BIN, "serve", "--listen", f"127.0.0.1:{PORT}", "--admin-listen", f"127.0.0.1:{ADMIN_PORT}",
                     "--data-dir", DATA_DIR, "--log-level", "warn"],
                    stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, preexec_fn=die_with_parent)
            except OSError as e:  # e.g. ETXTBSY/ENOENT while another build relinks the binary
                if now() >= deadline:
                    raise
                log(f"cannot start {BIN} ({e}), retrying")
                time.sleep(1)
                continue
            if PIDFILE:
                with open(PIDFILE, "w") as f:
                    f.write(f"{self.proc.pid}\n")
            t_start = now()
            while now() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{ADMIN_PORT}/health", timeout=1) as r:
                        if r.status == 200:
                            out.close()
                            return now() - t_start
                except OSError:
                    pass
                time.sleep(0.05)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
                raise RuntimeError(f"server did not answer /health within 20 s; log {path}:\n{tail(path)}")
            # Exited during startup. The binary may be being relinked by someone else: retry a little.
            if now() >= deadline:
                raise RuntimeError(f"server exited with {self.proc.returncode} at start; log {path}:\n{tail(path)}")
            log(f"server exited with {self.proc.returncode} during start, retrying: {tail(path, 300)!r}")
            time.sleep(1)

    def kill9(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        t = now()
        self.proc.wait()
        return t

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def tail(path, n=2000):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")[-n:]
    except OSError:
        return ""


# ------------------------------------------------------------------------------------------ client

class Unknown(Exception):
    """No answer (connection error, timeout, non-JSON or 5xx): the outcome is unknown."""


class ApiError(Exception):
    def __init__(self, status, doc):
        super().__init__(f"HTTP {status}: {doc}")
        self.status, self.doc = status, doc


class Client:
    def __init__(self):
        self.conn = None

    def call(self, op, params, timeout=HTTP_TIMEOUT):
        body = json.dumps(params).encode()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout)
            self.conn.timeout = timeout
            if self.conn.sock is not None:
                self.conn.sock.settimeout(timeout)
            self.conn.request("POST", "/", body=body, headers={
                "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"AmazonSQS.{op}"})
            resp = self.conn.getresponse()
            data = resp.read()
            status = resp.status
        except (OSError, http.client.HTTPException) as e:
            self.close()
            raise Unknown(f"{op}: {type(e).__name__}: {e}") from None
        try:
            doc = json.loads(data) if data else {}
        except ValueError:
            self.close()
            raise Unknown(f"{op}: HTTP {status} with a body that is not JSON: {data[:200]!r}") from None
        if status == 200:
            return doc
        if status >= 500:
            raise Unknown(f"{op}: HTTP {status}: {doc}")
        raise ApiError(status, doc)

    def call_retry(self, op, params, tries=3):
        """For the harness's own calls against a running server: retried on a stale connection."""
        for i in range(tries):
            try:
                return self.call(op, params)
            except Unknown:
                if i == tries - 1:
                    raise
                time.sleep(0.2)

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:
                pass
            self.conn = None


# ------------------------------------------------------------------------------------------ records

def make_body(qname, producer, seq):
    head = f"crash|{qname}|{producer}|{seq}|"
    pad = hashlib.sha256(head.encode()).hexdigest()
    return head + pad * (1 + seq % 4)


def body_ok(body):
    parts = body.split("|")
    if len(parts) != 5 or parts[0] != "crash":
        return False
    try:
        return body == make_body(parts[1], parts[2], int(parts[3]))
    except ValueError:
        return False


class Ledger:
    def __init__(self):
        self.lock = threading.Lock()
        self.sends = {}        # body -> {"queue", "state": acked|maybe|refused, "id"}
        self.receives = []     # (body, msg_id, queue, count, t_req, t_ans, md5_ok, server run, handle)
        self.deletes = {}      # body -> [(t_ack, count_of_handle, queue)]
        self.errors = []       # unexpected API errors (4xx), kept for the report

    def sent(self, body, queue, state, msg_id=None):
        with self.lock:
            self.sends[body] = {"queue": queue, "state": state, "id": msg_id}

    def received(self, queue, msgs, t_req, t_ans, cycle):
        with self.lock:
            for m in msgs:
                body = m.get("Body", "")
                md5_ok = m.get("MD5OfBody") == hashlib.md5(body.encode()).hexdigest()
                count = int(m.get("Attributes", {}).get("ApproximateReceiveCount", "0"))
                self.receives.append((body, m.get("MessageId"), queue, count, t_req, t_ans, md5_ok, cycle,
                                      m.get("ReceiptHandle")))

    def deleted(self, body, t_ack, count, queue):
        with self.lock:
            self.deletes.setdefault(body, []).append((t_ack, count, queue))

    def error(self, text):
        with self.lock:
            if len(self.errors) < 50:
                self.errors.append(text)


# ------------------------------------------------------------------------------------------ load

def producer(ledger, stop, qurl, qname, pid, batch, rnd):
    c = Client()
    seq = 0
    try:
        while not stop.is_set():
            if batch:
                bodies = [make_body(qname, pid, seq + i) for i in range(10)]
                seq += 10
                for b in bodies:
                    ledger.sent(b, qname, "maybe")  # until answered
                try:
                    doc = c.call("SendMessageBatch", {"QueueUrl": qurl, "Entries": [
                        {"Id": f"e{i}", "MessageBody": b} for i, b in enumerate(bodies)]})
                except Unknown:
                    time.sleep(0.02)
                    continue
                except ApiError as e:
                    ledger.error(f"SendMessageBatch: {e}")
                    time.sleep(0.05)
                    continue
                for ok in doc.get("Successful", []):
                    b = bodies[int(ok["Id"][1:])]
                    if ok.get("MessageId") and ok.get("MD5OfMessageBody") == hashlib.md5(b.encode()).hexdigest():
                        ledger.sent(b, qname, "acked", ok["MessageId"])
                for bad in doc.get("Failed", []):
                    ledger.error(f"SendMessageBatch entry failed: {bad}")
                time.sleep(PAUSE_BATCH)
            else:
                b = make_body(qname, pid, seq)
                seq += 1
                ledger.sent(b, qname, "maybe")
                try:
                    doc = c.call("SendMessage", {"QueueUrl": qurl, "MessageBody": b})
                except Unknown:
                    time.sleep(0.02)
                    continue
                except ApiError as e:
                    ledger.error(f"SendMessage: {e}")
                    time.sleep(0.05)
                    continue
                if doc.get("MessageId") and doc.get("MD5OfMessageBody") == hashlib.md5(b.encode()).hexdigest():
                    ledger.sent(b, qname, "acked", doc["MessageId"])
                time.sleep(PAUSE_SINGLE)
    finally:
        c.close()


def is_poison(body):
    try:
        return int(body.split("|")[3]) % POISON_EVERY == 0
    except (IndexError, ValueError):
        return False


def consume_once(c, ledger, qurl, qname, cycle, rnd, visibility, wait, skip_poison, batch_delete):
    """One receive + deletes. Returns the number of messages received (raises Unknown/ApiError)."""
    t_req = now()
    doc = c.call("ReceiveMessage", {"QueueUrl": qurl, "MaxNumberOfMessages": 10, "WaitTimeSeconds": wait,
                                    "VisibilityTimeout": visibility, "AttributeNames": ["All"]},
                 timeout=HTTP_TIMEOUT + wait)
    t_ans = now()
    msgs = doc.get("Messages", [])
    ledger.received(qname, msgs, t_req, t_ans, cycle)
    todo = [m for m in msgs if not (skip_poison and is_poison(m.get("Body", "")))]
    if not todo:
        return len(msgs)
    counts = {m["ReceiptHandle"]: int(m.get("Attributes", {}).get("ApproximateReceiveCount", "0")) for m in todo}
    if batch_delete:
        doc = c.call("DeleteMessageBatch", {"QueueUrl": qurl, "Entries": [
            {"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(todo)]})
        t_ack = now()
        for ok in doc.get("Successful", []):
            m = todo[int(ok["Id"][1:])]
            ledger.deleted(m.get("Body", ""), t_ack, counts[m["ReceiptHandle"]], qname)
        for bad in doc.get("Failed", []):
            ledger.error(f"DeleteMessageBatch entry failed: {bad}")
    else:
        for m in todo:
            c.call("DeleteMessage", {"QueueUrl": qurl, "ReceiptHandle": m["ReceiptHandle"]})
            ledger.deleted(m.get("Body", ""), now(), counts[m["ReceiptHandle"]], qname)
    return len(msgs)


def consumer(ledger, stop, qurl, qname, cycle, rnd, skip_poison):
    c = Client()
    try:
        while not stop.is_set():
            try:
                consume_once(c, ledger, qurl, qname, cycle, rnd, rnd.randint(2, MAX_VISIBILITY), 1,
                             skip_poison, rnd.random() < 0.7)
            except Unknown:
                time.sleep(0.02)
            except ApiError as e:
                ledger.error(f"consumer {qname}: {e}")
                time.sleep(0.05)
    finally:
        c.close()


# ------------------------------------------------------------------------------------------ queues

def queue_snapshot(c, urls):
    snap = {}
    for name, url in urls.items():
        try:
            attrs = c.call_retry("GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["All"]})["Attributes"]
            tags = c.call_retry("ListQueueTags", {"QueueUrl": url}).get("Tags", {})
            snap[name] = ({k: v for k, v in attrs.items() if k not in VOLATILE}, tags)
        except ApiError as e:
            snap[name] = ({"error": str(e)}, {})
    listed = c.call_retry("ListQueues", {"QueueNamePrefix": "crash-"}).get("QueueUrls", [])
    snap["_list"] = sorted(listed)
    return snap


def counts(c, urls):
    out = {}
    for name, url in urls.items():
        try:
            a = c.call_retry("GetQueueAttributes", {"QueueUrl": url, "AttributeNames": [
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed"]})["Attributes"]
            out[name] = (int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"]),
                         int(a["ApproximateNumberOfMessagesDelayed"]))
        except ApiError as e:
            out[name] = str(e)
    return out


def diff_snapshot(want, got):
    out = []
    for k in sorted(set(want) | set(got)):
        if want.get(k) != got.get(k):
            out.append(f"{k}: want {want.get(k)!r} got {got.get(k)!r}")
    return out


def setup_queues(c):
    dlq = c.call_retry("CreateQueue", {"QueueName": "crash-dlq", "Attributes": {"MessageRetentionPeriod": "1209600"},
                                 "tags": {"role": "dlq"}})["QueueUrl"]
    dlq_arn = c.call_retry("GetQueueAttributes", {"QueueUrl": dlq, "AttributeNames": ["QueueArn"]})["Attributes"]["QueueArn"]
    a = c.call_retry("CreateQueue", {"QueueName": "crash-a", "Attributes": {
        "VisibilityTimeout": "30", "DelaySeconds": "0", "MessageRetentionPeriod": "345600",
        "MaximumMessageSize": "262144", "ReceiveMessageWaitTimeSeconds": "0",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)})},
        "tags": {"team": "sluice", "suite": "crash", "temp": "x"}})["QueueUrl"]
    # Updates after creation must be durable too.
    c.call_retry("SetQueueAttributes", {"QueueUrl": a, "Attributes": {"VisibilityTimeout": "7"}})
    c.call_retry("TagQueue", {"QueueUrl": a, "Tags": {"added": "later"}})
    c.call_retry("UntagQueue", {"QueueUrl": a, "TagKeys": ["temp"]})
    b = c.call_retry("CreateQueue", {"QueueName": "crash-b", "Attributes": {
        "VisibilityTimeout": "9", "DelaySeconds": "0", "MaximumMessageSize": "65536",
        "MessageRetentionPeriod": "86400", "ReceiveMessageWaitTimeSeconds": "1"},
        "tags": {"team": "sluice", "queue": "b"}})["QueueUrl"]
    return {"crash-a": a, "crash-b": b, "crash-dlq": dlq}


# ------------------------------------------------------------------------------------------ main

class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL: {what}" + (f": {detail}" if detail else ""), flush=True)
        return ok


def main():
    rnd = random.Random(SEED)
    log(f"crash test: {CYCLES} cycles, load {LOAD_MIN}-{LOAD_MAX} s, seed {SEED}, data dir {DATA_DIR}")
    checks = Checks()
    server = Server()
    ledger = Ledger()
    admin = Client()
    kills = []

    server.start()
    urls = setup_queues(admin)
    want = queue_snapshot(admin, urls)
    for name in urls:
        log(f"{name}: attributes {json.dumps(want[name][0], sort_keys=True)} tags {want[name][1]}")

    for cycle in range(1, CYCLES + 1):
        if cycle > 1:
            up = server.start()
            got = queue_snapshot(admin, urls)
            for name in list(urls) + ["_list"]:
                checks.check(got[name] == want[name], f"cycle {cycle}: {name} attributes/tags intact after restart",
                             "; ".join(diff_snapshot(dict(enumerate(want[name])) if name == "_list" else
                                                     {**want[name][0], **{"tag:" + k: v for k, v in want[name][1].items()}},
                                                     dict(enumerate(got[name])) if name == "_list" else
                                                     {**got[name][0], **{"tag:" + k: v for k, v in got[name][1].items()}})))
        else:
            up = 0.0
        stop = threading.Event()
        threads = []
        for i, (q, batch) in enumerate([("crash-a", False), ("crash-a", True), ("crash-b", False), ("crash-b", True)]):
            threads.append(threading.Thread(target=producer, daemon=True, args=(
                ledger, stop, urls[q], q, f"c{cycle}p{i}", batch, random.Random(rnd.random()))))
        # crash-b is consumed in even cycles only: its backlog of odd cycles must survive a kill -9.
        consumers = [("crash-a", True), ("crash-a", True), ("crash-a", True), ("crash-dlq", False)]
        if cycle % 2 == 0:
            consumers += [("crash-b", False), ("crash-b", False)]
        for q, skip in consumers:
            threads.append(threading.Thread(target=consumer, daemon=True, args=(
                ledger, stop, urls[q], q, cycle, random.Random(rnd.random()), skip)))
        n_sent0 = sum(1 for s in ledger.sends.values() if s["state"] == "acked")
        n_recv0 = len(ledger.receives)
        for t in threads:
            t.start()
        load = rnd.uniform(LOAD_MIN, LOAD_MAX)
        time.sleep(load)
        if not server.alive():
            checks.check(False, f"cycle {cycle}: server still running before the kill",
                         f"exited with {server.proc.returncode}: {tail(server.logs[-1], 1000)}")
            t_kill = now()
        else:
            t_kill = server.kill9()
        kills.append(t_kill)
        stop.set()
        for t in threads:
            t.join(HTTP_TIMEOUT + 5)
        admin.close()
        n_sent = sum(1 for s in ledger.sends.values() if s["state"] == "acked") - n_sent0
        log(f"cycle {cycle}: up in {up:.2f}s, load {load:.2f}s, kill -9 at t={t_kill - T0:.2f}s; "
            f"this cycle: {n_sent} sends acked, {len(ledger.receives) - n_recv0} messages received")
        if now() - T0 > BUDGET * 0.6:
            log(f"time budget: stopping after cycle {cycle}")
            break
    cycles_done = len(kills)

    # ---- final drain
    server.start()
    got = queue_snapshot(admin, urls)
    checks.check(got == want, "final restart: attributes/tags intact",
                 "" if got == want else f"want {want} got {got}")
    t_drain = now()
    drain_deadline = min(now() + 30, T0 + BUDGET - 8)
    empty_since = None
    final_counts = None
    cycle = cycles_done + 1  # receives of the drain
    while now() < drain_deadline:
        got_any = 0
        for q in urls:
            while now() < drain_deadline:
                try:
                    n = consume_once(admin, ledger, urls[q], q, cycle, rnd, 60, 0, False, True)
                except (Unknown, ApiError) as e:
                    ledger.error(f"drain {q}: {e}")
                    n = 0
                    time.sleep(0.1)
                got_any += n
                if n == 0:
                    break
        if got_any:
            empty_since = None
            continue
        final_counts = counts(admin, urls)
        if any(isinstance(v, str) for v in final_counts.values()):
            break  # a queue is gone: nothing to drain there
        if all(v == (0, 0, 0) for v in final_counts.values()):
            if empty_since is None:
                empty_since = now()
            if now() - empty_since >= 1.0:  # a few empty polls after the counts reached zero
                break
        time.sleep(0.25)
    final_counts = counts(admin, urls)
    drained = all(v == (0, 0, 0) for v in final_counts.values())
    log(f"drain: {now() - t_drain:.1f}s, queue counts (visible, in flight, delayed) {final_counts}")
    checks.check(drained, "final drain empties every queue", f"counts {final_counts}")

    # ---- one more crash after the drain: the drain's acknowledged deletes stay deleted
    server.kill9()
    admin.close()
    server.start()
    post = counts(admin, urls)
    again = 0
    for q in urls:
        try:
            again += consume_once(admin, ledger, urls[q], q, cycle + 1, rnd, 60, 0, False, False)
        except (Unknown, ApiError) as e:
            ledger.error(f"post-drain {q}: {e}")
    checks.check(all(v == (0, 0, 0) for v in post.values()) and again == 0,
                 "after a kill -9 following the drain every queue is still empty",
                 f"counts {post}, {again} messages received")
    got = queue_snapshot(admin, urls)
    checks.check(got == want, "post-drain restart: attributes/tags intact",
                 "" if got == want else f"want {want} got {got}")
    admin.close()
    server.stop()

    # ---- analysis
    sends = ledger.sends
    acked = {b for b, s in sends.items() if s["state"] == "acked"}
    maybe = {b for b, s in sends.items() if s["state"] == "maybe"}
    seen = set()
    corrupt = []
    by_id = {}
    handles = {}
    reissued = []  # one receipt handle given for two different messages
    for body, msg_id, queue, count, t_req, t_ans, md5_ok, run, handle in ledger.receives:
        seen.add(body)
        if handle in handles and handles[handle][1] != msg_id:
            reissued.append(f"{handle[:24]}...: {handles[handle][1]} (run {handles[handle][0]}) and "
                            f"{msg_id} (run {run})")
        handles.setdefault(handle, (run, msg_id))
        s = sends.get(body)
        bad = None
        if not md5_ok:
            bad = "MD5OfBody mismatch"
        elif not body_ok(body):
            bad = "malformed body"
        elif s is None:
            bad = "never sent"
        elif s["id"] is not None and s["id"] != msg_id:
            bad = f"MessageId {msg_id} but the send answered {s['id']}"
        elif queue != s["queue"] and not (queue == "crash-dlq" and s["queue"] == "crash-a"):
            bad = f"received from {queue}, sent to {s['queue']}"
        elif count < 1:
            bad = f"ApproximateReceiveCount {count}"
        if bad:
            corrupt.append(f"{body[:60]!r}: {bad}")
        by_id.setdefault(msg_id, []).append((t_req, t_ans, count, body, run))
    lost = sorted(acked - seen)
    maybe_seen = len(maybe & seen)

    # Receive counts: a receive asked after another one was answered must not report a lower count
    # (across a kill -9 the same count may repeat: receive-side state is not waited for); within
    # one server run it must be higher.
    regressions = []
    repeated_after_crash = 0
    for msg_id, obs in by_id.items():
        obs.sort(key=lambda o: o[1])
        for i, (t_req, _, count, body, run) in enumerate(obs):
            prior = [o for o in obs[:i] if o[1] < t_req]  # answered before this receive was asked
            if not prior:
                continue
            top = max(o[2] for o in prior)
            same_run = max((o[2] for o in prior if o[4] == run), default=0)
            if count < top:
                regressions.append(f"{msg_id}: count {count} after {top} ({body[:40]!r})")
            elif count <= same_run:
                regressions.append(f"{msg_id}: count {count} after {same_run} in the same server run ({body[:40]!r})")
            elif count == top:
                repeated_after_crash += 1

    by_body = {}
    for body, _, _, count, t_req, t_ans, _, _, _ in ledger.receives:
        by_body.setdefault(body, []).append((t_req, t_ans, count))
    resurrected = []
    stale_returns = 0
    for body, acks in ledger.deletes.items():
        for t_ack, k, _ in acks:
            for t_req, _, count in by_body.get(body, []):
                if t_req <= t_ack:
                    continue  # asked before the delete was answered: normal at-least-once
                if count <= k + 1:  # no receive came between the deleting receive and the delete
                    resurrected.append(f"{body[:60]!r}: deleted (handle of receive {k}) at t={t_ack - T0:.2f}s, "
                                       f"received again (count {count}) at t={t_req - T0:.2f}s")
                else:
                    stale_returns += 1  # the handle was not the newest: answered OK, message kept (as AWS)
    receives_total = len(ledger.receives)
    dlq_received = len({r[0] for r in ledger.receives if r[2] == "crash-dlq"})
    deleted_acked = len(ledger.deletes)
    dupes = receives_total - len(seen)

    checks.check(cycles_done >= min(CYCLES, 5) and len(kills) == cycles_done, "enough kill -9 cycles ran",
                 f"{cycles_done} of {CYCLES}")
    checks.check(len(acked) > 0 and deleted_acked > 0, "load happened (sends and deletes acknowledged)")
    checks.check(not lost, "every acknowledged send was received", f"{len(lost)} lost, e.g. {lost[:5]}")
    checks.check(not resurrected, "no acknowledged delete came back", f"{len(resurrected)}: {resurrected[:5]}")
    checks.check(not corrupt, "nothing received that was not sent, intact", f"{len(corrupt)}: {corrupt[:5]}")
    checks.check(not reissued, "a receipt handle names one message only (sequence numbers never reused)",
                 f"{len(reissued)}: {reissued[:3]}")
    checks.check(not regressions, "receive counts never go down", f"{len(regressions)}: {regressions[:5]}")
    # RocksDB drops the torn tail of the last WAL file after a kill -9 in the middle of a write
    # ("dropping N bytes; Corruption: truncated record body"): that write was never acknowledged
    # (the checks above count every acknowledged one). Anything else that says corrupt fails.
    lost_lines = [line for p in server.logs for line in tail(p, 1 << 20).splitlines()
                  if ("recovery loses" in line or "corrupt" in line.lower())
                  and "Corruption: truncated record body" not in line]
    checks.check(not lost_lines, "no record lost or corrupt in recovery (server logs)", "; ".join(lost_lines[:5]))
    if ledger.errors:
        log(f"unexpected API errors ({len(ledger.errors)}): {ledger.errors[:5]}")
    checks.check(not ledger.errors, "no unexpected API error answers", f"{ledger.errors[:5]}")

    print(f"crash summary: cycles={cycles_done} sent-acked={len(acked)} sent-unknown={len(maybe)} "
          f"(seen {maybe_seen}) received={receives_total} (distinct {len(seen)}, redeliveries {dupes}, via DLQ {dlq_received}) "
          f"deleted-acked={deleted_acked} lost={len(lost)} resurrected={len(resurrected)} "
          f"corrupt={len(corrupt)} receive-count-regressions={len(regressions)} handles-reused={len(reissued)} "
          f"(repeated after a crash {repeated_after_crash},  stale-handle returns {stale_returns}) seed={SEED} "
          f"time={now() - T0:.1f}s", flush=True)
    print(f"crash: {checks.passed} passed, {checks.failed} failed", flush=True)
    return 1 if checks.failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # a harness error is a failure too, with the same last line
        import traceback
        traceback.print_exc()
        print(f"crash: 0 passed, 1 failed ({type(e).__name__}: {e})", flush=True)
        sys.exit(1)
