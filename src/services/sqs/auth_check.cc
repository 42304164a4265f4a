#include "services/sqs/auth_check.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "auth/auth.h"
#include "engine/queue_config.h"
#include "services/sqs/queue_url.h"

namespace sluice::sqs {
namespace {

Status ValidatePolicyAttribute(const Value& input) {
  const Value* attributes = input.Get("Attributes");
  if (attributes == nullptr) return Status::Ok();
  for (const auto& [name, value] : attributes->entries()) {
    if (name != "Policy" || !value.is_string() || value.as_string().empty()) continue;
    // sqs-semantics.md §1: a queue policy holds at most 8,192 bytes.
    if (value.as_string().size() > 8192) {
      return Status(SqsError::kInvalidAttributeValue,
                    "Invalid value for the parameter Policy. Reason: Policy exceeds 8192 bytes.");
    }
    if (Status s = auth::ValidateResourcePolicy(value.as_string()); !s.ok()) {
      return Status(SqsError::kInvalidAttributeValue,
                    fmt::format("Invalid value for the parameter Policy. Reason: {}", s.message()));
    }
  }
  return Status::Ok();
}

std::string QueuePolicy(const Sqs& sqs, const engine::QueueId& id) {
  static const std::vector<std::string> kPolicy = {"Policy"};
  auto attributes = sqs.engine.GetQueueAttributes(id, kPolicy);
  if (!attributes.ok()) return {};
  auto it = attributes->find("Policy");
  return it == attributes->end() ? std::string() : it->second;
}

Status AuthorizeQueue(const Sqs& sqs, const SqsActionInfo& action, const RequestContext& ctx,
                      const std::string& action_name, const engine::QueueId& id) {
  const std::string arn = sqs.engine.QueueArn(id);
  const std::string policy = QueuePolicy(sqs, id);
  return sqs.auth->Authorize(
      ctx, action_name,
      auth::Resource{arn, id.account, policy, /*cross_account_grantable=*/action.cross_account});
}

}  // namespace

Status CheckRequest(const Sqs& sqs, const SqsActionInfo& action, const RequestContext& ctx,
                    const Value& input) {
  const bool sets_attributes = action.name == "SetQueueAttributes" || action.name == "CreateQueue";
  if (sets_attributes) {
    if (Status s = ValidatePolicyAttribute(input); !s.ok()) return s;
  }
  if (sqs.auth == nullptr) return Status::Ok();

  const std::string action_name = fmt::format("sqs:{}", action.name);
  const std::string account = ctx.account_id;
  if (action.queue_scoped) {
    auto id = ResolveQueue(sqs, ctx, input);
    if (!id.ok()) return Status::Ok();  // the handler answers QueueDoesNotExist
    return AuthorizeQueue(sqs, action, ctx, action_name, *id);
  }
  if (action.name == "GetQueueUrl" || action.name == "CreateQueue") {
    auto name = NonEmptyString(input, "QueueName");
    if (!name) return Status::Ok();  // the handler answers the missing parameter
    engine::QueueId id{account, std::string(*name), ctx.region};
    if (action.name == "GetQueueUrl") {
      if (auto owner = NonEmptyString(input, "QueueOwnerAWSAccountId")) {
        id.account = std::string(*owner);
      }
    }
    return AuthorizeQueue(sqs, action, ctx, action_name, id);
  }
  if (auto source = NonEmptyString(input, "SourceArn")) {
    if (auto parsed = engine::ParseQueueArn(*source)) {
      return AuthorizeQueue(sqs, action, ctx, action_name, parsed->queue);
    }
  }
  // Account-level actions (ListQueues, CancelMessageMoveTask): every queue of the account.
  const std::string arn = fmt::format("arn:aws:sqs:{}:{}:*", ctx.region, account);
  return sqs.auth->Authorize(ctx, action_name,
                             auth::Resource{arn, account, {}, action.cross_account});
}

}  // namespace sluice::sqs
