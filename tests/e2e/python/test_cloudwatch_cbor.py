"""CloudWatch over Smithy RPC v2 CBOR with raw requests (python3-cbor2; runs once, in the query pass):
a round trip with tag-1 timestamps, then malformed CBOR, truncated input, huge declared lengths, deep
nesting, wrong types, a wrong content type, a missing smithy-protocol header and unknown operations,
each answered with an AWS-shaped CBOR error (never a crash); the server answers normally after each."""
import datetime
import http.client
import uuid

import cbor2
import pytest

from conftest import PROTOCOL

pytestmark = pytest.mark.skipif(PROTOCOL != "query", reason="protocol-independent; runs in the query pass")

SERVICE = "GraniteServiceVersion20100801"
HEADERS = {"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor", "Accept": "application/cbor"}


class Resp:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, {k.lower(): v for k, v in headers}, body

    def cbor(self):
        return cbor2.loads(self.body)


def call(server, op, body=b"", headers=None, method="POST", path=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=15)
    try:
        h = dict(HEADERS) if headers is None else headers
        conn.request(method, path or f"/service/{SERVICE}/operation/{op}", body=body, headers=h)
        r = conn.getresponse()
        return Resp(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


def still_serving(server):
    r = call(server, "ListMetrics", cbor2.dumps({"Namespace": "Nothing/Here"}))
    assert r.status == 200, r.body
    assert r.cbor() == {"Metrics": []}


def assert_error(r, status, type_suffix, query_code):
    assert r.status == status, r.body
    assert r.headers["smithy-protocol"] == "rpc-v2-cbor"
    assert r.headers["content-type"] == "application/cbor"
    assert r.headers["x-amzn-requestid"]
    body = r.cbor()
    assert body["__type"].endswith("#" + type_suffix), body
    assert body["__type"].startswith("com.amazonaws.cloudwatch#"), body
    assert body["message"]
    assert r.headers["x-amzn-query-error"] == f"{query_code};Sender"
    return body


def test_round_trip_with_timestamps(server):
    ns = f"Raw/{uuid.uuid4().hex[:12]}"
    minute = (int(datetime.datetime.now(datetime.timezone.utc).timestamp()) // 60 - 5) * 60
    # Timestamps as tag 1 around an integer and around a float; values as integers and half floats.
    body = cbor2.dumps({"Namespace": ns, "MetricData": [
        {"MetricName": "m", "Value": 2, "Timestamp": cbor2.CBORTag(1, minute)},
        {"MetricName": "m", "Values": [1.5, 4], "Counts": [2, 1], "Timestamp": cbor2.CBORTag(1, minute + 30.25)},
    ]}, canonical=True)
    r = call(server, "PutMetricData", body)
    assert r.status == 200, r.body
    assert r.headers["smithy-protocol"] == "rpc-v2-cbor"
    assert r.body == b""  # no output shape: no body
    r = call(server, "GetMetricStatistics", cbor2.dumps({
        "Namespace": ns, "MetricName": "m", "StartTime": cbor2.CBORTag(1, minute),
        "EndTime": cbor2.CBORTag(1, minute + 60), "Period": 60, "Statistics": ["Sum", "SampleCount"]}))
    assert r.status == 200, r.body
    assert r.headers["content-type"] == "application/cbor"
    out = r.cbor()
    assert out["Label"] == "m"
    [dp] = out["Datapoints"]
    assert dp["Timestamp"] == datetime.datetime.fromtimestamp(minute, datetime.timezone.utc)  # tag 1
    assert dp["Sum"] == 2 + 1.5 * 2 + 4 and dp["SampleCount"] == 4
    # An empty body is an empty input; indefinite-length maps, arrays and strings are accepted.
    r = call(server, "ListMetrics", b"")
    assert r.status == 200 and isinstance(r.cbor()["Metrics"], list)
    name = cbor2.dumps("Namespace")
    indefinite = b"\xbf" + name + b"\x7f\x63Raw\x61/" + b"\x6c" + ns[4:].encode() + b"\xff" + b"\xff"
    r = call(server, "ListMetrics", indefinite)
    assert r.status == 200, r.body
    assert {m["MetricName"] for m in r.cbor()["Metrics"]} == {"m"}


@pytest.mark.parametrize("body", [
    b"\xa1",                                  # truncated map
    b"\xa1\x69Namespace",                     # key without value
    b"\xa1\x69Namespace\x63ab",               # truncated text
    b"\xff",                                  # lone break
    b"\xa0\x00",                              # trailing bytes
    b"\x1c",                                  # reserved additional information
    b"\xbb" + b"\xff" * 8,                    # a map of 2^64-1 pairs
    b"\xa1\x69Namespace\x7b" + b"\x7f" + b"\xff" * 7,  # a 2^63-byte string
    b"\xa1\x69Namespace\x62\xc3\x28",         # ill-formed UTF-8
    b"\x81" * 100000 + b"\x00",               # deep nesting
    b"\x9f" * 100000,                         # deep indefinite nesting, never closed
    b"\xc1" * 100000 + b"\x00",               # deep tags
    b"\xa1\x69Namespace\x7f\x41a\xff",        # a byte chunk inside a text string
    b"\xf8\x01",                              # two-byte simple value below 32
])
def test_malformed_cbor(server, body):
    r = call(server, "ListMetrics", body)
    b = assert_error(r, 400, "SerializationException", "SerializationException")
    assert b["message"].startswith("Malformed CBOR: "), b
    still_serving(server)


@pytest.mark.parametrize("body, message", [
    (cbor2.dumps([1, 2]), "CBOR array can not be converted to a Structure"),
    (cbor2.dumps({1: "x"}), "CBOR map key is not a text string"),
    (cbor2.dumps({"Namespace": 5}), "CBOR integer can not be converted to a String"),
    (cbor2.dumps({"Namespace": b"bytes"}), "CBOR byte string can not be converted to a String"),
    (cbor2.dumps({"Dimensions": {"a": 1}}), "CBOR map can not be converted to a List"),
])
def test_wrong_types(server, body, message):
    r = call(server, "ListMetrics", body)
    b = assert_error(r, 400, "SerializationException", "SerializationException")
    assert b["message"] == message
    r = call(server, "DescribeAlarms", cbor2.dumps({"MaxRecords": 2**31}))
    b = assert_error(r, 400, "SerializationException", "SerializationException")
    assert b["message"] == "Numeric value (2147483648) out of range of int"
    still_serving(server)


def test_protocol_errors(server):
    body = cbor2.dumps({})
    r = call(server, "ListMetrics", body, headers={"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/json"})
    assert_error(r, 415, "UnsupportedMediaTypeException", "UnsupportedMediaType")
    r = call(server, "ListMetrics", body, headers={"Content-Type": "application/cbor"})
    b = assert_error(r, 400, "SerializationException", "SerializationException")
    assert "smithy-protocol" in b["message"]
    r = call(server, "ListMetrics", body, headers={"smithy-protocol": "rpc-v2-json", "Content-Type": "application/cbor"})
    assert_error(r, 400, "SerializationException", "SerializationException")
    r = call(server, "NoSuchOperation", body)
    b = assert_error(r, 400, "UnknownOperationException", "InvalidAction")
    assert b["message"] == "The action NoSuchOperation is not valid for this endpoint."
    r = call(server, "ListMetrics", body, path="/service/NoSuchService/operation/ListMetrics")
    assert_error(r, 400, "UnknownOperationException", "InvalidAction")
    r = call(server, "ListMetrics", method="GET")
    assert_error(r, 400, "UnknownOperationException", "InvalidAction")
    # A known operation with a missing required member: the service's own error, in CBOR.
    r = call(server, "PutMetricAlarm", cbor2.dumps({"AlarmName": "x"}))
    assert r.status == 400 and r.headers["smithy-protocol"] == "rpc-v2-cbor"
    assert r.cbor()["__type"].startswith("com.amazonaws.cloudwatch#")
    still_serving(server)
