// The router's inside, shared by its files (router.cc: the facade, the rule indexes and the
// start; router_delivery.cc: payloads and deliveries; router_retries.cc: the outbox and API
// destination calls; router_schedules.cc: scheduled rules). Not for other files.
#pragma once

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <future>
#include <map>
#include <mutex>
#include <unordered_map>

#include "auth/auth.h"
#include "auth/policy.h"
#include "common/ids.h"
#include "common/json_record.h"
#include "common/workers.h"
#include "engine/engine.h"
#include "net/http_client.h"
#include "rules/pattern.h"
#include "services/events/api_destinations.h"
#include "services/events/archives.h"
#include "services/events/router.h"
#include "services/events/schedule.h"
#include "services/events/transform.h"
#include "services/sns/access.h"
#include "services/sns/arn.h"

namespace sluice::events {
namespace router_detail {

using namespace json_record;  // NOLINT(google-build-using-namespace)

inline constexpr char kDeliveryKind[] = "events.delivery";
inline constexpr char kService[] = "events.amazonaws.com";
inline constexpr int kMaxCatchUp = 100;  // scheduled firings made up after the clock jumps

inline std::string ScopeKey(const engine::ResourceScope& s, const std::string& bus) {
  return s.account + "\n" + s.region + "\n" + bus;
}

// Why a delivery failed: transient (retry) or not (dead-letter at once).
struct Failure {
  std::string code;
  std::string message;
  bool transient = false;
};

inline bool IsTransient(const Status& st) {
  return st.code() == ErrorCode::kServiceUnavailable || st.code() == ErrorCode::kInternalError ||
         st.code() == ErrorCode::kRequestThrottled;
}

// A retry in the outbox.
struct Task {
  std::string id;
  engine::ResourceScope scope;  // the rule's
  std::string bus, rule, target_id, target_arn;
  std::string event_id;
  std::string event_json;  // the event (the dead-letter queue gets it)
  std::string payload;     // what the target receives (the record's secret part)
  std::string group_id;
  std::string http;  // API destinations: the resolved HttpParameters (EncodeHttpParts)
  int hops = 0;
  int attempts = 0;  // attempts made
  Millis first_ms = 0;
  Millis next_ms = 0;
  std::string last_code, last_message;
  std::string owner;          // the node that makes it (engine/node_lease.h); "" not shared
  std::uint64_t version = 0;  // the record's, for compare-and-set
  std::uint64_t epoch = 0;    // not stored: the lease epoch when known to be this node's
};

inline std::string EncodeTask(const Task& t) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  Str(w, "bus", t.bus);
  Str(w, "rule", t.rule);
  Str(w, "target_id", t.target_id);
  Str(w, "target_arn", t.target_arn);
  Str(w, "event_id", t.event_id);
  Str(w, "event", t.event_json);
  Str(w, "group_id", t.group_id);
  Str(w, "http", t.http);
  Str(w, "last_code", t.last_code);
  Str(w, "last_message", t.last_message);
  w.Key("hops");
  w.Int(t.hops);
  w.Key("attempts");
  w.Int(t.attempts);
  w.Key("first_ms");
  w.Int64(t.first_ms);
  w.Key("next_ms");
  w.Int64(t.next_ms);
  if (!t.owner.empty()) Str(w, "owner", t.owner);
  w.EndObject();
  return buf.GetString();
}

inline std::optional<Task> DecodeTask(const engine::ResourceScope& scope,
                                      const engine::ResourceRecord& r) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(r.value.data(), r.value.size());
  if (d.HasParseError() || !d.IsObject()) return std::nullopt;
  Task t;
  t.id = r.name;
  t.scope = scope;
  t.bus = GetStr(d, "bus");
  t.rule = GetStr(d, "rule");
  t.target_id = GetStr(d, "target_id");
  t.target_arn = GetStr(d, "target_arn");
  t.event_id = GetStr(d, "event_id");
  t.event_json = GetStr(d, "event");
  t.group_id = GetStr(d, "group_id");
  t.http = GetStr(d, "http");
  t.last_code = GetStr(d, "last_code");
  t.last_message = GetStr(d, "last_message");
  t.hops = static_cast<int>(GetInt(d, "hops"));
  t.attempts = static_cast<int>(GetInt(d, "attempts"));
  t.first_ms = GetInt(d, "first_ms");
  t.next_ms = GetInt(d, "next_ms");
  t.owner = GetStr(d, "owner");
  t.payload = r.secret;
  t.version = r.version;
  return t;
}

inline std::string TaskOwner(const engine::ResourceRecord& r) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(r.value.data(), r.value.size());
  if (d.HasParseError() || !d.IsObject()) return {};
  return GetStr(d, "owner");
}

inline std::string TaskWithOwner(const engine::ResourceRecord& r, const std::string& owner) {
  auto t = DecodeTask({}, r);
  if (!t) return r.value;
  t->owner = owner;
  return EncodeTask(*t);
}

// Exponential backoff: 1 s, 2 s, 4 s ... at most 5 minutes.
inline Millis RetryDelayMs(int attempts) {
  const int shift = std::min(attempts - 1, 9);
  return std::min<Millis>(Millis{1000} << std::max(shift, 0), 300'000);
}

// arn:aws:events:<region>:<account>:event-bus/<name>
struct BusRef {
  engine::ResourceScope scope;
  std::string name;
};
inline std::optional<BusRef> ParseBusArn(std::string_view arn) {
  auto parts = sns::ParseArn(arn);
  if (!parts || parts->service != "events" || parts->resource.rfind("event-bus/", 0) != 0) {
    return std::nullopt;
  }
  return BusRef{{parts->account, parts->region}, parts->resource.substr(10)};
}

// A root principal of `account`, for calls made on its behalf (SNS Publish).
inline RequestContext RootContext(const std::string& account, const std::string& region,
                                  bool auth) {
  RequestContext ctx;
  ctx.request_id = NewUuid();
  ctx.account_id = account;
  ctx.region = region;
  ctx.protocol = WireProtocol::kQuery;
  if (auth) {
    auto root = std::make_shared<auth::Principal>();
    root->kind = auth::Principal::Kind::kRoot;
    root->account_id = account;
    root->arn = fmt::format("arn:aws:iam::{}:root", account);
    root->unique_id = account;
    root->name = "root";
    ctx.authenticated = true;
    ctx.principal_arn = root->arn;
    ctx.sender_id = root->unique_id;
    ctx.principal = std::move(root);
  }
  return ctx;
}

// Whether a bus policy lets `account` put events on `bus_arn`.
inline bool BusAllows(const std::string& policy_text, const std::string& bus_arn,
                      const std::string& account, Millis now) {
  if (policy_text.empty()) return false;
  auto policy = auth::ParsePolicy(policy_text, auth::PolicyKind::kResource);
  if (!policy.ok()) return false;
  const std::string principal = fmt::format("arn:aws:iam::{}:root", account);
  auth::RequestFacts facts;
  facts.principal_arn = principal;
  facts.principal_account = account;
  facts.now_ms = now;
  const auth::Decision d = policy->Evaluate({"events:PutEvents", bus_arn, &facts});
  return !d.deny && d.allow;
}

}  // namespace router_detail

using namespace router_detail;  // NOLINT(google-build-using-namespace): the router's files only

struct Router::Core : std::enable_shared_from_this<Core> {
  Core(const services::Platform& p, Clock& t, RouterOptions o)
      : platform(p),
        timer(t),
        options(std::move(o)),
        lease(*p.resources, *p.clock, "events", options.node, options.lease),
        workers(options.worker_threads) {}

  services::Platform platform;
  Clock& timer;
  RouterOptions options;
  engine::NodeLease lease;
  Workers workers;
  Router* router = nullptr;  // the facade, for replays

  // ---- the index per bus ---------------------------------------------------------------------
  struct BusIndex {
    rules::RuleSet set;
    std::unordered_map<std::string, std::shared_ptr<const Rule>> rules;  // by name
    rules::RuleSet archive_set;                                          // archives with a pattern
    std::vector<std::string> archive_all;                                // archives without one
    bool empty() const { return set.size() == 0 && archive_set.size() == 0 && archive_all.empty(); }
  };
  std::mutex index_mu;
  std::unordered_map<std::string, std::shared_ptr<BusIndex>> indexes;
  std::unordered_map<std::string, std::uint64_t> generations;  // by bus key
  // Other nodes' changes of rules and archives when the indexes were last dropped for them.
  std::uint64_t remote_seen = 0;

  // ---- schedules -----------------------------------------------------------------------------
  std::mutex schedule_mu;
  std::unordered_map<std::string, std::uint64_t> armed;  // rule key -> generation
  std::uint64_t next_generation = 1;

  // ---- API destinations ----------------------------------------------------------------------
  struct RateWindow {
    Millis second = -1;  // the clock's second counted
    std::int64_t used = 0;
  };
  std::mutex api_mu;
  std::unordered_map<std::string, RateWindow> rates;          // by destination ARN
  std::unordered_map<std::string, std::string> oauth_tokens;  // by connection ARN

  // ---- retries -------------------------------------------------------------------------------
  std::atomic<std::uint64_t> matched{0}, delivered{0}, failed{0}, retried{0}, dead_lettered{0},
      scheduled{0};

  Result<std::shared_ptr<BusIndex>> Index(const engine::ResourceScope& scope,
                                          const std::string& bus);

  void Invalidate(const engine::ResourceScope& scope, const std::string& bus);

  // ---- payloads ------------------------------------------------------------------------------
  static std::string Payload(const Rule& rule, const Target& target, const rapidjson::Value& event,
                             const std::string& event_json, Millis ingested_ms);

  // ---- delivery ------------------------------------------------------------------------------

  // Sends one message to an SQS queue; `then` gets the outcome.
  void SendToQueue(const std::string& arn, const std::string& rule_arn,
                   const std::string& rule_account, engine::SendRequest request,
                   std::function<void(std::optional<Failure>)> then);

  // Delivers `payload` to the target; `then` gets the outcome.
  void Invoke(const Rule& rule, const std::string& target_arn, const std::string& payload,
              const std::string& event_id, const std::string& group_id, int hops,
              std::function<void(std::optional<Failure>)> then);

  Result<std::optional<Bus>> LoadBus(const engine::ResourceScope& scope, const std::string& name);

  // Sends the event to the target's dead-letter queue (when it has one) with AWS's attributes.
  void DeadLetter(const Rule& rule, const Target& target, const std::string& event_json,
                  const Failure& f, int attempts, std::string_view exhausted,
                  const std::shared_ptr<Job>& job);

  // Delivers one event to one target of a rule, for Put: the job waits for the delivery, its
  // dead-lettering, or its outbox record.
  void Deliver(const std::shared_ptr<Job>& job, const std::shared_ptr<const Rule>& rule,
               const Target& target, const rapidjson::Value& event,
               const std::shared_ptr<const BusEvent>& e, int hops);

  // Keeps the event in every archive of the bus it matches, durably (the job fails otherwise).
  void ArchiveEvent(const engine::ResourceScope& scope, const BusIndex& idx, const BusEvent& e,
                    const rules::ParsedBody& body, const std::shared_ptr<Job>& job);

  void Put(const engine::ResourceScope& scope, const std::string& bus, std::vector<BusEvent> events,
           std::function<void(Status)> done, int hops);

  // ---- retries -------------------------------------------------------------------------------

  void ScheduleTask(Task task);

  void Forget(const Task& t);

  // On a shared store: whether this node may make the task now (its lease valid; after a lapse
  // of the lease, the task's record still its own, else it is dropped). One that must wait is
  // scheduled again a scan period later.
  bool Mine(Task& task);

  void Retry(Task task);

  // ---- API destinations ----------------------------------------------------------------------

  // Calls the API destination for `task`; `then` gets the outcome. Over the destination's rate
  // the task waits for the next second of the clock (no attempt counted).
  void InvokeApi(Task task, std::function<void(std::optional<Failure>)> then);

  void FetchToken(Connection conn, ApiDestination dest, Task task,
                  std::function<void(std::optional<Failure>)> then);

  void Call(const ApiDestination& dest, const Connection& conn, const Task& task,
            const std::string& bearer, std::function<void(std::optional<Failure>)> then);

  // ---- schedules -----------------------------------------------------------------------------

  void Arm(const engine::ResourceScope& scope, const std::string& bus, const std::string& name,
           std::optional<Millis> after = std::nullopt, int catch_up = 0);

  // Nodes sharing the store (PostgreSQL) each arm the schedules they know: the first to record
  // the firing at `at` of the rule fires it, the others skip it (one record per rule,
  // "events.fired": the last firing's time).
  bool Claim(const engine::ResourceScope& scope, const std::string& bus, const std::string& name,
             Millis at);

  void Fire(const engine::ResourceScope& scope, const std::string& bus, const std::string& name,
            Millis at);

  Status Start();

  Status ArmSchedules();
};

}  // namespace sluice::events
