// Delivery policies (the DeliveryPolicy attributes of topics and subscriptions): parsing with
// AWS's rules, the effective policy of a subscription, and the retry schedule it implies.
// Pure functions; thread-safe.
//
// A topic's policy: {"http": {"defaultHealthyRetryPolicy": {...}, "disableSubscriptionOverrides":
// bool, "defaultThrottlePolicy": {"maxReceivesPerSecond": n}, "defaultRequestPolicy":
// {"headerContentType": "..."}}}. A subscription's: {"healthyRetryPolicy": {...},
// "throttlePolicy": {...}, "requestPolicy": {...}}. A retry policy has numRetries (0-100),
// numNoDelayRetries, numMinDelayRetries, numMaxDelayRetries, minDelayTarget, maxDelayTarget
// (seconds, 1-3600, min <= max) and backoffFunction (linear, arithmetic, geometric,
// exponential).
//
// The schedule (sns-semantics.md §7): after the first attempt, numNoDelayRetries retries at once,
// numMinDelayRetries after minDelayTarget each, then the backoff phase (the retries left after
// the other three phases) growing from minDelayTarget to maxDelayTarget by backoffFunction, then
// numMaxDelayRetries after maxDelayTarget each. AWS adds jitter; Sluice does not, so a schedule
// is exact and testable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace sluice::sns {

struct RetryPolicy {
  int min_delay_target = 20;  // seconds
  int max_delay_target = 20;
  int num_retries = 3;
  int num_max_delay_retries = 0;
  int num_no_delay_retries = 0;
  int num_min_delay_retries = 0;
  std::string backoff_function = "linear";
};

struct HttpDeliveryPolicy {
  RetryPolicy retry;
  std::optional<int> max_receives_per_second;  // accepted and reported; not enforced
  std::string header_content_type = "text/plain; charset=UTF-8";
};

// Validates a topic's DeliveryPolicy attribute; InvalidParameter "Invalid parameter:
// DeliveryPolicy: <reason>" when it is not acceptable. An empty text is acceptable (unset).
Status ValidateTopicDeliveryPolicy(std::string_view json);
// The same for a subscription's DeliveryPolicy.
Status ValidateSubscriptionDeliveryPolicy(std::string_view json);

// The policy an HTTP/S subscription is delivered with: the subscription's own parts unless the
// topic disables subscription overrides, else the topic's defaults, else AWS's defaults
// (3 retries, 20 s apart).
HttpDeliveryPolicy EffectiveHttpPolicy(std::string_view topic_policy,
                                       std::string_view subscription_policy);

// The topic's EffectiveDeliveryPolicy attribute (its policy with AWS's defaults filled in).
std::string EffectiveTopicDeliveryPolicyJson(std::string_view topic_policy);
// A subscription's EffectiveDeliveryPolicy attribute.
std::string EffectiveSubscriptionDeliveryPolicyJson(std::string_view topic_policy,
                                                    std::string_view subscription_policy);

// The delay before retry `retry` (1-based; retry 1 follows the first attempt), in milliseconds,
// or nullopt when the policy allows no such retry.
std::optional<Millis> RetryDelayMs(const RetryPolicy& policy, int retry);

// The schedule of AWS-managed endpoints (SQS in this server), for failures that may pass
// (the store unavailable): 3 immediate retries, 2 one second apart, 10 backing off from 1 to 20
// seconds, then 100,000 twenty seconds apart.
std::optional<Millis> ManagedRetryDelayMs(int retry);

}  // namespace sluice::sns
