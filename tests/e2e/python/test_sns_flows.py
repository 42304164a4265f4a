"""SNS flows of the applications Sluice is built for, with boto3 (AWS Query):

- the storefront: an orders topic, three queues with different filter policies (an attribute, a
  body field, a numeric attribute range), one with raw delivery; 1,000 mixed events published in
  batches by concurrent publishers while the server is killed with kill -9 mid-way; after the
  restart the publishers retry what was not answered, and every event reaches exactly the queues
  whose policy it matches (at least once: a batch in flight at the kill may arrive twice), with the
  right envelope and attributes;
- a FIFO topic with two FIFO queues: 100 groups x 100 messages arrive in order per group, the
  republished duplicates removed;
- auth "sigv4": the topic's default policy refuses another account's Publish until AddPermission,
  RemovePermission takes it back, and the queue's policy decides by aws:SourceArn whether the
  topic may deliver.

SNS speaks only Query: the suite runs in the query pass."""
import json
import threading
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from conftest import PROTOCOL, REGION, Sluice

pytestmark = pytest.mark.skipif(PROTOCOL != "query", reason="SNS is Query only; runs in the query pass")

CFG = Config(retries={"total_max_attempts": 1, "mode": "standard"}, max_pool_connections=20)


def clients(endpoint, akid="test", secret="test"):
    session = boto3.session.Session(aws_access_key_id=akid, aws_secret_access_key=secret, region_name=REGION)
    return (session.client("sns", endpoint_url=endpoint, config=CFG),
            session.client("sqs", endpoint_url=endpoint, config=CFG))


def name(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def make_queue(sq, qname, attributes=None):
    url = sq.create_queue(QueueName=qname, Attributes=attributes or {})["QueueUrl"]
    return url, sq.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def drain(sq, url, attributes=False):
    """Every message in the queue (received and deleted) until a receive comes back empty."""
    got = []
    kwargs = {"MessageAttributeNames": ["All"], "AttributeNames": ["All"]} if attributes else {}
    while True:
        msgs = sq.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                  VisibilityTimeout=300, **kwargs).get("Messages", [])
        if not msgs:
            return got
        got.extend(msgs)
        sq.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)])


# ------------------------------------------------------------------ the storefront, with kill -9

KINDS = ("order_placed", "refund", "shipped")


def event(i):
    kind = KINDS[i % 3]
    total = (i * 7) % 200
    return {"Id": f"e{i % 10}", "Message": json.dumps({"id": i, "type": kind, "total": total}),
            "MessageAttributes": {"event_type": {"DataType": "String", "StringValue": kind},
                                  "total": {"DataType": "Number", "StringValue": str(total)}}}


def test_storefront_fanout_survives_kill_9_mid_publish(tmp_path):
    srv = Sluice(tmp_path, "", data_dir=tmp_path / "data")
    try:
        sns, sq = clients(srv.endpoint)
        topic = sns.create_topic(Name=name("orders"))["TopicArn"]
        queues = {  # name -> (filter check on an event, subscription attributes)
            "placed": (lambda e: e["type"] == "order_placed",
                       {"FilterPolicy": json.dumps({"event_type": ["order_placed"]}), "RawMessageDelivery": "true"}),
            "refunds": (lambda e: e["type"] == "refund",
                        {"FilterPolicy": json.dumps({"type": ["refund"]}), "FilterPolicyScope": "MessageBody"}),
            "big": (lambda e: e["total"] >= 100,
                    {"FilterPolicy": json.dumps({"total": [{"numeric": [">=", 100]}]})}),
        }
        qnames = {}
        for key, (_, attrs) in queues.items():
            qnames[key] = name(key)
            _, qarn = make_queue(sq, qnames[key])
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes=attrs)

        batches = [[event(i) for i in range(b * 10, b * 10 + 10)] for b in range(100)]
        answered, unanswered = set(), set()  # batch numbers
        errors = []
        lock = threading.Lock()
        half = threading.Event()

        def publisher(mine):
            client, _ = clients(srv.endpoint)
            for n, b in enumerate(mine):
                try:
                    r = client.publish_batch(TopicArn=topic, PublishBatchRequestEntries=batches[b])
                except (BotoCoreError, ClientError):  # the server died under it
                    with lock:
                        unanswered.update(mine[n:])
                    return
                with lock:
                    if r["Failed"] or len(r["Successful"]) != 10:
                        errors.append(r)
                    answered.add(b)
                    if len(answered) >= 50:
                        half.set()

        threads = [threading.Thread(target=publisher, args=(list(range(t, 100, 4)),)) for t in range(4)]
        for t in threads:
            t.start()
        assert half.wait(60), "the publishers did not get half way"
        srv.proc.kill()  # mid-way: other batches are in flight
        srv.proc.wait(5)
        for t in threads:
            t.join(30)
        srv.log.close()
        assert not errors, errors[0]
        assert len(answered) >= 50 and len(answered) + len(unanswered) == 100, (len(answered), len(unanswered))
        assert unanswered, "the kill came after every batch was answered: not mid-way"

        srv.start()
        sns, sq = clients(srv.endpoint)
        for b in sorted(unanswered):  # the publisher retries what was not answered
            assert not sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=batches[b])["Failed"]

        events = [json.loads(event(i)["Message"]) for i in range(1000)]
        for key, (matches, attrs) in queues.items():
            url = sq.get_queue_url(QueueName=qnames[key])["QueueUrl"]
            got = drain(sq, url, attributes=True)
            ids = []
            for m in got:
                if attrs.get("RawMessageDelivery") == "true":
                    body = json.loads(m["Body"])
                    assert m["MessageAttributes"]["event_type"]["StringValue"] == body["type"]
                else:
                    envelope = json.loads(m["Body"])
                    assert envelope["Type"] == "Notification" and envelope["TopicArn"] == topic
                    body = json.loads(envelope["Message"])
                    assert envelope["MessageAttributes"]["total"] == {"Type": "Number", "Value": str(body["total"])}
                ids.append(body["id"])
            expected = {e["id"] for e in events if matches(e)}
            assert set(ids) == expected, (key, len(set(ids)), len(expected))  # every answered event, nothing else
            # Duplicates only from batches in flight at the kill (published again after it).
            dup = {i for i in ids if ids.count(i) > 1}
            assert all(i // 10 in unanswered for i in dup), (key, sorted(dup)[:10])
    finally:
        srv.stop()


# ------------------------------------------------------------------ FIFO: 100 groups x 100 messages

def test_fifo_topic_100_groups_of_100_in_order_to_two_queues(server):
    sns, sq = clients(server.endpoint)
    topic = sns.create_topic(Name=name("fifo") + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    urls = []
    for raw in ("true", "false"):
        url, qarn = make_queue(sq, name("fq") + ".fifo", {"FifoQueue": "true"})
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": raw})
        urls.append((url, raw == "true"))
    groups, per_group = 100, 100
    errors = []

    def publisher(mine):
        client, _ = clients(server.endpoint)
        try:
            for r in range(per_group // 10):  # rounds: every group of this publisher gets 10 more
                for g in mine:
                    entries = [{"Id": str(j), "Message": f"g{g}-{r * 10 + j}", "MessageGroupId": f"g{g}",
                                "MessageDeduplicationId": f"g{g}-{r * 10 + j}"} for j in range(10)]
                    res = client.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)
                    assert len(res["Successful"]) == 10, res
                    if r == 3 and g % 10 == 0:  # a publisher's retry: the topic drops the duplicates
                        again = client.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)
                        assert [e["SequenceNumber"] for e in again["Successful"]] == \
                            [e["SequenceNumber"] for e in res["Successful"]]
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=publisher, args=(list(range(t, groups, 4)),)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[0]

    def consume(url, raw, out):
        _, client = clients(server.endpoint)
        by_group = {}
        for m in drain(client, url, attributes=True):
            text = m["Body"] if raw else json.loads(m["Body"])["Message"]
            by_group.setdefault(m["Attributes"]["MessageGroupId"], []).append(text)
        out.append(by_group)

    results = [[] for _ in urls]
    consumers = [threading.Thread(target=consume, args=(url, raw, results[i])) for i, (url, raw) in enumerate(urls)]
    for t in consumers:
        t.start()
    for t in consumers:
        t.join(120)
    for (by_group,) in results:
        assert len(by_group) == groups
        for g in range(groups):
            assert by_group[f"g{g}"] == [f"g{g}-{i}" for i in range(per_group)], g


# ------------------------------------------------------------------ auth "sigv4": topic and queue policies

ACCOUNT_A, ACCOUNT_B = "111111111111", "222222222222"
USERS = {"a": (ACCOUNT_A, "AKIDSNSA", "sns-a-secret"), "b": (ACCOUNT_B, "AKIDSNSB", "sns-b-secret")}


@pytest.fixture(scope="module")
def sigv4(tmp_path_factory):
    allow = json.dumps({"Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": ["sns:*", "sqs:*"], "Resource": "*"}]})
    lines = ['[auth]', 'mode = "sigv4"', f'region = "{REGION}"', f'accounts = ["{ACCOUNT_A}", "{ACCOUNT_B}"]', '']
    for user, (account, akid, secret) in USERS.items():
        lines += ['[[auth.users]]', f'name = "{user}"', f'account = "{account}"', f'access_key_id = "{akid}"',
                  f'secret_access_key = "{secret}"', f"policies = [{json.dumps(allow)}]", '']
    srv = Sluice(tmp_path_factory.mktemp("sns-sigv4"), "\n".join(lines))
    yield srv
    srv.stop()


def as_user(srv, user):
    _, akid, secret = USERS[user]
    return clients(srv.endpoint, akid, secret)


def code(fn, **kwargs):
    with pytest.raises(ClientError) as info:
        fn(**kwargs)
    return info.value.response["Error"]["Code"], info.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_cross_account_publish_needs_add_permission_and_the_queue_policy_decides_by_source_arn(sigv4):
    sns_a, sqs_a = as_user(sigv4, "a")
    sns_b, _ = as_user(sigv4, "b")
    topic = sns_a.create_topic(Name=name("xacct"))["TopicArn"]
    other_topic = sns_a.create_topic(Name=name("other"))["TopicArn"]
    assert topic.split(":")[4] == ACCOUNT_A
    # The default topic policy: only the owner's account.
    assert code(sns_b.publish, TopicArn=topic, Message="refused") == ("AuthorizationError", 403)
    sns_a.add_permission(TopicArn=topic, Label="b-publishes", AWSAccountId=[ACCOUNT_B], ActionName=["Publish"])
    policy = json.loads(sns_a.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
    assert any(s.get("Sid") == "b-publishes" for s in policy["Statement"])
    # Not granted: another action.
    assert code(sns_b.set_topic_attributes, TopicArn=topic, AttributeName="DisplayName",
                AttributeValue="x") == ("AuthorizationError", 403)

    url, qarn = make_queue(sqs_a, name("xq"))
    sns_a.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})
    # No queue policy: SNS may not send to the queue; the publish is answered, nothing arrives.
    sns_b.publish(TopicArn=topic, Message="no queue policy")
    assert drain(sqs_a, url) == []

    def queue_policy(source_arn):
        return json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
            "Resource": qarn, "Condition": {"ArnEquals": {"aws:SourceArn": source_arn}}}]})

    sqs_a.set_queue_attributes(QueueUrl=url, Attributes={"Policy": queue_policy(other_topic)})
    sns_b.publish(TopicArn=topic, Message="another topic's policy")
    assert drain(sqs_a, url) == []
    sqs_a.set_queue_attributes(QueueUrl=url, Attributes={"Policy": queue_policy(topic)})
    mid = sns_b.publish(TopicArn=topic, Message="from account B")["MessageId"]
    got = drain(sqs_a, url)
    assert [m["Body"] for m in got] == ["from account B"], got
    assert mid

    sns_a.remove_permission(TopicArn=topic, Label="b-publishes")
    assert code(sns_b.publish, TopicArn=topic, Message="refused again") == ("AuthorizationError", 403)
    sns_a.publish(TopicArn=topic, Message="the owner still may")
    assert [m["Body"] for m in drain(sqs_a, url)] == ["the owner still may"]
