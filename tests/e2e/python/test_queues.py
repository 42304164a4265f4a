"""Queue-level actions: CreateQueue, GetQueueUrl, ListQueues, DeleteQueue, Get/SetQueueAttributes,
tags, permissions, protocol basics."""
import json
import re
import time

import pytest

from conftest import ACCOUNT, PROTOCOL, REGION, assert_protocol, queue_arn, unique_name

NONEXISTENT_MSG = ("The specified queue does not exist for this wsdl version." if PROTOCOL == "query"
                   else "The specified queue does not exist.")

DEFAULT_ATTRS = {
    "DelaySeconds": "0", "MaximumMessageSize": "1048576", "MessageRetentionPeriod": "345600",
    "ReceiveMessageWaitTimeSeconds": "0", "VisibilityTimeout": "30", "SqsManagedSseEnabled": "true",
    "ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesDelayed": "0",
    "ApproximateNumberOfMessagesNotVisible": "0",
}


def test_protocol_in_use(sqs, recorder, queue):
    sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])
    assert_protocol(recorder, "GetQueueAttributes")
    resp = recorder.last_response
    headers = {k.lower(): v for k, v in resp["headers"].items()}
    assert resp["status_code"] == 200
    if PROTOCOL == "json":
        assert headers["content-type"].startswith("application/x-amz-json-1.0")
        assert headers.get("x-amzn-requestid")
    else:
        assert headers["content-type"].startswith("text/xml")
        body = resp["body"].decode()
        assert '<GetQueueAttributesResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">' in body
        assert re.search(r"<ResponseMetadata>\s*<RequestId>[^<]+</RequestId>", body)


# ---------------------------------------------------------------- CreateQueue

def test_create_queue_url_shape(sqs, server):
    name = unique_name("shape")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    assert url == f"{server.endpoint}/{ACCOUNT}/{name}"
    assert queue_arn(sqs, url) == f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def test_create_queue_with_attributes_and_tags(sqs):
    name = unique_name("attrs")
    url = sqs.create_queue(QueueName=name, Attributes={
        "DelaySeconds": "5", "MaximumMessageSize": "2048", "MessageRetentionPeriod": "120",
        "ReceiveMessageWaitTimeSeconds": "3", "VisibilityTimeout": "45"}, tags={"env": "dev", "team": "x"})["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert {k: attrs[k] for k in ("DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod",
                                  "ReceiveMessageWaitTimeSeconds", "VisibilityTimeout")} == {
        "DelaySeconds": "5", "MaximumMessageSize": "2048", "MessageRetentionPeriod": "120",
        "ReceiveMessageWaitTimeSeconds": "3", "VisibilityTimeout": "45"}
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "dev", "team": "x"}


def test_create_queue_idempotent(sqs, error):
    name = unique_name("idem")
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "45"})["QueueUrl"]
    # same attributes, no attributes, a subset equal to current values: all return the same URL
    assert sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "45"})["QueueUrl"] == url
    assert sqs.create_queue(QueueName=name)["QueueUrl"] == url
    assert sqs.create_queue(QueueName=name, Attributes={"DelaySeconds": "0"})["QueueUrl"] == url
    error(sqs.create_queue, "QueueAlreadyExists", 400,
          "A queue already exists with the same name and a different value for attribute VisibilityTimeout",
          QueueName=name, Attributes={"VisibilityTimeout": "46"})
    error(sqs.create_queue, "QueueAlreadyExists", 400,
          "A queue already exists with the same name and a different value for attribute DelaySeconds",
          QueueName=name, Attributes={"DelaySeconds": "7"})


@pytest.mark.parametrize("name", ["a" * 81, "has space", "bad!char", "dot.name", "slash/name", "x.fifo"])
def test_create_queue_bad_names(sqs, error, name):
    error(sqs.create_queue, "InvalidParameterValue", 400, QueueName=name)


def test_create_queue_name_limits_ok(sqs):
    for name in ["a" * 80, "A-b_9", unique_name("Case")]:
        assert sqs.create_queue(QueueName=name)["QueueUrl"].endswith("/" + name)


def test_create_fifo_requires_suffix(sqs, error):
    error(sqs.create_queue, "InvalidParameterValue", 400, QueueName=unique_name("nofifo"),
          Attributes={"FifoQueue": "true"})


def test_queue_names_case_sensitive(sqs):
    base = unique_name("case")
    lower = sqs.create_queue(QueueName=base)["QueueUrl"]
    upper = sqs.create_queue(QueueName=base.upper())["QueueUrl"]
    assert lower != upper
    sqs.send_message(QueueUrl=upper, MessageBody="x")
    attrs = sqs.get_queue_attributes(QueueUrl=lower, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0"


def test_create_queue_deleted_recently(sqs, error):
    name = unique_name("recent")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.delete_queue(QueueUrl=url)
    error(sqs.create_queue, "AWS.SimpleQueueService.QueueDeletedRecently", 400, QueueName=name)


# ---------------------------------------------------------------- GetQueueUrl / DeleteQueue

def test_get_queue_url(sqs, queue):
    name = queue.rsplit("/", 1)[1]
    assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == queue
    assert sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=ACCOUNT)["QueueUrl"] == queue


def test_get_queue_url_missing(sqs, error):
    err = error(sqs.get_queue_url, "AWS.SimpleQueueService.NonExistentQueue", 400, NONEXISTENT_MSG,
                QueueName=unique_name("missing"))
    assert err["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    if PROTOCOL == "query":  # the query model maps the code to the modelled exception class
        with pytest.raises(sqs.exceptions.QueueDoesNotExist):
            sqs.get_queue_url(QueueName=unique_name("missing"))


def test_delete_queue(sqs, error, make_queue):
    url = make_queue()
    sqs.send_message(QueueUrl=url, MessageBody="not empty")
    sqs.delete_queue(QueueUrl=url)
    name = url.rsplit("/", 1)[1]
    error(sqs.get_queue_url, "AWS.SimpleQueueService.NonExistentQueue", 400, QueueName=name)
    assert url not in sqs.list_queues(QueueNamePrefix=name).get("QueueUrls", [])
    error(sqs.delete_queue, "AWS.SimpleQueueService.NonExistentQueue", 400, QueueUrl=url)


def test_queue_scoped_actions_on_missing_queue(sqs, error, server):
    url = f"{server.endpoint}/{ACCOUNT}/{unique_name('gone')}"
    code = "AWS.SimpleQueueService.NonExistentQueue"
    error(sqs.send_message, code, 400, QueueUrl=url, MessageBody="x")
    error(sqs.receive_message, code, 400, QueueUrl=url)
    error(sqs.get_queue_attributes, code, 400, QueueUrl=url, AttributeNames=["All"])
    error(sqs.set_queue_attributes, code, 400, QueueUrl=url, Attributes={"DelaySeconds": "1"})
    error(sqs.delete_queue, code, 400, QueueUrl=url)
    error(sqs.purge_queue, code, 400, QueueUrl=url)
    error(sqs.list_queue_tags, code, 400, QueueUrl=url)
    error(sqs.tag_queue, code, 400, QueueUrl=url, Tags={"a": "b"})


def test_other_account(sqs, error, queue, server):
    name = queue.rsplit("/", 1)[1]
    error(sqs.get_queue_url, "AWS.SimpleQueueService.NonExistentQueue", 400, QueueName=name,
          QueueOwnerAWSAccountId="111111111111")
    error(sqs.send_message, "AWS.SimpleQueueService.NonExistentQueue", 400,
          QueueUrl=f"{server.endpoint}/111111111111/{name}", MessageBody="x")


def test_foreign_host_queue_url(sqs, queue):
    name = queue.rsplit("/", 1)[1]
    foreign = f"http://example.invalid:1234/{ACCOUNT}/{name}"
    sent = sqs.send_message(QueueUrl=foreign, MessageBody="via foreign host")
    msgs = sqs.receive_message(QueueUrl=foreign, WaitTimeSeconds=1).get("Messages", [])
    assert [m["MessageId"] for m in msgs] == [sent["MessageId"]]
    sqs.delete_message(QueueUrl=foreign, ReceiptHandle=msgs[0]["ReceiptHandle"])
    assert sqs.get_queue_attributes(QueueUrl=foreign, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"] \
        .endswith(":" + name)


def test_queue_name_as_queue_url(sqs, error, queue):
    # AWS accepts the bare queue name where a QueueUrl is expected (the caller's account and region;
    # localstack's AWS-validated test_posting_to_queue_via_queue_name).
    name = queue.rsplit("/", 1)[1]
    sent = sqs.send_message(QueueUrl=name, MessageBody="by name")
    sqs.set_queue_attributes(QueueUrl=name, Attributes={"VisibilityTimeout": "7"})
    assert sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["VisibilityTimeout"])["Attributes"] == \
        {"VisibilityTimeout": "7"}
    [m] = sqs.receive_message(QueueUrl=name, WaitTimeSeconds=1)["Messages"]
    assert m["MessageId"] == sent["MessageId"]
    sqs.delete_message(QueueUrl=name, ReceiptHandle=m["ReceiptHandle"])
    error(sqs.send_message, "AWS.SimpleQueueService.NonExistentQueue", 400, QueueUrl=unique_name("nope"),
          MessageBody="x")


# ---------------------------------------------------------------- ListQueues

def test_list_queues_prefix_and_pagination(sqs):
    prefix = unique_name("lst")
    urls = sorted(sqs.create_queue(QueueName=f"{prefix}-{i:02d}")["QueueUrl"] for i in range(7))
    other = sqs.create_queue(QueueName=unique_name("lsx"))["QueueUrl"]
    got = sqs.list_queues(QueueNamePrefix=prefix)
    assert sorted(got["QueueUrls"]) == urls
    assert "NextToken" not in got  # only returned when MaxResults was sent
    assert other in sqs.list_queues()["QueueUrls"]
    assert sqs.list_queues(QueueNamePrefix=prefix.upper()).get("QueueUrls", []) == []  # case-sensitive
    assert sqs.list_queues(QueueNamePrefix=unique_name("none")).get("QueueUrls", []) == []

    seen, token, pages = [], None, 0
    while True:
        kwargs = {"QueueNamePrefix": prefix, "MaxResults": 3}
        if token:
            kwargs["NextToken"] = token
        page = sqs.list_queues(**kwargs)
        pages += 1
        assert len(page.get("QueueUrls", [])) <= 3
        seen += page.get("QueueUrls", [])
        token = page.get("NextToken")
        if not token:
            break
        assert pages < 10
    assert sorted(seen) == urls and len(seen) == len(set(seen))
    assert pages >= 3


def test_list_queues_max_results_range(sqs, error):
    error(sqs.list_queues, "InvalidParameterValue", 400, MaxResults=0)
    error(sqs.list_queues, "InvalidParameterValue", 400, MaxResults=1001)


# ---------------------------------------------------------------- Get/SetQueueAttributes

def test_default_attributes_exact(sqs, make_queue):
    before = int(time.time())
    url = make_queue()
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert set(attrs) == set(DEFAULT_ATTRS) | {"CreatedTimestamp", "LastModifiedTimestamp", "QueueArn"}
    assert {k: attrs[k] for k in DEFAULT_ATTRS} == DEFAULT_ATTRS
    created = int(attrs["CreatedTimestamp"])  # epoch seconds
    assert before - 5 <= created <= time.time() + 5
    assert abs(int(attrs["LastModifiedTimestamp"]) - created) <= 5


def test_fifo_default_attributes(sqs, make_queue):
    assert sqs.create_queue(QueueName="f" * 75 + ".fifo",  # the suffix counts toward the 80 characters
                            Attributes={"FifoQueue": "true"})["QueueUrl"].endswith("/" + "f" * 75 + ".fifo")
    url = make_queue(fifo=True)
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert set(attrs) == set(DEFAULT_ATTRS) | {"CreatedTimestamp", "LastModifiedTimestamp", "QueueArn",
                                               "ContentBasedDeduplication", "DeduplicationScope", "FifoQueue",
                                               "FifoThroughputLimit"}
    assert attrs["FifoQueue"] == "true"
    assert attrs["ContentBasedDeduplication"] == "false"
    assert attrs["DeduplicationScope"] == "queue"
    assert attrs["FifoThroughputLimit"] == "perQueue"


def test_get_attributes_selection(sqs, queue):
    assert sqs.get_queue_attributes(QueueUrl=queue).get("Attributes", {}) == {}
    got = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["VisibilityTimeout", "DelaySeconds"])
    assert got["Attributes"] == {"VisibilityTimeout": "30", "DelaySeconds": "0"}


def test_set_attributes(sqs, queue):
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={
        "DelaySeconds": "900", "MaximumMessageSize": "1024", "MessageRetentionPeriod": "1209600",
        "ReceiveMessageWaitTimeSeconds": "20", "VisibilityTimeout": "43200"})
    attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert (attrs["DelaySeconds"], attrs["MaximumMessageSize"], attrs["MessageRetentionPeriod"],
            attrs["ReceiveMessageWaitTimeSeconds"], attrs["VisibilityTimeout"]) == \
        ("900", "1024", "1209600", "20", "43200")
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={
        "DelaySeconds": "0", "MaximumMessageSize": "1048576", "MessageRetentionPeriod": "60",
        "ReceiveMessageWaitTimeSeconds": "0", "VisibilityTimeout": "0"})
    attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert (attrs["DelaySeconds"], attrs["MaximumMessageSize"], attrs["MessageRetentionPeriod"],
            attrs["ReceiveMessageWaitTimeSeconds"], attrs["VisibilityTimeout"]) == ("0", "1048576", "60", "0", "0")


@pytest.mark.parametrize("name,value", [
    ("DelaySeconds", "901"), ("DelaySeconds", "-1"), ("DelaySeconds", "abc"),
    ("MaximumMessageSize", "1023"), ("MaximumMessageSize", "1048577"),
    ("MessageRetentionPeriod", "59"), ("MessageRetentionPeriod", "1209601"),
    ("ReceiveMessageWaitTimeSeconds", "21"), ("VisibilityTimeout", "43201"), ("VisibilityTimeout", "-1"),
])
def test_attribute_ranges(sqs, error, queue, name, value):
    error(sqs.set_queue_attributes, "InvalidAttributeValue", 400, QueueUrl=queue, Attributes={name: value})
    error(sqs.create_queue, "InvalidAttributeValue", 400, QueueName=unique_name("rng"),
          Attributes={name: value})


def test_redrive_policy_not_json(sqs, error, queue):
    error(sqs.set_queue_attributes, ("InvalidAttributeValue", "InvalidParameterValue"), 400,
          QueueUrl=queue, Attributes={"RedrivePolicy": "not json"})


def test_unknown_attribute_names(sqs, error, queue):
    error(sqs.set_queue_attributes, "InvalidAttributeName", 400, QueueUrl=queue, Attributes={"Bogus": "1"})
    error(sqs.get_queue_attributes, "InvalidAttributeName", 400, QueueUrl=queue, AttributeNames=["Bogus"])
    error(sqs.create_queue, "InvalidAttributeName", 400, QueueName=unique_name("unk"), Attributes={"Bogus": "1"})
    error(sqs.set_queue_attributes, "InvalidAttributeName", 400, "Unknown Attribute FifoQueue.",
          QueueUrl=queue, Attributes={"FifoQueue": "true"})
    error(sqs.set_queue_attributes, "InvalidAttributeName", 400, "Unknown Attribute ContentBasedDeduplication.",
          QueueUrl=queue, Attributes={"ContentBasedDeduplication": "true"})


def test_read_only_attributes_rejected(sqs, error, queue):
    error(sqs.set_queue_attributes, "InvalidAttributeName", 400, QueueUrl=queue,
          Attributes={"ApproximateNumberOfMessages": "5"})


def test_redrive_policy_roundtrip(sqs, make_queue):
    dlq = make_queue("dlq")
    src = make_queue("src")
    dlq_arn = queue_arn(sqs, dlq)
    sqs.set_queue_attributes(QueueUrl=src, Attributes={
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})})
    got = sqs.get_queue_attributes(QueueUrl=src, AttributeNames=["RedrivePolicy"])["Attributes"]
    assert json.loads(got["RedrivePolicy"]) == {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3}
    sqs.set_queue_attributes(QueueUrl=src, Attributes={"RedrivePolicy": ""})
    assert "RedrivePolicy" not in sqs.get_queue_attributes(QueueUrl=src, AttributeNames=["All"])["Attributes"]


# ---------------------------------------------------------------- tags

def test_tags(sqs, queue):
    assert sqs.list_queue_tags(QueueUrl=queue).get("Tags", {}) == {}
    sqs.tag_queue(QueueUrl=queue, Tags={"env": "dev", "owner": "me", "Env": "case"})
    sqs.tag_queue(QueueUrl=queue, Tags={"env": "prod"})  # overwrite
    assert sqs.list_queue_tags(QueueUrl=queue)["Tags"] == {"env": "prod", "owner": "me", "Env": "case"}
    sqs.untag_queue(QueueUrl=queue, TagKeys=["owner", "nope"])
    assert sqs.list_queue_tags(QueueUrl=queue)["Tags"] == {"env": "prod", "Env": "case"}
    sqs.untag_queue(QueueUrl=queue, TagKeys=["env", "Env"])
    assert sqs.list_queue_tags(QueueUrl=queue).get("Tags", {}) == {}


# ---------------------------------------------------------------- permissions

def test_add_remove_permission(sqs, error, queue):
    arn = queue_arn(sqs, queue)
    sqs.add_permission(QueueUrl=queue, Label="send1", AWSAccountIds=["111122223333"],
                       Actions=["SendMessage", "ReceiveMessage"])
    policy = json.loads(sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["Policy"])["Attributes"]["Policy"])
    assert policy.get("Version") == "2012-10-17"
    [stmt] = policy["Statement"]
    assert stmt["Sid"] == "send1"
    assert stmt["Effect"] == "Allow"
    principal = stmt["Principal"]["AWS"]
    principal = principal if isinstance(principal, list) else [principal]
    assert principal == ["arn:aws:iam::111122223333:root"]
    actions = stmt["Action"] if isinstance(stmt["Action"], list) else [stmt["Action"]]
    assert sorted(actions) == ["SQS:ReceiveMessage", "SQS:SendMessage"]
    assert stmt["Resource"] == arn

    sqs.add_permission(QueueUrl=queue, Label="all2", AWSAccountIds=["444455556666"], Actions=["*"])
    policy = json.loads(sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["Policy"])["Attributes"]["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["send1", "all2"]

    error(sqs.add_permission, "InvalidParameterValue", 400,
          "Value send1 for parameter Label is invalid. Reason: Already exists.",
          QueueUrl=queue, Label="send1", AWSAccountIds=["111122223333"], Actions=["SendMessage"])
    sqs.remove_permission(QueueUrl=queue, Label="send1")
    policy = json.loads(sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["Policy"])["Attributes"]["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["all2"]
    error(sqs.remove_permission, "InvalidParameterValue", 400,
          "Value send1 for parameter Label is invalid. Reason: can't find label.", QueueUrl=queue, Label="send1")
    sqs.remove_permission(QueueUrl=queue, Label="all2")
    attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    if "Policy" in attrs:  # AWS leaves an empty statement list; absent is acceptable too
        assert json.loads(attrs["Policy"]).get("Statement", []) == []


def test_policy_quotas(sqs, error, queue):
    """A queue policy holds at most 20 statements, 50 principals and 10 conditions: AddPermission
    answers OverLimit (403) at the limit, SetQueueAttributes InvalidAttributeValue beyond it."""
    for i in range(20):
        sqs.add_permission(QueueUrl=queue, Label=f"p{i}", AWSAccountIds=["111122223333"], Actions=["SendMessage"])
    error(sqs.add_permission, "OverLimit", 403, None,
          QueueUrl=queue, Label="p20", AWSAccountIds=["111122223333"], Actions=["SendMessage"])
    stmt = {"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"}
    too_many = json.dumps({"Version": "2012-10-17", "Statement": [stmt] * 21})
    error(sqs.set_queue_attributes, "InvalidAttributeValue", 400,
          "Invalid value for the parameter Policy. Reason: Policy has 21 statements; the limit is 20.",
          QueueUrl=queue, Attributes={"Policy": too_many})
    principals = dict(stmt, Principal={"AWS": [str(100000000000 + i) for i in range(51)]})
    error(sqs.set_queue_attributes, "InvalidAttributeValue", 400,
          "Invalid value for the parameter Policy. Reason: Policy has 51 principals; the limit is 50.",
          QueueUrl=queue, Attributes={"Policy": json.dumps({"Statement": [principals]})})
    twenty = json.dumps({"Version": "2012-10-17", "Statement": [stmt] * 20})
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": twenty})


def test_policy_with_template_resource_is_stored(sqs, queue):
    # AWS stores a policy whose Resource (and ArnEquals value) are not ARNs: users paste templates
    # (localstack's AWS-validated test_set_queue_policy uses this very document).
    policy = """{"Version":"2012-10-17","Statement":[{"Effect": "Allow","Principal": { "AWS": "*" },
      "Action": "sqs:SendMessage","Resource": "'$sqs_queue_arn'",
      "Condition":{"ArnEquals":{"aws:SourceArn":"'$sns_topic_arn'"}}}]}"""
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": policy})
    got = json.loads(sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["Policy"])["Attributes"]["Policy"])
    assert got == json.loads(policy)


def test_policy_attribute_set_and_clear(sqs, queue):
    arn = queue_arn(sqs, queue)
    doc = {"Version": "2012-10-17", "Statement": [{"Sid": "s", "Effect": "Allow", "Principal": "*",
                                                    "Action": "sqs:SendMessage", "Resource": arn}]}
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": json.dumps(doc)})
    got = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["Policy"])["Attributes"]["Policy"]
    assert json.loads(got) == doc
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": ""})
    assert "Policy" not in sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
