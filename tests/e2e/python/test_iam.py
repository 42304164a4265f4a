"""IAM as an API (issue 12) with boto3 (Debian's, with the IAM model it bundles), against a server of its
own with auth = "sigv4": users, access keys, managed and inline policies, groups, boundaries, roles and
AssumeRole, enforced on the very next request, and still in force after a restart. IAM speaks Query in
both passes (it has no JSON protocol); SQS requests use the pass's protocol."""
import json
import secrets
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import Sluice, unique_name

ACCOUNT = "111111111111"
ADMIN = ("AKIDIAMADMIN", "iam-admin-secret")
LIMITED = ("AKIDIAMLIMITED", "iam-limited-secret")
ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
SELF_KEYS = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["iam:CreateAccessKey", "iam:ListAccessKeys", "iam:GetUser"],
     "Resource": "arn:aws:iam::*:user/${aws:username}"}]})
CONFIG = f"""
[auth]
mode = "sigv4"
region = "us-east-1"
accounts = ["{ACCOUNT}"]

[[auth.users]]
name = "admin"
account = "{ACCOUNT}"
access_key_id = "{ADMIN[0]}"
secret_access_key = "{ADMIN[1]}"
policies = [{json.dumps(ALLOW_ALL)}]

[[auth.users]]
name = "limited"
account = "{ACCOUNT}"
access_key_id = "{LIMITED[0]}"
secret_access_key = "{LIMITED[1]}"
policies = [{json.dumps(SELF_KEYS)}]
"""
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    d = tmp_path_factory.mktemp("iam")
    s = Sluice(d, CONFIG, env={"SLUICE_MASTER_KEY": secrets.token_hex(32)}, data_dir=d / "data")
    yield s
    s.stop()


def client(srv, service, creds, token=None):
    session = boto3.session.Session(aws_access_key_id=creds[0], aws_secret_access_key=creds[1],
                                    aws_session_token=token, region_name="us-east-1")
    return session.client(service, endpoint_url=srv.endpoint, config=NO_RETRY)


def code_of(fn, **kwargs):
    with pytest.raises(ClientError) as info:
        fn(**kwargs)
    err = info.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"], err["Error"].get("Message", "")


@pytest.fixture(scope="module")
def iam(srv):
    return client(srv, "iam", ADMIN)


@pytest.fixture(scope="module")
def admin_sqs(srv):
    return client(srv, "sqs", ADMIN)


def queue_arn(name):
    return f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}"


def new_user_with_key(iam, prefix):
    name = unique_name(prefix)
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return name, (key["AccessKeyId"], key["SecretAccessKey"])


def test_third_party_access(srv, iam, admin_sqs):
    q1, q2, q3 = (unique_name("tp") for _ in range(3))
    urls = [admin_sqs.create_queue(QueueName=q)["QueueUrl"] for q in (q1, q2, q3)]
    user = iam.create_user(UserName="sqs-external-client" + unique_name(""))["User"]
    name = user["UserName"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{name}" and user["UserId"].startswith("AIDA")
    key = iam.create_access_key(UserName=name)["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and len(key["AccessKeyId"]) == 20
    assert len(key["SecretAccessKey"]) == 40 and key["Status"] == "Active"
    doc = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueUrl"],
        "Resource": [queue_arn(q1), queue_arn(q2)]}]}
    policy = iam.create_policy(PolicyName=unique_name("tp-policy"), PolicyDocument=json.dumps(doc))["Policy"]
    assert policy["Arn"] == f"arn:aws:iam::{ACCOUNT}:policy/{policy['PolicyName']}"
    iam.attach_user_policy(UserName=name, PolicyArn=policy["Arn"])
    ext = client(srv, "sqs", (key["AccessKeyId"], key["SecretAccessKey"]))
    for url in urls[:2]:
        ext.send_message(QueueUrl=url, MessageBody="hello")
        msgs = ext.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
        ext.delete_message(QueueUrl=url, ReceiptHandle=msgs[0]["ReceiptHandle"])
    code, status, msg = code_of(ext.send_message, QueueUrl=urls[2], MessageBody="no")
    assert (code, status) == ("AccessDenied", 403), msg
    assert name in msg and queue_arn(q3) in msg
    # Listed and read back as AWS shows them (boto3 decodes the URL-encoded document).
    assert iam.list_attached_user_policies(UserName=name)["AttachedPolicies"] == [
        {"PolicyName": policy["PolicyName"], "PolicyArn": policy["Arn"]}]
    version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId="v1")["PolicyVersion"]
    assert version["Document"] == doc and version["IsDefaultVersion"]
    assert iam.get_policy(PolicyArn=policy["Arn"])["Policy"]["AttachmentCount"] == 1
    # Detach: the very next SendMessage is refused.
    iam.detach_user_policy(UserName=name, PolicyArn=policy["Arn"])
    assert code_of(ext.send_message, QueueUrl=urls[0], MessageBody="x")[:2] == ("AccessDenied", 403)
    iam.attach_user_policy(UserName=name, PolicyArn=policy["Arn"])
    ext.send_message(QueueUrl=urls[0], MessageBody="again")
    # Deactivate: the next request fails as with an unknown key; reactivate and it works again.
    iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    assert code_of(ext.send_message, QueueUrl=urls[0], MessageBody="x")[:2] == ("InvalidClientTokenId", 403)
    iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Active")
    ext.send_message(QueueUrl=urls[0], MessageBody="back")
    used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    assert used["UserName"] == name and used["AccessKeyLastUsed"]["ServiceName"] == "sqs"
    # Delete the user (after its key and attachment): its key stops working.
    assert code_of(iam.delete_user, UserName=name)[:2] == ("DeleteConflict", 409)
    iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    iam.detach_user_policy(UserName=name, PolicyArn=policy["Arn"])
    iam.delete_user(UserName=name)
    assert code_of(ext.send_message, QueueUrl=urls[0], MessageBody="x")[:2] == ("InvalidClientTokenId", 403)


def test_errors_change_nothing(iam):
    name = unique_name("err")
    iam.create_user(UserName=name, Path="/team/")
    code, status, msg = code_of(iam.create_user, UserName=name.upper())
    assert (code, status, msg) == ("EntityAlreadyExists", 409, f"User with name {name.upper()} already exists.")
    assert code_of(iam.get_user, UserName="nobody-" + name) == (
        "NoSuchEntity", 404, f"The user with name nobody-{name} cannot be found.")
    assert code_of(iam.create_user, UserName="bad/name")[:2] == ("ValidationError", 400)
    assert code_of(iam.create_user, UserName="x" * 65)[:2] == ("ValidationError", 400)
    assert code_of(iam.create_user, UserName="p" + name, Path="no-slash")[:2] == ("ValidationError", 400)
    for _ in range(2):
        iam.create_access_key(UserName=name)
    assert code_of(iam.create_access_key, UserName=name) == (
        "LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2")
    assert len(iam.list_access_keys(UserName=name)["AccessKeyMetadata"]) == 2
    assert code_of(iam.create_policy, PolicyName=unique_name("bad"), PolicyDocument="{not json")[:2] == (
        "MalformedPolicyDocument", 400)
    assert code_of(iam.create_policy, PolicyName=unique_name("bad"), PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "sqs:*", "Resource": "*"}]}))[:2] == (
        "MalformedPolicyDocument", 400)
    big = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": queue_arn("q" * 100 + str(i))} for i in range(60)]}
    assert code_of(iam.create_policy, PolicyName=unique_name("big"), PolicyDocument=json.dumps(big)) == (
        "LimitExceeded", 409, "Cannot exceed quota for PolicySize: 6144")
    assert code_of(iam.put_user_policy, UserName=name, PolicyName="big", PolicyDocument=json.dumps(big))[:2] == (
        "LimitExceeded", 409)
    assert iam.list_user_policies(UserName=name)["PolicyNames"] == []
    users = iam.list_users(PathPrefix="/team/")["Users"]
    assert [u["UserName"] for u in users if u["UserName"] == name] == [name]
    assert users[0]["Arn"].startswith(f"arn:aws:iam::{ACCOUNT}:user/team/")


def test_policy_versions(iam):
    doc = lambda action: json.dumps({"Version": "2012-10-17", "Statement": [  # noqa: E731
        {"Effect": "Allow", "Action": action, "Resource": "*"}]})
    arn = iam.create_policy(PolicyName=unique_name("ver"), PolicyDocument=doc("sqs:SendMessage"))["Policy"]["Arn"]
    for i in range(2, 6):
        v = iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(f"sqs:Get{i}"), SetAsDefault=(i == 3))
        assert v["PolicyVersion"]["VersionId"] == f"v{i}"
    assert code_of(iam.create_policy_version, PolicyArn=arn, PolicyDocument=doc("sqs:X"))[:2] == ("LimitExceeded", 409)
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [v["VersionId"] for v in versions] == ["v5", "v4", "v3", "v2", "v1"]
    assert [v["VersionId"] for v in versions if v["IsDefaultVersion"]] == ["v3"]
    assert code_of(iam.delete_policy_version, PolicyArn=arn, VersionId="v3")[:2] == ("DeleteConflict", 409)
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v5")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v5"
    assert code_of(iam.delete_policy, PolicyArn=arn)[:2] == ("DeleteConflict", 409)
    for v in ("v1", "v2", "v3", "v4"):
        iam.delete_policy_version(PolicyArn=arn, VersionId=v)
    iam.delete_policy(PolicyArn=arn)
    assert code_of(iam.get_policy, PolicyArn=arn)[:2] == ("NoSuchEntity", 404)


def test_groups_and_boundary(srv, iam, admin_sqs):
    url = admin_sqs.create_queue(QueueName=unique_name("grp"))["QueueUrl"]
    name, creds = new_user_with_key(iam, "grp")
    group = unique_name("g")
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="all-sqs", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}))
    ext = client(srv, "sqs", creds)
    assert code_of(ext.receive_message, QueueUrl=url)[:2] == ("AccessDenied", 403)
    iam.add_user_to_group(GroupName=group, UserName=name)
    ext.send_message(QueueUrl=url, MessageBody="via group")
    ext.receive_message(QueueUrl=url)
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=name)["Groups"]] == [group]
    assert [u["UserName"] for u in iam.get_group(GroupName=group)["Users"]] == [name]
    # A boundary allowing only SendMessage caps what the group grants.
    boundary = iam.create_policy(PolicyName=unique_name("bound"), PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}))
    iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary=boundary["Policy"]["Arn"])
    ext.send_message(QueueUrl=url, MessageBody="still allowed")
    assert code_of(ext.receive_message, QueueUrl=url)[:2] == ("AccessDenied", 403)
    assert iam.get_user(UserName=name)["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == \
        boundary["Policy"]["Arn"]
    iam.delete_user_permissions_boundary(UserName=name)
    ext.receive_message(QueueUrl=url)
    assert code_of(iam.delete_group, GroupName=group)[:2] == ("DeleteConflict", 409)
    iam.remove_user_from_group(GroupName=group, UserName=name)
    assert code_of(ext.receive_message, QueueUrl=url)[:2] == ("AccessDenied", 403)


def test_aws_managed_policies(srv, iam, admin_sqs):
    url = admin_sqs.create_queue(QueueName=unique_name("mgd"))["QueueUrl"]
    name, creds = new_user_with_key(iam, "mgd")
    arn = "arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess"
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    doc = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]["Document"]
    assert "sqs:GetQueueAttributes" in doc["Statement"][0]["Action"]
    iam.attach_user_policy(UserName=name, PolicyArn=arn)
    ext = client(srv, "sqs", creds)
    ext.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    assert code_of(ext.send_message, QueueUrl=url, MessageBody="x")[:2] == ("AccessDenied", 403)
    aws = [p["PolicyName"] for p in iam.list_policies(Scope="AWS")["Policies"]]
    assert {"AmazonSQSFullAccess", "AmazonSQSReadOnlyAccess", "AmazonSNSFullAccess", "AmazonSNSReadOnlyAccess",
            "AmazonSSMReadOnlyAccess", "CloudWatchReadOnlyAccess"} <= set(aws)
    local = iam.list_policies(Scope="Local")["Policies"]
    assert all(p["Arn"].startswith(f"arn:aws:iam::{ACCOUNT}:") for p in local)
    attached = [p["PolicyName"] for p in iam.list_policies(OnlyAttached=True)["Policies"]]
    assert "AmazonSQSReadOnlyAccess" in attached
    summary = iam.get_account_summary()["SummaryMap"]
    assert summary["Users"] >= 1 and summary["AccessKeysPerUserQuota"] == 2
    details = iam.get_account_authorization_details(Filter=["User"])["UserDetailList"]
    mine = [u for u in details if u["UserName"] == name][0]
    assert mine["AttachedManagedPolicies"] == [{"PolicyName": "AmazonSQSReadOnlyAccess", "PolicyArn": arn}]
    listed = iam.get_account_authorization_details(Filter=["AWSManagedPolicy"])["Policies"]
    assert [p["PolicyName"] for p in listed if p["Arn"] == arn] == ["AmazonSQSReadOnlyAccess"]
    assert listed[0]["PolicyVersionList"][0]["Document"]["Statement"]


def test_iam_actions_are_authorized(srv, iam):
    """The configured user "limited" may only create and list its own keys (${aws:username})."""
    limited = client(srv, "iam", LIMITED)
    assert code_of(limited.create_user, UserName=unique_name("nope"))[:2] == ("AccessDenied", 403)
    other = unique_name("other")
    iam.create_user(UserName=other)
    assert code_of(limited.create_access_key, UserName=other)[:2] == ("AccessDenied", 403)
    # An API-created user with the same self-service policy mints its own keys, not others'.
    name, creds = new_user_with_key(iam, "self")
    iam.put_user_policy(UserName=name, PolicyName="self-keys", PolicyDocument=SELF_KEYS)
    me = client(srv, "iam", creds)
    assert me.get_user()["User"]["UserName"] == name
    key = me.create_access_key()["AccessKey"]
    assert key["UserName"] == name
    assert code_of(me.create_access_key, UserName=other)[:2] == ("AccessDenied", 403)
    assert len(me.list_access_keys()["AccessKeyMetadata"]) == 2


def test_role_assume(srv, iam, admin_sqs):
    url = admin_sqs.create_queue(QueueName=unique_name("role"))["QueueUrl"]
    name, creds = new_user_with_key(iam, "assumer")
    user_arn = f"arn:aws:iam::{ACCOUNT}:user/{name}"
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName=unique_name("r"), AssumeRolePolicyDocument=json.dumps(trust),
                           Tags=[{"Key": "team", "Value": "blue"}])["Role"]
    assert role["RoleId"].startswith("AROA") and role["AssumeRolePolicyDocument"] == trust
    iam.attach_role_policy(RoleName=role["RoleName"], PolicyArn="arn:aws:iam::aws:policy/AmazonSQSFullAccess")
    assert iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"][0]["PolicyName"] == \
        "AmazonSQSFullAccess"
    sts = client(srv, "sts", creds)
    out = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1")
    c = out["Credentials"]
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role['RoleName']}/s1"
    temp = client(srv, "sqs", (c["AccessKeyId"], c["SecretAccessKey"]), c["SessionToken"])
    temp.send_message(QueueUrl=url, MessageBody="as role")
    # A change to the role's policies is in force for the next request of its sessions.
    iam.detach_role_policy(RoleName=role["RoleName"], PolicyArn="arn:aws:iam::aws:policy/AmazonSQSFullAccess")
    assert code_of(temp.send_message, QueueUrl=url, MessageBody="x")[:2] == ("AccessDenied", 403)
    # Another user is not trusted.
    _, other_creds = new_user_with_key(iam, "untrusted")
    assert code_of(client(srv, "sts", other_creds).assume_role, RoleArn=role["Arn"],
                   RoleSessionName="s2")[:2] == ("AccessDenied", 403)
    iam.delete_role(RoleName=role["RoleName"])
    assert code_of(temp.send_message, QueueUrl=url, MessageBody="x")[:2] == ("InvalidClientTokenId", 403)


def test_kill_9_keeps_everything(srv, iam, admin_sqs):
    url = admin_sqs.create_queue(QueueName=unique_name("rs"))["QueueUrl"]
    name, creds = new_user_with_key(iam, "restart")
    policy = iam.create_policy(PolicyName=unique_name("rs"), PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}))
    iam.attach_user_policy(UserName=name, PolicyArn=policy["Policy"]["Arn"])
    before = iam.get_user(UserName=name)["User"]
    # kill -9: every answered change is already durable.
    srv.proc.kill()
    srv.proc.wait(5)
    srv.log.close()
    srv.start()
    iam2 = client(srv, "iam", ADMIN)
    assert iam2.get_user(UserName=name)["User"] == before
    ext = client(srv, "sqs", creds)
    ext.send_message(QueueUrl=url.replace(url.split("/")[2], srv.endpoint.split("//")[1]), MessageBody="after")
    assert code_of(ext.receive_message, QueueUrl=url.replace(url.split("/")[2], srv.endpoint.split("//")[1]))[:2] == (
        "AccessDenied", 403)


def test_config_name_clash_is_a_startup_error(tmp_path):
    """An API-created user named like a configured one: the server refuses to start."""
    data = tmp_path / "data"
    key = secrets.token_hex(32)
    s = Sluice(tmp_path, CONFIG.replace('name = "limited"', 'name = "limited0"'),
               env={"SLUICE_MASTER_KEY": key}, data_dir=data)
    try:
        client(s, "iam", ADMIN).create_user(UserName="limited")
    finally:
        s.stop()
    with pytest.raises(BaseException):
        Sluice(tmp_path, CONFIG, env={"SLUICE_MASTER_KEY": key}, data_dir=data)
    assert "limited" in (tmp_path / "sluice.log").read_text() and "IAM API" in (tmp_path / "sluice.log").read_text()


def test_auth_none_answers_but_enforces_nothing(server):
    iam = boto3.client("iam", endpoint_url=server.endpoint, region_name="us-east-1", config=NO_RETRY)
    name = unique_name("none")
    user = iam.create_user(UserName=name)["User"]
    assert user["Arn"] == f"arn:aws:iam::000000000000:user/{name}"
    assert iam.get_user(UserName=name)["User"]["UserId"] == user["UserId"]
    iam.delete_user(UserName=name)
