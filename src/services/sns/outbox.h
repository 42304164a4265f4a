// The outbox: deliveries that a Publish (or a Subscribe, an Unsubscribe) promised and that have
// not been made yet, kept durably in the resource store (kind "sns.delivery", in the topic's
// account and region, by task id) from before the request is answered until the delivery is
// durable at its endpoint, or given up (dead-letter queue, or dropped). A task carries what its
// delivery needs even after a restart: the envelope's fields, where to deliver, and its retry
// state (attempts made, when the next is due). The message text is the record's secret part,
// sealed at rest when a master key is configured.
//
// Thread-safe (the resource store is); each call is one durable write.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "engine/resource_store.h"
#include "services/sns/filter.h"

namespace sluice::sns {

inline constexpr char kDeliveryKind[] = "sns.delivery";

struct DeliveryTask {
  std::string id;               // unique; the record's name
  engine::ResourceScope scope;  // the topic's account and region
  // "Notification", "SubscriptionConfirmation" or "UnsubscribeConfirmation".
  std::string type = "Notification";
  std::string topic_name;
  std::string subscription_id;
  std::string protocol;  // http, https, sqs
  std::string endpoint;
  bool raw = false;
  // The envelope (envelope.h) less its signature, which is computed when sent.
  std::string message_id;
  std::string message;
  std::optional<std::string> subject;
  std::string timestamp;
  std::optional<std::string> sequence_number;
  std::string token;
  std::string subscribe_url;
  std::string unsubscribe_url;
  std::string signing_cert_url;
  int signature_version = 1;  // 0: not signed (FIFO topics)
  std::vector<FilterAttribute> attributes;
  std::optional<std::string> group_id;  // SQS deliveries
  std::optional<std::string> dedup_id;
  // Retry state.
  int attempts = 0;           // attempts made
  Millis next_ms = 0;         // when the next attempt is due
  std::uint64_t version = 0;  // the record's, for compare-and-set
  // The node that makes it (engine/node_lease.h): "" on a store that is not shared.
  std::string owner;
  // Not stored: the node lease's epoch when this node last knew the task to be its own.
  std::uint64_t epoch = 0;

  std::string SubscriptionArn() const;
};

class Outbox {
 public:
  explicit Outbox(engine::ResourceStore& store) : store_(store) {}

  // Stores a new task (durable when it returns); sets its version.
  Status Add(DeliveryTask& task);
  // Stores the task's retry state, compare-and-set on its version (kConflict: another node
  // adopted it); sets its version.
  Status Update(DeliveryTask& task);
  // Removes the task, compare-and-set on its version (a missing or adopted one is fine).
  Status Remove(const DeliveryTask& task);
  // Every stored task, for recovery at start.
  Result<std::vector<DeliveryTask>> LoadAll() const;

  // The record's owner, and the record's value owned by `owner` (node leases).
  static std::string OwnerOf(const engine::ResourceRecord& record);
  static std::string WithOwner(const engine::ResourceRecord& record, const std::string& owner);
  // A stored task (its scope and record).
  static Result<DeliveryTask> Decode(const engine::ResourceScope& scope,
                                     const engine::ResourceRecord& record);

 private:
  engine::ResourceStore& store_;
};

}  // namespace sluice::sns
