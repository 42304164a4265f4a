#include "protocol/cbor_codec.h"

#include <cmath>
#include <limits>

#include "protocol/cbor.h"
#include "protocol/value_util.h"

namespace sluice::protocol {
namespace {

using cbor::Item;

std::string_view ItemName(const Item& it) {
  switch (it.type) {
    case Item::Type::kUnsigned:
    case Item::Type::kNegative:
      return "CBOR integer";
    case Item::Type::kBytes:
      return "CBOR byte string";
    case Item::Type::kText:
      return "CBOR text string";
    case Item::Type::kArray:
      return "CBOR array";
    case Item::Type::kMap:
      return "CBOR map";
    case Item::Type::kTag:
      return "CBOR tagged item";
    case Item::Type::kSimple:
      return it.is_bool() ? "CBOR boolean" : "CBOR simple value";
    case Item::Type::kFloat:
      return "CBOR float";
  }
  return "CBOR item";
}

Status TypeError(const Item& it, ShapeType t) { return ConversionError(ItemName(it), t); }

Status KeyError() { return Status(ErrorCode::kSerialization, "CBOR map key is not a text string"); }

// The number an integer or float item holds, as a double.
bool NumberOf(const Item& it, double* d) {
  switch (it.type) {
    case Item::Type::kUnsigned:
      *d = static_cast<double>(it.u);
      return true;
    case Item::Type::kNegative:
      *d = -1.0 - static_cast<double>(it.u);
      return true;
    case Item::Type::kFloat:
      *d = it.f;
      return true;
    default:
      return false;
  }
}

class Decoder {
 public:
  explicit Decoder(const ServiceModel& model) : model_(model) {}

  Status Decode(ShapeId id, Item& it, Value* out, int depth) {
    if (depth > cbor::kMaxDepth) {
      return Status(ErrorCode::kSerialization, "Request nesting too deep");
    }
    const ShapeDef& s = model_.shape(id);
    switch (s.type) {
      case ShapeType::kStructure: {
        if (it.type != Item::Type::kMap) return TypeError(it, s.type);
        *out = Value::Struct();
        const auto members = model_.members(s);
        for (std::size_t i = 0; i + 1 < it.items.size(); i += 2) {
          Item& key = it.items[i];
          Item& val = it.items[i + 1];
          if (key.type != Item::Type::kText) return KeyError();
          if (val.is_null()) continue;
          const MemberDef* m = nullptr;
          for (const MemberDef& cand : members) {
            if (cand.name == key.s) {
              m = &cand;
              break;
            }
          }
          if (m == nullptr) continue;  // unknown member: forward compatibility
          Value v;
          if (Status st = Decode(m->shape, val, &v, depth + 1); !st.ok()) return st;
          out->Set(std::string(m->name), std::move(v));
        }
        return Status::Ok();
      }
      case ShapeType::kList: {
        if (it.type != Item::Type::kArray) return TypeError(it, s.type);
        *out = Value::List();
        auto& items = out->mutable_items();
        items.reserve(it.items.size());
        for (Item& e : it.items) {
          if (e.is_null()) continue;
          Value v;
          if (Status st = Decode(s.item, e, &v, depth + 1); !st.ok()) return st;
          items.push_back(std::move(v));
        }
        return Status::Ok();
      }
      case ShapeType::kMap: {
        if (it.type != Item::Type::kMap) return TypeError(it, s.type);
        *out = Value::Map();
        auto& entries = out->mutable_entries();
        entries.reserve(it.items.size() / 2);
        for (std::size_t i = 0; i + 1 < it.items.size(); i += 2) {
          Item& key = it.items[i];
          Item& val = it.items[i + 1];
          if (key.type != Item::Type::kText) return KeyError();
          if (val.is_null()) continue;
          Value v;
          if (Status st = Decode(s.value, val, &v, depth + 1); !st.ok()) return st;
          entries.emplace_back(std::move(key.s), std::move(v));
        }
        DedupeLastWins(&entries);
        return Status::Ok();
      }
      case ShapeType::kString:
        if (it.type != Item::Type::kText) return TypeError(it, s.type);
        *out = Value::String(std::move(it.s));
        return Status::Ok();
      case ShapeType::kBlob:
        if (it.type != Item::Type::kBytes) return TypeError(it, s.type);
        *out = Value::Blob(std::move(it.s));
        return Status::Ok();
      case ShapeType::kBoolean:
        if (!it.is_bool()) return TypeError(it, s.type);
        *out = Value::Bool(it.u == 21);
        return Status::Ok();
      case ShapeType::kInteger:
      case ShapeType::kLong: {
        const std::int64_t lo = s.type == ShapeType::kInteger
                                    ? std::numeric_limits<std::int32_t>::min()
                                    : std::numeric_limits<std::int64_t>::min();
        const std::int64_t hi = s.type == ShapeType::kInteger
                                    ? std::numeric_limits<std::int32_t>::max()
                                    : std::numeric_limits<std::int64_t>::max();
        std::int64_t v;
        if (it.type == Item::Type::kUnsigned) {
          if (it.u > static_cast<std::uint64_t>(hi))
            return RangeError(std::to_string(it.u), s.type);
          v = static_cast<std::int64_t>(it.u);
        } else if (it.type == Item::Type::kNegative) {
          // -1 - u >= lo  <=>  u <= -1 - lo
          if (it.u > static_cast<std::uint64_t>(-1 - lo)) {
            return RangeError(
                it.u == UINT64_MAX ? "-18446744073709551616" : "-" + std::to_string(it.u + 1),
                s.type);
          }
          v = -1 - static_cast<std::int64_t>(it.u);
        } else {
          return TypeError(it, s.type);
        }
        if (v < lo || v > hi) return RangeError(std::to_string(v), s.type);
        *out = Value::Int(v);
        return Status::Ok();
      }
      case ShapeType::kDouble:
      case ShapeType::kFloat: {
        double d;
        if (!NumberOf(it, &d)) return TypeError(it, s.type);
        *out = Value::Double(d);
        return Status::Ok();
      }
      case ShapeType::kTimestamp: {
        const Item* num = &it;
        if (it.type == Item::Type::kTag) {
          if (it.u != 1) return TypeError(it, s.type);
          num = &it.items[0];
        }
        double secs;
        if (!NumberOf(*num, &secs)) return TypeError(*num, s.type);
        if (!(secs > -1e11 && secs < 1e11)) {  // year 5138: ms stay exact in a double
          return Status(ErrorCode::kSerialization, "Invalid timestamp value");
        }
        *out = Value::Int(static_cast<std::int64_t>(std::llround(secs * 1000.0)));
        return Status::Ok();
      }
    }
    return Status(ErrorCode::kSerialization, "Unsupported shape");
  }

 private:
  static Status RangeError(const std::string& text, ShapeType t) {
    return Status(
        ErrorCode::kSerialization,
        "Numeric value (" + text +
            (t == ShapeType::kInteger ? ") out of range of int" : ") out of range of long"));
  }

  const ServiceModel& model_;
};

class Encoder {
 public:
  Encoder(const ServiceModel& model, std::string* out) : model_(model), out_(out) {}

  void Encode(ShapeId id, const Value& v) {
    const ShapeDef& s = model_.shape(id);
    switch (s.type) {
      case ShapeType::kStructure: {
        if (!v.is_struct() && !v.is_map()) return cbor::WriteNull(out_);
        std::uint64_t n = 0;
        for (const auto& [name, mv] : v.entries()) {
          if (!mv.is_null() && model_.FindMember(s, name) != nullptr) ++n;
        }
        cbor::WriteHead(5, n, out_);
        for (const auto& [name, mv] : v.entries()) {
          if (mv.is_null()) continue;
          const MemberDef* m = model_.FindOutputMember(s, name);
          if (m == nullptr) continue;
          cbor::WriteText(m->name, out_);
          Encode(m->shape, mv);
        }
        return;
      }
      case ShapeType::kList: {
        if (!v.is_list()) return cbor::WriteNull(out_);
        std::uint64_t n = 0;
        for (const Value& item : v.items()) n += item.is_null() ? 0 : 1;
        cbor::WriteHead(4, n, out_);
        for (const Value& item : v.items()) {
          if (!item.is_null()) Encode(s.item, item);
        }
        return;
      }
      case ShapeType::kMap: {
        if (!v.is_struct() && !v.is_map()) return cbor::WriteNull(out_);
        std::uint64_t n = 0;
        for (const auto& e : v.entries()) n += e.second.is_null() ? 0 : 1;
        cbor::WriteHead(5, n, out_);
        for (const auto& [key, mv] : v.entries()) {
          if (mv.is_null()) continue;
          cbor::WriteText(key, out_);
          Encode(s.value, mv);
        }
        return;
      }
      default:
        EncodeScalar(s.type, v);
    }
  }

 private:
  void EncodeScalar(ShapeType t, const Value& v) {
    switch (v.kind()) {
      case Value::Kind::kString:
        if (t == ShapeType::kBlob) {
          cbor::WriteBytes(v.as_string(), out_);
        } else {
          cbor::WriteText(v.as_string(), out_);
        }
        return;
      case Value::Kind::kBlob:
        cbor::WriteBytes(v.as_string(), out_);
        return;
      case Value::Kind::kBool:
        if (t == ShapeType::kString) {
          cbor::WriteText(v.as_bool() ? "true" : "false", out_);
        } else {
          cbor::WriteBool(v.as_bool(), out_);
        }
        return;
      case Value::Kind::kInt:
        if (t == ShapeType::kTimestamp) {
          cbor::WriteHead(6, 1, out_);
          const std::int64_t ms = v.as_int();
          if (ms % 1000 == 0) {
            cbor::WriteInt(ms / 1000, out_);
          } else {
            cbor::WriteDouble(static_cast<double>(ms) / 1000.0, out_);
          }
        } else if (t == ShapeType::kString) {
          cbor::WriteText(std::to_string(v.as_int()), out_);
        } else if (t == ShapeType::kDouble || t == ShapeType::kFloat) {
          cbor::WriteDouble(static_cast<double>(v.as_int()), out_);
        } else {
          cbor::WriteInt(v.as_int(), out_);
        }
        return;
      case Value::Kind::kDouble:
        cbor::WriteDouble(v.as_double(), out_);
        return;
      default:
        cbor::WriteNull(out_);  // a handler put an aggregate where the model has a scalar
    }
  }

  const ServiceModel& model_;
  std::string* out_;
};

}  // namespace

Result<Value> DecodeCbor(const ServiceModel& model, ShapeId input, std::string_view body) {
  if (input == kNoShape || body.empty()) return Value::Struct();
  auto item = cbor::Parse(body);
  if (!item.ok()) return item.status();
  if (item->type != Item::Type::kMap) return TypeError(*item, ShapeType::kStructure);
  Value out;
  if (Status st = Decoder(model).Decode(input, *item, &out, 0); !st.ok()) return st;
  return out;
}

void EncodeCbor(const ServiceModel& model, ShapeId shape, const Value& value, std::string* out) {
  if (shape == kNoShape) {
    cbor::WriteHead(5, 0, out);
    return;
  }
  Encoder(model, out).Encode(shape, value);
}

}  // namespace sluice::protocol
