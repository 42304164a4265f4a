#include "services/ssm/parameter.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "common/json_record.h"
#include "services/ssm/names.h"

namespace sluice::ssm {
namespace {

using namespace json_record;  // NOLINT(google-build-using-namespace)

constexpr int kFormat = 1;

Status Corrupt() { return Status(ErrorCode::kInternalError, "a stored parameter is unreadable"); }

}  // namespace

const ParameterVersion* Parameter::FindVersion(std::int64_t version) const {
  for (const ParameterVersion& v : versions) {
    if (v.version == version) return &v;
  }
  return nullptr;
}

const ParameterVersion* Parameter::FindLabel(std::string_view label) const {
  for (const ParameterVersion& v : versions) {
    if (std::find(v.labels.begin(), v.labels.end(), label) != v.labels.end()) return &v;
  }
  return nullptr;
}

engine::ResourceRecord EncodeParameter(const Parameter& p) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("v");
  w.Int(kFormat);
  Str(w, "name", p.name);
  w.Key("versions");
  w.StartArray();
  for (const ParameterVersion& v : p.versions) {
    w.StartObject();
    w.Key("n");
    w.Int64(v.version);
    Str(w, "type", v.type);
    Str(w, "value", v.value);
    if (!v.key_id.empty()) Str(w, "key", v.key_id);
    if (!v.description.empty()) Str(w, "desc", v.description);
    if (!v.allowed_pattern.empty()) Str(w, "pattern", v.allowed_pattern);
    Str(w, "tier", v.tier);
    if (!v.policies.empty()) Str(w, "policies", v.policies);
    Str(w, "data_type", v.data_type);
    w.Key("date");
    w.Int64(v.modified_ms);
    Str(w, "user", v.modified_user);
    if (!v.labels.empty()) {
      w.Key("labels");
      w.StartArray();
      for (const std::string& l : v.labels)
        w.String(l.data(), static_cast<rapidjson::SizeType>(l.size()));
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("tags");
  w.StartArray();
  for (const auto& [k, v] : p.tags) {
    w.StartArray();
    w.String(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    w.EndArray();
  }
  w.EndArray();
  w.EndObject();
  engine::ResourceRecord record;
  record.name = std::string(NameKey(p.name));
  record.value.assign(buf.GetString(), buf.GetSize());
  return record;
}

Result<Parameter> DecodeParameter(const engine::ResourceRecord& record) {
  rapidjson::Document d;
  d.Parse(record.value.data(), record.value.size());
  if (d.HasParseError() || !d.IsObject() || GetInt(d, "v") != kFormat) return Corrupt();
  Parameter p;
  p.name = GetStr(d, "name");
  auto versions = d.FindMember("versions");
  if (versions == d.MemberEnd() || !versions->value.IsArray()) return Corrupt();
  for (const auto& o : versions->value.GetArray()) {
    if (!o.IsObject()) return Corrupt();
    ParameterVersion v;
    v.version = GetInt(o, "n");
    v.type = GetStr(o, "type");
    v.value = GetStr(o, "value");
    v.key_id = GetStr(o, "key");
    v.description = GetStr(o, "desc");
    v.allowed_pattern = GetStr(o, "pattern");
    v.tier = GetStr(o, "tier");
    v.policies = GetStr(o, "policies");
    v.data_type = GetStr(o, "data_type");
    v.modified_ms = GetInt(o, "date");
    v.modified_user = GetStr(o, "user");
    if (auto labels = o.FindMember("labels"); labels != o.MemberEnd()) {
      if (!labels->value.IsArray()) return Corrupt();
      for (const auto& l : labels->value.GetArray()) {
        if (!l.IsString()) return Corrupt();
        v.labels.emplace_back(l.GetString(), l.GetStringLength());
      }
    }
    p.versions.push_back(std::move(v));
  }
  if (auto tags = d.FindMember("tags"); tags != d.MemberEnd() && tags->value.IsArray()) {
    for (const auto& t : tags->value.GetArray()) {
      if (!t.IsArray() || t.Size() != 2 || !t[0].IsString() || !t[1].IsString()) return Corrupt();
      p.tags.emplace_back(std::string(t[0].GetString(), t[0].GetStringLength()),
                          std::string(t[1].GetString(), t[1].GetStringLength()));
    }
  }
  if (p.name.empty() || p.versions.empty()) return Corrupt();
  p.record_version = record.version;
  return p;
}

}  // namespace sluice::ssm
