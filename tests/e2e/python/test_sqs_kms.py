"""SQS queues encrypted with KMS keys (SSE-KMS): a queue's KmsMasterKeyId names a real key, by id,
ARN or alias; sends and receives answer as AWS does while the key is disabled, pending deletion or
gone (KMS.DisabledException, KMS.InvalidStateException, KMS.NotFoundException), and everything
flows again once it is re-enabled. Runs in both protocol passes: the errors are SQS's."""
import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import JSON_TYPE_BY_CODE, PROTOCOL, REGION

CFG = Config(retries={"total_max_attempts": 1, "mode": "standard"})


@pytest.fixture(scope="module")
def kms(server):
    return boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                 region_name=REGION).client("kms", endpoint_url=server.endpoint, config=CFG)


def expect_kms_error(fn, code, starts_with, **kwargs):
    with pytest.raises(ClientError) as info:
        fn(**kwargs)
    err = info.value.response
    assert err["Error"]["Code"] == code, err
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err["Error"]["Message"].startswith(starts_with), err["Error"]["Message"]
    assert "(Service: AWSKMS; Status Code: 400; Error Code: " in err["Error"]["Message"]
    if PROTOCOL == "json":
        # awsQueryCompatible: the x-amzn-query-error header carries the Query code the SDK shows.
        assert err["ResponseMetadata"]["HTTPHeaders"]["x-amzn-query-error"] == f"{code};Sender"


def test_queue_with_a_customer_key_follows_the_key(sqs, make_queue, kms):
    key = kms.create_key(Description="queue key")["KeyMetadata"]
    alias = f"alias/q-{key['KeyId'][:8]}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    url = make_queue("sse", attributes={"KmsMasterKeyId": alias, "KmsDataKeyReusePeriodSeconds": "60"})
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attrs["KmsMasterKeyId"], attrs["KmsDataKeyReusePeriodSeconds"]) == (alias, "60")
    sqs.send_message(QueueUrl=url, MessageBody="first")
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url, VisibilityTimeout=0).get("Messages", [])] == ["first"]

    kms.disable_key(KeyId=key["KeyId"])
    disabled = f"{key['Arn']} is disabled."
    expect_kms_error(sqs.send_message, "KMS.DisabledException", disabled, QueueUrl=url, MessageBody="x")
    expect_kms_error(sqs.send_message_batch, "KMS.DisabledException", disabled, QueueUrl=url,
                     Entries=[{"Id": "1", "MessageBody": "x"}])
    expect_kms_error(sqs.receive_message, "KMS.DisabledException", disabled, QueueUrl=url)

    kms.enable_key(KeyId=key["KeyId"])
    sqs.send_message(QueueUrl=url, MessageBody="second")
    bodies = set()
    for _ in range(5):
        bodies |= {m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                          VisibilityTimeout=0).get("Messages", [])}
        if bodies == {"first", "second"}:
            break
    assert bodies == {"first", "second"}

    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    expect_kms_error(sqs.send_message, "KMS.InvalidStateException", f"{key['Arn']} is pending deletion.",
                     QueueUrl=url, MessageBody="x")
    kms.cancel_key_deletion(KeyId=key["KeyId"])  # leaves it disabled
    kms.enable_key(KeyId=key["KeyId"])
    sqs.send_message(QueueUrl=url, MessageBody="third")


def test_unknown_key_is_accepted_at_create_and_refused_at_send(sqs, make_queue):
    # SQS does not look the key up when the queue is created; sends find out.
    url = make_queue("sse-missing", attributes={"KmsMasterKeyId": "alias/no-such-key"})
    expect_kms_error(sqs.send_message, "KMS.NotFoundException",
                     f"Alias arn:aws:kms:{REGION}:000000000000:alias/no-such-key is not found.",
                     QueueUrl=url, MessageBody="x")


def test_key_by_id_and_arn_and_the_aws_managed_key(sqs, make_queue, kms):
    key = kms.create_key()["KeyMetadata"]
    for ref in (key["KeyId"], key["Arn"], "alias/aws/sqs"):
        url = make_queue("sse-ref", attributes={"KmsMasterKeyId": ref})
        sqs.send_message(QueueUrl=url, MessageBody=ref)
        assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == ref
    # Using alias/aws/sqs created SQS's AWS managed key.
    assert kms.describe_key(KeyId="alias/aws/sqs")["KeyMetadata"]["KeyManager"] == "AWS"


def test_hmac_key_is_the_wrong_usage(sqs, make_queue, kms):
    key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    url = make_queue("sse-hmac", attributes={"KmsMasterKeyId": key["KeyId"]})
    expect_kms_error(sqs.send_message, "KMS.InvalidKeyUsageException", key["Arn"], QueueUrl=url, MessageBody="x")


def test_kms_error_types_in_json(sqs):
    # The JSON __type of each KMS error is the model's shape (com.amazonaws.sqs#KmsDisabled, ...).
    for code in ("KMS.DisabledException", "KMS.NotFoundException", "KMS.InvalidStateException"):
        assert JSON_TYPE_BY_CODE[code].startswith("com.amazonaws.sqs#Kms")
