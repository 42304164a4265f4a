#include "services/sns/outbox.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/encoding.h"
#include "common/json_record.h"
#include "services/sns/arn.h"

namespace sluice::sns {
namespace {

using namespace json_record;  // NOLINT(google-build-using-namespace)

bool IsBinary(const FilterAttribute& a) { return a.data_type.rfind("Binary", 0) == 0; }

std::string Encode(const DeliveryTask& t) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("v");
  w.Int(1);
  Str(w, "type", t.type);
  Str(w, "topic", t.topic_name);
  Str(w, "subscription", t.subscription_id);
  Str(w, "protocol", t.protocol);
  Str(w, "endpoint", t.endpoint);
  w.Key("raw");
  w.Bool(t.raw);
  Str(w, "message_id", t.message_id);
  OptStr(w, "subject", t.subject);
  Str(w, "timestamp", t.timestamp);
  OptStr(w, "sequence_number", t.sequence_number);
  Str(w, "token", t.token);
  Str(w, "subscribe_url", t.subscribe_url);
  Str(w, "unsubscribe_url", t.unsubscribe_url);
  Str(w, "signing_cert_url", t.signing_cert_url);
  w.Key("signature_version");
  w.Int(t.signature_version);
  w.Key("attributes");
  w.StartArray();
  for (const FilterAttribute& a : t.attributes) {
    w.StartArray();
    w.String(a.name.data(), static_cast<rapidjson::SizeType>(a.name.size()));
    w.String(a.data_type.data(), static_cast<rapidjson::SizeType>(a.data_type.size()));
    // Binary values are raw bytes: base64 in the record.
    const std::string value = IsBinary(a) ? Base64Encode(a.value) : a.value;
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    w.EndArray();
  }
  w.EndArray();
  OptStr(w, "group_id", t.group_id);
  OptStr(w, "dedup_id", t.dedup_id);
  w.Key("attempts");
  w.Int(t.attempts);
  w.Key("next_ms");
  w.Int64(t.next_ms);
  if (!t.owner.empty()) Str(w, "owner", t.owner);
  w.EndObject();
  return buf.GetString();
}

}  // namespace

Result<DeliveryTask> Outbox::Decode(const engine::ResourceScope& scope,
                                    const engine::ResourceRecord& record) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(record.value.data(), record.value.size());
  if (d.HasParseError() || !d.IsObject()) {
    return Status(ErrorCode::kInternalError, "a stored SNS delivery is unreadable");
  }
  DeliveryTask t;
  t.id = record.name;
  t.scope = scope;
  t.type = GetStr(d, "type");
  t.topic_name = GetStr(d, "topic");
  t.subscription_id = GetStr(d, "subscription");
  t.protocol = GetStr(d, "protocol");
  t.endpoint = GetStr(d, "endpoint");
  if (auto it = d.FindMember("raw"); it != d.MemberEnd() && it->value.IsBool()) {
    t.raw = it->value.GetBool();
  }
  t.message_id = GetStr(d, "message_id");
  t.message = record.secret;
  t.subject = GetOptStr(d, "subject");
  t.timestamp = GetStr(d, "timestamp");
  t.sequence_number = GetOptStr(d, "sequence_number");
  t.token = GetStr(d, "token");
  t.subscribe_url = GetStr(d, "subscribe_url");
  t.unsubscribe_url = GetStr(d, "unsubscribe_url");
  t.signing_cert_url = GetStr(d, "signing_cert_url");
  t.signature_version = static_cast<int>(GetInt(d, "signature_version"));
  if (auto it = d.FindMember("attributes"); it != d.MemberEnd() && it->value.IsArray()) {
    for (const auto& a : it->value.GetArray()) {
      if (!a.IsArray() || a.Size() != 3 || !a[0].IsString() || !a[1].IsString() ||
          !a[2].IsString()) {
        continue;
      }
      FilterAttribute attribute{std::string(a[0].GetString(), a[0].GetStringLength()),
                                std::string(a[1].GetString(), a[1].GetStringLength()),
                                std::string(a[2].GetString(), a[2].GetStringLength())};
      if (IsBinary(attribute)) {
        auto bytes = Base64Decode(attribute.value);
        if (!bytes) continue;
        attribute.value = std::move(*bytes);
      }
      t.attributes.push_back(std::move(attribute));
    }
  }
  t.group_id = GetOptStr(d, "group_id");
  t.dedup_id = GetOptStr(d, "dedup_id");
  t.attempts = static_cast<int>(GetInt(d, "attempts"));
  t.next_ms = GetInt(d, "next_ms");
  t.version = record.version;
  t.owner = GetStr(d, "owner");
  return t;
}

std::string Outbox::OwnerOf(const engine::ResourceRecord& record) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(record.value.data(), record.value.size());
  if (d.HasParseError() || !d.IsObject()) return {};
  return GetStr(d, "owner");
}

std::string Outbox::WithOwner(const engine::ResourceRecord& record, const std::string& owner) {
  engine::ResourceScope none;
  auto task = Decode(none, record);
  if (!task.ok()) return record.value;
  task->owner = owner;
  return Encode(*task);
}

std::string DeliveryTask::SubscriptionArn() const {
  return TopicArn(scope.region, scope.account, topic_name) + ":" + subscription_id;
}

Status Outbox::Add(DeliveryTask& task) {
  auto v = store_.Put(kDeliveryKind, task.scope, task.id, Encode(task), task.message, 0);
  if (!v.ok()) return v.status();
  task.version = *v;
  return Status::Ok();
}

Status Outbox::Update(DeliveryTask& task) {
  auto v = store_.Put(kDeliveryKind, task.scope, task.id, Encode(task), task.message, task.version);
  if (!v.ok()) return v.status();
  task.version = *v;
  return Status::Ok();
}

Status Outbox::Remove(const DeliveryTask& task) {
  Status st = store_.Delete(kDeliveryKind, task.scope, task.id, task.version);
  if (st.code() == engine::ResourceError::kNotFound ||
      st.code() == engine::ResourceError::kConflict) {
    return Status::Ok();
  }
  return st;
}

Result<std::vector<DeliveryTask>> Outbox::LoadAll() const {
  std::vector<DeliveryTask> out;
  auto scopes = store_.Scopes(kDeliveryKind);
  if (!scopes.ok()) return scopes.status();
  for (const engine::ResourceScope& scope : *scopes) {
    auto records = store_.List(kDeliveryKind, scope, {});
    if (!records.ok()) return records.status();
    for (const engine::ResourceRecord& r : *records) {
      auto task = Decode(scope, r);
      if (!task.ok()) return task.status();
      out.push_back(std::move(*task));
    }
  }
  return out;
}

}  // namespace sluice::sns
