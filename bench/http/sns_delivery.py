#!/usr/bin/env python3
"""SNS deliveries, in one run against one in-memory server (auth "none", AWS Query):
1. fan-out latency: Publish (256 B) to a topic with 10 SQS subscriptions, one at a time on one keep-alive
   connection; Publish answers once the message is in all 10 queues, so its latency is publish-to-queue;
   publish-to-receive adds the ReceiveMessage that gets it from the first queue. p50/p99 in ms.
2. HTTP delivery: PublishBatch (10 x 256 B) from 4 connections to a topic with one HTTP subscription to a
   local endpoint (asyncio, HTTP/1.1 keep-alive, answers 200 at once); notifications/s = notifications
   received / (last arrival - first arrival).
3. Topics with two HTTP subscriptions: the healthy endpoint beside a second healthy one, and beside one that
   accepts connections and never answers (a stalled subscriber, confirmed first); alternated twice, the
   healthy endpoint's notifications/s in each, and the ratio of the best of each.
Prints the load average before and after. Usage: bench/http/sns_delivery.py [path/to/sluice] [N]"""
import asyncio
import http.client
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.realpath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "build", "sluice"))
N = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
BODY = "b" * 256


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port)

    def q(self, params):
        self.conn.request("POST", "/", urllib.parse.urlencode(params),
                          {"Content-Type": "application/x-www-form-urlencoded"})
        r = self.conn.getresponse()
        body = r.read().decode()
        assert r.status == 200, body
        return body

    def topic(self, name):
        out = self.q({"Action": "CreateTopic", "Version": "2010-03-31", "Name": name})
        return re.search("<TopicArn>([^<]*)<", out).group(1)

    def queue(self, name):
        out = self.q({"Action": "CreateQueue", "Version": "2012-11-05", "QueueName": name})
        return re.search("<QueueUrl>([^<]*)<", out).group(1)

    def subscribe(self, topic, protocol, endpoint, raw=True):
        p = {"Action": "Subscribe", "Version": "2010-03-31", "TopicArn": topic, "Protocol": protocol,
             "Endpoint": endpoint}
        if raw:
            p.update({"Attributes.entry.1.key": "RawMessageDelivery", "Attributes.entry.1.value": "true"})
        out = self.q(p)
        return re.search("<SubscriptionArn>([^<]*)<", out).group(1)


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(len(v) * p / 100))]


class Endpoint:
    """An HTTP endpoint on its own event loop thread: confirms subscriptions (GET of the SubscribeURL)
    and counts notifications; `stall` accepts and never answers."""

    def __init__(self, stall=False):
        self.stall, self.times, self.port = stall, [], free_port()
        self.ready = threading.Event()
        threading.Thread(target=lambda: asyncio.run(self.main()), daemon=True).start()
        self.ready.wait(5)

    async def main(self):
        server = await asyncio.start_server(self.serve, "127.0.0.1", self.port, backlog=512)
        self.ready.set()
        async with server:
            await server.serve_forever()

    async def serve(self, reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
                body = await reader.readexactly(length)
                if b"x-amz-sns-message-type: SubscriptionConfirmation" in head:
                    url = re.search(rb'"SubscribeURL"\s*:\s*"([^"]*)"', body).group(1).decode()
                    threading.Thread(target=lambda: urllib.request.urlopen(url.replace("\\/", "/"), timeout=5).read(),
                                     daemon=True).start()
                else:
                    self.times.append(time.perf_counter())
                if self.stall:
                    await asyncio.sleep(3600)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def wait_confirmed(api, topic, count):
    for _ in range(200):
        out = api.q({"Action": "GetTopicAttributes", "Version": "2010-03-31", "TopicArn": topic})
        if int(re.search(r"<key>SubscriptionsConfirmed</key>\s*<value>(\d+)<", out).group(1)) >= count:
            return
        time.sleep(0.05)
    raise SystemExit("subscriptions were not confirmed")


def http_rate(port, topic, endpoint, total):
    """Publishes `total` notifications in batches of 10 from 4 connections; the endpoint's rate."""
    start = len(endpoint.times)

    def publisher(n):
        api = Api(port)
        for b in range(n):
            p = {"Action": "PublishBatch", "Version": "2010-03-31", "TopicArn": topic}
            for i in range(10):
                p[f"PublishBatchRequestEntries.member.{i + 1}.Id"] = str(i)
                p[f"PublishBatchRequestEntries.member.{i + 1}.Message"] = BODY
            api.q(p)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=publisher, args=(total // 40,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    published = time.perf_counter() - t0
    deadline = time.monotonic() + 120
    while len(endpoint.times) - start < total and time.monotonic() < deadline:
        time.sleep(0.05)
    got = endpoint.times[start:]
    assert len(got) >= total, f"{len(got)} of {total} notifications arrived"
    return total / (got[-1] - got[0]), total / published


def main():
    port, admin = free_port(), free_port()
    work = tempfile.mkdtemp()
    with open(os.path.join(work, "sluice.toml"), "w") as f:
        f.write('[sns]\nhttp_timeout_seconds = 60\n')
    proc = subprocess.Popen([BIN, "serve", "--ephemeral", "--config", os.path.join(work, "sluice.toml"),
                             "--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{admin}",
                             "--log-level", "warn"])
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{admin}/health", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        print(f"load average before: {os.getloadavg()}")
        api = Api(port)
        # 1. fan-out latency
        topic = api.topic("fan10")
        urls = []
        for i in range(10):
            urls.append(api.queue(f"fan10-{i}"))
            api.subscribe(topic, "sqs", f"arn:aws:sqs:us-east-1:000000000000:fan10-{i}")
        publish, receive = [], []
        for i in range(N):
            t0 = time.perf_counter()
            api.q({"Action": "Publish", "Version": "2010-03-31", "TopicArn": topic, "Message": BODY})
            t1 = time.perf_counter()
            out = api.q({"Action": "ReceiveMessage", "Version": "2012-11-05", "QueueUrl": urls[i % 10]})
            t2 = time.perf_counter()
            assert "<ReceiptHandle>" in out, out
            publish.append((t1 - t0) * 1000)
            receive.append((t2 - t0) * 1000)
        print(f"fan-out to 10 SQS subscriptions, {N} publishes one at a time: publish-to-queue (all 10) "
              f"p50 {pct(publish, 50):.3f} ms p99 {pct(publish, 99):.3f} ms; publish-to-receive "
              f"p50 {pct(receive, 50):.3f} ms p99 {pct(receive, 99):.3f} ms")

        # 2. HTTP delivery to one healthy endpoint
        healthy, other, stalled = Endpoint(), Endpoint(), Endpoint(stall=True)
        topic = api.topic("http")
        api.subscribe(topic, "http", f"http://127.0.0.1:{healthy.port}/alone")
        wait_confirmed(api, topic, 1)
        total = N * 10
        alone, pub_alone = http_rate(port, topic, healthy, total)
        print(f"HTTP delivery, one endpoint: {alone:,.0f} notifications/s (published at {pub_alone:,.0f}/s)")

        # 3. two subscriptions per topic: beside a second healthy endpoint, and beside a stalled one
        # (confirmed, then never answers), alternated twice; the healthy endpoint's rate.
        pair, stall = api.topic("http-pair"), api.topic("http-stall")
        api.subscribe(pair, "http", f"http://127.0.0.1:{healthy.port}/pair")
        api.subscribe(pair, "http", f"http://127.0.0.1:{other.port}/pair")
        api.subscribe(stall, "http", f"http://127.0.0.1:{healthy.port}/stall")
        api.subscribe(stall, "http", f"http://127.0.0.1:{stalled.port}/stall")
        wait_confirmed(api, pair, 2)
        wait_confirmed(api, stall, 2)
        rates = {"pair": [], "stall": []}
        for _ in range(2):
            for which, t in (("pair", pair), ("stall", stall)):
                rates[which].append(http_rate(port, t, healthy, total))
        for which, label in (("pair", "beside a second healthy endpoint"), ("stall", "beside a stalled endpoint")):
            got = rates[which]
            print(f"HTTP delivery {label}: " + ", ".join(f"{r:,.0f}/s (published at {p:,.0f}/s)" for r, p in got))
        best = {k: max(r for r, _ in v) for k, v in rates.items()}
        print(f"best of 2: beside a stalled endpoint {best['stall'] / alone:.2f} x alone, beside a healthy one "
              f"{best['pair'] / alone:.2f} x alone; the stalled endpoint holds {len(stalled.times)} requests unanswered")
        print(f"load average after: {os.getloadavg()}")
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
