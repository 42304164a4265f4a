// A metric alarm: its configuration, its state, the AWS state machine that evaluates it over the
// datapoints of its last periods, and the texts AWS writes (state reasons, the SNS notification).
//
// Evaluation (M of N: DatapointsToAlarm of EvaluationPeriods), with TreatMissingData:
// - breaching / notBreaching: the last N periods, a missing datapoint counted as breaching / not;
//   ALARM when at least M breach, else OK.
// - missing / ignore: the most recent N existing datapoints of the last 2N periods. None: missing
//   -> INSUFFICIENT_DATA, ignore -> the state is kept. ALARM when at least M breach. Fewer than M
//   datapoints, all breaching: missing -> ALARM, ignore -> kept. Otherwise OK.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "services/monitoring/metric_query.h"
#include "services/monitoring/series.h"

namespace sluice::monitoring {

inline constexpr char kStateOk[] = "OK";
inline constexpr char kStateAlarm[] = "ALARM";
inline constexpr char kStateInsufficient[] = "INSUFFICIENT_DATA";

struct AlarmConfig {
  std::string name;
  std::string description;
  bool actions_enabled = true;
  std::vector<std::string> ok_actions, alarm_actions, insufficient_data_actions;
  SeriesKey metric;                // namespace, name, dimensions
  std::string statistic;           // "Average", ... or empty when extended_statistic is set
  std::string extended_statistic;  // "p99"
  std::string unit;
  std::int64_t period = 60;  // seconds
  std::int64_t evaluation_periods = 1;
  std::int64_t datapoints_to_alarm = 1;
  double threshold = 0;
  std::string comparison;  // GreaterThanThreshold, ...
  std::string treat_missing_data = "missing";
  std::string evaluate_low_sample_count_percentile;
  std::vector<std::pair<std::string, std::string>> tags;
  // A metric-math alarm (PutMetricAlarm's Metrics): exactly one query has return_data; `metric`,
  // `statistic` and `unit` are empty and `period` is that query's.
  std::vector<MetricQuery> metrics;
  std::string threshold_metric_id;  // anomaly-band operators: the ANOMALY_DETECTION_BAND query
  // A composite alarm (PutCompositeAlarm): its rule over other alarms' states, evaluated when one
  // of them changes state; the metric fields are unused.
  bool composite = false;
  std::string alarm_rule;
  std::string actions_suppressor;
  std::int64_t suppressor_wait_period = 0;
  std::int64_t suppressor_extension_period = 0;
};

// True for the anomaly-band comparison operators.
bool IsBandOperator(std::string_view op);

struct AlarmState {
  std::string value = kStateInsufficient;
  std::string reason = "Unchecked: Initial alarm creation";
  std::string reason_data;
  Millis updated_ms = 0;         // StateUpdatedTimestamp
  Millis transitioned_ms = 0;    // StateTransitionedTimestamp
  Millis config_updated_ms = 0;  // AlarmConfigurationUpdatedTimestamp
  // Composite alarms with an ActionsSuppressor: why actions are suppressed ("" = they are not):
  // "Alarm" (the suppressor is in ALARM), "WaitPeriod" (the composite went into ALARM and waits
  // for the suppressor to follow) or "ExtensionPeriod" (the suppressor left ALARM); the end of the
  // WaitPeriod or ExtensionPeriod in progress (0 = none); and whether the actions of the current
  // state were suppressed and are owed (taken when the period ends, as AWS does).
  std::string actions_suppressed_by;
  std::string actions_suppressed_reason;
  Millis suppressed_until = 0;
  bool actions_held = false;
};

struct Alarm {
  AlarmConfig config;
  AlarmState state;
};

// One period's datapoint: its start and value, or nullopt when the period had no data.
struct PeriodValue {
  Millis start = 0;
  std::optional<double> value;
  double sample_count = 0;
};

struct Transition {
  std::string state;
  std::string reason;
  std::string reason_data;
};

// Whether `value` breaches the alarm's threshold.
bool Breaches(const AlarmConfig& config, double value);
// The state the datapoints call for (`periods`: the last 2N periods, oldest first), with AWS's
// reason texts; nullopt to keep the current state.
std::optional<Transition> Evaluate(const AlarmConfig& config, const std::string& current,
                                   const std::vector<PeriodValue>& periods, Millis now);

// The alarm's ARN.
std::string AlarmArn(std::string_view region, std::string_view account, std::string_view name);
// The JSON message AWS publishes to an alarm's SNS topics on a transition, and its subject.
std::string NotificationMessage(const Alarm& alarm, std::string_view old_state,
                                std::string_view account, std::string_view region);
std::string NotificationSubject(const Alarm& alarm, std::string_view region);

// Store codec.
std::string EncodeAlarm(const Alarm& alarm);
std::optional<Alarm> DecodeAlarm(std::string_view text);

// "2026-12-06T08:15:00.000+0000" as AWS writes times in alarm messages and reason data.
std::string AlarmTime(Millis ms);

}  // namespace sluice::monitoring
