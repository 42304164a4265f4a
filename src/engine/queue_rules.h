// Queue rules every engine backend applies the same way (engine/local, engine/postgres): the
// FIFO attribute combinations, the CreateQueue plan and its idempotent comparison, the SSE flag,
// redrive validation, the quiet periods after DeleteQueue and PurgeQueue, send validation, the
// dead-letter rewrite of a moved message and the AWS error texts of message operations.
// Pure logic; thread-safe (no state). Attribute tables and parsers are in queue_config.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "engine/queue_config.h"
#include "engine/sqs_errors.h"
#include "engine/store.h"
#include "engine/types.h"

namespace sluice::engine {

// FIFO deduplication interval, also how long a ReceiveRequestAttemptId is remembered.
inline constexpr Millis kDedupWindowMs = 5 * 60 * 1000;
// SequenceNumber: 10^19 + seq, a 20-digit decimal that sorts numerically and textually.
inline constexpr std::uint64_t kSequenceBase = 10'000'000'000'000'000'000ULL;
// AWS leaves out of ApproximateAgeOfOldestMessage the messages received this many times.
inline constexpr std::int32_t kPoisonReceives = 3;

inline std::string FormatSequenceNumber(std::uint64_t seq) {
  return std::to_string(kSequenceBase + seq);
}

// Message size as SQS counts it (body + attribute names, types and values) when the handler did
// not give it.
std::size_t MessageSize(const SendRequest& r);

// perMessageGroupId throughput needs DeduplicationScope=messageGroup.
Status ValidateFifoCombination(const QueueConfig& c);

// CreateQueue, before the engine looks at what exists: the queue type from FifoQueue (any case),
// the name, canonical attributes, tags, the FIFO combination and the SSE flag (a KmsMasterKeyId
// without SqsManagedSseEnabled turns SSE-SQS off).
struct CreatePlan {
  bool fifo = false;
  AttributeMap canonical;
  QueueConfig config;
};
Result<CreatePlan> PlanCreateQueue(const QueueId& id, const AttributeMap& attributes,
                                   const TagMap& tags);
// Idempotent create: OK when every attribute given (canonical) equals the existing queue's,
// compared even where GetQueueAttributes would omit it; else kQueueNameExists.
Status CompareForCreate(const QueueConfig& existing, const AttributeMap& canonical);
// SetQueueAttributes: applies canonical attributes to `config` with the SSE flag rule.
void ApplySetAttributes(QueueConfig& config, const AttributeMap& canonical);

// Quiet periods: a queue name may be reused kQuietPeriodMs after its deletion; a queue may be
// purged once per kQuietPeriodMs. `last_ms` 0 means never.
bool InQuietPeriod(Millis last_ms, Millis now);
Status DeletedRecentlyError();
Status PurgeInProgressError(std::string_view queue_name);

// Redrive validation in two steps around the engine's lookup of the target:
// 1. The target ARN names a queue of the source's account and region, not the source itself:
//    the target's id, else kInvalidParameterValue. `source` has its region filled in.
Result<QueueId> RedriveTarget(const QueueId& source, const RedrivePolicy& policy,
                              std::string_view json);
// 2. What the engine found there (nullptr: no such queue).
struct DeadLetterInfo {
  bool fifo = false;
  std::string arn;
  std::optional<RedriveAllowPolicy> redrive_allow_policy;
};
Status CheckRedriveTarget(bool source_fifo, std::string_view source_arn, std::string_view json,
                          const DeadLetterInfo* target);

// A message moved to a dead-letter queue keeps id, body, attributes, timestamps and receive
// count and records its source; FIFO: the deduplication id becomes the MessageId and the enqueue
// time restarts at `now` (sqs-semantics.md §4).
void RewriteForDeadLetter(MessagePayload& p, std::string_view source_arn, bool fifo, Millis now);

// Send validation, per entry (nullopt: fine) and per call (FIFO: the whole batch fails).
std::optional<Status> CheckStandardEntry(const SendRequest& r, std::size_t max_size,
                                         int default_delay);
std::optional<Status> CheckFifoEntry(const SendRequest& r, std::size_t max_size);
Status CheckFifoBatch(const std::vector<SendRequest>& entries, bool content_based_dedup);
// The deduplication key of a FIFO entry (its dedup id filled in from the body when
// content-based): "id", or "group\nid" with DeduplicationScope=messageGroup.
std::string FifoDedupKey(SendRequest& r, const QueueConfig& c);

// Fair queues (standard queues with MessageGroupId): a tenant (a message group; the messages
// without a group form one more) is noisy when it has more than kNoisyMinInflight messages in
// flight and more than kNoisyFactor times the average in-flight count of the other tenants with
// messages in the queue. A noisy tenant is served only when no other tenant has a visible message.
inline constexpr std::size_t kNoisyMinInflight = 10;
inline constexpr std::size_t kNoisyFactor = 2;
// `tenants`: tenants with messages in the queue; `total_inflight`: the queue's messages in flight.
bool NoisyTenant(std::size_t tenants, std::size_t inflight, std::size_t total_inflight);

// "RUNNING", "COMPLETED", ... as ListMessageMoveTasks reports a status.
std::string MoveTaskStatusName(MoveTaskStatus s);

// Errors of message operations, with the AWS texts.
Status QueueMissing();
Status InvalidReceipt(std::string_view rh);
Status ReceiptHandleExpired(std::string_view rh);
Status MessageNotAvailableForVisibility(std::string_view rh);
Status VisibilityOutOfRange(int vt);
Status VisibilityBeyondLimit(int vt);
Status OverLimitError(std::size_t limit);

// Errors of message move tasks, with the AWS texts (both engines).
// A move task that fails because a queue is gone ends with this FailureReason.
inline constexpr const char* kMoveTaskQueueGone = "AWS.SimpleQueueService.NonExistentQueue";
Status MoveTaskNoSource();
Status MoveTaskNoDestination();
Status MoveTaskRateOutOfRange(int max_per_second);  // MaxNumberOfMessagesPerSecond, 1 to 500
Status MoveTaskSourceNotDeadLetter();
Status MoveTaskTypesDiffer();
Status MoveTaskAlreadyRunning();
Status MoveTaskMaxResultsOutOfRange(int max_results);  // 1 to 10
Status MoveTaskInvalidHandle();
Status MoveTaskNotRunning(MoveTaskStatus status);
Status MoveTaskMissing();

}  // namespace sluice::engine
