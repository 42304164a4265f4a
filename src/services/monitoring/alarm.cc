#include "services/monitoring/alarm.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>

namespace sluice::monitoring {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// A double as Java prints it in AWS's texts: "5.0", "0.25", "1.0E7".
std::string JavaDouble(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e7) return fmt::format("{:.1f}", v);
  std::string s = fmt::format("{}", v);
  return s;
}

std::string ShortTime(Millis ms) {  // "06/12/26 08:15:00" (dd/MM/yy HH:mm:ss)
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%d/%m/%y %H:%M:%S", &tm);
  return buf;
}

std::string_view OperatorWords(std::string_view op) {
  if (op == "GreaterThanOrEqualToThreshold") return "greater than or equal to";
  if (op == "GreaterThanThreshold") return "greater than";
  if (op == "LessThanThreshold") return "less than";
  if (op == "LessThanOrEqualToThreshold") return "less than or equal to";
  return op;
}

std::string Plural(std::int64_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

void Str(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
void Key(Writer& w, std::string_view s) {
  w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
void StrOrNull(Writer& w, std::string_view s) {
  if (s.empty()) {
    w.Null();
  } else {
    Str(w, s);
  }
}
void StrList(Writer& w, const std::vector<std::string>& items) {
  w.StartArray();
  for (const std::string& s : items) Str(w, s);
  w.EndArray();
}

std::string ReasonData(const AlarmConfig& c, const std::vector<const PeriodValue*>& evaluated,
                       Millis now) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  Key(w, "version");
  Str(w, "1.0");
  Key(w, "queryDate");
  Str(w, AlarmTime(now));
  if (!evaluated.empty()) {
    Key(w, "startDate");
    Str(w, AlarmTime(evaluated.front()->start));
  }
  if (!c.statistic.empty()) {
    Key(w, "statistic");
    Str(w, c.statistic);
  } else if (!c.extended_statistic.empty()) {
    Key(w, "extendedStatistic");
    Str(w, c.extended_statistic);
  }
  Key(w, "period");
  w.Int64(c.period);
  Key(w, "recentDatapoints");
  w.StartArray();
  for (const PeriodValue* p : evaluated) {
    if (p->value) w.Double(*p->value);
  }
  w.EndArray();
  Key(w, "threshold");
  w.Double(c.threshold);
  Key(w, "evaluatedDatapoints");
  w.StartArray();
  for (auto it = evaluated.rbegin(); it != evaluated.rend(); ++it) {
    w.StartObject();
    Key(w, "timestamp");
    Str(w, AlarmTime((*it)->start));
    if ((*it)->value) {
      Key(w, "sampleCount");
      w.Double((*it)->sample_count);
      Key(w, "value");
      w.Double(*(*it)->value);
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return buf.GetString();
}

}  // namespace

std::string AlarmTime(Millis ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03}+0000", buf, ms % 1000);
}

bool IsBandOperator(std::string_view op) {
  return op == "LessThanLowerOrGreaterThanUpperThreshold" || op == "LessThanLowerThreshold" ||
         op == "GreaterThanUpperThreshold";
}

bool Breaches(const AlarmConfig& c, double v) {
  if (c.comparison == "GreaterThanOrEqualToThreshold") return v >= c.threshold;
  if (c.comparison == "GreaterThanThreshold") return v > c.threshold;
  if (c.comparison == "LessThanThreshold") return v < c.threshold;
  if (c.comparison == "LessThanOrEqualToThreshold") return v <= c.threshold;
  return false;
}

std::optional<Transition> Evaluate(const AlarmConfig& c, const std::string& current,
                                   const std::vector<PeriodValue>& periods, Millis now) {
  const std::int64_t n = std::max<std::int64_t>(1, c.evaluation_periods);
  const std::int64_t m = std::clamp<std::int64_t>(c.datapoints_to_alarm, 1, n);
  const bool substitute =
      c.treat_missing_data == "breaching" || c.treat_missing_data == "notBreaching";
  std::vector<const PeriodValue*> evaluated;  // oldest first
  std::string next;
  std::int64_t breaching = 0;
  std::int64_t missing = 0;
  if (substitute) {
    const std::size_t from = periods.size() > static_cast<std::size_t>(n) ? periods.size() - n : 0;
    for (std::size_t i = from; i < periods.size(); ++i) {
      evaluated.push_back(&periods[i]);
      if (!periods[i].value) {
        ++missing;
        if (c.treat_missing_data == "breaching") ++breaching;
      } else if (Breaches(c, *periods[i].value)) {
        ++breaching;
      }
    }
    missing += n - static_cast<std::int64_t>(evaluated.size());
    if (c.treat_missing_data == "breaching")
      breaching += n - static_cast<std::int64_t>(evaluated.size());
    next = breaching >= m ? kStateAlarm : kStateOk;
  } else {
    for (auto it = periods.rbegin();
         it != periods.rend() && evaluated.size() < static_cast<std::size_t>(n); ++it) {
      if (it->value) evaluated.insert(evaluated.begin(), &*it);
    }
    for (const PeriodValue* p : evaluated) breaching += Breaches(c, *p->value) ? 1 : 0;
    const auto existing = static_cast<std::int64_t>(evaluated.size());
    const bool ignore = c.treat_missing_data == "ignore";
    if (existing == 0) {
      if (ignore) return std::nullopt;
      next = kStateInsufficient;
    } else if (breaching >= m) {
      next = kStateAlarm;
    } else if (existing < m && breaching == existing) {
      if (ignore) return std::nullopt;
      next = kStateAlarm;
    } else {
      next = kStateOk;
    }
  }
  if (next == current) return std::nullopt;

  Transition t;
  t.state = next;
  if (next == kStateInsufficient) {
    t.reason = fmt::format("Insufficient Data: {} {} unknown.", Plural(n, "datapoint"),
                           n == 1 ? "was" : "were");
  } else if (substitute && missing >= n) {
    t.reason = fmt::format(
        "Threshold Crossed: no datapoints were received for {} and {} missing {} {} treated as "
        "[{}].",
        Plural(n, "period"), n, n == 1 ? "datapoint" : "datapoints", n == 1 ? "was" : "were",
        c.treat_missing_data == "breaching" ? "Breaching" : "NonBreaching");
  } else {
    std::vector<std::string> shown;
    for (auto it = evaluated.rbegin(); it != evaluated.rend(); ++it) {
      if ((*it)->value)
        shown.push_back(fmt::format("{} ({})", JavaDouble(*(*it)->value), ShortTime((*it)->start)));
    }
    const auto total = static_cast<std::int64_t>(evaluated.size());
    const std::int64_t counted = next == kStateAlarm ? breaching : total - breaching;
    t.reason = fmt::format(
        "Threshold Crossed: {} out of the last {} datapoints [{}] was {}{} the threshold ({}) "
        "(minimum {} for {} -> {} transition).",
        counted, total, fmt::join(shown, ", "), next == kStateAlarm ? "" : "not ",
        OperatorWords(c.comparison), JavaDouble(c.threshold),
        Plural(next == kStateAlarm ? m : 1, "datapoint"), current, next);
  }
  t.reason_data = ReasonData(c, evaluated, now);
  return t;
}

std::string AlarmArn(std::string_view region, std::string_view account, std::string_view name) {
  return fmt::format("arn:aws:cloudwatch:{}:{}:alarm:{}", region, account, name);
}

namespace {

std::string RegionName(std::string_view region) {
  static const std::pair<std::string_view, std::string_view> kNames[] = {
      {"us-east-1", "US East (N. Virginia)"},
      {"us-east-2", "US East (Ohio)"},
      {"us-west-1", "US West (N. California)"},
      {"us-west-2", "US West (Oregon)"},
      {"eu-west-1", "EU (Ireland)"},
      {"eu-central-1", "EU (Frankfurt)"},
      {"eu-west-2", "EU (London)"},
      {"ap-southeast-1", "Asia Pacific (Singapore)"},
      {"ap-southeast-2", "Asia Pacific (Sydney)"},
      {"ap-northeast-1", "Asia Pacific (Tokyo)"}};
  for (const auto& [code, name] : kNames) {
    if (code == region) return std::string(name);
  }
  return std::string(region);
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

// The Trigger's Metrics of a metric-math alarm, as AWS writes them.
void WriteTriggerMetrics(Writer& w, const std::vector<MetricQuery>& metrics) {
  Key(w, "Metrics");
  w.StartArray();
  for (const MetricQuery& q : metrics) {
    w.StartObject();
    if (!q.expression.empty()) {
      Key(w, "Expression");
      Str(w, q.expression);
    } else {
      Key(w, "MetricStat");
      w.StartObject();
      Key(w, "Metric");
      w.StartObject();
      Key(w, "Dimensions");
      w.StartArray();
      for (const auto& [k, v] : q.metric.dims) {
        w.StartObject();
        Key(w, "value");
        Str(w, v);
        Key(w, "name");
        Str(w, k);
        w.EndObject();
      }
      w.EndArray();
      Key(w, "MetricName");
      Str(w, q.metric.name);
      Key(w, "Namespace");
      Str(w, q.metric.ns);
      w.EndObject();
      Key(w, "Period");
      w.Int64(q.period);
      Key(w, "Stat");
      Str(w, q.stat);
      if (!q.unit.empty()) {
        Key(w, "Unit");
        Str(w, q.unit);
      }
      w.EndObject();
    }
    Key(w, "Id");
    Str(w, q.id);
    if (!q.label.empty()) {
      Key(w, "Label");
      Str(w, q.label);
    }
    Key(w, "ReturnData");
    w.Bool(q.return_data);
    w.EndObject();
  }
  w.EndArray();
}

// The members both message forms share: the new state and where the alarm is.
void WriteNewState(Writer& w, const Alarm& alarm, std::string_view account,
                   std::string_view region) {
  Key(w, "NewStateValue");
  Str(w, alarm.state.value);
  Key(w, "NewStateReason");
  Str(w, alarm.state.reason);
  Key(w, "StateChangeTime");
  Str(w, AlarmTime(alarm.state.updated_ms));
  Key(w, "Region");
  Str(w, RegionName(region));
  Key(w, "AlarmArn");
  Str(w, AlarmArn(region, account, alarm.config.name));
}

void WriteActions(Writer& w, const AlarmConfig& c) {
  Key(w, "OKActions");
  StrList(w, c.ok_actions);
  Key(w, "AlarmActions");
  StrList(w, c.alarm_actions);
  Key(w, "InsufficientDataActions");
  StrList(w, c.insufficient_data_actions);
}

// The rest of a composite alarm's message, in the order AWS documents it: the children that
// caused the state (from the reason data's triggeringAlarms) follow the rule.
void WriteCompositeMessage(Writer& w, const Alarm& alarm, std::string_view old_state,
                           std::string_view account, std::string_view region) {
  const AlarmConfig& c = alarm.config;
  WriteNewState(w, alarm, account, region);
  WriteActions(w, c);
  Key(w, "OldStateValue");
  Str(w, old_state);
  Key(w, "AlarmRule");
  Str(w, c.alarm_rule);
  Key(w, "TriggeringChildren");
  w.StartArray();
  rapidjson::Document d;
  d.Parse(alarm.state.reason_data.data(), alarm.state.reason_data.size());
  const rapidjson::Value& cd = d;
  if (!d.HasParseError() && cd.IsObject()) {
    auto list = cd.FindMember("triggeringAlarms");
    if (list != cd.MemberEnd() && list->value.IsArray()) {
      for (const rapidjson::Value& t : list->value.GetArray()) {
        if (!t.IsObject()) continue;
        auto arn = t.FindMember("arn");
        auto state = t.FindMember("state");
        if (arn == t.MemberEnd() || !arn->value.IsString() || state == t.MemberEnd() ||
            !state->value.IsObject()) {
          continue;
        }
        w.StartObject();
        Key(w, "Arn");
        Str(w, {arn->value.GetString(), arn->value.GetStringLength()});
        Key(w, "State");
        w.StartObject();
        for (auto [from, to] : {std::pair{"value", "Value"}, std::pair{"timestamp", "Timestamp"}}) {
          auto m = state->value.FindMember(from);
          if (m == state->value.MemberEnd() || !m->value.IsString()) continue;
          Key(w, to);
          Str(w, {m->value.GetString(), m->value.GetStringLength()});
        }
        w.EndObject();
        w.EndObject();
      }
    }
  }
  w.EndArray();
}

}  // namespace

std::string NotificationSubject(const Alarm& alarm, std::string_view region) {
  return fmt::format("{}: \"{}\" in {}", alarm.state.value, alarm.config.name, RegionName(region));
}

std::string NotificationMessage(const Alarm& alarm, std::string_view old_state,
                                std::string_view account, std::string_view region) {
  const AlarmConfig& c = alarm.config;
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  Key(w, "AlarmName");
  Str(w, c.name);
  Key(w, "AlarmDescription");
  StrOrNull(w, c.description);
  Key(w, "AWSAccountId");
  Str(w, account);
  if (c.composite) {
    WriteCompositeMessage(w, alarm, old_state, account, region);
    w.EndObject();
    return buf.GetString();
  }
  Key(w, "AlarmConfigurationUpdatedTimestamp");
  Str(w, AlarmTime(alarm.state.config_updated_ms));
  WriteNewState(w, alarm, account, region);
  Key(w, "OldStateValue");
  Str(w, old_state);
  WriteActions(w, c);
  Key(w, "Trigger");
  w.StartObject();
  if (!c.metrics.empty()) {
    WriteTriggerMetrics(w, c.metrics);
  } else {
    Key(w, "MetricName");
    Str(w, c.metric.name);
    Key(w, "Namespace");
    Str(w, c.metric.ns);
    if (!c.statistic.empty()) {
      Key(w, "StatisticType");
      Str(w, "Statistic");
      Key(w, "Statistic");
      Str(w, Upper(c.statistic == "SampleCount" ? "SAMPLE_COUNT" : c.statistic));
    } else {
      Key(w, "StatisticType");
      Str(w, "ExtendedStatistic");
      Key(w, "ExtendedStatistic");
      Str(w, c.extended_statistic);
    }
    Key(w, "Unit");
    StrOrNull(w, c.unit);
    Key(w, "Dimensions");
    w.StartArray();
    for (const auto& [k, v] : c.metric.dims) {
      w.StartObject();
      Key(w, "value");
      Str(w, v);
      Key(w, "name");
      Str(w, k);
      w.EndObject();
    }
    w.EndArray();
  }
  Key(w, "Period");
  w.Int64(c.period);
  Key(w, "EvaluationPeriods");
  w.Int64(c.evaluation_periods);
  Key(w, "DatapointsToAlarm");
  w.Int64(c.datapoints_to_alarm);
  Key(w, "ComparisonOperator");
  Str(w, c.comparison);
  Key(w, "Threshold");
  w.Double(c.threshold);
  Key(w, "TreatMissingData");
  Str(w, c.treat_missing_data);
  Key(w, "EvaluateLowSampleCountPercentile");
  Str(w, c.evaluate_low_sample_count_percentile);
  w.EndObject();
  w.EndObject();
  return buf.GetString();
}

// ---- codec -------------------------------------------------------------------------------------

std::string EncodeAlarm(const Alarm& a) {
  const AlarmConfig& c = a.config;
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  Key(w, "name");
  Str(w, c.name);
  Key(w, "description");
  Str(w, c.description);
  Key(w, "actions_enabled");
  w.Bool(c.actions_enabled);
  Key(w, "ok");
  StrList(w, c.ok_actions);
  Key(w, "alarm");
  StrList(w, c.alarm_actions);
  Key(w, "insufficient");
  StrList(w, c.insufficient_data_actions);
  Key(w, "ns");
  Str(w, c.metric.ns);
  Key(w, "metric");
  Str(w, c.metric.name);
  Key(w, "dims");
  w.StartArray();
  for (const auto& [k, v] : c.metric.dims) {
    Str(w, k);
    Str(w, v);
  }
  w.EndArray();
  Key(w, "statistic");
  Str(w, c.statistic);
  Key(w, "extended");
  Str(w, c.extended_statistic);
  Key(w, "unit");
  Str(w, c.unit);
  Key(w, "period");
  w.Int64(c.period);
  Key(w, "n");
  w.Int64(c.evaluation_periods);
  Key(w, "m");
  w.Int64(c.datapoints_to_alarm);
  // As text in the shortest form that reads back exactly: rapidjson's default number parsing is
  // not exact, and its full-precision mode has undefined behaviour on some inputs.
  Key(w, "threshold");
  Str(w, fmt::format("{}", c.threshold));
  Key(w, "comparison");
  Str(w, c.comparison);
  Key(w, "missing");
  Str(w, c.treat_missing_data);
  Key(w, "low");
  Str(w, c.evaluate_low_sample_count_percentile);
  Key(w, "tags");
  w.StartArray();
  for (const auto& [k, v] : c.tags) {
    Str(w, k);
    Str(w, v);
  }
  w.EndArray();
  if (!c.metrics.empty()) {
    Key(w, "queries");
    Str(w, EncodeQueries(c.metrics));
  }
  Key(w, "threshold_id");
  Str(w, c.threshold_metric_id);
  Key(w, "composite");
  w.Bool(c.composite);
  Key(w, "rule");
  Str(w, c.alarm_rule);
  Key(w, "suppressor");
  Str(w, c.actions_suppressor);
  Key(w, "wait");
  w.Int64(c.suppressor_wait_period);
  Key(w, "extension");
  w.Int64(c.suppressor_extension_period);
  Key(w, "suppressed_by");
  Str(w, a.state.actions_suppressed_by);
  Key(w, "suppressed_reason");
  Str(w, a.state.actions_suppressed_reason);
  Key(w, "suppressed_until");
  w.Int64(a.state.suppressed_until);
  Key(w, "held");
  w.Bool(a.state.actions_held);
  Key(w, "state");
  Str(w, a.state.value);
  Key(w, "reason");
  Str(w, a.state.reason);
  Key(w, "reason_data");
  Str(w, a.state.reason_data);
  Key(w, "updated");
  w.Int64(a.state.updated_ms);
  Key(w, "transitioned");
  w.Int64(a.state.transitioned_ms);
  Key(w, "config_updated");
  w.Int64(a.state.config_updated_ms);
  w.EndObject();
  return buf.GetString();
}

std::optional<Alarm> DecodeAlarm(std::string_view text) {
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  if (d.HasParseError() || !d.IsObject()) return std::nullopt;
  // Const iterators: C++20's reversed operator candidates make the mutable ones' == ambiguous.
  const rapidjson::Value& cd = d;
  auto str = [&](const char* k) -> std::string {
    auto it = cd.FindMember(k);
    return it != cd.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
  };
  auto i64 = [&](const char* k) -> std::int64_t {
    auto it = cd.FindMember(k);
    return it != cd.MemberEnd() && it->value.IsInt64() ? it->value.GetInt64() : 0;
  };
  auto list = [&](const char* k) {
    std::vector<std::string> out;
    auto it = cd.FindMember(k);
    if (it != cd.MemberEnd() && it->value.IsArray()) {
      for (const auto& v : it->value.GetArray()) {
        if (v.IsString()) out.emplace_back(v.GetString());
      }
    }
    return out;
  };
  auto pairs = [&](const char* k) {
    std::vector<std::string> flat = list(k);
    std::vector<std::pair<std::string, std::string>> out;
    for (std::size_t i = 0; i + 1 < flat.size(); i += 2) out.emplace_back(flat[i], flat[i + 1]);
    return out;
  };
  Alarm a;
  AlarmConfig& c = a.config;
  c.name = str("name");
  if (c.name.empty()) return std::nullopt;
  c.description = str("description");
  auto en = cd.FindMember("actions_enabled");
  c.actions_enabled = en == cd.MemberEnd() || !en->value.IsBool() || en->value.GetBool();
  c.ok_actions = list("ok");
  c.alarm_actions = list("alarm");
  c.insufficient_data_actions = list("insufficient");
  c.metric.ns = str("ns");
  c.metric.name = str("metric");
  c.metric.dims = pairs("dims");
  c.statistic = str("statistic");
  c.extended_statistic = str("extended");
  c.unit = str("unit");
  c.period = i64("period");
  c.evaluation_periods = i64("n");
  c.datapoints_to_alarm = i64("m");
  auto th = cd.FindMember("threshold");
  c.threshold = 0;
  if (th != cd.MemberEnd() && th->value.IsString()) {
    const std::string text(th->value.GetString(), th->value.GetStringLength());
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size() || !std::isfinite(v)) return std::nullopt;
    c.threshold = v;
  }
  c.comparison = str("comparison");
  c.treat_missing_data = str("missing");
  c.evaluate_low_sample_count_percentile = str("low");
  c.tags = pairs("tags");
  if (const std::string q = str("queries"); !q.empty()) {
    auto queries = DecodeQueries(q);
    if (!queries) return std::nullopt;
    c.metrics = std::move(*queries);
  }
  c.threshold_metric_id = str("threshold_id");
  auto comp = cd.FindMember("composite");
  c.composite = comp != cd.MemberEnd() && comp->value.IsBool() && comp->value.GetBool();
  c.alarm_rule = str("rule");
  c.actions_suppressor = str("suppressor");
  c.suppressor_wait_period = i64("wait");
  c.suppressor_extension_period = i64("extension");
  a.state.actions_suppressed_by = str("suppressed_by");
  a.state.actions_suppressed_reason = str("suppressed_reason");
  a.state.suppressed_until = i64("suppressed_until");
  auto held = cd.FindMember("held");
  a.state.actions_held = held != cd.MemberEnd() && held->value.IsBool() && held->value.GetBool();
  a.state.value = str("state");
  a.state.reason = str("reason");
  a.state.reason_data = str("reason_data");
  a.state.updated_ms = i64("updated");
  a.state.transitioned_ms = i64("transitioned");
  a.state.config_updated_ms = i64("config_updated");
  return a;
}

}  // namespace sluice::monitoring
