#!/usr/bin/env python3
"""Start-up time, idle RSS and first-request latency of one or more sluice binaries, side by side.

    tools/start-bench.py [--runs N] [--messages M] BIN [BIN...]

For each binary and each case (a fresh data directory, a restart on a directory a start left
empty, a restart on a directory holding some queues and messages, in memory), the starts are
interleaved across binaries so that they share the machine's load. Each start measures:
  - ready: the server's own "ready in N us" (from the top of RunServer);
  - exec: from spawning the process to that line on stdout (the loader and static
    initialisation included);
  - first: the first SQS request's latency (GetQueueUrl of a missing queue then SendMessage to a
    created queue: the first request pays anything deferred);
  - RSS: VmRSS one second after ready, with the anonymous and file-backed parts (smaps_rollup);
  - faults: the process's minor page faults at that moment (stable where times are noisy).
Prints medians per binary and case, and each binary's ratio to the first one.
"""
import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

READY = re.compile(rb"on http://127\.0\.0\.1:(\d+) .*ready in (\d+) us")


def call(port, target, body):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    t0 = time.perf_counter()
    conn.request(
        "POST",
        "/",
        body=json.dumps(body),
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "AmazonSQS." + target,
        },
    )
    resp = conn.getresponse()
    data = resp.read()
    dt = time.perf_counter() - t0
    conn.close()
    return resp.status, data, dt


def rss(pid):
    out = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("Rss", "Anonymous"):
                out[key] = int(rest.split()[0]) / 1024.0
    out["File"] = out["Rss"] - out["Anonymous"]
    with open(f"/proc/{pid}/stat") as f:
        out["faults"] = int(f.read().rsplit(")", 1)[1].split()[7])
    return out


def start(binary, args):
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [binary, "serve", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"] + args,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    seen = b""
    while True:
        line = proc.stdout.readline()
        if not line:
            proc.wait()
            raise RuntimeError(f"{binary} exited: {seen.decode(errors='replace')}")
        seen += line
        m = READY.search(line)
        if m:
            return proc, int(m.group(1)), int(m.group(2)) / 1000.0, (time.perf_counter() - t0) * 1e3


def stop(proc):
    proc.terminate()
    proc.communicate(timeout=30)


def one_start(binary, args, measure_rss):
    proc, port, ready_ms, exec_ms = start(binary, args)
    try:
        result = {"ready": ready_ms, "exec": exec_ms}
        if measure_rss:
            time.sleep(1.0)
            result.update(rss(proc.pid))
        _, _, dt1 = call(port, "GetQueueUrl", {"QueueName": "no-such-queue"})
        status, data, _ = call(port, "CreateQueue", {"QueueName": "start-bench"})
        url = json.loads(data)["QueueUrl"]
        _, _, dt2 = call(port, "SendMessage", {"QueueUrl": url, "MessageBody": "x" * 256})
        _, _, dt3 = call(port, "SendMessage", {"QueueUrl": url, "MessageBody": "x" * 256})
        result["first"] = dt1 * 1e3
        result["send1"] = dt2 * 1e3
        result["send2"] = dt3 * 1e3
        return result
    finally:
        stop(proc)


def fill(binary, data_dir, messages):
    proc, port, _, _ = start(binary, ["--data-dir", data_dir])
    try:
        for q in range(5):
            _, data, _ = call(port, "CreateQueue", {"QueueName": f"fill-{q}"})
            url = json.loads(data)["QueueUrl"]
            for i in range(0, messages, 10):
                entries = [{"Id": str(j), "MessageBody": "m" * 256} for j in range(10)]
                call(port, "SendMessageBatch", {"QueueUrl": url, "Entries": entries})
    finally:
        stop(proc)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--messages", type=int, default=1000, help="per queue, 5 queues")
    ap.add_argument("--no-rss", action="store_true", help="skip the 1 s wait for the idle RSS")
    ap.add_argument("--cases", default="fresh,empty,restart,memory")
    ap.add_argument("binaries", nargs="+")
    opts = ap.parse_args()
    binaries = [os.path.abspath(b) for b in opts.binaries]
    work = tempfile.mkdtemp(prefix="start-bench-")
    try:
        template = os.path.join(work, "template")
        fill(binaries[0], template, opts.messages)
        empty = os.path.join(work, "empty")
        stop(start(binaries[0], ["--data-dir", empty])[0])
        cases = opts.cases.split(",")
        results = {(b, c): [] for b in binaries for c in cases}
        for run in range(opts.runs):
            for case in cases:
                for b in binaries:
                    d = os.path.join(work, "d")
                    shutil.rmtree(d, ignore_errors=True)
                    if case == "fresh":
                        args = ["--data-dir", d]
                    elif case in ("restart", "empty"):
                        shutil.copytree(template if case == "restart" else empty, d)
                        args = ["--data-dir", d]
                    else:
                        args = ["--ephemeral"]
                    results[(b, case)].append(one_start(b, args, not opts.no_rss))
        keys = ["ready", "exec", "first", "send1", "send2"]
        if not opts.no_rss:
            keys += ["Rss", "Anonymous", "File", "faults"]
        print(f"median of {opts.runs} starts each, interleaved; ms for times, MiB for RSS")
        for case in cases:
            print(f"\n== {case}")
            print(f"{'':12}" + "".join(f"{k:>10}" for k in keys))
            base = None
            for b in binaries:
                med = {k: statistics.median(r[k] for r in results[(b, case)]) for k in keys}
                print(f"{os.path.basename(b)[:12]:12}" + "".join(f"{med[k]:10.2f}" for k in keys))
                if base is None:
                    base = med
                else:
                    print(f"{'  ratio':12}" + "".join(f"{med[k] / base[k]:10.2f}" for k in keys))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
