// PutMetricAlarm, DescribeAlarms, DescribeAlarmsForMetric, DeleteAlarms, SetAlarmState,
// Enable/DisableAlarmActions and DescribeAlarmHistory.
#include <fmt/format.h>
#include <rapidjson/document.h>

#include <algorithm>

#include "services/monitoring/errors.h"
#include "services/monitoring/handlers.h"

namespace sluice::monitoring {
namespace {

constexpr std::int64_t kDefaultMaxRecords = 50;
constexpr std::size_t kMaxActions = 5;

bool IsBandOperator(std::string_view op) {
  return op == "LessThanLowerOrGreaterThanUpperThreshold" || op == "LessThanLowerThreshold" ||
         op == "GreaterThanUpperThreshold";
}

Value StringList(const std::vector<std::string>& items) {
  Value list = Value::List();
  for (const std::string& s : items) list.Append(Value::String(s));
  return list;
}

Value AlarmValue(const RequestContext& ctx, const Alarm& a) {
  const AlarmConfig& c = a.config;
  Value v = Value::Struct();
  v.Set("AlarmName", Value::String(c.name));
  v.Set("AlarmArn", Value::String(AlarmArn(ctx.region, ctx.account_id, c.name)));
  if (!c.description.empty()) v.Set("AlarmDescription", Value::String(c.description));
  v.Set("AlarmConfigurationUpdatedTimestamp", Value::Int(a.state.config_updated_ms));
  v.Set("ActionsEnabled", Value::Bool(c.actions_enabled));
  v.Set("OKActions", StringList(c.ok_actions));
  v.Set("AlarmActions", StringList(c.alarm_actions));
  v.Set("InsufficientDataActions", StringList(c.insufficient_data_actions));
  v.Set("StateValue", Value::String(a.state.value));
  v.Set("StateReason", Value::String(a.state.reason));
  if (!a.state.reason_data.empty()) v.Set("StateReasonData", Value::String(a.state.reason_data));
  v.Set("StateUpdatedTimestamp", Value::Int(a.state.updated_ms));
  v.Set("MetricName", Value::String(c.metric.name));
  v.Set("Namespace", Value::String(c.metric.ns));
  if (!c.statistic.empty()) v.Set("Statistic", Value::String(c.statistic));
  if (!c.extended_statistic.empty()) {
    v.Set("ExtendedStatistic", Value::String(c.extended_statistic));
  }
  v.Set("Dimensions", DimensionsValue(c.metric.dims));
  v.Set("Period", Value::Int(c.period));
  if (!c.unit.empty()) v.Set("Unit", Value::String(c.unit));
  v.Set("EvaluationPeriods", Value::Int(c.evaluation_periods));
  v.Set("DatapointsToAlarm", Value::Int(c.datapoints_to_alarm));
  v.Set("Threshold", Value::Double(c.threshold));
  v.Set("ComparisonOperator", Value::String(c.comparison));
  v.Set("TreatMissingData", Value::String(c.treat_missing_data));
  if (!c.evaluate_low_sample_count_percentile.empty()) {
    v.Set("EvaluateLowSampleCountPercentile",
          Value::String(c.evaluate_low_sample_count_percentile));
  }
  v.Set("StateTransitionedTimestamp", Value::Int(a.state.transitioned_ms));
  return v;
}

Result<std::vector<std::string>> Actions(const Value& input, std::string_view member) {
  std::vector<std::string> actions = StringsOf(input.Get(member));
  if (actions.size() > kMaxActions) {
    return InvalidValue(fmt::format("The collection {} must not have a size greater than {}.",
                                    member, kMaxActions));
  }
  for (const std::string& arn : actions) {
    if (!arn.starts_with("arn:")) {
      return InvalidValue(fmt::format("Invalid arn syntax: {}", arn));
    }
  }
  return actions;
}

Status ActionsEnabledCmd(const Cw& cw, const RequestContext& ctx, const Value& input,
                         bool enabled) {
  if (Status st = Authorize(
          cw, ctx, enabled ? "cloudwatch:EnableAlarmActions" : "cloudwatch:DisableAlarmActions");
      !st.ok()) {
    return st;
  }
  return cw.cw.SetActionsEnabled(ScopeOf(ctx), StringsOf(input.Get("AlarmNames")), enabled);
}

// Pages `alarms` (in name order) after the token's name, MaxRecords at a time.
Status Page(const Value& input, std::vector<Alarm>& alarms, std::optional<std::string>& next) {
  auto position = TokenPosition(input);
  if (!position.ok()) return position.status();
  const std::int64_t max = input.GetInt("MaxRecords").value_or(kDefaultMaxRecords);
  if (!position->empty()) {
    alarms.erase(alarms.begin(), std::upper_bound(alarms.begin(), alarms.end(), *position,
                                                  [](const std::string& p, const Alarm& a) {
                                                    return p < a.config.name;
                                                  }));
  }
  if (static_cast<std::int64_t>(alarms.size()) > max) {
    alarms.resize(static_cast<std::size_t>(max));
    next = alarms.back().config.name;
  }
  return Status::Ok();
}

}  // namespace

void PutMetricAlarm(const Cw& cw, const RequestContext& ctx, Value&& input, Reply reply) {
  if (Status st = Authorize(cw, ctx, "cloudwatch:PutMetricAlarm"); !st.ok()) return reply(st);
  AlarmConfig c;
  c.name = StringOf(input, "AlarmName");
  c.description = StringOf(input, "AlarmDescription");
  c.actions_enabled = input.GetBool("ActionsEnabled").value_or(true);
  for (auto [member, target] :
       {std::pair{"OKActions", &c.ok_actions}, std::pair{"AlarmActions", &c.alarm_actions},
        std::pair{"InsufficientDataActions", &c.insufficient_data_actions}}) {
    auto actions = Actions(input, member);
    if (!actions.ok()) return reply(actions.status());
    *target = std::move(*actions);
  }
  c.comparison = StringOf(input, "ComparisonOperator");
  if (const Value* m = input.Get("Metrics"); m != nullptr && m->is_list() && !m->items().empty()) {
    return reply(InvalidValue(
        "The parameter Metrics is not supported by this server (metric math alarms)."));
  }
  if (IsBandOperator(c.comparison)) {
    return reply(InvalidValue(fmt::format(
        "The value {} for parameter ComparisonOperator requires an anomaly detection band, "
        "which this server does not support.",
        c.comparison)));
  }
  c.metric.ns = StringOf(input, "Namespace");
  c.metric.name = StringOf(input, "MetricName");
  if (c.metric.name.empty()) return reply(Missing("The parameter MetricName is required."));
  if (c.metric.ns.empty()) return reply(Missing("The parameter Namespace is required."));
  auto dims = DimensionsOf(input.Get("Dimensions"), "Dimensions");
  if (!dims.ok()) return reply(dims.status());
  c.metric.dims = std::move(*dims);
  c.statistic = StringOf(input, "Statistic");
  c.extended_statistic = StringOf(input, "ExtendedStatistic");
  if (c.statistic.empty() == c.extended_statistic.empty()) {
    return reply(InvalidCombination(
        "Exactly one element of the Statistic and ExtendedStatistic parameters must be "
        "specified."));
  }
  if (!c.extended_statistic.empty() && !IsPercentile(c.extended_statistic)) {
    return reply(InvalidValue(fmt::format(
        "The value {} for parameter ExtendedStatistic is not supported.", c.extended_statistic)));
  }
  c.unit = StringOf(input, "Unit");
  auto period = input.GetInt("Period");
  if (!period) return reply(Missing("The parameter Period is required."));
  c.period = *period;
  if (!(c.period == 10 || c.period == 30 || (c.period >= 60 && c.period % 60 == 0))) {
    return reply(InvalidValue("The parameter Period must be 10, 30 or a multiple of 60."));
  }
  c.evaluation_periods = input.GetInt("EvaluationPeriods").value_or(1);
  c.datapoints_to_alarm = input.GetInt("DatapointsToAlarm").value_or(c.evaluation_periods);
  if (c.datapoints_to_alarm > c.evaluation_periods) {
    return reply(
        InvalidValue("DatapointsToAlarm must be less than or equal to EvaluationPeriods."));
  }
  if (c.period * c.evaluation_periods > 7 * 86400) {
    return reply(
        InvalidValue("The evaluation period (Period * EvaluationPeriods) must not exceed 7 days."));
  }
  const auto threshold = NumberOf(input.Get("Threshold"));
  if (!threshold) return reply(Missing("The parameter Threshold is required."));
  c.threshold = *threshold;
  c.treat_missing_data = StringOf(input, "TreatMissingData");
  if (c.treat_missing_data.empty()) c.treat_missing_data = "missing";
  if (c.treat_missing_data != "missing" && c.treat_missing_data != "ignore" &&
      c.treat_missing_data != "breaching" && c.treat_missing_data != "notBreaching") {
    return reply(InvalidValue(fmt::format("The value {} for parameter TreatMissingData is invalid.",
                                          c.treat_missing_data)));
  }
  c.evaluate_low_sample_count_percentile = StringOf(input, "EvaluateLowSampleCountPercentile");
  if (const Value* tags = input.Get("Tags"); tags != nullptr && tags->is_list()) {
    for (const Value& t : tags->items())
      c.tags.emplace_back(StringOf(t, "Key"), StringOf(t, "Value"));
  }
  if (Status st = cw.cw.PutAlarm(ScopeOf(ctx), std::move(c)); !st.ok()) return reply(st);
  reply(Value::Struct());
}

void DescribeAlarms(const Cw& cw, const RequestContext& ctx, Value&& input, Reply reply) {
  if (Status st = Authorize(cw, ctx, "cloudwatch:DescribeAlarms"); !st.ok()) return reply(st);
  const std::vector<std::string> names = StringsOf(input.Get("AlarmNames"));
  const std::string prefix = StringOf(input, "AlarmNamePrefix");
  if (!names.empty() && !prefix.empty()) {
    return reply(
        InvalidCombination("AlarmNamePrefix and AlarmNames cannot be specified at the same time."));
  }
  const std::string state = StringOf(input, "StateValue");
  const std::string action_prefix = StringOf(input, "ActionPrefix");
  const std::vector<std::string> types = StringsOf(input.Get("AlarmTypes"));
  const bool want_metric =
      types.empty() || std::find(types.begin(), types.end(), "MetricAlarm") != types.end();
  cw.cw.CatchUp();
  std::vector<Alarm> alarms;
  if (want_metric) {
    for (Alarm& a : cw.cw.Alarms(ScopeOf(ctx))) {
      if (!names.empty() && std::find(names.begin(), names.end(), a.config.name) == names.end()) {
        continue;
      }
      if (!a.config.name.starts_with(prefix)) continue;
      if (!state.empty() && a.state.value != state) continue;
      if (!action_prefix.empty()) {
        bool any = false;
        for (const auto* list :
             {&a.config.alarm_actions, &a.config.ok_actions, &a.config.insufficient_data_actions}) {
          for (const std::string& arn : *list) any = any || arn.starts_with(action_prefix);
        }
        if (!any) continue;
      }
      alarms.push_back(std::move(a));
    }
  }
  std::optional<std::string> next;
  if (Status st = Page(input, alarms, next); !st.ok()) return reply(st);
  Value list = Value::List();
  for (const Alarm& a : alarms) list.Append(AlarmValue(ctx, a));
  Value out = Value::Struct();
  out.Set("CompositeAlarms", Value::List());
  out.Set("MetricAlarms", std::move(list));
  if (next) out.Set("NextToken", Value::String(PageToken(*next)));
  reply(std::move(out));
}

void DescribeAlarmsForMetric(const Cw& cw, const RequestContext& ctx, Value&& input, Reply reply) {
  if (Status st = Authorize(cw, ctx, "cloudwatch:DescribeAlarmsForMetric"); !st.ok()) {
    return reply(st);
  }
  auto dims = DimensionsOf(input.Get("Dimensions"), "Dimensions");
  if (!dims.ok()) return reply(dims.status());
  const SeriesKey key{StringOf(input, "Namespace"), StringOf(input, "MetricName"),
                      std::move(*dims)};
  const std::string statistic = StringOf(input, "Statistic");
  const std::string extended = StringOf(input, "ExtendedStatistic");
  const auto period = input.GetInt("Period");
  const std::string unit = StringOf(input, "Unit");
  cw.cw.CatchUp();
  Value list = Value::List();
  for (const Alarm& a : cw.cw.Alarms(ScopeOf(ctx))) {
    const AlarmConfig& c = a.config;
    if (c.metric.ns != key.ns || c.metric.name != key.name) continue;
    if (input.Get("Dimensions") != nullptr && c.metric.dims != key.dims) continue;
    if (!statistic.empty() && c.statistic != statistic) continue;
    if (!extended.empty() && c.extended_statistic != extended) continue;
    if (period && c.period != *period) continue;
    if (!unit.empty() && c.unit != unit) continue;
    list.Append(AlarmValue(ctx, a));
  }
  Value out = Value::Struct();
  out.Set("MetricAlarms", std::move(list));
  reply(std::move(out));
}

void DeleteAlarms(const Cw& cw, const RequestContext& ctx, Value&& input, Reply reply) {
  if (Status st = Authorize(cw, ctx, "cloudwatch:DeleteAlarms"); !st.ok()) return reply(st);
  const std::vector<std::string> names = StringsOf(input.Get("AlarmNames"));
  // AWS deletes nothing when one of the names does not exist.
  std::vector<std::string> missing;
  const std::vector<Alarm> alarms = cw.cw.Alarms(ScopeOf(ctx));
  for (const std::string& n : names) {
    if (std::none_of(alarms.begin(), alarms.end(),
                     [&](const Alarm& a) { return a.config.name == n; })) {
      missing.push_back(n);
    }
  }
  if (!missing.empty()) {
    return reply(
        Status(CwError::kResourceNotFound,
               fmt::format("The following alarms were not found: [{}]", fmt::join(missing, ", "))));
  }
  auto deleted = cw.cw.DeleteAlarms(ScopeOf(ctx), names);
  if (!deleted.ok()) return reply(deleted.status());
  reply(Value::Struct());
}

void SetAlarmState(const Cw& cw, const RequestContext& ctx, Value&& input, Reply reply) {
  if (Status st = Authorize(cw, ctx, "cloudwatch:SetAlarmState"); !st.ok()) return reply(st);
  const std::string name = StringOf(input, "AlarmName");
  const std::string reason_data = StringOf(input, "StateReasonData");
  if (!reason_data.empty()) {
    rapidjson::Document d;
    d.Parse(reason_data.c_str(), reason_data.size());
    if (d.HasParseError()) {
      return reply(Status(CwError::kInvalidFormat,
                          "Unable to parse StateReasonData: it must be valid JSON."));
    }
  }
  cw.cw.CatchUp();
  auto found = cw.cw.SetAlarmState(ScopeOf(ctx), name, StringOf(input, "StateValue"),
                                   StringOf(input, "StateReason"), reason_data);
  if (!found.ok()) return reply(found.status());
  if (!*found) {
    return reply(Status(CwError::kResourceNotFound, fmt::format("Alarm {} not found", name)));
  }
  reply(Value::Struct());
}

void EnableAlarmActions(const Cw& cw, const RequestContext& ctx, Value&& input, Reply reply) {
  Status st = ActionsEnabledCmd(cw, ctx, input, true);
  if (!st.ok()) return reply(st);
  reply(Value::Struct());
}

void DisableAlarmActions(const Cw& cw, const RequestContext& ctx, Value&& input, Reply reply) {
  Status st = ActionsEnabledCmd(cw, ctx, input, false);
  if (!st.ok()) return reply(st);
  reply(Value::Struct());
}

void DescribeAlarmHistory(const Cw& cw, const RequestContext& ctx, Value&& input, Reply reply) {
  if (Status st = Authorize(cw, ctx, "cloudwatch:DescribeAlarmHistory"); !st.ok()) {
    return reply(st);
  }
  auto position = TokenPosition(input);
  if (!position.ok()) return reply(position.status());
  const std::string name = StringOf(input, "AlarmName");
  const std::string type = StringOf(input, "HistoryItemType");
  const auto start = input.GetInt("StartDate");
  const auto end = input.GetInt("EndDate");
  const std::vector<std::string> types = StringsOf(input.Get("AlarmTypes"));
  if (!types.empty() && std::find(types.begin(), types.end(), "MetricAlarm") == types.end()) {
    Value out = Value::Struct();
    out.Set("AlarmHistoryItems", Value::List());
    return reply(std::move(out));
  }
  const bool ascending = StringOf(input, "ScanBy") == "TimestampAscending";
  const std::int64_t max = input.GetInt("MaxRecords").value_or(100);
  cw.cw.CatchUp();
  std::vector<HistoryItem> items;
  for (HistoryItem& h : cw.cw.History(ScopeOf(ctx))) {
    if (!name.empty() && h.alarm_name != name) continue;
    if (!type.empty() && h.type != type) continue;
    if (start && h.timestamp < *start) continue;
    if (end && h.timestamp > *end) continue;
    items.push_back(std::move(h));
  }
  if (!ascending) std::reverse(items.begin(), items.end());
  const std::size_t skip =
      position->empty() ? 0
                        : static_cast<std::size_t>(std::strtoull(position->c_str(), nullptr, 10));
  Value list = Value::List();
  std::optional<std::string> next;
  for (std::size_t i = skip; i < items.size(); ++i) {
    if (static_cast<std::int64_t>(list.items().size()) == max) {
      next = std::to_string(i);
      break;
    }
    const HistoryItem& h = items[i];
    Value v = Value::Struct();
    v.Set("AlarmName", Value::String(h.alarm_name));
    v.Set("AlarmType", Value::String("MetricAlarm"));
    v.Set("Timestamp", Value::Int(h.timestamp));
    v.Set("HistoryItemType", Value::String(h.type));
    v.Set("HistorySummary", Value::String(h.summary));
    v.Set("HistoryData", Value::String(h.data));
    list.Append(std::move(v));
  }
  Value out = Value::Struct();
  out.Set("AlarmHistoryItems", std::move(list));
  if (next) out.Set("NextToken", Value::String(PageToken(*next)));
  reply(std::move(out));
}

}  // namespace sluice::monitoring
