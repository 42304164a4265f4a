// Delivery: how published messages reach their subscriptions, durably (docs/sns.md, "Delivery").
//
// - SQS (queues of this server): Publish calls engine::Engine::Send for every matching SQS
//   subscription before it answers; a send completes once durable, so an answered Publish is in
//   every such queue. (Not one transaction across queues: a crash before the answer may leave the
//   message in some of them; the publisher, unanswered, retries: at least once.) A queue that is
//   gone, refuses SNS by its policy, or whose KMS key cannot be used is a client error: no retry,
//   the subscription's dead-letter queue (RedrivePolicy) gets the message, else it is dropped and
//   counted. A store failure is retried through the outbox on the schedule AWS uses for its own
//   endpoints.
// - HTTP/S: every delivery is an outbox task (outbox.h), stored before Publish answers; the worker
//   then POSTs it with AWS's headers and signature, retrying on the subscription's effective
//   delivery policy (delivery_policy.h) on the injected clock, and moves it to the dead-letter
//   queue when the policy is exhausted. Tasks survive restarts and resume their schedule.
// - Several nodes on one shared store (PostgreSQL): a task is made by the node that stored it,
//   while that node's lease lives (engine/node_lease.h); every scan period each node renews its
//   lease and adopts the tasks of nodes whose lease expired (a node killed, or cut off from the
//   database), which it then makes on their stored schedule: at least once, never by two live
//   nodes. A starting node resumes only such orphans, not the tasks of live nodes.
// - Other protocols (lambda, firehose, application, sms) cannot be delivered by this server: the
//   delivery is counted as failed. Email subscriptions never leave PendingConfirmation.
//
// Threads: the engine's and the HTTP client's callbacks only hand work to the delivery's own
// workers, which write the outbox; attempts are scheduled with Clock::RunAt. With
// worker_threads = 0 everything runs on the calling thread (unit tests on a FakeClock).
// Thread-safe. Start before use; Stop before the platform's parts go away.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "engine/node_lease.h"
#include "services/platform/platform.h"
#include "services/sns/filter.h"
#include "services/sns/meter.h"
#include "services/sns/records.h"
#include "services/sns/signer.h"

namespace sluice::net {
class HttpClient;
}  // namespace sluice::net

namespace sluice::sns {

struct DeliveryOptions {
  int worker_threads = 2;
  std::chrono::milliseconds http_timeout{15000};
  // SQS SenderId of the messages SNS delivers.
  std::string sender_id = "AIDAIT2UOQQY3AUEKVGXU";
  // The AWS/SNS metrics (delivered, failed, dead-lettered notifications); null: not counted.
  Meter* meter = nullptr;
  // Several nodes sharing the store (PostgreSQL): this node's id ("": random) and its lease on
  // the tasks it makes (engine/node_lease.h). Unused on a store that is not shared.
  std::string node;
  engine::NodeLeaseOptions lease;
};

// A message as its topic accepted it.
struct PublishedMessage {
  std::string message_id;
  std::string message;  // as published
  // MessageStructure json: the text per protocol ("default", "sqs", "http", ...).
  std::map<std::string, std::string> per_protocol;
  std::optional<std::string> subject;
  std::vector<FilterAttribute> attributes;  // sorted by name
  std::size_t size = 0;                     // body plus attributes, as the 256 KiB limit counts
  std::optional<std::string> group_id;
  std::optional<std::string> dedup_id;
  std::optional<std::string> sequence_number;  // FIFO topics
  Millis timestamp_ms = 0;

  // The text delivered over `protocol`.
  const std::string& TextFor(const std::string& protocol) const;
};

// A subscription and the messages (indexes) that match it.
struct Target {
  Subscription subscription;
  std::vector<std::size_t> messages;
};

class Delivery {
 public:
  // `clock` schedules the attempts (the platform's clock, which only reads time); `http` may be
  // null: HTTP/S deliveries then fail (and are retried, then dead-lettered).
  Delivery(const services::Platform& platform, Clock& clock, const Signer& signer,
           net::HttpClient* http, DeliveryOptions options = {});
  ~Delivery();
  Delivery(const Delivery&) = delete;
  Delivery& operator=(const Delivery&) = delete;

  // Loads the outbox and schedules every task (overdue ones at once); starts the workers.
  Status Start();
  // Stops the workers; tasks not done stay in the outbox for the next start.
  void Stop();

  // Delivers `messages` of `topic` to `targets`. `base_url` ("http://host:port") prefixes the
  // SigningCertURL and UnsubscribeURL. For a FIFO topic the SQS sends are issued before Publish
  // returns, so callers that serialize Publish per topic keep the order per group. `done` runs
  // once every SQS delivery is durable (or dead-lettered) and every other one is in the outbox;
  // an error only when that could not be made durable.
  void Publish(const Topic& topic, const std::string& base_url,
               std::shared_ptr<const std::vector<PublishedMessage>> messages,
               std::vector<Target> targets, std::function<void(Status)> done);

  // The SubscriptionConfirmation (or UnsubscribeConfirmation) request to an HTTP/S endpoint,
  // through the outbox: durable when it returns.
  Status SendConfirmation(const Topic& topic, const Subscription& subscription,
                          const std::string& base_url, bool unsubscribe);

  const Signer& signer() const;

  struct Counters {
    std::uint64_t delivered = 0;      // attempts that reached their endpoint
    std::uint64_t failed = 0;         // deliveries given up (dead-lettered or dropped)
    std::uint64_t retried = 0;        // attempts scheduled after a failure
    std::uint64_t dead_lettered = 0;  // messages sent to a dead-letter queue
    std::uint64_t pending = 0;        // tasks in the outbox
  };
  Counters counters() const;

 private:
  struct Core;
  std::shared_ptr<Core> core_;
};

}  // namespace sluice::sns
