#include "app/provision/spec.h"

#include <fmt/format.h>

#include <toml++/toml.h>
#include <algorithm>
#include <sstream>

namespace sluice::provision {
namespace {

Status Fail(const std::string& file, const toml::node& node, const std::string& what) {
  return Status(ErrorCode::kInvalidParameterValue,
                fmt::format("{}:{}: {}", file, node.source().begin.line, what));
}

Where At(const std::string& file, const toml::node& node) {
  return Where{file, static_cast<int>(node.source().begin.line)};
}

// A table's keys must all be known, so that a typo never silently means "not declared".
Status CheckKeys(const std::string& file, const toml::table& t, const std::string& section,
                 const std::set<std::string>& allowed) {
  for (const auto& [key, value] : t) {
    if (!allowed.count(std::string(key.str()))) {
      return Fail(file, value, fmt::format("{}: unknown key '{}'", section, key.str()));
    }
  }
  return Status::Ok();
}

Status ReadString(const std::string& file, const toml::table& t, const std::string& section,
                  const char* key, std::string& out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return Status::Ok();
  auto v = n->value<std::string>();
  if (!v) return Fail(file, *n, fmt::format("{}.{} must be a string", section, key));
  out = *v;
  return Status::Ok();
}

// An attribute value as AWS takes it: a string; numbers and booleans as their text; a table or an
// array (a policy document) as JSON.
Result<std::string> ValueText(const std::string& file, const toml::node& n,
                              const std::string& what) {
  if (auto s = n.value_exact<std::string>()) return *s;
  if (auto i = n.value_exact<std::int64_t>()) return std::to_string(*i);
  if (auto b = n.value_exact<bool>()) return std::string(*b ? "true" : "false");
  if (auto d = n.value_exact<double>()) return fmt::format("{}", *d);
  if (n.is_table() || n.is_array()) {
    std::ostringstream out;
    if (n.is_table()) {
      out << toml::json_formatter{*n.as_table(), toml::format_flags::none};
    } else {
      out << toml::json_formatter{*n.as_array(), toml::format_flags::none};
    }
    return out.str();
  }
  return Fail(file, n, fmt::format("{} must be a string, number, boolean or table", what));
}

Status ReadMap(const std::string& file, const toml::table& t, const std::string& section,
               const char* key, std::map<std::string, std::string>& out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return Status::Ok();
  const toml::table* m = n->as_table();
  if (m == nullptr) return Fail(file, *n, fmt::format("{}.{} must be a table", section, key));
  for (const auto& [k, v] : *m) {
    auto text = ValueText(file, v, fmt::format("{}.{}.{}", section, key, k.str()));
    if (!text.ok()) return text.status();
    out[std::string(k.str())] = std::move(*text);
  }
  return Status::Ok();
}

Status ReadScope(const std::string& file, const toml::table& t, const std::string& section,
                 const Scope& defaults, Scope& out) {
  out = defaults;
  Status s = ReadString(file, t, section, "account", out.account);
  if (!s.ok()) return s;
  return ReadString(file, t, section, "region", out.region);
}

// [[provision.<kind>]]: an array of tables; calls `each` for every table.
template <typename Each>
Status ForEachTable(const std::string& file, const toml::table& provision, const char* kind,
                    Each each) {
  const toml::node* n = provision.get(kind);
  if (n == nullptr) return Status::Ok();
  const toml::array* list = n->as_array();
  if (list == nullptr) {
    return Fail(
        file, *n,
        fmt::format("provision.{} must be an array of tables ([[provision.{}]])", kind, kind));
  }
  for (const toml::node& item : *list) {
    const toml::table* t = item.as_table();
    if (t == nullptr) {
      return Fail(
          file, item,
          fmt::format("provision.{} must be an array of tables ([[provision.{}]])", kind, kind));
    }
    if (Status s = each(*t); !s.ok()) return s;
  }
  return Status::Ok();
}

Status ReadKey(const std::string& file, const toml::table& t, const Scope& defaults, KeySpec& k) {
  const std::string section = "provision.keys";
  k.at = At(file, t);
  Status s = CheckKeys(file, t, section,
                       {"alias", "account", "region", "description", "key_spec", "key_usage",
                        "enabled", "rotation", "policy", "tags"});
  if (!s.ok()) return s;
  if (s = ReadScope(file, t, section, defaults, k.scope); !s.ok()) return s;
  for (auto [key, out] :
       {std::pair{"alias", &k.alias}, std::pair{"description", &k.description},
        std::pair{"key_spec", &k.key_spec}, std::pair{"key_usage", &k.key_usage}}) {
    if (s = ReadString(file, t, section, key, *out); !s.ok()) return s;
  }
  if (k.alias.empty()) {
    return Fail(file, t, "provision.keys: every key needs an alias (\"alias/name\")");
  }
  if (k.alias.rfind("alias/", 0) != 0) k.alias = "alias/" + k.alias;
  for (auto [key, out] : {std::pair{"enabled", &k.enabled}}) {
    if (const toml::node* n = t.get(key)) {
      auto b = n->value_exact<bool>();
      if (!b) return Fail(file, *n, fmt::format("{}.{} must be true or false", section, key));
      *out = *b;
    }
  }
  if (const toml::node* n = t.get("rotation")) {
    auto b = n->value_exact<bool>();
    if (!b) return Fail(file, *n, "provision.keys.rotation must be true or false");
    k.rotation = *b;
  }
  if (const toml::node* n = t.get("policy")) {
    auto text = ValueText(file, *n, "provision.keys.policy");
    if (!text.ok()) return text.status();
    k.policy = *text;
  }
  return ReadMap(file, t, section, "tags", k.tags);
}

// A resource given as names of another resource of the same scope, or ARNs: a topic's or a queue's
// name becomes its ARN.
std::string ArnOf(const std::string& service, const Scope& scope, const std::string& name) {
  if (name.rfind("arn:", 0) == 0) return name;
  return fmt::format("arn:aws:{}:{}:{}:{}", service, scope.region, scope.account, name);
}

enum class Kind { kString, kInt, kDouble, kBool, kTopicList, kDimensions, kJson };
struct MemberRule {
  const char* key;     // in the file
  const char* member;  // in the API
  Kind kind;
};

// Reads the keys of `t` that `rules` name into API members.
Status ReadMembers(const std::string& file, const toml::table& t, const std::string& section,
                   const Scope& scope, std::initializer_list<MemberRule> rules, Members& out) {
  using protocol::Value;
  for (const MemberRule& r : rules) {
    const toml::node* n = t.get(r.key);
    if (n == nullptr) continue;
    const std::string where = section + "." + r.key;
    switch (r.kind) {
      case Kind::kString:
        if (auto v = n->value_exact<std::string>()) {
          out.emplace_back(r.member, Value::String(*v));
          continue;
        }
        break;
      case Kind::kJson: {
        if (!n->is_string() && !n->is_table()) break;
        auto text = ValueText(file, *n, where);
        if (!text.ok()) return text.status();
        out.emplace_back(r.member, Value::String(*text));
        continue;
      }
      case Kind::kInt:
        if (auto v = n->value_exact<std::int64_t>()) {
          out.emplace_back(r.member, Value::Int(*v));
          continue;
        }
        break;
      case Kind::kDouble:
        if (auto v = n->value<double>()) {
          out.emplace_back(r.member, Value::Double(*v));
          continue;
        }
        break;
      case Kind::kBool:
        if (auto v = n->value_exact<bool>()) {
          out.emplace_back(r.member, Value::Bool(*v));
          continue;
        }
        break;
      case Kind::kTopicList: {
        const toml::array* list = n->as_array();
        if (list == nullptr) break;
        Value items = Value::List();
        for (const toml::node& item : *list) {
          auto v = item.value<std::string>();
          if (!v) return Fail(file, item, where + " lists topic names or ARNs");
          items.Append(Value::String(ArnOf("sns", scope, *v)));
        }
        out.emplace_back(r.member, std::move(items));
        continue;
      }
      case Kind::kDimensions: {
        const toml::table* dims = n->as_table();
        if (dims == nullptr) break;
        Value items = Value::List();
        for (const auto& [k, v] : *dims) {
          auto text = v.value<std::string>();
          if (!text) return Fail(file, v, where + " values must be strings");
          Value d = Value::Struct();
          d.Set("Name", Value::String(std::string(k.str())));
          d.Set("Value", Value::String(*text));
          items.Append(std::move(d));
        }
        out.emplace_back(r.member, std::move(items));
        continue;
      }
    }
    return Fail(file, *n, where + " has the wrong type");
  }
  return Status::Ok();
}

Status ReadAlarm(const std::string& file, const toml::table& t, const Scope& defaults,
                 AlarmSpec& a) {
  const std::string section = "provision.alarms";
  a.at = At(file, t);
  static const std::initializer_list<MemberRule> kRules = {
      {"description", "AlarmDescription", Kind::kString},
      {"namespace", "Namespace", Kind::kString},
      {"metric", "MetricName", Kind::kString},
      {"dimensions", "Dimensions", Kind::kDimensions},
      {"statistic", "Statistic", Kind::kString},
      {"extended_statistic", "ExtendedStatistic", Kind::kString},
      {"unit", "Unit", Kind::kString},
      {"period", "Period", Kind::kInt},
      {"evaluation_periods", "EvaluationPeriods", Kind::kInt},
      {"datapoints_to_alarm", "DatapointsToAlarm", Kind::kInt},
      {"threshold", "Threshold", Kind::kDouble},
      {"comparison", "ComparisonOperator", Kind::kString},
      {"treat_missing_data", "TreatMissingData", Kind::kString},
      {"actions_enabled", "ActionsEnabled", Kind::kBool},
      {"alarm_actions", "AlarmActions", Kind::kTopicList},
      {"ok_actions", "OKActions", Kind::kTopicList},
      {"insufficient_data_actions", "InsufficientDataActions", Kind::kTopicList}};
  std::set<std::string> allowed{"name", "account", "region"};
  for (const MemberRule& r : kRules) allowed.insert(r.key);
  Status s = CheckKeys(file, t, section, allowed);
  if (!s.ok()) return s;
  if (s = ReadScope(file, t, section, defaults, a.scope); !s.ok()) return s;
  if (s = ReadString(file, t, section, "name", a.name); !s.ok()) return s;
  if (a.name.empty()) return Fail(file, t, "provision.alarms: every alarm needs a name");
  return ReadMembers(file, t, section, a.scope, kRules, a.members);
}

Status ReadRule(const std::string& file, const toml::table& t, const Scope& defaults, RuleSpec& r) {
  const std::string section = "provision.rules";
  r.at = At(file, t);
  static const std::initializer_list<MemberRule> kRules = {
      {"description", "Description", Kind::kString},
      {"event_pattern", "EventPattern", Kind::kJson},
      {"schedule", "ScheduleExpression", Kind::kString},
      {"state", "State", Kind::kString}};
  Status s = CheckKeys(file, t, section,
                       {"name", "account", "region", "bus", "description", "event_pattern",
                        "schedule", "state", "targets"});
  if (!s.ok()) return s;
  if (s = ReadScope(file, t, section, defaults, r.scope); !s.ok()) return s;
  if (s = ReadString(file, t, section, "name", r.name); !s.ok()) return s;
  if (s = ReadString(file, t, section, "bus", r.bus); !s.ok()) return s;
  if (r.name.empty()) return Fail(file, t, "provision.rules: every rule needs a name");
  if (s = ReadMembers(file, t, section, r.scope, kRules, r.members); !s.ok()) return s;
  return ForEachTable(file, t, "targets", [&](const toml::table& tt) {
    const std::string ts = "provision.rules.targets";
    Status st = CheckKeys(file, tt, ts, {"id", "queue", "topic", "arn", "input", "input_path"});
    if (!st.ok()) return st;
    std::string id, queue, topic, arn, input, input_path;
    for (auto [key, out] :
         {std::pair{"id", &id}, std::pair{"queue", &queue}, std::pair{"topic", &topic},
          std::pair{"arn", &arn}, std::pair{"input_path", &input_path}}) {
      if (st = ReadString(file, tt, ts, key, *out); !st.ok()) return st;
    }
    if (const toml::node* n = tt.get("input")) {
      auto text = ValueText(file, *n, ts + ".input");
      if (!text.ok()) return text.status();
      input = *text;
    }
    if (!queue.empty() + !topic.empty() + !arn.empty() != 1) {
      return Fail(file, tt, "provision.rules.targets: a target needs one of queue, topic, arn");
    }
    if (!queue.empty()) arn = ArnOf("sqs", r.scope, queue);
    if (!topic.empty()) arn = ArnOf("sns", r.scope, topic);
    if (id.empty()) id = queue.empty() ? (topic.empty() ? "target" : topic) : queue;
    TargetSpec target{At(file, tt), protocol::Value::Struct()};
    target.target.Set("Id", protocol::Value::String(id));
    target.target.Set("Arn", protocol::Value::String(arn));
    if (!input.empty()) target.target.Set("Input", protocol::Value::String(input));
    if (!input_path.empty()) target.target.Set("InputPath", protocol::Value::String(input_path));
    r.targets.push_back(std::move(target));
    return Status::Ok();
  });
}

Status ReadPolicy(const std::string& file, const toml::table& t, const Scope& defaults,
                  PolicySpec& p) {
  const std::string section = "provision.policies";
  p.at = At(file, t);
  Status s = CheckKeys(file, t, section, {"name", "account", "path", "description", "document"});
  if (!s.ok()) return s;
  if (s = ReadScope(file, t, section, defaults, p.scope); !s.ok()) return s;
  for (auto [key, out] : {std::pair{"name", &p.name}, std::pair{"path", &p.path},
                          std::pair{"description", &p.description}}) {
    if (s = ReadString(file, t, section, key, *out); !s.ok()) return s;
  }
  const toml::node* doc = t.get("document");
  if (p.name.empty() || doc == nullptr) {
    return Fail(file, t, "provision.policies: a policy needs a name and a document");
  }
  auto text = ValueText(file, *doc, section + ".document");
  if (!text.ok()) return text.status();
  p.document = *text;
  return Status::Ok();
}

Status ReadUser(const std::string& file, const toml::table& t, const Scope& defaults, UserSpec& u) {
  const std::string section = "provision.users";
  u.at = At(file, t);
  Status s =
      CheckKeys(file, t, section, {"name", "account", "path", "policies", "managed_policies"});
  if (!s.ok()) return s;
  if (s = ReadScope(file, t, section, defaults, u.scope); !s.ok()) return s;
  if (s = ReadString(file, t, section, "name", u.name); !s.ok()) return s;
  if (s = ReadString(file, t, section, "path", u.path); !s.ok()) return s;
  if (u.name.empty()) return Fail(file, t, "provision.users: every user needs a name");
  if (s = ReadMap(file, t, section, "policies", u.inline_policies); !s.ok()) return s;
  if (const toml::node* n = t.get("managed_policies")) {
    const toml::array* list = n->as_array();
    if (list == nullptr) return Fail(file, *n, section + ".managed_policies must be a list");
    for (const toml::node& item : *list) {
      auto v = item.value<std::string>();
      if (!v) return Fail(file, item, section + ".managed_policies lists policy names or ARNs");
      u.managed_policies.push_back(*v);
    }
  }
  return Status::Ok();
}

Status ReadQueue(const std::string& file, const toml::table& t, const Scope& defaults,
                 QueueSpec& q) {
  const std::string section = "provision.queues";
  q.at = At(file, t);
  Status s = CheckKeys(
      file, t, section,
      {"name", "account", "region", "fifo", "attributes", "tags", "dead_letter", "url_parameter"});
  if (!s.ok()) return s;
  if (s = ReadScope(file, t, section, defaults, q.scope); !s.ok()) return s;
  if (s = ReadString(file, t, section, "name", q.name); !s.ok()) return s;
  if (q.name.empty()) return Fail(file, t, "provision.queues: every queue needs a name");
  if (const toml::node* fifo = t.get("fifo")) {
    auto b = fifo->value_exact<bool>();
    if (!b) return Fail(file, *fifo, "provision.queues.fifo must be true or false");
    q.fifo = *b;
  }
  if (s = ReadMap(file, t, section, "attributes", q.attributes); !s.ok()) return s;
  if (s = ReadMap(file, t, section, "tags", q.tags); !s.ok()) return s;
  if (s = ReadString(file, t, section, "url_parameter", q.url_parameter); !s.ok()) return s;
  if (q.fifo) q.attributes["FifoQueue"] = "true";
  if (const toml::node* n = t.get("dead_letter")) {
    const toml::table* dl = n->as_table();
    if (dl == nullptr) {
      return Fail(file, *n,
                  "provision.queues.dead_letter must be a table: { queue = \"name\", "
                  "max_receive_count = 3 }");
    }
    const std::string dl_section = "provision.queues.dead_letter";
    if (s = CheckKeys(file, *dl, dl_section, {"queue", "max_receive_count"}); !s.ok()) return s;
    DeadLetter d;
    d.at = At(file, *n);
    if (s = ReadString(file, *dl, dl_section, "queue", d.queue); !s.ok()) return s;
    const toml::node* count = dl->get("max_receive_count");
    auto c = count ? count->value_exact<std::int64_t>() : std::nullopt;
    if (d.queue.empty() || !c) {
      return Fail(file, *n, "provision.queues.dead_letter needs queue and max_receive_count");
    }
    d.max_receive_count = static_cast<int>(std::clamp<std::int64_t>(*c, -1, 1 << 30));
    if (q.attributes.count("RedrivePolicy")) {
      return Fail(file, *n, "a queue declares dead_letter or attributes.RedrivePolicy, not both");
    }
    q.dead_letter = std::move(d);
  }
  return Status::Ok();
}

Status ReadParameter(const std::string& file, const toml::table& t, const Scope& defaults,
                     ParameterSpec& p) {
  const std::string section = "provision.parameters";
  p.at = At(file, t);
  Status s =
      CheckKeys(file, t, section,
                {"name", "account", "region", "type", "value", "queue_url", "key", "description"});
  if (!s.ok()) return s;
  if (s = ReadScope(file, t, section, defaults, p.scope); !s.ok()) return s;
  for (auto [key, out] : {std::pair{"name", &p.name}, std::pair{"type", &p.type},
                          std::pair{"queue_url", &p.queue_url}, std::pair{"key", &p.key},
                          std::pair{"description", &p.description}}) {
    if (s = ReadString(file, t, section, key, *out); !s.ok()) return s;
  }
  if (const toml::node* v = t.get("value")) {
    if (const toml::array* list = v->as_array()) {  // StringList as a TOML array
      std::string joined;
      for (const toml::node& item : *list) {
        auto text = item.value<std::string>();
        if (!text) return Fail(file, item, "provision.parameters.value: a list of strings");
        joined += (joined.empty() ? "" : ",") + *text;
      }
      p.value = joined;
    } else {
      auto text = ValueText(file, *v, "provision.parameters.value");
      if (!text.ok()) return text.status();
      p.value = *text;
    }
  }
  if (p.name.empty()) return Fail(file, t, "provision.parameters: every parameter needs a name");
  if (t.get("value") != nullptr && !p.queue_url.empty()) {
    return Fail(file, t, "provision.parameters: value or queue_url, not both");
  }
  if (t.get("value") == nullptr && p.queue_url.empty()) {
    return Fail(file, t, "provision.parameters: a parameter needs a value or a queue_url");
  }
  return Status::Ok();
}

Status ReadSubscription(const std::string& file, const toml::table& t, SubscriptionSpec& sub) {
  const std::string section = "provision.topics.subscriptions";
  sub.at = At(file, t);
  Status s = CheckKeys(file, t, section,
                       {"protocol", "endpoint", "queue", "filter_policy", "filter_policy_scope",
                        "raw_message_delivery", "attributes"});
  if (!s.ok()) return s;
  if (s = ReadString(file, t, section, "protocol", sub.protocol); !s.ok()) return s;
  if (s = ReadString(file, t, section, "endpoint", sub.endpoint); !s.ok()) return s;
  if (s = ReadString(file, t, section, "queue", sub.queue); !s.ok()) return s;
  if (s = ReadMap(file, t, section, "attributes", sub.attributes); !s.ok()) return s;
  if (!sub.queue.empty() && sub.protocol.empty()) sub.protocol = "sqs";
  if (sub.protocol.empty() || (sub.endpoint.empty() == sub.queue.empty())) {
    return Fail(file, t,
                "provision.topics.subscriptions: a subscription needs a protocol and one of "
                "endpoint, queue");
  }
  for (auto [key, attribute] : {std::pair{"filter_policy", "FilterPolicy"},
                                std::pair{"filter_policy_scope", "FilterPolicyScope"},
                                std::pair{"raw_message_delivery", "RawMessageDelivery"}}) {
    if (const toml::node* n = t.get(key)) {
      auto text = ValueText(file, *n, section + "." + key);
      if (!text.ok()) return text.status();
      sub.attributes[attribute] = *text;
    }
  }
  return Status::Ok();
}

Status ReadTopic(const std::string& file, const toml::table& t, const Scope& defaults,
                 TopicSpec& topic) {
  const std::string section = "provision.topics";
  topic.at = At(file, t);
  Status s = CheckKeys(file, t, section,
                       {"name", "account", "region", "attributes", "tags", "subscriptions"});
  if (!s.ok()) return s;
  if (s = ReadScope(file, t, section, defaults, topic.scope); !s.ok()) return s;
  if (s = ReadString(file, t, section, "name", topic.name); !s.ok()) return s;
  if (topic.name.empty()) return Fail(file, t, "provision.topics: every topic needs a name");
  if (s = ReadMap(file, t, section, "attributes", topic.attributes); !s.ok()) return s;
  if (s = ReadMap(file, t, section, "tags", topic.tags); !s.ok()) return s;
  return ForEachTable(file, t, "subscriptions", [&](const toml::table& st) {
    SubscriptionSpec sub;
    Status r = ReadSubscription(file, st, sub);
    if (r.ok()) topic.subscriptions.push_back(std::move(sub));
    return r;
  });
}

Result<Spec> FromTable(const toml::table& root, const std::string& file, const Scope& defaults) {
  Spec spec;
  spec.file = file;
  spec.default_scope = defaults;
  const toml::node* node = root.get("provision");
  if (node == nullptr) return spec;
  const toml::table* p = node->as_table();
  if (p == nullptr) return Fail(file, *node, "provision must be a table");
  Status s = CheckKeys(file, *p, "provision",
                       {"account", "region", "prune", "keys", "queues", "parameters", "topics",
                        "alarms", "rules", "policies", "users"});
  if (!s.ok()) return s;
  if (s = ReadScope(file, *p, "provision", defaults, spec.default_scope); !s.ok()) return s;
  spec.prune_at = Where{file, 0};
  if (const toml::node* prune = p->get("prune")) {
    spec.prune_at = At(file, *prune);
    if (auto all = prune->value_exact<bool>()) {
      if (*all) spec.prune = PrunableKinds();
    } else if (const toml::array* kinds = prune->as_array()) {
      for (const toml::node& k : *kinds) {
        auto kind = k.value<std::string>();
        if (!kind || !PrunableKinds().count(*kind)) {
          return Fail(file, k,
                      "provision.prune lists kinds: \"queues\", \"parameters\", \"topics\", "
                      "\"alarms\", \"rules\"");
        }
        spec.prune.insert(*kind);
      }
    } else {
      return Fail(file, *prune,
                  "provision.prune must be true, false or a list of kinds (\"queues\", ...)");
    }
  }
  const Scope& scope = spec.default_scope;
  if (s = ForEachTable(file, *p, "keys",
                       [&](const toml::table& t) {
                         KeySpec k;
                         Status r = ReadKey(file, t, scope, k);
                         if (r.ok()) spec.keys.push_back(std::move(k));
                         return r;
                       });
      !s.ok())
    return s;
  if (s = ForEachTable(file, *p, "queues",
                       [&](const toml::table& t) {
                         QueueSpec q;
                         Status r = ReadQueue(file, t, scope, q);
                         if (r.ok()) spec.queues.push_back(std::move(q));
                         return r;
                       });
      !s.ok())
    return s;
  if (s = ForEachTable(file, *p, "parameters",
                       [&](const toml::table& t) {
                         ParameterSpec param;
                         Status r = ReadParameter(file, t, scope, param);
                         if (r.ok()) spec.parameters.push_back(std::move(param));
                         return r;
                       });
      !s.ok())
    return s;
  if (s = ForEachTable(file, *p, "topics",
                       [&](const toml::table& t) {
                         TopicSpec topic;
                         Status r = ReadTopic(file, t, scope, topic);
                         if (r.ok()) spec.topics.push_back(std::move(topic));
                         return r;
                       });
      !s.ok())
    return s;
  if (s = ForEachTable(file, *p, "alarms",
                       [&](const toml::table& t) {
                         AlarmSpec a;
                         Status r = ReadAlarm(file, t, scope, a);
                         if (r.ok()) spec.alarms.push_back(std::move(a));
                         return r;
                       });
      !s.ok())
    return s;
  if (s = ForEachTable(file, *p, "rules",
                       [&](const toml::table& t) {
                         RuleSpec rule;
                         Status r = ReadRule(file, t, scope, rule);
                         if (r.ok()) spec.rules.push_back(std::move(rule));
                         return r;
                       });
      !s.ok())
    return s;
  if (s = ForEachTable(file, *p, "policies",
                       [&](const toml::table& t) {
                         PolicySpec policy;
                         Status r = ReadPolicy(file, t, scope, policy);
                         if (r.ok()) spec.policies.push_back(std::move(policy));
                         return r;
                       });
      !s.ok())
    return s;
  if (s = ForEachTable(file, *p, "users",
                       [&](const toml::table& t) {
                         UserSpec user;
                         Status r = ReadUser(file, t, scope, user);
                         if (r.ok()) spec.users.push_back(std::move(user));
                         return r;
                       });
      !s.ok())
    return s;
  // A user's managed policy named without an ARN: a declared policy of its account, else an AWS
  // managed policy ("ReadOnlyAccess").
  for (UserSpec& u : spec.users) {
    for (std::string& name : u.managed_policies) {
      if (name.rfind("arn:", 0) == 0) continue;
      auto declared =
          std::find_if(spec.policies.begin(), spec.policies.end(), [&](const PolicySpec& p) {
            return p.name == name && p.scope.account == u.scope.account;
          });
      name = declared != spec.policies.end()
                 ? fmt::format("arn:aws:iam::{}:policy{}{}", u.scope.account, declared->path, name)
                 : "arn:aws:iam::aws:policy/" + name;
    }
  }
  // A queue's url_parameter is a String parameter declared with the queue.
  for (const QueueSpec& q : spec.queues) {
    if (q.url_parameter.empty()) continue;
    ParameterSpec param;
    param.at = q.at;
    param.scope = q.scope;
    param.name = q.url_parameter;
    param.queue_url = q.name;
    spec.parameters.push_back(std::move(param));
  }
  return spec;
}

}  // namespace

Result<Spec> ParseSpec(const std::string& text, const std::string& file, const Scope& defaults) {
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    return Status(ErrorCode::kInvalidParameterValue,
                  fmt::format("{}:{}: {}", file, e.source().begin.line, e.description()));
  }
  return FromTable(root, file, defaults);
}

Result<Spec> LoadSpec(const std::string& file, const Scope& defaults) {
  toml::table root;
  try {
    root = toml::parse_file(file);
  } catch (const toml::parse_error& e) {
    return Status(ErrorCode::kInvalidParameterValue,
                  fmt::format("{}:{}: {}", file, e.source().begin.line, e.description()));
  }
  return FromTable(root, file, defaults);
}

}  // namespace sluice::provision
