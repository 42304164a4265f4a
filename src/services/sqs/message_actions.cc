// Single-message actions: SendMessage, ReceiveMessage, DeleteMessage, ChangeMessageVisibility.
#include <fmt/format.h>

#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "common/encoding.h"
#include "engine/digest.h"
#include "services/sqs/errors.h"
#include "services/sqs/handlers.h"
#include "services/sqs/validation.h"

namespace sluice::sqs {
namespace {

// Which system attributes ReceiveMessage returns (AttributeNames ∪ MessageSystemAttributeNames).
// Unknown names are ignored, as AWS ignores names that do not apply to a message.
struct SystemSelection {
  bool all = false;
  std::set<std::string, std::less<>> names;
  bool Wants(std::string_view name) const { return all || names.count(name) > 0; }
};

// Which user attributes ReceiveMessage returns: "All", ".*" or "*" for all; exact names; and
// "prefix.*" for every name starting with "prefix".
struct AttributeSelection {
  bool all = false;
  std::set<std::string, std::less<>> names;
  std::vector<std::string> prefixes;
  bool Wants(std::string_view name) const {
    if (all || names.count(name) > 0) return true;
    for (const auto& p : prefixes) {
      if (name.substr(0, p.size()) == p) return true;
    }
    return false;
  }
};

SystemSelection SelectSystemAttributes(const Value& input) {
  SystemSelection sel;
  for (const char* member : {"AttributeNames", "MessageSystemAttributeNames"}) {
    for (std::string& name : StringList(input.Get(member))) {
      if (name == "All") sel.all = true;
      sel.names.insert(std::move(name));
    }
  }
  return sel;
}

AttributeSelection SelectMessageAttributes(const Value& input) {
  AttributeSelection sel;
  for (std::string& name : StringList(input.Get("MessageAttributeNames"))) {
    if (name == "All" || name == ".*" || name == "*") {
      sel.all = true;
    } else if (name.size() > 2 && name.compare(name.size() - 2, 2, ".*") == 0) {
      sel.prefixes.push_back(name.substr(0, name.size() - 2));
    } else {
      sel.names.insert(std::move(name));
    }
  }
  return sel;
}

Status RangeError(std::string_view param, std::int64_t value, std::string_view reason) {
  return InvalidParameterValue(
      fmt::format("Value {} for parameter {} is invalid. Reason: {}", value, param, reason));
}

Value MessageAttributeValue(const engine::MessageAttribute& a) {
  Value v = Value::Struct();
  if (a.binary) {
    v.Set("BinaryValue", Value::Blob(a.value));
  } else if (!a.value.empty() || (a.string_list.empty() && a.binary_list.empty())) {
    v.Set("StringValue", Value::String(a.value));
  }
  if (!a.string_list.empty()) v.Set("StringListValues", StringListValue(a.string_list));
  if (!a.binary_list.empty()) {
    Value list = Value::List();
    for (const auto& b : a.binary_list) list.Append(Value::Blob(b));
    v.Set("BinaryListValues", std::move(list));
  }
  v.Set("DataType", Value::String(a.data_type));
  return v;
}

Value MessageOutput(engine::ReceivedMessage& m, const SystemSelection& system,
                    const AttributeSelection& user) {
  // The four members every message has, distinct: appended without Set's look-up of each name.
  Value msg = Value::Struct();
  std::vector<Value::Entry>& members = msg.mutable_entries();
  members.reserve(4);
  members.emplace_back("MessageId", Value::String(std::move(m.message_id)));
  members.emplace_back("ReceiptHandle", Value::String(std::move(m.receipt_handle)));
  members.emplace_back(
      "MD5OfBody",
      Value::String(m.md5_of_body.empty() ? Md5Hex(m.body) : std::move(m.md5_of_body)));
  members.emplace_back("Body", Value::String(std::move(m.body)));

  // Each value is only made when the attribute was asked for (most receives ask for none).
  Value attrs = Value::Map();
  auto put = [&](std::string_view name, auto&& make) {
    if (system.Wants(name)) attrs.Set(std::string(name), Value::String(make()));
  };
  put("SenderId", [&] { return std::move(m.sender_id); });
  put("SentTimestamp", [&] { return std::to_string(m.sent_timestamp); });
  put("ApproximateReceiveCount", [&] { return std::to_string(m.receive_count); });
  put("ApproximateFirstReceiveTimestamp",
      [&] { return std::to_string(m.first_receive_timestamp); });
  if (m.trace_header) put("AWSTraceHeader", [&] { return std::move(*m.trace_header); });
  if (m.group_id) put("MessageGroupId", [&] { return std::move(*m.group_id); });
  if (m.dedup_id) put("MessageDeduplicationId", [&] { return std::move(*m.dedup_id); });
  if (m.sequence_number) put("SequenceNumber", [&] { return std::move(*m.sequence_number); });
  if (m.dead_letter_source_arn) {
    put("DeadLetterQueueSourceArn", [&] { return std::move(*m.dead_letter_source_arn); });
  }
  if (!attrs.entries().empty()) msg.Set("Attributes", std::move(attrs));

  // The digest covers exactly the attributes returned.
  engine::MessageAttributes selected;
  for (auto& a : m.attributes) {
    if (user.Wants(a.name)) selected.push_back(std::move(a));
  }
  if (!selected.empty()) {
    msg.Set("MD5OfMessageAttributes", Value::String(engine::Md5OfMessageAttributes(selected)));
    Value map = Value::Map();
    for (const auto& a : selected) map.Set(a.name, MessageAttributeValue(a));
    msg.Set("MessageAttributes", std::move(map));
  }
  return msg;
}

}  // namespace

namespace {

// The members SendMessage and a SendMessageBatch entry read, found in one pass over the entry
// (a look-up per member scanned the entry seven times: 250 instructions a message). The first
// of a repeated name wins, as with Value::Get.
struct SendMembers {
  Value* body = nullptr;
  const Value* delay = nullptr;
  const Value* attributes = nullptr;
  const Value* system_attributes = nullptr;
  const Value* group = nullptr;
  const Value* dedup = nullptr;

  explicit SendMembers(Value& message) {
    if (message.entries().empty()) return;  // also when not a structure: nothing to find
    // The six names differ in length: one comparison of the bytes per member.
    constexpr std::string_view kBody = "MessageBody", kDelay = "DelaySeconds",
                               kAttributes = "MessageAttributes",
                               kSystem = "MessageSystemAttributes", kGroup = "MessageGroupId",
                               kDedup = "MessageDeduplicationId";
    for (auto& [key, v] : message.mutable_entries()) {
      const std::string_view name = key;
      const Value** slot = nullptr;
      switch (name.size()) {
        case kBody.size():
          if (name == kBody && !body) body = &v;
          continue;
        case kDelay.size():
          if (name == kDelay) slot = &delay;
          break;
        case kAttributes.size():
          if (name == kAttributes) slot = &attributes;
          break;
        case kSystem.size():
          if (name == kSystem) slot = &system_attributes;
          break;
        case kGroup.size():
          if (name == kGroup) slot = &group;
          break;
        case kDedup.size():
          if (name == kDedup) slot = &dedup;
          break;
        default:
          break;
      }
      if (slot && !*slot) *slot = &v;
    }
  }

  // A string (or blob) member's text, as Value::GetString.
  static std::optional<std::string_view> Text(const Value* v) {
    if (!v || (v->kind() != Value::Kind::kString && v->kind() != Value::Kind::kBlob)) {
      return std::nullopt;
    }
    return std::string_view(v->as_string());
  }
};

}  // namespace

Status PrepareSend(const Sqs& sqs, const RequestContext& ctx, const engine::QueueId& queue,
                   Value& message, bool batch, std::size_t index, engine::SendRequest& req,
                   SendChecksums& sums) {
  const bool fifo = IsFifoQueue(queue);
  const SendMembers in(message);
  const std::optional<std::string_view> body = SendMembers::Text(in.body);
  if (!body || body->empty()) {
    return MissingParameter(
        batch ? fmt::format("SendMessageBatchRequestEntry.{}.MessageBody", index + 1)
              : std::string("MessageBody"));
  }
  if (Status s = ValidateMessageBody(body, "MessageBody"); !s.ok()) return s;

  auto delay = OptionalInt(in.delay, "DelaySeconds");
  if (!delay.ok()) return delay.status();
  if (*delay) {
    const std::int64_t d = **delay;
    if (d < 0 || d > 900)
      return RangeError("DelaySeconds", d, "Must be >= 0 and <= 900, if provided.");
    // FIFO queues delay only per queue; an explicit 0 is harmless and accepted.
    if (fifo && d != 0) {
      return RangeError("DelaySeconds", d,
                        "The request include parameter that is not valid for this queue type.");
    }
    if (!fifo) req.delay_seconds = static_cast<int>(d);
  }

  auto attributes = ParseMessageAttributes(in.attributes);
  if (!attributes.ok()) return attributes.status();
  auto trace = ParseSystemAttributes(in.system_attributes);
  if (!trace.ok()) return trace.status();

  const std::size_t size = body->size() + attributes->size;
  if (size > kMaxMessageSize) {
    return InvalidParameterValue(
        fmt::format("One or more parameters {}. Reason: Message must be shorter than {} bytes.",
                    batch ? "cannot be validated" : "are invalid", kMaxMessageSize));
  }

  // An empty MessageGroupId counts as missing on a FIFO queue; a standard queue refuses it.
  if (auto group = SendMembers::Text(in.group); group && (!group->empty() || !fifo)) {
    if (Status s = ValidateFifoToken("MessageGroupId", *group); !s.ok()) return s;
    req.group_id = std::string(*group);
  } else if (fifo) {
    // AWS: MissingParameter on SendMessage, InvalidParameterValue inside a batch.
    if (!batch) return MissingParameter("MessageGroupId");
    return InvalidParameterValue("The request must contain the parameter MessageGroupId.");
  }
  if (auto dedup = SendMembers::Text(in.dedup); dedup && !dedup->empty()) {
    if (!fifo) {
      return InvalidParameterValue(fmt::format(
          "Value {} for parameter MessageDeduplicationId is invalid. Reason: The request include "
          "parameter that is not valid for this queue type.",
          *dedup));
    }
    if (Status s = ValidateFifoToken("MessageDeduplicationId", *dedup); !s.ok()) return s;
    req.dedup_id = std::string(*dedup);
  }

  req.body = std::move(in.body->mutable_string());  // checked: a string, moved without a copy
  req.attributes = std::move(attributes->attributes);
  if (*trace) sums.md5_of_system_attributes = engine::Md5OfTraceHeader(**trace);
  req.trace_header = std::move(*trace);
  // X-Ray: the X-Amzn-Trace-Id header applies to every message of the request that carries no
  // AWSTraceHeader of its own (the system attribute wins). It is not in the request's
  // MessageSystemAttributes, so no MD5OfMessageSystemAttributes is answered for it; a value SQS
  // could not store (a character outside the allowed set) is ignored.
  if (!req.trace_header && !ctx.trace_header.empty() && !FindInvalidCharacter(ctx.trace_header)) {
    req.trace_header = ctx.trace_header;
  }
  req.sender_id = SenderIdOf(sqs, ctx);
  req.size = size;
  if (!req.attributes.empty())
    sums.md5_of_attributes = engine::Md5OfMessageAttributes(req.attributes);
  return Status::Ok();
}

void FillSendResult(const SendChecksums& sent, engine::SendResult& result, Value& out,
                    std::string_view batch_id) {
  // The members are distinct: appended without Set's look-up, in one allocation, each built in
  // place (a temporary Value::String per member, moved into the pair, cost 200 instructions a
  // batch entry).
  std::vector<Value::Entry>& entries = out.mutable_entries();
  entries.reserve(entries.size() + !batch_id.empty() + 2 + !sent.md5_of_attributes.empty() +
                  !sent.md5_of_system_attributes.empty() + !result.sequence_number.empty());
  const auto add = [&entries](std::string_view name) -> std::string& {
    return entries
        .emplace_back(std::piecewise_construct, std::forward_as_tuple(name),
                      std::forward_as_tuple())
        .second.mutable_string();
  };
  if (!batch_id.empty()) add("Id").assign(batch_id);
  add("MessageId") = std::move(result.message_id);
  add("MD5OfMessageBody") = std::move(result.md5_of_body);
  if (!sent.md5_of_attributes.empty()) add("MD5OfMessageAttributes") = sent.md5_of_attributes;
  if (!sent.md5_of_system_attributes.empty()) {
    add("MD5OfMessageSystemAttributes") = sent.md5_of_system_attributes;
  }
  if (!result.sequence_number.empty()) {
    add("SequenceNumber") = std::move(result.sequence_number);
  }
}

void CmdSendMessage(const Sqs& sqs, const RequestContext& ctx, Value&& input, Reply reply) {
  auto id = ResolveQueue(sqs, ctx, input);
  if (!id.ok()) return reply(id.status());
  std::vector<engine::SendRequest> requests(1);
  SendChecksums sums;
  if (Status st = PrepareSend(sqs, ctx, *id, input, /*batch=*/false, 0, requests.front(), sums);
      !st.ok()) {
    return reply(st);
  }
  if (Status st = CheckQueueKey(sqs, ctx, *id, /*send=*/true); !st.ok()) return reply(st);
  // The callback keeps only the checksums; the message itself now belongs to the engine.
  sqs.engine.Send(*id, std::move(requests),
                  [reply = std::move(reply), sent = std::move(sums)](
                      Result<std::vector<Result<engine::SendResult>>> results) {
                    if (!results.ok()) return reply(results.status());
                    if (results->empty()) {
                      return reply(Status(ErrorCode::kInternalError, "The engine sent nothing."));
                    }
                    Result<engine::SendResult>& r = results->front();
                    if (!r.ok()) return reply(r.status());
                    Value out = Value::Struct();
                    FillSendResult(sent, *r, out);
                    reply(std::move(out));
                  });
}

void CmdReceiveMessage(const Sqs& sqs, const RequestContext& ctx, Value&& input, Reply reply) {
  auto id = ResolveQueue(sqs, ctx, input);
  if (!id.ok()) return reply(id.status());
  engine::ReceiveRequest req;
  auto max = OptionalInt(input, "MaxNumberOfMessages");
  if (!max.ok()) return reply(max.status());
  if (*max) {
    if (**max < 1 || **max > 10) {
      return reply(
          RangeError("MaxNumberOfMessages", **max, "Must be between 1 and 10, if provided."));
    }
    req.max_messages = static_cast<int>(**max);
  }
  auto visibility = OptionalInt(input, "VisibilityTimeout");
  if (!visibility.ok()) return reply(visibility.status());
  if (*visibility) {
    if (**visibility < 0 || **visibility > 43200) {
      return reply(
          RangeError("VisibilityTimeout", **visibility, "Must be >= 0 and <= 43200, if provided."));
    }
    req.visibility_timeout = static_cast<int>(**visibility);
  }
  auto wait = OptionalInt(input, "WaitTimeSeconds");
  if (!wait.ok()) return reply(wait.status());
  if (*wait) {
    if (**wait < 0 || **wait > 20) {
      return reply(RangeError("WaitTimeSeconds", **wait, "Must be >= 0 and <= 20, if provided."));
    }
    req.wait_seconds = static_cast<int>(**wait);
  }
  if (auto attempt = NonEmptyString(input, "ReceiveRequestAttemptId")) {
    if (Status s = ValidateFifoToken("ReceiveRequestAttemptId", *attempt); !s.ok()) {
      return reply(s);
    }
    req.receive_request_attempt_id = std::string(*attempt);
  }
  if (Status st = CheckQueueKey(sqs, ctx, *id, /*send=*/false); !st.ok()) return reply(st);
  SystemSelection system = SelectSystemAttributes(input);
  AttributeSelection user = SelectMessageAttributes(input);
  // Long polls complete later, on an engine thread: the callback owns everything it uses.
  sqs.engine.Receive(*id, req,
                     [reply = std::move(reply), system = std::move(system),
                      user = std::move(user)](Result<std::vector<engine::ReceivedMessage>> got) {
                       if (!got.ok()) return reply(got.status());
                       Value out = Value::Struct();
                       if (!got->empty()) {
                         Value messages = Value::List();
                         messages.mutable_items().reserve(got->size());
                         for (auto& m : *got) messages.Append(MessageOutput(m, system, user));
                         out.Set("Messages", std::move(messages));
                       }
                       reply(std::move(out));
                     });
}

void CmdDeleteMessage(const Sqs& sqs, const RequestContext& ctx, Value&& input, Reply reply) {
  auto id = ResolveQueue(sqs, ctx, input);
  if (!id.ok()) return reply(id.status());
  auto handle = NonEmptyString(input, "ReceiptHandle");
  if (!handle) return reply(MissingParameter("ReceiptHandle"));
  std::vector<std::string> handles{std::string(*handle)};
  sqs.engine.Delete(*id, std::move(handles),
                    [reply = std::move(reply)](Result<std::vector<Status>> results) {
                      if (!results.ok()) return reply(results.status());
                      if (!results->empty() && !results->front().ok()) {
                        return reply(results->front());
                      }
                      reply(EmptyOutput());
                    });
}

void CmdChangeMessageVisibility(const Sqs& sqs, const RequestContext& ctx, Value&& input,
                                Reply reply) {
  auto id = ResolveQueue(sqs, ctx, input);
  if (!id.ok()) return reply(id.status());
  auto handle = NonEmptyString(input, "ReceiptHandle");
  if (!handle) return reply(MissingParameter("ReceiptHandle"));
  auto timeout = OptionalInt(input, "VisibilityTimeout");
  if (!timeout.ok()) return reply(timeout.status());
  if (!*timeout) return reply(MissingParameter("VisibilityTimeout"));
  if (**timeout < 0 || **timeout > 43200) {
    return reply(RangeError("VisibilityTimeout", **timeout, "Must be between 0 and 43200."));
  }
  std::vector<engine::VisibilityChange> changes{
      {std::string(*handle), static_cast<int>(**timeout)}};
  sqs.engine.ChangeVisibility(*id, std::move(changes),
                              [reply = std::move(reply)](Result<std::vector<Status>> results) {
                                if (!results.ok()) return reply(results.status());
                                if (!results->empty() && !results->front().ok()) {
                                  return reply(results->front());
                                }
                                reply(EmptyOutput());
                              });
}

}  // namespace sluice::sqs
