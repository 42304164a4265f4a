// SNS and SQS resource names: building and parsing topic, subscription, platform and queue ARNs.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sluice::sns {

// "arn:aws:sns:<region>:<account>:<topic>"
std::string TopicArn(std::string_view region, std::string_view account, std::string_view topic);

// The parts of an ARN "arn:<partition>:<service>:<region>:<account>:<resource>".
struct ArnParts {
  std::string service;
  std::string region;
  std::string account;
  std::string resource;  // everything after the fifth colon
};
std::optional<ArnParts> ParseArn(std::string_view arn);

// A topic ARN: region, account and name ([A-Za-z0-9_-]+ with an optional ".fifo").
struct TopicRef {
  std::string region;
  std::string account;
  std::string name;
};
std::optional<TopicRef> ParseTopicArn(std::string_view arn);

// A subscription ARN "<topic arn>:<id>".
struct SubscriptionRef {
  TopicRef topic;
  std::string id;
};
std::optional<SubscriptionRef> ParseSubscriptionArn(std::string_view arn);

// An SQS queue ARN "arn:aws:sqs:<region>:<account>:<name>".
struct QueueRef {
  std::string region;
  std::string account;
  std::string name;
};
std::optional<QueueRef> ParseQueueArn(std::string_view arn);

// The number of ':'-separated fields of `arn` (AWS's "An ARN must have at least 6 elements, not
// N" counts them).
std::size_t ArnElements(std::string_view arn);

// A topic name as CreateTopic accepts it: 1-256 characters [A-Za-z0-9_-], where a FIFO topic's
// name ends in ".fifo" (the suffix counts toward the 256).
bool IsValidTopicName(std::string_view name, bool fifo);

}  // namespace sluice::sns
