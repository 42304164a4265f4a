"""The storefront flow end to end, as the applications Sluice is built for run it: a queue pair
(domain operations and its dead-letter queue) encrypted with a customer KMS key, both URLs kept in
SSM Parameter Store, a database password as a SecureString under the same key; a producer and a
worker that find their queue through SSM. Then the key is disabled (SQS and SSM answer as AWS
does), re-enabled (everything flows again), and the server restarts: every resource survives, and
nothing secret is readable on disk."""
import json
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import REGION, Sluice

CFG = Config(retries={"total_max_attempts": 1, "mode": "standard"})
ENV = "production"
PASSWORD = "correct horse battery staple " + uuid.uuid4().hex
BODY_MARKER = "storefront-order-" + uuid.uuid4().hex


def clients(endpoint):
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION)
    return (session.client("sqs", endpoint_url=endpoint, config=CFG),
            session.client("ssm", endpoint_url=endpoint, config=CFG),
            session.client("kms", endpoint_url=endpoint, config=CFG))


def code_of(fn, **kwargs):
    with pytest.raises(ClientError) as info:
        fn(**kwargs)
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def provision(sqs, ssm, kms):
    key = kms.create_key(Description="storefront data")["KeyMetadata"]
    kms.create_alias(AliasName=f"alias/storefront-{ENV}", TargetKeyId=key["KeyId"])
    dlq = sqs.create_queue(QueueName=f"storefront-{ENV}-domain-dlq",
                           Attributes={"KmsMasterKeyId": f"alias/storefront-{ENV}"})["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue = sqs.create_queue(QueueName=f"storefront-{ENV}-domain", Attributes={
        "KmsMasterKeyId": f"alias/storefront-{ENV}", "VisibilityTimeout": "30",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"})})["QueueUrl"]
    ssm.put_parameter(Name=f"/storefront-{ENV}/sqs/domain-queue-url", Value=queue, Type="String")
    ssm.put_parameter(Name=f"/storefront-{ENV}/sqs/domain-dlq-url", Value=dlq, Type="String")
    ssm.put_parameter(Name=f"/storefront-{ENV}/db/password", Value=PASSWORD, Type="SecureString",
                      KeyId=f"alias/storefront-{ENV}")
    return key


def producer_sends(sqs, ssm, jobs):
    url = ssm.get_parameter(Name=f"/storefront-{ENV}/sqs/domain-queue-url")["Parameter"]["Value"]
    for job in jobs:
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(job))


def worker_receives(sqs, ssm, expected):
    url = ssm.get_parameter(Name=f"/storefront-{ENV}/sqs/domain-queue-url")["Parameter"]["Value"]
    got = []
    for _ in range(20):
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            got.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        if len(got) >= expected:
            break
    return got


def test_storefront(tmp_path):
    data = tmp_path / "data"
    srv = Sluice(tmp_path, "", env={"SLUICE_MASTER_KEY": "5a" * 32}, data_dir=data)
    try:
        sqs, ssm, kms = clients(srv.endpoint)
        key = provision(sqs, ssm, kms)
        producer_sends(sqs, ssm, [{"order": i, "kind": "domain-op"} for i in range(5)])
        assert sorted(j["order"] for j in worker_receives(sqs, ssm, 5)) == list(range(5))
        secret = ssm.get_parameter(Name=f"/storefront-{ENV}/db/password", WithDecryption=True)["Parameter"]
        assert secret["Value"] == PASSWORD

        # The key is disabled: the queue and the secret stop working, as on AWS.
        kms.disable_key(KeyId=key["KeyId"])
        url = ssm.get_parameter(Name=f"/storefront-{ENV}/sqs/domain-queue-url")["Parameter"]["Value"]
        assert code_of(sqs.send_message, QueueUrl=url, MessageBody="x")[0] == "KMS.DisabledException"
        assert code_of(sqs.receive_message, QueueUrl=url)[0] == "KMS.DisabledException"
        code, message = code_of(ssm.get_parameter, Name=f"/storefront-{ENV}/db/password", WithDecryption=True)
        assert code == "InvalidKeyId" and f"{key['Arn']} is disabled." in message
        # Plain parameters do not need the key.
        assert ssm.get_parameter(Name=f"/storefront-{ENV}/sqs/domain-dlq-url")["Parameter"]["Value"]

        # Re-enabled: everything flows again.
        kms.enable_key(KeyId=key["KeyId"])
        producer_sends(sqs, ssm, [{"order": 100 + i} for i in range(3)])
        assert sorted(j["order"] for j in worker_receives(sqs, ssm, 3)) == [100, 101, 102]
        # Two jobs wait in the queue across the restart.
        producer_sends(sqs, ssm, [{"order": 200 + i, "marker": BODY_MARKER} for i in range(2)])

        # Whatever is left, and every resource, survives a restart.
        srv.restart()
        sqs, ssm, kms = clients(srv.endpoint)
        assert kms.describe_key(KeyId=f"alias/storefront-{ENV}")["KeyMetadata"]["KeyId"] == key["KeyId"]
        assert ssm.get_parameter(Name=f"/storefront-{ENV}/db/password",
                                 WithDecryption=True)["Parameter"]["Value"] == PASSWORD
        assert sorted(j["order"] for j in worker_receives(sqs, ssm, 2)) == [200, 201]
        dlq = ssm.get_parameter(Name=f"/storefront-{ENV}/sqs/domain-dlq-url")["Parameter"]["Value"]
        assert sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["KmsMasterKeyId"])["Attributes"] == {
            "KmsMasterKeyId": f"alias/storefront-{ENV}"}
    finally:
        srv.stop()
    # Encrypted values stay unreadable on disk: the password and the message bodies never appear.
    raw = b"".join(p.read_bytes() for p in data.rglob("*") if p.is_file())
    assert b"storefront-production" in raw  # the search does see the store's data
    assert PASSWORD.encode() not in raw
    assert BODY_MARKER.encode() not in raw
