// Publish and PublishBatch: the message rules (sns-semantics.md §5), FIFO sequence numbers and
// deduplication, the topic's KMS key, the choice of subscriptions (filter.h), then Delivery.
#include <fmt/format.h>
#include <rapidjson/document.h>
#include <strings.h>

#include <algorithm>
#include <memory>
#include <set>

#include "common/encoding.h"
#include "common/ids.h"
#include "protocol/errors.h"
#include "services/kms/errors.h"
#include "services/kms/keys.h"
#include "services/sns/arn.h"
#include "services/sns/handlers.h"
#include "services/sqs/validation.h"

namespace sluice::sns {
namespace {

constexpr std::size_t kMaxMessageBytes = 262'144;
constexpr std::size_t kMaxBatchEntries = 10;
constexpr std::size_t kMaxAttributes = 10;
constexpr Millis kDedupWindowMs = 5 * 60 * 1000;

Status ValueInvalid(std::string message) {
  return Status(SnsError::kParameterValueInvalid, std::move(message));
}

bool IsValidSubject(std::string_view s) {
  if (s.empty() || s.size() >= 100) return false;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7F) return false;
  }
  return true;
}

// A String.Array value: a JSON array of strings, numbers, booleans and nulls.
bool IsStringArray(std::string_view text) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  if (d.HasParseError() || !d.IsArray()) return false;
  for (const auto& v : d.GetArray()) {
    if (v.IsObject() || v.IsArray()) return false;
  }
  return true;
}

Result<std::vector<FilterAttribute>> ParseAttributes(const Value* map, std::size_t* size) {
  std::vector<FilterAttribute> out;
  if (map == nullptr) return out;
  if (map->entries().size() > kMaxAttributes) {
    return ValueInvalid(
        fmt::format("Number of message attributes [{}] exceeds the allowed maximum [{}].",
                    map->entries().size(), kMaxAttributes));
  }
  for (const auto& [name, v] : map->entries()) {
    if (!sqs::IsValidAttributeName(name)) {
      return ValueInvalid(fmt::format("The message attribute name '{}' is invalid.", name));
    }
    const bool reserved = (name.size() >= 4 && strncasecmp(name.c_str(), "AWS.", 4) == 0 &&
                           name.rfind("AWS.SNS.", 0) != 0 && name.rfind("AWS.MM.", 0) != 0) ||
                          (name.size() >= 7 && strncasecmp(name.c_str(), "Amazon.", 7) == 0);
    if (reserved) {
      return ValueInvalid(
          fmt::format("The message attribute name '{}' uses a reserved prefix.", name));
    }
    FilterAttribute a;
    a.name = name;
    a.data_type = StringOf(v, "DataType");
    if (a.data_type.empty()) {
      return ValueInvalid(fmt::format(
          "The message attribute '{}' must contain non-empty message attribute type.", name));
    }
    const std::string base = a.data_type.substr(0, a.data_type.find('.'));
    if (base != "String" && base != "Number" && base != "Binary") {
      return ValueInvalid(fmt::format(
          "The message attribute '{}' has an invalid message attribute type, the set of "
          "supported type prefixes is Binary, Number, and String.",
          name));
    }
    auto string_value = v.GetString("StringValue");
    const Value* binary = v.Get("BinaryValue");
    if (base == "Binary") {
      if (binary == nullptr || binary->as_string().empty()) {
        return ValueInvalid(fmt::format(
            "The message attribute '{}' must contain non-empty message attribute value for "
            "message attribute type '{}'.",
            name, a.data_type));
      }
      a.value = binary->as_string();
    } else {
      if (!string_value || string_value->empty()) {
        return ValueInvalid(fmt::format(
            "The message attribute '{}' must contain non-empty message attribute value for "
            "message attribute type '{}'.",
            name, a.data_type));
      }
      a.value = std::string(*string_value);
      if (base == "Number" && !sqs::IsValidNumber(a.value)) {
        return ValueInvalid(
            fmt::format("Could not cast message attribute '{}' value to number.", name));
      }
      if (a.data_type == "String.Array" && !IsStringArray(a.value)) {
        return ValueInvalid(fmt::format(
            "The message attribute '{}' with type 'String.Array' has an invalid value: it must "
            "be a JSON array.",
            name));
      }
    }
    *size += a.name.size() + a.data_type.size() + a.value.size();
    out.push_back(std::move(a));
  }
  std::sort(out.begin(), out.end(),
            [](const FilterAttribute& x, const FilterAttribute& y) { return x.name < y.name; });
  return out;
}

// One message's members (Publish's input, or a batch entry) validated into a PublishedMessage.
Result<PublishedMessage> ParseMessage(const Value& in, const Topic& topic, std::size_t* size) {
  PublishedMessage m;
  m.message = StringOf(in, "Message");
  if (m.message.empty()) return InvalidParameter("Empty message");
  if (!IsValidUtf8(m.message)) return InvalidParameter("Message Reason: Invalid UTF-8");
  if (auto subject = in.GetString("Subject")) {
    if (!IsValidSubject(*subject)) return InvalidParameter("Subject");
    m.subject = std::string(*subject);
  }
  if (auto structure = in.GetString("MessageStructure")) {
    if (*structure != "json") return InvalidParameter("MessageStructure");
    rapidjson::Document d;
    d.Parse<rapidjson::kParseIterativeFlag>(m.message.data(), m.message.size());
    if (d.HasParseError() || !d.IsObject()) {
      return InvalidParameter("Message Structure - JSON message body failed to parse");
    }
    for (const auto& member : d.GetObject()) {
      if (!member.value.IsString()) continue;
      m.per_protocol.emplace(std::string(member.name.GetString(), member.name.GetStringLength()),
                             std::string(member.value.GetString(), member.value.GetStringLength()));
    }
    if (m.per_protocol.count("default") == 0) {
      return InvalidParameter("Message Structure - No default entry in JSON message body");
    }
  }
  std::size_t bytes = m.message.size();
  auto attributes = ParseAttributes(in.Get("MessageAttributes"), &bytes);
  if (!attributes.ok()) return attributes.status();
  m.attributes = std::move(*attributes);
  if (bytes > kMaxMessageBytes) return InvalidParameter("Message too long");
  *size = bytes;
  m.size = bytes;
  auto group = in.GetString("MessageGroupId");
  auto dedup = in.GetString("MessageDeduplicationId");
  if (topic.fifo()) {
    if (!group || group->empty()) {
      return InvalidParameter("The MessageGroupId parameter is required for FIFO topics");
    }
    if ((!dedup || dedup->empty()) && !topic.content_based_dedup()) {
      return InvalidParameter(
          "The topic should either have ContentBasedDeduplication enabled or "
          "MessageDeduplicationId provided explicitly");
    }
  } else if (dedup) {
    return InvalidParameter(
        "MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter "
        "that is not valid for this topic type");
  }
  if (group) {
    if (!sqs::IsValidFifoToken(*group)) {
      return InvalidParameter("MessageGroupId Reason: Invalid characters or length");
    }
    m.group_id = std::string(*group);
  }
  if (dedup) {
    if (!sqs::IsValidFifoToken(*dedup)) {
      return InvalidParameter("MessageDeduplicationId Reason: Invalid characters or length");
    }
    m.dedup_id = std::string(*dedup);
  }
  return m;
}

// The topic's KMS key, when it has one, must be usable for the publisher (SNS's KMS errors).
Status CheckTopicKey(const Sns& sns, const RequestContext& ctx, const Topic& topic) {
  const std::string& key_id = topic.Attribute("KmsMasterKeyId");
  if (key_id.empty() || sns.platform.keys == nullptr) return Status::Ok();
  auto wrap = [&](const Status& st) {
    const ErrorType* sns_error = &SnsError::kKmsNotFound;
    if (st.code() == kms::KmsError::kDisabled) {
      sns_error = &SnsError::kKmsDisabled;
    } else if (st.code() == kms::KmsError::kInvalidState) {
      sns_error = &SnsError::kKmsInvalidState;
    } else if (st.code() == ErrorCode::kAccessDenied) {
      sns_error = &SnsError::kKmsAccessDenied;
    }
    const ErrorType& type =
        st.type() != nullptr ? *st.type() : protocol::CommonErrorType(st.code().common());
    const std::string_view code = type.json_name.empty() ? type.code : type.json_name;
    return Status(*sns_error,
                  fmt::format("{} (Service: AWSKMS; Status Code: 400; Error Code: {}; Request ID: "
                              "{}; Proxy: null)",
                              st.message(), code, NewUuid()));
  };
  const engine::ResourceScope scope{topic.account, topic.region};
  auto key = sns.platform.keys->Find(scope, key_id);
  if (!key.ok()) return wrap(key.status());
  // AWS: the publisher needs kms:GenerateDataKey* and kms:Decrypt on the topic's key.
  for (std::string_view action : {"kms:GenerateDataKey", "kms:Decrypt"}) {
    if (Status st = kms::AuthorizeKeyUse(sns.platform.auth, ctx, action, *key, true, "sns");
        !st.ok()) {
      return wrap(st);
    }
  }
  if (Status st = kms::Keys::Usable(*key, "GenerateDataKey"); !st.ok()) return wrap(st);
  return Status::Ok();
}

// The subscriptions each message reaches: confirmed ones whose filter matches, found through the
// topic's index (subscription_index.h).
Result<std::vector<Target>> Targets(const Sns& sns, const Topic& topic,
                                    const std::vector<PublishedMessage>& messages) {
  std::vector<SubscriptionIndex::MessageView> views;
  views.reserve(messages.size());
  for (const PublishedMessage& m : messages) views.push_back({&m.attributes, m.message});
  FilterCounts counts;
  const std::uint64_t remote = sns.platform.resources->RemoteChanges(kSubscriptionKind);
  auto hits = sns.index->Match(
      topic.account, topic.region, topic.name, [&] { return ListTopicSubscriptions(sns, topic); },
      views, nullptr, &counts, remote);
  if (!hits.ok()) return hits.status();
  if (sns.options.meter != nullptr) {
    sns.options.meter->Filtered({topic.account, topic.region, topic.name}, counts);
  }
  std::vector<Target> targets;
  targets.reserve(hits->size());
  for (SubscriptionIndex::Hit& h : *hits) {
    targets.push_back(Target{*h.subscription, std::move(h.messages)});
  }
  return targets;
}

std::string SequenceText(std::uint64_t n) { return fmt::format("{:020d}", n); }

struct Accepted {
  std::vector<PublishedMessage> messages;  // to deliver
  // Per input message: its MessageId and SequenceNumber (duplicates get the original's).
  std::vector<std::pair<std::string, std::string>> ids;
};

// Assigns ids (and for FIFO topics sequence numbers, dropping duplicates within the window).
// FIFO callers hold state->mu.
Accepted Accept(const Sns& sns, const Topic& topic, std::vector<PublishedMessage> in,
                FifoTopicState* state) {
  Accepted out;
  const Millis now = sns.platform.clock->NowMs();
  for (PublishedMessage& m : in) {
    m.timestamp_ms = now;
    m.message_id = NewUuid();
    if (state == nullptr) {
      out.ids.emplace_back(m.message_id, "");
      out.messages.push_back(std::move(m));
      continue;
    }
    while (!state->expiry.empty() && state->expiry.front().first <= now) {
      auto it = state->dedup.find(state->expiry.front().second);
      if (it != state->dedup.end() && it->second.expires_ms <= now) state->dedup.erase(it);
      state->expiry.pop_front();
    }
    if (!m.dedup_id) m.dedup_id = Sha256Hex(m.message);  // content-based deduplication
    std::string key = *m.dedup_id;
    if (topic.Attribute("FifoThroughputScope") == "MessageGroup") {
      key = m.group_id.value_or("") + "\n" + key;
    }
    if (auto it = state->dedup.find(key); it != state->dedup.end()) {
      out.ids.emplace_back(it->second.message_id, it->second.sequence_number);
      continue;
    }
    // Sequence numbers grow with time, so they keep growing across restarts.
    const std::uint64_t floor = static_cast<std::uint64_t>(now) * 1'000'000;
    state->last_sequence = std::max(state->last_sequence + 1, floor);
    m.sequence_number = SequenceText(state->last_sequence);
    state->dedup[key] = {m.message_id, *m.sequence_number, now + kDedupWindowMs};
    state->expiry.emplace_back(now + kDedupWindowMs, key);
    out.ids.emplace_back(m.message_id, *m.sequence_number);
    out.messages.push_back(std::move(m));
  }
  return out;
}

// Accepts and delivers `messages` of `topic`; `done` gets the ids once deliveries are durable.
void PublishMessages(const Sns& sns, const RequestContext& ctx, const Topic& topic,
                     std::vector<PublishedMessage> messages,
                     std::function<void(Result<Accepted>)> done) {
  if (sns.options.meter != nullptr) {
    // NumberOfMessagesPublished and PublishSize, once the publish is answered with success.
    std::vector<std::size_t> sizes;
    sizes.reserve(messages.size());
    for (const PublishedMessage& m : messages) sizes.push_back(m.size);
    done = [meter = sns.options.meter, ref = MeteredTopic{topic.account, topic.region, topic.name},
            sizes = std::move(sizes), done = std::move(done)](Result<Accepted> accepted) {
      if (accepted.ok()) {
        for (std::size_t bytes : sizes) meter->Published(ref, bytes);
      }
      done(std::move(accepted));
    };
  }
  std::shared_ptr<FifoTopicState> state = topic.fifo() ? sns.fifo->Get(topic.Arn()) : nullptr;
  std::unique_lock<std::mutex> lock;
  if (state) lock = std::unique_lock(state->mu);
  auto accepted = std::make_shared<Accepted>(Accept(sns, topic, std::move(messages), state.get()));
  if (accepted->messages.empty()) {
    lock = {};
    return done(std::move(*accepted));
  }
  auto to_deliver =
      std::make_shared<const std::vector<PublishedMessage>>(std::move(accepted->messages));
  auto targets = Targets(sns, topic, *to_deliver);
  if (!targets.ok()) {
    lock = {};
    return done(targets.status());
  }
  sns.delivery.Publish(topic, BaseUrl(sns, ctx), to_deliver, std::move(*targets),
                       [accepted, done](Status st) {
                         if (!st.ok()) return done(st);
                         done(std::move(*accepted));
                       });
}

bool IsPhoneTarget(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  return s.size() >= 8 && s.size() <= 15 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

Status PublishToEndpoint(const Sns& sns, const RequestContext& ctx, std::string_view arn);

void Publish(const Sns& sns, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string topic_arn = StringOf(input, "TopicArn");
  const std::string target_arn = StringOf(input, "TargetArn");
  const std::string phone = StringOf(input, "PhoneNumber");
  const int given = !topic_arn.empty() + !target_arn.empty() + !phone.empty();
  if (given == 0) {
    return reply(InvalidParameter("TopicArn or TargetArn Reason: no value for required parameter"));
  }
  if (given > 1) {
    return reply(InvalidParameter(
        "TopicArn or TargetArn Reason: Only one of TopicArn, TargetArn or PhoneNumber may be "
        "set"));
  }
  if (!phone.empty() || (!target_arn.empty() && !ParseTopicArn(target_arn))) {
    // SMS and mobile push: nothing in this server can deliver them; accepted as AWS accepts
    // them (docs/sns.md).
    if (StringOf(input, "Message").empty()) return reply(InvalidParameter("Empty message"));
    if (!phone.empty()) {
      if (!IsPhoneTarget(phone)) {
        return reply(InvalidParameter(
            fmt::format("PhoneNumber Reason: {} is not valid to publish to", phone)));
      }
      if (Status st = AuthorizeAccount(sns, ctx, "sns:Publish", "*"); !st.ok()) return reply(st);
    } else if (Status st = PublishToEndpoint(sns, ctx, target_arn); !st.ok()) {
      return reply(st);
    }
    Value out = Value::Struct();
    out.Set("MessageId", Value::String(NewUuid()));
    return reply(std::move(out));
  }
  const bool by_target = topic_arn.empty();
  auto topic = LoadTopic(sns, ctx, by_target ? target_arn : topic_arn, "sns:Publish",
                         by_target ? "TargetArn" : "TopicArn");
  if (!topic.ok()) return reply(topic.status());
  std::size_t size = 0;
  auto message = ParseMessage(input, *topic, &size);
  if (!message.ok()) return reply(message.status());
  if (Status st = CheckTopicKey(sns, ctx, *topic); !st.ok()) return reply(st);
  std::vector<PublishedMessage> messages;
  messages.push_back(std::move(*message));
  const bool fifo = topic->fifo();
  PublishMessages(sns, ctx, *topic, std::move(messages),
                  [reply = std::move(reply), fifo](Result<Accepted> accepted) {
                    if (!accepted.ok()) return reply(accepted.status());
                    Value out = Value::Struct();
                    out.Set("MessageId", Value::String(accepted->ids[0].first));
                    if (fifo) out.Set("SequenceNumber", Value::String(accepted->ids[0].second));
                    reply(std::move(out));
                  });
}

void PublishBatch(const Sns& sns, const RequestContext& ctx, Value&& input, Reply reply) {
  const Value* entries = input.Get("PublishBatchRequestEntries");
  const std::size_t n = entries != nullptr && entries->is_list() ? entries->items().size() : 0;
  if (n == 0) {
    return reply(
        Status(SnsError::kEmptyBatchRequest, "The batch request doesn't contain any entries."));
  }
  if (n > kMaxBatchEntries) {
    return reply(Status(SnsError::kTooManyEntriesInBatchRequest,
                        "The batch request contains more entries than permissible."));
  }
  std::set<std::string> ids;
  for (const Value& e : entries->items()) {
    const std::string id = StringOf(e, "Id");
    if (!sqs::IsValidBatchEntryId(id)) {
      return reply(Status(
          SnsError::kInvalidBatchEntryId,
          fmt::format("The Id of a batch entry in the batch request contains an impermissible "
                      "character: {}",
                      id)));
    }
    if (!ids.insert(id).second) {
      return reply(Status(SnsError::kBatchEntryIdsNotDistinct,
                          "Two or more batch entries in the request have the same Id."));
    }
  }
  auto topic = LoadTopic(sns, ctx, StringOf(input, "TopicArn"), "sns:Publish");
  if (!topic.ok()) return reply(topic.status());
  // FIFO rules fail the whole batch, as on AWS; other entry errors fail their entry.
  if (topic->fifo()) {
    for (const Value& e : entries->items()) {
      auto group = e.GetString("MessageGroupId");
      if (!group || group->empty()) {
        return reply(InvalidParameter("The MessageGroupId parameter is required for FIFO topics"));
      }
      auto dedup = e.GetString("MessageDeduplicationId");
      if ((!dedup || dedup->empty()) && !topic->content_based_dedup()) {
        return reply(
            InvalidParameter("The topic should either have ContentBasedDeduplication enabled or "
                             "MessageDeduplicationId provided explicitly"));
      }
    }
  }
  std::vector<PublishedMessage> messages;
  std::vector<std::string> accepted_ids;  // batch entry ids, in the order of `messages`
  Value failed = Value::List();
  std::size_t total = 0;
  for (const Value& e : entries->items()) {
    std::size_t size = 0;
    auto m = ParseMessage(e, *topic, &size);
    if (!m.ok()) {
      const ErrorType& type = m.status().type() != nullptr
                                  ? *m.status().type()
                                  : protocol::CommonErrorType(m.status().code().common());
      Value f = Value::Struct();
      f.Set("Id", Value::String(StringOf(e, "Id")));
      f.Set("Code", Value::String(std::string(type.code)));
      f.Set("Message", Value::String(m.status().message()));
      f.Set("SenderFault", Value::Bool(true));
      failed.Append(std::move(f));
      continue;
    }
    total += size;
    messages.push_back(std::move(*m));
    accepted_ids.push_back(StringOf(e, "Id"));
  }
  if (total > kMaxMessageBytes) {
    return reply(Status(SnsError::kBatchRequestTooLong,
                        "The length of all the messages put together is more than the limit."));
  }
  if (!messages.empty()) {
    if (Status st = CheckTopicKey(sns, ctx, *topic); !st.ok()) return reply(st);
  }
  auto finish = [reply = std::move(reply), failed = std::move(failed),
                 accepted_ids = std::move(accepted_ids),
                 fifo = topic->fifo()](Result<Accepted> accepted) mutable {
    if (!accepted.ok()) return reply(accepted.status());
    Value successful = Value::List();
    for (std::size_t i = 0; i < accepted_ids.size(); ++i) {
      Value s = Value::Struct();
      s.Set("Id", Value::String(accepted_ids[i]));
      s.Set("MessageId", Value::String(accepted->ids[i].first));
      if (fifo) s.Set("SequenceNumber", Value::String(accepted->ids[i].second));
      successful.Append(std::move(s));
    }
    Value out = Value::Struct();
    out.Set("Successful", std::move(successful));
    out.Set("Failed", std::move(failed));
    reply(std::move(out));
  };
  if (messages.empty()) return finish(Accepted{});
  PublishMessages(sns, ctx, *topic, std::move(messages), std::move(finish));
}

}  // namespace sluice::sns
