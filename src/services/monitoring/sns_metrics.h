// The AWS/SNS metrics (dimension TopicName): SNS reports what happens to each topic through these
// counters (the app adapts sns::Meter to them, app/sns_meter.h), and the collector turns them into
// one datapoint per topic, metric and minute, like the AWS/SQS ones (sqs_metrics.h).
//
// Counting is a lookup of the topic's counters under a shared lock and a few relaxed atomic adds.
// Flush (once a minute of the clock) swaps them to zero. SNS metrics are sparse, as on AWS: a
// metric has a datapoint only for a minute in which it counted something.
//
// Thread-safety: every method may be called concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <tuple>
#include <vector>

#include "services/monitoring/metric_store.h"

namespace sluice::monitoring {

class SnsMetrics {
 public:
  struct Counters {
    std::atomic<std::int64_t> published{0}, delivered{0}, failed{0};
    std::atomic<std::int64_t> filtered{0}, filtered_no_attributes{0}, filtered_invalid{0};
    std::atomic<std::int64_t> redriven{0}, redrive_failed{0};
    std::atomic<std::int64_t> size_count{0}, size_sum{0};
    std::atomic<std::int64_t> size_min{INT64_MAX}, size_max{-1};
    // Flushed so far (totals_mu_), for Prometheus' cumulative counters.
    std::int64_t total_published = 0, total_delivered = 0, total_failed = 0, total_filtered = 0;
    std::int64_t total_size_sum = 0;
  };
  std::shared_ptr<Counters> CountersFor(const std::string& account, const std::string& region,
                                        const std::string& topic);

  static void CountPublished(Counters& c, std::int64_t bytes);

  // The datapoints of the minute starting at `minute`, grouped by scope.
  std::map<Scope, std::vector<Sample>> Flush(Millis minute);
  // The Prometheus text exposition of every topic seen (docs/metrics.md), appended to `out`.
  void AppendPrometheus(std::string& out);

 private:
  using Key = std::tuple<std::string, std::string, std::string>;  // account, region, topic
  std::mutex totals_mu_;                                          // Flush vs AppendPrometheus
  std::shared_mutex mu_;
  std::map<Key, std::shared_ptr<Counters>> topics_;
};

}  // namespace sluice::monitoring
