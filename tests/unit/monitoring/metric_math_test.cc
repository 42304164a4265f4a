// Metric math: the parser (precedence, errors) and the evaluator against hand-computed values,
// and the query runner (references, cycles, METRICS(), ReturnData, labels).
#include "services/monitoring/metric_math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "services/monitoring/metric_query.h"

namespace sluice::monitoring {
namespace {

using math::MathValue;
using math::Series;
using Points = std::vector<std::pair<Millis, double>>;

constexpr Millis kM = 60'000;

MathValue SeriesValue(Points p, std::string label = "") {
  MathValue v;
  v.kind = MathValue::Kind::kSeries;
  v.series.push_back(Series{std::move(label), std::move(p)});
  return v;
}

struct Fixture {
  std::map<std::string, MathValue> ids;
  std::vector<Series> metrics;
  math::Context context;

  Fixture() {
    // m1: 1, 2, 4 at minutes 0, 1, 2; m2: 10, 20 at minutes 1, 2, 3 (no minute 0; 30 at 3).
    ids["m1"] = SeriesValue({{0, 1}, {kM, 2}, {2 * kM, 4}}, "Errors");
    ids["m2"] = SeriesValue({{kM, 10}, {2 * kM, 20}, {3 * kM, 30}}, "Requests");
    metrics = {ids["m1"].series[0], ids["m2"].series[0]};
    context.lookup = [this](const std::string& id) -> const MathValue* {
      auto it = ids.find(id);
      return it == ids.end() ? nullptr : &it->second;
    };
    context.metrics = &metrics;
    context.start = 0;
    context.end = 4 * kM;
    context.period = kM;
  }

  MathValue Eval(std::string_view expr) {
    auto node = math::Parse(expr);
    EXPECT_TRUE(node.ok()) << expr << ": " << node.status().message();
    if (!node.ok()) return {};
    auto v = math::Evaluate(**node, context);
    EXPECT_TRUE(v.ok()) << expr << ": " << v.status().message();
    return v.ok() ? *v : MathValue{};
  }
  Points Points1(std::string_view expr) {
    MathValue v = Eval(expr);
    EXPECT_EQ(v.kind, MathValue::Kind::kSeries) << expr;
    return v.series.empty() ? Points{} : v.series[0].points;
  }
  double Scalar(std::string_view expr) {
    MathValue v = Eval(expr);
    EXPECT_EQ(v.kind, MathValue::Kind::kScalar) << expr;
    return v.scalar;
  }
  std::string Error(std::string_view expr) {
    auto node = math::Parse(expr);
    if (!node.ok()) return node.status().message();
    auto v = math::Evaluate(**node, context);
    return v.ok() ? "" : v.status().message();
  }
};

TEST(MetricMath, ScalarArithmeticAndPrecedence) {
  Fixture f;
  EXPECT_DOUBLE_EQ(f.Scalar("1 + 2 * 3"), 7);
  EXPECT_DOUBLE_EQ(f.Scalar("(1 + 2) * 3"), 9);
  EXPECT_DOUBLE_EQ(f.Scalar("2 ^ 3 ^ 2"), 512);  // right-associative
  EXPECT_DOUBLE_EQ(f.Scalar("-2 ^ 2"), -4);
  EXPECT_DOUBLE_EQ(f.Scalar("10 / 4 - 1"), 1.5);
  EXPECT_DOUBLE_EQ(f.Scalar("1.5e2"), 150);
  EXPECT_DOUBLE_EQ(f.Scalar("3 > 2 AND 1 == 1"), 1);
  EXPECT_DOUBLE_EQ(f.Scalar("3 < 2 || NOT 0"), 1);
  EXPECT_DOUBLE_EQ(f.Scalar("!(1 != 1)"), 1);
}

TEST(MetricMath, SeriesAlignOnSharedTimestamps) {
  Fixture f;
  // m1 + m2: only minutes 1 and 2 are in both.
  EXPECT_EQ(f.Points1("m1 + m2"), (Points{{kM, 12}, {2 * kM, 24}}));
  EXPECT_EQ(f.Points1("m2 / m1"), (Points{{kM, 5}, {2 * kM, 5}}));
  EXPECT_EQ(f.Points1("m1 * 2 + 1"), (Points{{0, 3}, {kM, 5}, {2 * kM, 9}}));
  EXPECT_EQ(f.Points1("100 - m1"), (Points{{0, 99}, {kM, 98}, {2 * kM, 96}}));
  EXPECT_EQ(f.Points1("m1 ^ 2"), (Points{{0, 1}, {kM, 4}, {2 * kM, 16}}));
  // Division by zero drops the point.
  EXPECT_EQ(f.Points1("m1 / (m1 - 2)"), (Points{{0, -1}, {2 * kM, 2}}));
  EXPECT_EQ(f.Points1("m1 > 1"), (Points{{0, 0}, {kM, 1}, {2 * kM, 1}}));
}

TEST(MetricMath, Reductions) {
  Fixture f;
  EXPECT_DOUBLE_EQ(f.Scalar("SUM(m1)"), 7);
  EXPECT_DOUBLE_EQ(f.Scalar("AVG(m2)"), 20);
  EXPECT_DOUBLE_EQ(f.Scalar("MIN(m2)"), 10);
  EXPECT_DOUBLE_EQ(f.Scalar("MAX(m1)"), 4);
  EXPECT_DOUBLE_EQ(f.Scalar("STDDEV(m2)"), 10);  // sample: sqrt((100+0+100)/2)
  // e - AVG(e): a series minus a scalar.
  EXPECT_EQ(f.Points1("m2 - AVG(m2)"), (Points{{kM, -10}, {2 * kM, 0}, {3 * kM, 10}}));
  // Over an array: per timestamp, over the series that have it.
  EXPECT_EQ(f.Points1("SUM([m1, m2])"), (Points{{0, 1}, {kM, 12}, {2 * kM, 24}, {3 * kM, 30}}));
  EXPECT_EQ(f.Points1("MAX(METRICS())"), (Points{{0, 1}, {kM, 10}, {2 * kM, 20}, {3 * kM, 30}}));
  EXPECT_EQ(f.Points1("AVG([m1, m2])"), (Points{{0, 1}, {kM, 6}, {2 * kM, 12}, {3 * kM, 30}}));
  EXPECT_EQ(f.Points1("MIN([m1, m2])"), (Points{{0, 1}, {kM, 2}, {2 * kM, 4}, {3 * kM, 30}}));
  Points sd = f.Points1("STDDEV([m1, m2])");
  ASSERT_EQ(sd.size(), 4u);
  EXPECT_NEAR(sd[1].second, std::sqrt(32.0), 1e-12);  // values 2, 10: mean 6, (16+16)/1
  EXPECT_EQ(sd[0].second, 0);
}

TEST(MetricMath, DiffRateRunningSum) {
  Fixture f;
  EXPECT_EQ(f.Points1("DIFF(m1)"), (Points{{kM, 1}, {2 * kM, 2}}));
  EXPECT_EQ(f.Points1("RATE(m2)"), (Points{{2 * kM, 10.0 / 60}, {3 * kM, 10.0 / 60}}));
  EXPECT_EQ(f.Points1("DIFF_TIME(m2)"), (Points{{2 * kM, 60}, {3 * kM, 60}}));
  EXPECT_EQ(f.Points1("RUNNING_SUM(m1)"), (Points{{0, 1}, {kM, 3}, {2 * kM, 7}}));
  EXPECT_EQ(f.Points1("ABS(0 - m1)"), (Points{{0, 1}, {kM, 2}, {2 * kM, 4}}));
}

TEST(MetricMath, Fill) {
  Fixture f;
  EXPECT_EQ(f.Points1("FILL(m2, 0)"), (Points{{0, 0}, {kM, 10}, {2 * kM, 20}, {3 * kM, 30}}));
  EXPECT_EQ(f.Points1("FILL(m1, REPEAT)"), (Points{{0, 1}, {kM, 2}, {2 * kM, 4}, {3 * kM, 4}}));
  f.ids["m3"] = SeriesValue({{0, 0}, {3 * kM, 30}});
  EXPECT_EQ(f.Points1("FILL(m3, LINEAR)"), (Points{{0, 0}, {kM, 10}, {2 * kM, 20}, {3 * kM, 30}}));
  // Filled from another series where it has values.
  EXPECT_EQ(f.Points1("FILL(m3, m1)"), (Points{{0, 0}, {kM, 2}, {2 * kM, 4}, {3 * kM, 30}}));
  // Arrays: each member.
  MathValue v = f.Eval("FILL(METRICS(), 0)");
  ASSERT_EQ(v.series.size(), 2u);
  EXPECT_EQ(v.series[0].points.size(), 4u);
  EXPECT_EQ(v.series[1].points[0], (std::pair<Millis, double>{0, 0}));
}

TEST(MetricMath, If) {
  Fixture f;
  EXPECT_EQ(f.Points1("IF(m1 > 1, m1, 0)"), (Points{{0, 0}, {kM, 2}, {2 * kM, 4}}));
  EXPECT_EQ(f.Points1("IF(m1 > 1, m1)"), (Points{{kM, 2}, {2 * kM, 4}}));
  // The true branch has no value at minute 0: no point there.
  EXPECT_EQ(f.Points1("IF(m1 >= 1, m2, 5)"), (Points{{kM, 10}, {2 * kM, 20}}));
}

TEST(MetricMath, MetricsAndLabels) {
  Fixture f;
  MathValue all = f.Eval("METRICS()");
  ASSERT_EQ(all.kind, MathValue::Kind::kArray);
  EXPECT_EQ(all.series.size(), 2u);
  MathValue some = f.Eval("METRICS(\"Err\")");
  ASSERT_EQ(some.series.size(), 1u);
  EXPECT_EQ(some.series[0].label, "Errors");
  MathValue scaled = f.Eval("METRICS() * 2");
  ASSERT_EQ(scaled.series.size(), 2u);
  EXPECT_EQ(scaled.series[1].points[0].second, 20);
  EXPECT_DOUBLE_EQ(f.Scalar("PERIOD(m1)"), 60);
  EXPECT_EQ(f.Points1("TIME_SERIES(7)").size(), 4u);
  // A scalar answered as a constant series over the grid.
  EXPECT_EQ(math::AsSeries(f.Eval("1 + 1"), f.context)[0].points.size(), 4u);
}

TEST(MetricMath, Errors) {
  Fixture f;
  EXPECT_EQ(f.Error("m1 +"), "Unexpected end of expression.");
  EXPECT_EQ(f.Error("m1 + * 2"), "Unexpected token \"*\" at position 6.");
  EXPECT_EQ(f.Error("(m1"), "Unexpected end of expression.");
  EXPECT_EQ(f.Error("m1 $ 2"), "Unexpected character \"$\" at position 4.");
  EXPECT_EQ(
      f.Error("M1 + 1"),
      "Unrecognized identifier \"M1\" at position 1: ids must start with a lowercase letter.");
  EXPECT_EQ(f.Error("m9 + 1"), "Unrecognized metric or expression id: m9.");
  EXPECT_EQ(f.Error("NOPE(m1)"), "Unrecognized function: NOPE.");
  EXPECT_EQ(f.Error("ABS(m1, m2)"), "The function ABS takes 1 argument, 2 given.");
  EXPECT_EQ(f.Error("FILL(m1)"), "The function FILL takes 2 arguments, 1 given.");
  EXPECT_EQ(f.Error("RATE(5)"), "The function RATE expects a time series as argument 1.");
  EXPECT_EQ(f.Error("METRICS(1)"), "The argument of METRICS() must be a string.");
  EXPECT_EQ(f.Error("\"x\""), "The string \"x\" can only be an argument of METRICS() or SEARCH().");
  EXPECT_EQ(f.Error(""), "The expression is empty.");
  EXPECT_EQ(f.Error(std::string(300, '(') + "1" + std::string(300, ')')),
            "The expression is nested too deeply.");
  EXPECT_EQ(f.Error("[m1, m2] + [m1]"),
            "Operator + cannot combine arrays of time series of different sizes (2 and 1).");
}

TEST(MetricMath, ArrayFunctions) {
  Fixture f;
  // m1 sums to 7, m2 to 60; m3 has no data.
  f.ids["m3"] = SeriesValue({}, "Empty");
  auto labels = [&](std::string_view expr) {
    std::vector<std::string> out;
    for (const Series& s : f.Eval(expr).series) out.push_back(s.label);
    return out;
  };
  using L = std::vector<std::string>;
  EXPECT_EQ(labels("SORT([m1, m3, m2], SUM, DESC)"), (L{"Requests", "Errors", "Empty"}));
  EXPECT_EQ(labels("SORT([m1, m3, m2], MAX, ASC)"), (L{"Errors", "Requests", "Empty"}));
  EXPECT_EQ(labels("SORT(METRICS(), AVG, DESC, 1)"), (L{"Requests"}));
  EXPECT_EQ(labels("SLICE([m1, m2, m3], 1, 3)"), (L{"Requests", "Empty"}));
  EXPECT_EQ(labels("SLICE([m1, m2, m3], 0)"), (L{"Errors"}));
  EXPECT_EQ(labels("SLICE([m1, m2], 5, 9)"), L{});
  EXPECT_EQ(labels("REMOVE_EMPTY([m1, m3, m2])"), (L{"Errors", "Requests"}));
  EXPECT_EQ(f.Points1("FIRST(SORT(METRICS(), SUM, DESC))"),
            (Points{{kM, 10}, {2 * kM, 20}, {3 * kM, 30}}));
  EXPECT_EQ(f.Points1("LAST(METRICS())"), (Points{{kM, 10}, {2 * kM, 20}, {3 * kM, 30}}));
  EXPECT_EQ(f.Scalar("METRIC_COUNT(METRICS())"), 2);
  EXPECT_EQ(f.Scalar("DATAPOINT_COUNT(m1)"), 3);
  EXPECT_EQ(f.Points1("DATAPOINT_COUNT(METRICS())"),
            (Points{{0, 1}, {kM, 2}, {2 * kM, 2}, {3 * kM, 1}}));
  EXPECT_EQ(f.Error("SORT(METRICS(), SUM)"), "The function SORT takes 3 to 4 arguments, 2 given.");
  EXPECT_EQ(f.Error("SORT(METRICS(), ASC, SUM)"),
            "The second argument of SORT() must be one of SUM, AVG, MIN, MAX, STDDEV.");
  EXPECT_EQ(f.Error("SORT(METRICS(), SUM, UP)"),
            "Unrecognized identifier \"UP\" at position 22: ids must start with a lowercase "
            "letter.");
  EXPECT_EQ(f.Error("FIRST(m1)"),
            "The function FIRST expects an array of time series as argument 1.");
  EXPECT_EQ(f.Error("SLICE(METRICS(), -1)"),
            "The function SLICE expects a non-negative whole number as argument 2.");
  EXPECT_EQ(f.Error("m1 + DESC"), "DESC can only be an argument of SORT().");
}

TEST(MetricMath, TimeFunctions) {
  Fixture f;
  // 2026-12-06T08:15:00Z, a Sunday, and 2027-01-04T23:59:00Z, a Monday.
  const Millis a = 1'796'544'900'000, b = 1'799'107'140'000;
  f.ids["t"] = SeriesValue({{a, 5}, {b, 6}});
  EXPECT_EQ(f.Points1("MINUTE(t)"), (Points{{a, 15}, {b, 59}}));
  EXPECT_EQ(f.Points1("HOUR(t)"), (Points{{a, 8}, {b, 23}}));
  EXPECT_EQ(f.Points1("DAY(t)"), (Points{{a, 7}, {b, 1}}));
  EXPECT_EQ(f.Points1("DATE(t)"), (Points{{a, 6}, {b, 4}}));
  EXPECT_EQ(f.Points1("MONTH(t)"), (Points{{a, 12}, {b, 1}}));
  EXPECT_EQ(f.Points1("YEAR(t)"), (Points{{a, 2026}, {b, 2027}}));
  EXPECT_EQ(f.Points1("EPOCH(t)"), (Points{{a, a / 1000.0}, {b, b / 1000.0}}));
  EXPECT_EQ(f.Points1("IF(HOUR(t) < 12, t, 0)"), (Points{{a, 5}, {b, 0}}));
  EXPECT_EQ(f.Error("HOUR(3)"), "The function HOUR expects a time series as argument 1.");
}

// ---- queries ----------------------------------------------------------------------------------

MetricQuery Stat(std::string id, std::string name, bool ret = true) {
  MetricQuery q;
  q.id = std::move(id);
  q.metric = {"App", std::move(name), {}};
  q.stat = "Sum";
  q.period = 60;
  q.return_data = ret;
  return q;
}

MetricQuery Expr(std::string id, std::string expr, std::string label = "") {
  MetricQuery q;
  q.id = std::move(id);
  q.expression = std::move(expr);
  q.label = std::move(label);
  return q;
}

std::vector<std::pair<Millis, Point>> Source(const SeriesKey& key, Millis start, Millis end) {
  std::vector<std::pair<Millis, Point>> out;
  for (Millis t = 0; t < 3 * kM; t += kM / 2) {  // two samples a minute
    if (t < start || t >= end) continue;
    Point p;
    p.agg.AddValue(key.name == "Errors" ? 1 : 5);
    out.emplace_back(t, p);
  }
  return out;
}

TEST(MetricQueries, RunsExpressionsInDependencyOrder) {
  std::vector<MetricQuery> qs = {Expr("e2", "e1 * 10", "Error rate"), Stat("m1", "Errors", false),
                                 Stat("m2", "Requests", false), Expr("e1", "m1 / m2")};
  qs[3].return_data = false;
  ASSERT_TRUE(ValidateQueries(qs).ok());
  auto r = RunQueries(qs, Source, 0, 3 * kM);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].id, "e2");
  EXPECT_EQ((*r)[0].label, "Error rate");
  EXPECT_EQ((*r)[0].points, (Points{{0, 2}, {kM, 2}, {2 * kM, 2}}));  // 2/10 * 10
}

TEST(MetricQueries, ArraysGiveOneResultPerSeries) {
  std::vector<MetricQuery> qs = {Stat("m1", "Errors", false), Stat("m2", "Requests", false),
                                 Expr("e1", "METRICS() * 2", "Doubled")};
  auto r = RunQueries(qs, Source, 0, 3 * kM);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].label, "Doubled Errors");
  EXPECT_EQ((*r)[1].label, "Doubled Requests");
  EXPECT_EQ((*r)[1].points[0].second, 20);
  // Without a label, an expression is labelled with its id.
  qs = {Stat("m1", "Errors", false), Expr("e1", "m1 + 1")};
  r = RunQueries(qs, Source, 0, 3 * kM);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].label, "e1");
}

TEST(MetricQueries, ValidationErrors) {
  EXPECT_EQ(ValidateQueries({Stat("m1", "Errors"), Expr("e1", "m1 + m3")}).message(),
            "Error in expression e1: Unrecognized metric or expression id: m3.");
  EXPECT_EQ(ValidateQueries({Expr("e1", "e2 + 1"), Expr("e2", "e1 * 2")}).message(),
            "Error in expression e1: Circular dependency detected: expression e1 refers to itself "
            "through other expressions.");
  EXPECT_EQ(ValidateQueries({Expr("e1", "e1")}).code(), ErrorCode::kValidationError);
  EXPECT_EQ(ValidateQueries({Expr("e1", "1 +")}).message(),
            "Error in expression e1: Unexpected end of expression.");
  EXPECT_EQ(ValidateQueries({Stat("M1", "Errors")}).message(),
            "The value M1 for parameter MetricDataQueries.member.1.Id is invalid: it must start "
            "with a lowercase letter and hold only letters, numbers and underscores.");
}

TEST(MetricQueries, Search) {
  const std::vector<SeriesKey> keys = {
      {"App", "Errors", {{"Api", "get"}}},
      {"App", "Errors", {{"Api", "put"}, {"Zone", "a"}}},
      {"App", "Requests", {{"Api", "get"}}},
      {"AWS/SQS", "CPUUtilization", {}},
  };
  SeriesLister lister = [&] { return keys; };
  auto labels = [&](std::string expr) {
    std::vector<std::string> out;
    auto r = RunQueries({Expr("e1", std::move(expr))}, Source, 0, 3 * kM, nullptr, lister);
    EXPECT_TRUE(r.ok()) << r.status().message();
    if (r.ok()) {
      for (const QueryResult& q : *r) out.push_back(q.label);
    }
    return out;
  };
  using L = std::vector<std::string>;
  EXPECT_EQ(labels("SEARCH('{App,Api} MetricName=\"Errors\"', 'Sum', 60)"), L{"get Errors"});
  EXPECT_EQ(labels("SEARCH('Errors', 'Sum', 60)"), (L{"get Errors", "put a Errors"}));
  EXPECT_EQ(labels("SEARCH('Api=get OR Zone=\"a\"', 'Sum', 60)"),
            (L{"get Errors", "put a Errors", "get Requests"}));
  EXPECT_EQ(labels("SEARCH('App NOT Errors', 'Sum', 60)"), L{"get Requests"});
  EXPECT_EQ(labels("SEARCH('cpu', 'Average', 60)"), L{"CPUUtilization"});  // a token, any case
  EXPECT_EQ(labels("SEARCH('Util', 'Average', 60)"), L{});                 // not a whole token
  EXPECT_EQ(labels("SEARCH('\"Err\"', 'Sum', 60)"), L{});                  // exact
  EXPECT_EQ(labels("SEARCH('{AWS/SQS}', 'Sum', 60)"), L{"CPUUtilization"});
  // Aggregated like a MetricStat: Errors has two samples of 1 a minute.
  auto r = RunQueries({Expr("e1", "SUM(SEARCH('{App,Api} Errors', 'Sum', 120))")}, Source, 0,
                      3 * kM, nullptr, lister);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].points, (Points{{0, 4}, {2 * kM, 2}}));
  // Errors.
  auto error = [&](std::string expr) {
    auto r = RunQueries({Expr("e1", std::move(expr))}, Source, 0, 3 * kM, nullptr, lister);
    return r.ok() ? std::string() : r.status().message();
  };
  EXPECT_EQ(error("SEARCH('(Errors', 'Sum', 60)"),
            "Error in expression e1: Invalid SEARCH query: unexpected end of the query.");
  EXPECT_EQ(error("SEARCH('Errors', 'Median', 60)"),
            "Error in expression e1: The statistic Median of SEARCH() is not valid.");
  EXPECT_EQ(error("SEARCH('Errors', 'Sum', 45)"),
            "Error in expression e1: The period of SEARCH() must be 1, 5, 10, 30 or a multiple "
            "of 60 seconds.");
  EXPECT_EQ(error("SEARCH(Errors, 'Sum', 60)"),
            "Error in expression e1: Unrecognized identifier \"Errors\" at position 8: ids must "
            "start with a lowercase letter.");
  r = RunQueries({Expr("e1", "SEARCH('x', 'Sum', 60)")}, Source, 0, 3 * kM);
  EXPECT_EQ(r.status().message(), "Error in expression e1: SEARCH() cannot be used here.");
}

TEST(MetricQueries, MetricsInsights) {
  const std::vector<SeriesKey> keys = {
      {"App", "Errors", {{"Api", "get"}, {"Zone", "a"}}},
      {"App", "Errors", {{"Api", "put"}, {"Zone", "a"}}},
      {"App", "Errors", {{"Api", "put"}, {"Zone", "b"}}},
      {"App", "Errors", {{"Host", "h1"}}},
      {"App", "Requests", {{"Api", "get"}, {"Zone", "a"}}},
      {"Other", "Errors", {}},
  };
  SeriesLister lister = [&] { return keys; };
  auto run = [&](std::string expr) {
    MetricQuery q = Expr("q", std::move(expr));
    q.period = 60;
    return RunQueries({q}, Source, 0, 3 * kM, nullptr, lister);
  };
  auto labels = [&](std::string expr) {
    std::vector<std::string> out;
    auto r = run(std::move(expr));
    EXPECT_TRUE(r.ok()) << r.status().message();
    if (r.ok()) {
      for (const QueryResult& x : *r) out.push_back(x.label);
    }
    return out;
  };
  using L = std::vector<std::string>;
  // Errors: two samples of 1 a minute per series.
  auto r = run("SELECT SUM(Errors) FROM App");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].label, "q");
  EXPECT_EQ((*r)[0].points, (Points{{0, 8}, {kM, 8}, {2 * kM, 8}}));  // 4 series
  r = run("select count(Errors) from SCHEMA(App, Api, Zone) where Zone = 'a' OR Api IN ('x')");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].points, (Points{{0, 4}, {kM, 4}, {2 * kM, 4}}));  // 2 series
  EXPECT_EQ(labels("SELECT SUM(Errors) FROM \"App\" GROUP BY Api ORDER BY SUM() DESC"),
            (L{"put", "Other", "get"}));  // ties keep the groups' order
  EXPECT_EQ(labels("SELECT AVG(Errors) FROM App WHERE Api LIKE 'p%' GROUP BY Api, Zone "
                   "ORDER BY MAX() ASC LIMIT 1"),
            L{"put a"});
  EXPECT_EQ(labels("SELECT MAX(Errors) FROM App WHERE NOT (Api != 'get') GROUP BY Zone"), L{"a"});
  // An expression over a query's result.
  r = RunQueries({[] {
                    MetricQuery q = Expr("q", "SELECT SUM(Errors) FROM App", "");
                    q.period = 60;
                    q.return_data = false;
                    return q;
                  }(),
                  Expr("e", "q * 2")},
                 Source, 0, 3 * kM, nullptr, lister);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].points, (Points{{0, 16}, {kM, 16}, {2 * kM, 16}}));
  // Errors.
  auto error = [&](std::string expr) {
    auto x = run(std::move(expr));
    return x.ok() ? std::string() : x.status().message();
  };
  EXPECT_EQ(error("SELECT MEDIAN(Errors) FROM App"),
            "Error in expression q: Invalid Metrics Insights query: unknown function MEDIAN (AVG, "
            "COUNT, MAX, MIN or SUM).");
  EXPECT_EQ(error("SELECT SUM(Errors) App"),
            "Error in expression q: Invalid Metrics Insights query: expected FROM at position 20, "
            "found \"App\".");
  EXPECT_EQ(error("SELECT SUM(Errors) FROM App WHERE Api = get"),
            "Error in expression q: Invalid Metrics Insights query: expected a value in single "
            "quotes at position 41, found \"get\".");
  EXPECT_EQ(error("SELECT SUM(Errors) FROM App LIMIT 501"),
            "Error in expression q: Invalid Metrics Insights query: LIMIT must be between 1 and "
            "500.");
  r = RunQueries({Expr("q", "SELECT SUM(Errors) FROM App")}, Source, 0, 3 * kM);
  EXPECT_EQ(r.status().message(),
            "Error in expression q: Metrics Insights queries cannot be used here.");
}

TEST(MetricQueries, Codec) {
  std::vector<MetricQuery> qs = {Stat("m1", "Errors", false), Expr("e1", "m1 * 2", "x")};
  qs[0].metric.dims = {{"Api", "get"}};
  auto back = DecodeQueries(EncodeQueries(qs));
  ASSERT_TRUE(back);
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].metric, qs[0].metric);
  EXPECT_FALSE((*back)[0].return_data);
  EXPECT_EQ((*back)[1].expression, "m1 * 2");
  EXPECT_EQ((*back)[1].label, "x");
  EXPECT_FALSE(DecodeQueries("{"));
}

}  // namespace
}  // namespace sluice::monitoring
