// CloudWatch as a library: the metric store, the AWS/SQS metrics collector, the alarms with their
// history, and the minute clock that drives them. The service's handlers and the app use it.
//
// Time: everything runs on the injected clock (the control-plane clock, adjustable in tests).
// CatchUp() closes every minute that has ended: the SQS counters and gauges and the SNS counters
// of the open minute become its datapoints, then every alarm is evaluated, and once an hour the
// store is compacted. The app calls it every few seconds (Start) and every CloudWatch request calls
// it first, so a test that moves the clock sees the closed minute on its next request. When the
// clock jumps several minutes, the counts since the last close go to the open minute and the
// skipped minutes have no SQS datapoints.
//
// Alarm actions go through an AlarmNotifier (SNS implements it); without one, or for an action
// that is not an SNS topic, the action is recorded in the alarm history as failed.
//
// Thread-safety: every method may be called concurrently.
#pragma once

#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "services/monitoring/alarm.h"
#include "services/monitoring/alarm_events.h"
#include "services/monitoring/metric_store.h"
#include "services/monitoring/sns_metrics.h"
#include "services/monitoring/sqs_metrics.h"

namespace sluice::engine {
class Engine;
class ResourceStore;
}  // namespace sluice::engine

namespace sluice::monitoring {

// What alarm actions publish to; the SNS service implements it.
class AlarmNotifier {
 public:
  virtual ~AlarmNotifier() = default;
  // Publishes `message` with `subject` to the topic `topic_arn` of `account`. An error: the
  // action failed (its text goes into the alarm history).
  virtual Status Publish(std::string_view account, std::string_view topic_arn,
                         std::string_view subject, std::string_view message) = 0;
};

struct HistoryItem {
  std::string alarm_name;
  std::string type;  // ConfigurationUpdate, StateUpdate, Action
  std::string summary;
  std::string data;  // JSON
  Millis timestamp = 0;
  std::string record;  // its name in the resource store ("" when not stored)
};

class CloudWatch {
 public:
  // `resources` may be null (memory only). `region`: the region SQS's queues live in.
  CloudWatch(Clock& clock, engine::ResourceStore* resources, std::string region);
  ~CloudWatch();
  CloudWatch(const CloudWatch&) = delete;
  CloudWatch& operator=(const CloudWatch&) = delete;

  // Loads stored metrics and alarms. Call once before use.
  Status Load();
  // The engine SQS should use: `engine` with its message operations counted. Call before use;
  // `engine` must outlive this object. `seed_account`: whose existing queues emit from the start.
  engine::Engine& MeterSqs(engine::Engine& engine, std::string_view seed_account);
  void SetNotifier(AlarmNotifier* notifier);
  // Where alarm state changes go as events (EventBridge's default bus); null: nowhere.
  void SetEventSink(AlarmEventSink* sink);
  // The AWS/SNS counters SNS reports into (through the app's sns::Meter adapter).
  SnsMetrics& sns_metrics() { return sns_; }
  // Calls CatchUp every `interval_ms` of the clock (on the clock's timer thread) until destroyed.
  void Start(Millis interval_ms = 5000);

  void CatchUp();
  // GET /metrics on the admin port: the Prometheus text format (docs/metrics.md).
  std::string PrometheusText();
  const Clock& clock() const { return clock_; }
  MetricStore& metrics() { return metrics_; }

  // ---- alarms ---------------------------------------------------------------------------------
  // Creates or replaces (keeping its state) the alarm, then evaluates it. A composite alarm's
  // rule must parse and name alarms that exist, not itself (ValidationError); it is evaluated
  // when created and whenever one of its alarms changes state (composites of composites too).
  Status PutAlarm(const Scope& scope, AlarmConfig config);
  // The names of the composite alarms whose rule refers to `name`.
  std::vector<std::string> ParentsOf(const Scope& scope, const std::string& name) const;
  std::vector<Alarm> Alarms(const Scope& scope) const;
  // Deletes those that exist; the names that do not are returned. Refuses (ValidationError,
  // nothing deleted) an alarm a composite alarm's rule still refers to, unless that composite is
  // deleted too.
  Result<std::vector<std::string>> DeleteAlarms(const Scope& scope,
                                                const std::vector<std::string>& names);
  // kNotFound-style: false when there is no such alarm.
  Result<bool> SetAlarmState(const Scope& scope, const std::string& name, const std::string& state,
                             const std::string& reason, const std::string& reason_data);
  Status SetActionsEnabled(const Scope& scope, const std::vector<std::string>& names, bool enabled);
  std::vector<HistoryItem> History(const Scope& scope) const;
  // The alarm's tags (TagResource, UntagResource, ListTagsForResource): nullopt when there is no
  // such alarm. UpdateAlarmTags stores the edited tags; false when there is no such alarm.
  using Tags = std::vector<std::pair<std::string, std::string>>;
  std::optional<Tags> AlarmTags(const Scope& scope, const std::string& name) const;
  Result<bool> UpdateAlarmTags(const Scope& scope, const std::string& name,
                               const std::function<Status(Tags&)>& edit);

 private:
  struct Notification {
    std::string account;
    std::string arn;
    std::string subject;
    std::string message;
    std::string alarm;
    Scope scope;
  };
  Status StoreAlarm(const Scope& scope, const Alarm& alarm);
  // Several nodes on one store: other nodes' metrics, alarms and history, loaded again when they
  // changed them (engine::ResourceStore::RemoteChanges). Called by CatchUp, so before every
  // request.
  void SyncFromStore();
  Status LoadAlarmsLocked();  // every alarm and history item, replacing what is held
  std::uint64_t RemoteAlarmChanges() const;
  void AddHistory(const Scope& scope, HistoryItem item);
  // Drops the oldest items past retention or the cap, from memory and the store (mu_ held).
  void TrimHistoryLocked(const Scope& scope, std::deque<HistoryItem>& items, Millis now);
  // Evaluates one alarm at `now` (mu_ held); a transition queues its notifications.
  void EvaluateLocked(const Scope& scope, Alarm& alarm, Millis now, std::vector<Notification>& out);
  void TransitionLocked(const Scope& scope, Alarm& alarm, const Transition& t, Millis now,
                        std::vector<Notification>& out);
  // Evaluates a composite alarm's rule; `trigger`: the child whose change caused it ("" = none).
  void EvaluateCompositeLocked(const Scope& scope, Alarm& alarm, Millis now,
                               const std::string& trigger, std::vector<Notification>& out);
  std::vector<std::string> ParentsOfLocked(const Scope& scope, const std::string& name) const;
  // Action suppression of composite alarms (ActionsSuppressor, WaitPeriod, ExtensionPeriod), on
  // the injected clock. SuppressLocked: whether the actions of `alarm`'s transition to `next` are
  // suppressed (and records why). SuppressorChangedLocked: `suppressor` changed state from
  // `old_state`: the composites it suppresses hold their actions (into ALARM) or start their
  // ExtensionPeriod (out of ALARM). ReleaseLocked: a period ended; owed actions are taken for the
  // current state. ReleaseSuppressions: releases every period that has ended (CatchUp).
  bool SuppressLocked(const Scope& scope, Alarm& alarm, const std::string& next, Millis now);
  void SuppressorChangedLocked(const Scope& scope, const Alarm& suppressor,
                               std::string_view old_state, Millis now,
                               std::vector<Notification>& out);
  void ReleaseLocked(const Scope& scope, Alarm& alarm, Millis now, std::vector<Notification>& out);
  void ReleaseSuppressions();
  void QueueActionsLocked(const Scope& scope, const Alarm& alarm, std::string_view old_state,
                          std::vector<Notification>& out);
  void Deliver(std::vector<Notification> notifications);

  Clock& clock_;
  engine::ResourceStore* resources_;
  std::string region_;
  MetricStore metrics_;
  std::unique_ptr<SqsMetrics> sqs_;
  std::unique_ptr<engine::Engine> metered_;
  SnsMetrics sns_;

  std::mutex tick_mu_;
  Millis open_minute_ = 0;
  Millis last_compaction_ = 0;
  Millis last_eviction_ = 0;
  // Several nodes on one store (PostgreSQL): this node's id for the alarm lease, and the store's
  // count of other nodes' alarm and history writes when alarms_ was loaded.
  const std::string node_;
  std::uint64_t alarms_synced_ = 0;  // under mu_

  mutable std::mutex mu_;
  AlarmNotifier* notifier_ = nullptr;
  AlarmEventSink* event_sink_ = nullptr;
  std::map<Scope, std::map<std::string, Alarm>> alarms_;
  std::map<Scope, std::deque<HistoryItem>> history_;
  std::uint64_t history_seq_ = 0;
  // No suppression period ends before it (a lower bound, exact after each release): requests
  // look at it instead of every alarm.
  static constexpr Millis kNever = std::numeric_limits<Millis>::max();
  Millis next_release_ = 0;    // under mu_
  int propagation_depth_ = 0;  // composite re-evaluations in progress (mu_ held), bounded

  struct Guard {
    std::mutex mu;
    CloudWatch* self = nullptr;
  };
  std::shared_ptr<Guard> guard_;  // timer callbacks reach this object through it
};

}  // namespace sluice::monitoring
