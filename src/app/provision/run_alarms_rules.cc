#include "app/provision/run.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <functional>

namespace sluice::provision::detail {

Status Run::Alarms() {
  std::set<std::pair<Scope, std::string>> seen;
  for (const AlarmSpec& a : spec_.alarms) {
    if (!seen.insert({a.scope, a.name}).second) {
      return Status(ErrorCode::kInvalidParameterValue,
                    fmt::format("{}: alarm '{}' ({}) is declared twice", a.at.Text(), a.name,
                                ScopeText(a.scope)));
    }
    if (Status s = Alarm(a); !s.ok()) return s;
  }
  return Status::Ok();
}

Status Run::Alarm(const AlarmSpec& a) {
  const std::string what = fmt::format("alarm '{}'", a.name);
  Value describe = Value::Struct();
  describe.Set("AlarmNames", StringList({a.name}));
  auto found = Call(a.at, what, a.scope, "monitoring", "DescribeAlarms", std::move(describe));
  if (!found.ok()) return found.status();
  const Value* list = found->Get("MetricAlarms");
  const bool exists = list != nullptr && !list->items().empty();
  std::vector<std::string> diff;
  if (exists) {
    diff = MemberDiff(a.members, list->items().front());
    if (diff.empty()) {
      Record(Change::Op::kUnchanged, "alarm", a.name, a.scope);
      return Status::Ok();
    }
  }
  // PutMetricAlarm replaces the whole alarm: it becomes exactly the declaration.
  Value put = Value::Struct();
  put.Set("AlarmName", Value::String(a.name));
  for (const auto& [name, v] : a.members) put.Set(name, v);
  if (auto r = Call(a.at, what, a.scope, "monitoring", "PutMetricAlarm", std::move(put)); !r.ok()) {
    return r.status();
  }
  Record(exists ? Change::Op::kUpdate : Change::Op::kCreate, "alarm", a.name, a.scope,
         std::move(diff));
  return Status::Ok();
}

Status Run::Rules() {
  std::set<std::tuple<Scope, std::string, std::string>> seen;
  for (const RuleSpec& r : spec_.rules) {
    if (!seen.insert({r.scope, r.bus, r.name}).second) {
      return Status(ErrorCode::kInvalidParameterValue,
                    fmt::format("{}: rule '{}' ({}) is declared twice", r.at.Text(), r.name,
                                ScopeText(r.scope)));
    }
    if (Status s = Rule(r); !s.ok()) return s;
  }
  return Status::Ok();
}

Status Run::Rule(const RuleSpec& r) {
  const std::string what = fmt::format("rule '{}'", r.name);
  const std::string name = r.bus == "default" ? r.name : r.bus + "/" + r.name;
  Value describe = Value::Struct();
  describe.Set("Name", Value::String(r.name));
  describe.Set("EventBusName", Value::String(r.bus));
  auto found = invoker_.Call("events", "DescribeRule", Ctx(r.scope), std::move(describe));
  std::vector<std::string> diff;
  bool exists = true;
  if (!found.ok()) {
    if (invoker_.ErrorName("events", found.status()) != "ResourceNotFoundException") {
      return Failure(r.at, what, r.scope, "events", found.status());
    }
    exists = false;
  } else {
    Members declared = r.members;
    if (std::none_of(declared.begin(), declared.end(),
                     [](const auto& m) { return m.first == "State"; })) {
      declared.emplace_back("State", Value::String("ENABLED"));
    }
    diff = MemberDiff(declared, *found);
  }
  if (!exists || !diff.empty()) {
    Value put = Value::Struct();
    put.Set("Name", Value::String(r.name));
    put.Set("EventBusName", Value::String(r.bus));
    for (const auto& [member, v] : r.members) put.Set(member, v);
    if (auto p = Call(r.at, what, r.scope, "events", "PutRule", std::move(put)); !p.ok()) {
      return p.status();
    }
  }
  if (Status s = Targets(r, what, diff); !s.ok()) return s;
  const Change::Op op = !exists ? Change::Op::kCreate : OpOf(diff);
  if (!exists) diff.clear();  // a new rule's targets are part of its creation
  Record(op, "rule", name, r.scope, std::move(diff));
  return Status::Ok();
}

// The rule's targets become exactly the declared ones.
Status Run::Targets(const RuleSpec& r, const std::string& what, std::vector<std::string>& diff) {
  std::map<std::string, std::string> current;  // id -> Show(target)
  std::string token;
  do {
    Value in = Value::Struct();
    in.Set("Rule", Value::String(r.name));
    in.Set("EventBusName", Value::String(r.bus));
    if (!token.empty()) in.Set("NextToken", Value::String(token));
    auto page = Call(r.at, what, r.scope, "events", "ListTargetsByRule", std::move(in));
    if (!page.ok()) return page.status();
    if (const Value* list = page->Get("Targets")) {
      for (const Value& t : list->items()) {
        current[std::string(t.GetString("Id").value_or(""))] = Show(t);
      }
    }
    token = std::string(page->GetString("NextToken").value_or(""));
  } while (!token.empty());
  Value put = Value::List();
  std::set<std::string> declared;
  for (const TargetSpec& t : r.targets) {
    const std::string id(t.target.GetString("Id").value_or(""));
    declared.insert(id);
    auto it = current.find(id);
    const std::string want = Show(t.target);
    if (it != current.end() && it->second == want) continue;
    diff.push_back(
        fmt::format("target {}: {} -> {}", id, it == current.end() ? "(none)" : it->second, want));
    put.Append(t.target);
  }
  if (!put.items().empty()) {
    Value in = Value::Struct();
    in.Set("Rule", Value::String(r.name));
    in.Set("EventBusName", Value::String(r.bus));
    in.Set("Targets", std::move(put));
    auto out = Call(r.at, what, r.scope, "events", "PutTargets", std::move(in));
    if (!out.ok()) return out.status();
    if (out->GetInt("FailedEntryCount").value_or(0) > 0) {
      const Value& failed = out->Get("FailedEntries")->items().front();
      return Failure(r.at, what, r.scope, "events",
                     Status(ErrorCode::kInvalidParameterValue,
                            fmt::format("{}: {}", failed.GetString("ErrorCode").value_or(""),
                                        failed.GetString("ErrorMessage").value_or(""))));
    }
  }
  std::vector<std::string> remove;
  for (const auto& [id, shown] : current) {
    if (declared.count(id)) continue;
    remove.push_back(id);
    diff.push_back(fmt::format("target {}: {} -> (none)", id, shown));
  }
  if (!remove.empty()) {
    Value in = Value::Struct();
    in.Set("Rule", Value::String(r.name));
    in.Set("EventBusName", Value::String(r.bus));
    in.Set("Ids", StringList(remove));
    if (auto out = Call(r.at, what, r.scope, "events", "RemoveTargets", std::move(in)); !out.ok()) {
      return out.status();
    }
  }
  return Status::Ok();
}

}  // namespace sluice::provision::detail
