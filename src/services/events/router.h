// The EventBridge data plane: each bus's rules indexed in a rules::RuleSet (built from the store
// on first use, dropped when a rule changes), events matched and delivered to the matching rules'
// targets, failed deliveries retried durably, and scheduled rules fired on the clock.
//
// Delivery (docs/events.md, "Delivery"): Put() delivers to every target before `done` runs, so an
// answered PutEvents is in every SQS queue, accepted by every SNS topic (SNS's own Publish), and
// forwarded to every target bus; a delivery that fails for a transient reason is stored in the
// outbox (kind "events.delivery", durable before `done`) and retried on the injected clock within
// the target's RetryPolicy; one that cannot succeed (the queue or topic is gone, a policy refuses,
// a kind of target this server cannot invoke) or runs out of retries goes to the target's
// DeadLetterConfig queue with AWS's attributes (RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE,
// EXHAUSTED_RETRY_CONDITION, RETRY_ATTEMPTS), else it is counted as failed.
//
// Several nodes on one shared store (PostgreSQL): a retry, and a replay, is made by the node that
// stored it while its lease lives (engine/node_lease.h); every scan period each node renews its
// lease and adopts the retries and replays of nodes whose lease expired. A starting node resumes
// only those, never a live node's.
//
// Thread-safe. Start before use, Stop before the platform's parts go away.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/node_lease.h"
#include "engine/resource_store.h"
#include "protocol/service.h"
#include "rules/rule_set.h"
#include "services/events/records.h"
#include "services/platform/platform.h"

namespace sluice::net {
class HttpClient;
}  // namespace sluice::net

namespace sluice::events {

struct RouterOptions {
  int worker_threads = 2;
  // SNS's Publish handler, for SNS topic targets (empty: they fail as unreachable).
  protocol::Handler sns_publish;
  // Auth "sigv4": queue, topic and bus policies are enforced for deliveries.
  bool authenticated = false;
  // Forwarding depth between buses (a rule sending to its own bus would loop).
  int max_hops = 5;
  // API destination invocations (null: they fail, are retried, then dead-lettered).
  net::HttpClient* http = nullptr;
  std::chrono::milliseconds http_timeout{5000};  // AWS's limit for an API destination's answer
  // Several nodes sharing the store (PostgreSQL): this node's id ("": random) and its lease on
  // the retries and replays it makes (engine/node_lease.h). Unused on a store that is not shared.
  std::string node;
  engine::NodeLeaseOptions lease;
};

// An event as a bus received it: the envelope's JSON text.
struct BusEvent {
  std::string id;
  std::string json;
  Millis ingested_ms = 0;
  Millis time_ms = 0;       // the envelope's time (archives order by it); 0: ingested_ms
  std::string replay_name;  // "" not a replay (replayed events are not archived again)
  // A replay's Destination.FilterArns: only these rules (by name) receive it; null: every rule.
  std::shared_ptr<const std::vector<std::string>> only_rules;
};

class Router {
 public:
  // `timer` schedules retries and scheduled rules (the platform's clock, which only reads time).
  Router(const services::Platform& platform, Clock& timer, RouterOptions options);
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Resumes the outbox and arms every scheduled rule.
  Status Start();
  void Stop();

  // A rule was stored or deleted: its bus's index is rebuilt on next use; a scheduled rule is
  // (re)armed or disarmed.
  void RuleChanged(const engine::ResourceScope& scope, const std::string& bus,
                   const std::string& name);

  // An archive of the bus was created, changed or deleted: the bus's index is rebuilt.
  void ArchiveChanged(const engine::ResourceScope& scope, const std::string& bus);
  // Runs `fn` on the router's workers (replays).
  void Post(std::function<void()> fn);
  // This node's lease on its retries and replays (their records name lease().owner()).
  engine::NodeLease& lease();

  // A connection was updated, deauthorized or deleted: its OAuth token is fetched again.
  void ConnectionChanged(const std::string& connection_arn);

  // Matches the events on the bus, archives them (archives.h) and delivers them. `done` runs once
  // every delivery and archive write is durable (or stored in the outbox); an error only when that
  // could not be made durable.
  void Put(const engine::ResourceScope& scope, const std::string& bus, std::vector<BusEvent> events,
           std::function<void(Status)> done, int hops = 0);

  // The names of the enabled rules of the bus the event matches (tests, benchmarks).
  Result<std::vector<std::string>> Match(const engine::ResourceScope& scope, const std::string& bus,
                                         const std::string& event_json,
                                         rules::MatchStats* stats = nullptr);

  struct Counters {
    std::uint64_t matched = 0;        // (event, rule) pairs
    std::uint64_t delivered = 0;      // deliveries that reached their target
    std::uint64_t failed = 0;         // deliveries given up
    std::uint64_t retried = 0;        // attempts scheduled after a failure
    std::uint64_t dead_lettered = 0;  // events sent to a dead-letter queue
    std::uint64_t scheduled = 0;      // scheduled events fired
  };
  Counters counters() const;

  struct Core;

 private:
  std::shared_ptr<Core> core_;
};

// "2024-01-15T12:00:00Z": the envelope's time (seconds).
std::string EventTime(Millis ms);

}  // namespace sluice::events
