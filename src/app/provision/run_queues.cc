#include "app/provision/run.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <functional>

#include "engine/queue_config.h"

namespace sluice::provision::detail {

// Declared queues in dependency order: a dead-letter queue declared in the file before the
// queues that name it. A cycle is an error at the dead_letter line that closes it.
Result<std::vector<const QueueSpec*>> Run::QueueOrder() const {
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

Status Run::Queues() {
  auto order = QueueOrder();
  if (!order.ok()) return order.status();
  for (const QueueSpec* q : *order) {
    if (Status s = Queue(*q); !s.ok()) return s;
  }
  return Status::Ok();
}

Status Run::Queue(const QueueSpec& q) {
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
    if (auto r = Call(q.at, what, q.scope, "sqs", "SetQueueAttributes", std::move(set)); !r.ok()) {
      return r.status();
    }
  }
  if (Status s = QueueTags(q, url, what, diff); !s.ok()) return s;
  Record(OpOf(diff), "queue", q.name, q.scope, std::move(diff));
  return Status::Ok();
}

Status Run::QueueTags(const QueueSpec& q, const std::string& url, const std::string& what,
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
Result<std::string> Run::QueueUrl(const Where& at, const std::string& what, const Scope& scope,
                                  const std::string& name) {
  if (auto it = urls_.find({scope, name}); it != urls_.end()) return it->second;
  Value get = Value::Struct();
  get.Set("QueueName", Value::String(name));
  auto found = Call(at, what, scope, "sqs", "GetQueueUrl", std::move(get));
  if (!found.ok()) return found.status();
  return std::string(found->GetString("QueueUrl").value_or(""));
}

}  // namespace sluice::provision::detail
