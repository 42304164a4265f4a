#include "common/json_record.h"

namespace sluice::json_record {

void Str(Writer& w, const char* key, std::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void OptStr(Writer& w, const char* key, const std::optional<std::string>& value) {
  if (value) Str(w, key, *value);
}

void StrMap(Writer& w, const char* key, const std::map<std::string, std::string>& map) {
  w.Key(key);
  w.StartObject();
  for (const auto& [k, v] : map) Str(w, k.c_str(), v);
  w.EndObject();
}

std::optional<std::string> GetOptStr(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || !it->value.IsString()) return std::nullopt;
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::string GetStr(const rapidjson::Value& o, const char* key) {
  return GetOptStr(o, key).value_or(std::string());
}

std::int64_t GetInt(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsInt64() ? it->value.GetInt64() : 0;
}

bool GetBool(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}

std::map<std::string, std::string> GetStrMap(const rapidjson::Value& o, const char* key) {
  std::map<std::string, std::string> out;
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || !it->value.IsObject()) return out;
  for (const auto& m : it->value.GetObject()) {
    if (!m.value.IsString()) continue;
    out.emplace(std::string(m.name.GetString(), m.name.GetStringLength()),
                std::string(m.value.GetString(), m.value.GetStringLength()));
  }
  return out;
}

}  // namespace sluice::json_record
