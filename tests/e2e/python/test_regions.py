"""Queues are scoped by account and region, as on AWS: clients for us-east-1 and us-west-2 against the
same endpoint see separate queues (GetQueueUrl, ListQueues, ARNs, messages); a queue of a region other
than the configured one has its region in its URL path ("/queue/<region>/<account>/<name>")."""
import json

import boto3
import pytest
from botocore.config import Config

from conftest import ACCOUNT, PROTOCOL, REGION, queue_arn, unique_name

NONEXISTENT_MSG = ("The specified queue does not exist for this wsdl version." if PROTOCOL == "query"
                   else "The specified queue does not exist.")
WEST = "us-west-2"


@pytest.fixture(scope="module")
def regional(server, recorder):
    def make(region):
        session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                        region_name=region)
        client = session.client("sqs", endpoint_url=server.endpoint, config=Config(
            retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=40, connect_timeout=5))
        client.meta.events.register("before-send.sqs", recorder.on_send)
        client.meta.events.register("response-received.sqs", recorder.on_response)
        return client
    return make


@pytest.fixture(scope="module")
def east(regional):
    assert REGION == "us-east-1"  # the server's configured region in this suite
    return regional(REGION)


@pytest.fixture(scope="module")
def west(regional):
    return regional(WEST)


def test_same_name_in_two_regions_is_two_queues(east, west, server, error):
    name = unique_name("reg")
    east_url = east.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "10"})["QueueUrl"]
    # Not visible from the other region.
    error(west.get_queue_url, "AWS.SimpleQueueService.NonExistentQueue", message=NONEXISTENT_MSG,
          QueueName=name)
    # Different attributes in the other region: another queue, not QueueAlreadyExists.
    west_url = west.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "20"})["QueueUrl"]
    host = server.endpoint.split("://", 1)[1]
    assert east_url == f"http://{host}/{ACCOUNT}/{name}"  # the default region keeps the plain form
    assert west_url == f"http://{host}/queue/{WEST}/{ACCOUNT}/{name}"
    assert east.get_queue_url(QueueName=name)["QueueUrl"] == east_url
    assert west.get_queue_url(QueueName=name)["QueueUrl"] == west_url

    assert queue_arn(east, east_url) == f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}"
    assert queue_arn(west, west_url) == f"arn:aws:sqs:{WEST}:{ACCOUNT}:{name}"
    assert east.get_queue_attributes(QueueUrl=east_url, AttributeNames=["VisibilityTimeout"])[
        "Attributes"]["VisibilityTimeout"] == "10"
    assert west.get_queue_attributes(QueueUrl=west_url, AttributeNames=["VisibilityTimeout"])[
        "Attributes"]["VisibilityTimeout"] == "20"

    east.send_message(QueueUrl=east_url, MessageBody="to east")
    west.send_message(QueueUrl=west_url, MessageBody="to west")
    west.send_message(QueueUrl=name, MessageBody="by name")  # a bare name: the caller's region
    got_east = east.receive_message(QueueUrl=east_url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    got_west = west.receive_message(QueueUrl=west_url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    assert [m["Body"] for m in got_east.get("Messages", [])] == ["to east"]
    assert sorted(m["Body"] for m in got_west.get("Messages", [])) == ["by name", "to west"]

    # ListQueues lists the caller's region only.
    east_urls = east.list_queues(QueueNamePrefix=name).get("QueueUrls", [])
    west_urls = west.list_queues(QueueNamePrefix=name).get("QueueUrls", [])
    assert east_urls == [east_url]
    assert west_urls == [west_url]

    # Deleting one leaves the other.
    west.delete_queue(QueueUrl=west_url)
    error(west.get_queue_url, "AWS.SimpleQueueService.NonExistentQueue", message=NONEXISTENT_MSG,
          QueueName=name)
    assert east.get_queue_url(QueueName=name)["QueueUrl"] == east_url


def test_a_queue_url_of_another_region_names_no_queue(east, west, error):
    # AWS: a client of one region using a queue URL of another answers NonExistentQueue.
    name = unique_name("reg")
    west_url = west.create_queue(QueueName=name)["QueueUrl"]
    east_url = east.create_queue(QueueName=unique_name("reg"))["QueueUrl"]
    error(east.send_message, "AWS.SimpleQueueService.NonExistentQueue", message=NONEXISTENT_MSG,
          QueueUrl=west_url, MessageBody="x")
    error(east.get_queue_attributes, "AWS.SimpleQueueService.NonExistentQueue",
          message=NONEXISTENT_MSG, QueueUrl=west_url, AttributeNames=["All"])
    error(west.receive_message, "AWS.SimpleQueueService.NonExistentQueue", message=NONEXISTENT_MSG,
          QueueUrl=east_url)
    # An AWS-style URL names its region by its host.
    aws_style = f"https://sqs.{WEST}.amazonaws.com/{ACCOUNT}/{name}"
    west.send_message(QueueUrl=aws_style, MessageBody="via the AWS form")
    error(east.send_message, "AWS.SimpleQueueService.NonExistentQueue", message=NONEXISTENT_MSG,
          QueueUrl=aws_style, MessageBody="x")
    got = west.receive_message(QueueUrl=west_url, MaxNumberOfMessages=10)
    assert [m["Body"] for m in got.get("Messages", [])] == ["via the AWS form"]


def test_dead_letter_queue_must_be_in_the_same_region(east, west, error):
    east_dlq = east.create_queue(QueueName=unique_name("dlq"))["QueueUrl"]
    west_dlq = west.create_queue(QueueName=unique_name("dlq"))["QueueUrl"]
    east_dlq_arn = queue_arn(east, east_dlq)
    west_dlq_arn = queue_arn(west, west_dlq)
    policy = json.dumps({"deadLetterTargetArn": east_dlq_arn, "maxReceiveCount": 1})
    err = error(west.create_queue, "InvalidParameterValue", QueueName=unique_name("src"),
                Attributes={"RedrivePolicy": policy})
    assert "RedrivePolicy" in err["Error"]["Message"]

    src = west.create_queue(QueueName=unique_name("src"), Attributes={"RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": west_dlq_arn, "maxReceiveCount": 1})})["QueueUrl"]
    error(west.set_queue_attributes, "InvalidParameterValue", QueueUrl=src,
          Attributes={"RedrivePolicy": policy})
    assert west.list_dead_letter_source_queues(QueueUrl=west_dlq)["queueUrls"] == [src]
    assert east.list_dead_letter_source_queues(QueueUrl=east_dlq).get("queueUrls", []) == []

    # Redrive stays in the region: the message lands in us-west-2's DLQ.
    west.send_message(QueueUrl=src, MessageBody="poison")
    assert len(west.receive_message(QueueUrl=src, VisibilityTimeout=0).get("Messages", [])) == 1
    assert west.receive_message(QueueUrl=src).get("Messages", []) == []
    moved = west.receive_message(QueueUrl=west_dlq, AttributeNames=["All"]).get("Messages", [])
    assert [m["Body"] for m in moved] == ["poison"]
    assert moved[0]["Attributes"]["DeadLetterQueueSourceArn"] == queue_arn(west, src)
    assert east.receive_message(QueueUrl=east_dlq).get("Messages", []) == []
