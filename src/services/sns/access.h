// Topic policies and what SNS is allowed to do on the queues it delivers to:
// - the default topic policy AWS writes, and AddPermission / RemovePermission as edits of it;
// - whether a queue's Policy lets a topic send to it (SNS acts as the service principal
//   sns.amazonaws.com with aws:SourceArn = the topic and aws:SourceAccount = its owner).
// Pure functions over policy texts; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace sluice::sns {

// {"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID",
// ... every topic action for principals of the owner account (AWS:SourceOwner)}]}
std::string DefaultTopicPolicy(std::string_view topic_arn, std::string_view account);

// Validates a Policy attribute: InvalidParameter "Invalid parameter: Policy Error: <reason>".
Status ValidateTopicPolicy(std::string_view policy);

// The policy with a statement `label` allowing `accounts` ("111122223333") the `actions`
// ("Publish") on the topic. InvalidParameter when the label is taken.
Result<std::string> AddPermission(std::string_view policy, std::string_view topic_arn,
                                  std::string_view label, const std::vector<std::string>& accounts,
                                  const std::vector<std::string>& actions);
// The policy without statement `label` (unchanged when there is none).
Result<std::string> RemovePermission(std::string_view policy, std::string_view label);

// Whether `queue_policy` allows sqs:SendMessage on `queue_arn` to SNS delivering for `topic_arn`
// (owned by `topic_account`). An empty policy allows nothing.
bool QueueAllowsTopic(std::string_view queue_policy, std::string_view queue_arn,
                      std::string_view topic_arn, std::string_view topic_account, Millis now_ms);
// The same for any AWS service principal (`service`: "events.amazonaws.com") acting for
// `source_arn` (an EventBridge rule) owned by `source_account`.
bool QueueAllowsService(std::string_view queue_policy, std::string_view queue_arn,
                        std::string_view service, std::string_view source_arn,
                        std::string_view source_account, Millis now_ms);

// Whether the KMS key policy `key_policy` of `key_arn` lets SNS encrypt for a queue it delivers
// to: kms:GenerateDataKey and kms:Decrypt for the service principal sns.amazonaws.com acting for
// `topic_arn` (owned by `topic_account`), as AWS requires of an encrypted queue's key.
bool KeyAllowsTopic(std::string_view key_policy, std::string_view key_arn,
                    std::string_view topic_arn, std::string_view topic_account, Millis now_ms);

}  // namespace sluice::sns
