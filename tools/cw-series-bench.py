#!/usr/bin/python3
"""CloudWatch time-series store: memory, write rate, query time and start-up time of one or more
sluice binaries in one run, each on a fresh durable data directory (docs/cloudwatch.md, "Measured").
The first binary is the reference: every figure of the others is also printed as a ratio to it.

  tools/cw-series-bench.py /work/main/build/sluice build/sluice

Two phases per binary, through boto3 (AWS Query):
  A. SERIES (10,000) series x 60 one-minute points of the last complete hour but one: RSS growth per
     series and per point, PutMetricData points/s, GetMetricData of one MetricStat over that hour and
     of a SEARCH over every series (median of 5), then the restart: start-up time and RSS.
  B. HISTORY_SERIES (1,000) series x HOURS (24) hours of one-minute points ending an hour ago
     (timestamps in the past): RSS growth, a MetricStat query of one hour 20 hours back (median of 5),
     and the restart: start-up time and RSS.
Environment: SERIES, POINTS, HISTORY_SERIES, HOURS, PHASES ("AB").
"""
import datetime as dt
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3
from botocore.config import Config

SERIES = int(os.environ.get("SERIES", "10000"))
POINTS = int(os.environ.get("POINTS", "60"))
HISTORY_SERIES = int(os.environ.get("HISTORY_SERIES", "1000"))
HOURS = int(os.environ.get("HOURS", "24"))
PHASES = os.environ.get("PHASES", "AB")
BATCH = 1000  # datums per PutMetricData (AWS's limit)
UTC = dt.timezone.utc


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, data_dir):
        self.binary, self.data_dir = binary, data_dir
        self.proc = None

    def start(self):
        self.port, self.admin = free_port(), free_port()
        self.log = open(os.path.join(self.data_dir, "..", "server.log"), "ab")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--admin-listen",
             f"127.0.0.1:{self.admin}", "--data-dir", self.data_dir, "--log-level", "warn"],
            stdout=self.log, stderr=subprocess.STDOUT)
        while True:
            if self.proc.poll() is not None:
                sys.exit(f"{self.binary} exited during start-up (log: {self.log.name})")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.admin}/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            time.sleep(0.01)
        self.started_in = time.monotonic() - t0
        self.cw = boto3.client("cloudwatch", endpoint_url=f"http://127.0.0.1:{self.port}",
                               region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x",
                               config=Config(retries={"max_attempts": 0}, read_timeout=300))
        return self

    def rss_kb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        self.proc.terminate()
        self.proc.wait(60)
        self.log.close()


def datum(series, ts, value):
    return {"MetricName": "Latency", "Dimensions": [{"Name": "Series", "Value": f"s{series}"}],
            "Timestamp": ts, "Value": value, "Unit": "Milliseconds"}


def put_all(cw, datums):
    """PutMetricData of every datum, BATCH at a time; returns points/s."""
    t0 = time.monotonic()
    batch = []
    for d in datums:
        batch.append(d)
        if len(batch) == BATCH:
            cw.put_metric_data(Namespace="Bench", MetricData=batch)
            batch = []
    if batch:
        cw.put_metric_data(Namespace="Bench", MetricData=batch)
    return None if not datums else len(datums) / (time.monotonic() - t0)


def median_time(fn, n=5):
    times = []
    for _ in range(n):
        t0 = time.monotonic()
        fn()
        times.append(time.monotonic() - t0)
    return statistics.median(times)


def metric_stat(cw, series, start, end):
    out = cw.get_metric_data(
        MetricDataQueries=[{"Id": "m", "MetricStat": {
            "Metric": {"Namespace": "Bench", "MetricName": "Latency",
                       "Dimensions": [{"Name": "Series", "Value": f"s{series}"}]},
            "Period": 60, "Stat": "Average"}}],
        StartTime=start, EndTime=end)
    return len(out["MetricDataResults"][0]["Values"])


def search(cw, start, end):
    out = cw.get_metric_data(
        MetricDataQueries=[{"Id": "s", "Expression":
                            "SEARCH('{Bench,Series} MetricName=\"Latency\"', 'Average', 3600)"}],
        StartTime=start, EndTime=end)
    return len(out["MetricDataResults"])


def phase_a(binary, workdir):
    data = os.path.join(workdir, "a")
    os.makedirs(data)
    srv = Server(binary, data).start()
    hour = dt.datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=1)
    metric_stat(srv.cw, 0, hour, hour + dt.timedelta(hours=1))  # warm-up
    base = srv.rss_kb()
    datums = (datum(s, hour + dt.timedelta(minutes=m), float(s % 97 + m))
              for s in range(SERIES) for m in range(POINTS))
    rate = put_all(srv.cw, list(datums))
    grown = srv.rss_kb() - base
    end = hour + dt.timedelta(hours=1)
    n = metric_stat(srv.cw, SERIES // 2, hour, end)
    assert n == min(POINTS, 60), n
    q1 = median_time(lambda: metric_stat(srv.cw, SERIES // 2, hour, end))
    qs = median_time(lambda: search(srv.cw, hour, end))
    srv.stop()
    again = Server(binary, data).start()
    assert metric_stat(again.cw, SERIES // 2, hour, end) == n
    r = {"A rss/series (B)": grown * 1024 / SERIES, "A rss/point (B)": grown * 1024 / (SERIES * POINTS),
         "A put points/s": rate, "A GetMetricData 1 stat (ms)": q1 * 1e3,
         "A GetMetricData SEARCH (ms)": qs * 1e3, "A restart (s)": again.started_in,
         "A rss after restart (MB)": again.rss_kb() / 1024}
    again.stop()
    return r


def phase_b(binary, workdir):
    data = os.path.join(workdir, "b")
    os.makedirs(data)
    srv = Server(binary, data).start()
    last = dt.datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=1)
    first = last - dt.timedelta(hours=HOURS)
    metric_stat(srv.cw, 0, first, last)  # warm-up
    base = srv.rss_kb()
    minutes = HOURS * 60
    datums = [datum(s, first + dt.timedelta(minutes=m), float((s + m) % 101))
              for s in range(HISTORY_SERIES) for m in range(minutes)]
    rate = put_all(srv.cw, datums)
    del datums
    grown = srv.rss_kb() - base
    old = last - dt.timedelta(hours=20)
    end = old + dt.timedelta(hours=1)
    n = metric_stat(srv.cw, HISTORY_SERIES // 2, old, end)
    assert n == 60, n
    q = median_time(lambda: metric_stat(srv.cw, HISTORY_SERIES // 2, old, end))
    srv.stop()
    again = Server(binary, data).start()
    assert metric_stat(again.cw, HISTORY_SERIES // 2, old, end) == n
    q_cold = median_time(lambda: metric_stat(again.cw, HISTORY_SERIES // 3, old, end), n=1)
    r = {"B rss (MB)": grown / 1024, "B rss/point (B)": grown * 1024 / (HISTORY_SERIES * minutes),
         "B put points/s": rate, "B GetMetricData old hour (ms)": q * 1e3,
         "B GetMetricData old hour after restart (ms)": q_cold * 1e3,
         "B restart (s)": again.started_in, "B rss after restart (MB)": again.rss_kb() / 1024}
    again.stop()
    return r


def main():
    binaries = sys.argv[1:] or ["build/sluice"]
    results = []
    for b in binaries:
        work = tempfile.mkdtemp(prefix="cw-series-bench-")
        r = {}
        try:
            if "A" in PHASES:
                r.update(phase_a(os.path.abspath(b), work))
            if "B" in PHASES:
                r.update(phase_b(os.path.abspath(b), work))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        results.append(r)
        print(f"{b}:", flush=True)
        for k, v in r.items():
            print(f"  {k:45} {v:12.3f}", flush=True)
    ref = results[0]
    for b, r in zip(binaries[1:], results[1:]):
        print(f"{b} / {binaries[0]}:")
        for k, v in r.items():
            print(f"  {k:45} {v / ref[k] if ref[k] else float('nan'):8.3f}")


if __name__ == "__main__":
    main()
