"""KMS against Sluice with boto3 (AWS JSON 1.1, the repo's current KMS model through AWS_DATA_PATH):
keys and what infrastructure-as-code tools read back, aliases, the lifecycle on the adjustable clock
(deletion, rotation), the cryptographic operations with AWS's limits and errors, AWS managed keys,
key policies with auth "sigv4", and keys that survive a restart.

KMS speaks one protocol, so the suite runs in the query pass only."""
import base64
import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import PROTOCOL, REGION, Sluice

pytestmark = pytest.mark.skipif(PROTOCOL != "query", reason="protocol-independent; runs in the query pass")

ACCOUNT = "000000000000"
CFG = Config(retries={"total_max_attempts": 1, "mode": "standard"})
LAX = Config(retries={"total_max_attempts": 1, "mode": "standard"}, parameter_validation=False)
DAY = 86400


def client(endpoint, config=CFG, akid="test", secret="test", region=REGION):
    return boto3.session.Session(aws_access_key_id=akid, aws_secret_access_key=secret,
                                 region_name=region).client("kms", endpoint_url=endpoint, config=config)


@pytest.fixture(scope="module")
def kms(server):
    return client(server.endpoint)


@pytest.fixture(scope="module")
def lax(server):
    return client(server.endpoint, LAX)


@pytest.fixture(scope="module")
def clocked(tmp_path_factory):
    """A server of our own whose control-plane clock the test can move forward."""
    srv = Sluice(tmp_path_factory.mktemp("kms-clock"), '[testing]\nclock = "adjustable"\n')
    yield srv
    srv.stop()


def expect(fn, code, message=None, status=400, **kwargs):
    with pytest.raises(ClientError) as info:
        fn(**kwargs)
    err = info.value.response
    assert (err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]) == (code, status), err
    if message is not None:
        assert err["Error"]["Message"] == message, err["Error"]["Message"]
    return err["Error"]["Message"]


def arn(key_id, region=REGION, account=ACCOUNT):
    return f"arn:aws:kms:{region}:{account}:key/{key_id}"


# ---------------------------------------------------------------- keys and what tools read back

def test_create_key_reads_back_exactly(kms):
    policy = json.dumps({"Version": "2012-10-17", "Id": "mine", "Statement": [{
        "Sid": "root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "kms:*", "Resource": "*"}]})
    meta = kms.create_key(Description="orders", Policy=policy,
                          Tags=[{"TagKey": "env", "TagValue": "prod"}, {"TagKey": "team", "TagValue": ""}])["KeyMetadata"]
    key_id = meta["KeyId"]
    assert meta["Arn"] == arn(key_id)
    assert {k: meta[k] for k in ("AWSAccountId", "Enabled", "Description", "KeyUsage", "KeyState", "Origin",
                                 "KeyManager", "CustomerMasterKeySpec", "KeySpec", "EncryptionAlgorithms",
                                 "MultiRegion")} == {
        "AWSAccountId": ACCOUNT, "Enabled": True, "Description": "orders", "KeyUsage": "ENCRYPT_DECRYPT",
        "KeyState": "Enabled", "Origin": "AWS_KMS", "KeyManager": "CUSTOMER", "CustomerMasterKeySpec":
        "SYMMETRIC_DEFAULT", "KeySpec": "SYMMETRIC_DEFAULT", "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
        "MultiRegion": False}
    assert "DeletionDate" not in meta and "MacAlgorithms" not in meta
    # What Terraform reads after create and at every plan: the same as it wrote.
    described = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert described == meta
    assert kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"] == policy
    assert kms.list_key_policies(KeyId=key_id)["PolicyNames"] == ["default"]
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "env", "TagValue": "prod"},
                                                            {"TagKey": "team", "TagValue": ""}]
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False
    kms.update_key_description(KeyId=key_id, Description="orders v2")
    assert kms.describe_key(KeyId=arn(key_id))["KeyMetadata"]["Description"] == "orders v2"
    assert key_id in [k["KeyId"] for k in kms.list_keys(Limit=1000)["Keys"]]


def test_default_key_policy_is_the_one_aws_writes(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    assert kms.get_key_policy(KeyId=key_id)["Policy"] == (
        '{\n  "Version" : "2012-10-17",\n  "Id" : "key-default-1",\n  "Statement" : [ {\n'
        '    "Sid" : "Enable IAM User Permissions",\n    "Effect" : "Allow",\n    "Principal" : {\n'
        f'      "AWS" : "arn:aws:iam::{ACCOUNT}:root"\n    }},\n    "Action" : "kms:*",\n'
        '    "Resource" : "*"\n  } ]\n}')
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Describe*", "Resource": "*"}]})
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=policy)
    assert kms.get_key_policy(KeyId=key_id)["Policy"] == policy
    expect(kms.put_key_policy, "MalformedPolicyDocumentException", KeyId=key_id, Policy='{"Statement": 1}')


def test_tags_rules(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "a", "TagValue": "1"}, {"TagKey": "b", "TagValue": "2"}])
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "a", "TagValue": "one"}])
    kms.untag_resource(KeyId=key_id, TagKeys=["b", "never-set"])
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "a", "TagValue": "one"}]
    expect(kms.tag_resource, "TagException", "Duplicate tag keys", KeyId=key_id,
           Tags=[{"TagKey": "x", "TagValue": "1"}, {"TagKey": "x", "TagValue": "2"}])
    expect(kms.tag_resource, "TagException", "Tags beginning with aws: are reserved", KeyId=key_id,
           Tags=[{"TagKey": "AWS:x", "TagValue": "1"}])
    expect(kms.create_key, "TagException", "Too many tags",
           Tags=[{"TagKey": f"k{i}", "TagValue": "v"} for i in range(51)])
    msg = expect(kms.tag_resource, "ValidationException", KeyId=key_id, Tags=[{"TagKey": "k" * 129, "TagValue": "v"}])
    assert "at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length less than or equal to 128" in msg
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "a", "TagValue": "one"}]


def test_unknown_and_malformed_key_ids(kms):
    expect(kms.describe_key, "NotFoundException", "Invalid keyId 'not-a-key'", KeyId="not-a-key")
    missing = "11111111-2222-3333-4444-555555555555"
    expect(kms.describe_key, "NotFoundException", f"Key '{arn(missing)}' does not exist", KeyId=missing)
    expect(kms.encrypt, "NotFoundException", f"Key '{arn(missing)}' does not exist", KeyId=arn(missing),
           Plaintext=b"x")
    expect(kms.describe_key, "NotFoundException",
           f"Alias arn:aws:kms:{REGION}:{ACCOUNT}:alias/missing is not found.", KeyId="alias/missing")
    expect(kms.describe_key, "NotFoundException", "Invalid arn eu-west-1",
           KeyId=f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/{missing}")


def test_keys_are_scoped_by_region(server):
    west = client(server.endpoint, region="us-west-2")
    east = client(server.endpoint)
    key_id = west.create_key()["KeyMetadata"]["KeyId"]
    assert west.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"] == arn(key_id, region="us-west-2")
    expect(east.describe_key, "NotFoundException", KeyId=key_id)
    assert key_id not in [k["KeyId"] for k in east.list_keys(Limit=1000)["Keys"]]


def test_list_keys_pages(kms):
    for _ in range(3):
        kms.create_key()
    seen, marker = [], None
    while True:
        page = kms.list_keys(Limit=2, **({"Marker": marker} if marker else {}))
        seen += [k["KeyId"] for k in page["Keys"]]
        assert len(page["Keys"]) <= 2
        if not page["Truncated"]:
            assert "NextMarker" not in page
            break
        marker = page["NextMarker"]
    assert len(seen) == len(set(seen)) == len(kms.list_keys(Limit=1000)["Keys"])
    expect(kms.list_keys, "InvalidMarkerException", Marker="%%%")


# ---------------------------------------------------------------- aliases

def test_aliases(kms):
    a = kms.create_key()["KeyMetadata"]["KeyId"]
    b = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/e2e-orders", TargetKeyId=a)
    assert kms.describe_key(KeyId="alias/e2e-orders")["KeyMetadata"]["KeyId"] == a
    assert kms.describe_key(KeyId=f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/e2e-orders")["KeyMetadata"]["KeyId"] == a
    listed = kms.list_aliases(KeyId=a)["Aliases"]
    assert [x["AliasName"] for x in listed] == ["alias/e2e-orders"]
    assert listed[0]["AliasArn"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/e2e-orders"
    assert listed[0]["TargetKeyId"] == a and "CreationDate" in listed[0] and "LastUpdatedDate" in listed[0]
    expect(kms.create_alias, "AlreadyExistsException",
           f"An alias with the name arn:aws:kms:{REGION}:{ACCOUNT}:alias/e2e-orders already exists",
           AliasName="alias/e2e-orders", TargetKeyId=b)
    expect(kms.create_alias, "ValidationException",
           'Alias must start with the prefix "alias/". Please see '
           "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html",
           AliasName="e2e-orders", TargetKeyId=b)
    msg = expect(kms.create_alias, "ValidationException", AliasName="alias/bad name", TargetKeyId=b)
    assert "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$" in msg
    expect(kms.create_alias, "InvalidAliasNameException", AliasName="alias/aws/mine", TargetKeyId=b)
    kms.update_alias(AliasName="alias/e2e-orders", TargetKeyId=b)
    assert kms.describe_key(KeyId="alias/e2e-orders")["KeyMetadata"]["KeyId"] == b
    kms.delete_alias(AliasName="alias/e2e-orders")
    expect(kms.delete_alias, "NotFoundException",
           f"Alias arn:aws:kms:{REGION}:{ACCOUNT}:alias/e2e-orders is not found.", AliasName="alias/e2e-orders")
    # The predefined AWS aliases are listed, without a key until one is used.
    names = {x["AliasName"]: x for x in kms.list_aliases(Limit=100)["Aliases"]}
    assert "alias/aws/ssm" in names and "alias/aws/s3" in names


def test_aws_managed_keys(kms):
    meta = kms.describe_key(KeyId="alias/aws/sqs")["KeyMetadata"]
    assert meta["KeyManager"] == "AWS"
    assert meta["Description"] == "Default key that protects my SQS messages when no other key is defined"
    assert kms.describe_key(KeyId="alias/aws/sqs")["KeyMetadata"]["KeyId"] == meta["KeyId"]
    assert kms.get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"] is True
    for call, kwargs in [(kms.disable_key, {}), (kms.schedule_key_deletion, {}),
                         (kms.put_key_policy, {"Policy": "{}", "PolicyName": "default"}),
                         (kms.encrypt, {"Plaintext": b"x"})]:
        expect(call, "AccessDeniedException", KeyId=meta["KeyId"], **kwargs)
    assert kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


# ---------------------------------------------------------------- cryptography

def test_encrypt_decrypt_reencrypt_and_data_keys(kms):
    a = kms.create_key()["KeyMetadata"]["KeyId"]
    b = kms.create_key()["KeyMetadata"]["KeyId"]
    ctx = {"tenant": "acme", "purpose": "orders"}
    enc = kms.encrypt(KeyId=a, Plaintext=b"\x00secret\xff", EncryptionContext=ctx)
    assert enc["KeyId"] == arn(a) and enc["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    blob = enc["CiphertextBlob"]
    dec = kms.decrypt(CiphertextBlob=blob, EncryptionContext=dict(reversed(list(ctx.items()))))
    assert (dec["Plaintext"], dec["KeyId"]) == (b"\x00secret\xff", arn(a))
    expect(kms.decrypt, "InvalidCiphertextException", CiphertextBlob=blob)
    expect(kms.decrypt, "InvalidCiphertextException", CiphertextBlob=blob, EncryptionContext={"tenant": "acme"})
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    expect(kms.decrypt, "InvalidCiphertextException", CiphertextBlob=tampered, EncryptionContext=ctx)
    expect(kms.decrypt, "IncorrectKeyException",
           "The key ID in the request does not identify a CMK that can perform this operation.",
           CiphertextBlob=blob, EncryptionContext=ctx, KeyId=b)
    re = kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext=ctx, DestinationKeyId=b)
    assert (re["SourceKeyId"], re["KeyId"]) == (arn(a), arn(b))
    assert kms.decrypt(CiphertextBlob=re["CiphertextBlob"])["Plaintext"] == b"\x00secret\xff"
    data = kms.generate_data_key(KeyId=a, KeySpec="AES_256", EncryptionContext={"f": "1"})
    assert len(data["Plaintext"]) == 32 and data["KeyId"] == arn(a)
    assert kms.decrypt(CiphertextBlob=data["CiphertextBlob"], EncryptionContext={"f": "1"})["Plaintext"] == data["Plaintext"]
    assert len(kms.generate_data_key(KeyId=a, NumberOfBytes=7)["Plaintext"]) == 7
    assert len(kms.generate_data_key(KeyId=a, KeySpec="AES_128")["Plaintext"]) == 16
    without = kms.generate_data_key_without_plaintext(KeyId=a, KeySpec="AES_256")
    assert "Plaintext" not in without and len(kms.decrypt(CiphertextBlob=without["CiphertextBlob"])["Plaintext"]) == 32
    expect(kms.generate_data_key, "ValidationException", "Please specify either number of bytes or key spec.", KeyId=a)
    expect(kms.generate_data_key, "ValidationException", "Please specify either number of bytes or key spec.",
           KeyId=a, KeySpec="AES_256", NumberOfBytes=32)
    assert len(kms.generate_random(NumberOfBytes=1024)["Plaintext"]) == 1024


def test_limits_are_aws_validation_errors(kms, lax):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.encrypt(KeyId=key_id, Plaintext=b"x" * 4096)
    expect(lax.encrypt, "ValidationException",
           "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have "
           "length less than or equal to 4096", KeyId=key_id, Plaintext=b"x" * 4097)
    expect(lax.generate_random, "ValidationException",
           "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member "
           "must have value less than or equal to 1024", NumberOfBytes=1025)
    expect(lax.generate_random, "ValidationException",
           "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member "
           "must have value greater than or equal to 1", NumberOfBytes=0)
    msg = expect(lax.create_key, "ValidationException", KeyUsage="RANDOM")
    assert msg.startswith("1 validation error detected: Value 'RANDOM' at 'keyUsage' failed to satisfy "
                          "constraint: Member must satisfy enum value set: [")
    expect(lax.describe_key, "ValidationException",
           "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null")
    expect(kms.schedule_key_deletion, "ValidationException",
           "PendingWindowInDays should be between 7 and 30, but it is 31", KeyId=key_id, PendingWindowInDays=31)


def test_hmac_keys(kms):
    expect(kms.create_key, "ValidationException",
           "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.",
           KeySpec="HMAC_256")
    meta = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    assert meta["MacAlgorithms"] == ["HMAC_SHA_256"] and "EncryptionAlgorithms" not in meta
    key_id = meta["KeyId"]
    mac = kms.generate_mac(KeyId=key_id, Message=b"payload", MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert len(mac) == 32
    assert kms.verify_mac(KeyId=key_id, Message=b"payload", MacAlgorithm="HMAC_SHA_256", Mac=mac)["MacValid"]
    expect(kms.verify_mac, "KMSInvalidMacException", KeyId=key_id, Message=b"other", MacAlgorithm="HMAC_SHA_256",
           Mac=mac)
    expect(kms.generate_mac, "InvalidKeyUsageException", "Algorithm HMAC_SHA_512 is incompatible with key spec HMAC_256.",
           KeyId=key_id, Message=b"m", MacAlgorithm="HMAC_SHA_512")
    expect(kms.encrypt, "InvalidKeyUsageException",
           f"{arn(key_id)} key usage is GENERATE_VERIFY_MAC which is not valid for Encrypt.", KeyId=key_id,
           Plaintext=b"x")
    sym = kms.create_key()["KeyMetadata"]["KeyId"]
    expect(kms.generate_mac, "InvalidKeyUsageException",
           f"{arn(sym)} key usage is ENCRYPT_DECRYPT which is not valid for GenerateMac.", KeyId=sym,
           Message=b"m", MacAlgorithm="HMAC_SHA_256")


def test_key_states(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
    kms.disable_key(KeyId=key_id)
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (meta["KeyState"], meta["Enabled"]) == ("Disabled", False)
    expect(kms.encrypt, "DisabledException", f"{arn(key_id)} is disabled.", KeyId=key_id, Plaintext=b"x")
    expect(kms.decrypt, "DisabledException", f"{arn(key_id)} is disabled.", CiphertextBlob=blob)
    kms.enable_key(KeyId=key_id)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    out = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert (out["KeyId"], out["KeyState"], out["PendingWindowInDays"]) == (arn(key_id), "PendingDeletion", 7)
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["KeyState"] == "PendingDeletion" and meta["DeletionDate"] == out["DeletionDate"]
    expect(kms.encrypt, "KMSInvalidStateException", f"{arn(key_id)} is pending deletion.", KeyId=key_id, Plaintext=b"x")
    expect(kms.enable_key, "KMSInvalidStateException", f"{arn(key_id)} is pending deletion.", KeyId=key_id)
    expect(kms.schedule_key_deletion, "KMSInvalidStateException", KeyId=key_id)
    assert kms.cancel_key_deletion(KeyId=key_id)["KeyId"] == arn(key_id)
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (meta["KeyState"], meta["Enabled"]) == ("Disabled", False) and "DeletionDate" not in meta
    expect(kms.cancel_key_deletion, "KMSInvalidStateException", f"{arn(key_id)} is not pending deletion.",
           KeyId=key_id)


# ---------------------------------------------------------------- the lifecycle on the clock

def test_deletion_happens_at_the_deletion_date(clocked):
    kms = client(clocked.endpoint)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/doomed", TargetKeyId=key_id)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    clocked.advance_clock(7 * DAY - 60)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    clocked.advance_clock(120)
    expect(kms.describe_key, "NotFoundException", f"Key '{arn(key_id)}' does not exist", KeyId=key_id)
    expect(kms.describe_key, "NotFoundException", KeyId="alias/doomed")
    assert "alias/doomed" not in [a["AliasName"] for a in kms.list_aliases(Limit=100)["Aliases"]]
    expect(kms.decrypt, "AccessDeniedException",
           "The ciphertext refers to a customer master key that does not exist, does not exist in this region, "
           "or you are not allowed to access.", CiphertextBlob=blob)


def test_rotation_on_the_clock_and_on_demand(clocked):
    kms = client(clocked.endpoint)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    old = kms.encrypt(KeyId=key_id, Plaintext=b"before")["CiphertextBlob"]
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] and status["RotationPeriodInDays"] == 90
    assert kms.list_key_rotations(KeyId=key_id)["Rotations"] == []
    clocked.advance_clock(90 * DAY + 60)
    rotations = kms.list_key_rotations(KeyId=key_id)["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["AUTOMATIC"]
    assert kms.rotate_key_on_demand(KeyId=key_id)["KeyId"] == key_id
    assert [r["RotationType"] for r in kms.list_key_rotations(KeyId=key_id)["Rotations"]] == ["AUTOMATIC", "ON_DEMAND"]
    new = kms.encrypt(KeyId=key_id, Plaintext=b"after")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=old)["Plaintext"] == b"before"
    assert kms.decrypt(CiphertextBlob=new)["Plaintext"] == b"after"
    kms.disable_key_rotation(KeyId=key_id)
    assert kms.get_key_rotation_status(KeyId=key_id) .get("RotationPeriodInDays") is None
    expect(client(clocked.endpoint, LAX).enable_key_rotation, "ValidationException", KeyId=key_id,
           RotationPeriodInDays=89)
    hmac = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    expect(kms.enable_key_rotation, "UnsupportedOperationException", KeyId=hmac)


# ---------------------------------------------------------------- restart, and encryption at rest

def test_keys_survive_a_restart_and_stay_sealed(tmp_path):
    master = "a1" * 32
    data = tmp_path / "data"
    srv = Sluice(tmp_path, "", env={"SLUICE_MASTER_KEY": master}, data_dir=data)
    try:
        kms = client(srv.endpoint)
        key_id = kms.create_key(Description="durable")["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName="alias/durable", TargetKeyId=key_id)
        data_key = kms.generate_data_key(KeyId="alias/durable", KeySpec="AES_256")
        blob = kms.encrypt(KeyId="alias/durable", Plaintext=b"kept")["CiphertextBlob"]
        srv.restart()
        kms = client(srv.endpoint)
        assert kms.describe_key(KeyId="alias/durable")["KeyMetadata"]["Description"] == "durable"
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"kept"
        assert kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"]
    finally:
        srv.stop()
    # Without the master key the directory does not open at all (its records are sealed).
    raw = b"".join(p.read_bytes() for p in data.rglob("*") if p.is_file())
    assert b"durable" in raw  # metadata is stored in clear, as for queues
    assert data_key["Plaintext"] not in raw


# ---------------------------------------------------------------- key policies with auth "sigv4"

def sigv4_config():
    users = {
        "admin": ("AKIDKMSADMIN", [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]),
        "user": ("AKIDKMSUSER", [{"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"],
                                  "Resource": "*"}]),
        "nobody": ("AKIDKMSNOBODY", [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]),
    }
    lines = ['[auth]', 'mode = "sigv4"', 'accounts = ["111111111111"]', '']
    for name, (akid, statements) in users.items():
        doc = json.dumps({"Version": "2012-10-17", "Statement": statements})
        lines += ['[[auth.users]]', f'name = "{name}"', 'account = "111111111111"', f'access_key_id = "{akid}"',
                  f'secret_access_key = "{name}-secret"', f'policies = [{json.dumps(doc)}]', '']
    return "\n".join(lines)


def test_key_policy_and_identity_policies_decide(tmp_path):
    srv = Sluice(tmp_path, sigv4_config())
    try:
        admin = client(srv.endpoint, akid="AKIDKMSADMIN", secret="admin-secret")
        user = client(srv.endpoint, akid="AKIDKMSUSER", secret="user-secret")
        nobody = client(srv.endpoint, akid="AKIDKMSNOBODY", secret="nobody-secret")
        # The default key policy delegates to IAM: the identity policy decides.
        key_id = admin.create_key()["KeyMetadata"]["KeyId"]
        blob = user.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
        assert user.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
        msg = expect(nobody.encrypt, "AccessDeniedException", status=400, KeyId=key_id, Plaintext=b"x")
        assert "arn:aws:iam::111111111111:user/nobody is not authorized to perform: kms:Encrypt" in msg
        expect(user.disable_key, "AccessDeniedException", status=400, KeyId=key_id)
        # A key policy that names only the admin: the user's identity policy alone no longer grants.
        only_admin = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:user/admin"}, "Action": "kms:*",
            "Resource": "*"}]})
        admin.put_key_policy(KeyId=key_id, PolicyName="default", Policy=only_admin)
        expect(user.encrypt, "AccessDeniedException", status=400, KeyId=key_id, Plaintext=b"x")
        # A key policy that names a principal grants it without any identity policy.
        to_nobody = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:user/admin"}, "Action": "kms:*",
             "Resource": "*"},
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:user/nobody"},
             "Action": "kms:Encrypt", "Resource": "*"}]})
        admin.put_key_policy(KeyId=key_id, PolicyName="default", Policy=to_nobody)
        nobody.encrypt(KeyId=key_id, Plaintext=b"x")
    finally:
        srv.stop()
