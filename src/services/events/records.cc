#include "services/events/records.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/json_record.h"
#include "services/events/value_json.h"

namespace sluice::events {
namespace {

using namespace json_record;  // NOLINT(google-build-using-namespace)

void WriteTags(Writer& w, const Tags& tags) {
  w.Key("tags");
  w.StartArray();
  for (const auto& [k, v] : tags) {
    w.StartArray();
    w.String(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    w.EndArray();
  }
  w.EndArray();
}

Tags ReadTags(const rapidjson::Value& d) {
  Tags tags;
  auto it = d.FindMember("tags");
  if (it == d.MemberEnd() || !it->value.IsArray()) return tags;
  for (const auto& t : it->value.GetArray()) {
    if (!t.IsArray() || t.Size() != 2 || !t[0].IsString() || !t[1].IsString()) continue;
    tags.emplace_back(std::string(t[0].GetString(), t[0].GetStringLength()),
                      std::string(t[1].GetString(), t[1].GetStringLength()));
  }
  return tags;
}

Result<rapidjson::Document> Parse(const engine::ResourceRecord& record, const char* what) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(record.value.data(), record.value.size());
  if (d.HasParseError() || !d.IsObject()) {
    return Status(ErrorCode::kInternalError, fmt::format("a stored {} is unreadable", what));
  }
  return d;
}

}  // namespace

std::string BusArn(std::string_view region, std::string_view account, std::string_view bus) {
  return fmt::format("arn:aws:events:{}:{}:event-bus/{}", region, account, bus);
}

std::string RuleArn(std::string_view region, std::string_view account, std::string_view bus,
                    std::string_view rule) {
  if (bus == kDefaultBus) return fmt::format("arn:aws:events:{}:{}:rule/{}", region, account, rule);
  return fmt::format("arn:aws:events:{}:{}:rule/{}/{}", region, account, bus, rule);
}

std::optional<std::string> Target::Str(std::string_view member) const {
  auto v = value.GetString(member);
  if (!v) return std::nullopt;
  return std::string(*v);
}

std::optional<std::string> Target::Nested(std::string_view member, std::string_view field) const {
  const protocol::Value* s = value.Get(member);
  if (s == nullptr) return std::nullopt;
  auto v = s->GetString(field);
  if (!v) return std::nullopt;
  return std::string(*v);
}

std::int64_t Target::MaxRetries() const {
  const protocol::Value* p = value.Get("RetryPolicy");
  auto v = p != nullptr ? p->GetInt("MaximumRetryAttempts") : std::nullopt;
  return v.value_or(185);
}

std::int64_t Target::MaxAgeSeconds() const {
  const protocol::Value* p = value.Get("RetryPolicy");
  auto v = p != nullptr ? p->GetInt("MaximumEventAgeInSeconds") : std::nullopt;
  return v.value_or(86400);
}

std::string Target::DeadLetterArn() const { return Nested("DeadLetterConfig", "Arn").value_or(""); }

std::string EncodeBus(const Bus& b) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("v");
  w.Int(1);
  Str(w, "description", b.description);
  Str(w, "kms_key", b.kms_key);
  Str(w, "dlq", b.dlq_arn);
  Str(w, "policy", b.policy);
  w.Key("created_ms");
  w.Int64(b.created_ms);
  w.Key("modified_ms");
  w.Int64(b.modified_ms);
  WriteTags(w, b.tags);
  w.EndObject();
  return buf.GetString();
}

Result<Bus> DecodeBus(const engine::ResourceScope& scope, const engine::ResourceRecord& record) {
  auto d = Parse(record, "event bus");
  if (!d.ok()) return d.status();
  Bus b;
  b.scope = scope;
  b.name = record.name;
  b.description = GetStr(*d, "description");
  b.kms_key = GetStr(*d, "kms_key");
  b.dlq_arn = GetStr(*d, "dlq");
  b.policy = GetStr(*d, "policy");
  b.created_ms = GetInt(*d, "created_ms");
  b.modified_ms = GetInt(*d, "modified_ms");
  b.tags = ReadTags(*d);
  b.version = record.version;
  return b;
}

std::string EncodeRule(const Rule& r) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("v");
  w.Int(1);
  Str(w, "bus", r.bus);
  Str(w, "name", r.name);
  Str(w, "pattern", r.pattern);
  Str(w, "schedule", r.schedule);
  Str(w, "state", r.state);
  Str(w, "description", r.description);
  Str(w, "role_arn", r.role_arn);
  Str(w, "managed_by", r.managed_by);
  Str(w, "created_by", r.created_by);
  w.Key("created_ms");
  w.Int64(r.created_ms);
  WriteTags(w, r.tags);
  w.Key("targets");
  w.StartArray();
  for (const Target& t : r.targets) {
    const std::string json = ValueToJson(t.value);
    w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
  }
  w.EndArray();
  w.EndObject();
  return buf.GetString();
}

Result<Rule> DecodeRule(const engine::ResourceScope& scope, const engine::ResourceRecord& record) {
  auto d = Parse(record, "rule");
  if (!d.ok()) return d.status();
  Rule r;
  r.scope = scope;
  r.bus = GetStr(*d, "bus");
  r.name = GetStr(*d, "name");
  r.pattern = GetStr(*d, "pattern");
  r.schedule = GetStr(*d, "schedule");
  r.state = GetStr(*d, "state");
  r.description = GetStr(*d, "description");
  r.role_arn = GetStr(*d, "role_arn");
  r.managed_by = GetStr(*d, "managed_by");
  r.created_by = GetStr(*d, "created_by");
  r.created_ms = GetInt(*d, "created_ms");
  r.tags = ReadTags(*d);
  if (auto it = d->FindMember("targets"); it != d->MemberEnd() && it->value.IsArray()) {
    for (const auto& t : it->value.GetArray()) {
      if (!t.IsObject()) continue;
      Target target;
      target.value = JsonToValue(t);
      target.id = target.Str("Id").value_or("");
      target.arn = target.Str("Arn").value_or("");
      r.targets.push_back(std::move(target));
    }
  }
  r.version = record.version;
  return r;
}

}  // namespace sluice::events
