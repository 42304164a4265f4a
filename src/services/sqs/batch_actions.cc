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
  std::vector<Value*> entries;        // into the request's input, which the handler owns
  std::vector<std::string_view> ids;  // each entry's Id, in the same input
};

Result<BatchEntries> CheckBatch(Value& input, std::string_view entry_name) {
  BatchEntries out;
  Value* list = input.GetMutable("Entries");
  if (list) {
    std::vector<Value>& items = list->mutable_items();
    out.entries.reserve(items.size());
    for (Value& e : items) out.entries.push_back(&e);
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
  out.ids.reserve(out.entries.size());
  for (std::size_t i = 0; i < out.entries.size(); ++i) {
    const std::optional<std::string_view> id = out.entries[i]->GetString("Id");
    if (!id) return MissingParameter(fmt::format("{}.{}.Id", entry_name, i + 1));
    if (!IsValidBatchEntryId(*id)) {
      return Status(SqsError::kInvalidBatchEntryId,
                    "A batch entry id can only contain alphanumeric characters, hyphens and "
                    "underscores. It can be at most 80 letters long.");
    }
    // Ids are not empty: their last characters settle most comparisons without a memcmp call.
    const auto same = [&](std::string_view seen) {
      return seen.size() == id->size() && seen.back() == id->back() && seen == *id;
    };
    if (std::any_of(out.ids.begin(), out.ids.end(), same)) {
      return Status(SqsError::kBatchEntryIdsNotDistinct, fmt::format("Id {} repeated.", *id));
    }
    out.ids.push_back(*id);
  }
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

// What a batch keeps until the engine answers, in one allocation: the request's input (the
// entry ids view it) and one outcome per entry, in request order; unset entries are filled by
// the engine's answer.
struct Outcomes {
  Value input;
  std::vector<std::string_view> ids;            // into `input`
  std::vector<std::optional<Status>> failures;  // set: failed with this status
  std::vector<Value> successes;                 // result entry for succeeded ones
  std::vector<std::size_t> index;               // the k-th entry sent to the engine is index[k]
  std::vector<SendChecksums> sums;              // SendMessageBatch: sums[k] for index[k]

  explicit Outcomes(Value&& request) : input(std::move(request)) {}

  void Start(std::vector<std::string_view> entry_ids) {
    ids = std::move(entry_ids);
    failures.resize(ids.size());
    successes.resize(ids.size());
    index.reserve(ids.size());
  }

  // The answer; moves the result entries out (call once).
  Value TakeOutput() {
    std::size_t failed_count = 0;
    for (const auto& f : failures) failed_count += f.has_value();
    Value ok = Value::List();
    Value failed = Value::List();
    if (failed_count == 0) {
      // Every entry succeeded (the common case): the result entries are the list, as they are.
      ok.mutable_items() = std::move(successes);
    } else {
      ok.mutable_items().reserve(ids.size() - failed_count);
      failed.mutable_items().reserve(failed_count);
      for (std::size_t i = 0; i < ids.size(); ++i) {
        if (failures[i]) {
          failed.mutable_items().push_back(BatchErrorEntry(ids[i], *failures[i]));
        } else {
          ok.mutable_items().push_back(std::move(successes[i]));
        }
      }
    }
    // Both members are required by the model: always present, possibly empty.
    Value out = Value::Struct();
    std::vector<Value::Entry>& members = out.mutable_entries();
    members.reserve(2);
    members.emplace_back("Successful", std::move(ok));
    members.emplace_back("Failed", std::move(failed));
    return out;
  }
};

Value IdEntry(std::string_view id) {
  Value v = Value::Struct();
  v.mutable_entries().reserve(1);
  v.mutable_entries().emplace_back("Id", Value::String(std::string(id)));
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
void FinishStatuses(const std::shared_ptr<Outcomes>& outcomes, Result<std::vector<Status>> results,
                    const Reply& reply) {
  if (!results.ok()) return reply(results.status());
  const std::vector<std::size_t>& index = outcomes->index;
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
  auto outcomes = std::make_shared<Outcomes>(std::move(input));
  auto batch = CheckBatch(outcomes->input, "SendMessageBatchRequestEntry");
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
  const std::size_t n = batch->entries.size();
  outcomes->Start(std::move(batch->ids));
  outcomes->sums.reserve(n);
  std::vector<engine::SendRequest> requests;
  requests.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    // Validated in place, into the vectors the engine and the answer take.
    engine::SendRequest& req = requests.emplace_back();
    SendChecksums& sums = outcomes->sums.emplace_back();
    Status st = PrepareSend(sqs, ctx, *id, *batch->entries[i], /*batch=*/true, i, req, sums);
    if (!st.ok()) {
      outcomes->failures[i] = std::move(st);
      requests.pop_back();
      outcomes->sums.pop_back();
      continue;
    }
    outcomes->index.push_back(i);
  }
  if (requests.empty()) return ReplyAllFailed(sqs, *id, ctx, *outcomes, reply);

  sqs.engine.Send(*id, std::move(requests),
                  [reply = std::move(reply), outcomes = std::move(outcomes)](
                      Result<std::vector<Result<engine::SendResult>>> results) {
                    if (!results.ok()) return reply(results.status());
                    const std::vector<std::size_t>& index = outcomes->index;
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
                      Value& entry = outcomes->successes[i];
                      entry = Value::Struct();
                      FillSendResult(outcomes->sums[k], *r, entry, outcomes->ids[i]);
                    }
                    reply(outcomes->TakeOutput());
                  });
}

void CmdDeleteMessageBatch(const Sqs& sqs, const RequestContext& ctx, Value&& input, Reply reply) {
  auto id = ResolveQueue(sqs, ctx, input);
  if (!id.ok()) return reply(id.status());
  auto outcomes = std::make_shared<Outcomes>(std::move(input));
  auto batch = CheckBatch(outcomes->input, "DeleteMessageBatchRequestEntry");
  if (!batch.ok()) return reply(batch.status());
  outcomes->Start(std::move(batch->ids));
  std::vector<std::string> handles;
  handles.reserve(batch->entries.size());
  for (std::size_t i = 0; i < batch->entries.size(); ++i) {
    Value* handle = batch->entries[i]->GetMutable("ReceiptHandle");
    const bool text = handle && (handle->is_string() || handle->kind() == Value::Kind::kBlob);
    if (!text || IsBlank(handle->as_string())) {
      outcomes->failures[i] = MissingParameter("ReceiptHandle");
      continue;
    }
    // Moved, not copied: the answer needs only the entry ids, which stay in the input.
    handles.push_back(std::move(handle->mutable_string()));
    outcomes->index.push_back(i);
  }
  if (handles.empty()) return ReplyAllFailed(sqs, *id, ctx, *outcomes, reply);
  sqs.engine.Delete(*id, std::move(handles),
                    [reply = std::move(reply),
                     outcomes = std::move(outcomes)](Result<std::vector<Status>> results) {
                      FinishStatuses(outcomes, std::move(results), reply);
                    });
}

void CmdChangeMessageVisibilityBatch(const Sqs& sqs, const RequestContext& ctx, Value&& input,
                                     Reply reply) {
  auto id = ResolveQueue(sqs, ctx, input);
  if (!id.ok()) return reply(id.status());
  constexpr std::string_view kEntry = "ChangeMessageVisibilityBatchRequestEntry";
  auto outcomes = std::make_shared<Outcomes>(std::move(input));
  auto batch = CheckBatch(outcomes->input, kEntry);
  if (!batch.ok()) return reply(batch.status());
  outcomes->Start(std::move(batch->ids));
  std::vector<engine::VisibilityChange> changes;
  changes.reserve(batch->entries.size());
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
    outcomes->index.push_back(i);
  }
  if (changes.empty()) return ReplyAllFailed(sqs, *id, ctx, *outcomes, reply);
  sqs.engine.ChangeVisibility(*id, std::move(changes),
                              [reply = std::move(reply), outcomes = std::move(outcomes)](
                                  Result<std::vector<Status>> results) {
                                FinishStatuses(outcomes, std::move(results), reply);
                              });
}

}  // namespace sluice::sqs
