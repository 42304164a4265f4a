"""Fair queues (standard queues with MessageGroupId, sqs-semantics.md §3): one noisy tenant's backlog does not
delay quiet tenants. Sluice's rule (src/engine/README.md): a tenant with more than 10 messages in flight and more
than twice the average in-flight count of the other tenants is served only when no other tenant has a visible
message."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor


def test_noisy_tenant_does_not_delay_quiet_tenants(sqs, make_client, make_queue):
    url = make_queue("fair")
    noisy, quiet_groups, per_quiet = 10_000, 9, 100

    def send_noisy(part):
        client = make_client()
        for start in range(part * 1000, part * 1000 + 1000, 10):
            client.send_message_batch(QueueUrl=url, Entries=[
                {"Id": f"n{i}", "MessageBody": "noisy", "MessageGroupId": "noisy"} for i in range(start, start + 10)])
    with ThreadPoolExecutor(10) as pool:
        list(pool.map(send_noisy, range(noisy // 1000)))

    lock = threading.Lock()
    position = [0]
    quiet_seen = {}  # body -> (receive position, dwell seconds)
    sent_at = {}
    stop = threading.Event()

    def consume(_):
        client = make_client()
        while not stop.is_set():
            msgs = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=120,
                                          AttributeNames=["MessageGroupId"]).get("Messages", [])
            now = time.monotonic()
            with lock:
                for m in msgs:
                    position[0] += 1
                    if m["Body"] != "noisy":
                        sent_time, sent_position = sent_at[m["Body"]]
                        quiet_seen[m["Body"]] = (position[0] - sent_position, now - sent_time)
                if len(quiet_seen) == quiet_groups * per_quiet:
                    stop.set()
            time.sleep(0.01)  # "processing"
            if msgs:
                client.delete_message_batch(QueueUrl=url, Entries=[
                    {"Id": str(k), "ReceiptHandle": m["ReceiptHandle"]} for k, m in enumerate(msgs)])

    began = time.monotonic()
    consumers = ThreadPoolExecutor(10)
    futures = [consumers.submit(consume, i) for i in range(10)]
    time.sleep(0.3)  # consumers are busy with the noisy backlog
    producer = make_client()
    start_position = position[0]
    for g in range(quiet_groups):
        for start in range(0, per_quiet, 10):
            entries = [{"Id": f"q{i}", "MessageBody": f"q{g}-{i}", "MessageGroupId": f"quiet{g}"}
                       for i in range(start, start + 10)]
            with lock:
                for e in entries:
                    sent_at[e["MessageBody"]] = (time.monotonic(), position[0])
            producer.send_message_batch(QueueUrl=url, Entries=entries)
    stop.wait(60)
    stop.set()
    rate = position[0] / (time.monotonic() - began)  # messages received per second
    for f in futures:
        f.result()
    consumers.shutdown()
    assert len(quiet_seen) == quiet_groups * per_quiet
    waited = sorted(p for p, _ in quiet_seen.values())  # messages received between its send and its receive
    dwell = sorted(d for _, d in quiet_seen.values())
    backlog = int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
                  ["Attributes"]["ApproximateNumberOfMessages"])
    print(f"\nfairness: {start_position} received before the quiet sends, {position[0]} when the last quiet "
          f"message was received; receives between a quiet message's send and its receive: median "
          f"{waited[len(waited) // 2]} max {waited[-1]}; quiet dwell s median {dwell[len(dwell) // 2]:.3f} "
          f"p99 {dwell[int(len(dwell) * 0.99)]:.3f} max {dwell[-1]:.3f}; noisy backlog still queued {backlog}; "
          f"consumers received {rate:.0f} msg/s, so a quiet message behind the noisy backlog would have "
          f"waited ~{(noisy - start_position) / rate:.1f} s")
    # Every quiet message was received within a few receives of being sent (counted in receives, not seconds,
    # so a loaded machine does not change the verdict), while noisy messages sent earlier were still waiting:
    # without fairness each would wait behind thousands of noisy messages.
    assert waited[-1] < 500, waited[-1]
    assert backlog > 0, backlog
