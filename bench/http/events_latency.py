#!/usr/bin/env python3
"""Event-to-queue latency: PutEvents of one entry matched by one rule delivering to an SQS queue, then
ReceiveMessage of it, one at a time on one keep-alive connection (in memory, auth "none", JSON protocols).
PutEvents answers once the event is in the queue, so its latency is the event-to-queue latency; the second
figure adds the ReceiveMessage that gets the event. Prints p50/p99 in milliseconds.
Usage: bench/http/events_latency.py [path/to/sluice] [N]"""
import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.realpath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "build", "sluice"))
N = int(sys.argv[2]) if len(sys.argv) > 2 else 2000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


port, admin = free_port(), free_port()
proc = subprocess.Popen([BIN, "serve", "--ephemeral", "--listen", f"127.0.0.1:{port}", "--admin-listen",
                         f"127.0.0.1:{admin}", "--log-level", "warn"])
try:
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{admin}/health", timeout=1)
            break
        except OSError:
            time.sleep(0.05)
    conn = http.client.HTTPConnection("127.0.0.1", port)

    def call(target, body, json_type="1.1"):
        conn.request("POST", "/", json.dumps(body), {"Content-Type": f"application/x-amz-json-{json_type}",
                                                      "X-Amz-Target": target})
        r = conn.getresponse()
        data = r.read()
        assert r.status == 200, data
        return json.loads(data or b"{}")

    url = call("AmazonSQS.CreateQueue", {"QueueName": "lat"}, "1.0")["QueueUrl"]
    call("AWSEvents.PutRule", {"Name": "lat", "EventPattern": json.dumps({"source": ["bench"]})})
    call("AWSEvents.PutTargets", {"Rule": "lat", "Targets": [
        {"Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:lat"}]})
    detail = json.dumps({"status": "paid", "blob": "x" * 470})
    put, round_trip = [], []
    for i in range(N):
        t0 = time.perf_counter()
        call("AWSEvents.PutEvents", {"Entries": [{"Source": "bench", "DetailType": "Order", "Detail": detail}]})
        t1 = time.perf_counter()
        got = call("AmazonSQS.ReceiveMessage", {"QueueUrl": url, "MaxNumberOfMessages": 1}, "1.0")
        t2 = time.perf_counter()
        (m,) = got["Messages"]
        call("AmazonSQS.DeleteMessage", {"QueueUrl": url, "ReceiptHandle": m["ReceiptHandle"]}, "1.0")
        if i >= N // 10:  # warm-up excluded
            put.append((t1 - t0) * 1000)
            round_trip.append((t2 - t0) * 1000)

    def pct(xs, p):
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(len(xs) * p))]

    print(f"events: {len(put)} measured")
    print(f"PutEvents answered (event in the queue): p50 {pct(put, 0.5):.3f} ms, p99 {pct(put, 0.99):.3f} ms")
    print(f"PutEvents + ReceiveMessage of it:        p50 {pct(round_trip, 0.5):.3f} ms, "
          f"p99 {pct(round_trip, 0.99):.3f} ms")
finally:
    proc.terminate()
    proc.wait(10)
