#include "engine/queue_rules.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/encoding.h"

namespace sluice::engine {

std::size_t MessageSize(const SendRequest& r) {
  std::size_t n = r.body.size();
  for (const auto& a : r.attributes) n += a.name.size() + a.data_type.size() + a.value.size();
  return n;
}

Status ValidateFifoCombination(const QueueConfig& c) {
  if (c.fifo_queue && c.fifo_throughput_limit == "perMessageGroupId" &&
      c.deduplication_scope != "messageGroup") {
    return Status(SqsError::kInvalidAttributeValue,
                  "Invalid value for the parameter FifoThroughputLimit. Reason: "
                  "perMessageGroupId is only valid when DeduplicationScope is messageGroup.");
  }
  return Status::Ok();
}

Result<CreatePlan> PlanCreateQueue(const QueueId& id, const AttributeMap& attributes,
                                   const TagMap& tags) {
  CreatePlan plan;
  if (auto it = attributes.find("FifoQueue"); it != attributes.end()) {
    std::string v = it->second;
    std::transform(v.begin(), v.end(), v.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    plan.fifo = v == "true";
  }
  if (Status s = ValidateQueueName(id.name, plan.fifo); !s.ok()) return s;
  auto canonical = CanonicalizeAttributes(attributes, plan.fifo, true);
  if (!canonical.ok()) return canonical.status();
  if (Status s = ValidateTags({}, tags); !s.ok()) return s;
  plan.canonical = std::move(canonical).value();
  ApplyAttributes(plan.config, plan.canonical);
  if (Status s = ValidateFifoCombination(plan.config); !s.ok()) return s;
  if (!plan.config.kms_master_key_id.empty() && !plan.canonical.contains("SqsManagedSseEnabled")) {
    plan.config.sqs_managed_sse_enabled = false;
  }
  return plan;
}

Status CompareForCreate(const QueueConfig& existing, const AttributeMap& canonical) {
  for (const auto& [name, value] : canonical) {
    // Compared even where GetQueueAttributes would omit them (standard FifoQueue, reuse period
    // without a KMS key).
    std::string current;
    if (name == "KmsDataKeyReusePeriodSeconds") {
      current = std::to_string(existing.kms_data_key_reuse_period_seconds);
    } else if (name == "FifoQueue") {
      current = existing.fifo_queue ? "true" : "false";
    } else {
      current = ConfigAttribute(existing, name).value_or("");
    }
    if (current != value) {
      return Status(SqsError::kQueueNameExists,
                    fmt::format("A queue already exists with the same name and a different "
                                "value for attribute {}",
                                name));
    }
  }
  return Status::Ok();
}

void ApplySetAttributes(QueueConfig& config, const AttributeMap& canonical) {
  ApplyAttributes(config, canonical);
  if (canonical.contains("KmsMasterKeyId") && !config.kms_master_key_id.empty() &&
      !canonical.contains("SqsManagedSseEnabled")) {
    config.sqs_managed_sse_enabled = false;
  }
}

bool InQuietPeriod(Millis last_ms, Millis now) {
  return last_ms != 0 && now - last_ms < kQuietPeriodMs;
}

Status DeletedRecentlyError() {
  return Status(SqsError::kQueueDeletedRecently,
                "You must wait 60 seconds after deleting a queue before you can create another "
                "with the same name.");
}

Status PurgeInProgressError(std::string_view queue_name) {
  return Status(
      SqsError::kPurgeQueueInProgress,
      fmt::format("Only one PurgeQueue operation on {} is allowed every 60 seconds.", queue_name));
}

namespace {
Status RedriveInvalid(std::string_view json, std::string_view reason) {
  return Status(
      ErrorCode::kInvalidParameterValue,
      fmt::format("Value {} for parameter RedrivePolicy is invalid. Reason: {}", json, reason));
}
}  // namespace

Result<QueueId> RedriveTarget(const QueueId& source, const RedrivePolicy& policy,
                              std::string_view json) {
  auto parsed = ParseQueueArn(policy.dead_letter_target_arn);
  // AWS: the dead-letter queue must be in the source's account and region.
  if (!parsed || parsed->region != source.region || parsed->queue.account != source.account) {
    return RedriveInvalid(json,
                          "Dead-letter target must be in the same account and region as the "
                          "source.");
  }
  if (parsed->queue == source) {
    return RedriveInvalid(json, "Dead-letter target can't be the source queue.");
  }
  return parsed->queue;
}

Status CheckRedriveTarget(bool source_fifo, std::string_view source_arn, std::string_view json,
                          const DeadLetterInfo* target) {
  if (!target) return RedriveInvalid(json, "Dead letter target does not exist.");
  if (target->fifo != source_fifo) {
    return RedriveInvalid(
        json, source_fifo ? "Dead-letter queue of a FIFO queue must also be a FIFO queue."
                          : "Dead-letter queue of a standard queue must also be a standard queue.");
  }
  if (target->redrive_allow_policy && !target->redrive_allow_policy->Allows(source_arn)) {
    return RedriveInvalid(
        json,
        fmt::format(
            "Queue {} is not allowed to use {} as a dead-letter queue by its RedriveAllowPolicy.",
            source_arn, target->arn));
  }
  return Status::Ok();
}

void RewriteForDeadLetter(MessagePayload& p, std::string_view source_arn, bool fifo, Millis now) {
  p.dead_letter_source_arn = std::string(source_arn);
  if (fifo) {
    p.dedup_id = p.message_id;
    p.sent_ms = now;  // the move time
  }
}

std::optional<Status> CheckStandardEntry(const SendRequest& r, std::size_t max_size,
                                         int default_delay) {
  const std::size_t size = r.size != 0 ? r.size : MessageSize(r);
  if (size > max_size) {
    return Status(ErrorCode::kInvalidParameterValue,
                  fmt::format("One or more parameters are invalid. Reason: Message must be "
                              "shorter than {} bytes.",
                              max_size));
  }
  const int delay = r.delay_seconds.value_or(default_delay);
  if (delay < 0 || delay > kMaxDelaySeconds) {
    return Status(ErrorCode::kInvalidParameterValue,
                  fmt::format("Value {} for parameter DelaySeconds is invalid. Reason: Must be >= "
                              "0 and <= 900, if provided.",
                              delay));
  }
  if (r.dedup_id) {
    return Status(
        ErrorCode::kInvalidParameterValue,
        fmt::format("Value {} for parameter MessageDeduplicationId is invalid. Reason: The "
                    "request include parameter that is not valid for this queue type.",
                    *r.dedup_id));
  }
  return std::nullopt;
}

std::optional<Status> CheckFifoEntry(const SendRequest& r, std::size_t max_size) {
  const std::size_t size = r.size != 0 ? r.size : MessageSize(r);
  if (size > max_size) {
    return Status(ErrorCode::kInvalidParameterValue,
                  fmt::format("One or more parameters are invalid. Reason: Message must be "
                              "shorter than {} bytes.",
                              max_size));
  }
  if (r.delay_seconds && *r.delay_seconds != 0) {
    return Status(ErrorCode::kInvalidParameterValue,
                  fmt::format("Value {} for parameter DelaySeconds is invalid. Reason: The "
                              "request include parameter that is not valid for this queue type.",
                              *r.delay_seconds));
  }
  return std::nullopt;
}

Status CheckFifoBatch(const std::vector<SendRequest>& entries, bool content_based_dedup) {
  for (const SendRequest& r : entries) {
    if (!r.group_id) {
      return Status(ErrorCode::kInvalidParameterValue,
                    "The request must contain the parameter MessageGroupId.");
    }
  }
  if (!content_based_dedup && std::any_of(entries.begin(), entries.end(),
                                          [](const SendRequest& r) { return !r.dedup_id; })) {
    return Status(ErrorCode::kInvalidParameterValue,
                  "The queue should either have ContentBasedDeduplication enabled or "
                  "MessageDeduplicationId provided explicitly");
  }
  return Status::Ok();
}

std::string FifoDedupKey(SendRequest& r, const QueueConfig& c) {
  if (!r.dedup_id) r.dedup_id = Sha256Hex(r.body);  // content-based (CheckFifoBatch passed)
  return c.deduplication_scope == "messageGroup" ? *r.group_id + "\n" + *r.dedup_id : *r.dedup_id;
}

bool NoisyTenant(std::size_t tenants, std::size_t inflight, std::size_t total_inflight) {
  if (tenants <= 1 || inflight <= kNoisyMinInflight) return false;
  const std::size_t others = total_inflight - std::min(inflight, total_inflight);
  // inflight > factor * others / (tenants - 1), in integers.
  return inflight * (tenants - 1) > kNoisyFactor * others;
}

std::string MoveTaskStatusName(MoveTaskStatus s) {
  switch (s) {
    case MoveTaskStatus::kRunning:
      return "RUNNING";
    case MoveTaskStatus::kCompleted:
      return "COMPLETED";
    case MoveTaskStatus::kCancelling:
      return "CANCELLING";
    case MoveTaskStatus::kCancelled:
      return "CANCELLED";
    case MoveTaskStatus::kFailed:
      return "FAILED";
  }
  return "";
}

Status QueueMissing() {
  return Status(SqsError::kQueueDoesNotExist, "The specified queue does not exist.");
}

Status InvalidReceipt(std::string_view rh) {
  return Status(SqsError::kReceiptHandleIsInvalid,
                fmt::format("The input receipt handle \"{}\" is not a valid receipt handle.", rh));
}

Status ReceiptHandleExpired(std::string_view rh) {
  return Status(ErrorCode::kInvalidParameterValue,
                fmt::format("Value {} for parameter ReceiptHandle is invalid. Reason: The receipt "
                            "handle has expired.",
                            rh));
}

Status MessageNotAvailableForVisibility(std::string_view rh) {
  return Status(ErrorCode::kInvalidParameterValue,
                fmt::format("Value {} for parameter ReceiptHandle is invalid. Reason: Message does "
                            "not exist or is not available for visibility timeout change.",
                            rh));
}

Status VisibilityOutOfRange(int vt) {
  return Status(ErrorCode::kInvalidParameterValue,
                fmt::format("Value {} for parameter VisibilityTimeout is invalid. Reason: Must be "
                            "between 0 and 43200.",
                            vt));
}

Status VisibilityBeyondLimit(int vt) {
  return Status(ErrorCode::kInvalidParameterValue,
                fmt::format("Value {} for parameter VisibilityTimeout is invalid. Reason: Total "
                            "VisibilityTimeout for the message is beyond the limit [43200 "
                            "seconds].",
                            vt));
}

Status OverLimitError(std::size_t limit) {
  return Status(SqsError::kOverLimit,
                fmt::format("The maximum number of in-flight messages ({}) has been reached for "
                            "this queue.",
                            limit));
}

Status MoveTaskNoSource() {
  return Status(SqsError::kResourceNotFound,
                "The resource that you specified for the SourceArn parameter doesn't exist.");
}

Status MoveTaskNoDestination() {
  return Status(SqsError::kResourceNotFound,
                "The resource that you specified for the DestinationArn parameter doesn't exist.");
}

Status MoveTaskRateOutOfRange(int max_per_second) {
  return Status(ErrorCode::kInvalidParameterValue,
                fmt::format("Value {} for parameter MaxNumberOfMessagesPerSecond is invalid. "
                            "Reason: Must be between 1 and 500.",
                            max_per_second));
}

Status MoveTaskSourceNotDeadLetter() {
  return Status(ErrorCode::kInvalidParameterValue,
                "Source queue must be configured as a Dead Letter Queue.");
}

Status MoveTaskTypesDiffer() {
  return Status(ErrorCode::kInvalidParameterValue,
                "The source queue and the destination queue must be of the same type.");
}

Status MoveTaskAlreadyRunning() {
  return Status(ErrorCode::kInvalidParameterValue,
                "There is already a task running. Only one active task is allowed for a source "
                "queue arn at a given time.");
}

Status MoveTaskMaxResultsOutOfRange(int max_results) {
  return Status(ErrorCode::kInvalidParameterValue,
                fmt::format("Value {} for parameter MaxResults is invalid. Reason: Must be "
                            "between 1 and 10, if provided.",
                            max_results));
}

Status MoveTaskInvalidHandle() {
  return Status(ErrorCode::kInvalidParameterValue, "Value for parameter TaskHandle is invalid.");
}

Status MoveTaskNotRunning(MoveTaskStatus status) {
  return Status(ErrorCode::kInvalidParameterValue,
                fmt::format("Task is not running (status {}); only running tasks can be cancelled.",
                            MoveTaskStatusName(status)));
}

Status MoveTaskMissing() { return Status(SqsError::kResourceNotFound, "Task does not exist."); }

}  // namespace sluice::engine
