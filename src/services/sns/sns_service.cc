// The SNS registry (one table: action -> handler) and the helpers the handlers share.
#include "services/sns/sns_service.h"

#include <fmt/format.h>

#include <memory>

#include "auth/auth.h"
#include "common/encoding.h"
#include "models/sns_model.h"
#include "services/sns/access.h"
#include "services/sns/arn.h"
#include "services/sns/handlers.h"

namespace sluice::sns {

std::shared_ptr<FifoTopicState> FifoStates::Get(const std::string& topic_arn) {
  std::lock_guard lock(mu_);
  auto& state = states_[topic_arn];
  if (!state) state = std::make_shared<FifoTopicState>();
  return state;
}

void FifoStates::Forget(const std::string& topic_arn) {
  std::lock_guard lock(mu_);
  states_.erase(topic_arn);
}

Result<std::shared_ptr<const SubscriptionFilter>> FilterCache::Get(std::string_view policy,
                                                                   FilterScope scope,
                                                                   FilterAction action) {
  std::pair<int, std::string> key{static_cast<int>(scope), std::string(policy)};
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
  }
  auto filter = MakeSubscriptionFilter(policy, scope, action);
  if (!filter.ok()) return filter.status();
  std::lock_guard lock(mu_);
  if (cache_.size() >= 10'000) cache_.clear();
  cache_.emplace(std::move(key), *filter);
  return *filter;
}

std::string StringOf(const Value& input, std::string_view name) {
  auto v = input.GetString(name);
  return v ? std::string(*v) : std::string();
}

std::map<std::string, std::string> StringMapOf(const Value& input, std::string_view name) {
  std::map<std::string, std::string> out;
  const Value* map = input.Get(name);
  if (map == nullptr) return out;
  for (const auto& [k, v] : map->entries()) {
    if (v.is_string()) out[k] = v.as_string();
  }
  return out;
}

Value StringMapValue(const std::map<std::string, std::string>& map) {
  Value out = Value::Map();
  for (const auto& [k, v] : map) out.Set(k, Value::String(v));
  return out;
}

void ReplyStatus(const Reply& reply, const Status& status) {
  if (!status.ok()) return reply(status);
  reply(Value::Struct());
}

std::string BaseUrl(const Sns& sns, const RequestContext& ctx) {
  const std::string& host = !sns.options.public_host.empty() ? sns.options.public_host
                            : !ctx.host.empty()              ? ctx.host
                                                             : std::string("localhost:9324");
  return (ctx.secure ? "https://" : "http://") + host;
}

std::string CallerArn(const RequestContext& ctx) {
  return ctx.principal_arn.empty() ? fmt::format("arn:aws:iam::{}:root", ctx.account_id)
                                   : ctx.principal_arn;
}

Result<std::optional<Topic>> FindTopic(const Sns& sns, const engine::ResourceScope& scope,
                                       std::string_view name) {
  auto record = sns.platform.resources->Get(kTopicKind, scope, name);
  if (!record.ok()) return record.status();
  if (!record->has_value()) return std::optional<Topic>();
  auto topic = DecodeTopic(scope, **record);
  if (!topic.ok()) return topic.status();
  return std::optional<Topic>(std::move(*topic));
}

Status TopicNotFound() { return Status(SnsError::kNotFound, "Topic does not exist"); }

Result<Topic> LoadTopic(const Sns& sns, const RequestContext& ctx, std::string_view arn,
                        std::string_view action, std::string_view param) {
  const std::size_t elements = ArnElements(arn);
  if (elements < 6) {
    return InvalidParameter(
        fmt::format("{} Reason: An ARN must have at least 6 elements, not {}", param, elements));
  }
  auto ref = ParseTopicArn(arn);
  if (!ref) return InvalidParameter(param);
  // An endpoint serves its own region: a topic of another region does not exist here.
  if (ref->region != ctx.region) return TopicNotFound();
  auto topic = FindTopic(sns, {ref->account, ref->region}, ref->name);
  if (!topic.ok()) return topic.status();
  if (!topic->has_value()) return TopicNotFound();
  if (!action.empty()) {
    if (Status st = AuthorizeTopic(sns, ctx, action, **topic); !st.ok()) return st;
  }
  return std::move(**topic);
}

Result<Topic> UpdateTopic(const Sns& sns, const Topic& topic,
                          const std::function<Status(Topic&)>& change) {
  Topic stored;
  const engine::ResourceScope scope{topic.account, topic.region};
  auto updated = sns.platform.resources->Update(
      kTopicKind, scope, topic.name,
      [&](const std::optional<engine::ResourceRecord>& current)
          -> Result<std::optional<engine::ResourceRecord>> {
        if (!current) return TopicNotFound();
        auto decoded = DecodeTopic(scope, *current);
        if (!decoded.ok()) return decoded.status();
        stored = std::move(*decoded);
        if (Status st = change(stored); !st.ok()) return st;
        return std::optional<engine::ResourceRecord>(EncodeTopic(stored));
      });
  if (!updated.ok()) return updated.status();
  if (updated->has_value()) stored.version = (*updated)->version;
  return stored;
}

std::string TopicPolicy(const Topic& topic) {
  const std::string& policy = topic.Attribute("Policy");
  return policy.empty() ? DefaultTopicPolicy(topic.Arn(), topic.account) : policy;
}

namespace {

// AWS names SNS actions "SNS:Publish" in its AuthorizationError texts.
Status SnsRefusal(Status st) {
  if (st.ok() || st.code() != ErrorCode::kAccessDenied) return st;
  std::string message = st.message();
  constexpr std::string_view kFrom = "perform: sns:";
  if (auto at = message.find(kFrom); at != std::string::npos) {
    message.replace(at + kFrom.size() - 4, 3, "SNS");
  }
  return Status(ErrorCode::kAccessDenied, std::move(message));
}

}  // namespace

Status AuthorizeTopic(const Sns& sns, const RequestContext& ctx, std::string_view action,
                      const Topic& topic) {
  if (sns.platform.auth == nullptr) return Status::Ok();
  const std::string arn = topic.Arn();
  const std::string policy = TopicPolicy(topic);
  return SnsRefusal(services::Authorize(sns.platform, ctx, action,
                                        auth::Resource{arn, topic.account, policy, true}));
}

Status AuthorizeAccount(const Sns& sns, const RequestContext& ctx, std::string_view action,
                        std::string_view arn) {
  return SnsRefusal(services::Authorize(sns.platform, ctx, action,
                                        auth::Resource{arn, ctx.account_id, {}, false}));
}

Result<std::vector<Subscription>> ListTopicSubscriptions(const Sns& sns, const Topic& topic) {
  const engine::ResourceScope scope{topic.account, topic.region};
  engine::ResourceStore::ListOptions options;
  const std::string prefix = topic.name + ":";
  options.prefix = prefix;
  auto records = sns.platform.resources->List(kSubscriptionKind, scope, options);
  if (!records.ok()) return records.status();
  std::vector<Subscription> out;
  out.reserve(records->size());
  for (const engine::ResourceRecord& r : *records) {
    auto s = DecodeSubscription(scope, r);
    if (!s.ok()) return s.status();
    out.push_back(std::move(*s));
  }
  return out;
}

Result<std::vector<Subscription>> ListScopeSubscriptions(const Sns& sns,
                                                         const engine::ResourceScope& scope) {
  auto records = sns.platform.resources->List(kSubscriptionKind, scope, {});
  if (!records.ok()) return records.status();
  std::vector<Subscription> out;
  out.reserve(records->size());
  for (const engine::ResourceRecord& r : *records) {
    auto s = DecodeSubscription(scope, r);
    if (!s.ok()) return s.status();
    out.push_back(std::move(*s));
  }
  return out;
}

Result<Subscription> LoadSubscription(const Sns& sns, const RequestContext& ctx,
                                      std::string_view arn) {
  const std::size_t elements = ArnElements(arn);
  if (elements < 6) {
    return InvalidParameter(fmt::format(
        "SubscriptionArn Reason: An ARN must have at least 6 elements, not {}", elements));
  }
  auto ref = ParseSubscriptionArn(arn);
  if (!ref) return InvalidParameter("SubscriptionArn");
  const Status missing(SnsError::kNotFound, "Subscription does not exist");
  if (ref->topic.region != ctx.region) return missing;
  const engine::ResourceScope scope{ref->topic.account, ref->topic.region};
  auto record =
      sns.platform.resources->Get(kSubscriptionKind, scope, ref->topic.name + ":" + ref->id);
  if (!record.ok()) return record.status();
  if (!record->has_value()) return missing;
  return DecodeSubscription(scope, **record);
}

Status StoreSubscription(const Sns& sns, Subscription& s, bool create) {
  return sns.index->Put(s, [&]() -> Status {
    const engine::ResourceRecord record = EncodeSubscription(s);
    auto v =
        sns.platform.resources->Put(kSubscriptionKind, {s.topic_account, s.topic_region}, s.Key(),
                                    record.value, {}, create ? 0 : engine::kAnyVersion);
    if (!v.ok()) return v.status();
    s.version = *v;
    return Status::Ok();
  });
}

Status DeleteSubscription(const Sns& sns, const Subscription& s) {
  return sns.index->Erase(s, [&]() -> Status {
    Status st = sns.platform.resources->Delete(kSubscriptionKind, {s.topic_account, s.topic_region},
                                               s.Key(), engine::kAnyVersion);
    if (st.code() == engine::ResourceError::kNotFound) return Status::Ok();
    return st;
  });
}

std::string PageToken(std::string_view after) { return Base64UrlEncode(after); }

Result<std::string> TokenPosition(const Value& input) {
  auto token = input.GetString("NextToken");
  if (!token || token->empty()) return std::string();
  auto position = Base64UrlDecode(*token);
  if (!position || position->empty()) return InvalidParameter("NextToken");
  return std::move(*position);
}

protocol::ServiceDefinition MakeSnsService(const services::Platform& platform, SnsOptions options,
                                           Delivery& delivery) {
  auto sns = std::make_shared<const Sns>(Sns{platform, std::move(options), delivery});
  static constexpr services::Action<Sns> kActions[] = {
      {"AddPermission", &AddPermission},
      {"CheckIfPhoneNumberIsOptedOut", &CheckIfPhoneNumberIsOptedOut},
      {"ConfirmSubscription", &ConfirmSubscription},
      {"CreatePlatformApplication", &CreatePlatformApplication},
      {"CreatePlatformEndpoint", &CreatePlatformEndpoint},
      {"CreateSMSSandboxPhoneNumber", &CreateSMSSandboxPhoneNumber},
      {"CreateTopic", &CreateTopic},
      {"DeleteEndpoint", &DeleteEndpoint},
      {"DeletePlatformApplication", &DeletePlatformApplication},
      {"DeleteSMSSandboxPhoneNumber", &DeleteSMSSandboxPhoneNumber},
      {"DeleteTopic", &DeleteTopic},
      {"GetDataProtectionPolicy", &GetDataProtectionPolicy},
      {"GetEndpointAttributes", &GetEndpointAttributes},
      {"GetPlatformApplicationAttributes", &GetPlatformApplicationAttributes},
      {"GetSMSAttributes", &GetSMSAttributes},
      {"GetSMSSandboxAccountStatus", &GetSMSSandboxAccountStatus},
      {"GetSubscriptionAttributes", &GetSubscriptionAttributes},
      {"GetTopicAttributes", &GetTopicAttributes},
      {"ListEndpointsByPlatformApplication", &ListEndpointsByPlatformApplication},
      {"ListOriginationNumbers", &ListOriginationNumbers},
      {"ListPhoneNumbersOptedOut", &ListPhoneNumbersOptedOut},
      {"ListPlatformApplications", &ListPlatformApplications},
      {"ListSMSSandboxPhoneNumbers", &ListSMSSandboxPhoneNumbers},
      {"ListSubscriptions", &ListSubscriptions},
      {"ListSubscriptionsByTopic", &ListSubscriptionsByTopic},
      {"ListTagsForResource", &ListTagsForResource},
      {"ListTopics", &ListTopics},
      {"OptInPhoneNumber", &OptInPhoneNumber},
      {"Publish", &Publish},
      {"PublishBatch", &PublishBatch},
      {"PutDataProtectionPolicy", &PutDataProtectionPolicy},
      {"RemovePermission", &RemovePermission},
      {"SetEndpointAttributes", &SetEndpointAttributes},
      {"SetPlatformApplicationAttributes", &SetPlatformApplicationAttributes},
      {"SetSMSAttributes", &SetSMSAttributes},
      {"SetSubscriptionAttributes", &SetSubscriptionAttributes},
      {"SetTopicAttributes", &SetTopicAttributes},
      {"Subscribe", &Subscribe},
      {"TagResource", &TagResource},
      {"Unsubscribe", &Unsubscribe},
      {"UntagResource", &UntagResource},
      {"VerifySMSSandboxPhoneNumber", &VerifySMSSandboxPhoneNumber},
  };
  protocol::ServiceDefinition def = services::DefineService<Sns>(
      platform, models::Sns(), SnsErrorTable(), std::move(sns), kActions);
  // The endpoints of a subscription confirm it (SubscribeURL) and leave it (UnsubscribeURL)
  // without credentials, as on AWS.
  def.unsigned_operations = {"ConfirmSubscription", "Unsubscribe"};
  return def;
}

}  // namespace sluice::sns
