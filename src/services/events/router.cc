#include "services/events/router.h"

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
#include "services/events/schedule.h"
#include "services/events/transform.h"
#include "services/sns/access.h"
#include "services/sns/arn.h"

namespace sluice::events {
namespace {

using namespace json_record;  // NOLINT(google-build-using-namespace)

constexpr char kDeliveryKind[] = "events.delivery";
constexpr char kService[] = "events.amazonaws.com";
constexpr int kMaxCatchUp = 100;  // scheduled firings made up after the clock jumps

std::string ScopeKey(const engine::ResourceScope& s, const std::string& bus) {
  return s.account + "\n" + s.region + "\n" + bus;
}

// Why a delivery failed: transient (retry) or not (dead-letter at once).
struct Failure {
  std::string code;
  std::string message;
  bool transient = false;
};

bool IsTransient(const Status& st) {
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

std::string EncodeTask(const Task& t) {
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

std::optional<Task> DecodeTask(const engine::ResourceScope& scope,
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

std::string TaskOwner(const engine::ResourceRecord& r) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(r.value.data(), r.value.size());
  if (d.HasParseError() || !d.IsObject()) return {};
  return GetStr(d, "owner");
}

std::string TaskWithOwner(const engine::ResourceRecord& r, const std::string& owner) {
  auto t = DecodeTask({}, r);
  if (!t) return r.value;
  t->owner = owner;
  return EncodeTask(*t);
}

// Exponential backoff: 1 s, 2 s, 4 s ... at most 5 minutes.
Millis RetryDelayMs(int attempts) {
  const int shift = std::min(attempts - 1, 9);
  return std::min<Millis>(Millis{1000} << std::max(shift, 0), 300'000);
}

// arn:aws:events:<region>:<account>:event-bus/<name>
struct BusRef {
  engine::ResourceScope scope;
  std::string name;
};
std::optional<BusRef> ParseBusArn(std::string_view arn) {
  auto parts = sns::ParseArn(arn);
  if (!parts || parts->service != "events" || parts->resource.rfind("event-bus/", 0) != 0) {
    return std::nullopt;
  }
  return BusRef{{parts->account, parts->region}, parts->resource.substr(10)};
}

// A root principal of `account`, for calls made on its behalf (SNS Publish).
RequestContext RootContext(const std::string& account, const std::string& region, bool auth) {
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
bool BusAllows(const std::string& policy_text, const std::string& bus_arn,
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

}  // namespace

std::string EventTime(Millis ms) {
  std::string iso;
  AppendIso8601(ms, &iso);  // 2024-01-15T12:00:00.123Z
  if (iso.size() == 24) iso = iso.substr(0, 19) + "Z";
  return iso;
}

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
                                          const std::string& bus) {
    const std::string key = ScopeKey(scope, bus);
    std::uint64_t generation = 0;
    const std::uint64_t remote = platform.resources->RemoteChanges(kRuleKind) +
                                 platform.resources->RemoteChanges(kArchiveKind);
    {
      std::lock_guard lock(index_mu);
      if (remote != remote_seen) {  // another node changed rules or archives: build afresh
        remote_seen = remote;
        for (auto& [k, g] : generations) ++g;
        indexes.clear();
      }
      if (auto it = indexes.find(key); it != indexes.end()) return it->second;
      generation = generations[key];
    }
    engine::ResourceStore::ListOptions list;
    const std::string prefix = bus + "\n";
    list.prefix = prefix;
    auto records = platform.resources->List(kRuleKind, scope, list);
    if (!records.ok()) return records.status();
    auto index = std::make_shared<BusIndex>();
    std::vector<std::pair<std::string, std::shared_ptr<const rules::Pattern>>> patterns;
    for (const engine::ResourceRecord& r : *records) {
      auto rule = DecodeRule(scope, r);
      if (!rule.ok()) continue;
      if (!rule->Enabled() || rule->pattern.empty()) continue;
      auto pattern = rules::Pattern::Compile(rule->pattern, rules::Dialect::kEventBridge);
      if (!pattern.ok()) continue;
      std::string name = rule->name;
      patterns.emplace_back(name, std::move(*pattern));
      index->rules.emplace(std::move(name), std::make_shared<const Rule>(std::move(*rule)));
    }
    index->set.Reset(std::move(patterns));
    auto archives = platform.resources->List(kArchiveKind, scope, {});
    if (!archives.ok()) return archives.status();
    std::vector<std::pair<std::string, std::shared_ptr<const rules::Pattern>>> archive_patterns;
    for (const engine::ResourceRecord& r : *archives) {
      auto a = DecodeArchive(scope, r);
      if (!a.ok() || a->bus != bus || a->state != "ENABLED") continue;
      if (a->pattern.empty()) {
        index->archive_all.push_back(a->name);
        continue;
      }
      auto pattern = rules::Pattern::Compile(a->pattern, rules::Dialect::kEventBridge);
      if (pattern.ok()) archive_patterns.emplace_back(a->name, std::move(*pattern));
    }
    index->archive_set.Reset(std::move(archive_patterns));
    std::lock_guard lock(index_mu);
    if (generations[key] == generation) indexes[key] = index;
    return index;
  }

  void Invalidate(const engine::ResourceScope& scope, const std::string& bus) {
    const std::string key = ScopeKey(scope, bus);
    std::lock_guard lock(index_mu);
    ++generations[key];
    indexes.erase(key);
  }

  // ---- payloads ------------------------------------------------------------------------------
  static std::string Payload(const Rule& rule, const Target& target, const rapidjson::Value& event,
                             const std::string& event_json, Millis ingested_ms) {
    if (auto input = target.Str("Input")) return *input;
    if (auto path = target.Str("InputPath")) {
      auto steps = ParseJsonPath(*path);
      const rapidjson::Value* v = steps ? SelectPath(event, *steps) : nullptr;
      return v != nullptr ? JsonText(*v) : std::string();
    }
    if (const protocol::Value* t = target.value.Get("InputTransformer")) {
      std::map<std::string, std::string> paths;
      if (const protocol::Value* m = t->Get("InputPathsMap")) {
        for (const auto& [k, v] : m->entries()) paths[k] = v.as_string();
      }
      const std::string input_template(t->GetString("InputTemplate").value_or(""));
      const std::string arn = rule.Arn();
      const std::string ingested = EventTime(ingested_ms);
      TemplateContext ctx{&event, event_json, arn, rule.name, ingested};
      return RenderTemplate(paths, input_template, ctx);
    }
    return event_json;
  }

  // ---- delivery ------------------------------------------------------------------------------

  // Sends one message to an SQS queue; `then` gets the outcome.
  void SendToQueue(const std::string& arn, const std::string& rule_arn,
                   const std::string& rule_account, engine::SendRequest request,
                   std::function<void(std::optional<Failure>)> then) {
    auto ref = sns::ParseQueueArn(arn);
    engine::Engine& engine = *platform.queues;
    if (!ref) return then(Failure{"InvalidArn", "not an SQS queue ARN: " + arn});
    engine::QueueId id{ref->account, ref->name, ref->region};
    if (!engine.QueueExists(id) || engine.QueueArn(id) != arn) {
      return then(Failure{"SQS.NonExistentQueue", "The specified queue does not exist."});
    }
    if (options.authenticated) {
      static const std::vector<std::string> kPolicy = {"Policy"};
      auto attributes = engine.GetQueueAttributes(id, kPolicy);
      std::string policy;
      if (attributes.ok()) {
        auto it = attributes->find("Policy");
        if (it != attributes->end()) policy = it->second;
      }
      if (!sns::QueueAllowsService(policy, arn, kService, rule_arn, rule_account,
                                   platform.clock->NowMs())) {
        return then(Failure{"SQS.AccessDenied",
                            "The queue's policy does not allow events.amazonaws.com to send "
                            "messages for " +
                                rule_arn});
      }
    }
    const bool fifo = ref->name.size() > 5 && ref->name.ends_with(".fifo");
    if (fifo && !request.group_id) {
      return then(Failure{"SQS.InvalidParameterValue",
                          "The request must contain the parameter MessageGroupId."});
    }
    if (!fifo) request.dedup_id.reset();
    if (!fifo) request.group_id.reset();
    std::vector<engine::SendRequest> batch;
    batch.push_back(std::move(request));
    auto self = shared_from_this();
    engine.Send(id, std::move(batch),
                [self, then = std::move(then)](
                    Result<std::vector<Result<engine::SendResult>>> result) mutable {
                  Status st = !result.ok()         ? result.status()
                              : result->empty()    ? Status(ErrorCode::kInternalError, "no result")
                              : !(*result)[0].ok() ? (*result)[0].status()
                                                   : Status::Ok();
                  // Success completes on the engine's thread (no hop: the answer goes out
                  // sooner); failures, which write the store, on the workers.
                  if (st.ok()) return then(std::nullopt);
                  self->workers.Post([st, then = std::move(then)] {
                    then(Failure{st.type() != nullptr ? std::string(st.type()->code)
                                                      : std::string("SQS.InternalError"),
                                 st.message(), IsTransient(st)});
                  });
                });
  }

  // Delivers `payload` to the target; `then` gets the outcome.
  void Invoke(const Rule& rule, const std::string& target_arn, const std::string& payload,
              const std::string& event_id, const std::string& group_id, int hops,
              std::function<void(std::optional<Failure>)> then) {
    auto parts = sns::ParseArn(target_arn);
    const std::string service = parts ? parts->service : std::string();
    if (service == "sqs") {
      engine::SendRequest r;
      r.body = payload;
      r.size = r.body.size();
      r.sender_id = "AIDAIE6VAXUQU2DKHA7DK";  // what EventBridge's deliveries carry
      if (!group_id.empty()) r.group_id = group_id;
      r.dedup_id = event_id;
      return SendToQueue(target_arn, rule.Arn(), rule.scope.account, std::move(r), std::move(then));
    }
    if (service == "sns") {
      if (!options.sns_publish) {
        return then(Failure{"SNS.Unavailable", "SNS is not available", false});
      }
      protocol::Value input = protocol::Value::Struct();
      input.Set("TopicArn", protocol::Value::String(target_arn));
      input.Set("Message", protocol::Value::String(payload));
      if (target_arn.ends_with(".fifo")) {
        input.Set("MessageGroupId",
                  protocol::Value::String(group_id.empty() ? rule.name : group_id));
        input.Set("MessageDeduplicationId", protocol::Value::String(event_id));
      }
      const RequestContext ctx =
          RootContext(rule.scope.account, parts->region, options.authenticated);
      auto self = shared_from_this();
      options.sns_publish(
          ctx, std::move(input), [self, then = std::move(then)](Result<protocol::Value> r) mutable {
            std::optional<Failure> f;
            if (!r.ok()) {
              const Status& st = r.status();
              f = Failure{st.type() != nullptr ? "SNS." + std::string(st.type()->code)
                                               : std::string("SNS.Error"),
                          st.message(), IsTransient(st)};
            }
            if (!f) return then(std::nullopt);
            self->workers.Post([f, then = std::move(then)] { then(f); });
          });
      return;
    }
    if (service == "events") {
      auto bus = ParseBusArn(target_arn);
      if (!bus) return then(Failure{"InvalidArn", "not an event bus ARN: " + target_arn});
      if (hops + 1 > options.max_hops) {
        return then(Failure{"EventBus.LoopDetected",
                            "The event was forwarded between buses too many times."});
      }
      auto target_bus = LoadBus(bus->scope, bus->name);
      if (!target_bus.ok()) {
        return then(Failure{"InternalError", target_bus.status().message(), true});
      }
      if (!target_bus->has_value()) {
        return then(Failure{"ResourceNotFoundException",
                            fmt::format("Event bus {} does not exist.", bus->name)});
      }
      if (options.authenticated && bus->scope.account != rule.scope.account &&
          !BusAllows((*target_bus)->policy, target_arn, rule.scope.account,
                     platform.clock->NowMs())) {
        return then(Failure{"AccessDeniedException",
                            fmt::format("The policy of {} does not allow account {} to put events",
                                        target_arn, rule.scope.account)});
      }
      rapidjson::Document doc;
      doc.Parse(payload.data(), payload.size());
      std::vector<BusEvent> forwarded;
      BusEvent f;
      f.id = event_id;
      f.json = payload;
      f.ingested_ms = platform.clock->NowMs();
      forwarded.push_back(std::move(f));
      Put(
          bus->scope, bus->name, std::move(forwarded),
          [then = std::move(then)](Status st) {
            if (st.ok()) return then(std::nullopt);
            then(Failure{"InternalError", st.message(), true});
          },
          hops + 1);
      return;
    }
    then(Failure{"UnsupportedTarget",
                 fmt::format("Sluice cannot invoke targets of service '{}'", service)});
  }

  Result<std::optional<Bus>> LoadBus(const engine::ResourceScope& scope, const std::string& name) {
    auto rec = platform.resources->Get(kBusKind, scope, name);
    if (!rec.ok()) return rec.status();
    if (!rec->has_value()) {
      if (name == kDefaultBus) {
        Bus b;
        b.scope = scope;
        b.name = name;
        return std::optional<Bus>(std::move(b));
      }
      return std::optional<Bus>();
    }
    auto bus = DecodeBus(scope, **rec);
    if (!bus.ok()) return bus.status();
    return std::optional<Bus>(std::move(*bus));
  }

  // Sends the event to the target's dead-letter queue (when it has one) with AWS's attributes.
  void DeadLetter(const Rule& rule, const Target& target, const std::string& event_json,
                  const Failure& f, int attempts, std::string_view exhausted,
                  const std::shared_ptr<Job>& job) {
    failed.fetch_add(1);
    const std::string dlq = target.DeadLetterArn();
    spdlog::debug("events: delivery of {} to {} failed: {} {}", rule.Arn(), target.arn, f.code,
                  f.message);
    if (dlq.empty()) return;
    engine::SendRequest r;
    r.body = event_json;
    r.sender_id = "AIDAIE6VAXUQU2DKHA7DK";
    auto attr = [&r](std::string name, std::string value, std::string type = "String") {
      engine::MessageAttribute a;
      a.name = std::move(name);
      a.data_type = std::move(type);
      a.value = std::move(value);
      r.size += a.name.size() + a.data_type.size() + a.value.size();
      r.attributes.push_back(std::move(a));
    };
    attr("ERROR_CODE", f.code);
    attr("ERROR_MESSAGE", f.message.empty() ? f.code : f.message);
    if (!exhausted.empty()) attr("EXHAUSTED_RETRY_CONDITION", std::string(exhausted));
    attr("RETRY_ATTEMPTS", std::to_string(attempts), "Number");
    attr("RULE_ARN", rule.Arn());
    attr("TARGET_ARN", target.arn);
    std::sort(r.attributes.begin(), r.attributes.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    r.size += r.body.size();
    if (job) job->Add();
    auto self = shared_from_this();
    SendToQueue(dlq, rule.Arn(), rule.scope.account, std::move(r),
                [self, job, dlq](std::optional<Failure> failure) {
                  if (failure) {
                    spdlog::info("events: the dead-letter queue {} refused an event: {}", dlq,
                                 failure->message);
                  } else {
                    self->dead_lettered.fetch_add(1);
                  }
                  if (job) job->Release();
                });
  }

  // Delivers one event to one target of a rule, for Put: the job waits for the delivery, its
  // dead-lettering, or its outbox record.
  void Deliver(const std::shared_ptr<Job>& job, const std::shared_ptr<const Rule>& rule,
               const Target& target, const rapidjson::Value& event,
               const std::shared_ptr<const BusEvent>& e, int hops) {
    auto payload =
        std::make_shared<const std::string>(Payload(*rule, target, event, e->json, e->ingested_ms));
    const std::string group_id = target.Nested("SqsParameters", "MessageGroupId").value_or("");
    if (ApiDestinationName(target.arn)) {
      // An HTTP call: durable in the outbox before the answer, made afterwards.
      Task task;
      task.id = NewUuid();
      task.scope = rule->scope;
      task.bus = rule->bus;
      task.rule = rule->name;
      task.target_id = target.id;
      task.target_arn = target.arn;
      task.event_id = e->id;
      task.event_json = e->json;
      task.payload = *payload;
      task.http = EncodeHttpParts(ResolveHttpParameters(target.value.Get("HttpParameters"), event));
      task.hops = hops;
      task.first_ms = e->ingested_ms;
      task.next_ms = platform.clock->NowMs();
      task.owner = lease.owner();
      task.epoch = lease.epoch();
      auto v = platform.resources->Put(kDeliveryKind, task.scope, task.id, EncodeTask(task),
                                       task.payload, 0);
      if (!v.ok()) return job->Fail(Status(ErrorCode::kInternalError, v.status().message()));
      task.version = *v;
      auto self = shared_from_this();
      workers.Post([self, task = std::move(task)]() mutable { self->Retry(std::move(task)); });
      return;
    }
    job->Add();
    auto self = shared_from_this();
    // `target` lives in `rule`, which the callback keeps.
    const Target* t = &target;
    Invoke(*rule, target.arn, *payload, e->id, group_id, hops,
           [self, job, rule, t, payload, group_id, e, hops](std::optional<Failure> f) {
             if (!f) {
               self->delivered.fetch_add(1);
             } else if (f->transient && t->MaxRetries() > 0) {
               Task task;
               task.id = NewUuid();
               task.scope = rule->scope;
               task.bus = rule->bus;
               task.rule = rule->name;
               task.target_id = t->id;
               task.target_arn = t->arn;
               task.event_id = e->id;
               task.event_json = e->json;
               task.payload = *payload;
               task.group_id = group_id;
               task.hops = hops;
               task.attempts = 1;
               task.first_ms = e->ingested_ms;
               task.last_code = f->code;
               task.last_message = f->message;
               task.next_ms = self->platform.clock->NowMs() + RetryDelayMs(1);
               task.owner = self->lease.owner();
               task.epoch = self->lease.epoch();
               auto v = self->platform.resources->Put(kDeliveryKind, task.scope, task.id,
                                                      EncodeTask(task), task.payload, 0);
               if (!v.ok()) {
                 job->Fail(Status(ErrorCode::kInternalError, v.status().message()));
               } else {
                 task.version = *v;
                 self->retried.fetch_add(1);
                 self->ScheduleTask(std::move(task));
               }
             } else {
               self->DeadLetter(*rule, *t, e->json, *f, 0,
                                f->transient ? "MaximumRetryAttempts" : "", job);
             }
             job->Release();
           });
  }

  // Keeps the event in every archive of the bus it matches, durably (the job fails otherwise).
  void ArchiveEvent(const engine::ResourceScope& scope, const BusIndex& idx, const BusEvent& e,
                    const rules::ParsedBody& body, const std::shared_ptr<Job>& job) {
    std::vector<std::string> names = idx.archive_all;
    if (idx.archive_set.size() > 0) {
      for (std::string& n : idx.archive_set.Match({{}, body.root()})) names.push_back(std::move(n));
    }
    const Millis time = e.time_ms > 0 ? e.time_ms : e.ingested_ms;
    for (const std::string& name : names) {
      auto v = platform.resources->Put(kArchivedKind, scope, ArchivedKey(name, time, e.id), e.json,
                                       "", engine::kAnyVersion);
      if (!v.ok()) job->Fail(Status(ErrorCode::kInternalError, v.status().message()));
    }
  }

  void Put(const engine::ResourceScope& scope, const std::string& bus, std::vector<BusEvent> events,
           std::function<void(Status)> done, int hops) {
    auto index = Index(scope, bus);
    if (!index.ok()) return done(index.status());
    auto job = std::make_shared<Job>(std::move(done));
    const std::shared_ptr<BusIndex> idx = *index;
    if (!idx->empty()) {
      for (BusEvent& event : events) {
        auto e = std::make_shared<const BusEvent>(std::move(event));
        const rules::ParsedBody body = rules::ParsedBody::Parse(e->json);
        if (body.root() == nullptr) continue;
        if (e->replay_name.empty()) ArchiveEvent(scope, *idx, *e, body, job);
        for (const std::string& name : idx->set.Match({{}, body.root()})) {
          auto it = idx->rules.find(name);
          if (it == idx->rules.end()) continue;
          if (e->only_rules && std::find(e->only_rules->begin(), e->only_rules->end(), name) ==
                                   e->only_rules->end()) {
            continue;
          }
          matched.fetch_add(1);
          for (const Target& target : it->second->targets) {
            Deliver(job, it->second, target, *body.root(), e, hops);
          }
        }
      }
    }
    job->Release();
  }

  // ---- retries -------------------------------------------------------------------------------

  void ScheduleTask(Task task) {
    std::weak_ptr<Core> weak = shared_from_this();
    const Millis due = task.next_ms;
    auto run = [weak, task = std::move(task)]() mutable {
      if (auto self = weak.lock()) {
        self->workers.Post(
            [self, task = std::move(task)]() mutable { self->Retry(std::move(task)); });
      }
    };
    timer.RunAt(due, std::move(run));
  }

  void Forget(const Task& t) {
    Status st = platform.resources->Delete(kDeliveryKind, t.scope, t.id, t.version);
    if (!st.ok() && st.code() != engine::ResourceError::kNotFound &&
        st.code() != engine::ResourceError::kConflict) {  // adopted by another node: its own
      NoteIgnoredError("events outbox remove", st);
    }
  }

  // On a shared store: whether this node may make the task now (its lease valid; after a lapse
  // of the lease, the task's record still its own, else it is dropped). One that must wait is
  // scheduled again a scan period later.
  bool Mine(Task& task) {
    switch (
        lease.Check(kDeliveryKind, task.scope, task.id, task.version, &TaskOwner, &task.epoch)) {
      case engine::NodeLease::Claim::kMine:
        return true;
      case engine::NodeLease::Claim::kWait:
        task.next_ms = platform.clock->NowMs() + lease.options().scan.count();
        ScheduleTask(std::move(task));
        return false;
      case engine::NodeLease::Claim::kLost:
        return false;
    }
    return false;
  }

  void Retry(Task task) {
    if (!Mine(task)) return;
    auto rec = platform.resources->Get(kRuleKind, task.scope, Rule::RuleKey(task.bus, task.rule));
    std::optional<Rule> rule;
    if (rec.ok() && rec->has_value()) {
      auto decoded = DecodeRule(task.scope, **rec);
      if (decoded.ok()) rule = std::move(*decoded);
    }
    const Target* target = nullptr;
    if (rule) {
      for (const Target& t : rule->targets) {
        if (t.id == task.target_id) target = &t;
      }
    }
    if (!rule || target == nullptr) {  // the rule or the target is gone
      failed.fetch_add(1);
      return Forget(task);
    }
    auto self = shared_from_this();
    auto shared_rule = std::make_shared<const Rule>(std::move(*rule));
    const Target tgt = *target;
    auto after = [self, shared_rule, tgt, task](std::optional<Failure> f) mutable {
      if (!f) {
        self->delivered.fetch_add(1);
        // The store write off the engine's thread.
        return self->workers.Post([self, task] { self->Forget(task); });
      }
      const Millis now = self->platform.clock->NowMs();
      std::string exhausted;
      if (!f->transient) {
        exhausted.clear();
      } else if (task.attempts >= tgt.MaxRetries()) {  // attempts made - 1 = retries
        exhausted = "MaximumRetryAttempts";
      } else if (now - task.first_ms >= tgt.MaxAgeSeconds() * 1000) {
        exhausted = "MaximumEventAgeInSeconds";
      } else {
        ++task.attempts;
        task.last_code = f->code;
        task.last_message = f->message;
        task.next_ms = now + RetryDelayMs(task.attempts);
        auto v = self->platform.resources->Put(kDeliveryKind, task.scope, task.id, EncodeTask(task),
                                               task.payload, task.version);
        if (!v.ok()) {
          if (v.status().code() == engine::ResourceError::kConflict) return;  // adopted
          NoteIgnoredError("events outbox update", v.status());
        } else {
          task.version = *v;
        }
        self->retried.fetch_add(1);
        return self->ScheduleTask(std::move(task));
      }
      // Retries made: every attempt but the first.
      self->DeadLetter(*shared_rule, tgt, task.event_json, *f, task.attempts, exhausted, nullptr);
      self->Forget(task);
    };
    if (ApiDestinationName(task.target_arn)) return InvokeApi(task, std::move(after));
    Invoke(*shared_rule, task.target_arn, task.payload, task.event_id, task.group_id, task.hops,
           std::move(after));
  }

  // ---- API destinations ----------------------------------------------------------------------

  // Calls the API destination for `task`; `then` gets the outcome. Over the destination's rate
  // the task waits for the next second of the clock (no attempt counted).
  void InvokeApi(Task task, std::function<void(std::optional<Failure>)> then) {
    auto arn = sns::ParseArn(task.target_arn);
    auto name = ApiDestinationName(task.target_arn);
    if (!arn || !name) return then(Failure{"InvalidArn", "not an API destination ARN"});
    const engine::ResourceScope scope{arn->account, arn->region};
    auto rec = platform.resources->Get(kApiDestinationKind, scope, *name);
    if (!rec.ok()) return then(Failure{"InternalError", rec.status().message(), true});
    std::optional<ApiDestination> dest;
    if (rec->has_value()) {
      auto d = DecodeApiDestination(scope, **rec);
      if (d.ok() && d->arn == task.target_arn) dest = std::move(*d);
    }
    if (!dest) {
      return then(Failure{"ResourceNotFoundException",
                          fmt::format("The API destination {} does not exist.", task.target_arn)});
    }
    auto cname = ConnectionName(dest->connection_arn);
    auto crec = platform.resources->Get(kConnectionKind, scope, cname.value_or(""));
    if (!crec.ok()) return then(Failure{"InternalError", crec.status().message(), true});
    std::optional<Connection> conn;
    if (crec->has_value()) {
      auto c = DecodeConnection(scope, **crec);
      if (c.ok() && c->arn == dest->connection_arn) conn = std::move(*c);
    }
    if (!conn) {
      return then(Failure{"ResourceNotFoundException",
                          fmt::format("The connection {} does not exist.", dest->connection_arn)});
    }
    if (conn->state != "AUTHORIZED") {
      return then(Failure{"ConnectionDeauthorized",
                          fmt::format("The connection {} is {}.", conn->arn, conn->state)});
    }
    if (options.http == nullptr) {
      return then(Failure{"SDK_CLIENT_ERROR", "HTTP deliveries are not available", true});
    }
    const Millis now = platform.clock->NowMs();
    {
      std::lock_guard lock(api_mu);
      RateWindow& w = rates[dest->arn];
      if (w.second != now / 1000) w = RateWindow{now / 1000, 0};
      if (w.used >= dest->rate_limit) {
        task.next_ms = (now / 1000 + 1) * 1000;
        return ScheduleTask(std::move(task));  // `then` is dropped: this is not an attempt
      }
      ++w.used;
    }
    std::string bearer;
    if (conn->auth_type == "OAUTH_CLIENT_CREDENTIALS") {
      std::lock_guard lock(api_mu);
      auto it = oauth_tokens.find(conn->arn);
      if (it == oauth_tokens.end()) {
        return FetchToken(std::move(*conn), std::move(*dest), std::move(task), std::move(then));
      }
      bearer = it->second;
    }
    Call(*dest, *conn, task, bearer, std::move(then));
  }

  void FetchToken(Connection conn, ApiDestination dest, Task task,
                  std::function<void(std::optional<Failure>)> then) {
    const Invocation inv = OAuthTokenRequest(conn);
    net::ClientRequest req;
    req.method = inv.method;
    req.url = inv.url;
    req.headers = inv.headers;
    req.body = inv.body;
    req.timeout = options.http_timeout;
    auto self = shared_from_this();
    options.http->Send(std::move(req), [self, conn = std::move(conn), dest = std::move(dest),
                                        task = std::move(task), then = std::move(then)](
                                           Result<net::ClientResponse> r) mutable {
      self->workers.Post([self, conn = std::move(conn), dest = std::move(dest),
                          task = std::move(task), then = std::move(then),
                          r = std::move(r)]() mutable {
        std::optional<std::string> token;
        if (r.ok() && r->status >= 200 && r->status < 300) token = OAuthAccessToken(r->body);
        if (!token) {
          return then(
              Failure{"OAuthTokenFailure",
                      r.ok() ? fmt::format("The authorization endpoint answered {}.", r->status)
                             : r.status().message(),
                      true});
        }
        {
          std::lock_guard lock(self->api_mu);
          self->oauth_tokens[conn.arn] = *token;
        }
        self->Call(dest, conn, task, *token, std::move(then));
      });
    });
  }

  void Call(const ApiDestination& dest, const Connection& conn, const Task& task,
            const std::string& bearer, std::function<void(std::optional<Failure>)> then) {
    const Invocation inv =
        BuildInvocation(dest, conn, DecodeHttpParts(task.http), task.payload, bearer);
    net::ClientRequest req;
    req.method = inv.method;
    req.url = inv.url;
    req.headers = inv.headers;
    req.body = inv.body;
    req.timeout = options.http_timeout;
    auto self = shared_from_this();
    const bool oauth = conn.auth_type == "OAUTH_CLIENT_CREDENTIALS";
    const std::string conn_arn = conn.arn;
    options.http->Send(std::move(req), [self, then = std::move(then), oauth,
                                        conn_arn](Result<net::ClientResponse> r) mutable {
      std::optional<Failure> f;
      if (!r.ok()) {
        f = Failure{"SDK_CLIENT_ERROR", r.status().message(), true};
      } else if (r->status < 200 || r->status >= 300) {
        f = Failure{std::to_string(r->status),
                    fmt::format("The API destination answered HTTP {}.", r->status),
                    RetriedStatus(r->status)};
        if (oauth && r->status == 401) {  // the token may have expired: fetch another
          std::lock_guard lock(self->api_mu);
          self->oauth_tokens.erase(conn_arn);
        }
      }
      self->workers.Post([f, then = std::move(then)] { then(f); });
    });
  }

  // ---- schedules -----------------------------------------------------------------------------

  void Arm(const engine::ResourceScope& scope, const std::string& bus, const std::string& name,
           std::optional<Millis> after = std::nullopt, int catch_up = 0) {
    auto rec = platform.resources->Get(kRuleKind, scope, Rule::RuleKey(bus, name));
    const std::string key = ScopeKey(scope, bus) + "\n" + name;
    std::uint64_t generation = 0;
    {
      std::lock_guard lock(schedule_mu);
      generation = next_generation++;
      armed[key] = generation;
    }
    if (!rec.ok() || !rec->has_value()) return;
    auto rule = DecodeRule(scope, **rec);
    if (!rule.ok() || rule->schedule.empty() || !rule->Enabled()) return;
    auto schedule = Schedule::Parse(rule->schedule);
    if (!schedule) return;
    const Millis now = platform.clock->NowMs();
    Millis from = after.value_or(now);
    auto next = schedule->Next(from, rule->created_ms);
    if (!next) return;
    if (*next <= now && catch_up >= kMaxCatchUp) {
      next = schedule->Next(now, rule->created_ms);  // too far behind: skip to the next one
      catch_up = 0;
      if (!next) return;
    }
    std::weak_ptr<Core> weak = shared_from_this();
    const Millis at = *next;
    timer.RunAt(at, [weak, scope, bus, name, key, generation, at, catch_up] {
      auto self = weak.lock();
      if (!self) return;
      self->workers.Post([self, scope, bus, name, key, generation, at, catch_up] {
        {
          std::lock_guard lock(self->schedule_mu);
          auto it = self->armed.find(key);
          if (it == self->armed.end() || it->second != generation) return;  // re-armed since
        }
        if (self->Claim(scope, bus, name, at)) self->Fire(scope, bus, name, at);
        self->Arm(scope, bus, name, at, catch_up + 1);
      });
    });
  }

  // Nodes sharing the store (PostgreSQL) each arm the schedules they know: the first to record
  // the firing at `at` of the rule fires it, the others skip it (one record per rule,
  // "events.fired": the last firing's time).
  bool Claim(const engine::ResourceScope& scope, const std::string& bus, const std::string& name,
             Millis at) {
    if (!platform.resources->Shared()) return true;
    bool mine = false;
    auto r = platform.resources->Update(
        "events.fired", scope, Rule::RuleKey(bus, name),
        [&](const std::optional<engine::ResourceRecord>& cur)
            -> Result<std::optional<engine::ResourceRecord>> {
          mine = false;
          if (cur && std::atoll(cur->value.c_str()) >= at) {
            return Status(ErrorCode::kInvalidRequest, "fired by another node");
          }
          mine = true;
          engine::ResourceRecord next;
          next.value = std::to_string(at);
          return std::optional<engine::ResourceRecord>(std::move(next));
        });
    return r.ok() && mine;
  }

  void Fire(const engine::ResourceScope& scope, const std::string& bus, const std::string& name,
            Millis at) {
    auto rec = platform.resources->Get(kRuleKind, scope, Rule::RuleKey(bus, name));
    if (!rec.ok() || !rec->has_value()) return;
    auto decoded = DecodeRule(scope, **rec);
    if (!decoded.ok() || !decoded->Enabled()) return;
    auto rule = std::make_shared<const Rule>(std::move(*decoded));
    BusEvent e;
    e.id = NewUuid();
    e.ingested_ms = at;
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    Str(w, "version", "0");
    Str(w, "id", e.id);
    Str(w, "detail-type", "Scheduled Event");
    Str(w, "source", "aws.events");
    Str(w, "account", scope.account);
    Str(w, "time", EventTime(at));
    Str(w, "region", scope.region);
    w.Key("resources");
    w.StartArray();
    const std::string arn = rule->Arn();
    w.String(arn.data(), static_cast<rapidjson::SizeType>(arn.size()));
    w.EndArray();
    w.Key("detail");
    w.StartObject();
    w.EndObject();
    w.EndObject();
    e.json = buf.GetString();
    scheduled.fetch_add(1);
    rapidjson::Document doc;
    doc.Parse(e.json.data(), e.json.size());
    auto job = std::make_shared<Job>([](const Status& st) {
      if (!st.ok()) NoteIgnoredError("events scheduled delivery", st);
    });
    auto shared = std::make_shared<const BusEvent>(std::move(e));
    for (const Target& target : rule->targets) Deliver(job, rule, target, doc, shared, 0);
    job->Release();
  }

  Status Start() {
    if (lease.shared()) {
      // Only the retries of nodes that are gone (the live ones make their own); the scans adopt
      // their replays too.
      engine::NodeLease::Tasks retries{
          kDeliveryKind, &TaskOwner, &TaskWithOwner,
          [this](const engine::ResourceScope& scope, engine::ResourceRecord r) {
            auto task = DecodeTask(scope, r);
            if (!task) return;
            task->epoch = lease.epoch();
            ScheduleTask(std::move(*task));
          }};
      auto replays = [this] {
        if (router == nullptr) return;
        if (Status st = ResumeReplays(platform, *router); !st.ok()) {
          spdlog::debug("events: cannot adopt replays: {}", st.message());
        }
      };
      Status st = lease.StartScans(std::move(retries), timer, workers, weak_from_this(), replays);
      if (!st.ok()) return st;
      return ArmSchedules();
    }
    // The outbox.
    auto scopes = platform.resources->Scopes(kDeliveryKind);
    if (!scopes.ok()) return scopes.status();
    std::size_t pending = 0;
    for (const engine::ResourceScope& scope : *scopes) {
      auto records = platform.resources->List(kDeliveryKind, scope, {});
      if (!records.ok()) return records.status();
      for (const engine::ResourceRecord& r : *records) {
        auto task = DecodeTask(scope, r);
        if (!task) continue;
        ++pending;
        ScheduleTask(std::move(*task));
      }
    }
    if (pending > 0) spdlog::info("events: {} deliveries pending in the outbox", pending);
    return ArmSchedules();
  }

  Status ArmSchedules() {
    // Scheduled rules (only the default bus has them).
    auto rule_scopes = platform.resources->Scopes(kRuleKind);
    if (!rule_scopes.ok()) return rule_scopes.status();
    for (const engine::ResourceScope& scope : *rule_scopes) {
      auto records = platform.resources->List(kRuleKind, scope, {});
      if (!records.ok()) return records.status();
      for (const engine::ResourceRecord& r : *records) {
        auto rule = DecodeRule(scope, r);
        if (rule.ok() && !rule->schedule.empty()) Arm(scope, rule->bus, rule->name);
      }
    }
    return Status::Ok();
  }
};

Router::Router(const services::Platform& platform, Clock& timer, RouterOptions options)
    : core_(std::make_shared<Core>(platform, timer, std::move(options))) {
  core_->router = this;
}

Router::~Router() { Stop(); }

Status Router::Start() { return core_->Start(); }

void Router::Stop() { core_->workers.Stop(); }

void Router::RuleChanged(const engine::ResourceScope& scope, const std::string& bus,
                         const std::string& name) {
  core_->Invalidate(scope, bus);
  core_->Arm(scope, bus, name);
}

void Router::ArchiveChanged(const engine::ResourceScope& scope, const std::string& bus) {
  core_->Invalidate(scope, bus);
}

void Router::Post(std::function<void()> fn) { core_->workers.Post(std::move(fn)); }

engine::NodeLease& Router::lease() { return core_->lease; }

void Router::ConnectionChanged(const std::string& connection_arn) {
  std::lock_guard lock(core_->api_mu);
  core_->oauth_tokens.erase(connection_arn);
}

void Router::Put(const engine::ResourceScope& scope, const std::string& bus,
                 std::vector<BusEvent> events, std::function<void(Status)> done, int hops) {
  core_->Put(scope, bus, std::move(events), std::move(done), hops);
}

Result<std::vector<std::string>> Router::Match(const engine::ResourceScope& scope,
                                               const std::string& bus,
                                               const std::string& event_json,
                                               rules::MatchStats* stats) {
  auto index = core_->Index(scope, bus);
  if (!index.ok()) return index.status();
  const rules::ParsedBody body = rules::ParsedBody::Parse(event_json);
  if (body.root() == nullptr) return std::vector<std::string>();
  return (*index)->set.Match({{}, body.root()}, stats);
}

Router::Counters Router::counters() const {
  Counters c;
  c.matched = core_->matched.load();
  c.delivered = core_->delivered.load();
  c.failed = core_->failed.load();
  c.retried = core_->retried.load();
  c.dead_lettered = core_->dead_lettered.load();
  c.scheduled = core_->scheduled.load();
  return c;
}

}  // namespace sluice::events
