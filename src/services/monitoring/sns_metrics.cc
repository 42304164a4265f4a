#include "services/monitoring/sns_metrics.h"

#include <fmt/format.h>

#include <algorithm>

#include "services/monitoring/sqs_metrics.h"

namespace sluice::monitoring {
namespace {

std::int64_t Take(std::atomic<std::int64_t>& a, std::int64_t reset = 0) {
  return a.exchange(reset, std::memory_order_relaxed);
}

}  // namespace

std::shared_ptr<SnsMetrics::Counters> SnsMetrics::CountersFor(const std::string& account,
                                                              const std::string& region,
                                                              const std::string& topic) {
  Key key{account, region, topic};
  {
    std::shared_lock lock(mu_);
    auto it = topics_.find(key);
    if (it != topics_.end()) return it->second;
  }
  std::unique_lock lock(mu_);
  auto& slot = topics_[std::move(key)];
  if (!slot) slot = std::make_shared<Counters>();
  return slot;
}

void SnsMetrics::CountPublished(Counters& c, std::int64_t bytes) {
  c.published.fetch_add(1, std::memory_order_relaxed);
  c.size_count.fetch_add(1, std::memory_order_relaxed);
  c.size_sum.fetch_add(bytes, std::memory_order_relaxed);
  std::int64_t lo = c.size_min.load(std::memory_order_relaxed);
  while (bytes < lo && !c.size_min.compare_exchange_weak(lo, bytes, std::memory_order_relaxed)) {
  }
  std::int64_t hi = c.size_max.load(std::memory_order_relaxed);
  while (bytes > hi && !c.size_max.compare_exchange_weak(hi, bytes, std::memory_order_relaxed)) {
  }
}

std::map<Scope, std::vector<Sample>> SnsMetrics::Flush(Millis minute) {
  std::vector<std::pair<Key, std::shared_ptr<Counters>>> topics;
  {
    std::shared_lock lock(mu_);
    for (auto& [key, c] : topics_) topics.emplace_back(key, c);
  }
  std::map<Scope, std::vector<Sample>> out;
  std::lock_guard totals(totals_mu_);
  for (auto& [key, c] : topics) {
    const auto& [account, region, name] = key;
    const std::int64_t published = Take(c->published);
    const std::int64_t delivered = Take(c->delivered);
    const std::int64_t failed = Take(c->failed);
    const std::int64_t filtered = Take(c->filtered);
    const std::int64_t no_attributes = Take(c->filtered_no_attributes);
    const std::int64_t invalid = Take(c->filtered_invalid);
    const std::int64_t redriven = Take(c->redriven);
    const std::int64_t redrive_failed = Take(c->redrive_failed);
    const std::int64_t size_count = Take(c->size_count);
    const std::int64_t size_sum = Take(c->size_sum);
    const std::int64_t size_min = Take(c->size_min, INT64_MAX);
    const std::int64_t size_max = Take(c->size_max, -1);
    c->total_published += published;
    c->total_delivered += delivered;
    c->total_failed += failed;
    c->total_filtered += filtered + no_attributes + invalid;
    c->total_size_sum += size_sum;
    std::vector<Sample>* samples = nullptr;
    auto add = [&](const char* metric, std::int64_t value) {
      if (value == 0) return;  // sparse, as on AWS
      if (samples == nullptr) samples = &out[Scope{account, region}];
      Sample s;
      s.key = SeriesKey{"AWS/SNS", metric, {{"TopicName", name}}};
      s.timestamp = minute;
      s.agg.AddValue(static_cast<double>(value));
      s.unit = "Count";
      samples->push_back(std::move(s));
    };
    add("NumberOfMessagesPublished", published);
    add("NumberOfNotificationsDelivered", delivered);
    add("NumberOfNotificationsFailed", failed);
    add("NumberOfNotificationsFilteredOut", filtered);
    add("NumberOfNotificationsFilteredOut-NoMessageAttributes", no_attributes);
    add("NumberOfNotificationsFilteredOut-InvalidAttributes", invalid);
    add("NumberOfNotificationsRedrivenToDlq", redriven);
    add("NumberOfNotificationsFailedToRedriveToDlq", redrive_failed);
    if (size_count > 0) {
      if (samples == nullptr) samples = &out[Scope{account, region}];
      Sample s;
      s.key = SeriesKey{"AWS/SNS", "PublishSize", {{"TopicName", name}}};
      s.timestamp = minute;
      s.agg.AddSet(static_cast<double>(size_count), static_cast<double>(size_sum),
                   static_cast<double>(size_min), static_cast<double>(size_max));
      s.unit = "Bytes";
      samples->push_back(std::move(s));
    }
  }
  return out;
}

void SnsMetrics::AppendPrometheus(std::string& out) {
  struct Row {
    std::string labels;
    std::int64_t published, delivered, failed, filtered, size_sum;
  };
  std::vector<std::pair<Key, std::shared_ptr<Counters>>> topics;
  {
    std::shared_lock lock(mu_);
    for (auto& [key, c] : topics_) topics.emplace_back(key, c);
  }
  std::vector<Row> rows;
  {
    std::lock_guard totals(totals_mu_);
    for (auto& [key, c] : topics) {
      const auto& [account, region, name] = key;
      const auto now = [](const std::atomic<std::int64_t>& a) {
        return a.load(std::memory_order_relaxed);
      };
      rows.push_back({"topic=\"" + PrometheusLabelValue(name) + "\",account=\"" +
                          PrometheusLabelValue(account) + "\",region=\"" +
                          PrometheusLabelValue(region) + "\"",
                      c->total_published + now(c->published),
                      c->total_delivered + now(c->delivered), c->total_failed + now(c->failed),
                      c->total_filtered + now(c->filtered) + now(c->filtered_no_attributes) +
                          now(c->filtered_invalid),
                      c->total_size_sum + now(c->size_sum)});
    }
  }
  auto family = [&](const char* name, const char* help, auto value) {
    out += fmt::format("# HELP {} {}\n# TYPE {} counter\n", name, help, name);
    for (const Row& r : rows) out += fmt::format("{}{{{}}} {}\n", name, r.labels, value(r));
  };
  family("sluice_sns_number_of_messages_published_total",
         "Messages published to the topic (CloudWatch NumberOfMessagesPublished).",
         [](const Row& r) { return r.published; });
  family("sluice_sns_number_of_notifications_delivered_total",
         "Notifications delivered to subscriptions (NumberOfNotificationsDelivered).",
         [](const Row& r) { return r.delivered; });
  family("sluice_sns_number_of_notifications_failed_total",
         "Notifications given up (NumberOfNotificationsFailed).",
         [](const Row& r) { return r.failed; });
  family("sluice_sns_number_of_notifications_filtered_out_total",
         "Notifications a filter policy rejected (NumberOfNotificationsFilteredOut and its "
         "-NoMessageAttributes and -InvalidAttributes variants together).",
         [](const Row& r) { return r.filtered; });
  family("sluice_sns_publish_size_bytes_sum", "Bytes published (PublishSize Sum).",
         [](const Row& r) { return r.size_sum; });
}

}  // namespace sluice::monitoring
