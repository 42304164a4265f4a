#include "app/provision/provisioner.h"

#include <fmt/format.h>

#include <fmt/ranges.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include <rapidjson/document.h>

#include "engine/queue_config.h"

namespace sluice::provision {
namespace {

using protocol::Value;

Value StringMap(const std::map<std::string, std::string>& m) {
  Value v = Value::Map();
  for (const auto& [k, s] : m) v.Set(k, Value::String(s));
  return v;
}

std::map<std::string, std::string> MapOf(const Value* v) {
  std::map<std::string, std::string> out;
  if (v == nullptr) return out;
  for (const auto& [k, s] : v->entries()) out[k] = s.as_string();
  return out;
}

Value StringList(const std::vector<std::string>& items) {
  Value v = Value::List();
  for (const auto& s : items) v.Append(Value::String(s));
  return v;
}

// Two JSON documents with the same content (member order and spacing aside).
bool SameJson(const std::string& a, const std::string& b) {
  rapidjson::Document da, db;
  da.Parse(a.c_str(), a.size());
  db.Parse(b.c_str(), b.size());
  if (da.HasParseError() || db.HasParseError()) return a == b;
  return da == db;
}

std::string Quote(const std::string& s) { return s.empty() ? "(none)" : fmt::format("\"{}\"", s); }

std::string ScopeText(const Scope& s) { return fmt::format("{} {}", s.account, s.region); }

std::string QueueArn(const Scope& s, const std::string& name) {
  return fmt::format("arn:aws:sqs:{}:{}:{}", s.region, s.account, name);
}

std::string TopicArn(const Scope& s, const std::string& name) {
  return fmt::format("arn:aws:sns:{}:{}:{}", s.region, s.account, name);
}

// The undeclared attributes a queue is brought back to (the values CreateQueue gives them), so
// that removing a line from the file undoes it. KMS and FIFO throughput settings are left as
// they are unless declared.
std::map<std::string, std::string> QueueDefaults(bool fifo) {
  const engine::QueueConfig d;
  std::map<std::string, std::string> out{
      {"DelaySeconds", std::to_string(d.delay_seconds)},
      {"MaximumMessageSize", std::to_string(d.maximum_message_size)},
      {"MessageRetentionPeriod", std::to_string(d.message_retention_period)},
      {"ReceiveMessageWaitTimeSeconds", std::to_string(d.receive_message_wait_time_seconds)},
      {"VisibilityTimeout", std::to_string(d.visibility_timeout)},
      {"Policy", ""},
      {"RedrivePolicy", ""},
      {"RedriveAllowPolicy", ""}};
  if (fifo) out["ContentBasedDeduplication"] = "false";
  return out;
}

// A member's value as text, for comparison and diffs: lists sorted (actions and dimensions have
// no order that matters), numbers as numbers whatever their kind.
std::string Show(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      return "(none)";
    case Value::Kind::kBool:
      return v.as_bool() ? "true" : "false";
    case Value::Kind::kInt:
      return std::to_string(v.as_int());
    case Value::Kind::kDouble:
      return fmt::format("{}", v.as_double());
    case Value::Kind::kString:
    case Value::Kind::kBlob:
      return Quote(v.as_string());
    case Value::Kind::kList: {
      std::vector<std::string> items;
      for (const Value& i : v.items()) items.push_back(Show(i));
      std::sort(items.begin(), items.end());
      return fmt::format("[{}]", fmt::join(items, ", "));
    }
    case Value::Kind::kMap:
    case Value::Kind::kStruct: {
      std::vector<std::string> items;
      for (const auto& [k, e] : v.entries()) items.push_back(fmt::format("{}={}", k, Show(e)));
      return fmt::format("{{{}}}", fmt::join(items, ", "));
    }
  }
  return "";
}

// The declared members that differ from `current` ("Threshold: 0 -> 5"). JSON documents compare
// by content.
std::vector<std::string> MemberDiff(const Members& declared, const Value& current) {
  std::vector<std::string> diff;
  for (const auto& [name, want] : declared) {
    const Value* now = current.Get(name);
    const std::string before = now ? Show(*now) : "(none)";
    const std::string after = Show(want);
    if (before == after) continue;
    if (now && now->is_string() && want.is_string() &&
        SameJson(now->as_string(), want.as_string()) && !now->as_string().empty() &&
        (now->as_string()[0] == '{' || now->as_string()[0] == '[')) {
      continue;
    }
    diff.push_back(fmt::format("{}: {} -> {}", name, before, after));
  }
  return diff;
}

// IAM answers policy documents URL-encoded (RFC 3986), as AWS does.
std::string UrlDecode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// Update when something differs (computed before the diff is moved into the record).
Change::Op OpOf(const std::vector<std::string>& diff) {
  return diff.empty() ? Change::Op::kUnchanged : Change::Op::kUpdate;
}

class Run {
 public:
  Run(const Spec& spec, const Invoker& invoker, const ApplyOptions& options)
      : spec_(spec), invoker_(invoker), options_(options) {}

  Result<std::vector<Change>> Go() {
    Status s;
    if (s = Keys(); !s.ok()) return s;
    if (s = Queues(); !s.ok()) return s;
    if (s = Parameters(); !s.ok()) return s;
    if (s = Topics(); !s.ok()) return s;
    if (s = Alarms(); !s.ok()) return s;
    if (s = Rules(); !s.ok()) return s;
    if (s = Policies(); !s.ok()) return s;
    if (s = Users(); !s.ok()) return s;
    if (s = PruneQueues(); !s.ok()) return s;
    if (s = PruneParameters(); !s.ok()) return s;
    if (s = PruneTopics(); !s.ok()) return s;
    if (s = PruneAlarms(); !s.ok()) return s;
    if (s = PruneRules(); !s.ok()) return s;
    return std::move(changes_);
  }

 private:
  RequestContext Ctx(const Scope& scope) const {
    RequestContext ctx;
    ctx.request_id = "provision";
    ctx.account_id = scope.account;
    ctx.region = scope.region;
    ctx.host = options_.queue_host;
    ctx.path = "/";
    ctx.protocol = WireProtocol::kJson;
    return ctx;
  }

  // One call; a failure becomes the message that stops the start.
  Result<Value> Call(const Where& at, const std::string& what, const Scope& scope,
                     std::string_view service, std::string_view op, Value input) {
    auto r = invoker_.Call(service, op, Ctx(scope), std::move(input));
    if (!r.ok()) return Failure(at, what, scope, service, r.status());
    return r;
  }

  Status Failure(const Where& at, const std::string& what, const Scope& scope,
                 std::string_view service, const Status& st) const {
    return Status(st.code(), fmt::format("{}: {} ({}): {}: {}", at.Text(), what, ScopeText(scope),
                                         invoker_.ErrorName(service, st), st.message()));
  }

  // Callers pass std::move(diff) beside OpOf(diff): taken by rvalue reference, the diff is moved
  // only in the body, whatever order the arguments are evaluated in.
  void Record(Change::Op op, std::string kind, std::string name, const Scope& scope,
              std::vector<std::string>&& diff) {
    changes_.push_back(Change{op, std::move(kind), std::move(name), scope, std::move(diff)});
  }

  // ---- KMS keys, by alias ----

  Status Keys() {
    std::set<std::pair<Scope, std::string>> seen;
    for (const KeySpec& k : spec_.keys) {
      if (!seen.insert({k.scope, k.alias}).second) {
        return Status(ErrorCode::kInvalidParameterValue,
                      fmt::format("{}: key '{}' ({}) is declared twice", k.at.Text(), k.alias,
                                  ScopeText(k.scope)));
      }
      if (Status s = Key(k); !s.ok()) return s;
    }
    return Status::Ok();
  }

  Result<Value> KeyCall(const KeySpec& k, std::string_view op, const std::string& key_id,
                        std::initializer_list<std::pair<const char*, Value>> members) {
    Value in = Value::Struct();
    in.Set("KeyId", Value::String(key_id));
    for (const auto& [name, v] : members) in.Set(name, v);
    return Call(k.at, fmt::format("key '{}'", k.alias), k.scope, "kms", op, std::move(in));
  }

  Status Key(const KeySpec& k) {
    const std::string what = fmt::format("key '{}'", k.alias);
    Value describe = Value::Struct();
    describe.Set("KeyId", Value::String(k.alias));
    auto found = invoker_.Call("kms", "DescribeKey", Ctx(k.scope), std::move(describe));
    std::vector<std::string> diff;
    std::string key_id;
    bool created = false;
    if (!found.ok()) {
      if (invoker_.ErrorName("kms", found.status()) != "NotFoundException") {
        return Failure(k.at, what, k.scope, "kms", found.status());
      }
      Value create = Value::Struct();
      if (!k.description.empty()) create.Set("Description", Value::String(k.description));
      create.Set("KeySpec", Value::String(k.key_spec));
      if (!k.key_usage.empty()) create.Set("KeyUsage", Value::String(k.key_usage));
      if (!k.policy.empty()) create.Set("Policy", Value::String(k.policy));
      if (!k.tags.empty()) {
        Value tags = Value::List();
        for (const auto& [name, v] : k.tags) {
          Value tag = Value::Struct();
          tag.Set("TagKey", Value::String(name));
          tag.Set("TagValue", Value::String(v));
          tags.Append(std::move(tag));
        }
        create.Set("Tags", std::move(tags));
      }
      auto made = Call(k.at, what, k.scope, "kms", "CreateKey", std::move(create));
      if (!made.ok()) return made.status();
      key_id = std::string(made->Get("KeyMetadata")->GetString("KeyId").value_or(""));
      Value alias = Value::Struct();
      alias.Set("AliasName", Value::String(k.alias));
      alias.Set("TargetKeyId", Value::String(key_id));
      if (auto r = Call(k.at, what, k.scope, "kms", "CreateAlias", std::move(alias)); !r.ok()) {
        return r.status();
      }
      created = true;
    } else {
      const Value* meta = found->Get("KeyMetadata");
      key_id = std::string(meta->GetString("KeyId").value_or(""));
      const std::string state(meta->GetString("KeyState").value_or(""));
      if (state == "PendingDeletion") {
        return Failure(
            k.at, what, k.scope, "kms",
            Status(ErrorCode::kInvalidParameterValue,
                   fmt::format("{} is pending deletion (cancel the deletion first)", key_id)));
      }
      for (auto [member, wanted] :
           {std::pair{"KeySpec", &k.key_spec}, std::pair{"KeyUsage", &k.key_usage}}) {
        const std::string now(meta->GetString(member).value_or(""));
        if (!wanted->empty() && now != *wanted) {
          return Failure(k.at, what, k.scope, "kms",
                         Status(ErrorCode::kInvalidParameterValue,
                                fmt::format("{} is {} and cannot change to {} (declare a new key)",
                                            member, now, *wanted)));
        }
      }
      const std::string description(meta->GetString("Description").value_or(""));
      if (description != k.description) {
        if (auto r = KeyCall(k, "UpdateKeyDescription", key_id,
                             {{"Description", Value::String(k.description)}});
            !r.ok()) {
          return r.status();
        }
        diff.push_back(
            fmt::format("Description: {} -> {}", Quote(description), Quote(k.description)));
      }
      if (!k.policy.empty()) {
        auto policy = KeyCall(k, "GetKeyPolicy", key_id, {});
        if (!policy.ok()) return policy.status();
        if (!SameJson(std::string(policy->GetString("Policy").value_or("")), k.policy)) {
          if (auto r = KeyCall(k, "PutKeyPolicy", key_id, {{"Policy", Value::String(k.policy)}});
              !r.ok()) {
            return r.status();
          }
          diff.push_back("Policy: changed");
        }
      }
    }
    // Enabled and rotation, on a new key as on an existing one.
    Value again = Value::Struct();
    again.Set("KeyId", Value::String(key_id));
    auto meta = Call(k.at, what, k.scope, "kms", "DescribeKey", std::move(again));
    if (!meta.ok()) return meta.status();
    const bool enabled = meta->Get("KeyMetadata")->GetBool("Enabled").value_or(true);
    if (enabled != k.enabled) {
      if (auto r = KeyCall(k, k.enabled ? "EnableKey" : "DisableKey", key_id, {}); !r.ok()) {
        return r.status();
      }
      if (!created) diff.push_back(fmt::format("Enabled: {} -> {}", enabled, k.enabled));
    }
    if (k.rotation) {
      auto status = KeyCall(k, "GetKeyRotationStatus", key_id, {});
      if (!status.ok()) return status.status();
      const bool rotating = status->GetBool("KeyRotationEnabled").value_or(false);
      if (rotating != *k.rotation) {
        if (auto r =
                KeyCall(k, *k.rotation ? "EnableKeyRotation" : "DisableKeyRotation", key_id, {});
            !r.ok()) {
          return r.status();
        }
        if (!created) diff.push_back(fmt::format("rotation: {} -> {}", rotating, *k.rotation));
      }
    }
    if (created) {
      Record(Change::Op::kCreate, "key", k.alias, k.scope);
    } else {
      Record(OpOf(diff), "key", k.alias, k.scope, std::move(diff));
    }
    return Status::Ok();
  }

  // ---- queues ----

  // Declared queues in dependency order: a dead-letter queue declared in the file before the
  // queues that name it. A cycle is an error at the dead_letter line that closes it.
  Result<std::vector<const QueueSpec*>> QueueOrder() const {
    std::map<std::pair<Scope, std::string>, const QueueSpec*> by_name;
    for (const QueueSpec& q : spec_.queues) {
      if (!by_name.emplace(std::pair{q.scope, q.name}, &q).second) {
        return Status(ErrorCode::kInvalidParameterValue,
                      fmt::format("{}: queue '{}' ({}) is declared twice", q.at.Text(), q.name,
                                  ScopeText(q.scope)));
      }
    }
    std::vector<const QueueSpec*> order;
    std::map<const QueueSpec*, int> state;  // 1 visiting, 2 done
    std::function<Status(const QueueSpec*)> visit = [&](const QueueSpec* q) -> Status {
      if (state[q] == 2) return Status::Ok();
      state[q] = 1;
      if (q->dead_letter) {
        auto it = by_name.find({q->scope, q->dead_letter->queue});
        if (it != by_name.end()) {
          if (state[it->second] == 1) {
            return Status(ErrorCode::kInvalidParameterValue,
                          fmt::format("{}: queue '{}': the dead-letter queues form a cycle",
                                      q->dead_letter->at.Text(), q->name));
          }
          if (Status s = visit(it->second); !s.ok()) return s;
        }
      }
      state[q] = 2;
      order.push_back(q);
      return Status::Ok();
    };
    for (const QueueSpec& q : spec_.queues) {
      if (Status s = visit(&q); !s.ok()) return s;
    }
    return order;
  }

  Status Queues() {
    auto order = QueueOrder();
    if (!order.ok()) return order.status();
    for (const QueueSpec* q : *order) {
      if (Status s = Queue(*q); !s.ok()) return s;
    }
    return Status::Ok();
  }

  Status Queue(const QueueSpec& q) {
    const std::string what = fmt::format("queue '{}'", q.name);
    std::map<std::string, std::string> desired = q.attributes;
    if (q.dead_letter) {
      desired["RedrivePolicy"] =
          fmt::format(R"({{"deadLetterTargetArn":"{}","maxReceiveCount":{}}})",
                      QueueArn(q.scope, q.dead_letter->queue), q.dead_letter->max_receive_count);
    }
    Value get = Value::Struct();
    get.Set("QueueName", Value::String(q.name));
    auto found = invoker_.Call("sqs", "GetQueueUrl", Ctx(q.scope), std::move(get));
    if (!found.ok()) {
      if (invoker_.ErrorName("sqs", found.status()) != "QueueDoesNotExist") {
        return Failure(q.at, what, q.scope, "sqs", found.status());
      }
      Value create = Value::Struct();
      create.Set("QueueName", Value::String(q.name));
      if (!desired.empty()) create.Set("Attributes", StringMap(desired));
      if (!q.tags.empty()) create.Set("tags", StringMap(q.tags));
      auto created = Call(q.at, what, q.scope, "sqs", "CreateQueue", std::move(create));
      if (!created.ok()) return created.status();
      urls_[{q.scope, q.name}] = std::string(created->GetString("QueueUrl").value_or(""));
      Record(Change::Op::kCreate, "queue", q.name, q.scope);
      return Status::Ok();
    }
    const std::string url(found->GetString("QueueUrl").value_or(""));
    urls_[{q.scope, q.name}] = url;
    Value attrs_in = Value::Struct();
    attrs_in.Set("QueueUrl", Value::String(url));
    attrs_in.Set("AttributeNames", StringList({"All"}));
    auto current_out = Call(q.at, what, q.scope, "sqs", "GetQueueAttributes", std::move(attrs_in));
    if (!current_out.ok()) return current_out.status();
    const auto current = MapOf(current_out->Get("Attributes"));
    const bool fifo = current.count("FifoQueue") && current.at("FifoQueue") == "true";
    // The declared values in the engine's canonical form ("030" -> "30", policies re-serialized),
    // as GetQueueAttributes reports them.
    std::map<std::string, std::string> settable = desired;
    settable.erase("FifoQueue");
    auto canonical = engine::CanonicalizeAttributes(
        engine::AttributeMap(settable.begin(), settable.end()), fifo, false);
    if (!canonical.ok()) return Failure(q.at, what, q.scope, "sqs", canonical.status());
    std::map<std::string, std::string> target(canonical->begin(), canonical->end());
    for (const auto& [name, value] : QueueDefaults(fifo)) target.emplace(name, value);
    std::map<std::string, std::string> changed;
    std::vector<std::string> diff;
    for (const auto& [name, value] : target) {
      auto it = current.find(name);
      const std::string now = it == current.end() ? "" : it->second;
      if (now == value) continue;
      changed[name] = value;
      diff.push_back(fmt::format("{}: {} -> {}", name, Quote(now), Quote(value)));
    }
    if (desired.count("FifoQueue") && !fifo) {
      return Failure(q.at, what, q.scope, "sqs",
                     Status(ErrorCode::kInvalidParameterValue,
                            "FifoQueue cannot be changed on an existing queue"));
    }
    if (!changed.empty()) {
      Value set = Value::Struct();
      set.Set("QueueUrl", Value::String(url));
      set.Set("Attributes", StringMap(changed));
      if (auto r = Call(q.at, what, q.scope, "sqs", "SetQueueAttributes", std::move(set));
          !r.ok()) {
        return r.status();
      }
    }
    if (Status s = QueueTags(q, url, what, diff); !s.ok()) return s;
    Record(OpOf(diff), "queue", q.name, q.scope, std::move(diff));
    return Status::Ok();
  }

  Status QueueTags(const QueueSpec& q, const std::string& url, const std::string& what,
                   std::vector<std::string>& diff) {
    Value list = Value::Struct();
    list.Set("QueueUrl", Value::String(url));
    auto out = Call(q.at, what, q.scope, "sqs", "ListQueueTags", std::move(list));
    if (!out.ok()) return out.status();
    const auto current = MapOf(out->Get("Tags"));
    std::map<std::string, std::string> add;
    std::vector<std::string> remove;
    for (const auto& [k, v] : q.tags) {
      auto it = current.find(k);
      if (it != current.end() && it->second == v) continue;
      add[k] = v;
      diff.push_back(fmt::format("tag {}: {} -> {}", k,
                                 it == current.end() ? "(none)" : Quote(it->second), Quote(v)));
    }
    for (const auto& [k, v] : current) {
      if (q.tags.count(k)) continue;
      remove.push_back(k);
      diff.push_back(fmt::format("tag {}: {} -> (none)", k, Quote(v)));
    }
    if (!add.empty()) {
      Value tag = Value::Struct();
      tag.Set("QueueUrl", Value::String(url));
      tag.Set("Tags", StringMap(add));
      if (auto r = Call(q.at, what, q.scope, "sqs", "TagQueue", std::move(tag)); !r.ok()) {
        return r.status();
      }
    }
    if (!remove.empty()) {
      Value untag = Value::Struct();
      untag.Set("QueueUrl", Value::String(url));
      untag.Set("TagKeys", StringList(remove));
      if (auto r = Call(q.at, what, q.scope, "sqs", "UntagQueue", std::move(untag)); !r.ok()) {
        return r.status();
      }
    }
    return Status::Ok();
  }

  // The URL of a queue: declared (known once applied), else looked up.
  Result<std::string> QueueUrl(const Where& at, const std::string& what, const Scope& scope,
                               const std::string& name) {
    if (auto it = urls_.find({scope, name}); it != urls_.end()) return it->second;
    Value get = Value::Struct();
    get.Set("QueueName", Value::String(name));
    auto found = Call(at, what, scope, "sqs", "GetQueueUrl", std::move(get));
    if (!found.ok()) return found.status();
    return std::string(found->GetString("QueueUrl").value_or(""));
  }

  // ---- SSM parameters ----

  Status Parameters() {
    std::set<std::pair<Scope, std::string>> seen;
    for (const ParameterSpec& p : spec_.parameters) {
      if (!seen.insert({p.scope, p.name}).second) {
        return Status(ErrorCode::kInvalidParameterValue,
                      fmt::format("{}: parameter '{}' ({}) is declared twice", p.at.Text(), p.name,
                                  ScopeText(p.scope)));
      }
      if (Status s = Parameter(p); !s.ok()) return s;
    }
    return Status::Ok();
  }

  Status Parameter(const ParameterSpec& p) {
    const std::string what = fmt::format("parameter '{}'", p.name);
    std::string value = p.value;
    if (!p.queue_url.empty()) {
      auto url = QueueUrl(p.at, what, p.scope, p.queue_url);
      if (!url.ok()) return url.status();
      value = *url;
    }
    Value get = Value::Struct();
    get.Set("Name", Value::String(p.name));
    get.Set("WithDecryption", Value::Bool(true));
    auto found = invoker_.Call("ssm", "GetParameter", Ctx(p.scope), std::move(get));
    std::vector<std::string> diff;
    bool create = false;
    if (!found.ok()) {
      if (invoker_.ErrorName("ssm", found.status()) != "ParameterNotFound") {
        return Failure(p.at, what, p.scope, "ssm", found.status());
      }
      create = true;
    } else {
      const Value* param = found->Get("Parameter");
      const std::string type(param ? param->GetString("Type").value_or("") : "");
      const std::string now(param ? param->GetString("Value").value_or("") : "");
      if (type != p.type) diff.push_back(fmt::format("Type: {} -> {}", Quote(type), Quote(p.type)));
      if (now != value) {
        const bool secret = p.type == "SecureString" || type == "SecureString";
        diff.push_back(secret ? std::string("Value: (secret) -> (secret, changed)")
                              : fmt::format("Value: {} -> {}", Quote(now), Quote(value)));
      }
      auto meta = Describe(p, what);
      if (!meta.ok()) return meta.status();
      const std::string description(meta->GetString("Description").value_or(""));
      if (description != p.description) {
        diff.push_back(
            fmt::format("Description: {} -> {}", Quote(description), Quote(p.description)));
      }
      const std::string key(meta->GetString("KeyId").value_or(""));
      if (p.type == "SecureString" && !p.key.empty() && key != p.key) {
        diff.push_back(fmt::format("KeyId: {} -> {}", Quote(key), Quote(p.key)));
      }
      if (diff.empty()) {
        Record(Change::Op::kUnchanged, "parameter", p.name, p.scope);
        return Status::Ok();
      }
    }
    Value put = Value::Struct();
    put.Set("Name", Value::String(p.name));
    put.Set("Value", Value::String(value));
    put.Set("Type", Value::String(p.type));
    if (!p.key.empty()) put.Set("KeyId", Value::String(p.key));
    if (!p.description.empty()) put.Set("Description", Value::String(p.description));
    if (!create) put.Set("Overwrite", Value::Bool(true));
    if (auto r = Call(p.at, what, p.scope, "ssm", "PutParameter", std::move(put)); !r.ok()) {
      return r.status();
    }
    Record(create ? Change::Op::kCreate : Change::Op::kUpdate, "parameter", p.name, p.scope,
           std::move(diff));
    return Status::Ok();
  }

  // The parameter's metadata (Description, KeyId) from DescribeParameters.
  Result<Value> Describe(const ParameterSpec& p, const std::string& what) {
    Value filter = Value::Struct();
    filter.Set("Key", Value::String("Name"));
    filter.Set("Option", Value::String("Equals"));
    filter.Set("Values", StringList({p.name}));
    Value filters = Value::List();
    filters.Append(std::move(filter));
    Value in = Value::Struct();
    in.Set("ParameterFilters", std::move(filters));
    auto out = Call(p.at, what, p.scope, "ssm", "DescribeParameters", std::move(in));
    if (!out.ok()) return out.status();
    const Value* list = out->Get("Parameters");
    if (list == nullptr || list->items().empty()) return Value::Struct();
    return list->items().front();
  }

  // ---- SNS topics and their subscriptions ----

  Status Topics() {
    std::set<std::pair<Scope, std::string>> seen;
    for (const TopicSpec& t : spec_.topics) {
      if (!seen.insert({t.scope, t.name}).second) {
        return Status(ErrorCode::kInvalidParameterValue,
                      fmt::format("{}: topic '{}' ({}) is declared twice", t.at.Text(), t.name,
                                  ScopeText(t.scope)));
      }
      if (Status s = Topic(t); !s.ok()) return s;
    }
    return Status::Ok();
  }

  Status Topic(const TopicSpec& t) {
    const std::string what = fmt::format("topic '{}'", t.name);
    const std::string arn = TopicArn(t.scope, t.name);
    Value get = Value::Struct();
    get.Set("TopicArn", Value::String(arn));
    auto found = invoker_.Call("sns", "GetTopicAttributes", Ctx(t.scope), std::move(get));
    if (!found.ok()) {
      if (invoker_.ErrorName("sns", found.status()) != "NotFound") {
        return Failure(t.at, what, t.scope, "sns", found.status());
      }
      Value create = Value::Struct();
      create.Set("Name", Value::String(t.name));
      if (!t.attributes.empty()) create.Set("Attributes", StringMap(t.attributes));
      if (!t.tags.empty()) {
        Value tags = Value::List();
        for (const auto& [k, v] : t.tags) {
          Value tag = Value::Struct();
          tag.Set("Key", Value::String(k));
          tag.Set("Value", Value::String(v));
          tags.Append(std::move(tag));
        }
        create.Set("Tags", std::move(tags));
      }
      if (auto r = Call(t.at, what, t.scope, "sns", "CreateTopic", std::move(create)); !r.ok()) {
        return r.status();
      }
      Record(Change::Op::kCreate, "topic", t.name, t.scope);
    } else {
      const auto current = MapOf(found->Get("Attributes"));
      std::vector<std::string> diff;
      for (const auto& [name, value] : t.attributes) {
        if (name == "FifoTopic") continue;  // fixed by the name
        auto it = current.find(name);
        const std::string now = it == current.end() ? "" : it->second;
        if (now == value) continue;
        Value set = Value::Struct();
        set.Set("TopicArn", Value::String(arn));
        set.Set("AttributeName", Value::String(name));
        set.Set("AttributeValue", Value::String(value));
        if (auto r = Call(t.at, what, t.scope, "sns", "SetTopicAttributes", std::move(set));
            !r.ok()) {
          return r.status();
        }
        diff.push_back(fmt::format("{}: {} -> {}", name, Quote(now), Quote(value)));
      }
      Record(OpOf(diff), "topic", t.name, t.scope, std::move(diff));
    }
    return Subscriptions(t, arn);
  }

  // The topic's subscriptions: (protocol, endpoint) -> ARN.
  Result<std::map<std::pair<std::string, std::string>, std::string>> ListSubscriptions(
      const TopicSpec& t, const std::string& arn) {
    std::map<std::pair<std::string, std::string>, std::string> out;
    std::string token;
    do {
      Value in = Value::Struct();
      in.Set("TopicArn", Value::String(arn));
      if (!token.empty()) in.Set("NextToken", Value::String(token));
      auto page = Call(t.at, fmt::format("topic '{}'", t.name), t.scope, "sns",
                       "ListSubscriptionsByTopic", std::move(in));
      if (!page.ok()) return page.status();
      if (const Value* subs = page->Get("Subscriptions")) {
        for (const Value& s : subs->items()) {
          out[{std::string(s.GetString("Protocol").value_or("")),
               std::string(s.GetString("Endpoint").value_or(""))}] =
              std::string(s.GetString("SubscriptionArn").value_or(""));
        }
      }
      token = std::string(page->GetString("NextToken").value_or(""));
    } while (!token.empty());
    return out;
  }

  Status Subscriptions(const TopicSpec& t, const std::string& topic_arn) {
    auto existing = ListSubscriptions(t, topic_arn);
    if (!existing.ok()) return existing.status();
    std::set<std::pair<std::string, std::string>> declared;
    for (const SubscriptionSpec& sub : t.subscriptions) {
      const std::string endpoint = sub.queue.empty() ? sub.endpoint : QueueArn(t.scope, sub.queue);
      const std::string name = fmt::format("{} -> {}", t.name, endpoint);
      const std::string what = fmt::format("subscription {}", name);
      declared.insert({sub.protocol, endpoint});
      auto it = existing->find({sub.protocol, endpoint});
      if (it == existing->end() || it->second == "PendingConfirmation") {
        Value in = Value::Struct();
        in.Set("TopicArn", Value::String(topic_arn));
        in.Set("Protocol", Value::String(sub.protocol));
        in.Set("Endpoint", Value::String(endpoint));
        if (!sub.attributes.empty()) in.Set("Attributes", StringMap(sub.attributes));
        in.Set("ReturnSubscriptionArn", Value::Bool(true));
        if (auto r = Call(sub.at, what, t.scope, "sns", "Subscribe", std::move(in)); !r.ok()) {
          return r.status();
        }
        Record(Change::Op::kCreate, "subscription", name, t.scope);
        continue;
      }
      Value get = Value::Struct();
      get.Set("SubscriptionArn", Value::String(it->second));
      auto attrs = Call(sub.at, what, t.scope, "sns", "GetSubscriptionAttributes", std::move(get));
      if (!attrs.ok()) return attrs.status();
      const auto current = MapOf(attrs->Get("Attributes"));
      std::vector<std::string> diff;
      std::map<std::string, std::string> target = sub.attributes;
      // Undeclared filter policy and raw delivery go back to none / false.
      if (current.count("FilterPolicy") && !target.count("FilterPolicy"))
        target["FilterPolicy"] = "";
      target.emplace("RawMessageDelivery", "false");
      for (const auto& [name_, value] : target) {
        auto cur = current.find(name_);
        const std::string now = cur == current.end() ? "" : cur->second;
        if (now == value || (name_ == "FilterPolicy" && SameJson(now, value))) continue;
        Value set = Value::Struct();
        set.Set("SubscriptionArn", Value::String(it->second));
        set.Set("AttributeName", Value::String(name_));
        set.Set("AttributeValue", Value::String(value));
        if (auto r =
                Call(sub.at, what, t.scope, "sns", "SetSubscriptionAttributes", std::move(set));
            !r.ok()) {
          return r.status();
        }
        diff.push_back(fmt::format("{}: {} -> {}", name_, Quote(now), Quote(value)));
      }
      Record(OpOf(diff), "subscription", name, t.scope, std::move(diff));
    }
    if (!spec_.prune.count("topics")) return Status::Ok();
    for (const auto& [key, arn] : *existing) {
      if (declared.count(key) || arn == "PendingConfirmation") continue;
      Value in = Value::Struct();
      in.Set("SubscriptionArn", Value::String(arn));
      const std::string name = fmt::format("{} -> {}", t.name, key.second);
      if (auto r = Call(t.at, "subscription " + name, t.scope, "sns", "Unsubscribe", std::move(in));
          !r.ok()) {
        return r.status();
      }
      Record(Change::Op::kDelete, "subscription", name, t.scope);
    }
    return Status::Ok();
  }

  // ---- CloudWatch alarms ----

  Status Alarms() {
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

  Status Alarm(const AlarmSpec& a) {
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
    if (auto r = Call(a.at, what, a.scope, "monitoring", "PutMetricAlarm", std::move(put));
        !r.ok()) {
      return r.status();
    }
    Record(exists ? Change::Op::kUpdate : Change::Op::kCreate, "alarm", a.name, a.scope,
           std::move(diff));
    return Status::Ok();
  }

  // ---- EventBridge rules and their targets ----

  Status Rules() {
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

  Status Rule(const RuleSpec& r) {
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
  Status Targets(const RuleSpec& r, const std::string& what, std::vector<std::string>& diff) {
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
      diff.push_back(fmt::format("target {}: {} -> {}", id,
                                 it == current.end() ? "(none)" : it->second, want));
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
      if (auto out = Call(r.at, what, r.scope, "events", "RemoveTargets", std::move(in));
          !out.ok()) {
        return out.status();
      }
    }
    return Status::Ok();
  }

  // ---- IAM customer managed policies and users ----

  Result<Value> Iam(const Where& at, const std::string& what, const Scope& scope,
                    std::string_view op,
                    std::initializer_list<std::pair<const char*, Value>> members) {
    Value in = Value::Struct();
    for (const auto& [name, v] : members) in.Set(name, v);
    return Call(at, what, scope, "iam", op, std::move(in));
  }

  Status Policies() {
    for (const PolicySpec& p : spec_.policies) {
      const std::string what = fmt::format("policy '{}'", p.name);
      const std::string arn =
          fmt::format("arn:aws:iam::{}:policy{}{}", p.scope.account, p.path, p.name);
      Value get = Value::Struct();
      get.Set("PolicyArn", Value::String(arn));
      auto found = invoker_.Call("iam", "GetPolicy", Ctx(p.scope), std::move(get));
      if (!found.ok()) {
        if (invoker_.ErrorName("iam", found.status()) != "NoSuchEntity") {
          return Failure(p.at, what, p.scope, "iam", found.status());
        }
        Value in = Value::Struct();
        in.Set("PolicyName", Value::String(p.name));
        in.Set("Path", Value::String(p.path));
        in.Set("PolicyDocument", Value::String(p.document));
        if (!p.description.empty()) in.Set("Description", Value::String(p.description));
        if (auto r = Call(p.at, what, p.scope, "iam", "CreatePolicy", std::move(in)); !r.ok()) {
          return r.status();
        }
        Record(Change::Op::kCreate, "policy", p.name, p.scope);
        continue;
      }
      const std::string version(found->Get("Policy")->GetString("DefaultVersionId").value_or("v1"));
      auto doc = Iam(p.at, what, p.scope, "GetPolicyVersion",
                     {{"PolicyArn", Value::String(arn)}, {"VersionId", Value::String(version)}});
      if (!doc.ok()) return doc.status();
      const std::string now =
          UrlDecode(doc->Get("PolicyVersion")->GetString("Document").value_or(""));
      if (SameJson(now, p.document)) {
        Record(Change::Op::kUnchanged, "policy", p.name, p.scope);
        continue;
      }
      // At most five versions: the oldest non-default one makes room for the new default.
      auto versions =
          Iam(p.at, what, p.scope, "ListPolicyVersions", {{"PolicyArn", Value::String(arn)}});
      if (!versions.ok()) return versions.status();
      const Value* list = versions->Get("Versions");
      if (list != nullptr && list->items().size() >= 5) {
        std::string oldest;
        for (const Value& v : list->items()) {
          if (!v.GetBool("IsDefaultVersion").value_or(false)) {
            oldest = std::string(v.GetString("VersionId").value_or(""));
          }
        }
        if (auto r = Iam(p.at, what, p.scope, "DeletePolicyVersion",
                         {{"PolicyArn", Value::String(arn)}, {"VersionId", Value::String(oldest)}});
            !r.ok()) {
          return r.status();
        }
      }
      if (auto r = Iam(p.at, what, p.scope, "CreatePolicyVersion",
                       {{"PolicyArn", Value::String(arn)},
                        {"PolicyDocument", Value::String(p.document)},
                        {"SetAsDefault", Value::Bool(true)}});
          !r.ok()) {
        return r.status();
      }
      std::vector<std::string> diff{"document: changed (a new default version)"};
      Record(Change::Op::kUpdate, "policy", p.name, p.scope, std::move(diff));
    }
    return Status::Ok();
  }

  Status Users() {
    for (const UserSpec& u : spec_.users) {
      if (Status s = User(u); !s.ok()) return s;
    }
    return Status::Ok();
  }

  Status User(const UserSpec& u) {
    const std::string what = fmt::format("user '{}'", u.name);
    const Value name = Value::String(u.name);
    Value get = Value::Struct();
    get.Set("UserName", name);
    auto found = invoker_.Call("iam", "GetUser", Ctx(u.scope), std::move(get));
    const bool created = !found.ok();
    if (created) {
      if (invoker_.ErrorName("iam", found.status()) != "NoSuchEntity") {
        return Failure(u.at, what, u.scope, "iam", found.status());
      }
      if (auto r = Iam(u.at, what, u.scope, "CreateUser",
                       {{"UserName", name}, {"Path", Value::String(u.path)}});
          !r.ok()) {
        return r.status();
      }
    }
    std::vector<std::string> diff;
    // Inline policies: exactly the declared ones.
    auto names = Iam(u.at, what, u.scope, "ListUserPolicies", {{"UserName", name}});
    if (!names.ok()) return names.status();
    std::set<std::string> current;
    if (const Value* list = names->Get("PolicyNames")) {
      for (const Value& n : list->items()) current.insert(n.as_string());
    }
    for (const auto& [policy, document] : u.inline_policies) {
      if (current.count(policy)) {
        auto doc = Iam(u.at, what, u.scope, "GetUserPolicy",
                       {{"UserName", name}, {"PolicyName", Value::String(policy)}});
        if (!doc.ok()) return doc.status();
        if (SameJson(UrlDecode(doc->GetString("PolicyDocument").value_or("")), document)) continue;
      }
      if (auto r = Iam(u.at, what, u.scope, "PutUserPolicy",
                       {{"UserName", name},
                        {"PolicyName", Value::String(policy)},
                        {"PolicyDocument", Value::String(document)}});
          !r.ok()) {
        return r.status();
      }
      diff.push_back(
          fmt::format("policy {}: {}", policy, current.count(policy) ? "changed" : "added"));
    }
    for (const std::string& policy : current) {
      if (u.inline_policies.count(policy)) continue;
      if (auto r = Iam(u.at, what, u.scope, "DeleteUserPolicy",
                       {{"UserName", name}, {"PolicyName", Value::String(policy)}});
          !r.ok()) {
        return r.status();
      }
      diff.push_back(fmt::format("policy {}: removed", policy));
    }
    // Attached managed policies: exactly the declared ones.
    auto attached = Iam(u.at, what, u.scope, "ListAttachedUserPolicies", {{"UserName", name}});
    if (!attached.ok()) return attached.status();
    std::set<std::string> arns;
    if (const Value* list = attached->Get("AttachedPolicies")) {
      for (const Value& a : list->items()) arns.emplace(a.GetString("PolicyArn").value_or(""));
    }
    for (const std::string& arn : u.managed_policies) {
      if (arns.count(arn)) continue;
      if (auto r = Iam(u.at, what, u.scope, "AttachUserPolicy",
                       {{"UserName", name}, {"PolicyArn", Value::String(arn)}});
          !r.ok()) {
        return r.status();
      }
      diff.push_back(fmt::format("attached {}", arn));
    }
    for (const std::string& arn : arns) {
      if (std::find(u.managed_policies.begin(), u.managed_policies.end(), arn) !=
          u.managed_policies.end()) {
        continue;
      }
      if (auto r = Iam(u.at, what, u.scope, "DetachUserPolicy",
                       {{"UserName", name}, {"PolicyArn", Value::String(arn)}});
          !r.ok()) {
        return r.status();
      }
      diff.push_back(fmt::format("detached {}", arn));
    }
    if (created) {
      Record(Change::Op::kCreate, "user", u.name, u.scope);
    } else {
      Record(OpOf(diff), "user", u.name, u.scope, std::move(diff));
    }
    return Status::Ok();
  }

  // ---- prune ----

  Status PruneAlarms() {
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
        auto page = Call(PruneWhere(), "prune alarms", scope, "monitoring", "DescribeAlarms",
                         std::move(in));
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
  Status PruneRules() {
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
        auto targets =
            Call(PruneWhere(), what, scope, "events", "ListTargetsByRule", std::move(in));
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

  // The account/region pairs a kind is pruned in: those its declarations name, and the default.
  template <typename Items>
  std::set<Scope> ScopesOf(const Items& items) const {
    std::set<Scope> out{spec_.default_scope};
    for (const auto& item : items) out.insert(item.scope);
    return out;
  }

  Where PruneWhere() const { return spec_.prune_at; }

  Status PruneQueues() {
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

  Status PruneParameters() {
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
        auto page = Call(PruneWhere(), "prune parameters", scope, "ssm", "DescribeParameters",
                         std::move(in));
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

  Status PruneTopics() {
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

  const Spec& spec_;
  const Invoker& invoker_;
  const ApplyOptions& options_;
  void Record(Change::Op op, std::string kind, std::string name, const Scope& scope) {
    Record(op, std::move(kind), std::move(name), scope, std::vector<std::string>{});
  }

  std::vector<Change> changes_;
  std::map<std::pair<Scope, std::string>, std::string> urls_;  // declared queues' URLs
};

}  // namespace

Result<std::vector<Change>> Apply(const Spec& spec, const Invoker& invoker,
                                  const ApplyOptions& options) {
  return Run(spec, invoker, options).Go();
}

std::string FormatChanges(const std::vector<Change>& changes) {
  std::string out;
  int counts[4] = {0, 0, 0, 0};
  for (const Change& c : changes) {
    static constexpr char kSigns[] = {'+', '~', '-', '='};
    counts[static_cast<int>(c.op)]++;
    out += fmt::format("{} {} {} ({})\n", kSigns[static_cast<int>(c.op)], c.kind, c.name,
                       ScopeText(c.scope));
    for (const std::string& d : c.diff) out += fmt::format("    {}\n", d);
  }
  out += fmt::format("Plan: {} to create, {} to update, {} to delete, {} unchanged.\n", counts[0],
                     counts[1], counts[2], counts[3]);
  return out;
}

}  // namespace sluice::provision
