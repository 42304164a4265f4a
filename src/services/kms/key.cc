#include "services/kms/key.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/json_record.h"

namespace sluice::kms {
namespace {

using namespace json_record;  // NOLINT(google-build-using-namespace)

void PutBe32(std::string* out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out->push_back(static_cast<char>((v >> s) & 0xFF));
}

std::uint32_t GetBe32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

Status Corrupt(std::string_view what) {
  return Status(ErrorCode::kInternalError, fmt::format("a stored KMS {} is unreadable", what));
}

}  // namespace

std::string KeyArn(std::string_view region, std::string_view account, std::string_view key_id) {
  return fmt::format("arn:aws:kms:{}:{}:key/{}", region, account, key_id);
}

std::string AliasArn(std::string_view region, std::string_view account, std::string_view name) {
  return fmt::format("arn:aws:kms:{}:{}:{}", region, account, name);
}

std::string Key::Arn() const { return KeyArn(region, account, id); }

const Material* Key::FindMaterial(std::uint32_t material_id) const {
  for (const Material& m : materials) {
    if (m.id == material_id) return &m;
  }
  return nullptr;
}

engine::ResourceRecord EncodeKey(const Key& key) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("v");
  w.Int(1);
  Str(w, "id", key.id);
  w.Key("created");
  w.Int64(key.created_ms);
  Str(w, "description", key.description);
  Str(w, "usage", key.usage);
  Str(w, "spec", key.spec);
  Str(w, "state", key.state);
  w.Key("deletion");
  w.Int64(key.deletion_ms);
  w.Key("window");
  w.Int(key.pending_window_days);
  w.Key("aws_managed");
  w.Bool(key.aws_managed);
  Str(w, "policy", key.policy);
  w.Key("rotation");
  w.Bool(key.rotation_enabled);
  w.Key("rotation_days");
  w.Int(key.rotation_period_days);
  w.Key("next_rotation");
  w.Int64(key.next_rotation_ms);
  w.Key("rotations");
  w.StartArray();
  for (const Rotation& r : key.rotations) {
    w.StartObject();
    w.Key("material");
    w.Uint(r.material);
    w.Key("date");
    w.Int64(r.date_ms);
    w.Key("on_demand");
    w.Bool(r.on_demand);
    w.EndObject();
  }
  w.EndArray();
  w.Key("tags");
  w.StartArray();
  for (const auto& [k, v] : key.tags) {
    w.StartArray();
    w.String(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    w.EndArray();
  }
  w.EndArray();
  w.EndObject();
  engine::ResourceRecord record;
  record.name = key.id;
  record.value.assign(buf.GetString(), buf.GetSize());
  // Secret: (BE32 material id, BE32 length, bytes) per version, oldest first.
  for (const Material& m : key.materials) {
    PutBe32(&record.secret, m.id);
    PutBe32(&record.secret, static_cast<std::uint32_t>(m.bytes.size()));
    record.secret += m.bytes;
  }
  return record;
}

Result<Key> DecodeKey(const engine::ResourceScope& scope, const engine::ResourceRecord& record) {
  rapidjson::Document d;
  d.Parse(record.value.data(), record.value.size());
  if (d.HasParseError() || !d.IsObject() || GetInt(d, "v") != 1) return Corrupt("key");
  Key key;
  key.id = GetStr(d, "id");
  key.account = scope.account;
  key.region = scope.region;
  key.created_ms = GetInt(d, "created");
  key.description = GetStr(d, "description");
  key.usage = GetStr(d, "usage");
  key.spec = GetStr(d, "spec");
  key.state = GetStr(d, "state");
  key.deletion_ms = GetInt(d, "deletion");
  key.pending_window_days = static_cast<int>(GetInt(d, "window"));
  key.aws_managed = GetBool(d, "aws_managed");
  key.policy = GetStr(d, "policy");
  key.rotation_enabled = GetBool(d, "rotation");
  key.rotation_period_days = static_cast<int>(GetInt(d, "rotation_days"));
  key.next_rotation_ms = GetInt(d, "next_rotation");
  if (auto it = d.FindMember("rotations"); it != d.MemberEnd() && it->value.IsArray()) {
    for (const auto& r : it->value.GetArray()) {
      if (!r.IsObject()) return Corrupt("key");
      key.rotations.push_back(Rotation{static_cast<std::uint32_t>(GetInt(r, "material")),
                                       GetInt(r, "date"), GetBool(r, "on_demand")});
    }
  }
  if (auto it = d.FindMember("tags"); it != d.MemberEnd() && it->value.IsArray()) {
    for (const auto& t : it->value.GetArray()) {
      if (!t.IsArray() || t.Size() != 2 || !t[0].IsString() || !t[1].IsString()) {
        return Corrupt("key");
      }
      key.tags.emplace_back(std::string(t[0].GetString(), t[0].GetStringLength()),
                            std::string(t[1].GetString(), t[1].GetStringLength()));
    }
  }
  std::string_view s = record.secret;
  while (!s.empty()) {
    if (s.size() < 8) return Corrupt("key material");
    const std::uint32_t id = GetBe32(s.data());
    const std::uint32_t len = GetBe32(s.data() + 4);
    if (s.size() < 8 + std::size_t{len}) return Corrupt("key material");
    key.materials.push_back(Material{id, std::string(s.substr(8, len))});
    s.remove_prefix(8 + std::size_t{len});
  }
  if (key.id.empty() || key.materials.empty()) return Corrupt("key");
  key.version = record.version;
  return key;
}

engine::ResourceRecord EncodeAlias(const Alias& alias) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("v");
  w.Int(1);
  Str(w, "target", alias.target_key_id);
  w.Key("created");
  w.Int64(alias.created_ms);
  w.Key("updated");
  w.Int64(alias.updated_ms);
  w.EndObject();
  engine::ResourceRecord record;
  record.name = alias.name;
  record.value.assign(buf.GetString(), buf.GetSize());
  return record;
}

Result<Alias> DecodeAlias(const engine::ResourceRecord& record) {
  rapidjson::Document d;
  d.Parse(record.value.data(), record.value.size());
  if (d.HasParseError() || !d.IsObject() || GetInt(d, "v") != 1) return Corrupt("alias");
  Alias alias;
  alias.name = record.name;
  alias.target_key_id = GetStr(d, "target");
  alias.created_ms = GetInt(d, "created");
  alias.updated_ms = GetInt(d, "updated");
  alias.version = record.version;
  return alias;
}

}  // namespace sluice::kms
