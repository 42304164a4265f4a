"""Long polling, the worker loop users write, dead-letter queues, ListDeadLetterSourceQueues and message
move tasks (DLQ redrive)."""
import base64
import json
import threading
import time

from conftest import queue_arn
from sqs_md5 import md5_of_attributes, md5_of_body


def wait_for(predicate, timeout=15.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def counts(sqs, url):
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"])


def make_dlq_pair(sqs, make_queue, max_receive_count=3, visibility="30"):
    dlq = make_queue("dlq")
    dlq_arn = queue_arn(sqs, dlq)
    src = make_queue("src", attributes={
        "VisibilityTimeout": visibility,
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count})})
    return src, dlq, dlq_arn


# ---------------------------------------------------------------- long polling

def _parked_receive(client, url, results, **kwargs):
    start = time.monotonic()
    resp = client.receive_message(QueueUrl=url, **kwargs)
    results.append((time.monotonic() - start, resp.get("Messages", [])))


def test_long_poll_wakes_on_send(sqs, make_client, queue):
    results = []
    t = threading.Thread(target=_parked_receive, args=(make_client(), queue, results),
                         kwargs={"WaitTimeSeconds": 5, "MaxNumberOfMessages": 10})
    t.start()
    time.sleep(0.3)
    sent = sqs.send_message(QueueUrl=queue, MessageBody="wake up")
    t.join(15)
    assert not t.is_alive()
    [(elapsed, msgs)] = results
    assert [m["MessageId"] for m in msgs] == [sent["MessageId"]]
    assert elapsed < 4.0, f"parked receive returned only after {elapsed:.2f}s"


def test_long_poll_uses_queue_default_wait(sqs, make_client, make_queue):
    url = make_queue(attributes={"ReceiveMessageWaitTimeSeconds": "5"})
    results = []
    t = threading.Thread(target=_parked_receive, args=(make_client(), url, results))
    t.start()
    time.sleep(0.3)
    sent = sqs.send_message(QueueUrl=url, MessageBody="default wait")
    t.join(15)
    [(elapsed, msgs)] = results
    assert [m["MessageId"] for m in msgs] == [sent["MessageId"]]
    assert elapsed < 4.0


def test_long_poll_wakes_on_visibility_expiry(sqs, queue):
    # one end-to-end check of the timers (the rest of time semantics is engine-tested with a fake clock):
    # the message comes back when its 1 s visibility timeout expires, and the parked receive gets it.
    sent = sqs.send_message(QueueUrl=queue, MessageBody="expires")
    first = sqs.receive_message(QueueUrl=queue, VisibilityTimeout=1, WaitTimeSeconds=1)["Messages"][0]
    start = time.monotonic()
    msgs = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=5, AttributeNames=["ApproximateReceiveCount"]) \
        .get("Messages", [])
    elapsed = time.monotonic() - start
    assert [m["MessageId"] for m in msgs] == [sent["MessageId"]]
    assert msgs[0]["Attributes"]["ApproximateReceiveCount"] == "2"
    assert msgs[0]["ReceiptHandle"] != first["ReceiptHandle"]
    assert 0.5 <= elapsed < 4.5, f"returned after {elapsed:.2f}s"


def test_many_parked_receivers(sqs, make_client, queue):
    n = 16
    results, threads = [], []
    for _ in range(n):
        t = threading.Thread(target=_parked_receive, args=(make_client(), queue, results),
                             kwargs={"WaitTimeSeconds": 10, "MaxNumberOfMessages": 1})
        t.start()
        threads.append(t)
    time.sleep(0.3)
    sent = set()
    for i in range(0, n, 8):
        r = sqs.send_message_batch(QueueUrl=queue, Entries=[{"Id": str(j), "MessageBody": f"p{j}"}
                                                            for j in range(i, i + 8)])
        sent |= {e["MessageId"] for e in r["Successful"]}
    for t in threads:
        t.join(20)
    assert all(not t.is_alive() for t in threads)
    got = [m["MessageId"] for _, msgs in results for m in msgs]
    assert sorted(got) == sorted(sent), f"{len(got)} of {n} parked receivers got a message"
    assert max(e for e, _ in results) < 8


def test_long_poll_wakes_on_visibility_change(sqs, make_client, queue):
    sqs.send_message(QueueUrl=queue, MessageBody="again")
    m = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"][0]
    results = []
    t = threading.Thread(target=_parked_receive, args=(make_client(), queue, results),
                         kwargs={"WaitTimeSeconds": 5})
    t.start()
    time.sleep(0.3)
    sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
    t.join(15)
    [(elapsed, msgs)] = results
    assert [x["MessageId"] for x in msgs] == [m["MessageId"]]
    assert elapsed < 4.0


# ---------------------------------------------------------------- worker loop

def test_worker_loop(sqs, make_client, make_queue):
    url = make_queue("jobs", attributes={"VisibilityTimeout": "30"})
    n_jobs, n_workers, long_job = 100, 4, 37
    processed, lock, errors = [], threading.Lock(), []
    heartbeats = []

    def worker():
        client = make_client()
        try:
            while True:
                msgs = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=20,
                                              AttributeNames=["ApproximateReceiveCount"]).get("Messages", [])
                stop, done = False, []
                for m in msgs:
                    assert m["MD5OfBody"] == md5_of_body(m["Body"])
                    job = json.loads(m["Body"])
                    if job.get("stop"):
                        if stop:  # a second stop sentinel in this batch: hand it back to another worker
                            client.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"],
                                                             VisibilityTimeout=0)
                        else:
                            stop = True
                            done.append(m)
                        continue
                    if job["id"] == long_job:  # long job: keep extending the visibility while working
                        for _ in range(3):
                            time.sleep(0.1)
                            client.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"],
                                                             VisibilityTimeout=30)
                            heartbeats.append(job["id"])
                    with lock:
                        processed.append(job["id"])
                    done.append(m)
                if done:
                    r = client.delete_message_batch(QueueUrl=url, Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)])
                    assert r.get("Failed", []) == [], r["Failed"]
                if stop:
                    return
        except Exception as e:  # surfaced in the main thread
            errors.append(e)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(n_workers)]
    for t in threads:
        t.start()
    jobs = [{"id": i, "payload": "x" * (i % 7), "kind": "long" if i == long_job else "normal"}
            for i in range(n_jobs)]
    for start in range(0, n_jobs, 10):
        r = sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": f"j{j['id']}", "MessageBody": json.dumps(j)} for j in jobs[start:start + 10]])
        assert len(r["Successful"]) == 10
    assert wait_for(lambda: len(processed) >= n_jobs or errors, timeout=60), (len(processed), errors)
    sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": f"stop{i}", "MessageBody": json.dumps({"stop": True})} for i in range(n_workers)])
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert all(not t.is_alive() for t in threads)
    assert sorted(processed) == list(range(n_jobs)), "each job processed exactly once"
    assert heartbeats == [long_job] * 3
    assert counts(sqs, url) == (0, 0)


# ---------------------------------------------------------------- dead-letter queues

def test_dead_letter_after_max_receives(sqs, make_queue):
    src, dlq, dlq_arn = make_dlq_pair(sqs, make_queue, max_receive_count=3)
    src_arn = queue_arn(sqs, src)
    attrs = {"kind": {"DataType": "String", "StringValue": "poison"}}
    sent = sqs.send_message(QueueUrl=src, MessageBody="poison pill", MessageAttributes=attrs,
                            MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String",
                                                                        "StringValue": "Root=1-abc-def"}})
    first_ts = None
    for i in range(1, 4):  # three failed attempts: receive, then give it back at once
        [m] = sqs.receive_message(QueueUrl=src, WaitTimeSeconds=1, AttributeNames=["All"])["Messages"]
        assert m["Attributes"]["ApproximateReceiveCount"] == str(i)
        first_ts = first_ts or m["Attributes"]["ApproximateFirstReceiveTimestamp"]
        sent_ts = m["Attributes"]["SentTimestamp"]
        sqs.change_message_visibility(QueueUrl=src, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
    assert sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10).get("Messages", []) == []
    msgs = sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=2, AttributeNames=["All"],
                               MessageAttributeNames=["All"]).get("Messages", [])
    assert len(msgs) == 1
    d = msgs[0]
    assert d["MessageId"] == sent["MessageId"]
    assert d["Body"] == "poison pill" and d["MD5OfBody"] == sent["MD5OfMessageBody"]
    assert d["MessageAttributes"] == attrs and d["MD5OfMessageAttributes"] == md5_of_attributes(attrs)
    assert d["Attributes"]["DeadLetterQueueSourceArn"] == src_arn
    assert d["Attributes"]["AWSTraceHeader"] == "Root=1-abc-def"
    assert d["Attributes"]["SentTimestamp"] == sent_ts
    assert d["Attributes"]["ApproximateFirstReceiveTimestamp"] == first_ts
    assert d["Attributes"]["ApproximateReceiveCount"] == "4"
    assert counts(sqs, src) == (0, 0)


def test_list_dead_letter_source_queues(sqs, make_queue):
    dlq = make_queue("dlq")
    dlq_arn = queue_arn(sqs, dlq)
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5})
    sources = sorted(make_queue("src", attributes={"RedrivePolicy": policy}) for _ in range(3))
    make_queue("other")
    assert sorted(sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"]) == sources
    seen, token = [], None
    for _ in range(5):
        kwargs = {"QueueUrl": dlq, "MaxResults": 2}
        if token:
            kwargs["NextToken"] = token
        page = sqs.list_dead_letter_source_queues(**kwargs)
        assert len(page["queueUrls"]) <= 2
        seen += page["queueUrls"]
        token = page.get("NextToken")
        if not token:
            break
    assert sorted(seen) == sources
    assert sqs.list_dead_letter_source_queues(QueueUrl=sources[0]).get("queueUrls", []) == []


def test_redrive_policy_validation(sqs, error, queue):
    # AWS's code for RedrivePolicy content errors is not established (LocalStack: InvalidParameterValue)
    codes = ("InvalidParameterValue", "InvalidAttributeValue")
    missing = "arn:aws:sqs:us-east-1:000000000000:does-not-exist-dlq"
    error(sqs.set_queue_attributes, codes, 400, QueueUrl=queue, Attributes={
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": missing, "maxReceiveCount": 3})})
    for count in (0, 1001):
        policy = json.dumps({"deadLetterTargetArn": queue_arn(sqs, queue), "maxReceiveCount": count})
        error(sqs.set_queue_attributes, codes, 400,
              f"Value {policy} for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: "
              f"{count}, valid values are from 1 to 1000 both inclusive.",
              QueueUrl=queue, Attributes={"RedrivePolicy": policy})


# ---------------------------------------------------------------- message move tasks

def _wait_task(move_api, source_arn, status="COMPLETED"):
    def done():
        res = move_api("ListMessageMoveTasks", SourceArn=source_arn, MaxResults=10)["Results"]
        return res if res and res[0]["Status"] == status else None
    res = wait_for(done, timeout=15)
    assert res, move_api("ListMessageMoveTasks", SourceArn=source_arn, MaxResults=10)
    return res


def test_poison_worker_then_drain_and_redrive(sqs, make_queue, move_api):
    src, dlq, dlq_arn = make_dlq_pair(sqs, make_queue, max_receive_count=3)
    src_arn = queue_arn(sqs, src)
    bodies = [json.dumps({"id": i, "poison": i in (2, 5, 7)}) for i in range(10)]
    sqs.send_message_batch(QueueUrl=src, Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies)])
    ok = []
    for _ in range(40):  # worker: poison jobs fail (returned at once), others are processed and deleted
        msgs = sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not msgs and len(ok) == 7:
            break
        for m in msgs:
            job = json.loads(m["Body"])
            if job["poison"]:
                sqs.change_message_visibility(QueueUrl=src, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
            else:
                ok.append(job["id"])
                sqs.delete_message(QueueUrl=src, ReceiptHandle=m["ReceiptHandle"])
    assert sorted(ok) == [0, 1, 3, 4, 6, 8, 9]
    assert wait_for(lambda: counts(sqs, dlq) == (3, 0)), counts(sqs, dlq)
    assert counts(sqs, src) == (0, 0)

    # drain: inspect the dead letters without consuming them, then redrive to the source queue
    peek = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=1, AttributeNames=["All"])
    dead = peek["Messages"]
    while len(dead) < 3:
        dead += sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]
    assert sorted(json.loads(m["Body"])["id"] for m in dead) == [2, 5, 7]
    sqs.change_message_visibility_batch(QueueUrl=dlq, Entries=[
        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0} for i, m in enumerate(dead)])

    handle = move_api("StartMessageMoveTask", SourceArn=dlq_arn)["TaskHandle"]
    assert handle
    [task, *_] = _wait_task(move_api, dlq_arn)
    assert task["SourceArn"] == dlq_arn
    assert task["ApproximateNumberOfMessagesMoved"] == 3
    assert "TaskHandle" not in task  # only while RUNNING
    assert task["StartedTimestamp"] > 0
    assert counts(sqs, dlq) == (0, 0)

    back = []
    for _ in range(10):
        back += sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                    AttributeNames=["All"]).get("Messages", [])
        if len(back) >= 3:
            break
    assert sorted(json.loads(m["Body"])["id"] for m in back) == [2, 5, 7]
    assert not ({m["MessageId"] for m in back} & {m["MessageId"] for m in dead}), "moved messages are new messages"
    for m in back:
        assert m["Attributes"]["ApproximateReceiveCount"] == "1"
        assert "DeadLetterQueueSourceArn" not in m["Attributes"]
    assert src_arn


def test_move_task_errors_and_cancel(sqs, error, make_queue, move_api):
    src, dlq, dlq_arn = make_dlq_pair(sqs, make_queue)
    src_arn = queue_arn(sqs, src)
    plain = make_queue("plain")
    error(move_api, "InvalidParameterValue", 400, "Source queue must be configured as a Dead Letter Queue.",
          op="StartMessageMoveTask", SourceArn=queue_arn(sqs, plain))
    error(move_api, "ResourceNotFoundException", 404,
          "The resource that you specified for the DestinationArn parameter doesn't exist.",
          op="StartMessageMoveTask", SourceArn=dlq_arn,
          DestinationArn="arn:aws:sqs:us-east-1:000000000000:no-such-destination")
    error(move_api, "InvalidParameterValue", 400, "Value for parameter TaskHandle is invalid.",
          op="CancelMessageMoveTask", TaskHandle="garbage")
    error(move_api, "InvalidParameterValue", 400, op="StartMessageMoveTask", SourceArn=dlq_arn,
          MaxNumberOfMessagesPerSecond=501)
    error(move_api, "InvalidParameterValue", 400, op="ListMessageMoveTasks", SourceArn=dlq_arn, MaxResults=11)
    assert move_api("ListMessageMoveTasks", SourceArn=dlq_arn).get("Results", []) == []

    for start in range(0, 30, 10):
        sqs.send_message_batch(QueueUrl=dlq, Entries=[{"Id": str(i), "MessageBody": f"m{start + i}"}
                                                      for i in range(10)])
    handle = move_api("StartMessageMoveTask", SourceArn=dlq_arn, DestinationArn=src_arn,
                      MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
    running = move_api("ListMessageMoveTasks", SourceArn=dlq_arn)["Results"]
    assert len(running) == 1 and running[0]["Status"] == "RUNNING" and running[0]["TaskHandle"] == handle
    # AWS's handles are base64 of a small JSON document naming the task and its source.
    doc = json.loads(base64.b64decode(handle))
    assert set(doc) == {"taskId", "sourceArn"} and doc["sourceArn"] == dlq_arn and doc["taskId"]
    assert running[0]["DestinationArn"] == src_arn and running[0]["MaxNumberOfMessagesPerSecond"] == 1
    error(move_api, "InvalidParameterValue", 400,
          "There is already a task running. Only one active task is allowed for a source queue arn at a given time.",
          op="StartMessageMoveTask", SourceArn=dlq_arn, DestinationArn=src_arn)
    moved = move_api("CancelMessageMoveTask", TaskHandle=handle)["ApproximateNumberOfMessagesMoved"]
    assert 0 <= moved < 30
    [task] = move_api("ListMessageMoveTasks", SourceArn=dlq_arn)["Results"]
    assert task["Status"] in ("CANCELLING", "CANCELLED")
    task = _wait_task(move_api, dlq_arn, "CANCELLED")[0]
    left = counts(sqs, dlq)[0]
    assert left + counts(sqs, src)[0] == 30 and left > 0
