#!/usr/bin/python3
"""Measures Sluice's memory with many idle connections (not a test; numbers for docs/network-security.md).

Usage: measure_idle.py path/to/sluice [connections=10000]

For each case a fresh server (plain + HTTPS listeners, --ephemeral) is started; RSS (VmRSS) is read when
idle, then N connections are opened and held, and RSS is read again once the server has parked them
(2.5 s later: sessions idle for more than a second give their read buffer back). Cases: plain connected
only; plain after one request each; TLS after the handshake; TLS after the handshake and one request each.
"""
import os
import resource
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / "tests" / "unit" / "net" / "data"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


BODY = b"Action=ListQueues&Version=2012-11-05"
REQUEST = (b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n"
           b"Content-Length: %d\r\n\r\n%s" % (len(BODY), BODY))


def read_one(s):
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += s.recv(65536)
    head, _, rest = buf.partition(b"\r\n\r\n")
    n = int([line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")][0])
    while len(rest) < n:
        rest += s.recv(65536)


def run_case(binary, n, tls, request):
    port, tls_port, admin = free_port(), free_port(), free_port()
    d = tempfile.mkdtemp(prefix="sluice-measure-")
    cfg = Path(d) / "s.toml"
    cfg.write_text("\n".join([
        "[server]", f'listen = "127.0.0.1:{port}"', f'tls_listen = "127.0.0.1:{tls_port}"',
        f'admin_listen = "127.0.0.1:{admin}"', f'tls_cert_file = "{DATA / "server-cert.pem"}"',
        f'tls_key_file = "{DATA / "server-key.pem"}"', f"max_connections = {n + 1000}", ""]))
    proc = subprocess.Popen([binary, "serve", "--config", str(cfg), "--ephemeral", "--log-level", "warn"])
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{admin}/health", timeout=1).read()
                break
            except OSError:
                time.sleep(0.05)
        time.sleep(1)
        idle = rss_kb(proc.pid)
        ctx = ssl.create_default_context(cafile=str(DATA / "ca.pem"))
        socks = []
        t0 = time.monotonic()
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", tls_port if tls else port), timeout=30)
            if tls:
                s = ctx.wrap_socket(s, server_hostname="localhost")
            if request:
                s.sendall(REQUEST)
                read_one(s)
            socks.append(s)
        opened = time.monotonic() - t0
        time.sleep(2.5)
        held = rss_kb(proc.pid)
        alive = proc.poll() is None
        for s in socks:
            s.close()
        return idle, held, opened, alive
    finally:
        proc.terminate()
        proc.wait(30)


def main():
    binary = os.path.realpath(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < n + 100:
        n = hard - 100
        print(f"open-file limit {hard}: measuring {n} connections")
    print(f"{'case':<32} {'idle RSS':>10} {'with conns':>11} {'per conn':>9} {'open time':>9}")
    for tls in (False, True):
        for request in (False, True):
            idle, held, opened, alive = run_case(binary, n, tls, request)
            name = f"{n} {'TLS' if tls else 'plain'}{' + 1 request each' if request else ''}"
            print(f"{name:<32} {idle / 1024:>8.1f}MB {held / 1024:>9.1f}MB {(held - idle) * 1024 / n:>7.0f} B"
                  f" {opened:>8.1f}s{'' if alive else '  SERVER DIED'}", flush=True)


if __name__ == "__main__":
    main()
