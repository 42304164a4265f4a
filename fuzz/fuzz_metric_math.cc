// Fuzzes the metric math parser and evaluator (services/monitoring/metric_math.h), which read
// GetMetricData's and PutMetricAlarm's Expression. Input: the expression text.
// Checks: parsing is deterministic; an expression that parses evaluates (or fails) the same way
// twice over two fixed series; every result series has finite values at ascending timestamps.
// SEARCH() runs its query (metric_search.h) over three fixed series keys: parsing and matching
// are deterministic and a SEARCH returns at most the keys that exist. A Metrics Insights query
// (SELECT ..., metric_insights.h) parses deterministically and matches the same keys twice.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "fuzz/fuzz_util.h"
#include "services/monitoring/metric_insights.h"
#include "services/monitoring/metric_math.h"
#include "services/monitoring/metric_search.h"

using namespace sluice::monitoring::math;

namespace {

MathValue Fixed(std::initializer_list<std::pair<sluice::Millis, double>> points,
                const char* label) {
  MathValue v;
  v.kind = MathValue::Kind::kSeries;
  v.series.push_back(Series{label, points});
  return v;
}

void CheckValue(const MathValue& v) {
  for (const Series& s : v.series) {
    for (std::size_t i = 0; i < s.points.size(); ++i) {
      FUZZ_CHECK(std::isfinite(s.points[i].second));
      if (i > 0) FUZZ_CHECK(s.points[i - 1].first <= s.points[i].first);
    }
  }
  if (v.kind == MathValue::Kind::kSeries) FUZZ_CHECK(v.series.size() == 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 4096) return 0;
  const std::string_view text = sluice::fuzz::AsText(data, size);
  if (sluice::monitoring::IsInsightsQuery(text)) {
    auto p = sluice::monitoring::ParseInsights(text);
    auto q = sluice::monitoring::ParseInsights(text);
    FUZZ_CHECK(p.ok() == q.ok());
    if (!p.ok()) {
      FUZZ_CHECK(p.status().message() == q.status().message());
      return 0;
    }
    FUZZ_CHECK(!sluice::monitoring::InsightsStatistic(p->function).empty());
    FUZZ_CHECK(p->limit >= 1 && p->limit <= sluice::monitoring::kMaxInsightsResults);
    const std::vector<sluice::monitoring::SeriesKey> keys = {
        {p->ns, p->metric, {}},
        {p->ns, p->metric, {{"Api", "get"}, {"Zone", "a"}}},
        {p->ns, p->metric, {{"Host", "h%1"}}},
    };
    for (const auto& key : keys) {
      FUZZ_CHECK(sluice::monitoring::InsightsMatches(*p, key) ==
                 sluice::monitoring::InsightsMatches(*q, key));
      FUZZ_CHECK(sluice::monitoring::InsightsGroup(*p, key).size() == p->group_by.size());
    }
    return 0;
  }
  auto a = Parse(text);
  auto b = Parse(text);
  FUZZ_CHECK(a.ok() == b.ok());
  if (!a.ok()) {
    FUZZ_CHECK(a.status().message() == b.status().message());
    return 0;
  }
  static const std::map<std::string, MathValue> ids = {
      {"m1", Fixed({{0, 1}, {60'000, 2}, {120'000, 4}}, "Errors")},
      {"m2", Fixed({{60'000, 10}, {180'000, -3}}, "Requests")},
  };
  static const std::vector<Series> metrics = {ids.at("m1").series[0], ids.at("m2").series[0]};
  Context c;
  c.lookup = [](const std::string& id) -> const MathValue* {
    auto it = ids.find(id);
    return it == ids.end() ? nullptr : &it->second;
  };
  c.metrics = &metrics;
  c.start = 0;
  c.end = 600'000;
  c.period = 60'000;
  static const std::vector<sluice::monitoring::SeriesKey> keys = {
      {"AWS/SQS", "NumberOfMessagesSent", {{"QueueName", "orders"}}},
      {"AWS/SQS", "ApproximateAgeOfOldestMessage", {{"QueueName", "orders-dlq"}}},
      {"App/Shop", "CPUUtilization", {{"Host", "web-1"}, {"Zone", "a"}}},
  };
  c.search = [](const std::string& query, const std::string&,
                std::int64_t) -> sluice::Result<std::vector<Series>> {
    auto f = sluice::monitoring::ParseSearch(query);
    auto g = sluice::monitoring::ParseSearch(query);
    FUZZ_CHECK(f.ok() == g.ok());
    if (!f.ok()) return f.status();
    std::vector<Series> out;
    for (const auto& key : keys) {
      const bool match = sluice::monitoring::SearchMatches(**f, key);
      FUZZ_CHECK(match == sluice::monitoring::SearchMatches(**g, key));
      if (match) out.push_back({sluice::monitoring::SearchLabel(key), {{0, 1}, {60'000, 2}}});
    }
    FUZZ_CHECK(out.size() <= keys.size());
    return out;
  };
  auto x = Evaluate(**a, c);
  auto y = Evaluate(**b, c);
  FUZZ_CHECK(x.ok() == y.ok());
  if (!x.ok()) {
    FUZZ_CHECK(x.status().message() == y.status().message());
    return 0;
  }
  CheckValue(*x);
  FUZZ_CHECK(x->series.size() == y->series.size());
  for (const Series& s : AsSeries(*x, c)) {
    for (const auto& [t, v] : s.points) FUZZ_CHECK(std::isfinite(v));
  }
  return 0;
}
