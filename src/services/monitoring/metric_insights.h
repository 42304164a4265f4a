// Metrics Insights queries (an Expression of GetMetricData or of a metric-math alarm that starts
// with SELECT):
//
//   SELECT FUNCTION(metric) FROM namespace | SCHEMA(namespace [, dimension]...)
//     [WHERE condition] [GROUP BY dimension [, dimension]...]
//     [ORDER BY FUNCTION() [ASC | DESC]] [LIMIT n]
//
// FUNCTION is AVG, COUNT, MAX, MIN or SUM; names are bare (letters, digits, _ . / - :) or in
// double quotes; values in single quotes. Conditions compare a dimension with = or != a value,
// LIKE a value with % wildcards, or IN (values), combined with AND, OR, NOT and parentheses.
// Keywords are case-insensitive. FROM namespace takes every series of the metric in the
// namespace; SCHEMA(...) those with exactly the dimensions named. Without GROUP BY the query
// yields one series, the function over every matching series per period; with it, one series per
// group (a series without a grouping dimension falls into the group of its empty value), labelled
// with the group's values. ORDER BY sorts the series by the function over all their data
// (ascending unless DESC), LIMIT keeps the first n (at most 500).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "services/monitoring/series.h"

namespace sluice::monitoring {

inline constexpr std::size_t kMaxInsightsResults = 500;

struct InsightsCondition {
  enum class Kind { kAnd, kOr, kNot, kEq, kNe, kLike, kIn };
  Kind kind = Kind::kEq;
  std::string key;
  std::vector<std::string> values;  // kEq, kNe, kLike: one; kIn: any number
  std::vector<std::unique_ptr<InsightsCondition>> args;
};

struct InsightsQuery {
  std::string function;  // AVG, COUNT, MAX, MIN, SUM
  std::string metric;
  std::string ns;
  bool schema = false;  // FROM SCHEMA(...): exactly `schema_dims`
  std::vector<std::string> schema_dims;
  std::unique_ptr<InsightsCondition> where;
  std::vector<std::string> group_by;
  std::optional<std::string> order_function;
  bool descending = false;
  std::size_t limit = kMaxInsightsResults;
};

// True when the expression is a Metrics Insights query (starts with SELECT, any case).
bool IsInsightsQuery(std::string_view expression);
// Parses one. Errors: kValidationError with the problem's text.
Result<InsightsQuery> ParseInsights(std::string_view text);
// Whether the series is one the query reads (metric, namespace, schema, WHERE).
bool InsightsMatches(const InsightsQuery& q, const SeriesKey& key);
// The statistic a function computes (AVG: Average, COUNT: SampleCount, ...).
std::string InsightsStatistic(std::string_view function);
// The group of a matching series: its values of the GROUP BY dimensions ("" when it has none).
std::vector<std::string> InsightsGroup(const InsightsQuery& q, const SeriesKey& key);

}  // namespace sluice::monitoring
