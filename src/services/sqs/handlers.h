// Internal to the SQS service: the state every handler shares, the handler functions (one per
// action, grouped by file) and small helpers for reading inputs and writing outputs.
//
// A handler ("Cmd") validates the SQS request rules, calls one engine operation ("Op") and fills
// the output Value. It replies exactly once, possibly later from an engine callback, so
// callbacks capture what they need by value.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/engine.h"
#include "engine/sqs_errors.h"
#include "protocol/service.h"
#include "protocol/value.h"
#include "services/sqs/sqs_service.h"

namespace sluice::kms {
class Keys;
}  // namespace sluice::kms

namespace sluice::sqs {

using engine::SqsError;
using protocol::Reply;
using protocol::Value;

struct Sqs {
  engine::Engine& engine;
  SqsOptions options;
  const auth::Auth* auth = nullptr;  // auth "sigv4"; null: "none"
  kms::Keys* keys = nullptr;         // KMS, for queues with a KmsMasterKeyId; null: not checked
};

using Cmd = void (*)(const Sqs& sqs, const RequestContext& ctx, Value&& input, Reply reply);

// queue_actions.cc
void CmdCreateQueue(const Sqs&, const RequestContext&, Value&&, Reply);
void CmdDeleteQueue(const Sqs&, const RequestContext&, Value&&, Reply);
void CmdGetQueueUrl(const Sqs&, const RequestContext&, Value&&, Reply);
void CmdListQueues(const Sqs&, const RequestContext&, Value&&, Reply);
void CmdGetQueueAttributes(const Sqs&, const RequestContext&, Value&&, Reply);
void CmdSetQueueAttributes(const Sqs&, const RequestContext&, Value&&, Reply);
void CmdPurgeQueue(const Sqs&, const RequestContext&, Value&&, Reply);
void CmdListDeadLetterSourceQueues(const Sqs&, const RequestContext&, Value&&, Reply);
// message_actions.cc
void CmdSendMessage(const Sqs&, const RequestContext&, Value&&, Reply);
void CmdReceiveMessage(const Sqs&, const RequestContext&, Value&&, Reply);
void CmdDeleteMessage(const Sqs&, const RequestContext&, Value&&, Reply);
void CmdChangeMessageVisibility(const Sqs&, const RequestContext&, Value&&, Reply);
// batch_actions.cc
void CmdSendMessageBatch(const Sqs&, const RequestContext&, Value&&, Reply);
void CmdDeleteMessageBatch(const Sqs&, const RequestContext&, Value&&, Reply);
void CmdChangeMessageVisibilityBatch(const Sqs&, const RequestContext&, Value&&, Reply);
// permission_tag_actions.cc
void CmdAddPermission(const Sqs&, const RequestContext&, Value&&, Reply);
void CmdRemovePermission(const Sqs&, const RequestContext&, Value&&, Reply);
void CmdTagQueue(const Sqs&, const RequestContext&, Value&&, Reply);
void CmdUntagQueue(const Sqs&, const RequestContext&, Value&&, Reply);
void CmdListQueueTags(const Sqs&, const RequestContext&, Value&&, Reply);
// move_tasks.cc
void CmdStartMessageMoveTask(const Sqs&, const RequestContext&, Value&&, Reply);
void CmdListMessageMoveTasks(const Sqs&, const RequestContext&, Value&&, Reply);
void CmdCancelMessageMoveTask(const Sqs&, const RequestContext&, Value&&, Reply);

// ---- request context ------------------------------------------------------------------------
// SenderId recorded on sent messages: the context's sender id, else the caller's account.
const std::string& SenderIdOf(const Sqs& sqs, const RequestContext& ctx);
// SSE-KMS: Ok when the queue has no KmsMasterKeyId, or when its key exists, is enabled, encrypts,
// and (auth "sigv4") lets the caller generate data keys (`send`) or decrypt with it. Otherwise
// SQS's KMS errors (KMS.NotFoundException, KMS.DisabledException, KMS.InvalidStateException,
// KMS.InvalidKeyUsageException, KMS.AccessDeniedException) carrying KMS's text.
Status CheckQueueKey(const Sqs& sqs, const RequestContext& ctx, const engine::QueueId& id,
                     bool send);
// The queue a queue-scoped request addresses: QueueUrl when given (any host), else the request
// path "/ACCOUNT/NAME" (Query requests sent to the queue URL), in the request's region.
// kQueueDoesNotExist otherwise, also when the URL names another region (queue_url.h).
Result<engine::QueueId> ResolveQueue(const Sqs& sqs, const RequestContext& ctx, const Value& input);
// A FIFO queue's name ends in ".fifo" (FifoQueue is create-only and must match the name).
bool IsFifoQueue(const engine::QueueId& id);
// The URL returned for a queue: options' host, else the Host header, else localhost:9324; the
// path names the region when it is not the default one (queue_url.h).
std::string QueueUrlOf(const Sqs& sqs, const RequestContext& ctx, const engine::QueueId& id);

// ---- inputs ---------------------------------------------------------------------------------
// An integer member: nullopt when absent; a decimal string is accepted too (tolerant of a
// decoder that did not convert). kInvalidParameterValue when not an integer.
Result<std::optional<std::int64_t>> OptionalInt(const Value& input, std::string_view key);
// The same for a member already found (`v` null when absent); `key` names it in the error.
Result<std::optional<std::int64_t>> OptionalInt(const Value* v, std::string_view key);
// A list of strings (a lone string counts as a one-element list; empty strings are skipped, as
// botocore sends "AttributeName=" for an empty list).
std::vector<std::string> StringList(const Value* v);
// A map of strings (map or struct kind).
std::map<std::string, std::string> StringMap(const Value* v);
// A non-empty string member, else nullopt.
std::optional<std::string_view> NonEmptyString(const Value& input, std::string_view key);

// ---- outputs --------------------------------------------------------------------------------
Value StringListValue(const std::vector<std::string>& items);
Value StringMapValue(const std::map<std::string, std::string>& map);
// A BatchResultErrorEntry for a failed entry.
Value BatchErrorEntry(std::string_view id, const Status& status);
// An empty output Struct (operations without output).
inline Value EmptyOutput() { return Value::Struct(); }
// Replies with `status` when it is an error, else with an empty output.
void ReplyStatus(const Reply& reply, const Status& status);

// ---- sending (message_actions.cc, shared with SendMessageBatch) ----------------------------
// The checksums of a validated message that only the handler can compute (the engine computes
// the body's).
struct SendChecksums {
  std::string md5_of_attributes;         // "" when no user attributes were sent
  std::string md5_of_system_attributes;  // "" when no system attributes were sent
};
// Validates SendMessage's input, or batch entry `index` (0-based) of SendMessageBatch (`batch`:
// parameter names and a few codes differ, as AWS words them), into `request` (a fresh one) and
// `sums`, in place: a batch fills its vectors without moving each request twice. A valid
// message's MessageBody is moved out of `message` into the request; on an error `request` and
// `sums` hold a partly filled message, to be dropped.
Status PrepareSend(const Sqs& sqs, const RequestContext& ctx, const engine::QueueId& queue,
                   Value& message, bool batch, std::size_t index, engine::SendRequest& request,
                   SendChecksums& sums);
// Fills the SendMessageResult / SendMessageBatchResultEntry members of `out` (a structure without
// members yet) after a successful send: `batch_id` first when not empty (a batch entry's Id).
// Moves the strings out of `result`.
void FillSendResult(const SendChecksums& sent, engine::SendResult& result, Value& out,
                    std::string_view batch_id = {});

// Opaque pagination tokens for ListQueues / ListDeadLetterSourceQueues: the last name returned.
std::string EncodeNextToken(std::string_view last_name);
std::optional<std::string> DecodeNextToken(std::string_view token);
// Pages `urls` (sorted by name in `names`) per MaxResults/NextToken into `out` under
// `list_member`. Errors for bad MaxResults or token.
Status Paginate(const Value& input, const std::vector<engine::QueueId>& queues, const Sqs& sqs,
                const RequestContext& ctx, std::string_view list_member, bool always_list,
                Value& out);

}  // namespace sluice::sqs
