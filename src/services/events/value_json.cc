#include "services/events/value_json.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace sluice::events {
namespace {

using protocol::Value;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void Write(Writer& w, const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      w.Null();
      break;
    case Value::Kind::kBool:
      w.Bool(v.as_bool());
      break;
    case Value::Kind::kInt:
      w.Int64(v.as_int());
      break;
    case Value::Kind::kDouble:
      w.Double(v.as_double());
      break;
    case Value::Kind::kString:
    case Value::Kind::kBlob:
      w.String(v.as_string().data(), static_cast<rapidjson::SizeType>(v.as_string().size()));
      break;
    case Value::Kind::kList:
      w.StartArray();
      for (const Value& item : v.items()) Write(w, item);
      w.EndArray();
      break;
    case Value::Kind::kMap:
    case Value::Kind::kStruct:
      w.StartObject();
      for (const auto& [k, item] : v.entries()) {
        w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
        Write(w, item);
      }
      w.EndObject();
      break;
  }
}

}  // namespace

std::string ValueToJson(const Value& value) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  Write(w, value);
  return std::string(buf.GetString(), buf.GetSize());
}

Value JsonToValue(const rapidjson::Value& json) {
  if (json.IsBool()) return Value::Bool(json.GetBool());
  if (json.IsInt64()) return Value::Int(json.GetInt64());
  if (json.IsNumber()) return Value::Double(json.GetDouble());
  if (json.IsString()) return Value::String(std::string(json.GetString(), json.GetStringLength()));
  if (json.IsArray()) {
    Value list = Value::List();
    for (const auto& item : json.GetArray()) list.Append(JsonToValue(item));
    return list;
  }
  if (json.IsObject()) {
    Value s = Value::Struct();
    for (const auto& m : json.GetObject()) {
      s.Set(std::string(m.name.GetString(), m.name.GetStringLength()), JsonToValue(m.value));
    }
    return s;
  }
  return Value();
}

}  // namespace sluice::events
