#include "services/monitoring/metric_query.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>

#include "services/monitoring/metric_insights.h"
#include "services/monitoring/metric_math.h"
#include "services/monitoring/metric_search.h"

namespace sluice::monitoring {
namespace {

constexpr Millis kMinuteMs = 60'000;

Status Invalid(std::string text) { return Status(ErrorCode::kValidationError, std::move(text)); }

Millis FloorTo(Millis t, Millis step) { return t - ((t % step) + step) % step; }

bool ValidId(std::string_view id) {
  if (id.empty() || id.size() > 255 || !std::islower(static_cast<unsigned char>(id[0]))) {
    return false;
  }
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

struct Parsed {
  std::unique_ptr<math::Node> root;
  std::unique_ptr<InsightsQuery> insights;  // a Metrics Insights query (root is null)
  std::set<std::string> refs;
  bool uses_metrics = false;
};

// Parses every expression; `out` indexed like `queries` (empty for MetricStat queries).
Status ParseAll(const std::vector<MetricQuery>& queries, std::vector<Parsed>& out) {
  out.clear();
  out.resize(queries.size());
  for (std::size_t i = 0; i < queries.size(); ++i) {
    const MetricQuery& q = queries[i];
    if (q.expression.empty()) continue;
    if (IsInsightsQuery(q.expression)) {
      auto insights = ParseInsights(q.expression);
      if (!insights.ok()) {
        return Invalid(
            fmt::format("Error in expression {}: {}", q.id, insights.status().message()));
      }
      out[i].insights = std::make_unique<InsightsQuery>(std::move(*insights));
      continue;
    }
    auto root = math::Parse(q.expression);
    if (!root.ok()) {
      return Invalid(fmt::format("Error in expression {}: {}", q.id, root.status().message()));
    }
    out[i].root = std::move(*root);
    math::References(*out[i].root, out[i].refs, out[i].uses_metrics);
  }
  return Status::Ok();
}

Status CheckGraph(const std::vector<MetricQuery>& queries, const std::vector<Parsed>& parsed) {
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < queries.size(); ++i) index[queries[i].id] = i;
  for (std::size_t i = 0; i < queries.size(); ++i) {
    for (const std::string& ref : parsed[i].refs) {
      if (!index.contains(ref)) {
        return Invalid(
            fmt::format("Error in expression {}: Unrecognized metric or expression id: {}.",
                        queries[i].id, ref));
      }
    }
  }
  // Cycles: depth-first with colours.
  std::vector<int> colour(queries.size(), 0);
  std::function<std::optional<std::string>(std::size_t)> visit =
      [&](std::size_t i) -> std::optional<std::string> {
    colour[i] = 1;
    for (const std::string& ref : parsed[i].refs) {
      const std::size_t j = index[ref];
      if (colour[j] == 1) return queries[j].id;
      if (colour[j] == 0) {
        if (auto c = visit(j)) return c;
      }
    }
    colour[i] = 2;
    return std::nullopt;
  };
  for (std::size_t i = 0; i < queries.size(); ++i) {
    if (colour[i] != 0) continue;
    if (auto c = visit(i)) {
      return Invalid(fmt::format(
          "Error in expression {}: Circular dependency detected: expression {} refers to itself "
          "through other expressions.",
          *c, *c));
    }
  }
  return Status::Ok();
}

// A Metrics Insights query over the stored series: one series (no GROUP BY) or one per group.
math::MathValue RunInsights(const InsightsQuery& q, const SeriesLister& lister,
                            const PointSource& source, Millis start, Millis end, Millis period) {
  std::map<std::vector<std::string>, std::map<Millis, Aggregate>> groups;
  for (const SeriesKey& key : lister()) {
    if (!InsightsMatches(q, key)) continue;
    auto& buckets = groups[InsightsGroup(q, key)];
    for (const auto& [ts, point] : source(key, start, end)) {
      buckets[start + (ts - start) / period * period].Merge(point.agg);
    }
  }
  const std::string stat = InsightsStatistic(q.function);
  struct Row {
    std::vector<std::string> group;
    math::Series series;
    double order = 0;
  };
  std::vector<Row> rows;
  for (auto& [group, buckets] : groups) {
    Row row;
    row.group = group;
    Aggregate total;
    for (const auto& [ts, agg] : buckets) {
      total.Merge(agg);
      if (auto v = StatisticOf(agg, stat)) row.series.points.emplace_back(ts, *v);
    }
    if (q.order_function) {
      row.order = StatisticOf(total, InsightsStatistic(*q.order_function)).value_or(0);
    }
    std::vector<std::string> shown;
    for (const std::string& v : group) shown.push_back(v.empty() ? "Other" : v);
    row.series.label = fmt::format("{}", fmt::join(shown, " "));
    rows.push_back(std::move(row));
  }
  if (q.order_function) {
    std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
      return q.descending ? a.order > b.order : a.order < b.order;
    });
  }
  if (rows.size() > q.limit) rows.resize(q.limit);
  math::MathValue out;
  if (q.group_by.empty()) {
    out.kind = math::MathValue::Kind::kSeries;
    out.series.push_back(rows.empty() ? math::Series{} : std::move(rows[0].series));
    return out;
  }
  out.kind = math::MathValue::Kind::kArray;
  for (Row& r : rows) out.series.push_back(std::move(r.series));
  return out;
}

}  // namespace

Status ValidateQueries(const std::vector<MetricQuery>& queries) {
  std::set<std::string> ids;
  for (std::size_t i = 0; i < queries.size(); ++i) {
    const MetricQuery& q = queries[i];
    if (!ValidId(q.id)) {
      return Invalid(fmt::format(
          "The value {} for parameter MetricDataQueries.member.{}.Id is invalid: it must start "
          "with a lowercase letter and hold only letters, numbers and underscores.",
          q.id, i + 1));
    }
    if (!ids.insert(q.id).second) {
      return Invalid(fmt::format(
          "The value {} for parameter MetricDataQueries.member.{}.Id is not unique.", q.id, i + 1));
    }
  }
  std::vector<Parsed> parsed;
  if (Status st = ParseAll(queries, parsed); !st.ok()) return st;
  return CheckGraph(queries, parsed);
}

Result<std::vector<QueryResult>> RunQueries(const std::vector<MetricQuery>& queries,
                                            const PointSource& source, Millis start_in, Millis end,
                                            const std::string* only, const SeriesLister& lister) {
  std::vector<Parsed> parsed;
  if (Status st = ParseAll(queries, parsed); !st.ok()) return st;
  if (Status st = CheckGraph(queries, parsed); !st.ok()) return st;
  std::int64_t min_period = 0;
  for (const MetricQuery& q : queries) {
    if (q.expression.empty() && q.period > 0 && (min_period == 0 || q.period < min_period)) {
      min_period = q.period;
    }
  }
  if (min_period == 0) min_period = 60;

  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < queries.size(); ++i) index[queries[i].id] = i;
  std::vector<std::optional<math::MathValue>> values(queries.size());
  std::vector<math::Series> metric_series;  // METRICS(): the MetricStat queries, request order
  std::vector<math::Context> contexts(queries.size());

  auto grid_of = [&](const MetricQuery& q) {
    const Millis period = (q.period > 0 ? q.period : min_period) * 1000;
    return std::pair{FloorTo(start_in, period >= kMinuteMs ? kMinuteMs : 1000), period};
  };
  auto label_of = [](const MetricQuery& q) {
    if (!q.label.empty()) return q.label;
    return q.expression.empty() ? q.metric.name : q.id;
  };
  // One series bucketed by period, each bucket's statistic.
  auto bucket = [&](const SeriesKey& key, const std::string& stat, const std::string& unit,
                    Millis start, Millis period) {
    std::map<Millis, Aggregate> buckets;
    for (const auto& [ts, point] : source(key, start, end)) {
      if (!unit.empty() && point.unit != unit) continue;
      buckets[start + (ts - start) / period * period].Merge(point.agg);
    }
    std::vector<std::pair<Millis, double>> points;
    for (const auto& [ts, agg] : buckets) {
      if (auto v = StatisticOf(agg, stat)) points.emplace_back(ts, *v);
    }
    return points;
  };
  // MetricStat queries first.
  for (std::size_t i = 0; i < queries.size(); ++i) {
    const MetricQuery& q = queries[i];
    if (!q.expression.empty()) continue;
    const auto [start, period] = grid_of(q);
    math::Series s;
    s.label = label_of(q);
    s.points = bucket(q.metric, q.stat, q.unit, start, period);
    metric_series.push_back(s);
    math::MathValue v;
    v.kind = math::MathValue::Kind::kSeries;
    v.series.push_back(std::move(s));
    values[i] = std::move(v);
  }
  // Expressions in dependency order (the graph has no cycles).
  std::function<Status(std::size_t)> eval = [&](std::size_t i) -> Status {
    if (values[i]) return Status::Ok();
    for (const std::string& ref : parsed[i].refs) {
      if (Status st = eval(index[ref]); !st.ok()) return st;
    }
    const auto [start, period] = grid_of(queries[i]);
    if (parsed[i].insights) {
      if (!lister) {
        return Invalid(
            fmt::format("Error in expression {}: Metrics Insights queries cannot be used here.",
                        queries[i].id));
      }
      values[i] = RunInsights(*parsed[i].insights, lister, source, start, end, period);
      contexts[i].start = start;
      contexts[i].end = end;
      contexts[i].period = period;
      return Status::Ok();
    }
    math::Context& c = contexts[i];
    c.start = start;
    c.end = end;
    c.period = period;
    c.metrics = &metric_series;
    c.lookup = [&](const std::string& id) -> const math::MathValue* {
      auto it = index.find(id);
      if (it == index.end() || !values[it->second]) return nullptr;
      return &*values[it->second];
    };
    if (lister) {
      c.search = [&](const std::string& text, const std::string& stat,
                     std::int64_t period_s) -> Result<std::vector<math::Series>> {
        auto filter = ParseSearch(text);
        if (!filter.ok()) return filter.status();
        if (stat != "Sum" && stat != "Average" && stat != "Minimum" && stat != "Maximum" &&
            stat != "SampleCount" && !IsPercentile(stat)) {
          return Invalid(fmt::format("The statistic {} of SEARCH() is not valid.", stat));
        }
        const Millis step = period_s * 1000;
        const Millis from = FloorTo(start_in, step >= kMinuteMs ? kMinuteMs : 1000);
        std::vector<math::Series> found;
        for (const SeriesKey& key : lister()) {
          if (!SearchMatches(**filter, key)) continue;
          if (found.size() >= kMaxSearchResults) break;
          found.push_back({SearchLabel(key), bucket(key, stat, "", from, step)});
        }
        return found;
      };
    }
    auto v = math::Evaluate(*parsed[i].root, c);
    if (!v.ok()) {
      return Invalid(
          fmt::format("Error in expression {}: {}", queries[i].id, v.status().message()));
    }
    values[i] = std::move(*v);
    return Status::Ok();
  };
  std::vector<QueryResult> out;
  for (std::size_t i = 0; i < queries.size(); ++i) {
    const MetricQuery& q = queries[i];
    if (only != nullptr ? q.id != *only : !q.return_data) continue;
    if (Status st = eval(i); !st.ok()) return st;
    if (q.expression.empty()) {
      out.push_back({q.id, label_of(q), values[i]->series[0].points});
      continue;
    }
    const bool array = values[i]->kind == math::MathValue::Kind::kArray;
    for (math::Series& s : math::AsSeries(*values[i], contexts[i])) {
      std::string label = label_of(q);
      if (array && !s.label.empty()) {
        label = q.label.empty() ? s.label : fmt::format("{} {}", q.label, s.label);
      }
      out.push_back({q.id, std::move(label), std::move(s.points)});
    }
  }
  return out;
}

// ---- codec --------------------------------------------------------------------------------------

std::string EncodeQueries(const std::vector<MetricQuery>& queries) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto str = [&](const char* k, const std::string& v) {
    w.Key(k);
    w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
  };
  w.StartArray();
  for (const MetricQuery& q : queries) {
    w.StartObject();
    str("id", q.id);
    str("label", q.label);
    str("expr", q.expression);
    str("ns", q.metric.ns);
    str("name", q.metric.name);
    w.Key("dims");
    w.StartArray();
    for (const auto& [k, v] : q.metric.dims) {
      w.String(k.c_str(), static_cast<rapidjson::SizeType>(k.size()));
      w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
    }
    w.EndArray();
    str("stat", q.stat);
    str("unit", q.unit);
    w.Key("period");
    w.Int64(q.period);
    w.Key("return");
    w.Bool(q.return_data);
    w.EndObject();
  }
  w.EndArray();
  return buf.GetString();
}

std::optional<std::vector<MetricQuery>> DecodeQueries(std::string_view text) {
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  if (d.HasParseError() || !d.IsArray()) return std::nullopt;
  std::vector<MetricQuery> out;
  const rapidjson::Value& cd = d;
  for (const auto& o : cd.GetArray()) {
    if (!o.IsObject()) return std::nullopt;
    auto str = [&](const char* k) -> std::string {
      auto it = o.FindMember(k);
      return it != o.MemberEnd() && it->value.IsString()
                 ? std::string(it->value.GetString(), it->value.GetStringLength())
                 : "";
    };
    MetricQuery q;
    q.id = str("id");
    q.label = str("label");
    q.expression = str("expr");
    q.metric.ns = str("ns");
    q.metric.name = str("name");
    if (auto it = o.FindMember("dims"); it != o.MemberEnd() && it->value.IsArray()) {
      const auto& a = it->value;
      for (rapidjson::SizeType k = 0; k + 1 < a.Size(); k += 2) {
        if (!a[k].IsString() || !a[k + 1].IsString()) return std::nullopt;
        q.metric.dims.emplace_back(a[k].GetString(), a[k + 1].GetString());
      }
    }
    q.stat = str("stat");
    q.unit = str("unit");
    if (auto it = o.FindMember("period"); it != o.MemberEnd() && it->value.IsInt64()) {
      q.period = it->value.GetInt64();
    }
    if (auto it = o.FindMember("return"); it != o.MemberEnd() && it->value.IsBool()) {
      q.return_data = it->value.GetBool();
    }
    out.push_back(std::move(q));
  }
  return out;
}

}  // namespace sluice::monitoring
