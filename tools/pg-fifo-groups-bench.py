#!/usr/bin/env python3
"""FIFO receive(10) + DeleteMessageBatch rate over a backlog in 1 and in 1,000 message groups, against one
running Sluice (docs/postgres.md, "Measured"). One boto3 client; prints msgs/s and receives/s per run.

  N=10000 GROUPS=1,1000,1 tools/pg-fifo-groups-bench.py http://127.0.0.1:9324
"""
import os
import sys
import time

import boto3
from botocore.config import Config

ep = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:9324"
N = int(os.environ.get("N", "3000"))
sqs = boto3.client("sqs", endpoint_url=ep, region_name="us-east-1", aws_access_key_id="x",
                   aws_secret_access_key="x", config=Config(retries={"max_attempts": 0}))


def run(groups):
    url = sqs.create_queue(QueueName=f"g{groups}-{time.time_ns()}.fifo",
                           Attributes={"FifoQueue": "true"})["QueueUrl"]
    for s in range(0, N, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": "x", "MessageGroupId": f"g{(s + i) % groups}",
             "MessageDeduplicationId": f"d{s + i}"} for i in range(10)])
    got, receives = 0, 0
    t0 = time.monotonic()
    while got < N:
        ms = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        receives += 1
        if ms:
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(ms)])
        got += len(ms)
    dt = time.monotonic() - t0
    return got / dt, receives / dt


for g in [int(x) for x in os.environ.get("GROUPS", "1,1000,1").split(",")]:
    msgs, recv = run(g)
    print(f"groups={g}: {msgs:.0f} msgs/s, {recv:.0f} receives/s")
