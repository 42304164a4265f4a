// Subscribe, ConfirmSubscription, Unsubscribe, ListSubscriptions(ByTopic),
// Get/SetSubscriptionAttributes.
#include <fmt/format.h>
#include <rapidjson/document.h>

#include <algorithm>

#include "common/encoding.h"
#include "common/ids.h"
#include "net/http_client.h"
#include "services/platform/endpoint_guard.h"
#include "services/sns/arn.h"
#include "services/sns/delivery_policy.h"
#include "services/sns/handlers.h"

namespace sluice::sns {
namespace {

constexpr std::size_t kPageSize = 100;
constexpr Millis kTokenLifetimeMs = 2LL * 24 * 3600 * 1000;  // confirmation tokens: two days

constexpr std::string_view kProtocols[] = {"http", "https",  "email",    "email-json", "sms",
                                           "sqs",  "lambda", "firehose", "application"};

bool IsBool(const std::string& v) { return v == "true" || v == "false"; }

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

bool IsPhoneNumber(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  return s.size() >= 8 && s.size() <= 15 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Status ValidateEndpoint(const Sns& sns, const RequestContext& ctx, const std::string& protocol,
                        const std::string& endpoint) {
  if (endpoint.empty()) return InvalidParameter("Endpoint");
  if (protocol == "http" || protocol == "https") {
    const bool scheme_ok = StartsWithNoCase(endpoint, protocol + "://");
    auto url = net::ParseHttpUrl(endpoint);
    if (!scheme_ok || !url.ok()) {
      return InvalidParameter("Endpoint must match the specified protocol");
    }
    if (sns.platform.auth != nullptr &&
        services::EndpointRefused({sns.options.allowed_endpoints, sns.options.own_addresses},
                                  url->host, url->port, ctx.host)) {
      return InvalidParameter(
          "Endpoint Reason: Endpoints on a loopback address or on this server are not allowed");
    }
  } else if (protocol == "email" || protocol == "email-json") {
    if (endpoint.find('@') == std::string::npos) return InvalidParameter("Email address");
  } else if (protocol == "sqs") {
    if (!ParseQueueArn(endpoint)) return InvalidParameter("SQS endpoint ARN");
  } else if (protocol == "sms") {
    if (!IsPhoneNumber(endpoint)) {
      return InvalidParameter(fmt::format("Invalid SMS endpoint: {}", endpoint));
    }
  } else if (protocol == "lambda") {
    auto arn = ParseArn(endpoint);
    if (!arn || arn->service != "lambda") return InvalidParameter("Lambda endpoint ARN");
  } else if (protocol == "firehose") {
    auto arn = ParseArn(endpoint);
    if (!arn || arn->service != "firehose") return InvalidParameter("Firehose endpoint ARN");
  } else if (protocol == "application") {
    auto arn = ParseArn(endpoint);
    if (!arn || arn->service != "sns" || arn->resource.rfind("endpoint/", 0) != 0) {
      return InvalidParameter("Application endpoint ARN");
    }
  }
  return Status::Ok();
}

std::string NewToken() { return HexEncode(RandomBytes(64)); }

Value SubscriptionListItem(const Subscription& s) {
  Value item = Value::Struct();
  item.Set("SubscriptionArn", Value::String(s.pending ? "PendingConfirmation" : s.Arn()));
  item.Set("Owner", Value::String(s.owner));
  item.Set("Protocol", Value::String(s.protocol));
  item.Set("Endpoint", Value::String(s.endpoint));
  item.Set("TopicArn", Value::String(s.TopicArn()));
  return item;
}

// A page of `subs` (in key order) after the request's NextToken.
void ReplyPage(const std::vector<Subscription>& subs, const Value& input, Reply reply) {
  auto after = TokenPosition(input);
  if (!after.ok()) return reply(after.status());
  Value list = Value::List();
  std::size_t n = 0;
  std::string last;
  bool more = false;
  for (const Subscription& s : subs) {
    const std::string key = s.Key();
    if (!after->empty() && key <= *after) continue;
    if (n == kPageSize) {
      more = true;
      break;
    }
    list.Append(SubscriptionListItem(s));
    last = key;
    ++n;
  }
  Value out = Value::Struct();
  out.Set("Subscriptions", std::move(list));
  if (more) out.Set("NextToken", Value::String(PageToken(last)));
  reply(std::move(out));
}

Status CheckFilterPolicyLimit(const Sns& sns, const Topic& topic, const std::string& except_id) {
  auto subs = ListTopicSubscriptions(sns, topic);
  if (!subs.ok()) return subs.status();
  std::size_t n = 0;
  for (const Subscription& s : *subs) {
    if (s.id != except_id && !s.Attribute("FilterPolicy").empty()) ++n;
  }
  if (n >= sns.options.filter_policy_limit) {
    return Status(SnsError::kFilterPolicyLimitExceeded, "Filter policy limit exceeded");
  }
  return Status::Ok();
}

// The filter policy and scope the attributes would leave, checked together.
Status ValidateFilter(const Sns& sns, const std::map<std::string, std::string>& attributes,
                      FilterAction action) {
  auto policy = attributes.find("FilterPolicy");
  if (policy == attributes.end() || policy->second.empty()) return Status::Ok();
  auto scope_it = attributes.find("FilterPolicyScope");
  auto scope = ParseFilterScope(scope_it == attributes.end() ? "" : scope_it->second);
  if (!scope) return Status::Ok();  // reported by the scope's own check
  return sns.filters->Get(policy->second, *scope, action).status();
}

}  // namespace

Status ValidateSubscriptionAttribute(const Sns& sns, std::string_view protocol,
                                     const std::string& name, const std::string& value) {
  if (name == "RawMessageDelivery") {
    if (!IsBool(value)) {
      return InvalidParameter(
          fmt::format("RawMessageDelivery: Invalid value [{}]. Must be true or false.", value));
    }
    if (protocol != "sqs" && protocol != "http" && protocol != "https" && protocol != "firehose") {
      return InvalidParameter(
          fmt::format("Delivery protocol [{}] does not support raw message delivery.", protocol));
    }
  } else if (name == "FilterPolicy") {
    // Checked with the scope it will have, together with FilterPolicyScope (ValidateFilter).
  } else if (name == "FilterPolicyScope") {
    if (!ParseFilterScope(value) || value.empty()) {
      return InvalidParameter(
          fmt::format("FilterPolicyScope: Invalid value [{}]. Please use either MessageBody or "
                      "MessageAttributes",
                      value));
    }
  } else if (name == "RedrivePolicy") {
    if (value.empty()) return Status::Ok();
    rapidjson::Document d;
    d.Parse<rapidjson::kParseIterativeFlag>(value.data(), value.size());
    if (d.HasParseError() || !d.IsObject()) {
      return InvalidParameter("RedrivePolicy: failed to parse JSON.");
    }
    auto it = d.FindMember("deadLetterTargetArn");
    if (it == d.MemberEnd() || !it->value.IsString()) {
      return InvalidParameter("RedrivePolicy: deadLetterTargetArn is missing");
    }
    if (!ParseQueueArn(it->value.GetString())) {
      return InvalidParameter("RedrivePolicy: deadLetterTargetArn is an invalid arn");
    }
  } else if (name == "DeliveryPolicy") {
    return ValidateSubscriptionDeliveryPolicy(value);
  } else if (name == "SubscriptionRoleArn") {
    if (!value.empty() && !ParseArn(value)) return InvalidParameter("SubscriptionRoleArn");
  } else if (name == "ReplayPolicy") {
    if (!value.empty()) {
      rapidjson::Document d;
      d.Parse<rapidjson::kParseIterativeFlag>(value.data(), value.size());
      if (d.HasParseError() || !d.IsObject()) {
        return InvalidParameter("ReplayPolicy: failed to parse JSON.");
      }
    }
  } else {
    return InvalidParameter("AttributeName");
  }
  return Status::Ok();
}

void Subscribe(const Sns& sns, const RequestContext& ctx, Value&& input, Reply reply) {
  auto topic = LoadTopic(sns, ctx, StringOf(input, "TopicArn"), "sns:Subscribe");
  if (!topic.ok()) return reply(topic.status());
  const std::string protocol = StringOf(input, "Protocol");
  const std::string endpoint = StringOf(input, "Endpoint");
  if (std::find(std::begin(kProtocols), std::end(kProtocols), protocol) == std::end(kProtocols)) {
    return reply(InvalidParameter(
        fmt::format("Amazon SNS does not support this protocol string: {}", protocol)));
  }
  if (Status st = ValidateEndpoint(sns, ctx, protocol, endpoint); !st.ok()) return reply(st);
  if (topic->fifo()) {
    if (protocol != "sqs") {
      return reply(InvalidParameter(fmt::format("Invalid protocol type: {}", protocol)));
    }
    if (!endpoint.ends_with(".fifo")) {
      return reply(InvalidParameter(
          "Endpoint Reason: FIFO SNS Topics currently only support delivery to FIFO SQS "
          "queues"));
    }
  } else if (protocol == "sqs" && endpoint.ends_with(".fifo")) {
    return reply(InvalidParameter(
        "Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics"));
  }
  std::map<std::string, std::string> attributes = StringMapOf(input, "Attributes");
  for (const auto& [k, v] : attributes) {
    if (Status st = ValidateSubscriptionAttribute(sns, protocol, k, v); !st.ok()) return reply(st);
  }
  if (Status st = ValidateFilter(sns, attributes, FilterAction::kSubscribe); !st.ok()) {
    return reply(st);
  }
  const bool return_arn = input.GetBool("ReturnSubscriptionArn").value_or(false);

  auto subs = ListTopicSubscriptions(sns, *topic);
  if (!subs.ok()) return reply(subs.status());
  const std::string base_url = BaseUrl(sns, ctx);
  for (const Subscription& s : *subs) {
    if (s.protocol != protocol || s.endpoint != endpoint) continue;
    for (const auto& [k, v] : attributes) {
      if (s.Attribute(k) != v && !(k == "RawMessageDelivery" && v == "false" && !s.raw())) {
        return reply(InvalidParameter(
            "Attributes Reason: Subscription already exists with different attributes"));
      }
    }
    if (s.pending && (protocol == "http" || protocol == "https")) {
      if (Status st = sns.delivery.SendConfirmation(*topic, s, base_url, false); !st.ok()) {
        return reply(st);
      }
    }
    Value out = Value::Struct();
    out.Set("SubscriptionArn",
            Value::String(s.pending && !return_arn ? "pending confirmation" : s.Arn()));
    return reply(std::move(out));
  }
  const std::size_t limit =
      topic->fifo() ? sns.options.fifo_subscription_limit : sns.options.subscription_limit;
  if (subs->size() >= limit) {
    return reply(Status(SnsError::kSubscriptionLimitExceeded, "Subscription limit exceeded"));
  }
  if (auto fp = attributes.find("FilterPolicy"); fp != attributes.end() && !fp->second.empty()) {
    if (Status st = CheckFilterPolicyLimit(sns, *topic, ""); !st.ok()) return reply(st);
  }

  Subscription s;
  s.id = NewUuid();
  s.topic_name = topic->name;
  s.topic_account = topic->account;
  s.topic_region = topic->region;
  s.owner = ctx.account_id;
  s.protocol = protocol;
  s.endpoint = endpoint;
  for (auto& [k, v] : attributes) {
    if (!v.empty()) s.attributes[k] = v;
  }
  s.created_ms = sns.platform.clock->NowMs();
  bool confirm_by_message = false;
  if (protocol == "http" || protocol == "https" || protocol == "email" ||
      protocol == "email-json") {
    s.pending = true;
    confirm_by_message = protocol == "http" || protocol == "https";
  } else if (protocol == "sqs") {
    // Another account's queue: its owner confirms, from the SubscriptionConfirmation message SNS
    // sends to the queue.
    auto queue = ParseQueueArn(endpoint);
    if (queue && queue->account != ctx.account_id) {
      s.pending = true;
      confirm_by_message = true;
    }
  }
  if (s.pending) {
    s.token = NewToken();
    s.token_expires_ms = s.created_ms + kTokenLifetimeMs;
  } else {
    s.confirmation_authenticated = true;
  }
  if (Status st = StoreSubscription(sns, s, true); !st.ok()) return reply(st);
  if (confirm_by_message) {
    if (Status st = sns.delivery.SendConfirmation(*topic, s, base_url, false); !st.ok()) {
      return reply(st);
    }
  }
  Value out = Value::Struct();
  out.Set("SubscriptionArn",
          Value::String(s.pending && !return_arn ? "pending confirmation" : s.Arn()));
  reply(std::move(out));
}

void ConfirmSubscription(const Sns& sns, const RequestContext& ctx, Value&& input, Reply reply) {
  // The token proves the right to confirm: no authorization beyond it.
  auto topic = LoadTopic(sns, ctx, StringOf(input, "TopicArn"), "");
  if (!topic.ok()) return reply(topic.status());
  const std::string token = StringOf(input, "Token");
  auto subs = ListTopicSubscriptions(sns, *topic);
  if (!subs.ok()) return reply(subs.status());
  const Millis now = sns.platform.clock->NowMs();
  for (Subscription& s : *subs) {
    if (s.token.empty() || s.token != token) continue;
    if (s.pending && s.token_expires_ms < now) break;
    if (s.pending) {
      s.pending = false;
      s.confirmation_authenticated =
          StringOf(input, "AuthenticateOnUnsubscribe") == "true" || ctx.authenticated;
      if (Status st = StoreSubscription(sns, s, false); !st.ok()) return reply(st);
    }
    Value out = Value::Struct();
    out.Set("SubscriptionArn", Value::String(s.Arn()));
    return reply(std::move(out));
  }
  reply(InvalidParameter("Token"));
}

void Unsubscribe(const Sns& sns, const RequestContext& ctx, Value&& input, Reply reply) {
  auto sub = LoadSubscription(sns, ctx, StringOf(input, "SubscriptionArn"));
  if (!sub.ok()) {
    // Unsubscribing from a subscription that is gone changes nothing and is not an error.
    if (sub.status().code() == SnsError::kNotFound) return reply(Value::Struct());
    return reply(sub.status());
  }
  if (sns.platform.auth != nullptr) {
    if (!ctx.authenticated) {
      // The UnsubscribeURL: allowed unless the confirmation asked for authentication.
      if (sub->confirmation_authenticated && sub->protocol != "sqs") {
        return reply(Status(SnsError::kAuthorizationError,
                            "Unsubscribe requires authentication for this subscription"));
      }
    } else if (ctx.account_id != sub->owner) {
      auto topic = LoadTopic(sns, ctx, sub->TopicArn(), "sns:Unsubscribe");
      if (!topic.ok()) return reply(topic.status());
    } else if (Status st = AuthorizeAccount(sns, ctx, "sns:Unsubscribe", sub->Arn()); !st.ok()) {
      return reply(st);
    }
  }
  if (Status st = DeleteSubscription(sns, *sub); !st.ok()) return reply(st);
  auto topic = FindTopic(sns, {sub->topic_account, sub->topic_region}, sub->topic_name);
  if (topic.ok() && topic->has_value()) {
    auto updated = UpdateTopic(sns, **topic, [](Topic& t) {
      ++t.subscriptions_deleted;
      return Status::Ok();
    });
    (void)updated;  // the count is informative only
    if (!sub->pending && (sub->protocol == "http" || sub->protocol == "https")) {
      if (Status st = sns.delivery.SendConfirmation(**topic, *sub, BaseUrl(sns, ctx), true);
          !st.ok()) {
        NoteIgnoredError("sns unsubscribe confirmation", st);
      }
    }
  }
  reply(Value::Struct());
}

void ListSubscriptions(const Sns& sns, const RequestContext& ctx, Value&& input, Reply reply) {
  if (Status st = AuthorizeAccount(sns, ctx, "sns:ListSubscriptions",
                                   fmt::format("arn:aws:sns:{}:{}:*", ctx.region, ctx.account_id));
      !st.ok()) {
    return reply(st);
  }
  auto subs = ListScopeSubscriptions(sns, ScopeOf(ctx));
  if (!subs.ok()) return reply(subs.status());
  ReplyPage(*subs, input, std::move(reply));
}

void ListSubscriptionsByTopic(const Sns& sns, const RequestContext& ctx, Value&& input,
                              Reply reply) {
  auto topic = LoadTopic(sns, ctx, StringOf(input, "TopicArn"), "sns:ListSubscriptionsByTopic");
  if (!topic.ok()) return reply(topic.status());
  auto subs = ListTopicSubscriptions(sns, *topic);
  if (!subs.ok()) return reply(subs.status());
  ReplyPage(*subs, input, std::move(reply));
}

void GetSubscriptionAttributes(const Sns& sns, const RequestContext& ctx, Value&& input,
                               Reply reply) {
  auto sub = LoadSubscription(sns, ctx, StringOf(input, "SubscriptionArn"));
  if (!sub.ok()) return reply(sub.status());
  if (Status st = AuthorizeAccount(sns, ctx, "sns:GetSubscriptionAttributes", sub->Arn());
      !st.ok()) {
    return reply(st);
  }
  auto topic = FindTopic(sns, {sub->topic_account, sub->topic_region}, sub->topic_name);
  const std::string topic_policy =
      topic.ok() && topic->has_value() ? (*topic)->Attribute("DeliveryPolicy") : std::string();
  std::map<std::string, std::string> attributes = sub->attributes;
  attributes["SubscriptionArn"] = sub->Arn();
  attributes["TopicArn"] = sub->TopicArn();
  attributes["Owner"] = sub->owner;
  attributes["Protocol"] = sub->protocol;
  attributes["Endpoint"] = sub->endpoint;
  attributes["PendingConfirmation"] = sub->pending ? "true" : "false";
  attributes["ConfirmationWasAuthenticated"] = sub->confirmation_authenticated ? "true" : "false";
  attributes["SubscriptionPrincipal"] = fmt::format("arn:aws:iam::{}:root", sub->owner);
  attributes.try_emplace("RawMessageDelivery", "false");
  if (!sub->Attribute("FilterPolicy").empty()) {
    attributes.try_emplace("FilterPolicyScope", "MessageAttributes");
  }
  attributes["EffectiveDeliveryPolicy"] =
      EffectiveSubscriptionDeliveryPolicyJson(topic_policy, sub->Attribute("DeliveryPolicy"));
  Value out = Value::Struct();
  out.Set("Attributes", StringMapValue(attributes));
  reply(std::move(out));
}

void SetSubscriptionAttributes(const Sns& sns, const RequestContext& ctx, Value&& input,
                               Reply reply) {
  auto sub = LoadSubscription(sns, ctx, StringOf(input, "SubscriptionArn"));
  if (!sub.ok()) return reply(sub.status());
  if (Status st = AuthorizeAccount(sns, ctx, "sns:SetSubscriptionAttributes", sub->Arn());
      !st.ok()) {
    return reply(st);
  }
  const std::string name = StringOf(input, "AttributeName");
  const std::string value = StringOf(input, "AttributeValue");
  if (Status st = ValidateSubscriptionAttribute(sns, sub->protocol, name, value); !st.ok()) {
    return reply(st);
  }
  std::map<std::string, std::string> next = sub->attributes;
  if (value.empty()) {
    next.erase(name);
  } else {
    next[name] = value;
  }
  if (Status st = ValidateFilter(sns, next, FilterAction::kSetSubscriptionAttributes); !st.ok()) {
    return reply(st);
  }
  if (name == "FilterPolicy" && !value.empty() && sub->Attribute("FilterPolicy").empty()) {
    auto topic = FindTopic(sns, {sub->topic_account, sub->topic_region}, sub->topic_name);
    if (topic.ok() && topic->has_value()) {
      if (Status st = CheckFilterPolicyLimit(sns, **topic, sub->id); !st.ok()) return reply(st);
    }
  }
  sub->attributes = std::move(next);
  ReplyStatus(reply, StoreSubscription(sns, *sub, false));
}

}  // namespace sluice::sns
