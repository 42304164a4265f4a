// Internal to the SNS service: the state its handlers share and the helpers they use (the store,
// authorization, inputs and outputs, paging). Handlers (topic_actions.cc,
// subscription_actions.cc, publish.cc, permission_tag_actions.cc, platform_actions.cc) decode the
// input Value, apply SNS's rules and fill the output Value.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/request_context.h"
#include "common/status.h"
#include "engine/resource_store.h"
#include "protocol/service.h"
#include "protocol/value.h"
#include "services/platform/platform.h"
#include "services/sns/delivery.h"
#include "services/sns/errors.h"
#include "services/sns/filter.h"
#include "services/sns/records.h"
#include "services/sns/sns_service.h"
#include "services/sns/subscription_index.h"

namespace sluice::sns {

using protocol::Reply;
using protocol::Value;

// Per FIFO topic: the last sequence number and the deduplication window (5 minutes, in memory:
// after a restart the queues' own deduplication still drops repeats).
struct FifoTopicState {
  std::mutex mu;  // also serializes Publish on the topic, so each group keeps its order
  std::uint64_t last_sequence = 0;
  struct Seen {
    std::string message_id;
    std::string sequence_number;
    Millis expires_ms = 0;
  };
  std::map<std::string, Seen> dedup;                  // by deduplication key
  std::deque<std::pair<Millis, std::string>> expiry;  // (expires, key), oldest first
};

class FifoStates {
 public:
  std::shared_ptr<FifoTopicState> Get(const std::string& topic_arn);
  void Forget(const std::string& topic_arn);

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<FifoTopicState>> states_;
};

// Parsed filter policies by (scope, text), for validating Subscribe and SetSubscriptionAttributes.
class FilterCache {
 public:
  // Errors are not cached: `action` only words them.
  Result<std::shared_ptr<const SubscriptionFilter>> Get(
      std::string_view policy, FilterScope scope,
      FilterAction action = FilterAction::kSetSubscriptionAttributes);

 private:
  std::mutex mu_;
  std::map<std::pair<int, std::string>, std::shared_ptr<const SubscriptionFilter>> cache_;
};

struct Sns {
  services::Platform platform;
  SnsOptions options;
  Delivery& delivery;
  std::shared_ptr<FifoStates> fifo = std::make_shared<FifoStates>();
  std::shared_ptr<FilterCache> filters = std::make_shared<FilterCache>();
  // Confirmed subscriptions by topic, their policies indexed (Publish's matching).
  std::shared_ptr<SubscriptionIndex> index = std::make_shared<SubscriptionIndex>();
};

inline engine::ResourceScope ScopeOf(const RequestContext& ctx) {
  return {ctx.account_id, ctx.region};
}

std::string StringOf(const Value& input, std::string_view name);
// The string map `name` of the input (Attributes): entries whose value is a string.
std::map<std::string, std::string> StringMapOf(const Value& input, std::string_view name);
Value StringMapValue(const std::map<std::string, std::string>& map);
void ReplyStatus(const Reply& reply, const Status& status);

// "http://host:port" for the URLs SNS puts in what it delivers: options' public host, else the
// request's Host (scheme from the connection).
std::string BaseUrl(const Sns& sns, const RequestContext& ctx);
// The caller's account root ARN with auth "none", else its principal.
std::string CallerArn(const RequestContext& ctx);

// ---- topics ---------------------------------------------------------------------------------
// The topic `arn` names, for `action`: InvalidParameter for an ARN that is not one ("Invalid
// parameter: TopicArn"), NotFound "Topic does not exist", then the action authorized on it
// (AuthorizationError). `param` names the parameter in errors.
Result<Topic> LoadTopic(const Sns& sns, const RequestContext& ctx, std::string_view arn,
                        std::string_view action, std::string_view param = "TopicArn");
Result<std::optional<Topic>> FindTopic(const Sns& sns, const engine::ResourceScope& scope,
                                       std::string_view name);
// Read-modify-write of a topic; `change` edits it or refuses. NotFound when it is gone.
Result<Topic> UpdateTopic(const Sns& sns, const Topic& topic,
                          const std::function<Status(Topic&)>& change);
// The topic's Policy: as set, else the default AWS writes.
std::string TopicPolicy(const Topic& topic);
// `action` ("sns:Publish") on the topic, by identity policies and the topic's policy.
Status AuthorizeTopic(const Sns& sns, const RequestContext& ctx, std::string_view action,
                      const Topic& topic);
Status AuthorizeAccount(const Sns& sns, const RequestContext& ctx, std::string_view action,
                        std::string_view arn);

// ---- subscriptions --------------------------------------------------------------------------
Result<std::vector<Subscription>> ListTopicSubscriptions(const Sns& sns, const Topic& topic);
Result<std::vector<Subscription>> ListScopeSubscriptions(const Sns& sns,
                                                         const engine::ResourceScope& scope);
// The subscription `arn` names: InvalidParameter for a malformed ARN, NotFound "Subscription does
// not exist".
Result<Subscription> LoadSubscription(const Sns& sns, const RequestContext& ctx,
                                      std::string_view arn);
// Every write of a subscription record goes through these two (they keep sns.index in step).
Status StoreSubscription(const Sns& sns, Subscription& subscription, bool create);
Status DeleteSubscription(const Sns& sns, const Subscription& subscription);
// Validates one subscription attribute for `protocol` (texts as AWS words them).
Status ValidateSubscriptionAttribute(const Sns& sns, std::string_view protocol,
                                     const std::string& name, const std::string& value);
// Validates one topic attribute being set (`creating`: CreateTopic, where FifoTopic is allowed).
Status ValidateTopicAttribute(const std::string& name, const std::string& value, bool fifo,
                              bool creating);
// Tags as CreateTopic / TagResource take them: InvalidParameter / TagLimitExceeded.
Result<Tags> TagsOf(const Value& input, std::string_view member);
Status CheckTagCount(const Tags& tags);

// Paging tokens: the last name of the page.
std::string PageToken(std::string_view after);
Result<std::string> TokenPosition(const Value& input);

// ---- handlers -------------------------------------------------------------------------------
// topic_actions.cc
void CreateTopic(const Sns&, const RequestContext&, Value&&, Reply);
void DeleteTopic(const Sns&, const RequestContext&, Value&&, Reply);
void ListTopics(const Sns&, const RequestContext&, Value&&, Reply);
void GetTopicAttributes(const Sns&, const RequestContext&, Value&&, Reply);
void SetTopicAttributes(const Sns&, const RequestContext&, Value&&, Reply);
void GetDataProtectionPolicy(const Sns&, const RequestContext&, Value&&, Reply);
void PutDataProtectionPolicy(const Sns&, const RequestContext&, Value&&, Reply);
// subscription_actions.cc
void Subscribe(const Sns&, const RequestContext&, Value&&, Reply);
void ConfirmSubscription(const Sns&, const RequestContext&, Value&&, Reply);
void Unsubscribe(const Sns&, const RequestContext&, Value&&, Reply);
void ListSubscriptions(const Sns&, const RequestContext&, Value&&, Reply);
void ListSubscriptionsByTopic(const Sns&, const RequestContext&, Value&&, Reply);
void GetSubscriptionAttributes(const Sns&, const RequestContext&, Value&&, Reply);
void SetSubscriptionAttributes(const Sns&, const RequestContext&, Value&&, Reply);
// publish.cc
void Publish(const Sns&, const RequestContext&, Value&&, Reply);
void PublishBatch(const Sns&, const RequestContext&, Value&&, Reply);
// permission_tag_actions.cc
void AddPermission(const Sns&, const RequestContext&, Value&&, Reply);
void RemovePermission(const Sns&, const RequestContext&, Value&&, Reply);
void TagResource(const Sns&, const RequestContext&, Value&&, Reply);
void UntagResource(const Sns&, const RequestContext&, Value&&, Reply);
void ListTagsForResource(const Sns&, const RequestContext&, Value&&, Reply);
// platform_actions.cc: platform applications, endpoints, SMS and phone numbers.
void CreatePlatformApplication(const Sns&, const RequestContext&, Value&&, Reply);
void DeletePlatformApplication(const Sns&, const RequestContext&, Value&&, Reply);
void ListPlatformApplications(const Sns&, const RequestContext&, Value&&, Reply);
void GetPlatformApplicationAttributes(const Sns&, const RequestContext&, Value&&, Reply);
void SetPlatformApplicationAttributes(const Sns&, const RequestContext&, Value&&, Reply);
void CreatePlatformEndpoint(const Sns&, const RequestContext&, Value&&, Reply);
void DeleteEndpoint(const Sns&, const RequestContext&, Value&&, Reply);
void ListEndpointsByPlatformApplication(const Sns&, const RequestContext&, Value&&, Reply);
void GetEndpointAttributes(const Sns&, const RequestContext&, Value&&, Reply);
void SetEndpointAttributes(const Sns&, const RequestContext&, Value&&, Reply);
void CheckIfPhoneNumberIsOptedOut(const Sns&, const RequestContext&, Value&&, Reply);
void ListPhoneNumbersOptedOut(const Sns&, const RequestContext&, Value&&, Reply);
void OptInPhoneNumber(const Sns&, const RequestContext&, Value&&, Reply);
void GetSMSAttributes(const Sns&, const RequestContext&, Value&&, Reply);
void SetSMSAttributes(const Sns&, const RequestContext&, Value&&, Reply);
void GetSMSSandboxAccountStatus(const Sns&, const RequestContext&, Value&&, Reply);
void CreateSMSSandboxPhoneNumber(const Sns&, const RequestContext&, Value&&, Reply);
void DeleteSMSSandboxPhoneNumber(const Sns&, const RequestContext&, Value&&, Reply);
void VerifySMSSandboxPhoneNumber(const Sns&, const RequestContext&, Value&&, Reply);
void ListSMSSandboxPhoneNumbers(const Sns&, const RequestContext&, Value&&, Reply);
void ListOriginationNumbers(const Sns&, const RequestContext&, Value&&, Reply);

}  // namespace sluice::sns
