// CreateTopic, DeleteTopic, ListTopics, Get/SetTopicAttributes, Get/PutDataProtectionPolicy.
#include <fmt/format.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <charconv>

#include "services/sns/access.h"
#include "services/sns/arn.h"
#include "services/sns/delivery_policy.h"
#include "services/sns/handlers.h"

namespace sluice::sns {
namespace {

constexpr std::size_t kPageSize = 100;

bool IsBool(const std::string& v) { return v == "true" || v == "false"; }

bool IsFeedbackAttribute(std::string_view name, bool* sample_rate) {
  static constexpr std::string_view kProtocols[] = {"HTTP", "Firehose", "Lambda", "Application",
                                                    "SQS"};
  for (std::string_view p : kProtocols) {
    if (name.substr(0, p.size()) != p) continue;
    const std::string_view rest = name.substr(p.size());
    if (rest == "SuccessFeedbackRoleArn" || rest == "FailureFeedbackRoleArn") {
      *sample_rate = false;
      return true;
    }
    if (rest == "SuccessFeedbackSampleRate") {
      *sample_rate = true;
      return true;
    }
  }
  return false;
}

// The value an unset attribute has, for CreateTopic's comparison with an existing topic.
std::string EffectiveValue(const Topic& topic, const std::string& name) {
  const std::string& v = topic.Attribute(name);
  if (!v.empty()) return v;
  if (name == "Policy") return TopicPolicy(topic);
  if (name == "FifoTopic" || name == "ContentBasedDeduplication") return "false";
  if (name == "SignatureVersion") return "1";
  if (name == "TracingConfig") return "PassThrough";
  if (name == "FifoThroughputScope" && topic.fifo()) return "Topic";
  return {};
}

Status CheckTopicLimit(const Sns& sns, const engine::ResourceScope& scope, bool fifo) {
  auto records = sns.platform.resources->List(kTopicKind, scope, {});
  if (!records.ok()) return records.status();
  std::size_t count = 0;
  for (const engine::ResourceRecord& r : *records) {
    const bool is_fifo = r.name.size() > 5 && r.name.substr(r.name.size() - 5) == ".fifo";
    count += is_fifo == fifo ? 1 : 0;
  }
  if (count >= (fifo ? sns.options.fifo_topic_limit : sns.options.topic_limit)) {
    return Status(SnsError::kTopicLimitExceeded, "Topic limit exceeded");
  }
  return Status::Ok();
}

Status ValidateDataProtectionPolicy(std::string_view policy) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(policy.data(), policy.size());
  if (d.HasParseError() || !d.IsObject()) {
    return InvalidParameter("DataProtectionPolicy Reason: Failed to parse the policy as JSON");
  }
  return Status::Ok();
}

}  // namespace

Status ValidateTopicAttribute(const std::string& name, const std::string& value, bool fifo,
                              bool creating) {
  bool sample_rate = false;
  if (name == "FifoTopic") {
    if (!creating) return InvalidParameter("AttributeName");
    if (!IsBool(value)) return InvalidParameter("FifoTopic");
  } else if (name == "ContentBasedDeduplication") {
    if (!fifo) {
      return InvalidParameter(
          "ContentBasedDeduplication Reason: Content based deduplication can only be set for "
          "FIFO topics");
    }
    if (!IsBool(value)) return InvalidParameter("ContentBasedDeduplication");
  } else if (name == "FifoThroughputScope") {
    if (!fifo) {
      return InvalidParameter(
          "FifoThroughputScope Reason: FifoThroughputScope can only be set for FIFO topics");
    }
    if (value != "Topic" && value != "MessageGroup") {
      return InvalidParameter(
          fmt::format("FifoThroughputScope Reason: Invalid value [{}]. Please use either Topic or "
                      "MessageGroup",
                      value));
    }
  } else if (name == "ArchivePolicy") {
    if (!fifo) {
      return InvalidParameter("ArchivePolicy Reason: The archive policy is only for FIFO topics");
    }
    if (!value.empty()) {
      rapidjson::Document d;
      d.Parse<rapidjson::kParseIterativeFlag>(value.data(), value.size());
      if (d.HasParseError() || !d.IsObject()) {
        return InvalidParameter("ArchivePolicy Reason: Failed to parse the policy as JSON");
      }
      if (auto it = d.FindMember("MessageRetentionPeriod"); it != d.MemberEnd()) {
        const bool ok = it->value.IsInt() && it->value.GetInt() >= 1 && it->value.GetInt() <= 365;
        if (!ok) {
          return InvalidParameter(
              "ArchivePolicy Reason: MessageRetentionPeriod must be between 1 and 365 days");
        }
      }
    }
  } else if (name == "SignatureVersion") {
    if (value != "1" && value != "2") {
      return InvalidParameter(
          fmt::format("SignatureVersion Reason: Invalid value [{}]. Must be 1 or 2", value));
    }
  } else if (name == "TracingConfig") {
    if (value != "PassThrough" && value != "Active") {
      return InvalidParameter(fmt::format(
          "TracingConfig Reason: Invalid value [{}]. Please use either PassThrough or Active",
          value));
    }
    if (fifo && value == "Active") {
      return InvalidParameter(
          "TracingConfig Reason: Active tracing is not supported for FIFO topics");
    }
  } else if (name == "DeliveryPolicy") {
    return ValidateTopicDeliveryPolicy(value);
  } else if (name == "Policy") {
    if (!value.empty()) return ValidateTopicPolicy(value);
  } else if (name == "DisplayName") {
    if (value.size() > 100) return InvalidParameter("DisplayName");
  } else if (name == "KmsMasterKeyId") {
    if (value.size() > 2048) return InvalidParameter("KmsMasterKeyId");
  } else if (IsFeedbackAttribute(name, &sample_rate)) {
    if (sample_rate) {
      int rate = -1;
      const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), rate);
      if (ec != std::errc() || ptr != value.data() + value.size() || rate < 0 || rate > 100) {
        return InvalidParameter(fmt::format("{}: Invalid value [{}]", name, value));
      }
    }
  } else {
    return InvalidParameter("AttributeName");
  }
  return Status::Ok();
}

Result<Tags> TagsOf(const Value& input, std::string_view member) {
  Tags tags;
  const Value* list = input.Get(member);
  if (list == nullptr || !list->is_list()) return tags;
  for (const Value& item : list->items()) {
    std::string key = StringOf(item, "Key");
    std::string value = StringOf(item, "Value");
    for (const auto& [k, v] : tags) {
      if (k == key) return InvalidParameter("Duplicated keys are not allowed.");
    }
    tags.emplace_back(std::move(key), std::move(value));
  }
  return tags;
}

Status CheckTagCount(const Tags& tags) {
  if (tags.size() > 50) {
    return Status(SnsError::kTagLimitExceeded,
                  "Could not complete request: tag quota of per resource exceeded");
  }
  for (const auto& [k, v] : tags) {
    if (k.rfind("aws:", 0) == 0) {
      return Status(SnsError::kTagPolicy, "Invalid parameter: Tag keys must not start with aws:");
    }
  }
  return Status::Ok();
}

void CreateTopic(const Sns& sns, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string name = StringOf(input, "Name");
  const std::map<std::string, std::string> attributes = StringMapOf(input, "Attributes");
  auto fifo_attr = attributes.find("FifoTopic");
  const bool fifo = fifo_attr != attributes.end() && fifo_attr->second == "true";
  const bool fifo_name = name.size() > 5 && name.substr(name.size() - 5) == ".fifo";
  if (fifo && !IsValidTopicName(name, true)) {
    return reply(InvalidParameter(
        "Fifo Topic names must end with .fifo and must be made up of only uppercase and "
        "lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and "
        "256 characters long."));
  }
  if (!fifo && (fifo_name || !IsValidTopicName(name, false))) {
    return reply(InvalidParameter("Topic Name"));
  }
  const engine::ResourceScope scope = ScopeOf(ctx);
  const std::string arn = TopicArn(ctx.region, ctx.account_id, name);
  if (Status st = AuthorizeAccount(sns, ctx, "sns:CreateTopic", arn); !st.ok()) return reply(st);
  for (const auto& [k, v] : attributes) {
    if (Status st = ValidateTopicAttribute(k, v, fifo, true); !st.ok()) return reply(st);
  }
  auto tags = TagsOf(input, "Tags");
  if (!tags.ok()) return reply(tags.status());
  if (Status st = CheckTagCount(*tags); !st.ok()) return reply(st);
  const std::string data_protection = StringOf(input, "DataProtectionPolicy");
  if (!data_protection.empty()) {
    if (Status st = ValidateDataProtectionPolicy(data_protection); !st.ok()) return reply(st);
  }

  auto existing = FindTopic(sns, scope, name);
  if (!existing.ok()) return reply(existing.status());
  if (existing->has_value()) {
    const Topic& topic = **existing;
    for (const auto& [k, v] : attributes) {
      if (EffectiveValue(topic, k) != v) {
        return reply(
            InvalidParameter("Attributes Reason: Topic already exists with different attributes"));
      }
    }
    if (!tags->empty()) {
      auto sorted = [](Tags t) {
        std::sort(t.begin(), t.end());
        return t;
      };
      if (sorted(*tags) != sorted(topic.tags)) {
        return reply(InvalidParameter("Tags Reason: Topic already exists with different tags"));
      }
    }
    Value out = Value::Struct();
    out.Set("TopicArn", Value::String(topic.Arn()));
    return reply(std::move(out));
  }
  if (Status st = CheckTopicLimit(sns, scope, fifo); !st.ok()) return reply(st);
  Topic topic;
  topic.name = name;
  topic.account = scope.account;
  topic.region = scope.region;
  for (const auto& [k, v] : attributes) {
    if (k == "FifoTopic" && v == "false") continue;
    if (!v.empty()) topic.attributes[k] = v;
  }
  topic.tags = std::move(*tags);
  topic.data_protection_policy = data_protection;
  topic.created_ms = sns.platform.clock->NowMs();
  const engine::ResourceRecord record = EncodeTopic(topic);
  auto put = sns.platform.resources->Put(kTopicKind, scope, name, record.value, {}, 0);
  if (!put.ok() && put.status().code() != engine::ResourceError::kConflict) {
    return reply(put.status());
  }
  // A concurrent CreateTopic of the same name won: the topic exists, as asked.
  Value out = Value::Struct();
  out.Set("TopicArn", Value::String(arn));
  reply(std::move(out));
}

void DeleteTopic(const Sns& sns, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string arn = StringOf(input, "TopicArn");
  auto topic = LoadTopic(sns, ctx, arn, "sns:DeleteTopic");
  // Deleting a topic that does not exist is not an error (AWS: the action is idempotent).
  if (!topic.ok()) {
    if (topic.status().code() == SnsError::kNotFound) return reply(Value::Struct());
    return reply(topic.status());
  }
  auto subs = ListTopicSubscriptions(sns, *topic);
  if (!subs.ok()) return reply(subs.status());
  for (const Subscription& s : *subs) {
    if (Status st = DeleteSubscription(sns, s); !st.ok()) return reply(st);
  }
  Status st = sns.platform.resources->Delete(kTopicKind, {topic->account, topic->region},
                                             topic->name, engine::kAnyVersion);
  if (!st.ok() && st.code() != engine::ResourceError::kNotFound) return reply(st);
  sns.fifo->Forget(topic->Arn());
  reply(Value::Struct());
}

void ListTopics(const Sns& sns, const RequestContext& ctx, Value&& input, Reply reply) {
  if (Status st = AuthorizeAccount(sns, ctx, "sns:ListTopics",
                                   fmt::format("arn:aws:sns:{}:{}:*", ctx.region, ctx.account_id));
      !st.ok()) {
    return reply(st);
  }
  auto after = TokenPosition(input);
  if (!after.ok()) return reply(after.status());
  engine::ResourceStore::ListOptions options;
  options.start_after = *after;
  options.limit = kPageSize + 1;
  auto records = sns.platform.resources->List(kTopicKind, ScopeOf(ctx), options);
  if (!records.ok()) return reply(records.status());
  Value list = Value::List();
  const std::size_t n = std::min(records->size(), kPageSize);
  for (std::size_t i = 0; i < n; ++i) {
    Value item = Value::Struct();
    item.Set("TopicArn", Value::String(TopicArn(ctx.region, ctx.account_id, (*records)[i].name)));
    list.Append(std::move(item));
  }
  Value out = Value::Struct();
  out.Set("Topics", std::move(list));
  if (records->size() > kPageSize) {
    out.Set("NextToken", Value::String(PageToken((*records)[kPageSize - 1].name)));
  }
  reply(std::move(out));
}

void GetTopicAttributes(const Sns& sns, const RequestContext& ctx, Value&& input, Reply reply) {
  auto topic = LoadTopic(sns, ctx, StringOf(input, "TopicArn"), "sns:GetTopicAttributes");
  if (!topic.ok()) return reply(topic.status());
  auto subs = ListTopicSubscriptions(sns, *topic);
  if (!subs.ok()) return reply(subs.status());
  std::size_t confirmed = 0, pending = 0;
  for (const Subscription& s : *subs) (s.pending ? pending : confirmed)++;
  std::map<std::string, std::string> attributes = topic->attributes;
  attributes["TopicArn"] = topic->Arn();
  attributes["Owner"] = topic->account;
  attributes["Policy"] = TopicPolicy(*topic);
  attributes.try_emplace("DisplayName", "");
  attributes["SubscriptionsConfirmed"] = std::to_string(confirmed);
  attributes["SubscriptionsPending"] = std::to_string(pending);
  attributes["SubscriptionsDeleted"] = std::to_string(topic->subscriptions_deleted);
  attributes["EffectiveDeliveryPolicy"] =
      EffectiveTopicDeliveryPolicyJson(topic->Attribute("DeliveryPolicy"));
  if (topic->fifo()) {
    attributes["FifoTopic"] = "true";
    attributes.try_emplace("ContentBasedDeduplication", "false");
    attributes.try_emplace("FifoThroughputScope", "Topic");
    if (!topic->Attribute("ArchivePolicy").empty()) {
      std::string begin;
      AppendIso8601(topic->created_ms, &begin);
      attributes["BeginningArchiveTime"] = begin;
    }
  }
  Value out = Value::Struct();
  out.Set("Attributes", StringMapValue(attributes));
  reply(std::move(out));
}

void SetTopicAttributes(const Sns& sns, const RequestContext& ctx, Value&& input, Reply reply) {
  auto topic = LoadTopic(sns, ctx, StringOf(input, "TopicArn"), "sns:SetTopicAttributes");
  if (!topic.ok()) return reply(topic.status());
  const std::string name = StringOf(input, "AttributeName");
  const std::string value = StringOf(input, "AttributeValue");
  if (Status st = ValidateTopicAttribute(name, value, topic->fifo(), false); !st.ok()) {
    return reply(st);
  }
  auto updated = UpdateTopic(sns, *topic, [&](Topic& t) {
    if (value.empty()) {
      t.attributes.erase(name);
    } else {
      t.attributes[name] = value;
    }
    return Status::Ok();
  });
  ReplyStatus(reply, updated.status());
}

void GetDataProtectionPolicy(const Sns& sns, const RequestContext& ctx, Value&& input,
                             Reply reply) {
  auto topic = LoadTopic(sns, ctx, StringOf(input, "ResourceArn"), "sns:GetDataProtectionPolicy",
                         "ResourceArn");
  if (!topic.ok()) return reply(topic.status());
  Value out = Value::Struct();
  if (!topic->data_protection_policy.empty()) {
    out.Set("DataProtectionPolicy", Value::String(topic->data_protection_policy));
  }
  reply(std::move(out));
}

void PutDataProtectionPolicy(const Sns& sns, const RequestContext& ctx, Value&& input,
                             Reply reply) {
  auto topic = LoadTopic(sns, ctx, StringOf(input, "ResourceArn"), "sns:PutDataProtectionPolicy",
                         "ResourceArn");
  if (!topic.ok()) return reply(topic.status());
  const std::string policy = StringOf(input, "DataProtectionPolicy");
  if (Status st = ValidateDataProtectionPolicy(policy); !st.ok()) return reply(st);
  auto updated = UpdateTopic(sns, *topic, [&](Topic& t) {
    t.data_protection_policy = policy;
    return Status::Ok();
  });
  ReplyStatus(reply, updated.status());
}

}  // namespace sluice::sns
