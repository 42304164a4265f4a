#!/usr/bin/env python3
"""The generator accepts the real SQS key table and rejects any table its names cannot reproduce."""
import json
import subprocess
import sys
import tempfile

gen, model, keys = sys.argv[1:4]


def run(key_table):
    with tempfile.TemporaryDirectory() as d:
        path = f"{d}/keys.json"
        with open(path, "w") as f:
            json.dump(key_table, f)
        return subprocess.run([sys.executable, gen, "--model", model, "--name", "Sqs", "--out-dir",
                               d, "--query-keys", path, "--pool-id", "1"], capture_output=True, text=True)


table = json.load(open(keys))
ok = run(table)
assert ok.returncode == 0, ok.stderr


def mutate(fn):
    t = json.loads(json.dumps(table))
    fn(t["operations"])
    return t


cases = {
    "renamed request key": lambda o: o["CreateQueue"]["request_keys"].update(
        {"Tags.N.Key": o["CreateQueue"]["request_keys"].pop("Tag.N.Key")}),
    "missing request key": lambda o: o["SendMessage"]["request_keys"].pop("DelaySeconds"),
    "extra response element": lambda o: o["ReceiveMessage"]["response_elements"].update(
        {"Message.N.Extra": "string"}),
    "wrong scalar type": lambda o: o["ReceiveMessage"]["request_keys"].update(
        {"MaxNumberOfMessages": "long"}),
    # QueueAttributeMap is shared: its key cannot be "Name" in one operation and "Key" in another.
    "conflicting map key": lambda o: o["GetQueueAttributes"]["response_elements"].update(
        {"Attribute.N.Key": o["GetQueueAttributes"]["response_elements"].pop("Attribute.N.Name")}),
}
for name, fn in cases.items():
    r = run(mutate(fn))
    assert r.returncode != 0, f"generator accepted a table with a {name}"
    assert "error" in r.stderr, r.stderr
print("ok")
