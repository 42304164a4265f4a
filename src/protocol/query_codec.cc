#include "protocol/query_codec.h"
#include "common/clock.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <unordered_map>

#include "common/encoding.h"
#include "protocol/value_util.h"
#include "protocol/wire_text.h"

namespace sluice::protocol {
namespace {

constexpr std::uint32_t kNone = 0xFFFFFFFF;

// The parameters as a tree of key segments ("A.1.B" -> A -> 1 -> B). Nodes live in one vector and
// link by index; segments point into the parameter keys, which must not move while it lives.
struct Node {
  std::string_view seg;
  std::uint32_t first_child = kNone;
  std::uint32_t last_child = kNone;
  std::uint32_t next = kNone;
  std::int32_t param = -1;  // the parameter whose key ends here (last one wins)
  std::uint32_t child_count = 0;
};

class ParamTree {
 public:
  explicit ParamTree(const QueryParams& params) {
    nodes_.reserve(params.size() * 3 + 1);
    nodes_.emplace_back();
    for (std::size_t i = 0; i < params.size(); ++i) {
      std::string_view key = params[i].key;
      std::uint32_t cur = 0;
      while (true) {
        const std::size_t dot = key.find('.');
        const std::string_view seg = key.substr(0, dot);
        cur = ChildOrAdd(cur, seg);
        if (dot == std::string_view::npos) break;
        key.remove_prefix(dot + 1);
      }
      nodes_[cur].param = static_cast<std::int32_t>(i);
    }
  }

  const Node& node(std::uint32_t i) const { return nodes_[i]; }

  std::uint32_t Child(std::uint32_t parent, std::string_view seg) const {
    if (nodes_[parent].child_count > kLinearChildren) {
      auto it = index_.find(IndexKey(parent, seg));
      return it == index_.end() ? kNone : it->second;
    }
    for (std::uint32_t c = nodes_[parent].first_child; c != kNone; c = nodes_[c].next) {
      if (nodes_[c].seg == seg) return c;
    }
    return kNone;
  }

  // Children whose segment is a positive decimal index, sorted by index.
  void Indexed(std::uint32_t parent,
               std::vector<std::pair<std::uint32_t, std::uint32_t>>* out) const {
    out->clear();
    for (std::uint32_t c = nodes_[parent].first_child; c != kNone; c = nodes_[c].next) {
      const std::string_view seg = nodes_[c].seg;
      if (seg.empty() || seg.size() > 9) continue;
      std::uint32_t idx = 0;
      const auto r = std::from_chars(seg.data(), seg.data() + seg.size(), idx);
      if (r.ec != std::errc() || r.ptr != seg.data() + seg.size() || idx == 0) continue;
      out->emplace_back(idx, c);
    }
    std::stable_sort(out->begin(), out->end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
  }

 private:
  // Parents with many children (hostile bodies: 100k "A.N" keys) switch from a linear scan to a
  // hash index, keeping tree building linear.
  static constexpr std::uint32_t kLinearChildren = 16;

  static std::string IndexKey(std::uint32_t parent, std::string_view seg) {
    std::string k(reinterpret_cast<const char*>(&parent), sizeof parent);
    k.append(seg);
    return k;
  }

  std::uint32_t ChildOrAdd(std::uint32_t parent, std::string_view seg) {
    if (const std::uint32_t c = Child(parent, seg); c != kNone) return c;
    const auto id = static_cast<std::uint32_t>(nodes_.size());
    nodes_.emplace_back();
    nodes_.back().seg = seg;
    Node& p = nodes_[parent];
    if (p.last_child == kNone) {
      p.first_child = id;
    } else {
      nodes_[p.last_child].next = id;
    }
    p.last_child = id;
    ++p.child_count;
    if (p.child_count == kLinearChildren + 1) {
      for (std::uint32_t c = p.first_child; c != kNone; c = nodes_[c].next) {
        index_.emplace(IndexKey(parent, nodes_[c].seg), c);
      }
    } else if (p.child_count > kLinearChildren + 1) {
      index_.emplace(IndexKey(parent, seg), id);
    }
    return id;
  }

  std::vector<Node> nodes_;
  std::unordered_map<std::string, std::uint32_t> index_;
};

Status InvalidValue(const QueryParam& p, std::string_view reason) {
  std::string msg = "Value ";
  msg += p.value;
  msg += " for parameter ";
  msg += p.key;
  msg += " is invalid. Reason: ";
  msg += reason;
  return Status(ErrorCode::kInvalidParameterValue, std::move(msg));
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

class Decoder {
 public:
  Decoder(const ServiceModel& model, QueryParams& params)
      : model_(model), params_(params), tree_(params) {}

  Status Struct(ShapeId id, std::uint32_t node, Value* out) {
    const ShapeDef& s = model_.shape(id);
    *out = Value::Struct();
    const auto members = model_.members(s);
    for (std::size_t i = 0; i < members.size(); ++i) {
      const MemberDef& m = members[i];
      const std::uint32_t child = tree_.Child(node, m.query_name);
      if (child == kNone) continue;
      // Members sharing a Query name get a copy: the first decode moved the text out.
      const Value* shared = nullptr;
      for (std::size_t j = 0; j < i && shared == nullptr; ++j) {
        if (members[j].query_name == m.query_name) shared = out->Get(members[j].name);
      }
      Value v;
      if (shared != nullptr) {
        v = *shared;
      } else {
        Status st = Member(m.shape, m.flattened, child, &v);
        if (!st.ok()) return st;
      }
      if (!v.is_null()) out->mutable_entries().emplace_back(std::string(m.name), std::move(v));
    }
    return Status::Ok();
  }

 private:
  Status Member(ShapeId id, bool flattened, std::uint32_t node, Value* out) {
    const ShapeDef& s = model_.shape(id);
    switch (s.type) {
      case ShapeType::kStructure:
        return Struct(id, node, out);
      case ShapeType::kList: {
        *out = Value::List();
        const std::uint32_t items = flattened ? node : tree_.Child(node, s.item_name);
        if (items == kNone) return Status::Ok();  // bare key: empty list
        std::vector<std::pair<std::uint32_t, std::uint32_t>> indexed;
        tree_.Indexed(items, &indexed);
        const bool item_flat = model_.shape(s.item).flattened;
        for (const auto& [idx, child] : indexed) {
          Value v;
          Status st = Member(s.item, item_flat, child, &v);
          if (!st.ok()) return st;
          if (!v.is_null()) out->Append(std::move(v));
        }
        return Status::Ok();
      }
      case ShapeType::kMap: {
        *out = Value::Map();
        const std::uint32_t entries = flattened ? node : tree_.Child(node, "entry");
        if (entries == kNone) return Status::Ok();
        std::vector<std::pair<std::uint32_t, std::uint32_t>> indexed;
        tree_.Indexed(entries, &indexed);
        const bool value_flat = model_.shape(s.value).flattened;
        for (const auto& [idx, child] : indexed) {
          const std::uint32_t k = tree_.Child(child, s.key_name);
          if (k == kNone || tree_.node(k).param < 0) continue;
          const std::uint32_t vnode = tree_.Child(child, s.value_name);
          Value v;
          if (vnode != kNone) {
            Status st = Member(s.value, value_flat, vnode, &v);
            if (!st.ok()) return st;
          }
          if (v.is_null()) continue;
          out->mutable_entries().emplace_back(params_[tree_.node(k).param].value, std::move(v));
        }
        DedupeLastWins(&out->mutable_entries());
        return Status::Ok();
      }
      default:
        if (tree_.node(node).param < 0) return Status::Ok();  // only sub-keys: absent
        return Scalar(s.type, params_[tree_.node(node).param], out);
    }
  }

  Status Scalar(ShapeType t, QueryParam& p, Value* out) {
    if (t == ShapeType::kString) {
      *out = Value::String(std::move(p.value));
      return Status::Ok();
    }
    const std::string_view text = p.value;
    if (text.empty()) return Status::Ok();  // lenient: absent
    switch (t) {
      case ShapeType::kInteger:
      case ShapeType::kLong: {
        std::int64_t v = 0;
        const char* b = text.data();
        const char* e = b + text.size();
        if (*b == '+') ++b;
        const auto r = std::from_chars(b, e, v);
        if (r.ec == std::errc::result_out_of_range) {
          return InvalidValue(p, "Value is out of range.");
        }
        if (r.ec != std::errc() || r.ptr != e || b == e) {
          return InvalidValue(p,
                              t == ShapeType::kInteger ? "Must be an integer." : "Must be a long.");
        }
        if (t == ShapeType::kInteger && (v < std::numeric_limits<std::int32_t>::min() ||
                                         v > std::numeric_limits<std::int32_t>::max())) {
          return InvalidValue(p, "Value is out of range.");
        }
        *out = Value::Int(v);
        return Status::Ok();
      }
      case ShapeType::kBoolean:
        if (EqualsIgnoreCase(text, "true")) {
          *out = Value::Bool(true);
        } else if (EqualsIgnoreCase(text, "false")) {
          *out = Value::Bool(false);
        } else {
          return InvalidValue(p, "Must be a boolean.");
        }
        return Status::Ok();
      case ShapeType::kBlob: {
        auto bytes = Base64Decode(text);
        if (!bytes) return InvalidValue(p, "Must be a valid base64-encoded value.");
        *out = Value::Blob(std::move(*bytes));
        return Status::Ok();
      }
      case ShapeType::kDouble:
      case ShapeType::kFloat: {
        double d = 0;
        const auto r = std::from_chars(text.data(), text.data() + text.size(), d);
        if (r.ec != std::errc() || r.ptr != text.data() + text.size()) {
          return InvalidValue(p, "Must be a number.");
        }
        *out = Value::Double(d);
        return Status::Ok();
      }
      case ShapeType::kTimestamp: {
        const auto ms = ParseTimestamp(text);
        if (!ms) return InvalidValue(p, "Must be a timestamp.");
        *out = Value::Int(*ms);
        return Status::Ok();
      }
      default:
        return Status::Ok();
    }
  }

  const ServiceModel& model_;
  QueryParams& params_;
  ParamTree tree_;
};

// ---- XML encoding ----

class XmlEncoder {
 public:
  XmlEncoder(const ServiceModel& model, std::string* out) : model_(model), out_(out) {}

  void Members(ShapeId id, const Value& v) {
    const ShapeDef& s = model_.shape(id);
    std::size_t next = 0;
    for (const auto& [name, mv] : v.entries()) {
      if (mv.is_null()) continue;
      const MemberDef* m = model_.FindOutputMember(s, name, &next);
      if (m == nullptr) continue;
      Element(m->query_name, m->shape, m->flattened, mv);
    }
  }

 private:
  void Open(std::string_view name) {
    out_->push_back('<');
    out_->append(name);
    out_->push_back('>');
  }
  void Close(std::string_view name) {
    out_->append("</");
    out_->append(name);
    out_->push_back('>');
  }

  void Element(std::string_view name, ShapeId id, bool flattened, const Value& v) {
    const ShapeDef& s = model_.shape(id);
    switch (s.type) {
      case ShapeType::kStructure:
        Open(name);
        Members(id, v);
        Close(name);
        return;
      case ShapeType::kList: {
        const bool item_flat = model_.shape(s.item).flattened;
        if (!flattened) Open(name);
        for (const Value& item : v.items()) {
          if (item.is_null()) continue;
          Element(flattened ? name : s.item_name.view(), s.item, item_flat, item);
        }
        if (!flattened) Close(name);
        return;
      }
      case ShapeType::kMap: {
        const bool value_flat = model_.shape(s.value).flattened;
        const std::string_view entry = flattened ? name : std::string_view("entry");
        if (!flattened) Open(name);
        for (const auto& [key, mv] : v.entries()) {
          if (mv.is_null()) continue;
          Open(entry);
          Open(s.key_name);
          AppendXmlEscaped(key, out_);
          Close(s.key_name);
          Element(s.value_name, s.value, value_flat, mv);
          Close(entry);
        }
        if (!flattened) Close(name);
        return;
      }
      default:
        Open(name);
        Scalar(s.type, v);
        Close(name);
    }
  }

  void Scalar(ShapeType t, const Value& v) {
    switch (v.kind()) {
      case Value::Kind::kString:
        if (t == ShapeType::kBlob) {
          out_->append(Base64Encode(v.as_string()));
        } else {
          AppendXmlEscaped(v.as_string(), out_);
        }
        return;
      case Value::Kind::kBlob:
        out_->append(Base64Encode(v.as_string()));
        return;
      case Value::Kind::kBool:
        out_->append(v.as_bool() ? "true" : "false");
        return;
      case Value::Kind::kInt:
        if (t == ShapeType::kTimestamp) {
          AppendIso8601(v.as_int(), out_);
        } else {
          out_->append(std::to_string(v.as_int()));
        }
        return;
      case Value::Kind::kDouble:
        AppendDouble(v.as_double(), out_);
        return;
      default:
        return;
    }
  }

  const ServiceModel& model_;
  std::string* out_;
};

}  // namespace

Status ParseFormEncoded(std::string_view text, QueryParams* out) {
  while (!text.empty()) {
    const std::size_t amp = text.find('&');
    const std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    QueryParam p;
    if (!PercentDecode(pair.substr(0, eq), &p.key) ||
        (eq != std::string_view::npos && !PercentDecode(pair.substr(eq + 1), &p.value))) {
      return Status(ErrorCode::kMalformedQueryString,
                    "The query string or form body is malformed: invalid percent-encoding.");
    }
    if (p.key.empty()) continue;
    out->push_back(std::move(p));
  }
  return Status::Ok();
}

const std::string* FindParam(const QueryParams& params, std::string_view key) {
  for (auto it = params.rbegin(); it != params.rend(); ++it) {
    if (it->key == key) return &it->value;
  }
  return nullptr;
}

Result<Value> DecodeQuery(const ServiceModel& model, ShapeId input, QueryParams& params) {
  if (input == kNoShape) return Value::Struct();
  Decoder decoder(model, params);
  Value out;
  Status st = decoder.Struct(input, 0, &out);
  if (!st.ok()) return st;
  return out;
}

void EncodeXmlMembers(const ServiceModel& model, ShapeId shape, const Value& value,
                      std::string* out) {
  if (shape == kNoShape) return;
  XmlEncoder(model, out).Members(shape, value);
}

void EncodeQueryResponse(const ServiceModel& model, const OperationDef& op, const Value& output,
                         std::string_view xml_namespace, std::string_view request_id,
                         std::string* out) {
  out->push_back('<');
  out->append(op.name);
  out->append("Response xmlns=\"");
  AppendXmlEscaped(xml_namespace, out);
  out->append("\">");
  if (op.output != kNoShape) {
    out->push_back('<');
    out->append(op.result_wrapper);
    const std::size_t open_end = out->size();
    out->push_back('>');
    EncodeXmlMembers(model, op.output, output, out);
    if (out->size() == open_end + 1) {
      out->back() = '/';  // nothing inside: <XResult/>, as AWS writes an empty result
      out->push_back('>');
    } else {
      out->append("</");
      out->append(op.result_wrapper);
      out->push_back('>');
    }
  }
  out->append("<ResponseMetadata><RequestId>");
  AppendXmlEscaped(request_id, out);
  out->append("</RequestId></ResponseMetadata></");
  out->append(op.name);
  out->append("Response>");
}

}  // namespace sluice::protocol
