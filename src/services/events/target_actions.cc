// PutTargets, RemoveTargets, ListTargetsByRule.
#include <fmt/format.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <map>

#include "services/events/handlers.h"
#include "services/events/transform.h"
#include "services/sns/arn.h"

namespace sluice::events {
namespace {

Status ValidateTarget(const Target& t) {
  auto parts = sns::ParseArn(t.arn);
  if (t.arn.rfind("arn:", 0) != 0 || !parts) {
    return Invalid(fmt::format(
        "Parameter {} is not valid. Reason: Provided Arn is not in correct format.", t.arn));
  }
  const auto input = t.Str("Input");
  const auto path = t.Str("InputPath");
  const Value* transformer = t.value.Get("InputTransformer");
  if ((input ? 1 : 0) + (path ? 1 : 0) + (transformer != nullptr ? 1 : 0) > 1) {
    return Invalid(fmt::format(
        "Only one of Input, InputPath, or InputTransformer must be provided for target {}.", t.id));
  }
  if (input) {
    rapidjson::Document d;
    d.Parse(input->data(), input->size());
    if (d.HasParseError()) {
      return Invalid(
          fmt::format("Parameter Input is not valid. Reason: Input for target {} is "
                      "not valid JSON text.",
                      t.id));
    }
  }
  if (path && !ParseJsonPath(*path)) {
    return Invalid(
        fmt::format("Parameter InputPath is not valid. Reason: {} is not a valid JSON "
                    "path.",
                    *path));
  }
  if (transformer != nullptr) {
    std::map<std::string, std::string> paths;
    if (const Value* m = transformer->Get("InputPathsMap")) {
      for (const auto& [k, v] : m->entries()) paths[k] = v.as_string();
    }
    if (Status st =
            ValidateTransformer(paths, transformer->GetString("InputTemplate").value_or(""));
        !st.ok()) {
      return st;
    }
  }
  if (parts->service == "sqs" && t.arn.ends_with(".fifo") &&
      !t.Nested("SqsParameters", "MessageGroupId")) {
    return Invalid(
        fmt::format("Parameter(s) SqsParameters must be specified for target: {}.", t.id));
  }
  const std::string dlq = t.DeadLetterArn();
  if (!dlq.empty() && dlq.rfind("arn:aws:sqs:", 0) != 0) {
    return Invalid(fmt::format(
        "Parameter DeadLetterConfig.Arn is not valid. Reason: {} is not an SQS queue ARN.", dlq));
  }
  return Status::Ok();
}

}  // namespace

void PutTargets(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  auto bus = ResolveBus(ctx, input);
  if (!bus.ok()) return reply(bus.status());
  const std::string name = StringOf(input, "Rule");
  if (Status st = Authorize(ev, ctx, "events:PutTargets",
                            RuleArn(bus->scope.region, bus->scope.account, bus->name, name),
                            bus->scope.account);
      !st.ok()) {
    return reply(st);
  }
  std::vector<Target> targets;
  if (const Value* list = input.Get("Targets")) {
    for (const Value& v : list->items()) {
      Target t;
      t.value = v;
      t.id = t.Str("Id").value_or("");
      t.arn = t.Str("Arn").value_or("");
      if (Status st = ValidateTarget(t); !st.ok()) return reply(st);
      targets.push_back(std::move(t));
    }
  }
  auto exists = LoadBus(ev, *bus);
  if (!exists.ok()) return reply(exists.status());
  auto updated = UpdateRule(ev, *bus, name, [&](Rule& r) {
    for (Target& t : targets) {
      auto it = std::find_if(r.targets.begin(), r.targets.end(),
                             [&](const Target& o) { return o.id == t.id; });
      if (it != r.targets.end()) {
        *it = t;
      } else {
        r.targets.push_back(t);
      }
    }
    if (r.targets.size() > ev.options.target_limit) {
      return Status(EventsError::kLimitExceeded,
                    "The requested resource exceeds the maximum number allowed.");
    }
    return Status::Ok();
  });
  if (!updated.ok()) return reply(updated.status());
  Value out = Value::Struct();
  out.Set("FailedEntryCount", Value::Int(0));
  out.Set("FailedEntries", Value::List());
  reply(std::move(out));
}

void RemoveTargets(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  auto bus = ResolveBus(ctx, input);
  if (!bus.ok()) return reply(bus.status());
  const std::string name = StringOf(input, "Rule");
  if (Status st = Authorize(ev, ctx, "events:RemoveTargets",
                            RuleArn(bus->scope.region, bus->scope.account, bus->name, name),
                            bus->scope.account);
      !st.ok()) {
    return reply(st);
  }
  std::vector<std::string> ids;
  if (const Value* list = input.Get("Ids")) {
    for (const Value& v : list->items()) ids.push_back(v.as_string());
  }
  auto exists = LoadBus(ev, *bus);
  if (!exists.ok()) return reply(exists.status());
  auto updated = UpdateRule(ev, *bus, name, [&](Rule& r) {
    std::erase_if(r.targets, [&](const Target& t) {
      return std::find(ids.begin(), ids.end(), t.id) != ids.end();
    });
    return Status::Ok();
  });
  if (!updated.ok()) return reply(updated.status());
  Value out = Value::Struct();
  out.Set("FailedEntryCount", Value::Int(0));
  out.Set("FailedEntries", Value::List());
  reply(std::move(out));
}

void ListTargetsByRule(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  auto bus = ResolveBus(ctx, input);
  if (!bus.ok()) return reply(bus.status());
  const std::string name = StringOf(input, "Rule");
  if (Status st = Authorize(ev, ctx, "events:ListTargetsByRule",
                            RuleArn(bus->scope.region, bus->scope.account, bus->name, name),
                            bus->scope.account);
      !st.ok()) {
    return reply(st);
  }
  auto exists = LoadBus(ev, *bus);
  if (!exists.ok()) return reply(exists.status());
  auto rule = LoadRule(ev, *bus, name);
  if (!rule.ok()) return reply(rule.status());
  auto position = TokenPosition(input);
  if (!position.ok()) return reply(position.status());
  const std::size_t limit = LimitOf(input);
  Value list = Value::List();
  bool started = position->empty();
  std::size_t count = 0;
  std::string last;
  bool more = false;
  for (const Target& t : rule->targets) {
    if (!started) {
      started = t.id == *position;
      continue;
    }
    if (count == limit) {
      more = true;
      break;
    }
    list.Append(t.value);
    last = t.id;
    ++count;
  }
  Value out = Value::Struct();
  out.Set("Targets", std::move(list));
  if (more) out.Set("NextToken", Value::String(PageToken(last)));
  reply(std::move(out));
}

}  // namespace sluice::events
