#!/usr/bin/env python3
"""Generate compact C++ model tables (protocol::ServiceModel) from an AWS (botocore) service model.

Usage:
  gen_model.py --model models/sqs.json --name Sqs --out-dir BUILD/generated/models \
      [--query-keys models/sqs.query-keys.json] [--xml-namespace URI]

Writes <out-dir>/<snake name>_model.h and <snake name>_model.cc defining
`const sluice::protocol::ServiceModel& sluice::models::<Name>();`.

awsQuery / XML names follow botocore's query serializer and XML parser:
  * structure member: locationName or member name;
  * list: flattened (member- or shape-level) -> `<Name>.N` where Name is the list member's
    locationName if present, else the member's name; otherwise `<Name>.<item>.N` (item =
    list member locationName or "member");
  * map: flattened -> `<Name>.N.<key>/<value>`, else `<Name>.entry.N.<key>/<value>`
    (key/value = locationName or "key"/"value").
An awsQuery model (STS, SNS) needs nothing else: its own traits give the names (STS has none,
so members keep their names and lists use `member`: `Tags.member.N.Key`).
A JSON-protocol model carries no locationName (SQS). With --query-keys, the names are derived by
matching the model against the per-operation key table, and the generator then re-derives every
key (request) and element path (response) from the chosen names and fails unless they reproduce
the table exactly (keys and scalar types).
"""

import argparse
import json
import re
import sys

SCALARS = {"string", "integer", "long", "boolean", "blob", "timestamp", "double", "float"}
CPP_TYPE = {
    "structure": "kStructure", "list": "kList", "map": "kMap", "string": "kString",
    "integer": "kInteger", "long": "kLong", "boolean": "kBoolean", "blob": "kBlob",
    "timestamp": "kTimestamp", "double": "kDouble", "float": "kFloat",
}


def fail(msg):
    print(f"gen_model.py: error: {msg}", file=sys.stderr)
    sys.exit(1)


def snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class Names:
    """Query/XML naming state: per (struct, member) name, per-list item name, per-map key/value."""

    def __init__(self, shapes):
        self.shapes = shapes
        self.member = {}  # (struct shape, member) -> effective query name
        self.item = {}    # list shape -> item element name (non-flattened)
        self.kv = {}      # map shape -> (key name, value name)
        for sname, s in shapes.items():
            t = s["type"]
            if t == "structure":
                for mname, m in s.get("members", {}).items():
                    target = shapes[m["shape"]]
                    q = m.get("locationName", mname)
                    if self.flattened(s, mname) and target["type"] == "list":
                        q = target["member"].get("locationName", q)
                    self.member[(sname, mname)] = q
            elif t == "list":
                self.item[sname] = s["member"].get("locationName", "member")
            elif t == "map":
                self.kv[sname] = (s["key"].get("locationName", "key"),
                                  s["value"].get("locationName", "value"))

    def flattened(self, struct, mname):
        m = struct["members"][mname]
        return bool(m.get("flattened") or self.shapes[m["shape"]].get("flattened"))


def scalar_type(shape):
    t = shape["type"]
    if t == "string":
        return "string(enum)" if "enum" in shape else "string"
    if t == "blob":
        return "blob(base64)"
    return t


def walk_keys(shapes, names, sname, prefix, out, depth=0):
    """Every awsQuery key (with N for indexes) the shape produces, mapped to its scalar type."""
    if depth > 20:
        fail(f"recursive shape {sname} too deep for key verification")
    s = shapes[sname]
    t = s["type"]
    if t in SCALARS:
        out[prefix] = scalar_type(s)
    elif t == "structure":
        for mname, m in s.get("members", {}).items():
            q = names.member[(sname, mname)]
            p = f"{prefix}.{q}" if prefix else q
            walk_member(shapes, names, m["shape"], names.flattened(s, mname), p, out, depth)
    else:
        fail(f"unexpected aggregate {sname} outside a structure member")


def walk_member(shapes, names, target, flattened, p, out, depth):
    ts = shapes[target]
    if ts["type"] == "list":
        lp = f"{p}.N" if flattened else f"{p}.{names.item[target]}.N"
        inner = ts["member"]["shape"]
        walk_member(shapes, names, inner, bool(shapes[inner].get("flattened")), lp, out, depth + 1)
    elif ts["type"] == "map":
        k, v = names.kv[target]
        ep = f"{p}.N" if flattened else f"{p}.entry.N"
        out[f"{ep}.{k}"] = scalar_type(shapes[ts["key"]["shape"]])
        vs = ts["value"]["shape"]
        walk_member(shapes, names, vs, bool(shapes[vs].get("flattened")), f"{ep}.{v}", out,
                    depth + 1)
    else:
        walk_keys(shapes, names, target, p, out, depth + 1)


def singular(name):
    n = name[0].upper() + name[1:]
    return n[:-1] if n.endswith("s") else n


def derive(shapes, names, sname, keys, where):
    """Choose query names for the members of structure `sname` so they explain `keys`.

    keys: list of key tuples relative to this structure (segments, 'N' for indexes).
    """
    s = shapes[sname]
    firsts = {k[0] for k in keys}
    for mname, m in s.get("members", {}).items():
        target = m["shape"]
        ts = shapes[target]
        flat = names.flattened(s, mname)
        if ts["type"] in SCALARS:
            chosen = mname if mname in firsts else None
        else:
            cands = []
            if ts["type"] == "list" and shapes[ts["member"]["shape"]]["type"] == "structure":
                cands.append(ts["member"]["shape"])
            cands += [mname, singular(mname)]
            sing = singular(mname)
            cands += sorted((c for c in firsts if sing.endswith(c)), key=len, reverse=True)
            cands += sorted(c for c in firsts if c.startswith(sing))
            chosen = next((c for c in cands if c in firsts), None)
        if chosen is None:
            continue  # the member is absent from the key table; verification decides
        names.member[(sname, mname)] = chosen
        sub = [k[1:] for k in keys if k[0] == chosen]
        derive_target(shapes, names, target, flat, sub, f"{where}.{mname}")


def derive_target(shapes, names, target, flat, sub, where):
    ts = shapes[target]
    if ts["type"] in SCALARS:
        return
    if ts["type"] == "structure":
        derive(shapes, names, target, sub, where)
        return
    if not flat:
        # Non-flattened aggregates keep botocore's defaults; only strip the wrapper segment.
        wrapper = names.item[target] if ts["type"] == "list" else "entry"
        sub = [k[1:] for k in sub if k and k[0] == wrapper]
    items = [k[1:] for k in sub if k and k[0] == "N"]
    if ts["type"] == "list":
        inner = ts["member"]["shape"]
        derive_target(shapes, names, inner, bool(shapes[inner].get("flattened")), items, where)
        return
    # map: two names below the index; the value is "Value"/"value", the key the other one.
    seconds = sorted({k[0] for k in items if k})
    if len(seconds) != 2:
        fail(f"{where}: cannot derive map key/value names from {seconds}")
    value_name = next((c for c in seconds if c.lower() == "value"), None)
    if value_name is None:
        fail(f"{where}: no Value element among {seconds}")
    key_name = next(c for c in seconds if c != value_name)
    old = names.kv.get(target)
    if old not in (None, ("key", "value")) and old != (key_name, value_name):
        fail(f"{where}: map {target} named both {old} and {(key_name, value_name)}")
    names.kv[target] = (key_name, value_name)
    vs = ts["value"]["shape"]
    derive_target(shapes, names, vs, bool(shapes[vs].get("flattened")),
                  [k[1:] for k in items if k and k[0] == value_name], where)


def check_query_keys(model, names, qk):
    shapes = model["shapes"]
    ops = model["operations"]
    table = qk["operations"]
    if set(table) != set(ops):
        fail(f"query-keys operations differ from the model: {sorted(set(table) ^ set(ops))}")
    # Pass 1: derive names (twice, so shared shapes settle before verification).
    for _ in range(2):
        for op, entry in sorted(table.items()):
            for side, key in (("input", "request_keys"), ("output", "response_elements")):
                if side in ops[op]:
                    keys = [tuple(k.split(".")) for k in entry[key]]
                    derive(shapes, names, ops[op][side]["shape"], keys, f"{op}.{side}")
    # Pass 2: verify, exactly.
    errors = []
    for op, entry in sorted(table.items()):
        for side, key in (("input", "request_keys"), ("output", "response_elements")):
            want = {k: v.split(" ")[0] for k, v in entry[key].items()}
            got = {}
            if side in ops[op]:
                walk_keys(shapes, names, ops[op][side]["shape"], "", got)
            if got != want:
                missing = sorted(set(want) - set(got))
                extra = sorted(set(got) - set(want))
                typed = sorted(k for k in set(want) & set(got) if want[k] != got[k])
                errors.append(f"{op} {key}: missing {missing} extra {extra} type-mismatch {typed}")
    if errors:
        fail("derived awsQuery names do not reproduce the key table:\n  " + "\n  ".join(errors))


def cstr(s):
    """A C++ string literal; non-printable and non-ASCII bytes as 3-digit octal escapes."""
    out = []
    for b in s.encode("utf-8"):
        c = chr(b)
        if c in "\\\"":
            out.append("\\" + c)
        elif 0x20 <= b < 0x7F and c != "?":  # '?' avoids trigraph surprises
            out.append(c)
        else:
            out.append("\\%03o" % b)
    return '"' + "".join(out) + '"'


def num(v):
    return str(int(v))


class Pool:
    """The model's strings, each once, in one char array; tables name them by offset (S(off, n))."""

    def __init__(self):
        self.at, self.parts, self.size = {}, [], 0

    def __call__(self, s):
        if s not in self.at:
            self.at[s] = self.size
            self.parts.append(s)
            self.size += len(s.encode("utf-8"))
        return "S(%d, %d)" % (self.at[s], len(s.encode("utf-8")))

    def literal(self):
        """The pool as adjacent string literals, about 100 bytes a line."""
        lines, line = [], ""
        for p in self.parts:
            line += p
            if len(line) >= 100:
                lines.append(cstr(line))
                line = ""
        if line or not lines:
            lines.append(cstr(line))
        return "\n    ".join(lines)


def generate(model, names, name, xml_namespace, pool_id):
    pool = Pool()
    shapes = model["shapes"]
    md = model["metadata"]
    shape_names = sorted(shapes)
    sid = {n: i for i, n in enumerate(shape_names)}
    members, enums, shape_rows = [], [], []
    for sname in shape_names:
        s = shapes[sname]
        t = s["type"]
        if t not in CPP_TYPE:
            fail(f"shape {sname}: unsupported type {t}")
        f = {"name": pool(sname), "type": f"ShapeType::{CPP_TYPE[t]}"}
        if t == "structure":
            req = set(s.get("required", []))
            f["first_member"] = str(len(members))
            mems = s.get("members", {})
            f["member_count"] = str(len(mems))
            for mname, m in mems.items():
                members.append("{%s, %s, %d, %s, %s}" % (
                    pool(mname), pool(names.member[(sname, mname)]), sid[m["shape"]],
                    "true" if mname in req else "false",
                    "true" if names.flattened(s, mname) else "false"))
        elif t == "list":
            f["item"] = str(sid[s["member"]["shape"]])
            f["item_name"] = pool(names.item[sname])
        elif t == "map":
            f["key"] = str(sid[s["key"]["shape"]])
            f["value"] = str(sid[s["value"]["shape"]])
            f["key_name"], f["value_name"] = map(pool, names.kv[sname])
        if s.get("flattened"):
            f["flattened"] = "true"
        if "min" in s:
            f["has_min"], f["min"] = "true", num(s["min"])
        if "max" in s:
            f["has_max"], f["max"] = "true", num(s["max"])
        if "pattern" in s:
            f["pattern"] = pool(s["pattern"])
        if "enum" in s:
            f["first_enum"] = str(len(enums))
            f["enum_count"] = str(len(s["enum"]))
            enums += [pool(e) for e in s["enum"]]
        if s.get("sensitive"):
            f["sensitive"] = "true"
        if s.get("exception"):
            f["exception"] = "true"
            err = s.get("error", {})
            if "code" in err:
                f["error_code"] = pool(err["code"])
            if "httpStatusCode" in err:
                f["error_status"] = num(err["httpStatusCode"])
            if err.get("senderFault") is False or ("httpStatusCode" in err and err["httpStatusCode"] >= 500):
                f["error_receiver"] = "true"
        shape_rows.append("    {" + ", ".join(f".{k} = {v}" for k, v in f.items()) + "},")
    op_rows = []
    for oname in sorted(model["operations"]):
        o = model["operations"][oname]
        inp = sid[o["input"]["shape"]] if "input" in o else "kNoShape"
        out = sid[o["output"]["shape"]] if "output" in o else "kNoShape"
        wrapper = o.get("output", {}).get("resultWrapper", f"{oname}Result")
        op_rows.append(f"    {{{pool(oname)}, {inp}, {out}, {pool(wrapper)}}},")
    ns = xml_namespace or md.get("xmlNamespace", "")
    meta = [
        f".service_id = {cstr(md.get('serviceId', name))}",
        f".api_version = {cstr(md.get('apiVersion', ''))}",
        f".protocol = {cstr(md.get('protocol', ''))}",
        f".json_version = {cstr(md.get('jsonVersion', ''))}",
        f".target_prefix = {cstr(md.get('targetPrefix', ''))}",
        f".xml_namespace = {cstr(ns)}",
        f".signing_name = {cstr(md.get('signingName', md.get('endpointPrefix', '')))}",
        f".aws_query_compatible = {'true' if 'awsQueryCompatible' in md else 'false'}",
        f".rpc_v2_cbor = {'true' if 'smithy-rpc-v2-cbor' in md.get('protocols', [md.get('protocol')]) else 'false'}",
        # Smithy namespace of AWS services: com.amazonaws.<serviceId, lower case, no spaces>.
        f".smithy_namespace = {cstr('com.amazonaws.' + md.get('serviceId', name).lower().replace(' ', ''))}",
    ]
    base = snake(name)
    header = f"""// Generated by tools/gen_model.py from models/{base}.json. Do not edit.
#pragma once

#include "protocol/model.h"

namespace sluice::models {{

// The {md.get('serviceFullName', name)} model ({md.get('apiVersion', '')}); a static table, thread-safe.
const protocol::ServiceModel& {name}();

}}  // namespace sluice::models
"""
    enum_block = ",\n".join("    " + e for e in enums) if enums else "    {}"
    member_block = ",\n".join("    " + m for m in members) if members else "    {}"
    source = f"""// Generated by tools/gen_model.py. Do not edit.
#include "models/{base}_model.h"

namespace sluice::models {{
namespace {{

using protocol::kNoShape;
using protocol::MemberDef;
using protocol::ModelString;
using protocol::OperationDef;
using protocol::ShapeDef;
using protocol::ShapeType;

constexpr std::uint16_t kPoolId = {pool_id};
static_assert(kPoolId > 0 && kPoolId < protocol::kMaxModelPools);

// Every string of the tables below, each once; S(offset, size) names one.
constexpr char kPool[] =
    {pool.literal()};

constexpr ModelString S(std::uint32_t offset, std::uint32_t size) {{
  return ModelString::InPool(kPoolId, offset, size);
}}

constexpr ModelString kEnums[] = {{
{enum_block}
}};

constexpr MemberDef kMembers[] = {{
{member_block}
}};

constexpr ShapeDef kShapes[] = {{
{chr(10).join(shape_rows)}
}};

constexpr OperationDef kOperations[] = {{
{chr(10).join(op_rows)}
}};

constexpr protocol::ServiceMetadata kMetadata = {{
    {(","+chr(10)+"    ").join(meta)}}};

}}  // namespace

const protocol::ServiceModel& {name}() {{
  static const protocol::ServiceModel kModel(kMetadata, kShapes, kMembers, kOperations, kEnums,
                                             protocol::ModelPool{{kPoolId, kPool}});
  return kModel;
}}

}}  // namespace sluice::models
"""
    return base, header, source


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--name", required=True, help="C++ accessor name, e.g. Sqs")
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--query-keys")
    ap.add_argument("--xml-namespace", default="")
    ap.add_argument("--pool-id", type=int, required=True,
                    help="the model's string pool id, unique among the models linked together (1-31)")
    a = ap.parse_args()
    with open(a.model) as f:
        model = json.load(f)
    names = Names(model["shapes"])
    md = model.get("metadata", {})
    if "awsQueryCompatible" in md and "query" not in md.get("protocols", [md.get("protocol")]) \
            and not a.query_keys:
        # A JSON model carries no Query names: without the key table they would be guessed.
        fail(f"{a.model}: awsQueryCompatible JSON model needs --query-keys")
    if a.query_keys:
        with open(a.query_keys) as f:
            check_query_keys(model, names, json.load(f))
    if not 0 < a.pool_id < 32:
        fail(f"--pool-id {a.pool_id}: must be 1-31")
    base, header, source = generate(model, names, a.name, a.xml_namespace, a.pool_id)
    for fname, text in ((f"{base}_model.h", header), (f"{base}_model.cc", source)):
        path = f"{a.out_dir}/{fname}"
        try:
            with open(path) as f:
                if f.read() == text:
                    continue  # keep the timestamp: no needless rebuilds
        except OSError:
            pass
        with open(path, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
