// Queue policy statements and tags: AddPermission, RemovePermission, TagQueue, UntagQueue,
// ListQueueTags.
#include <fmt/format.h>

#include "services/sqs/handlers.h"
#include "services/sqs/validation.h"

namespace sluice::sqs {

void CmdAddPermission(const Sqs& sqs, const RequestContext& ctx, Value&& input, Reply reply) {
  auto id = ResolveQueue(sqs, ctx, input);
  if (!id.ok()) return reply(id.status());
  auto label = NonEmptyString(input, "Label");
  if (!label) return reply(MissingParameter("Label"));
  if (!IsValidLabel(*label)) {
    return reply(InvalidParameterValue(fmt::format(
        "Value {} for parameter Label is invalid. Reason: Can only include alphanumeric "
        "characters, hyphens, or underscores. 1 to 80 in length.",
        *label)));
  }
  // AWS names the Query keys (AWSAccountId.N, ActionName.N) in these messages.
  const std::vector<std::string> accounts = StringList(input.Get("AWSAccountIds"));
  if (accounts.empty()) return reply(MissingParameter("AWSAccountId"));
  const std::vector<std::string> actions = StringList(input.Get("Actions"));
  if (actions.empty()) return reply(MissingParameter("ActionName"));
  ReplyStatus(reply, sqs.engine.AddPermission(*id, std::string(*label), accounts, actions));
}

void CmdRemovePermission(const Sqs& sqs, const RequestContext& ctx, Value&& input, Reply reply) {
  auto id = ResolveQueue(sqs, ctx, input);
  if (!id.ok()) return reply(id.status());
  auto label = NonEmptyString(input, "Label");
  if (!label) return reply(MissingParameter("Label"));
  ReplyStatus(reply, sqs.engine.RemovePermission(*id, std::string(*label)));
}

void CmdTagQueue(const Sqs& sqs, const RequestContext& ctx, Value&& input, Reply reply) {
  auto id = ResolveQueue(sqs, ctx, input);
  if (!id.ok()) return reply(id.status());
  const engine::TagMap tags = StringMap(input.Get("Tags"));
  if (tags.empty()) return reply(MissingParameter("Tags"));
  ReplyStatus(reply, sqs.engine.TagQueue(*id, tags));
}

void CmdUntagQueue(const Sqs& sqs, const RequestContext& ctx, Value&& input, Reply reply) {
  auto id = ResolveQueue(sqs, ctx, input);
  if (!id.ok()) return reply(id.status());
  const std::vector<std::string> keys = StringList(input.Get("TagKeys"));
  if (keys.empty()) return reply(MissingParameter("TagKeys"));
  ReplyStatus(reply, sqs.engine.UntagQueue(*id, keys));
}

void CmdListQueueTags(const Sqs& sqs, const RequestContext& ctx, Value&& input, Reply reply) {
  auto id = ResolveQueue(sqs, ctx, input);
  if (!id.ok()) return reply(id.status());
  auto tags = sqs.engine.ListQueueTags(*id);
  if (!tags.ok()) return reply(tags.status());
  Value out = Value::Struct();
  if (!tags->empty()) out.Set("Tags", StringMapValue(*tags));
  reply(std::move(out));
}

}  // namespace sluice::sqs
