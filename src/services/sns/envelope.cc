#include "services/sns/envelope.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include "common/encoding.h"

namespace sluice::sns {
namespace {

using Writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

void Str(Writer& w, const char* key, std::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void Line(std::string* out, std::string_view name, std::string_view value) {
  out->append(name).push_back('\n');
  out->append(value).push_back('\n');
}

}  // namespace

std::string StringToSign(const Envelope& e) {
  std::string s;
  s.reserve(e.message.size() + e.topic_arn.size() + 256);
  Line(&s, "Message", e.message);
  Line(&s, "MessageId", e.message_id);
  if (e.type == "Notification") {
    if (e.subject) Line(&s, "Subject", *e.subject);
    Line(&s, "Timestamp", e.timestamp);
    Line(&s, "TopicArn", e.topic_arn);
  } else {
    Line(&s, "SubscribeURL", e.subscribe_url);
    Line(&s, "Timestamp", e.timestamp);
    Line(&s, "Token", e.token);
    Line(&s, "TopicArn", e.topic_arn);
  }
  Line(&s, "Type", e.type);
  return s;
}

std::string EnvelopeJson(const Envelope& e) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.SetIndent(' ', 2);
  w.StartObject();
  Str(w, "Type", e.type);
  Str(w, "MessageId", e.message_id);
  if (e.sequence_number) Str(w, "SequenceNumber", *e.sequence_number);
  const bool notification = e.type == "Notification";
  if (!notification) Str(w, "Token", e.token);
  Str(w, "TopicArn", e.topic_arn);
  if (notification && e.subject) Str(w, "Subject", *e.subject);
  Str(w, "Message", e.message);
  if (!notification) Str(w, "SubscribeURL", e.subscribe_url);
  Str(w, "Timestamp", e.timestamp);
  if (!e.signature.empty()) {
    Str(w, "SignatureVersion", std::to_string(e.signature_version));
    Str(w, "Signature", e.signature);
    Str(w, "SigningCertURL", e.signing_cert_url);
  }
  if (notification) {
    Str(w, "UnsubscribeURL", e.unsubscribe_url);
    if (!e.attributes.empty()) {
      w.Key("MessageAttributes");
      w.StartObject();
      for (const FilterAttribute& a : e.attributes) {
        w.Key(a.name.data(), static_cast<rapidjson::SizeType>(a.name.size()));
        w.StartObject();
        Str(w, "Type", a.data_type);
        Str(w, "Value", a.data_type.rfind("Binary", 0) == 0 ? Base64Encode(a.value) : a.value);
        w.EndObject();
      }
      w.EndObject();
    }
  }
  w.EndObject();
  return buf.GetString();
}

}  // namespace sluice::sns
