#include "services/sns/records.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/json_record.h"
#include "services/sns/arn.h"

namespace sluice::sns {
namespace {

using namespace json_record;  // NOLINT(google-build-using-namespace)

Status Corrupt(std::string_view what) {
  return Status(ErrorCode::kInternalError,
                std::string("a stored SNS ") + std::string(what) + " is unreadable");
}

const std::string kEmpty;

}  // namespace

std::string Topic::Arn() const { return sns::TopicArn(region, account, name); }

bool Topic::fifo() const { return Attribute("FifoTopic") == "true"; }

const std::string& Topic::Attribute(const std::string& key) const {
  auto it = attributes.find(key);
  return it == attributes.end() ? kEmpty : it->second;
}

bool Topic::content_based_dedup() const { return Attribute("ContentBasedDeduplication") == "true"; }

int Topic::signature_version() const { return Attribute("SignatureVersion") == "2" ? 2 : 1; }

std::string Subscription::TopicArn() const {
  return sns::TopicArn(topic_region, topic_account, topic_name);
}

std::string Subscription::Arn() const { return TopicArn() + ":" + id; }

const std::string& Subscription::Attribute(const std::string& key) const {
  auto it = attributes.find(key);
  return it == attributes.end() ? kEmpty : it->second;
}

engine::ResourceRecord EncodeTopic(const Topic& topic) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("v");
  w.Int(1);
  Str(w, "name", topic.name);
  StrMap(w, "attributes", topic.attributes);
  w.Key("tags");
  w.StartArray();
  for (const auto& [k, v] : topic.tags) {
    w.StartArray();
    w.String(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    w.EndArray();
  }
  w.EndArray();
  Str(w, "data_protection_policy", topic.data_protection_policy);
  w.Key("subscriptions_deleted");
  w.Int64(topic.subscriptions_deleted);
  w.Key("created_ms");
  w.Int64(topic.created_ms);
  w.EndObject();
  engine::ResourceRecord r;
  r.name = topic.name;
  r.value = buf.GetString();
  return r;
}

Result<Topic> DecodeTopic(const engine::ResourceScope& scope,
                          const engine::ResourceRecord& record) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(record.value.data(), record.value.size());
  if (d.HasParseError() || !d.IsObject()) return Corrupt("topic");
  Topic t;
  t.name = GetStr(d, "name");
  t.account = scope.account;
  t.region = scope.region;
  t.attributes = GetStrMap(d, "attributes");
  if (auto it = d.FindMember("tags"); it != d.MemberEnd() && it->value.IsArray()) {
    for (const auto& pair : it->value.GetArray()) {
      if (!pair.IsArray() || pair.Size() != 2 || !pair[0].IsString() || !pair[1].IsString()) {
        return Corrupt("topic");
      }
      t.tags.emplace_back(std::string(pair[0].GetString(), pair[0].GetStringLength()),
                          std::string(pair[1].GetString(), pair[1].GetStringLength()));
    }
  }
  t.data_protection_policy = GetStr(d, "data_protection_policy");
  t.subscriptions_deleted = GetInt(d, "subscriptions_deleted");
  t.created_ms = GetInt(d, "created_ms");
  t.version = record.version;
  if (t.name.empty()) return Corrupt("topic");
  return t;
}

engine::ResourceRecord EncodeSubscription(const Subscription& s) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("v");
  w.Int(1);
  Str(w, "id", s.id);
  Str(w, "topic", s.topic_name);
  Str(w, "owner", s.owner);
  Str(w, "protocol", s.protocol);
  Str(w, "endpoint", s.endpoint);
  StrMap(w, "attributes", s.attributes);
  w.Key("pending");
  w.Bool(s.pending);
  w.Key("authenticated");
  w.Bool(s.confirmation_authenticated);
  Str(w, "token", s.token);
  w.Key("token_expires_ms");
  w.Int64(s.token_expires_ms);
  w.Key("created_ms");
  w.Int64(s.created_ms);
  w.EndObject();
  engine::ResourceRecord r;
  r.name = s.Key();
  r.value = buf.GetString();
  return r;
}

Result<Subscription> DecodeSubscription(const engine::ResourceScope& scope,
                                        const engine::ResourceRecord& record) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(record.value.data(), record.value.size());
  if (d.HasParseError() || !d.IsObject()) return Corrupt("subscription");
  Subscription s;
  s.id = GetStr(d, "id");
  s.topic_name = GetStr(d, "topic");
  s.topic_account = scope.account;
  s.topic_region = scope.region;
  s.owner = GetStr(d, "owner");
  s.protocol = GetStr(d, "protocol");
  s.endpoint = GetStr(d, "endpoint");
  s.attributes = GetStrMap(d, "attributes");
  s.pending = GetBool(d, "pending");
  s.confirmation_authenticated = GetBool(d, "authenticated");
  s.token = GetStr(d, "token");
  s.token_expires_ms = GetInt(d, "token_expires_ms");
  s.created_ms = GetInt(d, "created_ms");
  s.version = record.version;
  if (s.id.empty() || s.topic_name.empty()) return Corrupt("subscription");
  return s;
}

}  // namespace sluice::sns
