// PutMetricAlarm, DescribeAlarms, DescribeAlarmsForMetric, DeleteAlarms, SetAlarmState,
// Enable/DisableAlarmActions and DescribeAlarmHistory.
#include <fmt/format.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <set>

#include "services/monitoring/alarm_rule.h"
#include "services/monitoring/errors.h"
#include "services/monitoring/handlers.h"
#include "services/monitoring/metric_math.h"

namespace sluice::monitoring {
namespace {

constexpr std::int64_t kDefaultMaxRecords = 50;
constexpr std::size_t kMaxActions = 5;
constexpr std::size_t kMaxAlarmQueries = 20;

Value StringList(const std::vector<std::string>& items) {
  Value list = Value::List();
  for (const std::string& s : items) list.Append(Value::String(s));
  return list;
}

Value MetricsValue(const std::vector<MetricQuery>& queries) {
  Value list = Value::List();
  for (const MetricQuery& q : queries) {
    Value v = Value::Struct();
    v.Set("Id", Value::String(q.id));
    if (!q.expression.empty()) {
      v.Set("Expression", Value::String(q.expression));
      if (q.period > 0) v.Set("Period", Value::Int(q.period));
    } else {
      Value metric = Value::Struct();
      metric.Set("Namespace", Value::String(q.metric.ns));
      metric.Set("MetricName", Value::String(q.metric.name));
      metric.Set("Dimensions", DimensionsValue(q.metric.dims));
      Value stat = Value::Struct();
      stat.Set("Metric", std::move(metric));
      stat.Set("Period", Value::Int(q.period));
      stat.Set("Stat", Value::String(q.stat));
      if (!q.unit.empty()) stat.Set("Unit", Value::String(q.unit));
      v.Set("MetricStat", std::move(stat));
    }
    if (!q.label.empty()) v.Set("Label", Value::String(q.label));
    v.Set("ReturnData", Value::Bool(q.return_data));
    list.Append(std::move(v));
  }
  return list;
}

Value CompositeValue(const RequestContext& ctx, const Alarm& a) {
  const AlarmConfig& c = a.config;
  Value v = Value::Struct();
  v.Set("AlarmName", Value::String(c.name));
  v.Set("AlarmArn", Value::String(AlarmArn(ctx.region, ctx.account_id, c.name)));
  if (!c.description.empty()) v.Set("AlarmDescription", Value::String(c.description));
  v.Set("AlarmRule", Value::String(c.alarm_rule));
  v.Set("AlarmConfigurationUpdatedTimestamp", Value::Int(a.state.config_updated_ms));
  v.Set("ActionsEnabled", Value::Bool(c.actions_enabled));
  v.Set("OKActions", StringList(c.ok_actions));
  v.Set("AlarmActions", StringList(c.alarm_actions));
  v.Set("InsufficientDataActions", StringList(c.insufficient_data_actions));
  v.Set("StateValue", Value::String(a.state.value));
  v.Set("StateReason", Value::String(a.state.reason));
  if (!a.state.reason_data.empty()) v.Set("StateReasonData", Value::String(a.state.reason_data));
  v.Set("StateUpdatedTimestamp", Value::Int(a.state.updated_ms));
  v.Set("StateTransitionedTimestamp", Value::Int(a.state.transitioned_ms));
  if (!a.state.actions_suppressed_by.empty()) {
    v.Set("ActionsSuppressedBy", Value::String(a.state.actions_suppressed_by));
    v.Set("ActionsSuppressedReason", Value::String(a.state.actions_suppressed_reason));
  }
  if (!c.actions_suppressor.empty()) {
    v.Set("ActionsSuppressor",
          Value::String(AlarmArn(ctx.region, ctx.account_id, c.actions_suppressor)));
    v.Set("ActionsSuppressorWaitPeriod", Value::Int(c.suppressor_wait_period));
    v.Set("ActionsSuppressorExtensionPeriod", Value::Int(c.suppressor_extension_period));
  }
  return v;
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
  if (!c.metrics.empty()) {
    v.Set("Metrics", MetricsValue(c.metrics));
    if (!c.threshold_metric_id.empty()) {
      v.Set("ThresholdMetricId", Value::String(c.threshold_metric_id));
    }
  } else {
    v.Set("MetricName", Value::String(c.metric.name));
    v.Set("Namespace", Value::String(c.metric.ns));
    v.Set("Dimensions", DimensionsValue(c.metric.dims));
    v.Set("Period", Value::Int(c.period));
  }
  if (!c.statistic.empty()) v.Set("Statistic", Value::String(c.statistic));
  if (!c.extended_statistic.empty()) {
    v.Set("ExtendedStatistic", Value::String(c.extended_statistic));
  }
  if (!c.unit.empty()) v.Set("Unit", Value::String(c.unit));
  v.Set("EvaluationPeriods", Value::Int(c.evaluation_periods));
  v.Set("DatapointsToAlarm", Value::Int(c.datapoints_to_alarm));
  if (c.threshold_metric_id.empty()) v.Set("Threshold", Value::Double(c.threshold));
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

Status ValidAlarmPeriod(std::int64_t period, std::string_view param) {
  if (period == 10 || period == 30 || (period >= 60 && period % 60 == 0)) return Status::Ok();
  return InvalidValue(fmt::format("The parameter {} must be 10, 30 or a multiple of 60.", param));
}

// The single-metric form of PutMetricAlarm.
Status MetricAlarmOf(const Value& input, AlarmConfig& c) {
  if (IsBandOperator(c.comparison) || !StringOf(input, "ThresholdMetricId").empty()) {
    return InvalidCombination(fmt::format(
        "The value {} for parameter ComparisonOperator is only valid with Metrics and a "
        "ThresholdMetricId naming an ANOMALY_DETECTION_BAND expression.",
        c.comparison));
  }
  c.metric.ns = StringOf(input, "Namespace");
  c.metric.name = StringOf(input, "MetricName");
  if (c.metric.name.empty()) return Missing("The parameter MetricName is required.");
  if (c.metric.ns.empty()) return Missing("The parameter Namespace is required.");
  auto dims = DimensionsOf(input.Get("Dimensions"), "Dimensions");
  if (!dims.ok()) return dims.status();
  c.metric.dims = std::move(*dims);
  c.statistic = StringOf(input, "Statistic");
  c.extended_statistic = StringOf(input, "ExtendedStatistic");
  if (c.statistic.empty() == c.extended_statistic.empty()) {
    return InvalidCombination(
        "Exactly one element of the Statistic and ExtendedStatistic parameters must be "
        "specified.");
  }
  if (!c.extended_statistic.empty() && !IsPercentile(c.extended_statistic)) {
    return InvalidValue(fmt::format(
        "The value {} for parameter ExtendedStatistic is not supported.", c.extended_statistic));
  }
  c.unit = StringOf(input, "Unit");
  auto period = input.GetInt("Period");
  if (!period) return Missing("The parameter Period is required.");
  c.period = *period;
  return ValidAlarmPeriod(c.period, "Period");
}

// The metric-math form: Metrics, exactly one query with ReturnData; the band operators need a
// ThresholdMetricId naming an ANOMALY_DETECTION_BAND expression.
Status MathAlarmOf(const Value& input, const Value& metrics, AlarmConfig& c) {
  for (const char* member : {"MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Unit"}) {
    if (!StringOf(input, member).empty()) {
      return InvalidCombination(fmt::format(
          "The parameters Metrics and {} are mutually exclusive and you have specified both.",
          member));
    }
  }
  for (const char* member : {"Dimensions", "Period"}) {
    if (const Value* v = input.Get(member);
        v != nullptr && !v->is_null() && !(v->is_list() && v->items().empty())) {
      return InvalidCombination(fmt::format(
          "The parameters Metrics and {} are mutually exclusive and you have specified both.",
          member));
    }
  }
  if (metrics.items().size() > kMaxAlarmQueries) {
    return InvalidValue(fmt::format("The collection Metrics must not have a size greater than {}.",
                                    kMaxAlarmQueries));
  }
  auto queries = QueriesOf(metrics, "Metrics");
  if (!queries.ok()) return queries.status();
  // As on AWS, an alarm cannot watch a SEARCH expression.
  for (const MetricQuery& q : *queries) {
    if (q.expression.empty()) continue;
    if (auto root = math::Parse(q.expression); root.ok() && math::Calls(**root, "SEARCH")) {
      return Status(
          ErrorCode::kValidationError,
          fmt::format("Error in expression {}: SEARCH() cannot be used in an alarm.", q.id));
    }
  }
  c.threshold_metric_id = StringOf(input, "ThresholdMetricId");
  // The band of an anomaly alarm returns data too, beside the metric it bounds.
  const MetricQuery* returned = nullptr;
  std::size_t returning = 0;
  for (const MetricQuery& q : *queries) {
    if (!q.return_data || q.id == c.threshold_metric_id) continue;
    ++returning;
    returned = &q;
  }
  if (returning != 1) {
    return Status(ErrorCode::kValidationError,
                  "Exactly one element of the Metrics list must have ReturnData set to true.");
  }
  if (IsBandOperator(c.comparison) != !c.threshold_metric_id.empty()) {
    return Status(
        ErrorCode::kValidationError,
        IsBandOperator(c.comparison)
            ? fmt::format("ThresholdMetricId is required with ComparisonOperator {}.", c.comparison)
            : fmt::format("ThresholdMetricId cannot be used with ComparisonOperator {}.",
                          c.comparison));
  }
  if (!c.threshold_metric_id.empty()) {
    auto band = std::find_if(queries->begin(), queries->end(),
                             [&](const MetricQuery& q) { return q.id == c.threshold_metric_id; });
    if (band == queries->end() || !band->expression.starts_with("ANOMALY_DETECTION_BAND(")) {
      return Status(ErrorCode::kValidationError,
                    fmt::format("ThresholdMetricId {} must be the Id of an ANOMALY_DETECTION_BAND "
                                "expression in Metrics.",
                                c.threshold_metric_id));
    }
  }
  std::int64_t period = returned->period;
  if (period == 0) {
    for (const MetricQuery& q : *queries) {
      if (q.expression.empty()) period = std::max(period, q.period);
    }
  }
  if (period == 0) {
    return Status(ErrorCode::kValidationError,
                  "The Metrics list must hold at least one MetricStat with a Period.");
  }
  for (const MetricQuery& q : *queries) {
    if (!q.expression.empty()) continue;
    if (Status st = ValidAlarmPeriod(q.period, "MetricStat.Period"); !st.ok()) return st;
  }
  c.period = period;
  c.metrics = std::move(*queries);
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
    if (Status st = MathAlarmOf(input, *m, c); !st.ok()) return reply(st);
  } else if (Status st = MetricAlarmOf(input, c); !st.ok()) {
    return reply(st);
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
  if (IsBandOperator(c.comparison)) {
    if (threshold) {
      return reply(InvalidCombination(
          "The parameters Threshold and ThresholdMetricId are mutually exclusive and you have "
          "specified both."));
    }
  } else {
    if (!threshold) return reply(Missing("The parameter Threshold is required."));
    c.threshold = *threshold;
  }
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

void PutCompositeAlarm(const Cw& cw, const RequestContext& ctx, Value&& input, Reply reply) {
  if (Status st = Authorize(cw, ctx, "cloudwatch:PutCompositeAlarm"); !st.ok()) return reply(st);
  AlarmConfig c;
  c.composite = true;
  c.name = StringOf(input, "AlarmName");
  if (c.name.empty()) return reply(Missing("The parameter AlarmName is required."));
  c.alarm_rule = StringOf(input, "AlarmRule");
  if (c.alarm_rule.empty()) return reply(Missing("The parameter AlarmRule is required."));
  if (auto rule = ParseAlarmRule(c.alarm_rule); !rule.ok()) return reply(rule.status());
  c.description = StringOf(input, "AlarmDescription");
  c.actions_enabled = input.GetBool("ActionsEnabled").value_or(true);
  for (auto [member, target] :
       {std::pair{"OKActions", &c.ok_actions}, std::pair{"AlarmActions", &c.alarm_actions},
        std::pair{"InsufficientDataActions", &c.insufficient_data_actions}}) {
    auto actions = Actions(input, member);
    if (!actions.ok()) return reply(actions.status());
    *target = std::move(*actions);
  }
  c.actions_suppressor = StringOf(input, "ActionsSuppressor");
  if (const std::size_t at = c.actions_suppressor.rfind(":alarm:");
      c.actions_suppressor.starts_with("arn:") && at != std::string::npos) {
    c.actions_suppressor = c.actions_suppressor.substr(at + 7);
  }
  const auto wait = input.GetInt("ActionsSuppressorWaitPeriod");
  const auto extension = input.GetInt("ActionsSuppressorExtensionPeriod");
  if (c.actions_suppressor.empty() && (wait || extension)) {
    return reply(InvalidCombination(
        "ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod can only be specified "
        "with ActionsSuppressor."));
  }
  if (!c.actions_suppressor.empty()) {
    c.suppressor_wait_period = wait.value_or(60);
    c.suppressor_extension_period = extension.value_or(60);
    if (c.suppressor_wait_period < 0 || c.suppressor_extension_period < 0) {
      return reply(InvalidValue("The suppressor periods must not be negative."));
    }
  }
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
  // As on AWS, only metric alarms unless AlarmTypes asks for composite ones.
  const bool want_metric =
      types.empty() || std::find(types.begin(), types.end(), "MetricAlarm") != types.end();
  const bool want_composite =
      std::find(types.begin(), types.end(), "CompositeAlarm") != types.end();
  const std::string children_of = StringOf(input, "ChildrenOfAlarmName");
  const std::string parents_of = StringOf(input, "ParentsOfAlarmName");
  if (!children_of.empty() && !parents_of.empty()) {
    return reply(InvalidCombination(
        "ChildrenOfAlarmName and ParentsOfAlarmName cannot be specified at the same time."));
  }
  // As AWS documents: with either, only MaxRecords and NextToken may come too.
  if ((!children_of.empty() || !parents_of.empty()) &&
      (!names.empty() || !prefix.empty() || !state.empty() || !action_prefix.empty() ||
       !types.empty())) {
    return reply(InvalidCombination(fmt::format(
        "{} cannot be specified with any parameter other than MaxRecords and NextToken.",
        children_of.empty() ? "ParentsOfAlarmName" : "ChildrenOfAlarmName")));
  }
  cw.cw.CatchUp();
  const Scope scope = ScopeOf(ctx);
  std::vector<Alarm> all = cw.cw.Alarms(scope);
  std::vector<Alarm> alarms;
  if (!children_of.empty() || !parents_of.empty()) {
    // The children named by a composite's rule, or the composites whose rule names the alarm;
    // of every type.
    std::set<std::string> wanted;
    if (!children_of.empty()) {
      for (const Alarm& a : all) {
        if (a.config.name != children_of || !a.config.composite) continue;
        if (auto rule = ParseAlarmRule(a.config.alarm_rule); rule.ok()) RuleAlarms(**rule, wanted);
      }
    } else {
      for (std::string& p : cw.cw.ParentsOf(scope, parents_of)) wanted.insert(std::move(p));
    }
    for (Alarm& a : all) {
      if (wanted.contains(a.config.name)) alarms.push_back(std::move(a));
    }
  } else {
    for (Alarm& a : all) {
      if (a.config.composite ? !want_composite : !want_metric) continue;
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
  Value metric_list = Value::List();
  Value composite_list = Value::List();
  for (const Alarm& a : alarms) {
    Value v = Value::Struct();
    if (!children_of.empty() || !parents_of.empty()) {
      // Only what AWS returns there: the name and ARN, and for children their state.
      v.Set("AlarmName", Value::String(a.config.name));
      v.Set("AlarmArn", Value::String(AlarmArn(ctx.region, ctx.account_id, a.config.name)));
      if (!children_of.empty()) {
        v.Set("StateValue", Value::String(a.state.value));
        v.Set("StateUpdatedTimestamp", Value::Int(a.state.updated_ms));
      }
    } else {
      v = a.config.composite ? CompositeValue(ctx, a) : AlarmValue(ctx, a);
    }
    (a.config.composite ? composite_list : metric_list).Append(std::move(v));
  }
  Value out = Value::Struct();
  out.Set("CompositeAlarms", std::move(composite_list));
  out.Set("MetricAlarms", std::move(metric_list));
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
    if (c.composite || !c.metrics.empty()) continue;
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
  auto wants = [&](std::string_view type) {
    return types.empty() || std::find(types.begin(), types.end(), type) != types.end();
  };
  const bool ascending = StringOf(input, "ScanBy") == "TimestampAscending";
  const std::int64_t max = input.GetInt("MaxRecords").value_or(100);
  cw.cw.CatchUp();
  std::set<std::string> composites;
  for (const Alarm& a : cw.cw.Alarms(ScopeOf(ctx))) {
    if (a.config.composite) composites.insert(a.config.name);
  }
  std::vector<HistoryItem> items;
  for (HistoryItem& h : cw.cw.History(ScopeOf(ctx))) {
    if (!wants(composites.contains(h.alarm_name) ? "CompositeAlarm" : "MetricAlarm")) continue;
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
    v.Set("AlarmType",
          Value::String(composites.contains(h.alarm_name) ? "CompositeAlarm" : "MetricAlarm"));
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
