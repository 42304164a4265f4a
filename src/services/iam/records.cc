#include "services/iam/records.h"

#include <rapidjson/document.h>

#include "common/json_record.h"

namespace sluice::iam {
namespace {

namespace jr = json_record;

void WriteTags(jr::Writer& w, const Tags& tags) {
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

Tags ReadTags(const rapidjson::Value& o) {
  Tags out;
  auto it = o.FindMember("tags");
  if (it == o.MemberEnd() || !it->value.IsArray()) return out;
  for (const auto& t : it->value.GetArray()) {
    if (t.IsArray() && t.Size() == 2 && t[0].IsString() && t[1].IsString()) {
      out.emplace_back(std::string(t[0].GetString(), t[0].GetStringLength()),
                       std::string(t[1].GetString(), t[1].GetStringLength()));
    }
  }
  return out;
}

void WriteList(jr::Writer& w, const char* key, const std::vector<std::string>& items) {
  w.Key(key);
  w.StartArray();
  for (const auto& s : items) w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  w.EndArray();
}

std::vector<std::string> ReadList(const rapidjson::Value& o, const char* key) {
  std::vector<std::string> out;
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || !it->value.IsArray()) return out;
  for (const auto& s : it->value.GetArray()) {
    if (s.IsString()) out.emplace_back(s.GetString(), s.GetStringLength());
  }
  return out;
}

}  // namespace

std::string EncodeEntity(const Entity& e) {
  rapidjson::StringBuffer buf;
  jr::Writer w(buf);
  w.StartObject();
  jr::Str(w, "name", e.name);
  jr::Str(w, "path", e.path);
  jr::Str(w, "id", e.id);
  w.Key("created");
  w.Int64(e.create_ms);
  WriteTags(w, e.tags);
  jr::StrMap(w, "inline", e.inline_policies);
  WriteList(w, "attached", e.attached);
  jr::Str(w, "boundary", e.boundary);
  WriteList(w, "groups", e.groups);
  jr::Str(w, "trust", e.trust);
  jr::Str(w, "description", e.description);
  w.Key("max_session");
  w.Int64(e.max_session);
  w.EndObject();
  return buf.GetString();
}

std::optional<Entity> DecodeEntity(EntityKind kind, std::string_view text) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  if (d.HasParseError() || !d.IsObject()) return std::nullopt;
  Entity e;
  e.kind = kind;
  e.name = jr::GetStr(d, "name");
  e.path = jr::GetStr(d, "path");
  e.id = jr::GetStr(d, "id");
  e.create_ms = jr::GetInt(d, "created");
  e.tags = ReadTags(d);
  e.inline_policies = jr::GetStrMap(d, "inline");
  e.attached = ReadList(d, "attached");
  e.boundary = jr::GetStr(d, "boundary");
  e.groups = ReadList(d, "groups");
  e.trust = jr::GetStr(d, "trust");
  e.description = jr::GetStr(d, "description");
  e.max_session = jr::GetInt(d, "max_session");
  if (e.name.empty() || e.path.empty()) return std::nullopt;
  return e;
}

std::string EncodePolicy(const ManagedPolicy& p) {
  rapidjson::StringBuffer buf;
  jr::Writer w(buf);
  w.StartObject();
  jr::Str(w, "name", p.name);
  jr::Str(w, "path", p.path);
  jr::Str(w, "id", p.id);
  jr::Str(w, "description", p.description);
  w.Key("created");
  w.Int64(p.create_ms);
  w.Key("updated");
  w.Int64(p.update_ms);
  jr::Str(w, "default", p.default_version);
  w.Key("next");
  w.Int64(p.next_version);
  w.Key("versions");
  w.StartArray();
  for (const auto& v : p.versions) {
    w.StartObject();
    jr::Str(w, "id", v.id);
    jr::Str(w, "document", v.document);
    w.Key("created");
    w.Int64(v.create_ms);
    w.EndObject();
  }
  w.EndArray();
  WriteTags(w, p.tags);
  w.EndObject();
  return buf.GetString();
}

std::optional<ManagedPolicy> DecodePolicy(std::string_view text) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  if (d.HasParseError() || !d.IsObject()) return std::nullopt;
  ManagedPolicy p;
  p.name = jr::GetStr(d, "name");
  p.path = jr::GetStr(d, "path");
  p.id = jr::GetStr(d, "id");
  p.description = jr::GetStr(d, "description");
  p.create_ms = jr::GetInt(d, "created");
  p.update_ms = jr::GetInt(d, "updated");
  p.default_version = jr::GetStr(d, "default");
  p.next_version = jr::GetInt(d, "next");
  const rapidjson::Value& root = d;  // const: clang finds the non-const iterators' != ambiguous
  if (auto it = root.FindMember("versions"); it != root.MemberEnd() && it->value.IsArray()) {
    for (const auto& v : it->value.GetArray()) {
      if (!v.IsObject()) continue;
      p.versions.push_back(
          {jr::GetStr(v, "id"), jr::GetStr(v, "document"), jr::GetInt(v, "created")});
    }
  }
  p.tags = ReadTags(d);
  if (p.name.empty() || p.versions.empty()) return std::nullopt;
  return p;
}

std::string EncodeKey(const KeyRecord& k) {
  rapidjson::StringBuffer buf;
  jr::Writer w(buf);
  w.StartObject();
  jr::Str(w, "user", k.user);
  w.Key("active");
  w.Bool(k.active);
  w.Key("created");
  w.Int64(k.create_ms);
  w.EndObject();
  return buf.GetString();
}

std::optional<KeyRecord> DecodeKey(std::string_view account, std::string_view id,
                                   std::string_view text, std::string_view secret) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  if (d.HasParseError() || !d.IsObject()) return std::nullopt;
  KeyRecord k;
  k.id = std::string(id);
  k.account = std::string(account);
  k.user = jr::GetStr(d, "user");
  k.active = jr::GetBool(d, "active");
  k.create_ms = jr::GetInt(d, "created");
  k.secret = std::string(secret);
  if (k.user.empty() || k.secret.empty()) return std::nullopt;
  return k;
}

}  // namespace sluice::iam
