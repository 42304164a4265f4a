// Batch actions: SendMessageBatch, DeleteMessageBatch, ChangeMessageVisibilityBatch.
//
// Request-level problems (no entries, more than 10, a bad or repeated Id, total size) fail the
// whole call; per-entry problems go to Failed[] and the call still answers 200.
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "services/sqs/errors.h"
#include "services/sqs/handlers.h"
#include "services/sqs/validation.h"

namespace sluice::sqs {
namespace {

struct BatchEntries {
  std::vector<Value*> entries;  // into the request's input, which the handler owns
  std::vector<std::string> ids;
};

Result<BatchEntries> CheckBatch(Value& input, std::string_view entry_name) {
  BatchEntries out;
  Value* list = input.GetMutable("Entries");
  if (list) {
    for (Value& e : list->mutable_items()) out.entries.push_back(&e);
  }
  if (out.entries.empty()) {
    return Status(SqsError::kEmptyBatchRequest,
                  fmt::format("There should be at least one {} in the request.", entry_name));
  }
  if (out.entries.size() > kMaxBatchEntries) {
    return Status(SqsError::kTooManyEntriesInBatchRequest,
                  fmt::format("Maximum number of entries per request are {}. You have sent {}.",
                              kMaxBatchEntries, out.entries.size()));
  }
  // At most 10 ids: a linear look-back is cheaper than a tree of them.
  std::vector<std::string_view> seen;
  seen.reserve(out.entries.size());
  for (std::size_t i = 0; i < out.entries.size(); ++i) {
    const std::optional<std::string_view> id = out.entries[i]->GetString("Id");
    if (!id) return MissingParameter(fmt::format("{}.{}.Id", entry_name, i + 1));
    if (!IsValidBatchEntryId(*id)) {
      return Status(SqsError::kInvalidBatchEntryId,
                    "A batch entry id can only contain alphanumeric characters, hyphens and "
                    "underscores. It can be at most 80 letters long.");
    }
    if (std::find(seen.begin(), seen.end(), *id) != seen.end()) {
      return Status(SqsError::kBatchEntryIdsNotDistinct, fmt::format("Id {} repeated.", *id));
    }
    seen.push_back(*id);
  }
  for (const Value* e : out.entries) out.ids.emplace_back(*e->GetString("Id"));
  return out;
}

// AWS words a per-entry validation failure inside a batch as "cannot be validated" where
// SendMessage says "are invalid" (both recorded); the engine uses the SendMessage wording.
Status BatchEntryWording(const Status& s) {
  static constexpr std::string_view kSingle = "One or more parameters are invalid.";
  if (s.message().rfind(kSingle, 0) != 0) return s;
  return Status(s.code(),
                "One or more parameters cannot be validated." + s.message().substr(kSingle.size()));
}

// One outcome per entry, in request order; unset entries are filled by the engine's answer.
struct Outcomes {
  std::vector<std::string> ids;
  std::vector<std::optional<Status>> failures;  // set: failed with this status
  std::vector<Value> successes;                 // result entry for succeeded ones

  explicit Outcomes(std::vector<std::string> entry_ids)
      : ids(std::move(entry_ids)), failures(ids.size()), successes(ids.size()) {}

  // The answer; moves the result entries out (call once).
  Value TakeOutput() {
    Value ok = Value::List();
    Value failed = Value::List();
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (failures[i]) {
        failed.Append(BatchErrorEntry(ids[i], *failures[i]));
      } else {
        ok.Append(std::move(successes[i]));
      }
    }
    // Both members are required by the model: always present, possibly empty.
    Value out = Value::Struct();
    out.Set("Successful", std::move(ok));
    out.Set("Failed", std::move(failed));
    return out;
  }
};

Value IdEntry(std::string_view id) {
  Value v = Value::Struct();
  v.Set("Id", Value::String(std::string(id)));
  return v;
}

bool IsBlank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// Replies once every entry failed validation: the engine is not called, but a missing queue
// still wins over the per-entry failures.
void ReplyAllFailed(const Sqs& sqs, const engine::QueueId& id, const RequestContext& ctx,
                    Outcomes& outcomes, const Reply& reply) {
  if (!sqs.engine.QueueExists(id)) return reply(QueueDoesNotExist(ctx.protocol));
  reply(outcomes.TakeOutput());
}

// Delete and ChangeVisibility share the engine's answer shape: one Status per handle.
void FinishStatuses(std::shared_ptr<Outcomes> outcomes, const std::vector<std::size_t>& index,
                    Result<std::vector<Status>> results, const Reply& reply) {
  if (!results.ok()) return reply(results.status());
  for (std::size_t k = 0; k < index.size(); ++k) {
    const std::size_t i = index[k];
    if (k >= results->size()) {
      outcomes->failures[i] = Status(ErrorCode::kInternalError, "No result for this entry.");
    } else if (!(*results)[k].ok()) {
      outcomes->failures[i] = (*results)[k];
    } else {
      outcomes->successes[i] = IdEntry(outcomes->ids[i]);
    }
  }
  reply(outcomes->TakeOutput());
}

}  // namespace

void CmdSendMessageBatch(const Sqs& sqs, const RequestContext& ctx, Value&& input, Reply reply) {
  auto id = ResolveQueue(sqs, ctx, input);
  if (!id.ok()) return reply(id.status());
  auto batch = CheckBatch(input, "SendMessageBatchRequestEntry");
  if (!batch.ok()) return reply(batch.status());
  // FIFO: an entry without MessageGroupId fails the whole request, with AWS's recorded code
  // (InvalidParameterValue, where SendMessage says MissingParameter). A missing
  // MessageDeduplicationId needs the queue's ContentBasedDeduplication: the engine decides.
  if (IsFifoQueue(*id)) {
    for (const Value* e : batch->entries) {
      if (NonEmptyString(*e, "MessageGroupId")) continue;
      if (!sqs.engine.QueueExists(*id)) return reply(QueueDoesNotExist(ctx.protocol));
      return reply(InvalidParameterValue("The request must contain the parameter MessageGroupId."));
    }
  }
  std::size_t total = 0;
  for (const Value* e : batch->entries) total += RawMessageSize(*e);
  if (total > kMaxBatchSize) {
    return reply(Status(SqsError::kBatchRequestTooLong,
                        fmt::format("Batch requests cannot be longer than {} bytes. You have sent "
                                    "{} bytes.",
                                    kMaxBatchSize, total)));
  }

  // A key that cannot be used fails the whole batch, as on AWS.
  if (Status st = CheckQueueKey(sqs, ctx, *id, /*send=*/true); !st.ok()) return reply(st);
  auto outcomes = std::make_shared<Outcomes>(batch->ids);
  auto prepared = std::make_shared<std::vector<PreparedSend>>();
  std::vector<std::size_t> index;  // prepared[k] is entry index[k]
  std::vector<engine::SendRequest> requests;
  prepared->reserve(batch->entries.size());
  index.reserve(batch->entries.size());
  requests.reserve(batch->entries.size());
  for (std::size_t i = 0; i < batch->entries.size(); ++i) {
    auto p = PrepareSend(sqs, ctx, *id, *batch->entries[i], /*batch=*/true, i);
    if (!p.ok()) {
      outcomes->failures[i] = p.status();
      continue;
    }
    requests.push_back(std::move(p->request));
    prepared->push_back(std::move(*p));
    index.push_back(i);
  }
  if (requests.empty()) return ReplyAllFailed(sqs, *id, ctx, *outcomes, reply);

  sqs.engine.Send(*id, std::move(requests),
                  [reply = std::move(reply), outcomes, prepared, index = std::move(index)](
                      Result<std::vector<Result<engine::SendResult>>> results) {
                    if (!results.ok()) return reply(results.status());
                    for (std::size_t k = 0; k < index.size(); ++k) {
                      const std::size_t i = index[k];
                      if (k >= results->size()) {
                        outcomes->failures[i] =
                            Status(ErrorCode::kInternalError, "No result for this entry.");
                        continue;
                      }
                      Result<engine::SendResult>& r = (*results)[k];
                      if (!r.ok()) {
                        outcomes->failures[i] = BatchEntryWording(r.status());
                        continue;
                      }
                      Value entry = IdEntry(outcomes->ids[i]);
                      FillSendResult((*prepared)[k], *r, entry);
                      outcomes->successes[i] = std::move(entry);
                    }
                    reply(outcomes->TakeOutput());
                  });
}

void CmdDeleteMessageBatch(const Sqs& sqs, const RequestContext& ctx, Value&& input, Reply reply) {
  auto id = ResolveQueue(sqs, ctx, input);
  if (!id.ok()) return reply(id.status());
  auto batch = CheckBatch(input, "DeleteMessageBatchRequestEntry");
  if (!batch.ok()) return reply(batch.status());
  auto outcomes = std::make_shared<Outcomes>(batch->ids);
  std::vector<std::size_t> index;
  std::vector<std::string> handles;
  for (std::size_t i = 0; i < batch->entries.size(); ++i) {
    auto handle = batch->entries[i]->GetString("ReceiptHandle");
    if (!handle || IsBlank(*handle)) {
      outcomes->failures[i] = MissingParameter("ReceiptHandle");
      continue;
    }
    handles.emplace_back(*handle);
    index.push_back(i);
  }
  if (handles.empty()) return ReplyAllFailed(sqs, *id, ctx, *outcomes, reply);
  sqs.engine.Delete(*id, std::move(handles),
                    [reply = std::move(reply), outcomes,
                     index = std::move(index)](Result<std::vector<Status>> results) {
                      FinishStatuses(outcomes, index, std::move(results), reply);
                    });
}

void CmdChangeMessageVisibilityBatch(const Sqs& sqs, const RequestContext& ctx, Value&& input,
                                     Reply reply) {
  auto id = ResolveQueue(sqs, ctx, input);
  if (!id.ok()) return reply(id.status());
  constexpr std::string_view kEntry = "ChangeMessageVisibilityBatchRequestEntry";
  auto batch = CheckBatch(input, kEntry);
  if (!batch.ok()) return reply(batch.status());
  auto outcomes = std::make_shared<Outcomes>(batch->ids);
  std::vector<std::size_t> index;
  std::vector<engine::VisibilityChange> changes;
  for (std::size_t i = 0; i < batch->entries.size(); ++i) {
    const Value& entry = *batch->entries[i];
    auto handle = entry.GetString("ReceiptHandle");
    if (!handle || IsBlank(*handle)) {
      outcomes->failures[i] = MissingParameter("ReceiptHandle");
      continue;
    }
    auto timeout = OptionalInt(entry, "VisibilityTimeout");
    if (!timeout.ok()) {
      outcomes->failures[i] = timeout.status();
      continue;
    }
    if (!*timeout) {
      outcomes->failures[i] =
          MissingParameter(fmt::format("{}.{}.VisibilityTimeout", kEntry, i + 1));
      continue;
    }
    if (**timeout < 0 || **timeout > 43200) {
      outcomes->failures[i] = InvalidParameterValue(fmt::format(
          "Value {} for parameter VisibilityTimeout is invalid. Reason: VisibilityTimeout must be "
          "an integer between 0 and 43200.",
          **timeout));
      continue;
    }
    changes.push_back({std::string(*handle), static_cast<int>(**timeout)});
    index.push_back(i);
  }
  if (changes.empty()) return ReplyAllFailed(sqs, *id, ctx, *outcomes, reply);
  sqs.engine.ChangeVisibility(*id, std::move(changes),
                              [reply = std::move(reply), outcomes,
                               index = std::move(index)](Result<std::vector<Status>> results) {
                                FinishStatuses(outcomes, index, std::move(results), reply);
                              });
}

}  // namespace sluice::sqs
