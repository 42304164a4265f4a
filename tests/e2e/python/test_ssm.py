"""SSM Parameter Store against Sluice with boto3: every action, names and hierarchies, versions,
labels and selectors, tiers, SecureString with KMS keys, tags, paging, what Terraform-style tools
read back, restarts with a data directory and a master key, and IAM decisions with auth "sigv4".

SSM speaks AWS JSON 1.1 only, so these tests run in the json pass of the suite, where conftest.py
loads the repo's SSM model through AWS_DATA_PATH (Debian's botocore model lacks
ParameterMetadata.ARN)."""
import base64
import json
import os
import re
import subprocess
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import PROTOCOL, REGION, REPO, _die_with_parent, _free_port, stop_process, wait_for_health

pytestmark = pytest.mark.skipif(PROTOCOL != "json", reason="SSM is JSON 1.1 only; runs in the json pass")

ACCOUNT = "000000000000"
ARN = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/"
CFG = Config(retries={"total_max_attempts": 1, "mode": "standard"})
LAX = Config(retries={"total_max_attempts": 1, "mode": "standard"}, parameter_validation=False)
NAME_RULES = ('Parameter name: can\'t be prefixed with "ssm" (case-insensitive). If formed as a path, it '
              "can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of "
              "letters, numbers and the following 3 symbols .-_")
PATH_RULES = ('The parameter doesn\'t meet the parameter name requirements. The parameter name must begin '
              'with a forward slash "/". It can\'t be prefixed with \\"aws\\" or \\"ssm\\" (case-insensitive). '
              "It must use only letters, numbers, or the following symbols: . (period), - (hyphen), "
              '_ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the '
              'forward slash symbol "/". Valid example: /get/parameters2-/by1./path0_.')
KMS_SUFFIX = re.compile(r" \(Service: AWSKMS; Status Code: 400; Error Code: (\w+); "
                        r"Request ID: [0-9a-f-]{36}; Proxy: null\)$")


def client(endpoint, service, config=CFG, akid="test", secret="test"):
    session = boto3.session.Session(aws_access_key_id=akid, aws_secret_access_key=secret, region_name=REGION)
    return session.client(service, endpoint_url=endpoint, config=config)


@pytest.fixture(scope="module")
def ssm(server):
    return client(server.endpoint, "ssm")


@pytest.fixture(scope="module")
def lax(server):
    return client(server.endpoint, "ssm", LAX)


@pytest.fixture(scope="module")
def kms(server):
    return client(server.endpoint, "kms")


@pytest.fixture
def root():
    """A fresh hierarchy for one test."""
    return f"/e2e-{uuid.uuid4().hex[:10]}"


def expect(fn, code, message=None, status=400, **kwargs):
    """Calls fn(**kwargs) and checks the error: code, HTTP status (None: any), message (text or regex)."""
    with pytest.raises(ClientError) as info:
        fn(**kwargs)
    err = info.value.response
    assert err["Error"]["Code"] == code, err
    if status is not None:
        assert err["ResponseMetadata"]["HTTPStatusCode"] == status, err
    text = err["Error"].get("Message", "")
    if isinstance(message, re.Pattern):
        assert message.search(text), text
    elif message is not None:
        assert text == message
    return text


def names_of(params):
    return [p["Name"] for p in params]


# ---------------------------------------------------------------- the storefront flow

def test_storefront_queue_urls(ssm, sqs):
    urls = {}
    for queue in ("orders", "domain"):
        urls[queue] = sqs.create_queue(QueueName=f"storefront-production-{queue}-{uuid.uuid4().hex[:6]}")["QueueUrl"]
        resp = ssm.put_parameter(Name=f"/storefront-production/sqs/{queue}-queue-url", Value=urls[queue],
                                 Type="String", Overwrite=True, Description=f"{queue} queue")
        assert resp["Tier"] == "Standard" and resp["Version"] >= 1
    for queue, url in urls.items():
        p = ssm.get_parameter(Name=f"/storefront-production/sqs/{queue}-queue-url")["Parameter"]
        assert p["Value"] == url and p["Type"] == "String" and p["DataType"] == "text"
        assert p["ARN"] == f"{ARN}storefront-production/sqs/{queue}-queue-url"
    got = {}
    for page in ssm.get_paginator("get_parameters_by_path").paginate(Path="/storefront-production/",
                                                                    Recursive=True):
        got.update({p["Name"]: p["Value"] for p in page["Parameters"]})
    assert got == {f"/storefront-production/sqs/{q}-queue-url": u for q, u in urls.items()}
    # The application's view: the URL it reads is a queue it can use.
    sqs.send_message(QueueUrl=got["/storefront-production/sqs/orders-queue-url"], MessageBody="order-1")
    msgs = sqs.receive_message(QueueUrl=urls["orders"], WaitTimeSeconds=1).get("Messages", [])
    assert [m["Body"] for m in msgs] == ["order-1"]


# ---------------------------------------------------------------- put, get, versions

def test_put_get_overwrite(ssm, root):
    name = f"{root}/app/db-url"
    assert ssm.put_parameter(Name=name, Value="v1", Type="String", Description="db")["Version"] == 1
    expect(ssm.put_parameter, "ParameterAlreadyExists",
           "The parameter already exists. To overwrite this value, set the overwrite option in the request "
           "to true.", Name=name, Value="v2", Type="String")
    assert ssm.put_parameter(Name=name, Value="v2", Overwrite=True)["Version"] == 2
    assert ssm.put_parameter(Name=name, Value="v3", Overwrite=True)["Version"] == 3
    p = ssm.get_parameter(Name=name)["Parameter"]
    assert (p["Name"], p["Value"], p["Version"], p["Type"]) == (name, "v3", 3, "String")
    assert set(p) == {"Name", "Type", "Value", "Version", "LastModifiedDate", "ARN", "DataType"}
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"]
    assert len(meta) == 1 and meta[0]["Description"] == "db"  # kept across overwrites
    assert meta[0]["LastModifiedUser"] == f"arn:aws:iam::{ACCOUNT}:root"
    expect(ssm.put_parameter, "ValidationException",
           "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, "
           "please remove overwrite flag. To update tags for an existing parameter, please use "
           "AddTagsToResource or RemoveTagsFromResource.",
           Name=name, Value="v4", Overwrite=True, Tags=[{"Key": "k", "Value": "v"}])
    expect(ssm.put_parameter, "ValidationException", "A parameter type is required when you create a parameter.",
           Name=f"{root}/untyped", Value="v")
    assert ssm.get_parameter(Name=name)["Parameter"]["Version"] == 3  # refusals changed nothing
    expect(ssm.get_parameter, "ParameterNotFound", "", Name=f"{root}/untyped")


def test_single_level_names_with_and_without_slash(ssm):
    name = f"plain-{uuid.uuid4().hex[:8]}"
    ssm.put_parameter(Name=name, Value="x", Type="String")
    p = ssm.get_parameter(Name=f"/{name}")["Parameter"]
    assert p["Name"] == f"/{name}" and p["ARN"] == f"{ARN}{name}"  # one parameter, one ARN
    expect(ssm.put_parameter, "ParameterAlreadyExists", Name=f"/{name}", Value="y", Type="String")
    by_arn = ssm.get_parameter(Name=f"{ARN}{name}")["Parameter"]
    assert by_arn["Name"] == name and by_arn["Value"] == "x"
    ssm.delete_parameter(Name=f"/{name}")
    expect(ssm.get_parameter, "ParameterNotFound", Name=name)


def test_get_parameters_selectors_and_invalid(ssm, root):
    a, b = f"{root}/a", f"{root}/b"
    ssm.put_parameter(Name=b, Value="b1", Type="String")
    ssm.put_parameter(Name=a, Value="a1", Type="String")
    ssm.put_parameter(Name=a, Value="a2", Type="String", Overwrite=True)
    ssm.label_parameter_version(Name=a, ParameterVersion=1, Labels=["first"])
    resp = ssm.get_parameters(Names=[b, a, f"{a}:1", f"{a}:first", f"{a}:9", f"{a}:nolabel", f"{root}/none", b])
    got = [(p["Name"], p["Value"], p["Version"], p.get("Selector")) for p in resp["Parameters"]]
    assert got == [(a, "a2", 2, None), (a, "a1", 1, ":1"), (a, "a1", 1, ":first"), (b, "b1", 1, None)]
    assert resp["InvalidParameters"] == [f"{a}:9", f"{a}:nolabel", f"{root}/none"]
    p = ssm.get_parameter(Name=f"{ARN}{a[1:]}:first")["Parameter"]
    assert (p["Name"], p["Value"], p["Selector"]) == (a, "a1", ":first")
    expect(ssm.get_parameter, "ParameterVersionNotFound",
           f"Systems Manager could not find version 9 of {a}. Verify the version and try again.", Name=f"{a}:9")
    expect(ssm.get_parameter, "ParameterNotFound", "", Name=f"{a}:nolabel")


def test_get_parameters_by_path(ssm, root):
    for leaf in ("x", "b/y", "b/z", "b/c/deep"):
        ssm.put_parameter(Name=f"{root}/{leaf}", Value=leaf, Type="String")
    ssm.put_parameter(Name=f"{root}/b/s", Value="secret", Type="SecureString")
    ssm.put_parameter(Name=f"{root}x", Value="sibling", Type="String")
    one = ssm.get_parameters_by_path(Path=root)["Parameters"]
    assert names_of(one) == [f"{root}/x"]
    assert names_of(ssm.get_parameters_by_path(Path=f"{root}/b/")["Parameters"]) == \
        [f"{root}/b/s", f"{root}/b/y", f"{root}/b/z"]
    everything, pages = [], 0
    for page in ssm.get_paginator("get_parameters_by_path").paginate(
            Path=root, Recursive=True, WithDecryption=True, PaginationConfig={"PageSize": 2}):
        assert len(page["Parameters"]) <= 2
        everything += page["Parameters"]
        pages += 1
    assert pages == 3
    assert {p["Name"]: p["Value"] for p in everything} == {
        f"{root}/x": "x", f"{root}/b/y": "b/y", f"{root}/b/z": "b/z", f"{root}/b/c/deep": "b/c/deep",
        f"{root}/b/s": "secret"}
    strings = ssm.get_parameters_by_path(Path=root, Recursive=True,
                                         ParameterFilters=[{"Key": "Type", "Values": ["SecureString"]}])
    assert names_of(strings["Parameters"]) == [f"{root}/b/s"]
    assert strings["Parameters"][0]["Value"] != "secret"
    assert ssm.get_parameters_by_path(Path=f"{root}/x")["Parameters"] == []  # no children
    assert ssm.get_parameters_by_path(Path=f"{root}/nothing")["Parameters"] == []
    expect(ssm.get_parameters_by_path, "InvalidFilterKey",
           "The following filter key is not valid: Name. Valid filter keys include: [Type, KeyId].",
           Path=root, ParameterFilters=[{"Key": "Name", "Values": ["x"]}])
    for bad in ("no-slash", "/a//b", "/a b"):
        expect(ssm.get_parameters_by_path, "ValidationException", PATH_RULES, Path=bad)
    expect(ssm.get_parameters_by_path, "InvalidNextToken", Path=root, NextToken="garbage!")


def test_history_labels_and_unlabel(ssm, root):
    name = f"{root}/h"
    for i in range(1, 5):
        ssm.put_parameter(Name=name, Value=f"v{i}", Type="String", Overwrite=True)
    resp = ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["prod", "9lives", "awsy", "stable"])
    assert resp["ParameterVersion"] == 2 and resp["InvalidLabels"] == ["9lives", "awsy"]
    assert ssm.label_parameter_version(Name=name, Labels=["prod"])["ParameterVersion"] == 4  # moves
    history = ssm.get_parameter_history(Name=name)["Parameters"]
    assert [(h["Version"], h["Value"], h["Labels"]) for h in history] == [
        (1, "v1", []), (2, "v2", ["stable"]), (3, "v3", []), (4, "v4", ["prod"])]
    assert history[0]["LastModifiedUser"] == f"arn:aws:iam::{ACCOUNT}:root" and history[0]["Tier"] == "Standard"
    paged = [h["Version"] for page in ssm.get_paginator("get_parameter_history").paginate(
        Name=name, PaginationConfig={"PageSize": 3}) for h in page["Parameters"]]
    assert paged == [1, 2, 3, 4]
    assert ssm.get_parameter(Name=f"{name}:prod")["Parameter"]["Value"] == "v4"
    un = ssm.unlabel_parameter_version(Name=name, ParameterVersion=2, Labels=["stable", "prod"])
    assert un["RemovedLabels"] == ["stable"] and un["InvalidLabels"] == ["prod"]
    expect(ssm.get_parameter, "ParameterNotFound", Name=f"{name}:stable")
    expect(ssm.label_parameter_version, "ParameterVersionNotFound",
           f"Systems Manager could not find version 7 of {name}. Verify the version and try again.",
           Name=name, ParameterVersion=7, Labels=["x"])
    expect(ssm.label_parameter_version, "ParameterNotFound", Name=f"{root}/none", Labels=["x"])
    expect(ssm.unlabel_parameter_version, "ParameterVersionNotFound", Name=name, ParameterVersion=8,
           Labels=["x"])
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=[f"l{i}" for i in range(10)])
    expect(ssm.label_parameter_version, "ParameterVersionLabelLimitExceeded", Name=name, ParameterVersion=1,
           Labels=["eleventh"])
    expect(ssm.get_parameter_history, "ParameterNotFound", Name=f"{root}/none")


def test_hundred_versions_and_a_labelled_oldest(ssm, root):
    name = f"{root}/versions"
    for i in range(1, 101):
        ssm.put_parameter(Name=name, Value=str(i), Type="String", Overwrite=True)
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["golden"])
    expect(ssm.put_parameter, "ParameterMaxVersionLimitExceeded",
           f"You attempted to create a new version of {name} by calling the PutParameter API with the "
           "overwrite flag. Version 1, the oldest version, can't be deleted because it has a label "
           "associated with it. Move the label to another version of the parameter, and try again.",
           Name=name, Value="101", Overwrite=True)
    assert ssm.get_parameter(Name=name)["Parameter"]["Version"] == 100
    ssm.label_parameter_version(Name=name, ParameterVersion=100, Labels=["golden"])
    assert ssm.put_parameter(Name=name, Value="101", Overwrite=True)["Version"] == 101
    versions = [h["Version"] for page in ssm.get_paginator("get_parameter_history").paginate(Name=name)
                for h in page["Parameters"]]
    assert versions == list(range(2, 102))  # version 1 went
    expect(ssm.get_parameter, "ParameterVersionNotFound", Name=f"{name}:1")


def test_delete_parameter_and_parameters(ssm, root):
    a, b = f"{root}/a", f"{root}/b"
    ssm.put_parameter(Name=a, Value="a", Type="String", Tags=[{"Key": "t", "Value": "1"}])
    ssm.put_parameter(Name=b, Value="b", Type="String")
    assert ssm.delete_parameter(Name=a)["ResponseMetadata"]["HTTPStatusCode"] == 200
    expect(ssm.delete_parameter, "ParameterNotFound", Name=a)
    expect(ssm.list_tags_for_resource, "InvalidResourceId", ResourceType="Parameter", ResourceId=a)
    resp = ssm.delete_parameters(Names=[a, b])
    assert resp["DeletedParameters"] == [b] and resp["InvalidParameters"] == [a]
    # A re-created parameter starts again at version 1, without the old tags.
    assert ssm.put_parameter(Name=a, Value="again", Type="String")["Version"] == 1
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=a)["TagList"] == []


def test_tags(ssm, root):
    name = f"{root}/tagged"
    ssm.put_parameter(Name=name, Value="v", Type="String", Tags=[{"Key": "env", "Value": "prod"}])
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=name,
                             Tags=[{"Key": "env", "Value": "staging"}, {"Key": "team", "Value": "store"}])
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("env", "staging"), ("team", "store")]
    ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId=name, TagKeys=["env", "missing"])
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"] == [
        {"Key": "team", "Value": "store"}]
    expect(ssm.add_tags_to_resource, "TooManyTagsError", ResourceType="Parameter", ResourceId=name,
           Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    assert len(ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]) == 1
    expect(ssm.add_tags_to_resource, "InvalidResourceId", ResourceType="Parameter", ResourceId=f"{root}/none",
           Tags=[{"Key": "a", "Value": "b"}])
    described = ssm.describe_parameters(ParameterFilters=[{"Key": "tag:team", "Values": ["store"]},
                                                          {"Key": "Path", "Values": [root]}])
    assert names_of(described["Parameters"]) == [name]


def test_describe_parameters(ssm, root):
    ssm.put_parameter(Name=f"{root}/one", Value="1", Type="String")
    ssm.put_parameter(Name=f"{root}/two", Value="2", Type="SecureString")
    ssm.put_parameter(Name=f"{root}/sub/three", Value="3", Type="StringList", Tier="Advanced")

    def described(**kwargs):
        return names_of(p for page in ssm.get_paginator("describe_parameters").paginate(**kwargs)
                        for p in page["Parameters"])

    path = {"Key": "Path", "Values": [root]}
    assert described(ParameterFilters=[path]) == [f"{root}/one", f"{root}/two"]
    assert described(ParameterFilters=[dict(path, Option="Recursive")]) == \
        [f"{root}/one", f"{root}/sub/three", f"{root}/two"]
    assert described(ParameterFilters=[dict(path, Option="Recursive"), {"Key": "Tier", "Values": ["Advanced"]}]) \
        == [f"{root}/sub/three"]
    assert described(ParameterFilters=[{"Key": "Name", "Option": "BeginsWith", "Values": [f"{root}/t"]}]) == \
        [f"{root}/two"]
    assert described(ParameterFilters=[dict(path, Option="Recursive"),
                                       {"Key": "Name", "Option": "Contains", "Values": ["thr"]}]) == \
        [f"{root}/sub/three"]
    assert described(ParameterFilters=[dict(path, Option="Recursive"),
                                       {"Key": "KeyId", "Values": ["alias/aws/ssm"]}]) == [f"{root}/two"]
    assert described(Filters=[{"Key": "Name", "Values": [f"{root}/o"]}]) == [f"{root}/one"]
    page = ssm.describe_parameters(ParameterFilters=[dict(path, Option="Recursive")], MaxResults=2)
    assert len(page["Parameters"]) == 2 and page["NextToken"]
    expect(ssm.describe_parameters, "ValidationException",
           "You can use either Filters or ParameterFilters in a single request.",
           Filters=[{"Key": "Name", "Values": ["a"]}], ParameterFilters=[path])
    expect(ssm.describe_parameters, "InvalidFilterKey",
           "The following filter key is not valid: Label. Valid filter keys include: [Path, Name, Type, KeyId, "
           "Tier].", ParameterFilters=[{"Key": "Label", "Values": ["x"]}])
    expect(ssm.describe_parameters, "InvalidFilterOption",
           "The following filter option is not valid: Equals. Valid options include: [Recursive, OneLevel].",
           ParameterFilters=[dict(path, Option="Equals")])
    expect(ssm.describe_parameters, "ValidationException",
           'Filters for common parameters can\'t be prefixed with "aws" or "ssm" (case-insensitive). When '
           "using global parameters, please specify within a global namespace.",
           ParameterFilters=[{"Key": "Path", "Values": ["/aws/x"]}])
    expect(ssm.describe_parameters, "InvalidFilterKey",
           "The following filter is duplicated in the request: Name. A request can contain only one "
           "occurrence of a specific filter.",
           ParameterFilters=[{"Key": "Name", "Values": ["a"]}, {"Key": "Name", "Values": ["b"]}])
    expect(ssm.describe_parameters, "InvalidFilterValue",
           "The following filter values are missing : null for filter key Name.",
           ParameterFilters=[{"Key": "Name"}])


def test_what_terraform_reads_back(ssm, kms, root):
    """aws_ssm_parameter: create, then read with DescribeParameters (Name filter), GetParameter and
    ListTagsForResource; everything written must come back as written."""
    key = kms.create_key(Description="terraform")["KeyMetadata"]["KeyId"]
    written = {
        f"{root}/tf/plain": dict(Type="String", Value="hello", Description="plain one",
                                 AllowedPattern="^[a-z]+$", Tier="Standard", DataType="text"),
        f"{root}/tf/list": dict(Type="StringList", Value="a,b,c", Tier="Advanced"),
        f"{root}/tf/secret": dict(Type="SecureString", Value="hunter2", KeyId=key, Description="pw"),
        f"{root}/tf/default": dict(Type="SecureString", Value="s3"),
        f"{root}/tf/ami": dict(Type="String", Value="ami-0123456789abcdef0", DataType="aws:ec2:image"),
    }
    tags = [{"Key": "Name", "Value": "tf"}, {"Key": "env", "Value": "prod"}]
    for name, args in written.items():
        ssm.put_parameter(Name=name, Tags=tags, **args)
    for name, args in written.items():
        meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": [name]}])
        assert len(meta["Parameters"]) == 1, meta
        m = meta["Parameters"][0]
        assert (m["Name"], m["Type"], m["Version"], m["ARN"]) == (name, args["Type"], 1, ARN + name[1:])
        assert m.get("Description") == args.get("Description")
        assert m.get("AllowedPattern") == args.get("AllowedPattern")
        assert m["Tier"] == args.get("Tier", "Standard")
        assert m["DataType"] == args.get("DataType", "text")
        assert m.get("KeyId") == (args.get("KeyId", "alias/aws/ssm") if args["Type"] == "SecureString" else None)
        p = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
        assert (p["Value"], p["Type"], p["Version"], p["DataType"]) == \
            (args["Value"], args["Type"], 1, m["DataType"])
        assert p["LastModifiedDate"] == m["LastModifiedDate"]
        got = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
        assert sorted(got, key=lambda t: t["Key"]) == tags


# ---------------------------------------------------------------- SecureString and KMS

def test_secure_string_with_the_default_key(ssm, kms, root):
    name = f"{root}/secure"
    ssm.put_parameter(Name=name, Value="s3cret-value", Type="SecureString")
    sealed = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    blob = base64.b64decode(sealed, validate=True)  # the base64 of the KMS ciphertext
    assert b"s3cret-value" not in blob and sealed != "s3cret-value"
    assert ssm.get_parameter(Name=name, WithDecryption=False)["Parameter"]["Value"] == sealed
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "s3cret-value"
    assert ssm.get_parameters(Names=[name], WithDecryption=True)["Parameters"][0]["Value"] == "s3cret-value"
    h = ssm.get_parameter_history(Name=name, WithDecryption=True)["Parameters"][0]
    assert (h["Value"], h["KeyId"]) == ("s3cret-value", "alias/aws/ssm")
    # The AWS managed key now exists, and only SSM may use it.
    meta = kms.describe_key(KeyId="alias/aws/ssm")["KeyMetadata"]
    assert meta["KeyManager"] == "AWS"
    expect(kms.decrypt, "AccessDeniedException", status=None, CiphertextBlob=blob,
           EncryptionContext={"PARAMETER_ARN": ARN + name[1:]})
    # Changing the value keeps the type; a String overwrite turns it into plain text.
    ssm.put_parameter(Name=name, Value="second", Overwrite=True)
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "second"
    ssm.put_parameter(Name=name, Value="now plain", Type="String", Overwrite=True)
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "now plain"


def test_secure_string_with_a_customer_key(ssm, kms, root):
    key = kms.create_key(Description="ssm test")["KeyMetadata"]
    alias = f"alias/ssm-{uuid.uuid4().hex[:8]}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    for i, key_id in enumerate((key["KeyId"], key["Arn"], alias)):
        name = f"{root}/cmk{i}"
        ssm.put_parameter(Name=name, Value=f"value-{i}", Type="SecureString", KeyId=key_id)
        p = ssm.get_parameter(Name=name)["Parameter"]
        assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == f"value-{i}"
        # KMS itself opens it, with the encryption context AWS uses.
        plain = kms.decrypt(CiphertextBlob=base64.b64decode(p["Value"]),
                            EncryptionContext={"PARAMETER_ARN": p["ARN"]})
        assert plain["Plaintext"] == f"value-{i}".encode() and plain["KeyId"] == key["Arn"]
        meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"][0]
        assert meta["KeyId"] == key_id
    # A KeyId on a String parameter is accepted and ignored.
    ssm.put_parameter(Name=f"{root}/str", Value="v", Type="String", KeyId=key["KeyId"])
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [f"{root}/str"]}])["Parameters"][0]
    assert "KeyId" not in meta


def test_disabled_and_unknown_keys_give_invalid_key_id(ssm, kms, root):
    key = kms.create_key()["KeyMetadata"]
    name = f"{root}/k"
    ssm.put_parameter(Name=name, Value="before", Type="SecureString", KeyId=key["KeyId"])
    kms.disable_key(KeyId=key["KeyId"])
    text = expect(ssm.get_parameter, "InvalidKeyId", KMS_SUFFIX, Name=name, WithDecryption=True)
    assert text.startswith(f"{key['Arn']} is disabled. (Service: AWSKMS;") and "DisabledException" in text
    expect(ssm.put_parameter, "InvalidKeyId", KMS_SUFFIX, Name=name, Value="after", Overwrite=True)
    expect(ssm.put_parameter, "InvalidKeyId", KMS_SUFFIX, Name=f"{root}/new", Value="x", Type="SecureString",
           KeyId=key["KeyId"])
    sealed = ssm.get_parameter(Name=name)["Parameter"]  # without decryption it still reads
    assert sealed["Version"] == 1
    kms.enable_key(KeyId=key["KeyId"])
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "before"

    unknown = str(uuid.uuid4())
    text = expect(ssm.put_parameter, "InvalidKeyId", KMS_SUFFIX, Name=f"{root}/new", Value="x",
                  Type="SecureString", KeyId=unknown)
    assert text.startswith(f"Key 'arn:aws:kms:{REGION}:{ACCOUNT}:key/{unknown}' does not exist (Service: AWSKMS;")
    assert "Error Code: NotFoundException;" in text
    text = expect(ssm.put_parameter, "InvalidKeyId", KMS_SUFFIX, Name=f"{root}/new", Value="x",
                  Type="SecureString", KeyId="alias/does-not-exist")
    assert text.startswith(f"Alias arn:aws:kms:{REGION}:{ACCOUNT}:alias/does-not-exist is not found. (Service")
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    text = expect(ssm.get_parameter, "InvalidKeyId", KMS_SUFFIX, Name=name, WithDecryption=True)
    assert text.startswith(f"{key['Arn']} is pending deletion.") and "KMSInvalidStateException" in text
    expect(ssm.get_parameter, "ParameterNotFound", Name=f"{root}/new")


# ---------------------------------------------------------------- names, tiers, validation

def test_name_rules(ssm, root):
    cases = [
        ("gh-runner/ami/id", "ValidationException", "Parameter name must be a fully qualified name."),
        (f"{root}//double", "ValidationException", NAME_RULES),
        (f"{root}/trailing/", "ValidationException", NAME_RULES),
        (f"{root}/with space", "ValidationException", NAME_RULES),
        (f"{root}/{{curly}}", "ValidationException", NAME_RULES),
        ("/ssm_test/x", "ValidationException", NAME_RULES),
        ("/awssec/lab01/vpc_id", "AccessDeniedException", "No access to reserved parameter name: awssec/lab01/vpc_id."),
        ("/aws/x/y", "AccessDeniedException", "No access to reserved parameter name: aws/x/y."),
        ("ssm_test", "ValidationException", 'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive).'),
        ("AWS_TEST", "ValidationException", 'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive).'),
    ]
    for name, code, message in cases:
        expect(ssm.put_parameter, code, message, Name=name, Value="v", Type="String")
    fifteen = root + "".join(f"/l{i}" for i in range(2, 16))
    assert ssm.put_parameter(Name=fifteen, Value="v", Type="String")["Version"] == 1
    expect(ssm.put_parameter, "HierarchyLevelLimitExceededException", Name=fifteen + "/l16", Value="v", Type="String")
    expect(ssm.get_parameter, "ValidationException", NAME_RULES, Name="xxx/yyy")
    expect(ssm.get_parameter, "ParameterNotFound", "", Name="/aws/service/none")  # reads are allowed
    long_ok = "/" + "n" * (1011 - len(ARN))
    assert ssm.put_parameter(Name=long_ok, Value="v", Type="String")["Version"] == 1
    expect(ssm.put_parameter, "ValidationException", re.compile("1011"), Name=long_ok + "n", Value="v", Type="String")
    ssm.delete_parameter(Name=long_ok)


def test_tier_limits(ssm, root):
    assert ssm.put_parameter(Name=f"{root}/s", Value="a" * 4096, Type="String")["Tier"] == "Standard"
    expect(ssm.put_parameter, "ValidationException",
           "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger "
           "parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see "
           "https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html",
           Name=f"{root}/s2", Value="a" * 4097, Type="String")
    assert ssm.put_parameter(Name=f"{root}/a", Value="a" * 8192, Type="String", Tier="Advanced")["Tier"] == "Advanced"
    expect(ssm.put_parameter, "ValidationException",
           "The specified parameter value is too large. Advanced-tier parameters support a maximum parameter "
           "value of 8192 characters.", Name=f"{root}/a2", Value="a" * 8193, Type="String", Tier="Advanced")
    assert ssm.put_parameter(Name=f"{root}/it", Value="small", Type="String",
                             Tier="Intelligent-Tiering")["Tier"] == "Standard"
    assert ssm.put_parameter(Name=f"{root}/it", Value="a" * 5000, Overwrite=True,
                             Tier="Intelligent-Tiering")["Tier"] == "Advanced"
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [f"{root}/it"]}])["Parameters"][0]
    assert meta["Tier"] == "Advanced"
    expect(ssm.put_parameter, "ValidationException",
           re.compile("^You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter"),
           Name=f"{root}/a", Value="x", Overwrite=True, Tier="Standard")
    assert ssm.put_parameter(Name=f"{root}/s", Value="b" * 6000, Overwrite=True, Tier="Advanced")["Tier"] == "Advanced"


def test_allowed_pattern_and_data_type(ssm, root):
    expect(ssm.put_parameter, "ParameterPatternMismatchException",
           r"Parameter value, cannot be validated against allowedPattern: \d{1,4}",
           Name=f"{root}/p", Value="12345", Type="String", AllowedPattern=r"\d{1,4}")
    ssm.put_parameter(Name=f"{root}/p", Value="1234", Type="String", AllowedPattern=r"\d{1,4}")
    expect(ssm.put_parameter, "ParameterPatternMismatchException", Name=f"{root}/p", Value="abc", Overwrite=True)
    expect(ssm.put_parameter, "InvalidAllowedPatternException", Name=f"{root}/q", Value="x", Type="String",
           AllowedPattern="(unclosed")
    expect(ssm.put_parameter, "ValidationException",
           "The following data type is not supported: AWS:EC2:Image (Data type names are all lowercase.)",
           Name=f"{root}/d", Value="ami-12345678", Type="String", DataType="AWS:EC2:Image")
    expect(ssm.put_parameter, "UnsupportedParameterType", Name=f"{root}/d", Value="ami-12345678",
           Type="StringList", DataType="aws:ec2:image")


def test_request_validation(lax, root):
    expect(lax.put_parameter, "ValidationException",
           "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length "
           "greater than or equal to 1", Name=f"{root}/v", Value="", Type="String")
    expect(lax.put_parameter, "ValidationException",
           "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length "
           "less than or equal to 32768", Name=f"{root}/v", Value="a" * 32769, Type="String", Tier="Advanced")
    expect(lax.put_parameter, "ValidationException",
           "1 validation error detected: Value 'str' at 'type' failed to satisfy constraint: Member must satisfy "
           "enum value set: [String, StringList, SecureString]", Name=f"{root}/v", Value="v", Type="str")
    expect(lax.get_parameter_history, "ValidationException",
           "1 validation error detected: Value '51' at 'maxResults' failed to satisfy constraint: Member must have "
           "value less than or equal to 50", Name=f"{root}/v", MaxResults=51)
    expect(lax.get_parameters, "ValidationException", re.compile("at 'names' failed to satisfy constraint: Member "
                                                                 "must have length less than or equal to 10"),
           Names=[f"{root}/{i}" for i in range(11)])
    expect(lax.list_tags_for_resource, "ValidationException", re.compile("at 'resourceType'"),
           ResourceType="Bucket", ResourceId="x")


# ---------------------------------------------------------------- servers of our own

class Server:
    """A Sluice with a data directory (and optionally a configuration), restartable."""

    def __init__(self, directory, config=None, env=None):
        self.dir = Path(directory)
        self.data = self.dir / "data"
        self.env = {k: v for k, v in os.environ.items() if k != "SLUICE_MASTER_KEY"}
        self.env.update(env or {})
        self.args = []
        if config is not None:
            (self.dir / "sluice.toml").write_text(config)
            self.args = ["--config", str(self.dir / "sluice.toml")]
        self.proc = None
        self.start()

    def start(self):
        binary = os.environ.get("SLUICE_BIN") or str(REPO / "build" / "sluice")
        port, admin = _free_port(), _free_port()
        while admin == port:
            admin = _free_port()
        self.log = open(self.dir / "sluice.log", "a")
        self.proc = subprocess.Popen(
            [binary, "serve", *self.args, "--listen", f"127.0.0.1:{port}", "--admin-listen",
             f"127.0.0.1:{admin}", "--log-level", "warn", "--data-dir", str(self.data)],
            stdout=self.log, stderr=subprocess.STDOUT, env=self.env, preexec_fn=_die_with_parent)
        self.endpoint = f"http://127.0.0.1:{port}"
        wait_for_health(self.proc, admin, lambda: (self.dir / "sluice.log").read_text(errors="replace")[-3000:])

    def stop(self):
        if self.proc and self.proc.poll() is None:
            stop_process(self.proc, 10)
        self.log.close()


def test_parameters_survive_a_restart_sealed_at_rest(tmp_path):
    srv = Server(tmp_path, env={"SLUICE_MASTER_KEY": "5e" * 32})
    try:
        ssm = client(srv.endpoint, "ssm")
        kms = client(srv.endpoint, "kms")
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        secret = "TOP-SECRET-" + uuid.uuid4().hex
        plain = "PLAIN-" + uuid.uuid4().hex
        ssm.put_parameter(Name="/restart/plain", Value=plain, Type="String",
                          Tags=[{"Key": "env", "Value": "prod"}])
        ssm.put_parameter(Name="/restart/plain", Value="plain-value-2", Type="String", Overwrite=True)
        ssm.label_parameter_version(Name="/restart/plain", ParameterVersion=1, Labels=["first"])
        ssm.put_parameter(Name="/restart/secret", Value=secret, Type="SecureString")
        ssm.put_parameter(Name="/restart/cmk", Value=secret + "-cmk", Type="SecureString", KeyId=key)
        before = ssm.describe_parameters()["Parameters"]
        srv.stop()
        stored = b"".join(p.read_bytes() for p in srv.data.rglob("*") if p.is_file())
        assert plain.encode() in stored  # String values are stored in clear: the search can see them
        assert secret.encode() not in stored  # SecureString values never are
        srv.start()
        ssm = client(srv.endpoint, "ssm")
        assert ssm.describe_parameters()["Parameters"] == before
        assert ssm.get_parameter(Name="/restart/secret", WithDecryption=True)["Parameter"]["Value"] == secret
        assert ssm.get_parameter(Name="/restart/cmk", WithDecryption=True)["Parameter"]["Value"] == secret + "-cmk"
        assert ssm.get_parameter(Name="/restart/plain:first")["Parameter"]["Value"] == plain
        assert ssm.get_parameter(Name="/restart/plain")["Parameter"]["Version"] == 2
        assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/restart/plain")["TagList"] == [
            {"Key": "env", "Value": "prod"}]
        assert ssm.put_parameter(Name="/restart/plain", Value="3", Overwrite=True)["Version"] == 3
    finally:
        srv.stop()


A = "111111111111"
USERS = {  # name -> (access key id, secret, identity policy statements)
    "admin": ("AKIDSSMADMIN", "ssm-admin-secret", [{"Effect": "Allow", "Action": ["ssm:*", "kms:*"], "Resource": "*"}]),
    "reader": ("AKIDSSMREADER", "ssm-reader-secret",
               [{"Effect": "Allow", "Action": ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
                 "Resource": f"arn:aws:ssm:{REGION}:{A}:parameter/app/*"}]),
    "decrypter": ("AKIDSSMDECRYPT", "ssm-decrypt-secret",
                  [{"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": f"arn:aws:ssm:{REGION}:{A}:parameter/app/*"},
                   {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]),
}


def sigv4_config():
    lines = ["[auth]", 'mode = "sigv4"', f'region = "{REGION}"', f'accounts = ["{A}"]', ""]
    for name, (akid, secret, statements) in USERS.items():
        doc = json.dumps({"Version": "2012-10-17", "Statement": statements})
        lines += ["[[auth.users]]", f'name = "{name}"', f'account = "{A}"', f'access_key_id = "{akid}"',
                  f'secret_access_key = "{secret}"', f"policies = [{json.dumps(doc)}]", ""]
    return "\n".join(lines)


def test_iam_decides_parameter_and_key_access(tmp_path):
    srv = Server(tmp_path, config=sigv4_config())
    try:
        def as_user(service, user):
            akid, secret, _ = USERS[user]
            return client(srv.endpoint, service, akid=akid, secret=secret)
        admin, reader, decrypter = (as_user("ssm", u) for u in ("admin", "reader", "decrypter"))
        key = as_user("kms", "admin").create_key()["KeyMetadata"]
        admin.put_parameter(Name="/app/plain", Value="p", Type="String")
        admin.put_parameter(Name="/app/default", Value="d", Type="SecureString")
        admin.put_parameter(Name="/app/cmk", Value="c", Type="SecureString", KeyId=key["KeyId"])
        admin.put_parameter(Name="/other/x", Value="o", Type="String")
        meta = admin.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["/app/plain"]}])
        assert meta["Parameters"][0]["LastModifiedUser"] == f"arn:aws:iam::{A}:user/admin"

        assert reader.get_parameter(Name="/app/plain")["Parameter"]["Value"] == "p"
        # GetParametersByPath is decided on the path's own ARN: "parameter/app/*" covers "/app/" only.
        assert names_of(reader.get_parameters_by_path(Path="/app/")["Parameters"]) == \
            ["/app/cmk", "/app/default", "/app/plain"]
        expect(reader.get_parameters_by_path, "AccessDeniedException",
               f"User: arn:aws:iam::{A}:user/reader is not authorized to perform: ssm:GetParametersByPath on "
               f"resource: arn:aws:ssm:{REGION}:{A}:parameter/app", Path="/app")
        expect(reader.get_parameter, "AccessDeniedException",
               f"User: arn:aws:iam::{A}:user/reader is not authorized to perform: ssm:GetParameter on resource: "
               f"arn:aws:ssm:{REGION}:{A}:parameter/other/x", Name="/other/x")
        expect(reader.get_parameters, "AccessDeniedException", Names=["/app/plain", "/other/x"])
        expect(reader.put_parameter, "AccessDeniedException", Name="/app/new", Value="v", Type="String")
        expect(reader.describe_parameters, "AccessDeniedException",
               f"User: arn:aws:iam::{A}:user/reader is not authorized to perform: ssm:DescribeParameters on "
               "resource: *")
        # alias/aws/ssm: its key policy lets every principal of the account use it through SSM.
        assert reader.get_parameter(Name="/app/default", WithDecryption=True)["Parameter"]["Value"] == "d"
        # A customer key: the key policy names the account, so the identity policy decides.
        text = expect(reader.get_parameter, "AccessDeniedException", KMS_SUFFIX, Name="/app/cmk", WithDecryption=True)
        assert text.startswith(f"User: arn:aws:iam::{A}:user/reader is not authorized to perform: kms:Decrypt "
                               f"on resource: {key['Arn']} (Service: AWSKMS;")
        assert reader.get_parameter(Name="/app/cmk")["Parameter"]["Value"] != "c"  # the ciphertext is readable
        assert decrypter.get_parameter(Name="/app/cmk", WithDecryption=True)["Parameter"]["Value"] == "c"
        # Direct KMS use of the AWS managed key stays refused.
        blob = base64.b64decode(admin.get_parameter(Name="/app/default")["Parameter"]["Value"])
        expect(as_user("kms", "admin").decrypt, "AccessDeniedException", status=None, CiphertextBlob=blob,
               EncryptionContext={"PARAMETER_ARN": f"arn:aws:ssm:{REGION}:{A}:parameter/app/default"})
    finally:
        srv.stop()
