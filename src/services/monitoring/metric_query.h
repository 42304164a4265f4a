// MetricDataQuery: the queries of GetMetricData and of metric-math alarms (PutMetricAlarm's
// Metrics), validated (unique ids, known references, no cycles, expressions that parse) and run
// over the metric store: MetricStat queries bucket their series by period, expressions are
// evaluated with metric_math.h in dependency order.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "services/monitoring/series.h"

namespace sluice::monitoring {

struct MetricQuery {
  std::string id;
  std::string label;
  std::string expression;  // non-empty: an expression, else a MetricStat
  SeriesKey metric;
  std::string stat;
  std::string unit;
  std::int64_t period = 0;  // seconds: MetricStat.Period, or the query's Period for expressions
  bool return_data = true;
};

struct QueryResult {
  std::string id;
  std::string label;
  std::vector<std::pair<Millis, double>> points;  // ascending
};

// Checks the queries as AWS does before running them: ValidationError texts naming the query.
Status ValidateQueries(const std::vector<MetricQuery>& queries);

// The points of one series in [start, end), time order (MetricStore::Points).
using PointSource =
    std::function<std::vector<std::pair<Millis, Point>>(const SeriesKey&, Millis, Millis)>;

// Every stored series (SEARCH() looks through them), in key order.
using SeriesLister = std::function<std::vector<SeriesKey>()>;

// Runs validated queries over [start, end). Returns the results of the queries with ReturnData
// (an expression that yields an array of series gives one result per series, with the same Id);
// with `only` set, just that query's. Without `lister`, SEARCH() is an error.
Result<std::vector<QueryResult>> RunQueries(const std::vector<MetricQuery>& queries,
                                            const PointSource& source, Millis start, Millis end,
                                            const std::string* only = nullptr,
                                            const SeriesLister& lister = {});

// Store codec of an alarm's queries (a JSON array).
std::string EncodeQueries(const std::vector<MetricQuery>& queries);
std::optional<std::vector<MetricQuery>> DecodeQueries(std::string_view text);

}  // namespace sluice::monitoring
