// The AWS/SQS metrics Sluice emits: a decorator of the queue engine counts what passes through
// it (the engine itself knows nothing of CloudWatch), and the collector turns the counts and the
// queues' gauges into one datapoint per queue and minute.
//
// Counting is a lookup of the queue's counters under a shared lock and a few relaxed atomic adds;
// Flush (once a minute of the clock) swaps the counters to zero and samples the gauges
// (ApproximateNumberOfMessagesVisible/NotVisible/Delayed from the engine's queue attributes) at
// the end of the minute. A queue with no activity and no messages for 6 hours stops emitting, as
// on AWS.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "services/monitoring/metric_store.h"

namespace sluice::monitoring {

class SqsMetrics {
 public:
  // `region`: the engine's default region, of QueueIds that name none.
  SqsMetrics(engine::Engine& engine, std::string region) : engine_(engine), region_(region) {}

  // One queue's counters; shared so a request in flight keeps them while the queue is deleted.
  struct Counters {
    std::atomic<std::int64_t> sent{0}, received{0}, deleted{0}, empty_receives{0}, dedup{0};
    std::atomic<std::int64_t> size_count{0}, size_sum{0};
    std::atomic<std::int64_t> size_min{INT64_MAX}, size_max{-1};
    Millis last_active = 0;  // minute of the last flush with activity (flush thread only)
    // Flushed so far (totals_mu_), for Prometheus' cumulative counters.
    std::int64_t total_sent = 0, total_received = 0, total_deleted = 0, total_empty = 0;
    std::int64_t total_size_count = 0, total_size_sum = 0;
  };
  std::shared_ptr<Counters> CountersFor(const engine::QueueId& q);

  // `messages` sent, of `sizes_sum` bytes in all, the smallest `size_min`, the largest
  // `size_max`; `dedup` FIFO duplicates accepted but not added.
  static void CountSent(Counters& c, std::int64_t messages, std::int64_t dedup,
                        std::int64_t sizes_sum, std::int64_t size_min, std::int64_t size_max);
  static void CountReceived(Counters& c, std::int64_t messages);
  static void CountDeleted(Counters& c, std::int64_t messages);
  void Touch(const engine::QueueId& q);
  void Forget(const engine::QueueId& q);

  // The datapoints of the minute starting at `minute` (counters since the last flush, gauges as
  // now), grouped by scope.
  std::map<Scope, std::vector<Sample>> Flush(Millis minute);

  // The Prometheus text exposition of every known queue: cumulative counters since start and
  // the gauges as the engine answers now (docs/metrics.md), appended to `out`.
  void AppendPrometheus(std::string& out);

 private:
  // Counters are kept by queue with its region filled in, so both forms count as one queue.
  engine::QueueId WithRegion(const engine::QueueId& q) const;
  engine::Engine& engine_;
  std::string region_;
  std::mutex totals_mu_;  // Flush vs AppendPrometheus
  mutable std::shared_mutex mu_;
  std::map<engine::QueueId, std::shared_ptr<Counters>> queues_;
};

// The engine as SQS sees it, with every message operation counted into `metrics`.
class MeteredEngine final : public engine::Engine {
 public:
  MeteredEngine(engine::Engine& inner, SqsMetrics& metrics) : inner_(inner), metrics_(metrics) {}

  Status CreateQueue(const engine::QueueId& id, const engine::AttributeMap& attributes,
                     const engine::TagMap& tags) override;
  Status DeleteQueue(const engine::QueueId& id) override;
  bool QueueExists(const engine::QueueId& id) override { return inner_.QueueExists(id); }
  std::vector<engine::QueueId> ListQueues(std::string_view account, std::string_view region,
                                          std::string_view prefix) override {
    return inner_.ListQueues(account, region, prefix);
  }
  Result<engine::AttributeMap> GetQueueAttributes(const engine::QueueId& id,
                                                  const std::vector<std::string>& names) override {
    return inner_.GetQueueAttributes(id, names);
  }
  Status SetQueueAttributes(const engine::QueueId& id,
                            const engine::AttributeMap& attributes) override {
    return inner_.SetQueueAttributes(id, attributes);
  }
  Status TagQueue(const engine::QueueId& id, const engine::TagMap& tags) override {
    return inner_.TagQueue(id, tags);
  }
  Status UntagQueue(const engine::QueueId& id, const std::vector<std::string>& keys) override {
    return inner_.UntagQueue(id, keys);
  }
  Result<engine::TagMap> ListQueueTags(const engine::QueueId& id) override {
    return inner_.ListQueueTags(id);
  }
  Status PurgeQueue(const engine::QueueId& id) override { return inner_.PurgeQueue(id); }
  Result<std::vector<engine::QueueId>> ListDeadLetterSourceQueues(
      const engine::QueueId& dlq) override {
    return inner_.ListDeadLetterSourceQueues(dlq);
  }
  Status AddPermission(const engine::QueueId& id, const std::string& label,
                       const std::vector<std::string>& account_ids,
                       const std::vector<std::string>& actions) override {
    return inner_.AddPermission(id, label, account_ids, actions);
  }
  Status RemovePermission(const engine::QueueId& id, const std::string& label) override {
    return inner_.RemovePermission(id, label);
  }
  std::string QueueArn(const engine::QueueId& id) const override { return inner_.QueueArn(id); }
  std::string KmsMasterKeyId(const engine::QueueId& id) override {
    return inner_.KmsMasterKeyId(id);
  }
  Result<std::optional<Millis>> OldestMessageAgeMs(const engine::QueueId& id) override {
    return inner_.OldestMessageAgeMs(id);
  }
  void Send(const engine::QueueId& id, std::vector<engine::SendRequest> messages,
            SendCallback done) override;
  void Receive(const engine::QueueId& id, const engine::ReceiveRequest& request,
               ReceiveCallback done) override;
  void Delete(const engine::QueueId& id, std::vector<std::string> receipt_handles,
              BatchCallback done) override;
  void ChangeVisibility(const engine::QueueId& id, std::vector<engine::VisibilityChange> changes,
                        BatchCallback done) override {
    inner_.ChangeVisibility(id, std::move(changes), std::move(done));
  }
  Result<std::string> StartMessageMoveTask(const std::string& source_arn,
                                           const std::optional<std::string>& dest_arn,
                                           std::optional<int> max_per_second) override {
    return inner_.StartMessageMoveTask(source_arn, dest_arn, max_per_second);
  }
  Result<std::vector<engine::MoveTaskInfo>> ListMessageMoveTasks(const std::string& source_arn,
                                                                 int max_results) override {
    return inner_.ListMessageMoveTasks(source_arn, max_results);
  }
  Result<std::int64_t> CancelMessageMoveTask(const std::string& task_handle) override {
    return inner_.CancelMessageMoveTask(task_handle);
  }
  Result<std::vector<engine::PeekedMessage>> Peek(const engine::QueueId& id,
                                                  std::size_t max) override {
    return inner_.Peek(id, max);  // not a receive: counts nothing
  }
  void Shutdown() override { inner_.Shutdown(); }

 private:
  engine::Engine& inner_;
  SqsMetrics& metrics_;
};

// A Prometheus label value escaped (backslash, double quote, newline).
std::string PrometheusLabelValue(std::string_view v);

}  // namespace sluice::monitoring
