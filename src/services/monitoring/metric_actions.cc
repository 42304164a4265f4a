// PutMetricData, GetMetricStatistics, GetMetricData (MetricStat queries) and ListMetrics.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "services/monitoring/errors.h"
#include "services/monitoring/handlers.h"

namespace sluice::monitoring {
namespace {

constexpr std::size_t kMaxMetricData = 1000;
constexpr std::size_t kMaxValues = 150;
constexpr std::int64_t kMaxDatapoints = 1440;
constexpr std::size_t kListPage = 500;
constexpr std::int64_t kMaxGetMetricDataPoints = 100'800;
constexpr std::size_t kMaxQueries = 500;

Millis FloorTo(Millis t, Millis step) { return t - ((t % step) + step) % step; }

}  // namespace

bool ValidPeriod(std::int64_t period) {
  return period == 1 || period == 5 || period == 10 || period == 30 ||
         (period >= 60 && period % 60 == 0);
}

namespace {

std::string Param(std::size_t i, std::string_view member) {
  return fmt::format("MetricData.member.{}.{}", i + 1, member);
}

Status CheckFinite(double v, std::string_view param) {
  if (std::isfinite(v) && std::fabs(v) <= 1.7e308) return Status::Ok();
  return InvalidValue(fmt::format("The value {} for parameter {} is invalid.", v, param));
}

// One datum of PutMetricData as a sample.
Result<Sample> DatumSample(const Value& d, std::size_t i, const std::string& ns, Millis now) {
  Sample s;
  s.key.ns = ns;
  s.key.name = StringOf(d, "MetricName");
  auto dims = DimensionsOf(d.Get("Dimensions"), Param(i, "Dimensions"));
  if (!dims.ok()) return dims.status();
  s.key.dims = std::move(*dims);
  s.unit = StringOf(d, "Unit");
  if (s.unit.empty()) s.unit = "None";
  const auto value = NumberOf(d.Get("Value"));
  const Value* stats = d.Get("StatisticValues");
  const Value* values = d.Get("Values");
  const Value* counts = d.Get("Counts");
  const bool has_stats = stats != nullptr && stats->is_struct();
  const bool has_values = values != nullptr && values->is_list() && !values->items().empty();
  if (value && has_stats) {
    return InvalidCombination(
        fmt::format("The parameters {} and {} are mutually exclusive and you have specified both.",
                    Param(i, "Value"), Param(i, "StatisticValues")));
  }
  if (value && has_values) {
    return InvalidCombination(
        fmt::format("The parameters {} and {} are mutually exclusive and you have specified both.",
                    Param(i, "Value"), Param(i, "Values")));
  }
  if (has_stats && has_values) {
    return InvalidCombination(
        fmt::format("The parameters {} and {} are mutually exclusive and you have specified both.",
                    Param(i, "StatisticValues"), Param(i, "Values")));
  }
  if (auto res = d.GetInt("StorageResolution"); res && *res != 1 && *res != 60) {
    return InvalidValue(fmt::format("The value {} for parameter {} is invalid.", *res,
                                    Param(i, "StorageResolution")));
  }
  if (value) {
    if (Status st = CheckFinite(*value, Param(i, "Value")); !st.ok()) return st;
    s.agg.AddValue(*value);
  } else if (has_stats) {
    const auto count = NumberOf(stats->Get("SampleCount"));
    const auto sum = NumberOf(stats->Get("Sum"));
    const auto lo = NumberOf(stats->Get("Minimum"));
    const auto hi = NumberOf(stats->Get("Maximum"));
    if (!count || !sum || !lo || !hi) {
      return Missing(fmt::format("The parameter {}.{} is required.", Param(i, "StatisticValues"),
                                 !count ? "SampleCount"
                                 : !sum ? "Sum"
                                 : !lo  ? "Minimum"
                                        : "Maximum"));
    }
    for (double v : {*count, *sum, *lo, *hi}) {
      if (Status st = CheckFinite(v, Param(i, "StatisticValues")); !st.ok()) return st;
    }
    if (*count <= 0) {
      return InvalidValue(fmt::format("The value {} for parameter {}.SampleCount is invalid.",
                                      *count, Param(i, "StatisticValues")));
    }
    if (*lo > *hi) {
      return InvalidValue(
          fmt::format("The parameter {}.Minimum must be less than or equal to the parameter "
                      "{}.Maximum.",
                      Param(i, "StatisticValues"), Param(i, "StatisticValues")));
    }
    s.agg.AddSet(*count, *sum, *lo, *hi);
  } else if (has_values) {
    if (values->items().size() > kMaxValues) {
      return InvalidValue(fmt::format("The collection {} must not have a size greater than {}.",
                                      Param(i, "Values"), kMaxValues));
    }
    const bool has_counts = counts != nullptr && counts->is_list() && !counts->items().empty();
    if (has_counts && counts->items().size() != values->items().size()) {
      return InvalidValue(fmt::format("The parameters {} and {} must be of the same size.",
                                      Param(i, "Values"), Param(i, "Counts")));
    }
    for (std::size_t k = 0; k < values->items().size(); ++k) {
      const auto v = NumberOf(&values->items()[k]);
      const double n = has_counts ? NumberOf(&counts->items()[k]).value_or(1) : 1;
      if (!v) continue;
      if (Status st = CheckFinite(*v, Param(i, "Values")); !st.ok()) return st;
      if (Status st = CheckFinite(n, Param(i, "Counts")); !st.ok()) return st;
      s.agg.AddValue(*v, n);
    }
  } else {
    return Missing(fmt::format("The parameter {} is required.", Param(i, "Value")));
  }
  s.timestamp = d.GetInt("Timestamp").value_or(now);
  if (s.timestamp < now - 14 * kDay) {
    return InvalidValue(
        fmt::format("The parameter {} must specify a time no more than two weeks in the past.",
                    Param(i, "Timestamp")));
  }
  if (s.timestamp > now + 2 * kHour) {
    return InvalidValue(
        fmt::format("The parameter {} must specify a time no more than two hours in the future.",
                    Param(i, "Timestamp")));
  }
  return s;
}

// The statistics of GetMetricStatistics: Statistics / ExtendedStatistics, exactly one kind.
struct StatRequest {
  std::vector<std::string> statistics;
  std::vector<std::string> extended;
};

Result<StatRequest> StatisticsOf(const Value& input) {
  StatRequest r;
  r.statistics = StringsOf(input.Get("Statistics"));
  r.extended = StringsOf(input.Get("ExtendedStatistics"));
  if (r.statistics.empty() == r.extended.empty()) {
    return InvalidCombination(
        "Must specify either Statistics or ExtendedStatistics, but not both.");
  }
  for (const std::string& e : r.extended) {
    if (!IsPercentile(e)) {
      return InvalidValue(
          fmt::format("The value {} for parameter ExtendedStatistics is not supported.", e));
    }
  }
  return r;
}

// Datapoints of one series bucketed by `period` from `start` (aligned) to `end`: one per period
// and unit (AWS answers the points of each unit apart when no Unit is given).
std::map<std::pair<Millis, std::string>, Point> Buckets(CloudWatch& cw, const Scope& scope,
                                                        const SeriesKey& key, Millis start,
                                                        Millis end, Millis period,
                                                        std::string_view unit) {
  std::map<std::pair<Millis, std::string>, Point> out;
  for (const auto& [ts, point] : cw.metrics().Points(scope, key, start, end)) {
    if (!unit.empty() && point.unit != unit) continue;
    Point& b = out[{start + (ts - start) / period * period, point.unit}];
    b.agg.Merge(point.agg);
    b.unit = point.unit;
  }
  return out;
}

}  // namespace

void PutMetricData(const Cw& cw, const RequestContext& ctx, Value&& input, Reply reply) {
  if (Status st = Authorize(cw, ctx, "cloudwatch:PutMetricData"); !st.ok()) return reply(st);
  const std::string ns = StringOf(input, "Namespace");
  if (ns.starts_with("AWS/")) {
    return reply(InvalidValue(fmt::format("The value {} for parameter Namespace is invalid.", ns)));
  }
  const Value* data = input.Get("MetricData");
  if (data == nullptr || !data->is_list() || data->items().empty()) {
    return reply(Missing("The parameter MetricData is required."));
  }
  if (data->items().size() > kMaxMetricData) {
    return reply(InvalidValue(fmt::format(
        "The collection MetricData must not have a size greater than {}.", kMaxMetricData)));
  }
  cw.cw.CatchUp();
  const Millis now = cw.cw.clock().NowMs();
  std::vector<Sample> samples;
  samples.reserve(data->items().size());
  for (std::size_t i = 0; i < data->items().size(); ++i) {
    auto s = DatumSample(data->items()[i], i, ns, now);
    if (!s.ok()) return reply(s.status());
    samples.push_back(std::move(*s));
  }
  if (Status st = cw.cw.metrics().Put(ScopeOf(ctx), samples); !st.ok()) return reply(st);
  reply(Value::Struct());
}

void GetMetricStatistics(const Cw& cw, const RequestContext& ctx, Value&& input, Reply reply) {
  if (Status st = Authorize(cw, ctx, "cloudwatch:GetMetricStatistics"); !st.ok()) {
    return reply(st);
  }
  auto stats = StatisticsOf(input);
  if (!stats.ok()) return reply(stats.status());
  const std::int64_t period = input.GetInt("Period").value_or(0);
  if (!ValidPeriod(period)) {
    return reply(InvalidValue("The parameter Period must be a multiple of 60."));
  }
  const Millis start_in = input.GetInt("StartTime").value_or(0);
  const Millis end = input.GetInt("EndTime").value_or(0);
  if (start_in >= end) {
    return reply(InvalidValue("The parameter StartTime must be less than the parameter EndTime."));
  }
  const Millis period_ms = period * 1000;
  const Millis start = FloorTo(start_in, period >= 60 ? kMinute : 1000);
  const std::int64_t requested = (end - start + period_ms - 1) / period_ms;
  if (requested > kMaxDatapoints) {
    return reply(InvalidCombination(fmt::format(
        "You have requested up to {} datapoints, which exceeds the limit of {}. You may reduce "
        "the datapoints requested by increasing Period, or decreasing the time range.",
        requested, kMaxDatapoints)));
  }
  auto dims = DimensionsOf(input.Get("Dimensions"), "Dimensions");
  if (!dims.ok()) return reply(dims.status());
  cw.cw.CatchUp();
  const SeriesKey key{StringOf(input, "Namespace"), StringOf(input, "MetricName"),
                      std::move(*dims)};
  const std::string unit = StringOf(input, "Unit");
  Value datapoints = Value::List();
  for (const auto& [where, point] :
       Buckets(cw.cw, ScopeOf(ctx), key, start, end, period_ms, unit)) {
    Value dp = Value::Struct();
    dp.Set("Timestamp", Value::Int(where.first));
    for (const std::string& s : stats->statistics) {
      if (auto v = StatisticOf(point.agg, s)) dp.Set(s, Value::Double(*v));
    }
    dp.Set("Unit", Value::String(point.unit.empty() ? "None" : point.unit));
    if (!stats->extended.empty()) {
      Value ext = Value::Map();
      for (const std::string& e : stats->extended) {
        if (auto v = StatisticOf(point.agg, e)) ext.Set(e, Value::Double(*v));
      }
      dp.Set("ExtendedStatistics", std::move(ext));
    }
    datapoints.Append(std::move(dp));
  }
  Value out = Value::Struct();
  out.Set("Label", Value::String(key.name));
  out.Set("Datapoints", std::move(datapoints));
  reply(std::move(out));
}

void ListMetrics(const Cw& cw, const RequestContext& ctx, Value&& input, Reply reply) {
  if (Status st = Authorize(cw, ctx, "cloudwatch:ListMetrics"); !st.ok()) return reply(st);
  auto position = TokenPosition(input);
  if (!position.ok()) return reply(position.status());
  cw.cw.CatchUp();
  const auto ns = input.GetString("Namespace");
  const auto name = input.GetString("MetricName");
  std::vector<std::pair<std::string, std::optional<std::string>>> filters;
  if (const Value* f = input.Get("Dimensions"); f != nullptr && f->is_list()) {
    for (const Value& d : f->items()) {
      auto value = d.GetString("Value");
      filters.emplace_back(StringOf(d, "Name"),
                           value ? std::optional<std::string>(std::string(*value)) : std::nullopt);
    }
  }
  const Millis now = cw.cw.clock().NowMs();
  Millis since = now - 14 * kDay;
  if (StringOf(input, "RecentlyActive") == "PT3H") since = now - 3 * kHour;
  Value metrics = Value::List();
  std::size_t index = 0;
  std::size_t skip = 0;
  if (!position->empty())
    skip = static_cast<std::size_t>(std::strtoull(position->c_str(), nullptr, 10));
  std::optional<std::string> next;
  for (const MetricStore::SeriesInfo& s : cw.cw.metrics().Series(ScopeOf(ctx))) {
    if (s.last < since) continue;
    if (ns && s.key.ns != *ns) continue;
    if (name && s.key.name != *name) continue;
    bool match = true;
    for (const auto& [fname, fvalue] : filters) {
      auto it = std::find_if(s.key.dims.begin(), s.key.dims.end(),
                             [&](const auto& d) { return d.first == fname; });
      if (it == s.key.dims.end() || (fvalue && it->second != *fvalue)) match = false;
    }
    if (!match) continue;
    if (index++ < skip) continue;
    if (metrics.items().size() == kListPage) {
      next = std::to_string(index - 1);
      break;
    }
    Value m = Value::Struct();
    m.Set("Namespace", Value::String(s.key.ns));
    m.Set("MetricName", Value::String(s.key.name));
    m.Set("Dimensions", DimensionsValue(s.key.dims));
    metrics.Append(std::move(m));
  }
  Value out = Value::Struct();
  out.Set("Metrics", std::move(metrics));
  if (next) out.Set("NextToken", Value::String(PageToken(*next)));
  reply(std::move(out));
}

void GetMetricData(const Cw& cw, const RequestContext& ctx, Value&& input, Reply reply) {
  if (Status st = Authorize(cw, ctx, "cloudwatch:GetMetricData"); !st.ok()) return reply(st);
  const Millis start_in = input.GetInt("StartTime").value_or(0);
  const Millis end = input.GetInt("EndTime").value_or(0);
  if (start_in >= end) {
    return reply(InvalidValue("The parameter StartTime must be less than the parameter EndTime."));
  }
  const Value* queries = input.Get("MetricDataQueries");
  if (queries == nullptr || !queries->is_list() || queries->items().empty()) {
    return reply(Missing("The parameter MetricDataQueries is required."));
  }
  if (queries->items().size() > kMaxQueries) {
    return reply(InvalidValue(fmt::format(
        "The collection MetricDataQueries must not have a size greater than {}.", kMaxQueries)));
  }
  auto position = TokenPosition(input);
  if (!position.ok()) return reply(position.status());
  const bool ascending = StringOf(input, "ScanBy") == "TimestampAscending";
  auto parsed = QueriesOf(*queries, "MetricDataQueries");
  if (!parsed.ok()) return reply(parsed.status());
  cw.cw.CatchUp();
  const Scope scope = ScopeOf(ctx);
  auto results = RunQueries(
      *parsed,
      [&](const SeriesKey& key, Millis from, Millis to) {
        return cw.cw.metrics().Points(scope, key, from, to);
      },
      start_in, end, nullptr,
      [&] {
        std::vector<SeriesKey> keys;
        for (auto& s : cw.cw.metrics().Series(scope)) keys.push_back(std::move(s.key));
        return keys;
      });
  if (!results.ok()) return reply(results.status());
  // Paging by datapoint offset across the results.
  const std::size_t skip =
      position->empty() ? 0
                        : static_cast<std::size_t>(std::strtoull(position->c_str(), nullptr, 10));
  const std::int64_t max_points = input.GetInt("MaxDatapoints").value_or(kMaxGetMetricDataPoints);
  std::size_t emitted = 0;
  std::size_t index = 0;
  bool more = false;
  Value out_results = Value::List();
  for (QueryResult& r : *results) {
    if (!ascending) std::reverse(r.points.begin(), r.points.end());
    Value timestamps = Value::List();
    Value values = Value::List();
    for (const auto& [ts, v] : r.points) {
      if (index++ < skip) continue;
      if (static_cast<std::int64_t>(emitted) >= max_points) {
        more = true;
        break;
      }
      timestamps.Append(Value::Int(ts));
      values.Append(Value::Double(v));
      ++emitted;
    }
    Value item = Value::Struct();
    item.Set("Id", Value::String(r.id));
    item.Set("Label", Value::String(r.label));
    item.Set("Timestamps", std::move(timestamps));
    item.Set("Values", std::move(values));
    item.Set("StatusCode", Value::String(more ? "PartialData" : "Complete"));
    out_results.Append(std::move(item));
    if (more) break;
  }
  Value out = Value::Struct();
  out.Set("MetricDataResults", std::move(out_results));
  if (more) out.Set("NextToken", Value::String(PageToken(std::to_string(skip + emitted))));
  out.Set("Messages", Value::List());
  reply(std::move(out));
}

Result<std::vector<MetricQuery>> QueriesOf(const Value& list, std::string_view param) {
  std::vector<MetricQuery> out;
  std::set<std::string> ids;
  for (std::size_t i = 0; i < list.items().size(); ++i) {
    const Value& q = list.items()[i];
    MetricQuery mq;
    mq.id = StringOf(q, "Id");
    if (mq.id.empty()) {
      return Missing(fmt::format("The parameter {}.member.{}.Id is required.", param, i + 1));
    }
    if (!ids.insert(mq.id).second) {
      return InvalidValue(fmt::format("The value {} for parameter {}.member.{}.Id is not unique.",
                                      mq.id, param, i + 1));
    }
    const Value* stat = q.Get("MetricStat");
    const auto expr = q.GetString("Expression");
    const bool has_stat = stat != nullptr && !stat->is_null();
    if (has_stat == expr.has_value()) {
      return InvalidCombination(fmt::format(
          "Exactly one element of the MetricStat and Expression parameters must be specified "
          "for {}.member.{}.",
          param, i + 1));
    }
    mq.label = StringOf(q, "Label");
    mq.return_data = q.GetBool("ReturnData").value_or(true);
    if (expr) {
      mq.expression = std::string(*expr);
      mq.period = q.GetInt("Period").value_or(0);
      if (mq.period != 0 && !ValidPeriod(mq.period)) {
        return InvalidValue(fmt::format(
            "The parameter {}.member.{}.Period must be a multiple of 60.", param, i + 1));
      }
      out.push_back(std::move(mq));
      continue;
    }
    mq.period = stat->GetInt("Period").value_or(0);
    if (!ValidPeriod(mq.period)) {
      return InvalidValue(fmt::format(
          "The parameter {}.member.{}.MetricStat.Period must be a multiple of 60.", param, i + 1));
    }
    mq.stat = StringOf(*stat, "Stat");
    if (!StatisticOf(Aggregate{}, mq.stat) && !IsPercentile(mq.stat)) {
      // AWS's text and code (recorded in yet-another-cloudwatch-exporter#1435).
      return Status(ErrorCode::kValidationError,
                    fmt::format("The value for parameter {}.member.{}.MetricStat.Stat is not a "
                                "valid statistic.",
                                param, i + 1));
    }
    mq.unit = StringOf(*stat, "Unit");
    const Value* metric = stat->Get("Metric");
    auto dims = DimensionsOf(metric != nullptr ? metric->Get("Dimensions") : nullptr, "Dimensions");
    if (!dims.ok()) return dims.status();
    mq.metric =
        SeriesKey{metric != nullptr ? StringOf(*metric, "Namespace") : "",
                  metric != nullptr ? StringOf(*metric, "MetricName") : "", std::move(*dims)};
    out.push_back(std::move(mq));
  }
  if (Status st = ValidateQueries(out); !st.ok()) {
    return st;
  }
  return out;
}

}  // namespace sluice::monitoring
