#include "app/provision/run.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <functional>

namespace sluice::provision::detail {

Status Run::Topics() {
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

Status Run::Topic(const TopicSpec& t) {
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
Result<std::map<std::pair<std::string, std::string>, std::string>> Run::ListSubscriptions(
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

Status Run::Subscriptions(const TopicSpec& t, const std::string& topic_arn) {
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
    if (current.count("FilterPolicy") && !target.count("FilterPolicy")) target["FilterPolicy"] = "";
    target.emplace("RawMessageDelivery", "false");
    for (const auto& [name_, value] : target) {
      auto cur = current.find(name_);
      const std::string now = cur == current.end() ? "" : cur->second;
      if (now == value || (name_ == "FilterPolicy" && SameJson(now, value))) continue;
      Value set = Value::Struct();
      set.Set("SubscriptionArn", Value::String(it->second));
      set.Set("AttributeName", Value::String(name_));
      set.Set("AttributeValue", Value::String(value));
      if (auto r = Call(sub.at, what, t.scope, "sns", "SetSubscriptionAttributes", std::move(set));
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

}  // namespace sluice::provision::detail
