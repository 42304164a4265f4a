#include "app/provision/run.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <functional>

#include <rapidjson/document.h>

#include "engine/queue_config.h"

namespace sluice::provision::detail {

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

Result<std::vector<Change>> Run::Go() {
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

RequestContext Run::Ctx(const Scope& scope) const {
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
Result<Value> Run::Call(const Where& at, const std::string& what, const Scope& scope,
                        std::string_view service, std::string_view op, Value input) {
  auto r = invoker_.Call(service, op, Ctx(scope), std::move(input));
  if (!r.ok()) return Failure(at, what, scope, service, r.status());
  return r;
}

Status Run::Failure(const Where& at, const std::string& what, const Scope& scope,
                    std::string_view service, const Status& st) const {
  return Status(st.code(), fmt::format("{}: {} ({}): {}: {}", at.Text(), what, ScopeText(scope),
                                       invoker_.ErrorName(service, st), st.message()));
}

// Callers pass std::move(diff) beside OpOf(diff): taken by rvalue reference, the diff is moved
// only in the body, whatever order the arguments are evaluated in.
void Run::Record(Change::Op op, std::string kind, std::string name, const Scope& scope,
                 std::vector<std::string>&& diff) {
  changes_.push_back(Change{op, std::move(kind), std::move(name), scope, std::move(diff)});
}

void Run::Record(Change::Op op, std::string kind, std::string name, const Scope& scope) {
  Record(op, std::move(kind), std::move(name), scope, std::vector<std::string>{});
}

}  // namespace sluice::provision::detail
