"""Fair queues (standard queues with MessageGroupId, sqs-semantics.md §3): one noisy tenant's backlog does not
delay quiet tenants. Sluice's rule (src/engine/README.md): a tenant with more than 10 messages in flight and more
than twice the average in-flight count of the other tenants is served only when no other tenant has a visible
message.

The premise holds by construction, whatever the machine's speed: the noisy tenant's backlog is sent and part of it
taken into flight (and held there) before any quiet message is sent, and the consumers start only once every quiet
send has been answered. The verdict holds whatever the scheduling too: it compares only receives of which one began
after the other had been answered, an order the server saw as well (never how long anything took)."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

NOISY, HELD, QUIET_GROUPS, PER_QUIET, CONSUMERS = 10_000, 500, 9, 100, 8


def test_noisy_tenant_does_not_delay_quiet_tenants(sqs, make_client, make_queue):
    url = make_queue("fair")

    def send_noisy(part):
        client = make_client()
        for start in range(part * 1000, part * 1000 + 1000, 10):
            client.send_message_batch(QueueUrl=url, Entries=[
                {"Id": f"n{i}", "MessageBody": "noisy", "MessageGroupId": "noisy"} for i in range(start, start + 10)])
    with ThreadPoolExecutor(10) as pool:
        list(pool.map(send_noisy, range(NOISY // 1000)))

    # The noisy tenant's consumers are busy: HELD of its messages in flight, not deleted. While it is the only
    # tenant it is served as any queue would be.
    held = 0
    while held < HELD:
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=900).get("Messages", [])
        assert msgs and all(m["Body"] == "noisy" for m in msgs)
        held += len(msgs)

    # Every quiet message is sent (and answered) before anyone receives again: behind 9,500 older noisy ones.
    quiet = [[{"Id": f"q{i}", "MessageBody": f"q{g}-{i}", "MessageGroupId": f"quiet{g}"} for i in range(PER_QUIET)]
             for g in range(QUIET_GROUPS)]
    producer = make_client()
    for g in range(QUIET_GROUPS):
        for start in range(0, PER_QUIET, 10):
            assert not producer.send_message_batch(QueueUrl=url, Entries=quiet[g][start:start + 10]).get("Failed")

    lock = threading.Lock()
    received = []  # bodies in the order the consumers got them
    calls = []  # (began, answered, quiet messages, noisy messages) of every receive
    quiet_total = QUIET_GROUPS * PER_QUIET
    quiet_seen = set()
    done = threading.Event()

    def consume(_):
        client = make_client()
        while not done.is_set():
            began = time.monotonic()
            msgs = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=900,
                                          WaitTimeSeconds=1).get("Messages", [])
            answered = time.monotonic()
            noisy = sum(1 for m in msgs if m["Body"] == "noisy")
            with lock:
                calls.append((began, answered, len(msgs) - noisy, noisy))
                for m in msgs:
                    received.append(m["Body"])
                    if m["Body"] != "noisy":
                        quiet_seen.add(m["Body"])
                if len(quiet_seen) == quiet_total:
                    done.set()
            if msgs:
                client.delete_message_batch(QueueUrl=url, Entries=[
                    {"Id": str(k), "ReceiptHandle": m["ReceiptHandle"]} for k, m in enumerate(msgs)])

    with ThreadPoolExecutor(CONSUMERS) as pool:
        futures = [pool.submit(consume, i) for i in range(CONSUMERS)]
        done.wait(120)
        done.set()
        for f in futures:
            f.result()

    assert len(quiet_seen) == quiet_total, f"{len(quiet_seen)} of {quiet_total} quiet messages received"
    last_quiet = max(i for i, body in enumerate(received) if body != "noisy")
    noisy_before = sum(1 for body in received[:last_quiet] if body == "noisy")
    backlog = int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
                  ["Attributes"]["ApproximateNumberOfMessages"])
    print(f"\nfairness: {HELD} noisy in flight, {NOISY - HELD} noisy waiting; the {quiet_total} quiet messages "
          f"sent after them were all received within {last_quiet + 1} receives, {noisy_before} of them noisy; "
          f"{backlog} noisy still queued")
    # In send order every quiet message would wait behind 9,500 noisy ones. A noisy message is served only once no
    # quiet message is visible, and none becomes visible again (each is held for 900 s, then deleted): so no receive
    # that began after a receive answered with a noisy message may get a quiet one. (How many noisy messages the
    # consumers appended before the last quiet one depends on the scheduling of their threads, so it is not judged.)
    # (When every quiet message came before any consumer asked again, no noisy one was served at all.)
    first_noisy_answer = min((answered for _, answered, _, noisy in calls if noisy), default=float("inf"))
    late = [(round(began - first_noisy_answer, 6), quiet) for began, _, quiet, _ in calls
            if quiet and began > first_noisy_answer]
    assert not late, f"{len(late)} receives got quiet messages after the noisy tenant was served: {late[:5]}"
    # Every noisy message is accounted for: held, deleted by a consumer, or still queued.
    assert backlog == NOISY - HELD - sum(noisy for *_, noisy in calls), backlog
