// Engine: SQS queue semantics behind one interface. Backends (engine/local today, PostgreSQL
// later) pass the same suite in tests/engine.
//
// Contract:
// - Every method is thread-safe.
// - Errors are Status values with ErrorCode and the AWS message text (e.g. kQueueDoesNotExist,
//   kInvalidAttributeValue "Invalid value for the parameter VisibilityTimeout."); the service
//   layer maps codes to the wire.
// - Message operations complete through a callback, possibly on another thread and possibly
//   before the call returns: sends complete once durable (group commit); receives complete when
//   messages are available or the wait ends. Callbacks must not call back into the engine while
//   holding locks of their own; the engine never holds its locks while invoking them.
// - Time comes only from the Clock given at construction.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/types.h"

namespace sluice::engine {

struct EngineOptions {
  // The default region: of QueueIds without one, and of queues a store recorded without one
  // (stores written before queues had regions); such queues are pinned to it on recovery.
  std::string region = "us-east-1";
  std::size_t max_inflight_per_queue = 120000;  // standard queues; OverLimit on short polls
  // Key for receipt-handle MACs; random per process when empty. (The durable store persists it.)
  std::string receipt_secret;
  // With a store that keeps payloads (Store::KeepsPayloads): bytes of message payloads kept in RAM
  // (most recently sent first out of the store); 0 disables the cache. Ignored without such a
  // store (every payload stays in memory).
  std::size_t payload_cache_bytes = std::size_t{64} << 20;
};

class Engine {
 public:
  virtual ~Engine() = default;

  // ---- queues --------------------------------------------------------------------------------
  // Creates, or returns OK when the queue exists and every attribute given equals its current
  // value; else kQueueNameExists. kQueueDeletedRecently within 60 s of a delete.
  // Validates names, attribute names and values (kInvalidAttributeName/Value,
  // kInvalidParameterValue).
  virtual Status CreateQueue(const QueueId& id, const AttributeMap& attributes,
                             const TagMap& tags) = 0;
  virtual Status DeleteQueue(const QueueId& id) = 0;
  virtual bool QueueExists(const QueueId& id) = 0;
  // Queues of `account` in `region` (empty: the default region) whose names start with
  // `prefix`, sorted by name.
  virtual std::vector<QueueId> ListQueues(std::string_view account, std::string_view region,
                                          std::string_view prefix) = 0;
  // `names` as requested ("All" expands); unknown names -> kInvalidAttributeName.
  virtual Result<AttributeMap> GetQueueAttributes(const QueueId& id,
                                                  const std::vector<std::string>& names) = 0;
  virtual Status SetQueueAttributes(const QueueId& id, const AttributeMap& attributes) = 0;
  virtual Status TagQueue(const QueueId& id, const TagMap& tags) = 0;
  virtual Status UntagQueue(const QueueId& id, const std::vector<std::string>& keys) = 0;
  virtual Result<TagMap> ListQueueTags(const QueueId& id) = 0;
  // kPurgeQueueInProgress when purged less than 60 s ago.
  virtual Status PurgeQueue(const QueueId& id) = 0;
  // Queues whose RedrivePolicy targets `dead_letter_queue` (so of its account and region), sorted
  // by name.
  virtual Result<std::vector<QueueId>> ListDeadLetterSourceQueues(const QueueId& dlq) = 0;
  // Adds / removes a statement (Sid = label) in the queue's Policy attribute.
  virtual Status AddPermission(const QueueId& id, const std::string& label,
                               const std::vector<std::string>& account_ids,
                               const std::vector<std::string>& actions) = 0;
  virtual Status RemovePermission(const QueueId& id, const std::string& label) = 0;
  // "arn:aws:sqs:<region>:<account>:<name>" for a queue (the default region when id.region is
  // empty). Every ARN the engine takes (RedrivePolicy, move tasks) names the queue's region.
  virtual std::string QueueArn(const QueueId& id) const = 0;
  // The queue's KmsMasterKeyId (SSE-KMS), cheaply, for the service's check of the key on every
  // send and receive; empty when it has none (or there is no such queue).
  virtual std::string KmsMasterKeyId(const QueueId& id) = 0;
  // How long ago (on the engine's clock) the oldest message the queue holds (visible, in flight
  // or delayed) was sent, for CloudWatch's ApproximateAgeOfOldestMessage: the oldest among the
  // messages received fewer than three times when there are any (AWS leaves such "poison pill"
  // messages out), else the oldest. Nullopt for an empty queue; an error for a missing one.
  // Engines that cannot tell answer nullopt.
  virtual Result<std::optional<Millis>> OldestMessageAgeMs(const QueueId& id) {
    return std::optional<Millis>();
  }

  // ---- messages ------------------------------------------------------------------------------
  // One entry result per request, in order. The whole call fails (`done` gets one Status) only
  // when the queue does not exist, or on a FIFO queue when an entry lacks a group id, or a
  // deduplication id the queue needs (no content-based deduplication): AWS fails the whole
  // SendMessageBatch then (kInvalidParameterValue).
  using SendCallback = std::function<void(Result<std::vector<Result<SendResult>>>)>;
  virtual void Send(const QueueId& id, std::vector<SendRequest> messages, SendCallback done) = 0;

  using ReceiveCallback = std::function<void(Result<std::vector<ReceivedMessage>>)>;
  virtual void Receive(const QueueId& id, const ReceiveRequest& request, ReceiveCallback done) = 0;

  // One Status per receipt handle, in order (kReceiptHandleIsInvalid for malformed or foreign
  // handles). The outer Result fails only when the queue does not exist.
  using BatchCallback = std::function<void(Result<std::vector<Status>>)>;
  virtual void Delete(const QueueId& id, std::vector<std::string> receipt_handles,
                      BatchCallback done) = 0;
  virtual void ChangeVisibility(const QueueId& id, std::vector<VisibilityChange> changes,
                                BatchCallback done) = 0;

  // ---- message move tasks --------------------------------------------------------------------
  virtual Result<std::string> StartMessageMoveTask(const std::string& source_arn,
                                                   const std::optional<std::string>& dest_arn,
                                                   std::optional<int> max_per_second) = 0;
  virtual Result<std::vector<MoveTaskInfo>> ListMessageMoveTasks(const std::string& source_arn,
                                                                 int max_results) = 0;
  // Returns the number of messages moved so far.
  virtual Result<std::int64_t> CancelMessageMoveTask(const std::string& task_handle) = 0;

  // ---- inspection (the test-control API, the console) ---------------------------------------
  // Up to `max` of the queue's messages in every state, oldest first (send order; FIFO: sequence
  // order), without changing anything a consumer sees: nothing is received, no visibility or
  // receive count changes. Costs a scan of the queue's index under its lock: for tools, not for
  // the request path.
  virtual Result<std::vector<PeekedMessage>> Peek(const QueueId& id, std::size_t max) {
    return Status(ErrorCode::kInternalError, "this engine cannot show messages without receiving");
  }

  // ---- lifecycle -----------------------------------------------------------------------------
  // Answers every waiting long poll (with what is available, usually nothing) and refuses new
  // waits; called on graceful shutdown.
  virtual void Shutdown() = 0;
};

}  // namespace sluice::engine
