"""SNS security with boto3 against a server of its own with auth = "sigv4" (accounts A and B):
- identity policies for sns:* on IAM users created through Sluice's IAM API (managed and inline
  policies, resource ARNs with wildcards), an explicit Deny winning over a topic policy's Allow,
  AuthorizationError (403) with AWS's text otherwise; cross-account publishing through a topic
  policy naming the other account (its users still need an identity policy, as on AWS);
- aws:SourceArn and aws:SourceAccount conditions on the queue policy that lets a topic deliver: a
  match delivers, a mismatch does not, the delivery counts as failed and goes to the
  subscription's dead-letter queue;
- topics encrypted with KMS: alias/aws/sns (the AWS managed key, created on first use), a customer
  key by id, ARN and alias; Publish answers KMSDisabled / KMSInvalidState / KMSNotFound while the
  key is disabled, pending deletion or missing; deliveries into a KMS-encrypted queue.

SNS speaks only Query: the suite runs in the query pass."""
import json
import secrets
import time
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import PROTOCOL, REGION, Sluice

pytestmark = pytest.mark.skipif(PROTOCOL != "query", reason="SNS is Query only; runs in the query pass")

A, B = "111111111111", "222222222222"
ADMIN_A = ("AKIDSNSSECA", "sns-sec-admin-a")
ADMIN_B = ("AKIDSNSSECB", "sns-sec-admin-b")
ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
CFG = Config(retries={"total_max_attempts": 1, "mode": "standard"})


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    lines = ['[auth]', 'mode = "sigv4"', f'region = "{REGION}"', f'accounts = ["{A}", "{B}"]', '']
    for user, account, (akid, secret) in (("admin-a", A, ADMIN_A), ("admin-b", B, ADMIN_B)):
        lines += ['[[auth.users]]', f'name = "{user}"', f'account = "{account}"', f'access_key_id = "{akid}"',
                  f'secret_access_key = "{secret}"', f"policies = [{json.dumps(ALLOW_ALL)}]", '']
    d = tmp_path_factory.mktemp("sns-security")
    lines += ['[testing]', 'clock = "adjustable"', '']
    s = Sluice(d, "\n".join(lines), env={"SLUICE_MASTER_KEY": secrets.token_hex(32)})
    yield s
    s.stop()


def client(srv, service, creds):
    return boto3.session.Session(aws_access_key_id=creds[0], aws_secret_access_key=creds[1],
                                 region_name=REGION).client(service, endpoint_url=srv.endpoint, config=CFG)


def name(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def error_of(fn, **kwargs):
    with pytest.raises(ClientError) as info:
        fn(**kwargs)
    err = info.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"], err["Error"].get("Message", "")


def new_user(iam, prefix):
    user = name(prefix)
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return user, (key["AccessKeyId"], key["SecretAccessKey"])


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def make_queue(sq, qname, attributes=None):
    url = sq.create_queue(QueueName=qname, Attributes=attributes or {})["QueueUrl"]
    arn = sq.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def drain(sq, url, wait=0):
    out = []
    while True:
        got = sq.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait).get("Messages", [])
        if not got:
            return out
        out += got
        sq.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                       for i, m in enumerate(got)])
        wait = 0


def sns_may_send(qarn, condition):
    return doc({"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
                "Resource": qarn, "Condition": condition})


def not_authorized(principal, action, resource):
    return f"User: {principal} is not authorized to perform: {action} on resource: {resource}"


# ------------------------------------------------------------------ identity policies

def test_identity_policies_decide_for_users_of_the_owner_account(srv):
    iam, sns_a, sqs_a = client(srv, "iam", ADMIN_A), client(srv, "sns", ADMIN_A), client(srv, "sqs", ADMIN_A)
    stem = name("orders")
    mine = sns_a.create_topic(Name=stem + "-created")["TopicArn"]
    other = sns_a.create_topic(Name=name("billing"))["TopicArn"]
    _, qarn = make_queue(sqs_a, name("sub"))
    user, creds = new_user(iam, "pub")
    user_arn = f"arn:aws:iam::{A}:user/{user}"
    sns_u = client(srv, "sns", creds)

    # No identity policy: the default topic policy grants only through AWS:SourceOwner, which a
    # direct call does not carry.
    assert error_of(sns_u.publish, TopicArn=mine, Message="x") == (
        "AuthorizationError", 403, not_authorized(user_arn, "SNS:Publish", mine))
    assert error_of(sns_u.create_topic, Name=stem + "-new")[:2] == ("AuthorizationError", 403)

    # A managed policy with wildcard resources.
    policy = iam.create_policy(PolicyName=name("sns-orders"), PolicyDocument=doc(
        {"Effect": "Allow", "Action": ["sns:Publish", "sns:Subscribe"],
         "Resource": f"arn:aws:sns:{REGION}:{A}:{stem}-*"},
        {"Effect": "Allow", "Action": "sns:CreateTopic", "Resource": f"arn:aws:sns:*:{A}:{stem}-?ew"}))["Policy"]
    iam.attach_user_policy(UserName=user, PolicyArn=policy["Arn"])
    assert sns_u.publish(TopicArn=mine, Message="allowed")["MessageId"]
    assert error_of(sns_u.publish, TopicArn=other, Message="x") == (
        "AuthorizationError", 403, not_authorized(user_arn, "SNS:Publish", other))
    created = sns_u.create_topic(Name=stem + "-new")["TopicArn"]
    assert created == f"arn:aws:sns:{REGION}:{A}:{stem}-new"
    assert error_of(sns_u.create_topic, Name=stem + "-newer")[:2] == ("AuthorizationError", 403)
    assert error_of(sns_u.create_topic, Name=name("billing"))[:2] == ("AuthorizationError", 403)
    sub = sns_u.subscribe(TopicArn=mine, Protocol="sqs", Endpoint=qarn, ReturnSubscriptionArn=True)
    assert sub["SubscriptionArn"].startswith(mine + ":")
    assert error_of(sns_u.subscribe, TopicArn=other, Protocol="sqs", Endpoint=qarn)[:2] == ("AuthorizationError", 403)
    # Actions the policy does not name.
    assert error_of(sns_u.delete_topic, TopicArn=mine) == (
        "AuthorizationError", 403, not_authorized(user_arn, "SNS:DeleteTopic", mine))

    # The topic policy allows the user too; an inline Deny still wins.
    sns_a.set_topic_attributes(TopicArn=mine, AttributeName="Policy", AttributeValue=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": user_arn},
                                                "Action": "sns:Publish", "Resource": mine}]}))
    iam.put_user_policy(UserName=user, PolicyName="no-publish", PolicyDocument=doc(
        {"Effect": "Deny", "Action": "sns:Publish", "Resource": f"arn:aws:sns:*:*:{stem}-*"}))
    code, status, message = error_of(sns_u.publish, TopicArn=mine, Message="denied")
    assert (code, status) == ("AuthorizationError", 403)
    assert message.startswith(not_authorized(user_arn, "SNS:Publish", mine)) and "explicit deny" in message
    iam.delete_user_policy(UserName=user, PolicyName="no-publish")
    # Same account: the topic policy alone is enough once the identity policy is gone.
    iam.detach_user_policy(UserName=user, PolicyArn=policy["Arn"])
    assert sns_u.publish(TopicArn=mine, Message="by the topic policy")["MessageId"]
    assert error_of(sns_u.subscribe, TopicArn=mine, Protocol="sqs", Endpoint=qarn)[:2] == ("AuthorizationError", 403)


def test_cross_account_publish_through_a_topic_policy_naming_the_account(srv):
    sns_a = client(srv, "sns", ADMIN_A)
    iam_b, sns_b = client(srv, "iam", ADMIN_B), client(srv, "sns", ADMIN_B)
    topic = sns_a.create_topic(Name=name("xacct"))["TopicArn"]
    user, creds = new_user(iam_b, "xpub")
    sns_u = client(srv, "sns", creds)
    user_arn = f"arn:aws:iam::{B}:user/{user}"
    iam_b.put_user_policy(UserName=user, PolicyName="publish-anywhere", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "sns:Publish", "Resource": "arn:aws:sns:*:*:*"}))

    # The default policy: another account may not publish, whatever its identity policies say.
    assert error_of(sns_u.publish, TopicArn=topic, Message="x") == (
        "AuthorizationError", 403, not_authorized(user_arn, "SNS:Publish", topic))
    policy = json.loads(sns_a.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
    policy["Statement"].append({"Sid": "account-b", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:root"},
                                "Action": "SNS:Publish", "Resource": topic})
    sns_a.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(policy))
    assert sns_u.publish(TopicArn=topic, Message="from B")["MessageId"]
    assert sns_b.publish(TopicArn=topic, Message="from B's admin")["MessageId"]
    # Other account: both the topic policy and the caller's identity policy must allow.
    iam_b.delete_user_policy(UserName=user, PolicyName="publish-anywhere")
    assert error_of(sns_u.publish, TopicArn=topic, Message="x")[:2] == ("AuthorizationError", 403)
    # What the statement does not grant.
    assert error_of(sns_b.subscribe, TopicArn=topic, Protocol="sqs",
                    Endpoint=f"arn:aws:sqs:{REGION}:{B}:q")[:2] == ("AuthorizationError", 403)
    # A topic of account B's name space is B's own: B's admin cannot publish to a topic A never shared.
    private = sns_a.create_topic(Name=name("private"))["TopicArn"]
    assert error_of(sns_b.publish, TopicArn=private, Message="x")[:2] == ("AuthorizationError", 403)


# ------------------------------------------------------------------ queue policy conditions

def test_queue_policy_source_arn_and_source_account_decide_delivery(srv):
    sns_a, sqs_a = client(srv, "sns", ADMIN_A), client(srv, "sqs", ADMIN_A)
    cw = client(srv, "cloudwatch", ADMIN_A)
    topic_name = name("cond")
    topic = sns_a.create_topic(Name=topic_name)["TopicArn"]
    url, qarn = make_queue(sqs_a, name("cq"))
    dlq_url, dlq_arn = make_queue(sqs_a, name("cdlq"))
    sqs_a.set_queue_attributes(QueueUrl=dlq_url, Attributes={"Policy": sns_may_send(
        dlq_arn, {"ArnLike": {"aws:SourceArn": f"arn:aws:sns:{REGION}:{A}:cond-*"}})})
    sns_a.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn,
                    Attributes={"RawMessageDelivery": "true",
                                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})})

    cases = [
        ({"ArnEquals": {"aws:SourceArn": topic}, "StringEquals": {"aws:SourceAccount": A}}, True),
        ({"ArnLike": {"aws:SourceArn": f"arn:aws:sns:*:{A}:cond-*"}}, True),
        ({"StringEquals": {"aws:SourceAccount": A}}, True),
        ({"StringEquals": {"aws:SourceAccount": B}}, False),
        ({"ArnEquals": {"aws:SourceArn": topic}, "StringEquals": {"aws:SourceAccount": B}}, False),
        ({"ArnEquals": {"aws:SourceArn": topic + "-other"}}, False),
        ({"StringNotEquals": {"aws:SourceAccount": A}}, False),
    ]
    failed = 0
    for i, (condition, delivers) in enumerate(cases):
        sqs_a.set_queue_attributes(QueueUrl=url, Attributes={"Policy": sns_may_send(qarn, condition)})
        body = f"case {i}"
        sns_a.publish(TopicArn=topic, Message=body)
        got, dead = [m["Body"] for m in drain(sqs_a, url)], [m["Body"] for m in drain(sqs_a, dlq_url)]
        if delivers:
            assert (got, dead) == ([body], []), condition
        else:
            failed += 1
            assert (got, dead) == ([], [body]), condition

    # Counted as failed notifications (AWS/SNS NumberOfNotificationsFailed), once the minute closes.
    srv.advance_clock(60)

    def stat(metric):
        r = cw.get_metric_statistics(Namespace="AWS/SNS", MetricName=metric,
                                     Dimensions=[{"Name": "TopicName", "Value": topic_name}],
                                     StartTime=time.time() - 86400, EndTime=time.time() + 86400, Period=3600,
                                     Statistics=["Sum"])
        return sum(p["Sum"] for p in r["Datapoints"])

    assert stat("NumberOfNotificationsFailed") == failed
    assert stat("NumberOfNotificationsDelivered") == len(cases) - failed


# ------------------------------------------------------------------ KMS

def kms_error(fn, code, starts_with, **kwargs):
    c, status, message = error_of(fn, **kwargs)
    assert (c, status) == (code, 400), (c, status, message)
    assert message.startswith(starts_with), message
    assert "(Service: AWSKMS; Status Code: 400; Error Code: " in message, message
    return message


def test_topics_encrypted_with_kms_keys(srv):
    sns_a, sqs_a, kms = client(srv, "sns", ADMIN_A), client(srv, "sqs", ADMIN_A), client(srv, "kms", ADMIN_A)
    url, qarn = make_queue(sqs_a, name("kq"))
    sqs_a.set_queue_attributes(QueueUrl=url, Attributes={"Policy": sns_may_send(
        qarn, {"StringEquals": {"aws:SourceAccount": A}})})

    # The AWS managed key: created with its alias on the first use.
    assert not [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == "alias/aws/sns" and "TargetKeyId" in a]
    managed = sns_a.create_topic(Name=name("managed"), Attributes={"KmsMasterKeyId": "alias/aws/sns"})["TopicArn"]
    assert sns_a.get_topic_attributes(TopicArn=managed)["Attributes"]["KmsMasterKeyId"] == "alias/aws/sns"
    sns_a.subscribe(TopicArn=managed, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})
    sns_a.publish(TopicArn=managed, Message="sealed with the managed key")
    assert [m["Body"] for m in drain(sqs_a, url)] == ["sealed with the managed key"]
    aws_sns = kms.describe_key(KeyId="alias/aws/sns")["KeyMetadata"]
    assert aws_sns["KeyManager"] == "AWS" and aws_sns["KeyState"] == "Enabled"

    # A customer key, named by id, ARN and alias.
    key = kms.create_key(Description="topic key")["KeyMetadata"]
    alias = f"alias/topic-{key['KeyId'][:8]}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    topics = []
    for ref in (key["KeyId"], key["Arn"], alias, f"arn:aws:kms:{REGION}:{A}:{alias}"):
        t = sns_a.create_topic(Name=name("cmk"), Attributes={"KmsMasterKeyId": ref})["TopicArn"]
        sns_a.subscribe(TopicArn=t, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})
        sns_a.publish(TopicArn=t, Message=ref)
        topics.append(t)
    assert sorted(m["Body"] for m in drain(sqs_a, url)) == sorted(
        [key["KeyId"], key["Arn"], alias, f"arn:aws:kms:{REGION}:{A}:{alias}"])

    # Disabled: KMSDisabled; pending deletion: KMSInvalidState; nothing is delivered meanwhile.
    kms.disable_key(KeyId=key["KeyId"])
    for t in topics:
        kms_error(sns_a.publish, "KMSDisabled", f"{key['Arn']} is disabled.", TopicArn=t, Message="x")
    kms.enable_key(KeyId=key["KeyId"])
    sns_a.publish(TopicArn=topics[0], Message="enabled again")
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    kms_error(sns_a.publish, "KMSInvalidState", f"{key['Arn']} is pending deletion.", TopicArn=topics[2], Message="x")
    kms.cancel_key_deletion(KeyId=key["KeyId"])
    kms.enable_key(KeyId=key["KeyId"])
    sns_a.publish(TopicArn=topics[3], Message="after the cancelled deletion")
    assert sorted(m["Body"] for m in drain(sqs_a, url)) == ["after the cancelled deletion", "enabled again"]

    # A key that does not exist: KMSNotFound, with KMS's own text.
    missing = sns_a.create_topic(Name=name("nokey"), Attributes={"KmsMasterKeyId": "alias/no-such-key"})["TopicArn"]
    kms_error(sns_a.publish, "KMSNotFound", f"Alias arn:aws:kms:{REGION}:{A}:alias/no-such-key is not found.",
              TopicArn=missing, Message="x")
    ghost = str(uuid.uuid4())
    sns_a.set_topic_attributes(TopicArn=missing, AttributeName="KmsMasterKeyId", AttributeValue=ghost)
    kms_error(sns_a.publish, "KMSNotFound", f"Key 'arn:aws:kms:{REGION}:{A}:key/{ghost}' does not exist",
              TopicArn=missing, Message="x")
    # Removing the key: the topic is unencrypted again.
    sns_a.set_topic_attributes(TopicArn=missing, AttributeName="KmsMasterKeyId", AttributeValue="")
    assert "KmsMasterKeyId" not in sns_a.get_topic_attributes(TopicArn=missing)["Attributes"]
    assert sns_a.publish(TopicArn=missing, Message="plain")["MessageId"]


def test_publishers_need_generate_data_key_and_decrypt_on_a_customer_key(srv):
    iam, sns_a, kms = client(srv, "iam", ADMIN_A), client(srv, "sns", ADMIN_A), client(srv, "kms", ADMIN_A)
    key = kms.create_key(Description="publisher key")["KeyMetadata"]
    topic = sns_a.create_topic(Name=name("kpub"), Attributes={"KmsMasterKeyId": key["Arn"]})["TopicArn"]
    managed = sns_a.create_topic(Name=name("kmanaged"), Attributes={"KmsMasterKeyId": "alias/aws/sns"})["TopicArn"]
    user, creds = new_user(iam, "kpub")
    sns_u = client(srv, "sns", creds)

    def allow(*actions):
        iam.put_user_policy(UserName=user, PolicyName="publish", PolicyDocument=doc(
            {"Effect": "Allow", "Action": ["sns:Publish", *actions], "Resource": "*"}))

    allow()
    # The AWS managed key lets every principal of the account use it through SNS.
    assert sns_u.publish(TopicArn=managed, Message="managed")["MessageId"]
    for actions, missing in ((), "kms:GenerateDataKey"), (("kms:GenerateDataKey*",), "kms:Decrypt"):
        allow(*actions)
        code, status, message = error_of(sns_u.publish, TopicArn=topic, Message="x")
        assert (code, status) == ("KMSAccessDenied", 400), message
        assert f"is not authorized to perform: {missing} on resource: {key['Arn']}" in message
        assert "(Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException; Request ID: " in message
    allow("kms:GenerateDataKey*", "kms:Decrypt")
    assert sns_u.publish(TopicArn=topic, Message="allowed")["MessageId"]


def test_delivery_into_a_kms_encrypted_queue_needs_the_key_policy_to_allow_sns(srv):
    sns_a, sqs_a, kms = client(srv, "sns", ADMIN_A), client(srv, "sqs", ADMIN_A), client(srv, "kms", ADMIN_A)
    key = kms.create_key(Description="queue key")["KeyMetadata"]
    url, qarn = make_queue(sqs_a, name("encq"), {"KmsMasterKeyId": key["KeyId"]})
    managed_url, managed_arn = make_queue(sqs_a, name("awsq"), {"KmsMasterKeyId": "alias/aws/sqs"})
    dlq_url, dlq_arn = make_queue(sqs_a, name("encdlq"))
    topic = sns_a.create_topic(Name=name("toenc"), Attributes={"KmsMasterKeyId": "alias/aws/sns"})["TopicArn"]
    for u, a in ((url, qarn), (managed_url, managed_arn), (dlq_url, dlq_arn)):
        sqs_a.set_queue_attributes(QueueUrl=u, Attributes={"Policy": sns_may_send(a, {"ArnEquals": {"aws:SourceArn": topic}})})
        if u != dlq_url:
            sns_a.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=a,
                            Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})})

    def published(text, receive=True):
        mid = sns_a.publish(TopicArn=topic, Message=text)["MessageId"]
        got = [json.loads(m["Body"]) for m in drain(sqs_a, url)] if receive else []
        dead = [json.loads(m["Body"]) for m in drain(sqs_a, dlq_url)]
        assert drain(sqs_a, managed_url) == []  # the AWS managed key's policy never lets SNS in
        return mid, [d["MessageId"] for d in got], [d["MessageId"] for d in dead]

    # The key's default policy names only the account: SNS may not use it, as on AWS.
    mid, got, dead = published("default key policy")
    assert (got, dead) == ([], [mid, mid])
    policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    policy["Statement"].append({"Sid": "sns", "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                                "Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": "*",
                                "Condition": {"StringEquals": {"aws:SourceAccount": A}}})
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(policy))
    mid, got, dead = published("into an encrypted queue")
    assert (got, dead) == ([mid], [mid])
    # The queue's key disabled: SNS cannot send; the message goes to the dead-letter queue.
    kms.disable_key(KeyId=key["KeyId"])
    mid, _, dead = published("key disabled", receive=False)
    assert dead == [mid, mid]
    kms.enable_key(KeyId=key["KeyId"])
    assert drain(sqs_a, url) == []
