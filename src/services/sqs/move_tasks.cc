// Dead-letter redrive tasks: StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask.
#include <fmt/format.h>

#include "engine/queue_config.h"
#include "services/sqs/handlers.h"
#include "services/sqs/validation.h"

namespace sluice::sqs {
namespace {

// "arn:<partition>:<service>:<region>:<account-id>:<resource-id>", every part non-empty except
// the region (global resources).
bool LooksLikeArn(std::string_view arn) {
  std::size_t parts = 0;
  std::size_t start = 0;
  while (true) {
    const auto colon = arn.find(':', start);
    const std::string_view part =
        arn.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start);
    ++parts;
    if (parts == 1 && part != "arn") return false;
    if (parts != 4 && part.empty()) return false;
    if (colon == std::string_view::npos || parts == 6) break;
    start = colon + 1;
  }
  return parts == 6;
}

Result<std::string> RequireArn(const Value& input, std::string_view member, bool required) {
  auto arn = input.GetString(member);
  if (!arn) {
    if (required) return MissingParameter(member);
    return std::string();
  }
  if (!LooksLikeArn(*arn)) {
    return InvalidParameterValue(
        fmt::format("You must use this format to specify the {}: "
                    "arn:<partition>:<service>:<region>:<account-id>:<resource-id>",
                    member));
  }
  return std::string(*arn);
}

// Queues are regional: an ARN of another region than the request's names no queue here.
Status CheckArnRegion(const RequestContext& ctx, const std::string& arn, std::string_view member) {
  auto parsed = engine::ParseQueueArn(arn);
  if (parsed && parsed->region == ctx.region) return Status::Ok();
  return Status(
      SqsError::kResourceNotFound,
      fmt::format("The resource that you specified for the {} parameter doesn't exist.", member));
}

std::string_view StatusName(engine::MoveTaskStatus s) {
  switch (s) {
    case engine::MoveTaskStatus::kRunning:
      return "RUNNING";
    case engine::MoveTaskStatus::kCompleted:
      return "COMPLETED";
    case engine::MoveTaskStatus::kCancelling:
      return "CANCELLING";
    case engine::MoveTaskStatus::kCancelled:
      return "CANCELLED";
    case engine::MoveTaskStatus::kFailed:
      return "FAILED";
  }
  return "FAILED";
}

}  // namespace

void CmdStartMessageMoveTask(const Sqs& sqs, const RequestContext& ctx, Value&& input,
                             Reply reply) {
  auto source = RequireArn(input, "SourceArn", /*required=*/true);
  if (!source.ok()) return reply(source.status());
  auto destination = RequireArn(input, "DestinationArn", /*required=*/false);
  if (!destination.ok()) return reply(destination.status());
  if (Status s = CheckArnRegion(ctx, *source, "SourceArn"); !s.ok()) return reply(s);
  if (!destination->empty()) {
    if (Status s = CheckArnRegion(ctx, *destination, "DestinationArn"); !s.ok()) return reply(s);
  }
  auto rate = OptionalInt(input, "MaxNumberOfMessagesPerSecond");
  if (!rate.ok()) return reply(rate.status());
  if (*rate && (**rate < 1 || **rate > 500)) {
    return reply(InvalidParameterValue(
        "Value for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: You must enter a "
        "number that's between 1 and 500."));
  }
  std::optional<std::string> dest;
  if (!destination->empty()) dest = std::move(*destination);
  std::optional<int> per_second;
  if (*rate) per_second = static_cast<int>(**rate);
  auto handle = sqs.engine.StartMessageMoveTask(*source, dest, per_second);
  if (!handle.ok()) return reply(handle.status());
  Value out = Value::Struct();
  out.Set("TaskHandle", Value::String(std::move(*handle)));
  reply(std::move(out));
}

void CmdListMessageMoveTasks(const Sqs& sqs, const RequestContext& ctx, Value&& input,
                             Reply reply) {
  auto source = RequireArn(input, "SourceArn", /*required=*/true);
  if (!source.ok()) return reply(source.status());
  if (Status s = CheckArnRegion(ctx, *source, "SourceArn"); !s.ok()) return reply(s);
  auto max = OptionalInt(input, "MaxResults");
  if (!max.ok()) return reply(max.status());
  if (*max && (**max < 1 || **max > 10)) {
    return reply(InvalidParameterValue(
        "Value for parameter MaxResults is invalid. Reason: You must enter a number that's "
        "between 1 and 10."));
  }
  auto tasks = sqs.engine.ListMessageMoveTasks(*source, static_cast<int>(max->value_or(1)));
  if (!tasks.ok()) return reply(tasks.status());
  Value results = Value::List();
  for (const engine::MoveTaskInfo& t : *tasks) {
    Value e = Value::Struct();
    if (t.status == engine::MoveTaskStatus::kRunning && !t.task_handle.empty()) {
      e.Set("TaskHandle", Value::String(t.task_handle));
    }
    e.Set("Status", Value::String(std::string(StatusName(t.status))));
    e.Set("SourceArn", Value::String(t.source_arn));
    if (t.destination_arn) e.Set("DestinationArn", Value::String(*t.destination_arn));
    if (t.max_messages_per_second) {
      e.Set("MaxNumberOfMessagesPerSecond", Value::Int(*t.max_messages_per_second));
    }
    e.Set("ApproximateNumberOfMessagesMoved", Value::Int(t.moved));
    e.Set("ApproximateNumberOfMessagesToMove", Value::Int(t.to_move));
    if (t.failure_reason) e.Set("FailureReason", Value::String(*t.failure_reason));
    e.Set("StartedTimestamp", Value::Int(t.started_timestamp));
    results.Append(std::move(e));
  }
  Value out = Value::Struct();
  if (!results.items().empty()) out.Set("Results", std::move(results));
  reply(std::move(out));
}

void CmdCancelMessageMoveTask(const Sqs& sqs, const RequestContext& ctx, Value&& input,
                              Reply reply) {
  auto handle = NonEmptyString(input, "TaskHandle");
  if (!handle) return reply(MissingParameter("TaskHandle"));
  // A task of another region's queue is not one of this region's tasks.
  if (auto decoded = engine::DecodeMoveTaskHandle(*handle)) {
    auto parsed = engine::ParseQueueArn(decoded->source_arn);
    if (parsed && parsed->region != ctx.region) {
      return reply(Status(SqsError::kResourceNotFound, "Task does not exist."));
    }
  }
  auto moved = sqs.engine.CancelMessageMoveTask(std::string(*handle));
  if (!moved.ok()) return reply(moved.status());
  Value out = Value::Struct();
  out.Set("ApproximateNumberOfMessagesMoved", Value::Int(*moved));
  reply(std::move(out));
}

}  // namespace sluice::sqs
