// Queue attributes: names, defaults, ranges, canonical forms and AWS error texts; redrive
// policies; queue policies written by AddPermission; tags; queue names and ARNs.
// Pure logic shared by every engine backend; thread-safe (no state).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/types.h"

namespace sluice::engine {

inline constexpr int kMaxVisibilityTimeout = 43200;
inline constexpr int kMaxDelaySeconds = 900;
inline constexpr int kMaxMessageSizeLimit = 1048576;
inline constexpr Millis kQuietPeriodMs = 60'000;  // purge and delete-recreate

// "arn:aws:sqs:<region>:<account>:<name>".
std::string FormatQueueArn(std::string_view region, const QueueId& id);
// Region and queue of an SQS queue ARN; nullopt when not one.
struct ParsedArn {
  std::string region;
  QueueId queue;  // with queue.region = region
};
std::optional<ParsedArn> ParseQueueArn(std::string_view arn);

// Message move task handles as AWS shapes them: base64 of {"taskId":"<id>","sourceArn":"<arn>"}.
std::string EncodeMoveTaskHandle(std::string_view task_id, std::string_view source_arn);
struct MoveTaskHandle {
  std::string task_id;
  std::string source_arn;  // an SQS queue ARN
};
// nullopt unless `handle` is such a document (or "<id>|<arn>", the form Sluice issued before).
std::optional<MoveTaskHandle> DecodeMoveTaskHandle(std::string_view handle);

// kInvalidParameterValue when the name is not 1-80 [A-Za-z0-9_-] (plus ".fifo" for FIFO), or
// when the ".fifo" suffix does not match `fifo`.
Status ValidateQueueName(std::string_view name, bool fifo);

struct RedrivePolicy {
  std::string dead_letter_target_arn;
  QueueId dead_letter_queue;
  int max_receive_count = 0;
  std::string ToJson() const;  // canonical: {"deadLetterTargetArn":"…","maxReceiveCount":N}
};
// Parses the RedrivePolicy attribute (syntax and ranges only; existence is the engine's job).
Result<RedrivePolicy> ParseRedrivePolicy(std::string_view json);

struct RedriveAllowPolicy {
  enum class Permission { kAllowAll, kDenyAll, kByQueue };
  Permission permission = Permission::kAllowAll;
  std::vector<std::string> source_queue_arns;  // only kByQueue, 1..10
  std::string ToJson() const;
  bool Allows(std::string_view source_arn) const;
};
Result<RedriveAllowPolicy> ParseRedriveAllowPolicy(std::string_view json);

// The settable attributes in typed form. Read-only attributes (counts, timestamps, ARN) are
// computed by the engine.
struct QueueConfig {
  int delay_seconds = 0;
  int maximum_message_size = kMaxMessageSizeLimit;
  int message_retention_period = 345600;
  int receive_message_wait_time_seconds = 0;
  int visibility_timeout = 30;
  std::string policy;  // empty: none
  std::optional<RedrivePolicy> redrive_policy;
  std::optional<RedriveAllowPolicy> redrive_allow_policy;
  std::string kms_master_key_id;  // empty: none
  int kms_data_key_reuse_period_seconds = 300;
  bool sqs_managed_sse_enabled = true;
  bool fifo_queue = false;
  // FIFO-only, kept for when FIFO lands.
  bool content_based_deduplication = false;
  std::string deduplication_scope = "queue";
  std::string fifo_throughput_limit = "perQueue";
};

// Every attribute name GetQueueAttributes knows, in the order "All" reports them.
const std::vector<std::string>& AllAttributeNames();
bool IsKnownAttributeName(std::string_view name);
bool IsReadOnlyAttribute(std::string_view name);

// Validates names and values of attributes given to CreateQueue (`for_create`) or
// SetQueueAttributes and returns them in canonical form ("030" -> "30", "TRUE" -> "true",
// JSON policies re-serialized; "" kept for clearable attributes). Errors:
// kInvalidAttributeName "Unknown Attribute <n>." for unknown, read-only or wrong-queue-type
// names; kInvalidAttributeValue "Invalid value for the parameter <n>." for bad values;
// kInvalidParameterValue for bad redrive policies.
Result<AttributeMap> CanonicalizeAttributes(const AttributeMap& given, bool fifo, bool for_create);
// Applies canonical attributes (from CanonicalizeAttributes or a store) to `config`.
void ApplyAttributes(QueueConfig& config, const AttributeMap& canonical);
// Canonical value of a settable attribute, nullopt when absent/not applicable.
std::optional<std::string> ConfigAttribute(const QueueConfig& config, std::string_view name);
// Every settable attribute currently set, canonical (what a store persists).
AttributeMap ConfigToAttributes(const QueueConfig& config);

// AddPermission / RemovePermission on a Policy document ("" = none). Errors use the AWS texts
// ("Value <l> for parameter Label is invalid. Reason: Already exists." / "can't find label.").
Result<std::string> PolicyAddPermission(std::string_view policy, std::string_view queue_arn,
                                        std::string_view label,
                                        const std::vector<std::string>& account_ids,
                                        const std::vector<std::string>& actions);
Result<std::string> PolicyRemovePermission(std::string_view policy, std::string_view label);

// Tag rules: at most 50 tags per queue, keys 1-128 chars not starting with "aws:", values
// <= 256 chars. `existing` is the current map, `added` what TagQueue or CreateQueue adds.
Status ValidateTags(const TagMap& existing, const TagMap& added);

}  // namespace sluice::engine
