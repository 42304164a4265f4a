"""STS against Sluice: GetCallerIdentity, AssumeRole (trust policies, session policies, ExternalId,
validation), GetSessionToken, temporary credentials used with SQS until they expire, and across a
restart.

STS speaks awsQuery only: the boto3 STS client uses botocore's bundled model in both runs of the suite
(AWS_DATA_PATH overrides only SQS, KMS and SSM), while the SQS clients follow SLUICE_PROTOCOL. The servers here are
our own (auth = "sigv4", roles, an adjustable clock for expiry); the auth-"none" checks use the
suite's default server."""
import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import REGION, REPO, Server, Sluice, _die_with_parent, _free_port, stop_process, unique_name, wait_for_health

A = "111111111111"
B = "222222222222"
USERS = {  # name -> (account, access key id, secret, identity policy statements)
    "admin": (A, "AKIDSTSADMIN", "admin-secret",
              [{"Effect": "Allow", "Action": ["sqs:*", "sts:AssumeRole"], "Resource": "*"}]),
    "dev": (A, "AKIDSTSDEV", "dev-secret", [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]),
    "other": (B, "AKIDSTSOTHER", "other-secret",
              [{"Effect": "Allow", "Action": ["sqs:*", "sts:AssumeRole"], "Resource": "*"}]),
}


def trust(principal, condition=None):
    st = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    if condition:
        st["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [st]})


def policy(*actions):
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]})


ROLES = {  # name -> (account, trust policy, identity policies, max_session_duration)
    # Trusts the dev user by ARN: enough in the same account, no identity policy needed.
    "reader": (A, trust(f"arn:aws:iam::{A}:user/dev"),
               [policy("sqs:ReceiveMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes")], 3600),
    # Trusts account A: callers also need sts:AssumeRole in their identity policy (dev has none).
    "writer": (A, trust(A), [policy("sqs:SendMessage", "sqs:GetQueueUrl")], 7200),
    # Needs the external id.
    "partner": (A, trust(f"arn:aws:iam::{B}:root", {"StringEquals": {"sts:ExternalId": "ext-42"}}),
                [policy("sqs:*")], 3600),
}


def config_text(testing_clock=True):
    lines = ['[auth]', 'mode = "sigv4"', f'region = "{REGION}"', f'accounts = ["{A}", "{B}"]', '']
    for name, (account, akid, secret, statements) in USERS.items():
        doc = json.dumps({"Version": "2012-10-17", "Statement": statements})
        lines += ['[[auth.users]]', f'name = "{name}"', f'account = "{account}"', f'access_key_id = "{akid}"',
                  f'secret_access_key = "{secret}"', f'policies = [{json.dumps(doc)}]', '']
    for name, (account, trust_doc, policies, max_session) in ROLES.items():
        lines += ['[[auth.roles]]', f'name = "{name}"', f'account_id = "{account}"',
                  f'assume_role_policy = {json.dumps(trust_doc)}',
                  f'policies = [{", ".join(json.dumps(p) for p in policies)}]',
                  f'max_session_duration = {max_session}', '']
    if testing_clock:
        lines += ['[testing]', 'clock = "adjustable"', '']
    return "\n".join(lines)


@pytest.fixture(scope="module")
def sts_server(tmp_path_factory):
    srv = Sluice(tmp_path_factory.mktemp("sts"), config_text())
    yield srv
    srv.stop()


def session_for(akid=None, secret=None, token=None, user=None):
    if user:
        _, akid, secret, _ = USERS[user]
    return boto3.session.Session(aws_access_key_id=akid, aws_secret_access_key=secret,
                                 aws_session_token=token, region_name=REGION)


CFG = Config(retries={"total_max_attempts": 1, "mode": "standard"})
LAX = Config(retries={"total_max_attempts": 1, "mode": "standard"}, parameter_validation=False)


def sts(srv, config=CFG, **who):
    return session_for(**who).client("sts", endpoint_url=srv.endpoint, config=config)


def sqs(srv, **who):
    return session_for(**who).client("sqs", endpoint_url=srv.endpoint, config=CFG)


def creds_of(resp):
    c = resp["Credentials"]
    return {"akid": c["AccessKeyId"], "secret": c["SecretAccessKey"], "token": c["SessionToken"]}


def expect(fn, code, status, message=None, **kwargs):
    with pytest.raises(ClientError) as info:
        fn(**kwargs)
    err = info.value.response
    assert (err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]) == (code, status), err
    if message is not None:
        assert err["Error"]["Message"] == message, err["Error"]["Message"]
    return err["Error"]["Message"]


# ---------------------------------------------------------------- identities

def test_get_caller_identity_of_a_user(sts_server):
    me = sts(sts_server, user="admin").get_caller_identity()
    assert me["Account"] == A
    assert me["Arn"] == f"arn:aws:iam::{A}:user/admin"
    assert re.fullmatch(r"AIDA[A-Z0-9]{17}", me["UserId"]), me
    assert sts(sts_server, user="admin").get_caller_identity()["UserId"] == me["UserId"]  # stable
    assert sts(sts_server, user="dev").get_caller_identity()["UserId"] != me["UserId"]


def test_assume_role_and_use_the_credentials(sts_server):
    url = sqs(sts_server, user="admin").create_queue(QueueName=unique_name("sts"))["QueueUrl"]
    sqs(sts_server, user="admin").send_message(QueueUrl=url, MessageBody="for the reader")
    resp = sts(sts_server, user="dev").assume_role(RoleArn=f"arn:aws:iam::{A}:role/reader",
                                                   RoleSessionName="dev-session", DurationSeconds=900)
    c = resp["Credentials"]
    assert re.fullmatch(r"ASIA[A-Z0-9]{16}", c["AccessKeyId"]), c
    assert len(c["SecretAccessKey"]) == 40 and c["SessionToken"]
    remaining = (c["Expiration"].timestamp() - time.time())
    assert 800 < remaining <= 901, remaining
    role_id = resp["AssumedRoleUser"]["AssumedRoleId"]
    assert re.fullmatch(r"AROA[A-Z0-9]{17}:dev-session", role_id), resp
    assert resp["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{A}:assumed-role/reader/dev-session"
    assert "PackedPolicySize" not in resp

    me = sts(sts_server, **creds_of(resp)).get_caller_identity()
    assert me == {**me, "Account": A, "Arn": f"arn:aws:sts::{A}:assumed-role/reader/dev-session",
                  "UserId": role_id}
    # Permissions follow the role's policy, not the dev user's (sqs:*).
    reader = sqs(sts_server, **creds_of(resp))
    msgs = reader.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
    assert [m["Body"] for m in msgs] == ["for the reader"]
    expect(reader.send_message, "AccessDenied", 403,
           f"User: arn:aws:sts::{A}:assumed-role/reader/dev-session is not authorized to perform: "
           f"sqs:SendMessage on resource: arn:aws:sqs:{REGION}:{A}:{url.rsplit('/', 1)[1]}",
           QueueUrl=url, MessageBody="x")


def test_sender_ids(sts_server):
    admin = sqs(sts_server, user="admin")
    url = admin.create_queue(QueueName=unique_name("sender"))["QueueUrl"]
    admin.send_message(QueueUrl=url, MessageBody="from admin")
    resp = sts(sts_server, user="admin").assume_role(RoleArn=f"arn:aws:iam::{A}:role/writer",
                                                     RoleSessionName="w1")
    sqs(sts_server, **creds_of(resp)).send_message(QueueUrl=url, MessageBody="from writer")
    got = {}
    for _ in range(5):
        for m in admin.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                       AttributeNames=["SenderId"]).get("Messages", []):
            got[m["Body"]] = m["Attributes"]["SenderId"]
        if len(got) == 2:
            break
    admin_id = sts(sts_server, user="admin").get_caller_identity()["UserId"]
    assert got == {"from admin": admin_id, "from writer": resp["AssumedRoleUser"]["AssumedRoleId"]}


def test_role_the_user_may_not_assume(sts_server):
    dev = sts(sts_server, user="dev")
    # "writer" trusts the account: dev would need sts:AssumeRole in its own policy.
    expect(dev.assume_role, "AccessDenied", 403,
           f"User: arn:aws:iam::{A}:user/dev is not authorized to perform: sts:AssumeRole on resource: "
           f"arn:aws:iam::{A}:role/writer",
           RoleArn=f"arn:aws:iam::{A}:role/writer", RoleSessionName="nope")
    # An unknown role looks the same.
    expect(sts(sts_server, user="admin").assume_role, "AccessDenied", 403,
           f"User: arn:aws:iam::{A}:user/admin is not authorized to perform: sts:AssumeRole on resource: "
           f"arn:aws:iam::{A}:role/missing",
           RoleArn=f"arn:aws:iam::{A}:role/missing", RoleSessionName="nope")
    # Cross-account: "reader" does not trust account B.
    expect(sts(sts_server, user="other").assume_role, "AccessDenied", 403,
           RoleArn=f"arn:aws:iam::{A}:role/reader", RoleSessionName="nope")


def test_external_id(sts_server):
    other = sts(sts_server, user="other")
    arn = f"arn:aws:iam::{A}:role/partner"
    expect(other.assume_role, "AccessDenied", 403, RoleArn=arn, RoleSessionName="pp")
    expect(other.assume_role, "AccessDenied", 403, RoleArn=arn, RoleSessionName="pp", ExternalId="ext-41")
    resp = other.assume_role(RoleArn=arn, RoleSessionName="pp", ExternalId="ext-42")
    # Cross-account: the session belongs to the role's account.
    assert sts(sts_server, **creds_of(resp)).get_caller_identity()["Account"] == A


def test_session_policy_limits_the_role(sts_server):
    admin_sqs = sqs(sts_server, user="admin")
    url = admin_sqs.create_queue(QueueName=unique_name("sp"))["QueueUrl"]
    only_url = policy("sqs:GetQueueUrl")
    resp = sts(sts_server, user="admin").assume_role(RoleArn=f"arn:aws:iam::{A}:role/writer",
                                                     RoleSessionName="limited", Policy=only_url)
    assert 1 <= resp["PackedPolicySize"] <= 100
    limited = sqs(sts_server, **creds_of(resp))
    assert limited.get_queue_url(QueueName=url.rsplit("/", 1)[1])["QueueUrl"] == url
    expect(limited.send_message, "AccessDenied", 403, QueueUrl=url, MessageBody="x")  # the role could


def test_validation_errors(sts_server):
    lax = sts(sts_server, LAX, user="admin")
    arn = f"arn:aws:iam::{A}:role/writer"
    expect(lax.assume_role, "ValidationError", 400,
           "1 validation error detected: Value 'a b' at 'roleSessionName' failed to satisfy constraint: "
           r"Member must satisfy regular expression pattern: [\w+=,.@-]*",
           RoleArn=arn, RoleSessionName="a b")
    expect(lax.assume_role, "ValidationError", 400,
           "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: "
           "Member must have value greater than or equal to 900",
           RoleArn=arn, RoleSessionName="ok", DurationSeconds=899)
    expect(lax.assume_role, "ValidationError", 400,
           "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
           RoleArn=arn, RoleSessionName="ok", DurationSeconds=7201)
    assert lax.assume_role(RoleArn=arn, RoleSessionName="ok", DurationSeconds=7200)["Credentials"]
    expect(lax.assume_role, "ValidationError", 400, "not-an-arn-but-long-enough is invalid",
           RoleArn="not-an-arn-but-long-enough", RoleSessionName="ok")
    expect(lax.assume_role, "MalformedPolicyDocument", 400, RoleArn=arn, RoleSessionName="ok",
           Policy="{not json")


def test_bad_session_tokens(sts_server):
    resp = sts(sts_server, user="admin").assume_role(RoleArn=f"arn:aws:iam::{A}:role/writer",
                                                     RoleSessionName="tt")
    c = creds_of(resp)
    bad = dict(c, token=c["token"][:-8] + "AAAAAAAA")
    msg = "The security token included in the request is invalid."
    expect(sts(sts_server, **bad).get_caller_identity, "InvalidClientTokenId", 403, msg)
    expect(sqs(sts_server, **bad).list_queues, "InvalidClientTokenId", 403)
    expect(sts(sts_server, **dict(c, token=None)).get_caller_identity, "InvalidClientTokenId", 403, msg)
    expect(sts(sts_server, **dict(c, secret="wrong")).get_caller_identity, "SignatureDoesNotMatch", 403)


def test_get_session_token(sts_server):
    resp = sts(sts_server, user="dev").get_session_token(DurationSeconds=900)
    me = sts(sts_server, **creds_of(resp)).get_caller_identity()
    assert me["Arn"] == f"arn:aws:iam::{A}:user/dev"
    assert me["UserId"] == sts(sts_server, user="dev").get_caller_identity()["UserId"]
    sqs(sts_server, **creds_of(resp)).list_queues()
    expect(sts(sts_server, **creds_of(resp)).get_session_token, "AccessDenied", 403)


# ---------------------------------------------------------------- expiry and restarts (own servers)

def test_credentials_work_until_they_expire(tmp_path):
    srv = Sluice(tmp_path, config_text())
    try:
        resp = sts(srv, user="dev").assume_role(RoleArn=f"arn:aws:iam::{A}:role/reader",
                                                RoleSessionName="short", DurationSeconds=900)
        c = creds_of(resp)
        url = sqs(srv, user="admin").create_queue(QueueName=unique_name("exp"))["QueueUrl"]
        reader_sts, reader_sqs = sts(srv, **c), sqs(srv, **c)
        reader_sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        assert "offset_ms=800000" in srv.advance_clock(800)  # 100 s left
        reader_sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        assert reader_sts.get_caller_identity()["Arn"].endswith("assumed-role/reader/short")
        srv.advance_clock(100)  # exactly at the expiry
        msg = "The security token included in the request is expired"
        expect(reader_sqs.get_queue_attributes, "ExpiredToken", 403, msg, QueueUrl=url,
               AttributeNames=["QueueArn"])
        expect(reader_sts.get_caller_identity, "ExpiredToken", 403, msg)
    finally:
        srv.stop()


def test_adjustable_clock_is_off_by_default(tmp_path):
    srv = Sluice(tmp_path, config_text(testing_clock=False))
    try:
        with pytest.raises(urllib.error.HTTPError) as info:
            srv.advance_clock(10)
        assert info.value.code == 403  # the test-control API refuses outside test mode
    finally:
        srv.stop()


def test_credentials_survive_a_restart_with_a_master_key(tmp_path):
    key = "ab" * 32
    srv = Sluice(tmp_path, config_text(testing_clock=False), env={"SLUICE_MASTER_KEY": key},
                 data_dir=tmp_path / "data")
    try:
        c = creds_of(sts(srv, user="dev").assume_role(RoleArn=f"arn:aws:iam::{A}:role/reader",
                                                      RoleSessionName="rr"))
        srv.stop()
        srv.start()
        assert sts(srv, **c).get_caller_identity()["Arn"].endswith("assumed-role/reader/rr")
        srv.stop()
        srv.data_dir = tmp_path / "data2"  # the store itself would refuse another key
        srv.start(env=dict(srv.env, SLUICE_MASTER_KEY="cd" * 32))  # another key: tokens are foreign
        expect(sts(srv, **c).get_caller_identity, "InvalidClientTokenId", 403)
    finally:
        srv.stop()


# ---------------------------------------------------------------- auth "none" (the suite's server)

def test_auth_none_answers_as_the_account_root(server):
    client = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                   region_name=REGION).client("sts", endpoint_url=server.endpoint, config=CFG)
    me = client.get_caller_identity()
    assert (me["Account"], me["Arn"], me["UserId"]) == ("000000000000", "arn:aws:iam::000000000000:root",
                                                        "000000000000")
    resp = client.assume_role(RoleArn="arn:aws:iam::000000000000:role/anything", RoleSessionName="local")
    assert resp["AssumedRoleUser"]["Arn"] == "arn:aws:sts::000000000000:assumed-role/anything/local"
    c = creds_of(resp)
    q = boto3.session.Session(aws_access_key_id=c["akid"], aws_secret_access_key=c["secret"],
                              aws_session_token=c["token"], region_name=REGION).client(
        "sqs", endpoint_url=server.endpoint, config=CFG)
    url = q.create_queue(QueueName=unique_name("none"))["QueueUrl"]
    assert url.split("/")[-2] == "000000000000"
