// Internal to the EventBridge service: the state its handlers share and the helpers they use.
// Handlers (bus_actions.cc, rule_actions.cc, target_actions.cc, put_events.cc) decode the input
// Value, apply EventBridge's rules and fill the output Value.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/request_context.h"
#include "common/status.h"
#include "engine/resource_store.h"
#include "protocol/service.h"
#include "protocol/value.h"
#include "services/events/errors.h"
#include "services/events/events_service.h"
#include "services/events/records.h"
#include "services/events/router.h"

namespace sluice::events {

using protocol::Reply;
using protocol::Value;

struct Events {
  services::Platform platform;
  EventsOptions options;
  Router& router;
};

inline engine::ResourceScope ScopeOf(const RequestContext& ctx) {
  return {ctx.account_id, ctx.region};
}

std::string StringOf(const Value& input, std::string_view name);
void ReplyStatus(const Reply& reply, const Status& status);

// A bus named by "EventBusName" (a name or an ARN; absent: "default"): where it lives and its
// name. ValidationException for an ARN that is not a bus's.
struct BusName {
  engine::ResourceScope scope;
  std::string name;
};
Result<BusName> ResolveBus(const RequestContext& ctx, const Value& input,
                           std::string_view member = "EventBusName");

// The bus, or ResourceNotFoundException "Event bus X does not exist." (the default bus always
// exists, stored or not).
Result<Bus> LoadBus(const Events& ev, const BusName& bus);
Result<std::optional<Bus>> FindBus(const Events& ev, const BusName& bus);
// Read-modify-write of a bus record (the default bus is created on first write).
Result<Bus> UpdateBus(const Events& ev, const BusName& bus,
                      const std::function<Status(Bus&)>& change);

// The rule, or ResourceNotFoundException "Rule X does not exist on EventBus Y.".
Result<Rule> LoadRule(const Events& ev, const BusName& bus, std::string_view name);
Result<std::vector<Rule>> ListBusRules(const Events& ev, const BusName& bus);
// Read-modify-write of a rule; `change` edits it or refuses; NotFound as LoadRule.
Result<Rule> UpdateRule(const Events& ev, const BusName& bus, std::string_view name,
                        const std::function<Status(Rule&)>& change);

// `action` ("events:PutRule") on `arn`, by identity policies (and `policy`, the bus's, for
// another account's bus).
Status Authorize(const Events& ev, const RequestContext& ctx, std::string_view action,
                 std::string_view arn, std::string_view owner, std::string_view policy = {});

// Tags as CreateEventBus, PutRule and TagResource take them.
Result<Tags> TagsOf(const Events& ev, const Value& input, std::string_view member);
Value TagsValue(const Tags& tags);
// Merges `add` into `tags` (replacing values of existing keys).
void MergeTags(Tags& tags, const Tags& add);

std::string PageToken(std::string_view after);
Result<std::string> TokenPosition(const Value& input);
std::size_t LimitOf(const Value& input, std::size_t max = 100);

// A List* answer over the records of `kind` in the caller's scope: those whose name starts with
// "NamePrefix", after "NextToken"'s position, decoded (an error answers the request) and kept by
// `keep`, at most "Limit" of them (output gives each one's Value) under `member`, with a
// NextToken when more are left.
template <typename Item, typename Decode, typename Keep, typename Output>
void ListPage(const Events& ev, const RequestContext& ctx, const Value& input, const char* kind,
              const char* member, Decode decode, Keep keep, Output output, const Reply& reply) {
  auto position = TokenPosition(input);
  if (!position.ok()) return reply(position.status());
  const std::string prefix = StringOf(input, "NamePrefix");
  const std::size_t limit = LimitOf(input);
  auto records = ev.platform.resources->List(kind, ScopeOf(ctx), {});
  if (!records.ok()) return reply(records.status());
  Value list = Value::List();
  std::string last;
  bool more = false;
  std::size_t count = 0;
  for (const auto& r : *records) {
    if (!prefix.empty() && r.name.rfind(prefix, 0) != 0) continue;
    if (!position->empty() && r.name <= *position) continue;
    Result<Item> item = decode(ScopeOf(ctx), r);
    if (!item.ok()) return reply(item.status());
    if (!keep(*item)) continue;
    if (count == limit) {
      more = true;
      break;
    }
    list.Append(output(*item));
    last = r.name;
    ++count;
  }
  Value out = Value::Struct();
  out.Set(member, std::move(list));
  if (more) out.Set("NextToken", Value::String(PageToken(last)));
  reply(std::move(out));
}

// ---- handlers -------------------------------------------------------------------------------
// bus_actions.cc
void CreateEventBus(const Events&, const RequestContext&, Value&&, Reply);
void DescribeEventBus(const Events&, const RequestContext&, Value&&, Reply);
void ListEventBuses(const Events&, const RequestContext&, Value&&, Reply);
void UpdateEventBus(const Events&, const RequestContext&, Value&&, Reply);
void DeleteEventBus(const Events&, const RequestContext&, Value&&, Reply);
void PutPermission(const Events&, const RequestContext&, Value&&, Reply);
void RemovePermission(const Events&, const RequestContext&, Value&&, Reply);
// rule_actions.cc
void PutRule(const Events&, const RequestContext&, Value&&, Reply);
void DescribeRule(const Events&, const RequestContext&, Value&&, Reply);
void ListRules(const Events&, const RequestContext&, Value&&, Reply);
void EnableRule(const Events&, const RequestContext&, Value&&, Reply);
void DisableRule(const Events&, const RequestContext&, Value&&, Reply);
void DeleteRule(const Events&, const RequestContext&, Value&&, Reply);
void ListRuleNamesByTarget(const Events&, const RequestContext&, Value&&, Reply);
void TestEventPattern(const Events&, const RequestContext&, Value&&, Reply);
void TagResource(const Events&, const RequestContext&, Value&&, Reply);
void UntagResource(const Events&, const RequestContext&, Value&&, Reply);
void ListTagsForResource(const Events&, const RequestContext&, Value&&, Reply);
// target_actions.cc
void PutTargets(const Events&, const RequestContext&, Value&&, Reply);
void RemoveTargets(const Events&, const RequestContext&, Value&&, Reply);
void ListTargetsByRule(const Events&, const RequestContext&, Value&&, Reply);
// put_events.cc
void PutEvents(const Events&, const RequestContext&, Value&&, Reply);
// archive_actions.cc
void CreateArchive(const Events&, const RequestContext&, Value&&, Reply);
void DescribeArchive(const Events&, const RequestContext&, Value&&, Reply);
void ListArchives(const Events&, const RequestContext&, Value&&, Reply);
void UpdateArchive(const Events&, const RequestContext&, Value&&, Reply);
void DeleteArchive(const Events&, const RequestContext&, Value&&, Reply);
void StartReplay(const Events&, const RequestContext&, Value&&, Reply);
void DescribeReplay(const Events&, const RequestContext&, Value&&, Reply);
void ListReplays(const Events&, const RequestContext&, Value&&, Reply);
void CancelReplay(const Events&, const RequestContext&, Value&&, Reply);
// connection_actions.cc
void CreateConnection(const Events&, const RequestContext&, Value&&, Reply);
void DescribeConnection(const Events&, const RequestContext&, Value&&, Reply);
void ListConnections(const Events&, const RequestContext&, Value&&, Reply);
void UpdateConnection(const Events&, const RequestContext&, Value&&, Reply);
void DeleteConnection(const Events&, const RequestContext&, Value&&, Reply);
void DeauthorizeConnection(const Events&, const RequestContext&, Value&&, Reply);
void CreateApiDestination(const Events&, const RequestContext&, Value&&, Reply);
void DescribeApiDestination(const Events&, const RequestContext&, Value&&, Reply);
void ListApiDestinations(const Events&, const RequestContext&, Value&&, Reply);
void UpdateApiDestination(const Events&, const RequestContext&, Value&&, Reply);
void DeleteApiDestination(const Events&, const RequestContext&, Value&&, Reply);

}  // namespace sluice::events
