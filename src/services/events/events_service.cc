// The EventBridge registry (one table: action -> handler) and the helpers the handlers share.
#include "services/events/events_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "auth/auth.h"
#include "common/encoding.h"
#include "models/events_model.h"
#include "services/events/handlers.h"
#include "services/sns/arn.h"

namespace sluice::events {

std::string StringOf(const Value& input, std::string_view name) {
  auto v = input.GetString(name);
  return v ? std::string(*v) : std::string();
}

void ReplyStatus(const Reply& reply, const Status& status) {
  if (status.ok()) return reply(Value::Struct());
  reply(status);
}

Result<BusName> ResolveBus(const RequestContext& ctx, const Value& input, std::string_view member) {
  std::string text = StringOf(input, member);
  if (text.empty()) return BusName{ScopeOf(ctx), kDefaultBus};
  if (text.rfind("arn:", 0) == 0) {
    auto parts = sns::ParseArn(text);
    if (!parts || parts->service != "events" || parts->resource.rfind("event-bus/", 0) != 0 ||
        parts->resource.size() == 10) {
      return Invalid(
          fmt::format("Parameter {} is not valid. Reason: Provided Arn is not in "
                      "correct format.",
                      text));
    }
    return BusName{{parts->account, parts->region}, parts->resource.substr(10)};
  }
  return BusName{ScopeOf(ctx), std::move(text)};
}

Result<std::optional<Bus>> FindBus(const Events& ev, const BusName& bus) {
  auto rec = ev.platform.resources->Get(kBusKind, bus.scope, bus.name);
  if (!rec.ok()) return rec.status();
  if (!rec->has_value()) {
    if (bus.name != kDefaultBus) return std::optional<Bus>();
    Bus b;
    b.scope = bus.scope;
    b.name = bus.name;
    return std::optional<Bus>(std::move(b));
  }
  auto decoded = DecodeBus(bus.scope, **rec);
  if (!decoded.ok()) return decoded.status();
  return std::optional<Bus>(std::move(*decoded));
}

Result<Bus> LoadBus(const Events& ev, const BusName& bus) {
  auto found = FindBus(ev, bus);
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    return Status(EventsError::kResourceNotFound,
                  fmt::format("Event bus {} does not exist.", bus.name));
  }
  return std::move(**found);
}

Result<Bus> UpdateBus(const Events& ev, const BusName& bus,
                      const std::function<Status(Bus&)>& change) {
  Bus stored;
  auto updated = ev.platform.resources->Update(
      kBusKind, bus.scope, bus.name,
      [&](const std::optional<engine::ResourceRecord>& current)
          -> Result<std::optional<engine::ResourceRecord>> {
        Bus b;
        if (current) {
          auto decoded = DecodeBus(bus.scope, *current);
          if (!decoded.ok()) return decoded.status();
          b = std::move(*decoded);
        } else if (bus.name == kDefaultBus) {
          b.scope = bus.scope;
          b.name = bus.name;
        } else {
          return Status(EventsError::kResourceNotFound,
                        fmt::format("Event bus {} does not exist.", bus.name));
        }
        if (Status st = change(b); !st.ok()) return st;
        b.modified_ms = ev.platform.clock->NowMs();
        if (b.created_ms == 0) b.created_ms = b.modified_ms;
        stored = b;
        engine::ResourceRecord r;
        r.value = EncodeBus(b);
        return std::optional<engine::ResourceRecord>(std::move(r));
      });
  if (!updated.ok()) return updated.status();
  return stored;
}

Result<Rule> LoadRule(const Events& ev, const BusName& bus, std::string_view name) {
  auto rec = ev.platform.resources->Get(kRuleKind, bus.scope, Rule::RuleKey(bus.name, name));
  if (!rec.ok()) return rec.status();
  if (!rec->has_value()) {
    return Status(EventsError::kResourceNotFound,
                  fmt::format("Rule {} does not exist on EventBus {}.", name, bus.name));
  }
  return DecodeRule(bus.scope, **rec);
}

Result<std::vector<Rule>> ListBusRules(const Events& ev, const BusName& bus) {
  engine::ResourceStore::ListOptions list;
  const std::string prefix = bus.name + "\n";
  list.prefix = prefix;
  auto records = ev.platform.resources->List(kRuleKind, bus.scope, list);
  if (!records.ok()) return records.status();
  std::vector<Rule> out;
  for (const engine::ResourceRecord& r : *records) {
    auto rule = DecodeRule(bus.scope, r);
    if (!rule.ok()) return rule.status();
    out.push_back(std::move(*rule));
  }
  return out;
}

Result<Rule> UpdateRule(const Events& ev, const BusName& bus, std::string_view name,
                        const std::function<Status(Rule&)>& change) {
  Rule stored;
  auto updated = ev.platform.resources->Update(
      kRuleKind, bus.scope, Rule::RuleKey(bus.name, name),
      [&](const std::optional<engine::ResourceRecord>& current)
          -> Result<std::optional<engine::ResourceRecord>> {
        if (!current) {
          return Status(EventsError::kResourceNotFound,
                        fmt::format("Rule {} does not exist on EventBus {}.", name, bus.name));
        }
        auto rule = DecodeRule(bus.scope, *current);
        if (!rule.ok()) return rule.status();
        if (Status st = change(*rule); !st.ok()) return st;
        stored = *rule;
        engine::ResourceRecord r;
        r.value = EncodeRule(*rule);
        return std::optional<engine::ResourceRecord>(std::move(r));
      });
  if (!updated.ok()) return updated.status();
  ev.router.RuleChanged(bus.scope, bus.name, std::string(name));
  return stored;
}

Status Authorize(const Events& ev, const RequestContext& ctx, std::string_view action,
                 std::string_view arn, std::string_view owner, std::string_view policy) {
  return services::Authorize(ev.platform, ctx, action, auth::Resource{arn, owner, policy, true});
}

Result<Tags> TagsOf(const Events& ev, const Value& input, std::string_view member) {
  Tags tags;
  const Value* list = input.Get(member);
  if (list == nullptr) return tags;
  for (const Value& t : list->items()) {
    std::string key(t.GetString("Key").value_or(""));
    std::string value(t.GetString("Value").value_or(""));
    if (key.rfind("aws:", 0) == 0) {
      return Invalid("Invalid tag key: tag keys with the 'aws:' prefix are reserved.");
    }
    MergeTags(tags, {{std::move(key), std::move(value)}});
  }
  if (tags.size() > ev.options.tag_limit) {
    return Status(EventsError::kLimitExceeded,
                  "The requested resource exceeds the maximum number allowed.");
  }
  return tags;
}

Value TagsValue(const Tags& tags) {
  Value list = Value::List();
  for (const auto& [k, v] : tags) {
    Value tag = Value::Struct();
    tag.Set("Key", Value::String(k));
    tag.Set("Value", Value::String(v));
    list.Append(std::move(tag));
  }
  return list;
}

void MergeTags(Tags& tags, const Tags& add) {
  for (const auto& [k, v] : add) {
    auto it = std::find_if(tags.begin(), tags.end(), [&](const auto& t) { return t.first == k; });
    if (it != tags.end()) {
      it->second = v;
    } else {
      tags.emplace_back(k, v);
    }
  }
}

std::string PageToken(std::string_view after) { return Base64UrlEncode(after); }

Result<std::string> TokenPosition(const Value& input) {
  auto token = input.GetString("NextToken");
  if (!token) return std::string();
  auto position = Base64UrlDecode(*token);
  if (!position || position->empty()) return Invalid("The NextToken provided is invalid.");
  return std::move(*position);
}

std::size_t LimitOf(const Value& input, std::size_t max) {
  auto limit = input.GetInt("Limit");
  if (!limit || *limit <= 0 || static_cast<std::size_t>(*limit) > max) return max;
  return static_cast<std::size_t>(*limit);
}

protocol::ServiceDefinition MakeEventsService(const services::Platform& platform,
                                              EventsOptions options, Router& router) {
  auto ev = std::make_shared<const Events>(Events{platform, options, router});
  static constexpr services::Action<Events> kActions[] = {
      {"CancelReplay", &CancelReplay},
      {"CreateApiDestination", &CreateApiDestination},
      {"CreateArchive", &CreateArchive},
      {"CreateConnection", &CreateConnection},
      {"CreateEventBus", &CreateEventBus},
      {"DeauthorizeConnection", &DeauthorizeConnection},
      {"DeleteApiDestination", &DeleteApiDestination},
      {"DeleteArchive", &DeleteArchive},
      {"DeleteConnection", &DeleteConnection},
      {"DeleteEventBus", &DeleteEventBus},
      {"DeleteRule", &DeleteRule},
      {"DescribeApiDestination", &DescribeApiDestination},
      {"DescribeArchive", &DescribeArchive},
      {"DescribeConnection", &DescribeConnection},
      {"DescribeEventBus", &DescribeEventBus},
      {"DescribeReplay", &DescribeReplay},
      {"DescribeRule", &DescribeRule},
      {"DisableRule", &DisableRule},
      {"EnableRule", &EnableRule},
      {"ListApiDestinations", &ListApiDestinations},
      {"ListArchives", &ListArchives},
      {"ListConnections", &ListConnections},
      {"ListEventBuses", &ListEventBuses},
      {"ListReplays", &ListReplays},
      {"ListRuleNamesByTarget", &ListRuleNamesByTarget},
      {"ListRules", &ListRules},
      {"ListTagsForResource", &ListTagsForResource},
      {"ListTargetsByRule", &ListTargetsByRule},
      {"PutEvents", &PutEvents},
      {"PutPermission", &PutPermission},
      {"PutRule", &PutRule},
      {"PutTargets", &PutTargets},
      {"RemovePermission", &RemovePermission},
      {"RemoveTargets", &RemoveTargets},
      {"StartReplay", &StartReplay},
      {"TagResource", &TagResource},
      {"TestEventPattern", &TestEventPattern},
      {"UntagResource", &UntagResource},
      {"UpdateApiDestination", &UpdateApiDestination},
      {"UpdateArchive", &UpdateArchive},
      {"UpdateConnection", &UpdateConnection},
      {"UpdateEventBus", &UpdateEventBus},
  };
  return services::DefineService<Events>(platform, models::Events(), EventsErrorTable(),
                                         std::move(ev), kActions);
}

}  // namespace sluice::events
