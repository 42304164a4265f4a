// Domain types of the queue engine. Nothing here knows of HTTP, JSON or XML.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace sluice::engine {

// A queue is named by its owning account, its region and its name (case-sensitive), as on AWS:
// the same name may exist in two regions of one account, as two queues.
struct QueueId {
  std::string account;  // 12 digits
  std::string name;     // 1-80 chars [A-Za-z0-9_-], FIFO names end in ".fifo"
  // "us-west-2"; empty means the engine's default region (EngineOptions::region). The engine
  // fills it in every QueueId it returns.
  std::string region{};
  bool operator==(const QueueId&) const = default;
  // By account, then region, then name (so one account's queues of one region are a range).
  std::strong_ordering operator<=>(const QueueId& o) const {
    if (auto c = account <=> o.account; c != 0) return c;
    if (auto c = region <=> o.region; c != 0) return c;
    return name <=> o.name;
  }
};

// Queue attributes as SQS names them ("VisibilityTimeout" -> "30"); values are strings.
using AttributeMap = std::map<std::string, std::string>;
using TagMap = std::map<std::string, std::string>;

// A user message attribute (or a system attribute such as AWSTraceHeader on send).
struct MessageAttribute {
  std::string name;
  std::string data_type;  // "String", "Number", "Binary", or with a ".label" suffix
  bool binary = false;    // BinaryValue present (value holds raw bytes) vs StringValue
  std::string value;
  std::vector<std::string> string_list;  // reserved by SQS; kept for digests
  std::vector<std::string> binary_list;
};
using MessageAttributes = std::vector<MessageAttribute>;  // sorted by name, unique names

// One message to enqueue. The handler has validated characters, attribute names and types.
struct SendRequest {
  std::string body;
  MessageAttributes attributes;
  std::optional<std::string> trace_header;  // AWSTraceHeader system attribute
  std::optional<int> delay_seconds;         // absent: the queue's DelaySeconds
  std::optional<std::string> group_id;      // MessageGroupId (FIFO; fair queues on standard)
  std::optional<std::string> dedup_id;      // MessageDeduplicationId (FIFO)
  std::string sender_id;
  std::size_t size = 0;  // body + attribute names, types and values, as SQS counts it
};

struct SendResult {
  std::string message_id;
  std::string md5_of_body;
  std::string sequence_number;  // FIFO only
  // FIFO: a duplicate within the deduplication window, accepted but not enqueued (the original's
  // id and number above). CloudWatch counts it as NumberOfDeduplicatedSentMessages.
  bool deduplicated = false;
};

struct ReceiveRequest {
  int max_messages = 1;                    // 1..10, validated by the handler
  std::optional<int> visibility_timeout;   // absent: the queue's VisibilityTimeout
  std::optional<int> wait_seconds;         // absent: the queue's ReceiveMessageWaitTimeSeconds
  std::string receive_request_attempt_id;  // FIFO
};

// A delivered message with everything a handler may return; the handler selects which system
// and user attributes to include.
struct ReceivedMessage {
  std::string message_id;
  std::string receipt_handle;
  std::string body;
  std::string md5_of_body;
  MessageAttributes attributes;  // all of them, sorted by name
  // System attributes.
  std::string sender_id;
  Millis sent_timestamp = 0;
  Millis first_receive_timestamp = 0;
  int receive_count = 0;
  std::optional<std::string> trace_header;
  std::optional<std::string> group_id;
  std::optional<std::string> dedup_id;
  std::optional<std::string> sequence_number;
  std::optional<std::string> dead_letter_source_arn;
};

// A message as Engine::Peek shows it: its content (no receipt handle) and where it is.
struct PeekedMessage {
  enum class State { kVisible, kInFlight, kDelayed };
  State state = State::kVisible;
  Millis visible_at_ms = 0;  // in flight or delayed: when it becomes receivable
  ReceivedMessage message;   // receipt_handle empty; receive_count as consumers left it
};

struct VisibilityChange {
  std::string receipt_handle;
  int visibility_timeout = 0;  // 0..43200, validated by the handler
};

enum class MoveTaskStatus { kRunning, kCompleted, kCancelling, kCancelled, kFailed };

struct MoveTaskInfo {
  std::string task_handle;  // only reported while running
  MoveTaskStatus status = MoveTaskStatus::kRunning;
  std::string source_arn;
  std::optional<std::string> destination_arn;
  std::optional<int> max_messages_per_second;
  std::int64_t moved = 0;
  std::int64_t to_move = 0;
  std::optional<std::string> failure_reason;
  Millis started_timestamp = 0;
};

}  // namespace sluice::engine
