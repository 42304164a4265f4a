// Queue lifecycle and configuration: CreateQueue, DeleteQueue, GetQueueUrl, ListQueues,
// Get/SetQueueAttributes, PurgeQueue, ListDeadLetterSourceQueues.
#include "services/sqs/errors.h"
#include "services/sqs/handlers.h"
#include "services/sqs/validation.h"

namespace sluice::sqs {
namespace {

// QueueName as CreateQueue / GetQueueUrl require it; name rules themselves are the engine's.
Result<std::string> RequireQueueName(const Value& input) {
  auto name = input.GetString("QueueName");
  if (!name) return MissingParameter("QueueName");
  if (name->empty()) {
    return InvalidParameterValue(
        "Value for parameter QueueName is invalid. Reason: Must specify a queue name.");
  }
  return std::string(*name);
}

Value QueueUrlOutput(const Sqs& sqs, const RequestContext& ctx, const engine::QueueId& id) {
  Value out = Value::Struct();
  out.Set("QueueUrl", Value::String(QueueUrlOf(sqs, ctx, id)));
  return out;
}

}  // namespace

void CmdCreateQueue(const Sqs& sqs, const RequestContext& ctx, Value&& input, Reply reply) {
  auto name = RequireQueueName(input);
  if (!name.ok()) return reply(name.status());
  const engine::QueueId id{ctx.account_id, std::move(*name), ctx.region};
  const engine::AttributeMap attributes = StringMap(input.Get("Attributes"));
  const engine::TagMap tags = StringMap(input.Get("tags"));
  const Status status = sqs.engine.CreateQueue(id, attributes, tags);
  if (!status.ok()) return reply(status);
  reply(QueueUrlOutput(sqs, ctx, id));
}

void CmdDeleteQueue(const Sqs& sqs, const RequestContext& ctx, Value&& input, Reply reply) {
  auto id = ResolveQueue(sqs, ctx, input);
  if (!id.ok()) return reply(id.status());
  ReplyStatus(reply, sqs.engine.DeleteQueue(*id));
}

void CmdGetQueueUrl(const Sqs& sqs, const RequestContext& ctx, Value&& input, Reply reply) {
  auto name = RequireQueueName(input);
  if (!name.ok()) return reply(name.status());
  std::string account = ctx.account_id;
  if (auto owner = NonEmptyString(input, "QueueOwnerAWSAccountId")) account = std::string(*owner);
  const engine::QueueId id{std::move(account), std::move(*name), ctx.region};
  if (!sqs.engine.QueueExists(id)) return reply(QueueDoesNotExist(ctx.protocol));
  reply(QueueUrlOutput(sqs, ctx, id));
}

void CmdListQueues(const Sqs& sqs, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string prefix(input.GetString("QueueNamePrefix").value_or(""));
  const std::vector<engine::QueueId> queues =
      sqs.engine.ListQueues(ctx.account_id, ctx.region, prefix);
  Value out = Value::Struct();
  const Status status = Paginate(input, queues, sqs, ctx, "QueueUrls", /*always_list=*/false, out);
  if (!status.ok()) return reply(status);
  reply(std::move(out));
}

void CmdGetQueueAttributes(const Sqs& sqs, const RequestContext& ctx, Value&& input, Reply reply) {
  auto id = ResolveQueue(sqs, ctx, input);
  if (!id.ok()) return reply(id.status());
  auto attributes = sqs.engine.GetQueueAttributes(*id, StringList(input.Get("AttributeNames")));
  if (!attributes.ok()) return reply(attributes.status());
  Value out = Value::Struct();
  if (!attributes->empty()) out.Set("Attributes", StringMapValue(*attributes));
  reply(std::move(out));
}

void CmdSetQueueAttributes(const Sqs& sqs, const RequestContext& ctx, Value&& input, Reply reply) {
  auto id = ResolveQueue(sqs, ctx, input);
  if (!id.ok()) return reply(id.status());
  const engine::AttributeMap attributes = StringMap(input.Get("Attributes"));
  // The Query key AWS names in this message is "Attribute.Name" (also for JSON requests).
  if (attributes.empty()) return reply(MissingParameter("Attribute.Name"));
  ReplyStatus(reply, sqs.engine.SetQueueAttributes(*id, attributes));
}

void CmdPurgeQueue(const Sqs& sqs, const RequestContext& ctx, Value&& input, Reply reply) {
  auto id = ResolveQueue(sqs, ctx, input);
  if (!id.ok()) return reply(id.status());
  ReplyStatus(reply, sqs.engine.PurgeQueue(*id));
}

void CmdListDeadLetterSourceQueues(const Sqs& sqs, const RequestContext& ctx, Value&& input,
                                   Reply reply) {
  auto id = ResolveQueue(sqs, ctx, input);
  if (!id.ok()) return reply(id.status());
  auto sources = sqs.engine.ListDeadLetterSourceQueues(*id);
  if (!sources.ok()) return reply(sources.status());
  Value out = Value::Struct();
  // queueUrls (lower-case q, as the model names it) is a required member: always present.
  const Status status = Paginate(input, *sources, sqs, ctx, "queueUrls", /*always_list=*/true, out);
  if (!status.ok()) return reply(status);
  reply(std::move(out));
}

}  // namespace sluice::sqs
