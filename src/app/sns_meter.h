// The AWS/SNS metrics: SNS's Meter (services/sns/meter.h) counted into CloudWatch's SNS counters
// (services/monitoring/sns_metrics.h). The two services know nothing of each other; this joins
// them.
//
// Thread-safety: as SnsMetrics (every method may be called concurrently).
#pragma once

#include "services/monitoring/sns_metrics.h"
#include "services/sns/meter.h"

namespace sluice::app {

class SnsMeter final : public sns::Meter {
 public:
  explicit SnsMeter(monitoring::SnsMetrics& metrics) : metrics_(metrics) {}

  void Published(const sns::MeteredTopic& t, std::size_t bytes) override {
    monitoring::SnsMetrics::CountPublished(*For(t), static_cast<std::int64_t>(bytes));
  }
  void Filtered(const sns::MeteredTopic& t, const sns::FilterCounts& counts) override {
    auto c = For(t);
    if (counts.filtered_out != 0) c->filtered.fetch_add(counts.filtered_out, kRelaxed);
    if (counts.no_message_attributes != 0) {
      c->filtered_no_attributes.fetch_add(counts.no_message_attributes, kRelaxed);
    }
    if (counts.invalid_attributes != 0) {
      c->filtered_invalid.fetch_add(counts.invalid_attributes, kRelaxed);
    }
  }
  void Delivered(const sns::MeteredTopic& t, std::int64_t n) override {
    For(t)->delivered.fetch_add(n, kRelaxed);
  }
  void Failed(const sns::MeteredTopic& t, std::int64_t n) override {
    For(t)->failed.fetch_add(n, kRelaxed);
  }
  void RedrivenToDlq(const sns::MeteredTopic& t, bool ok) override {
    (ok ? For(t)->redriven : For(t)->redrive_failed).fetch_add(1, kRelaxed);
  }

 private:
  static constexpr auto kRelaxed = std::memory_order_relaxed;
  std::shared_ptr<monitoring::SnsMetrics::Counters> For(const sns::MeteredTopic& t) {
    return metrics_.CountersFor(t.account, t.region, t.name);
  }
  monitoring::SnsMetrics& metrics_;
};

}  // namespace sluice::app
