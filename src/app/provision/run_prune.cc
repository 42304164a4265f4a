#include "app/provision/run.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <functional>

namespace sluice::provision::detail {

Status Run::PruneAlarms() {
  if (!spec_.prune.count("alarms")) return Status::Ok();
  std::set<std::pair<Scope, std::string>> declared;
  for (const AlarmSpec& a : spec_.alarms) declared.insert({a.scope, a.name});
  for (const Scope& scope : ScopesOf(spec_.alarms)) {
    std::vector<std::string> names;
    std::string token;
    do {
      Value in = Value::Struct();
      in.Set("AlarmTypes", StringList({"MetricAlarm"}));
      if (!token.empty()) in.Set("NextToken", Value::String(token));
      auto page =
          Call(PruneWhere(), "prune alarms", scope, "monitoring", "DescribeAlarms", std::move(in));
      if (!page.ok()) return page.status();
      if (const Value* list = page->Get("MetricAlarms")) {
        for (const Value& a : list->items())
          names.emplace_back(a.GetString("AlarmName").value_or(""));
      }
      token = std::string(page->GetString("NextToken").value_or(""));
    } while (!token.empty());
    for (const std::string& name : names) {
      if (declared.count({scope, name})) continue;
      Value del = Value::Struct();
      del.Set("AlarmNames", StringList({name}));
      auto r = Call(PruneWhere(), fmt::format("prune alarm '{}'", name), scope, "monitoring",
                    "DeleteAlarms", std::move(del));
      if (!r.ok()) return r.status();
      Record(Change::Op::kDelete, "alarm", name, scope);
    }
  }
  return Status::Ok();
}

// Rules of the buses the file declares rules on (the default bus always).
Status Run::PruneRules() {
  if (!spec_.prune.count("rules")) return Status::Ok();
  std::set<std::tuple<Scope, std::string, std::string>> declared;
  std::set<std::pair<Scope, std::string>> buses{{spec_.default_scope, "default"}};
  for (const RuleSpec& r : spec_.rules) {
    declared.insert({r.scope, r.bus, r.name});
    buses.insert({r.scope, r.bus});
  }
  for (const auto& [scope, bus] : buses) {
    std::vector<std::string> names;
    std::string token;
    do {
      Value in = Value::Struct();
      in.Set("EventBusName", Value::String(bus));
      if (!token.empty()) in.Set("NextToken", Value::String(token));
      auto page = Call(PruneWhere(), "prune rules", scope, "events", "ListRules", std::move(in));
      if (!page.ok()) return page.status();
      if (const Value* list = page->Get("Rules")) {
        for (const Value& r : list->items()) {
          if (r.GetString("ManagedBy")) continue;  // managed rules belong to their service
          names.emplace_back(r.GetString("Name").value_or(""));
        }
      }
      token = std::string(page->GetString("NextToken").value_or(""));
    } while (!token.empty());
    for (const std::string& name : names) {
      if (declared.count({scope, bus, name})) continue;
      const std::string what = fmt::format("prune rule '{}'", name);
      Value in = Value::Struct();
      in.Set("Rule", Value::String(name));
      in.Set("EventBusName", Value::String(bus));
      auto targets = Call(PruneWhere(), what, scope, "events", "ListTargetsByRule", std::move(in));
      if (!targets.ok()) return targets.status();
      std::vector<std::string> ids;
      if (const Value* list = targets->Get("Targets")) {
        for (const Value& t : list->items()) ids.emplace_back(t.GetString("Id").value_or(""));
      }
      if (!ids.empty()) {
        Value rm = Value::Struct();
        rm.Set("Rule", Value::String(name));
        rm.Set("EventBusName", Value::String(bus));
        rm.Set("Ids", StringList(ids));
        if (auto r = Call(PruneWhere(), what, scope, "events", "RemoveTargets", std::move(rm));
            !r.ok()) {
          return r.status();
        }
      }
      Value del = Value::Struct();
      del.Set("Name", Value::String(name));
      del.Set("EventBusName", Value::String(bus));
      if (auto r = Call(PruneWhere(), what, scope, "events", "DeleteRule", std::move(del));
          !r.ok()) {
        return r.status();
      }
      Record(Change::Op::kDelete, "rule", bus == "default" ? name : bus + "/" + name, scope);
    }
  }
  return Status::Ok();
}

Status Run::PruneQueues() {
  if (!spec_.prune.count("queues")) return Status::Ok();
  std::set<std::pair<Scope, std::string>> declared;
  for (const QueueSpec& q : spec_.queues) declared.insert({q.scope, q.name});
  for (const Scope& scope : ScopesOf(spec_.queues)) {
    std::vector<std::string> urls;
    std::string token;
    do {
      Value in = Value::Struct();
      in.Set("MaxResults", Value::Int(1000));
      if (!token.empty()) in.Set("NextToken", Value::String(token));
      auto page = Call(PruneWhere(), "prune queues", scope, "sqs", "ListQueues", std::move(in));
      if (!page.ok()) return page.status();
      if (const Value* list = page->Get("QueueUrls")) {
        for (const Value& u : list->items()) urls.push_back(u.as_string());
      }
      token = std::string(page->GetString("NextToken").value_or(""));
    } while (!token.empty());
    for (const std::string& url : urls) {
      const std::string name = url.substr(url.rfind('/') + 1);
      if (declared.count({scope, name})) continue;
      Value del = Value::Struct();
      del.Set("QueueUrl", Value::String(url));
      auto r = Call(PruneWhere(), fmt::format("prune queue '{}'", name), scope, "sqs",
                    "DeleteQueue", std::move(del));
      if (!r.ok()) return r.status();
      Record(Change::Op::kDelete, "queue", name, scope);
    }
  }
  return Status::Ok();
}

Status Run::PruneParameters() {
  if (!spec_.prune.count("parameters")) return Status::Ok();
  std::set<std::pair<Scope, std::string>> declared;
  for (const ParameterSpec& p : spec_.parameters) declared.insert({p.scope, p.name});
  for (const Scope& scope : ScopesOf(spec_.parameters)) {
    std::vector<std::string> names;
    std::string token;
    do {
      Value in = Value::Struct();
      in.Set("MaxResults", Value::Int(50));
      if (!token.empty()) in.Set("NextToken", Value::String(token));
      auto page =
          Call(PruneWhere(), "prune parameters", scope, "ssm", "DescribeParameters", std::move(in));
      if (!page.ok()) return page.status();
      if (const Value* list = page->Get("Parameters")) {
        for (const Value& p : list->items()) {
          names.emplace_back(p.GetString("Name").value_or(""));
        }
      }
      token = std::string(page->GetString("NextToken").value_or(""));
    } while (!token.empty());
    for (const std::string& name : names) {
      if (declared.count({scope, name})) continue;
      Value del = Value::Struct();
      del.Set("Name", Value::String(name));
      auto r = Call(PruneWhere(), fmt::format("prune parameter '{}'", name), scope, "ssm",
                    "DeleteParameter", std::move(del));
      if (!r.ok()) return r.status();
      Record(Change::Op::kDelete, "parameter", name, scope);
    }
  }
  return Status::Ok();
}

Status Run::PruneTopics() {
  if (!spec_.prune.count("topics")) return Status::Ok();
  std::set<std::string> declared;
  for (const TopicSpec& t : spec_.topics) declared.insert(TopicArn(t.scope, t.name));
  for (const Scope& scope : ScopesOf(spec_.topics)) {
    std::vector<std::string> arns;
    std::string token;
    do {
      Value in = Value::Struct();
      if (!token.empty()) in.Set("NextToken", Value::String(token));
      auto page = Call(PruneWhere(), "prune topics", scope, "sns", "ListTopics", std::move(in));
      if (!page.ok()) return page.status();
      if (const Value* list = page->Get("Topics")) {
        for (const Value& t : list->items())
          arns.emplace_back(t.GetString("TopicArn").value_or(""));
      }
      token = std::string(page->GetString("NextToken").value_or(""));
    } while (!token.empty());
    for (const std::string& arn : arns) {
      if (declared.count(arn)) continue;
      const std::string name = arn.substr(arn.rfind(':') + 1);
      Value del = Value::Struct();
      del.Set("TopicArn", Value::String(arn));
      auto r = Call(PruneWhere(), fmt::format("prune topic '{}'", name), scope, "sns",
                    "DeleteTopic", std::move(del));
      if (!r.ok()) return r.status();
      Record(Change::Op::kDelete, "topic", name, scope);
    }
  }
  return Status::Ok();
}

}  // namespace sluice::provision::detail
