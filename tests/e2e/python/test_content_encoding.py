"""Request bodies with Content-Encoding: gzip (the SDKs compress PutMetricData over 10 KiB; newer
botocore does so in the Query protocol, the JS SDK v3 in JSON; tests/e2e/js covers the SDK itself).
Raw requests, so both protocols run here whatever botocore this is; once, in the query pass."""
import datetime
import gzip
import http.client
import json
import urllib.parse
import uuid

import boto3
import pytest
from botocore.config import Config

from conftest import PROTOCOL, REGION

pytestmark = pytest.mark.skipif(PROTOCOL != "query", reason="protocol-independent; runs in the query pass")


def post(server, body, headers):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=15)
    try:
        conn.request("POST", "/", body=body, headers=headers)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


@pytest.fixture
def cw(server):
    return boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                 region_name=REGION).client(
        "cloudwatch", endpoint_url=server.endpoint, config=Config(retries={"total_max_attempts": 1}))


def sample_count(cw, ns, name):
    now = datetime.datetime.now(datetime.timezone.utc)
    dps = cw.get_metric_statistics(Namespace=ns, MetricName=name, StartTime=now - datetime.timedelta(minutes=10),
                                   EndTime=now + datetime.timedelta(minutes=10), Period=1200,
                                   Statistics=["SampleCount", "Sum"])["Datapoints"]
    return (dps[0]["SampleCount"], dps[0]["Sum"]) if dps else (0, 0)


def test_query_body_gzipped(server, cw):
    ns = f"Gzip/{uuid.uuid4().hex[:8]}"
    params = {"Action": "PutMetricData", "Version": "2010-08-01", "Namespace": ns}
    for i in range(1, 401):
        params[f"MetricData.member.{i}.MetricName"] = "Bytes"
        params[f"MetricData.member.{i}.Value"] = str(i)
    body = gzip.compress(urllib.parse.urlencode(params).encode())
    status, _, data = post(server, body, {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                                          "Content-Encoding": "gzip"})
    assert status == 200, data
    assert sample_count(cw, ns, "Bytes") == (400, 400 * 401 / 2)


def test_json_body_gzipped(server, cw):
    ns = f"Gzip/{uuid.uuid4().hex[:8]}"
    doc = {"Namespace": ns, "MetricData": [{"MetricName": "Items", "Value": i} for i in range(1, 301)]}
    status, _, data = post(server, gzip.compress(json.dumps(doc).encode()), {
        "Content-Type": "application/x-amz-json-1.0", "Content-Encoding": "gzip",
        "X-Amz-Target": "GraniteServiceVersion20100801.PutMetricData"})
    assert status == 200, data
    assert sample_count(cw, ns, "Items") == (300, 300 * 301 / 2)


def test_broken_and_oversized_gzip_bodies(server, cw):
    json_headers = {"Content-Type": "application/x-amz-json-1.0", "Content-Encoding": "gzip",
                    "X-Amz-Target": "GraniteServiceVersion20100801.ListMetrics"}
    packed = gzip.compress(json.dumps({"Namespace": "x"}).encode())
    for bad in (b"not gzip", packed[: len(packed) // 2], packed + b"junk"):
        status, _, data = post(server, bad, json_headers)
        assert status == 400, data
        assert json.loads(data)["__type"].endswith("SerializationException"), data
    # A bomb: 9 MiB of zeros inflates past the 8 MiB the server takes.
    status, _, data = post(server, gzip.compress(b"0" * (9 << 20)), json_headers)
    assert status == 413, data
    form = {"Content-Type": "application/x-www-form-urlencoded", "Content-Encoding": "gzip"}
    status, _, data = post(server, b"\x1f\x8b broken", form)
    assert status == 400 and b"<Code>SerializationException</Code>" in data, data
    # The server still answers, and an uncompressed request is untouched.
    assert cw.list_metrics(Namespace="Nothing/Here")["Metrics"] == []
