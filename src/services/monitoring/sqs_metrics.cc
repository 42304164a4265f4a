#include "services/monitoring/sqs_metrics.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

#include <fmt/format.h>

namespace sluice::monitoring {
namespace {

constexpr Millis kIdleAfter = 6 * kHour;

void AtomicMin(std::atomic<std::int64_t>& a, std::int64_t v) {
  std::int64_t cur = a.load(std::memory_order_relaxed);
  while (v < cur && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

void AtomicMax(std::atomic<std::int64_t>& a, std::int64_t v) {
  std::int64_t cur = a.load(std::memory_order_relaxed);
  while (v > cur && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

std::int64_t Take(std::atomic<std::int64_t>& a, std::int64_t reset = 0) {
  return a.exchange(reset, std::memory_order_relaxed);
}

double AttributeNumber(const engine::AttributeMap& attrs, const char* name) {
  auto it = attrs.find(name);
  if (it == attrs.end()) return 0;
  std::int64_t v = 0;
  std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  return static_cast<double>(v);
}

}  // namespace

engine::QueueId SqsMetrics::WithRegion(const engine::QueueId& q) const {
  if (!q.region.empty()) return q;
  engine::QueueId full = q;
  full.region = region_;
  return full;
}

std::shared_ptr<SqsMetrics::Counters> SqsMetrics::CountersFor(const engine::QueueId& queue) {
  engine::QueueId filled;  // only when the region is left to the default
  const engine::QueueId& q = queue.region.empty() ? (filled = WithRegion(queue)) : queue;
  {
    std::shared_lock lock(mu_);
    auto it = queues_.find(q);
    if (it != queues_.end()) return it->second;
  }
  std::unique_lock lock(mu_);
  auto& slot = queues_[q];
  if (!slot) slot = std::make_shared<Counters>();
  return slot;
}

void SqsMetrics::Touch(const engine::QueueId& q) { CountersFor(q); }

void SqsMetrics::Forget(const engine::QueueId& q) {
  std::unique_lock lock(mu_);
  queues_.erase(WithRegion(q));
}

void SqsMetrics::CountSent(Counters& c, std::int64_t messages, std::int64_t dedup,
                           std::int64_t sizes_sum, std::int64_t size_min, std::int64_t size_max) {
  c.sent.fetch_add(messages, std::memory_order_relaxed);
  if (dedup != 0) c.dedup.fetch_add(dedup, std::memory_order_relaxed);
  if (messages == 0) return;
  c.size_count.fetch_add(messages, std::memory_order_relaxed);
  c.size_sum.fetch_add(sizes_sum, std::memory_order_relaxed);
  AtomicMin(c.size_min, size_min);
  AtomicMax(c.size_max, size_max);
}

void SqsMetrics::CountReceived(Counters& c, std::int64_t messages) {
  if (messages == 0) {
    c.empty_receives.fetch_add(1, std::memory_order_relaxed);
  } else {
    c.received.fetch_add(messages, std::memory_order_relaxed);
  }
}

void SqsMetrics::CountDeleted(Counters& c, std::int64_t messages) {
  c.deleted.fetch_add(messages, std::memory_order_relaxed);
}

std::map<Scope, std::vector<Sample>> SqsMetrics::Flush(Millis minute) {
  std::vector<std::pair<engine::QueueId, std::shared_ptr<Counters>>> queues;
  {
    std::shared_lock lock(mu_);
    for (auto& [id, c] : queues_) queues.emplace_back(id, c);
  }
  std::map<Scope, std::vector<Sample>> out;
  std::lock_guard totals(totals_mu_);
  static const std::vector<std::string> kGauges = {"ApproximateNumberOfMessages",
                                                   "ApproximateNumberOfMessagesNotVisible",
                                                   "ApproximateNumberOfMessagesDelayed"};
  std::vector<engine::QueueId> gone;
  for (auto& [id, c] : queues) {
    const std::int64_t sent = Take(c->sent);
    const std::int64_t received = Take(c->received);
    const std::int64_t deleted = Take(c->deleted);
    const std::int64_t empty = Take(c->empty_receives);
    const std::int64_t dedup = Take(c->dedup);
    const std::int64_t size_count = Take(c->size_count);
    const std::int64_t size_sum = Take(c->size_sum);
    const std::int64_t size_min = Take(c->size_min, INT64_MAX);
    const std::int64_t size_max = Take(c->size_max, -1);
    c->total_sent += sent;
    c->total_received += received;
    c->total_deleted += deleted;
    c->total_empty += empty;
    c->total_size_count += size_count;
    c->total_size_sum += size_sum;
    auto attrs = engine_.GetQueueAttributes(id, kGauges);
    if (!attrs.ok()) {
      gone.push_back(id);  // deleted behind our back
      continue;
    }
    const double visible = AttributeNumber(*attrs, "ApproximateNumberOfMessages");
    const double inflight = AttributeNumber(*attrs, "ApproximateNumberOfMessagesNotVisible");
    const double delayed = AttributeNumber(*attrs, "ApproximateNumberOfMessagesDelayed");
    auto age_ms = engine_.OldestMessageAgeMs(id);
    const bool active = sent + received + deleted + empty > 0 || visible + inflight + delayed > 0;
    if (active || c->last_active == 0) c->last_active = minute;
    if (minute - c->last_active >= kIdleAfter) continue;  // idle: stops emitting, as on AWS

    std::vector<Sample>& samples = out[Scope{id.account, id.region}];
    auto add = [&](const char* name, double value, const char* unit) {
      Sample s;
      s.key = SeriesKey{"AWS/SQS", name, {{"QueueName", id.name}}};
      s.timestamp = minute;
      s.agg.AddValue(value);
      s.unit = unit;
      samples.push_back(std::move(s));
    };
    add("NumberOfMessagesSent", static_cast<double>(sent), "Count");
    add("NumberOfMessagesReceived", static_cast<double>(received), "Count");
    add("NumberOfMessagesDeleted", static_cast<double>(deleted), "Count");
    add("NumberOfEmptyReceives", static_cast<double>(empty), "Count");
    add("ApproximateNumberOfMessagesVisible", visible, "Count");
    add("ApproximateNumberOfMessagesNotVisible", inflight, "Count");
    add("ApproximateNumberOfMessagesDelayed", delayed, "Count");
    // As on AWS: whole seconds, and no datapoint while the queue is empty.
    if (age_ms.ok() && age_ms->has_value()) {
      add("ApproximateAgeOfOldestMessage", static_cast<double>(**age_ms / 1000), "Seconds");
    }
    if (id.name.ends_with(".fifo")) {
      add("NumberOfDeduplicatedSentMessages", static_cast<double>(dedup), "Count");
    }
    if (size_count > 0) {
      Sample s;
      s.key = SeriesKey{"AWS/SQS", "SentMessageSize", {{"QueueName", id.name}}};
      s.timestamp = minute;
      s.agg.AddSet(static_cast<double>(size_count), static_cast<double>(size_sum),
                   static_cast<double>(size_min), static_cast<double>(size_max));
      s.unit = "Bytes";
      samples.push_back(std::move(s));
    }
  }
  for (const engine::QueueId& id : gone) Forget(id);
  return out;
}

std::string PrometheusLabelValue(std::string_view v) {
  std::string out;
  for (char ch : v) {
    if (ch == '\\' || ch == '"') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (ch == '\n') {
      out += "\\n";
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

void SqsMetrics::AppendPrometheus(std::string& out) {
  struct Row {
    std::string labels;
    std::int64_t sent, received, deleted, empty, size_count, size_sum;
    double visible, not_visible, delayed;
    std::optional<double> age;  // seconds; none while the queue is empty
  };
  std::vector<std::pair<engine::QueueId, std::shared_ptr<Counters>>> queues;
  {
    std::shared_lock lock(mu_);
    for (auto& [id, c] : queues_) queues.emplace_back(id, c);
  }
  static const std::vector<std::string> kGauges = {"ApproximateNumberOfMessages",
                                                   "ApproximateNumberOfMessagesNotVisible",
                                                   "ApproximateNumberOfMessagesDelayed"};
  std::vector<Row> rows;
  {
    std::lock_guard totals(totals_mu_);
    for (auto& [id, c] : queues) {
      auto attrs = engine_.GetQueueAttributes(id, kGauges);
      if (!attrs.ok()) continue;
      const auto now = [](const std::atomic<std::int64_t>& a) {
        return a.load(std::memory_order_relaxed);
      };
      auto age_ms = engine_.OldestMessageAgeMs(id);
      std::optional<double> age;
      if (age_ms.ok() && age_ms->has_value()) age = static_cast<double>(**age_ms / 1000);
      rows.push_back({"queue=\"" + PrometheusLabelValue(id.name) + "\",account=\"" +
                          PrometheusLabelValue(id.account) + "\",region=\"" +
                          PrometheusLabelValue(id.region) + "\"",
                      c->total_sent + now(c->sent), c->total_received + now(c->received),
                      c->total_deleted + now(c->deleted), c->total_empty + now(c->empty_receives),
                      c->total_size_count + now(c->size_count),
                      c->total_size_sum + now(c->size_sum),
                      AttributeNumber(*attrs, "ApproximateNumberOfMessages"),
                      AttributeNumber(*attrs, "ApproximateNumberOfMessagesNotVisible"),
                      AttributeNumber(*attrs, "ApproximateNumberOfMessagesDelayed"), age});
    }
  }
  auto family = [&](const char* name, const char* type, const char* help, auto value) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    for (const Row& r : rows) out += fmt::format("{}{{{}}} {}\n", name, r.labels, value(r));
  };
  family("sluice_sqs_number_of_messages_sent_total", "counter",
         "Messages added to the queue (CloudWatch NumberOfMessagesSent).",
         [](const Row& r) { return r.sent; });
  family("sluice_sqs_number_of_messages_received_total", "counter",
         "Messages returned by ReceiveMessage (NumberOfMessagesReceived).",
         [](const Row& r) { return r.received; });
  family("sluice_sqs_number_of_messages_deleted_total", "counter",
         "Messages deleted (NumberOfMessagesDeleted).", [](const Row& r) { return r.deleted; });
  family("sluice_sqs_number_of_empty_receives_total", "counter",
         "ReceiveMessage calls that returned no message (NumberOfEmptyReceives).",
         [](const Row& r) { return r.empty; });
  family("sluice_sqs_sent_message_size_bytes_sum", "counter",
         "Bytes of the messages sent (SentMessageSize Sum).",
         [](const Row& r) { return r.size_sum; });
  family("sluice_sqs_sent_message_size_bytes_count", "counter",
         "Messages counted in sent_message_size_bytes_sum (SentMessageSize SampleCount).",
         [](const Row& r) { return r.size_count; });
  family("sluice_sqs_approximate_number_of_messages_visible", "gauge",
         "Messages available for retrieval (ApproximateNumberOfMessagesVisible).",
         [](const Row& r) { return r.visible; });
  family("sluice_sqs_approximate_number_of_messages_not_visible", "gauge",
         "Messages in flight (ApproximateNumberOfMessagesNotVisible).",
         [](const Row& r) { return r.not_visible; });
  family("sluice_sqs_approximate_number_of_messages_delayed", "gauge",
         "Messages delayed, not yet available (ApproximateNumberOfMessagesDelayed).",
         [](const Row& r) { return r.delayed; });
  // Only the queues that hold a message: an empty queue has no oldest message (as on AWS, where
  // the metric has no datapoint then).
  out +=
      "# HELP sluice_sqs_approximate_age_of_oldest_message_seconds Age of the oldest message in "
      "the queue (ApproximateAgeOfOldestMessage).\n"
      "# TYPE sluice_sqs_approximate_age_of_oldest_message_seconds gauge\n";
  for (const Row& r : rows) {
    if (r.age) {
      out += fmt::format("sluice_sqs_approximate_age_of_oldest_message_seconds{{{}}} {}\n",
                         r.labels, *r.age);
    }
  }
}

// ---- MeteredEngine ---------------------------------------------------------------------------

Status MeteredEngine::CreateQueue(const engine::QueueId& id, const engine::AttributeMap& attributes,
                                  const engine::TagMap& tags) {
  Status st = inner_.CreateQueue(id, attributes, tags);
  if (st.ok()) metrics_.Touch(id);
  return st;
}

Status MeteredEngine::DeleteQueue(const engine::QueueId& id) {
  Status st = inner_.DeleteQueue(id);
  if (st.ok()) metrics_.Forget(id);
  return st;
}

void MeteredEngine::Send(const engine::QueueId& id, std::vector<engine::SendRequest> messages,
                         SendCallback done) {
  // A batch holds at most 10 messages: their sizes stay in the callback, not on the heap.
  struct Sizes {
    std::array<std::int64_t, 10> few{};
    std::vector<std::int64_t> many;  // more than 10 (not from SQS's API)
    std::size_t n = 0;
    std::int64_t operator[](std::size_t i) const { return n <= few.size() ? few[i] : many[i]; }
    std::size_t size() const { return n; }
  } sizes;
  sizes.n = messages.size();
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const auto size = static_cast<std::int64_t>(messages[i].size);
    if (sizes.n <= sizes.few.size()) {
      sizes.few[i] = size;
    } else {
      sizes.many.push_back(size);
    }
  }
  inner_.Send(id, std::move(messages),
              [c = metrics_.CountersFor(id), sizes = std::move(sizes), done = std::move(done)](
                  Result<std::vector<Result<engine::SendResult>>> result) mutable {
                if (result.ok()) {
                  // A FIFO duplicate is accepted but not added: it counts as deduplicated,
                  // not as sent.
                  std::int64_t sent = 0, dedup = 0, sum = 0, lo = INT64_MAX, hi = -1;
                  for (std::size_t i = 0; i < result->size() && i < sizes.size(); ++i) {
                    if (!(*result)[i].ok()) continue;
                    if ((*result)[i]->deduplicated) {
                      ++dedup;
                      continue;
                    }
                    ++sent;
                    sum += sizes[i];
                    lo = std::min(lo, sizes[i]);
                    hi = std::max(hi, sizes[i]);
                  }
                  SqsMetrics::CountSent(*c, sent, dedup, sum, lo, hi);
                }
                done(std::move(result));
              });
}

void MeteredEngine::Receive(const engine::QueueId& id, const engine::ReceiveRequest& request,
                            ReceiveCallback done) {
  inner_.Receive(id, request,
                 [c = metrics_.CountersFor(id), done = std::move(done)](
                     Result<std::vector<engine::ReceivedMessage>> result) mutable {
                   if (result.ok()) {
                     SqsMetrics::CountReceived(*c, static_cast<std::int64_t>(result->size()));
                   }
                   done(std::move(result));
                 });
}

void MeteredEngine::Delete(const engine::QueueId& id, std::vector<std::string> receipt_handles,
                           BatchCallback done) {
  inner_.Delete(id, std::move(receipt_handles),
                [c = metrics_.CountersFor(id),
                 done = std::move(done)](Result<std::vector<Status>> result) mutable {
                  if (result.ok()) {
                    std::int64_t n = 0;
                    for (const Status& st : *result) n += st.ok() ? 1 : 0;
                    SqsMetrics::CountDeleted(*c, n);
                  }
                  done(std::move(result));
                });
}

}  // namespace sluice::monitoring
