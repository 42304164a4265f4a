// PutRule, DescribeRule, ListRules, EnableRule, DisableRule, DeleteRule, ListRuleNamesByTarget,
// TestEventPattern, and the tag actions (buses and rules).
#include <fmt/format.h>

#include <algorithm>

#include "rules/pattern.h"
#include "services/events/handlers.h"
#include "services/events/schedule.h"
#include "services/sns/arn.h"

namespace sluice::events {
namespace {

constexpr char kTooMany[] = "The requested resource exceeds the maximum number allowed.";

Status PatternError(const Status& st) {
  return Status(EventsError::kInvalidEventPattern, st.message());
}

Value RuleOutput(const Rule& r, bool describe) {
  Value out = Value::Struct();
  out.Set("Name", Value::String(r.name));
  out.Set("Arn", Value::String(r.Arn()));
  if (!r.pattern.empty()) out.Set("EventPattern", Value::String(r.pattern));
  if (!r.schedule.empty()) out.Set("ScheduleExpression", Value::String(r.schedule));
  out.Set("State", Value::String(r.state));
  if (!r.description.empty()) out.Set("Description", Value::String(r.description));
  if (!r.role_arn.empty()) out.Set("RoleArn", Value::String(r.role_arn));
  if (!r.managed_by.empty()) out.Set("ManagedBy", Value::String(r.managed_by));
  out.Set("EventBusName", Value::String(r.bus));
  if (describe && !r.created_by.empty()) out.Set("CreatedBy", Value::String(r.created_by));
  return out;
}

Result<Rule> RequireRule(const Events& ev, const RequestContext& ctx, const Value& input,
                         std::string_view action, BusName* bus_out = nullptr) {
  auto bus = ResolveBus(ctx, input);
  if (!bus.ok()) return bus.status();
  const std::string name = StringOf(input, "Name");
  if (Status st = Authorize(ev, ctx, action,
                            RuleArn(bus->scope.region, bus->scope.account, bus->name, name),
                            bus->scope.account);
      !st.ok()) {
    return st;
  }
  auto exists = LoadBus(ev, *bus);
  if (!exists.ok()) return exists.status();
  if (bus_out != nullptr) *bus_out = *bus;
  return LoadRule(ev, *bus, name);
}

void SetState(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply,
              std::string_view action, const char* state) {
  BusName bus;
  auto rule = RequireRule(ev, ctx, input, action, &bus);
  if (!rule.ok()) return reply(rule.status());
  auto updated = UpdateRule(ev, bus, rule->name, [&](Rule& r) {
    r.state = state;
    return Status::Ok();
  });
  ReplyStatus(reply, updated.ok() ? Status::Ok() : updated.status());
}

// A rule or bus ARN of TagResource & co.
struct Tagged {
  BusName bus;
  std::string rule;  // "" the bus itself
};
Result<Tagged> ParseTagged(std::string_view arn) {
  auto parts = sns::ParseArn(arn);
  if (!parts || parts->service != "events") {
    return Invalid(
        fmt::format("Parameter {} is not valid. Reason: Provided Arn is not in correct "
                    "format.",
                    arn));
  }
  Tagged t;
  t.bus.scope = {parts->account, parts->region};
  const std::string& res = parts->resource;
  if (res.rfind("event-bus/", 0) == 0) {
    t.bus.name = res.substr(10);
    return t;
  }
  if (res.rfind("rule/", 0) == 0) {
    const std::string rest = res.substr(5);
    const auto slash = rest.rfind('/');
    t.bus.name = slash == std::string::npos ? std::string(kDefaultBus) : rest.substr(0, slash);
    t.rule = slash == std::string::npos ? rest : rest.substr(slash + 1);
    return t;
  }
  return Invalid(
      fmt::format("Parameter {} is not valid. Reason: Provided Arn is not in correct "
                  "format.",
                  arn));
}

// Applies `change` to the tags of the resource `arn` names.
Status ChangeTags(const Events& ev, const RequestContext& ctx, std::string_view arn,
                  std::string_view action, const std::function<Status(Tags&)>& change) {
  auto t = ParseTagged(arn);
  if (!t.ok()) return t.status();
  if (Status st = Authorize(ev, ctx, action, arn, t->bus.scope.account); !st.ok()) return st;
  if (t->rule.empty()) {
    auto bus = UpdateBus(ev, t->bus, [&](Bus& b) { return change(b.tags); });
    return bus.ok() ? Status::Ok() : bus.status();
  }
  auto rule = UpdateRule(ev, t->bus, t->rule, [&](Rule& r) { return change(r.tags); });
  return rule.ok() ? Status::Ok() : rule.status();
}

}  // namespace

void PutRule(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  auto bus = ResolveBus(ctx, input);
  if (!bus.ok()) return reply(bus.status());
  const std::string name = StringOf(input, "Name");
  const std::string pattern = StringOf(input, "EventPattern");
  const std::string schedule = StringOf(input, "ScheduleExpression");
  if (pattern.empty() && schedule.empty()) {
    return reply(Invalid("Parameter(s) EventPattern or ScheduleExpression must be specified."));
  }
  if (!schedule.empty()) {
    if (bus->name != kDefaultBus) {
      return reply(Invalid("ScheduleExpression is supported only on the default event bus."));
    }
    if (!Schedule::Parse(schedule)) {
      return reply(Invalid("Parameter ScheduleExpression is not valid."));
    }
  }
  if (!pattern.empty()) {
    auto compiled = rules::Pattern::Compile(pattern, rules::Dialect::kEventBridge);
    if (!compiled.ok()) return reply(PatternError(compiled.status()));
  }
  const std::string arn = RuleArn(bus->scope.region, bus->scope.account, bus->name, name);
  if (Status st = Authorize(ev, ctx, "events:PutRule", arn, bus->scope.account); !st.ok()) {
    return reply(st);
  }
  auto exists = LoadBus(ev, *bus);
  if (!exists.ok()) return reply(exists.status());
  auto tags = TagsOf(ev, input, "Tags");
  if (!tags.ok()) return reply(tags.status());
  // The quota counts the bus's rules; a list bounded by it is enough to tell.
  auto known = ev.platform.resources->Get(kRuleKind, bus->scope, Rule::RuleKey(bus->name, name));
  if (!known.ok()) return reply(known.status());
  if (!known->has_value()) {
    engine::ResourceStore::ListOptions list;
    const std::string prefix = bus->name + "\n";
    list.prefix = prefix;
    list.limit = ev.options.rule_limit;
    auto existing = ev.platform.resources->List(kRuleKind, bus->scope, list);
    if (!existing.ok()) return reply(existing.status());
    if (existing->size() >= ev.options.rule_limit) {
      return reply(Status(EventsError::kLimitExceeded, kTooMany));
    }
  }
  const Millis now = ev.platform.clock->NowMs();
  auto updated = ev.platform.resources->Update(
      kRuleKind, bus->scope, Rule::RuleKey(bus->name, name),
      [&](const std::optional<engine::ResourceRecord>& current)
          -> Result<std::optional<engine::ResourceRecord>> {
        Rule r;
        if (current) {
          auto decoded = DecodeRule(bus->scope, *current);
          if (!decoded.ok()) return decoded.status();
          r = std::move(*decoded);
        } else {
          r.scope = bus->scope;
          r.bus = bus->name;
          r.name = name;
          r.created_ms = now;
          r.created_by = ctx.account_id;
        }
        r.pattern = pattern;
        r.schedule = schedule;
        r.state = input.Get("State") != nullptr ? StringOf(input, "State") : "ENABLED";
        r.description = StringOf(input, "Description");
        r.role_arn = StringOf(input, "RoleArn");
        MergeTags(r.tags, *tags);
        if (r.tags.size() > ev.options.tag_limit) {
          return Status(EventsError::kLimitExceeded, kTooMany);
        }
        engine::ResourceRecord rec;
        rec.value = EncodeRule(r);
        return std::optional<engine::ResourceRecord>(std::move(rec));
      });
  if (!updated.ok()) return reply(updated.status());
  ev.router.RuleChanged(bus->scope, bus->name, name);
  Value out = Value::Struct();
  out.Set("RuleArn", Value::String(arn));
  reply(std::move(out));
}

void DescribeRule(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  auto rule = RequireRule(ev, ctx, input, "events:DescribeRule");
  if (!rule.ok()) return reply(rule.status());
  reply(RuleOutput(*rule, true));
}

void ListRules(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  auto bus = ResolveBus(ctx, input);
  if (!bus.ok()) return reply(bus.status());
  if (Status st = Authorize(ev, ctx, "events:ListRules", "*", bus->scope.account); !st.ok()) {
    return reply(st);
  }
  auto exists = LoadBus(ev, *bus);
  if (!exists.ok()) return reply(exists.status());
  auto position = TokenPosition(input);
  if (!position.ok()) return reply(position.status());
  auto rules = ListBusRules(ev, *bus);
  if (!rules.ok()) return reply(rules.status());
  const std::string prefix = StringOf(input, "NamePrefix");
  const std::size_t limit = LimitOf(input);
  Value list = Value::List();
  std::string last;
  std::size_t count = 0;
  bool more = false;
  for (const Rule& r : *rules) {
    if (!prefix.empty() && r.name.rfind(prefix, 0) != 0) continue;
    if (!position->empty() && r.name <= *position) continue;
    if (count == limit) {
      more = true;
      break;
    }
    list.Append(RuleOutput(r, false));
    last = r.name;
    ++count;
  }
  Value out = Value::Struct();
  out.Set("Rules", std::move(list));
  if (more) out.Set("NextToken", Value::String(PageToken(last)));
  reply(std::move(out));
}

void EnableRule(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  SetState(ev, ctx, std::move(input), std::move(reply), "events:EnableRule", "ENABLED");
}

void DisableRule(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  SetState(ev, ctx, std::move(input), std::move(reply), "events:DisableRule", "DISABLED");
}

void DeleteRule(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  auto bus = ResolveBus(ctx, input);
  if (!bus.ok()) return reply(bus.status());
  const std::string name = StringOf(input, "Name");
  if (Status st = Authorize(ev, ctx, "events:DeleteRule",
                            RuleArn(bus->scope.region, bus->scope.account, bus->name, name),
                            bus->scope.account);
      !st.ok()) {
    return reply(st);
  }
  const bool force = input.GetBool("Force").value_or(false);
  auto updated = ev.platform.resources->Update(
      kRuleKind, bus->scope, Rule::RuleKey(bus->name, name),
      [&](const std::optional<engine::ResourceRecord>& current)
          -> Result<std::optional<engine::ResourceRecord>> {
        if (!current) return std::optional<engine::ResourceRecord>();
        auto rule = DecodeRule(bus->scope, *current);
        if (!rule.ok()) return rule.status();
        if (!rule->targets.empty() && !force) {
          return Invalid("Rule can't be deleted since it has targets.");
        }
        if (!rule->managed_by.empty() && !force) {
          return Status(EventsError::kManagedRule,
                        fmt::format("Rule {} is managed by {} and cannot be deleted without "
                                    "Force.",
                                    name, rule->managed_by));
        }
        return std::optional<engine::ResourceRecord>();
      });
  if (!updated.ok()) return reply(updated.status());
  ev.router.RuleChanged(bus->scope, bus->name, name);
  reply(Value::Struct());
}

void ListRuleNamesByTarget(const Events& ev, const RequestContext& ctx, Value&& input,
                           Reply reply) {
  auto bus = ResolveBus(ctx, input);
  if (!bus.ok()) return reply(bus.status());
  if (Status st = Authorize(ev, ctx, "events:ListRuleNamesByTarget", "*", bus->scope.account);
      !st.ok()) {
    return reply(st);
  }
  auto exists = LoadBus(ev, *bus);
  if (!exists.ok()) return reply(exists.status());
  auto position = TokenPosition(input);
  if (!position.ok()) return reply(position.status());
  auto rules = ListBusRules(ev, *bus);
  if (!rules.ok()) return reply(rules.status());
  const std::string target = StringOf(input, "TargetArn");
  const std::size_t limit = LimitOf(input);
  Value list = Value::List();
  std::string last;
  std::size_t count = 0;
  bool more = false;
  for (const Rule& r : *rules) {
    if (!position->empty() && r.name <= *position) continue;
    if (std::none_of(r.targets.begin(), r.targets.end(),
                     [&](const Target& t) { return t.arn == target; })) {
      continue;
    }
    if (count == limit) {
      more = true;
      break;
    }
    list.Append(Value::String(r.name));
    last = r.name;
    ++count;
  }
  Value out = Value::Struct();
  out.Set("RuleNames", std::move(list));
  if (more) out.Set("NextToken", Value::String(PageToken(last)));
  reply(std::move(out));
}

void TestEventPattern(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  if (Status st = Authorize(ev, ctx, "events:TestEventPattern", "*", ctx.account_id); !st.ok()) {
    return reply(st);
  }
  auto pattern =
      rules::Pattern::Compile(StringOf(input, "EventPattern"), rules::Dialect::kEventBridge);
  if (!pattern.ok()) return reply(PatternError(pattern.status()));
  const rules::ParsedBody event = rules::ParsedBody::Parse(StringOf(input, "Event"));
  if (event.root() == nullptr) return reply(Invalid("Parameter Event is not valid."));
  Value out = Value::Struct();
  out.Set("Result", Value::Bool((*pattern)->MatchesJson(*event.root())));
  reply(std::move(out));
}

void TagResource(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  auto tags = TagsOf(ev, input, "Tags");
  if (!tags.ok()) return reply(tags.status());
  ReplyStatus(reply, ChangeTags(ev, ctx, StringOf(input, "ResourceARN"), "events:TagResource",
                                [&](Tags& current) {
                                  MergeTags(current, *tags);
                                  if (current.size() > ev.options.tag_limit) {
                                    return Status(EventsError::kLimitExceeded, kTooMany);
                                  }
                                  return Status::Ok();
                                }));
}

void UntagResource(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  std::vector<std::string> keys;
  if (const Value* list = input.Get("TagKeys")) {
    for (const Value& k : list->items()) keys.push_back(k.as_string());
  }
  ReplyStatus(reply, ChangeTags(ev, ctx, StringOf(input, "ResourceARN"), "events:UntagResource",
                                [&](Tags& current) {
                                  std::erase_if(current, [&](const auto& t) {
                                    return std::find(keys.begin(), keys.end(), t.first) !=
                                           keys.end();
                                  });
                                  return Status::Ok();
                                }));
}

void ListTagsForResource(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string arn = StringOf(input, "ResourceARN");
  auto t = ParseTagged(arn);
  if (!t.ok()) return reply(t.status());
  if (Status st = Authorize(ev, ctx, "events:ListTagsForResource", arn, t->bus.scope.account);
      !st.ok()) {
    return reply(st);
  }
  Tags tags;
  if (t->rule.empty()) {
    auto bus = LoadBus(ev, t->bus);
    if (!bus.ok()) return reply(bus.status());
    tags = bus->tags;
  } else {
    auto rule = LoadRule(ev, t->bus, t->rule);
    if (!rule.ok()) return reply(rule.status());
    tags = rule->tags;
  }
  Value out = Value::Struct();
  out.Set("Tags", TagsValue(tags));
  reply(std::move(out));
}

}  // namespace sluice::events
