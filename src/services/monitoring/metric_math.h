// Metric math: the expression language of GetMetricData and metric-math alarms (an Expression in
// a MetricDataQuery), parsed into a tree and evaluated over time series.
//
// Grammar (AWS's operators and precedence, lowest first):
//   expr    := or
//   or      := and (("OR" | "||") and)*
//   and     := cmp (("AND" | "&&") cmp)*
//   cmp     := add (("==" | "!=" | "<" | "<=" | ">" | ">=") add)?
//   add     := mul (("+" | "-") mul)*
//   mul     := unary (("*" | "/") unary)*
//   unary   := ("-" | "+" | "NOT" | "!") unary | pow
//   pow     := primary ("^" unary)?          (right-associative)
//   primary := number | "string" | id | FUNCTION "(" [expr ("," expr)*] ")" | "[" expr, ... "]"
//            | "(" expr ")" | REPEAT | LINEAR
// Ids start with a lowercase letter (letters, digits, underscores); function names are
// upper case.
//
// Values: a scalar, one time series, or an array of time series. Arithmetic and comparisons
// between two series keep the timestamps both have (AWS's alignment); with a scalar, every point;
// with an array, each member. Non-finite results (x/0) are dropped. Functions: ABS, CEIL, FLOOR,
// LOG, LOG10, SUM, AVG, MIN, MAX, STDDEV (a scalar over one series; a series over an array, per
// timestamp), DIFF, DIFF_TIME, RATE, RUNNING_SUM, FILL(m, value | REPEAT | LINEAR), IF(cond, a
// [, b]), METRICS() / METRICS("label text"), PERIOD(m), TIME_SERIES(scalar),
// ANOMALY_DETECTION_BAND(m [, n]), which is always empty (no anomaly model); over arrays
// SORT(a, SUM|AVG|MIN|MAX|STDDEV, ASC|DESC [, limit]), SLICE(a, start [, end]) (end exclusive),
// FIRST(a), LAST(a), REMOVE_EMPTY(a), METRIC_COUNT(a), DATAPOINT_COUNT(m | a); the time
// functions MINUTE, HOUR, DAY (1 Monday .. 7 Sunday), DATE, MONTH, YEAR, EPOCH of each point's
// timestamp (UTC); and SEARCH('query', 'Stat', period) over the stored metrics (metric_search.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace sluice::monitoring::math {

inline constexpr std::size_t kMaxExpressionLength = 2048;

struct Series {
  std::string label;
  std::vector<std::pair<Millis, double>> points;  // ascending timestamps
};

struct MathValue {
  enum class Kind { kScalar, kSeries, kArray };
  Kind kind = Kind::kScalar;
  double scalar = 0;
  std::vector<Series> series;  // kSeries: exactly one; kArray: any number
};

struct Node {
  enum class Kind { kNumber, kString, kId, kKeyword, kCall, kArray, kUnary, kBinary };
  Kind kind = Kind::kNumber;
  double number = 0;
  std::string text;  // id, string, keyword, function name or operator
  std::vector<std::unique_ptr<Node>> args;
};

// Parses an expression. Errors: the syntax error's text (without the query id).
Result<std::unique_ptr<Node>> Parse(std::string_view expression);

// The ids the expression refers to, and whether it calls METRICS().
void References(const Node& node, std::set<std::string>& ids, bool& uses_metrics);

struct Context {
  // The value of another query's id, nullptr when unknown (already evaluated by the caller).
  std::function<const MathValue*(const std::string& id)> lookup;
  // METRICS(): the MetricStat queries' series, in request order, labelled.
  const std::vector<Series>* metrics = nullptr;
  // SEARCH(query, stat, period): the stored series the query matches, aggregated by `stat` over
  // `period_s`; unset: SEARCH is not available here (an error).
  std::function<Result<std::vector<Series>>(const std::string& query, const std::string& stat,
                                            std::int64_t period_s)>
      search;
  Millis start = 0;  // the grid FILL and TIME_SERIES use: [start, end) by period
  Millis end = 0;
  Millis period = 60'000;
};

// Whether the expression calls the function `name` (upper case).
bool Calls(const Node& node, std::string_view name);

// Evaluates the tree. Errors: the text (without the query id).
Result<MathValue> Evaluate(const Node& node, const Context& context);

// The value as the time series GetMetricData answers: one per series (a scalar becomes a
// constant series over the grid).
std::vector<Series> AsSeries(const MathValue& value, const Context& context);

}  // namespace sluice::monitoring::math
