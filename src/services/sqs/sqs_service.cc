// The SQS registry: one table maps every action to its handler and metadata.
#include "services/sqs/sqs_service.h"

#include <memory>
#include <utility>

#include "auth/auth.h"
#include "models/sqs_model.h"
#include "services/sqs/auth_check.h"
#include "services/sqs/errors.h"
#include "services/sqs/handlers.h"
#include "services/sqs/queue_url.h"

namespace sluice::sqs {
namespace {

struct Action {
  SqsActionInfo info;
  Cmd cmd;
};

// name, mutating, queue_scoped, cross_account (sqs-semantics.md §8), handler.
const std::vector<Action>& Registry() {
  static const std::vector<Action> kActions = {
      {{"AddPermission", true, true, false}, &CmdAddPermission},
      {{"CancelMessageMoveTask", true, false, true}, &CmdCancelMessageMoveTask},
      {{"ChangeMessageVisibility", true, true, true}, &CmdChangeMessageVisibility},
      {{"ChangeMessageVisibilityBatch", true, true, true}, &CmdChangeMessageVisibilityBatch},
      {{"CreateQueue", true, false, false}, &CmdCreateQueue},
      {{"DeleteMessage", true, true, true}, &CmdDeleteMessage},
      {{"DeleteMessageBatch", true, true, true}, &CmdDeleteMessageBatch},
      {{"DeleteQueue", true, true, false}, &CmdDeleteQueue},
      {{"GetQueueAttributes", false, true, true}, &CmdGetQueueAttributes},
      {{"GetQueueUrl", false, false, true}, &CmdGetQueueUrl},
      {{"ListDeadLetterSourceQueues", false, true, true}, &CmdListDeadLetterSourceQueues},
      {{"ListMessageMoveTasks", false, false, true}, &CmdListMessageMoveTasks},
      {{"ListQueueTags", false, true, false}, &CmdListQueueTags},
      {{"ListQueues", false, false, false}, &CmdListQueues},
      {{"PurgeQueue", true, true, true}, &CmdPurgeQueue},
      {{"ReceiveMessage", true, true, true}, &CmdReceiveMessage},
      {{"RemovePermission", true, true, false}, &CmdRemovePermission},
      {{"SendMessage", true, true, true}, &CmdSendMessage},
      {{"SendMessageBatch", true, true, true}, &CmdSendMessageBatch},
      {{"SetQueueAttributes", true, true, false}, &CmdSetQueueAttributes},
      {{"StartMessageMoveTask", true, false, true}, &CmdStartMessageMoveTask},
      {{"TagQueue", true, true, false}, &CmdTagQueue},
      {{"UntagQueue", true, true, false}, &CmdUntagQueue},
  };
  return kActions;
}

// Every missing-queue error leaves in the wording of the request's protocol, whichever layer
// (handler or engine) raised it.
Reply WithProtocolWording(WireProtocol wire, Reply reply) {
  return [wire, reply = std::move(reply)](Result<Value> result) {
    if (!result.ok() && result.status().code() == SqsError::kQueueDoesNotExist) {
      reply(QueueDoesNotExist(wire));
      return;
    }
    reply(std::move(result));
  };
}

// Fills QueueUrl from the request path for queue-scoped actions sent to the queue URL (Query
// requests of Java SDK v1 and GET scripts), so the required-member check sees it.
Status FillQueueUrlFromPath(const RequestContext& ctx, std::string_view operation, Value& input) {
  if (!input.is_struct() || ctx.path.empty() || ctx.path == "/") return Status::Ok();
  if (auto url = input.GetString("QueueUrl"); url && !url->empty()) return Status::Ok();
  for (const Action& a : Registry()) {
    if (a.info.name == operation) {
      if (a.info.queue_scoped) input.Set("QueueUrl", Value::String(ctx.path));
      break;
    }
  }
  return Status::Ok();
}

}  // namespace

const std::vector<SqsActionInfo>& SqsActions() {
  static const std::vector<SqsActionInfo> kInfos = [] {
    std::vector<SqsActionInfo> infos;
    for (const Action& a : Registry()) infos.push_back(a.info);
    return infos;
  }();
  return kInfos;
}

protocol::ServiceDefinition MakeSqsService(const services::Platform& platform, SqsOptions options) {
  auto sqs = std::make_shared<const Sqs>(
      Sqs{*platform.queues, std::move(options), platform.auth, platform.keys});
  // SQS answers constraint violations with its own codes and texts: no model validation.
  protocol::ServiceDefinition def =
      services::DefineService(platform, models::Sqs(), SqsErrorTable(), /*validate_input=*/false);
  def.xml_namespace = kSqsXmlNamespace;
  def.prepare_input = &FillQueueUrlFromPath;
  // A queue URL is an endpoint for the queue's actions only: AWS answers InvalidAction to
  // CreateQueue and ListQueues sent there, and UnknownOperationException without an Action
  // (localstack's AWS-validated TestSqsQueryApi). GetQueueUrl is allowed there, as on AWS.
  def.is_resource_path = [](std::string_view path) {
    return ParseQueueUrl(path, UrlScope{"000000000000", "us-east-1", "us-east-1"}).has_value();
  };
  def.resource_action = [](std::string_view operation) {
    return operation != "CreateQueue" && operation != "ListQueues";
  };
  for (const Action& action : Registry()) {
    Cmd cmd = action.cmd;
    const SqsActionInfo* info = &action.info;  // the registry is static
    def.handlers.emplace(std::string(action.info.name),
                         [sqs, cmd, info](const RequestContext& ctx, Value&& input, Reply reply) {
                           Reply worded = WithProtocolWording(ctx.protocol, std::move(reply));
                           if (Status checked = CheckRequest(*sqs, *info, ctx, input);
                               !checked.ok()) {
                             return worded(std::move(checked));
                           }
                           cmd(*sqs, ctx, std::move(input), std::move(worded));
                         });
  }
  return def;
}

}  // namespace sluice::sqs
