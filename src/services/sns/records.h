// Topics and subscriptions as the resource store keeps them, per account and region of the topic:
// kind "sns.topic" by topic name, kind "sns.subscription" by "<topic name>:<subscription id>" (so
// one prefix lists a topic's subscriptions). Values are JSON, in clear.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "engine/resource_store.h"

namespace sluice::sns {

inline constexpr char kTopicKind[] = "sns.topic";
inline constexpr char kSubscriptionKind[] = "sns.subscription";

using Tags = std::vector<std::pair<std::string, std::string>>;  // in the order they were added

struct Topic {
  std::string name;
  std::string account;
  std::string region;
  // The settable attributes as set (DisplayName, Policy, DeliveryPolicy, KmsMasterKeyId,
  // SignatureVersion, TracingConfig, FifoTopic, ContentBasedDeduplication, ...).
  std::map<std::string, std::string> attributes;
  Tags tags;
  std::string data_protection_policy;
  std::int64_t subscriptions_deleted = 0;
  Millis created_ms = 0;
  std::uint64_t version = 0;  // the store record's version

  std::string Arn() const;
  bool fifo() const;
  // The attribute's value, or "" when unset.
  const std::string& Attribute(const std::string& name) const;
  bool content_based_dedup() const;
  int signature_version() const;  // 1 or 2
};

struct Subscription {
  std::string id;  // the last field of the ARN
  std::string topic_name;
  std::string topic_account;
  std::string topic_region;
  std::string owner;  // the subscriber's account
  std::string protocol;
  std::string endpoint;
  // RawMessageDelivery, FilterPolicy, FilterPolicyScope, RedrivePolicy, DeliveryPolicy,
  // SubscriptionRoleArn, ReplayPolicy, as set.
  std::map<std::string, std::string> attributes;
  bool pending = false;
  bool confirmation_authenticated = false;
  std::string token;  // pending: the confirmation token
  Millis token_expires_ms = 0;
  Millis created_ms = 0;
  std::uint64_t version = 0;

  std::string TopicArn() const;
  std::string Arn() const;
  std::string Key() const { return topic_name + ":" + id; }
  const std::string& Attribute(const std::string& name) const;
  bool raw() const { return Attribute("RawMessageDelivery") == "true"; }
};

engine::ResourceRecord EncodeTopic(const Topic& topic);
Result<Topic> DecodeTopic(const engine::ResourceScope& scope, const engine::ResourceRecord& record);
engine::ResourceRecord EncodeSubscription(const Subscription& subscription);
Result<Subscription> DecodeSubscription(const engine::ResourceScope& scope,
                                        const engine::ResourceRecord& record);

}  // namespace sluice::sns
