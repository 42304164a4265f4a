"""Independent implementation of the SQS MD5 digests (shared/aws/md5.md), used to check the server.

Attribute dicts use boto3's shape: {name: {"DataType": ..., "StringValue": str | "BinaryValue": bytes}}.
"""
import hashlib
import struct


def _len_prefixed(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def md5_of_body(body: str) -> str:
    return hashlib.md5(body.encode("utf-8")).hexdigest()


def md5_of_attributes(attributes: dict) -> str:
    buf = bytearray()
    for name in sorted(attributes, key=lambda n: n.encode("utf-8")):
        value = attributes[name]
        buf += _len_prefixed(name.encode("utf-8"))
        buf += _len_prefixed(value["DataType"].encode("utf-8"))
        if value.get("StringValue") is not None:
            buf += b"\x01" + _len_prefixed(value["StringValue"].encode("utf-8"))
        elif value.get("BinaryValue") is not None:
            raw = value["BinaryValue"]
            if isinstance(raw, str):
                raw = raw.encode("utf-8")
            buf += b"\x02" + _len_prefixed(bytes(raw))
        elif value.get("StringListValues"):
            buf += b"\x03" + b"".join(_len_prefixed(s.encode("utf-8")) for s in value["StringListValues"])
        elif value.get("BinaryListValues"):
            buf += b"\x04" + b"".join(_len_prefixed(bytes(b)) for b in value["BinaryListValues"])
    return hashlib.md5(bytes(buf)).hexdigest()


def _self_test():
    # Vectors from md5.md (recorded from AWS / AWS SDK for Java v2), so a bug here can't hide a server bug.
    assert md5_of_body("hello") == "5d41402abc4b2a76b9719d911017c592"
    assert md5_of_attributes({"greeting": {"DataType": "String", "StringValue": "hi"}}) == \
        "7c50c7ee3dca03a9a7c3f73e6c838c20"
    assert md5_of_attributes({
        "count": {"DataType": "Number", "StringValue": "42"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x01\x02\x03"},
        "name": {"DataType": "String.custom", "StringValue": "caf\u00e9"},
    }) == "0259b5d53b62083e93646e1f00a64728"
    assert md5_of_attributes({"String": {"DataType": "String", "StringValue": "Value"},
                              "Binary": {"DataType": "Binary", "BinaryValue": b"\x05"},
                              "StringList": {"DataType": "String", "StringListValues": ["ListValue"]},
                              "ByteList": {"DataType": "Binary", "BinaryListValues": [b"\x03"]}}) == \
        "4b6959cf7735fdade89bc099b85b3234"
    assert md5_of_attributes({"AWSTraceHeader": {
        "DataType": "String",
        "StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"}}) == \
        "5ae4d5d7636402d80f4eb6d213245a88"


_self_test()
