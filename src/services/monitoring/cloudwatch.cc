#include "services/monitoring/cloudwatch.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <set>

#include "common/encoding.h"
#include "common/ids.h"
#include "engine/engine.h"
#include "engine/resource_store.h"
#include "services/monitoring/alarm_rule.h"

namespace sluice::monitoring {
namespace {

constexpr char kAlarmKind[] = "monitoring.alarm";
constexpr char kHistoryKind[] = "monitoring.history";
constexpr Millis kHistoryRetention = 30 * kDay;
constexpr std::size_t kHistoryCap = 10'000;  // per account and region, oldest dropped first
constexpr int kMaxPropagation = 16;          // composite alarms of composite alarms, deep at most

// "Friday 13 August, 2021 16:56:23 UTC", as AWS writes a composite alarm's reason.
std::string LongTime(Millis ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%A %d %B, %Y %H:%M:%S UTC", &tm);
  return buf;
}

Millis Floor(Millis t, Millis step) { return t - ((t % step) + step) % step; }

engine::ResourceScope ResourceScopeOf(const Scope& s) { return {s.account, s.region}; }

std::string EncodeHistory(const HistoryItem& h) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("alarm");
  w.String(h.alarm_name.c_str(), static_cast<rapidjson::SizeType>(h.alarm_name.size()));
  w.Key("type");
  w.String(h.type.c_str(), static_cast<rapidjson::SizeType>(h.type.size()));
  w.Key("summary");
  w.String(h.summary.c_str(), static_cast<rapidjson::SizeType>(h.summary.size()));
  w.Key("data");
  w.String(h.data.c_str(), static_cast<rapidjson::SizeType>(h.data.size()));
  w.Key("ts");
  w.Int64(h.timestamp);
  w.EndObject();
  return buf.GetString();
}

std::optional<HistoryItem> DecodeHistory(std::string_view text) {
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  if (d.HasParseError() || !d.IsObject()) return std::nullopt;
  HistoryItem h;
  auto str = [&](const char* k) -> std::string {
    auto it = d.FindMember(k);
    return it != d.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
  };
  h.alarm_name = str("alarm");
  h.type = str("type");
  h.summary = str("summary");
  h.data = str("data");
  auto ts = d.FindMember("ts");
  h.timestamp = ts != d.MemberEnd() && ts->value.IsInt64() ? ts->value.GetInt64() : 0;
  return h;
}

std::string StateHistoryData(const Alarm& alarm, std::string_view old_state,
                             const AlarmState& old) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto state = [&](const char* key, std::string_view value, const std::string& reason,
                   const std::string& data) {
    w.Key(key);
    w.StartObject();
    w.Key("stateValue");
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    w.Key("stateReason");
    w.String(reason.c_str(), static_cast<rapidjson::SizeType>(reason.size()));
    if (!data.empty()) {
      rapidjson::Document d;
      d.Parse(data.c_str(), data.size());
      if (!d.HasParseError()) {
        w.Key("stateReasonData");
        d.Accept(w);
      }
    }
    w.EndObject();
  };
  w.StartObject();
  w.Key("version");
  w.String("1.0");
  state("oldState", old_state, old.reason, old.reason_data);
  state("newState", alarm.state.value, alarm.state.reason, alarm.state.reason_data);
  w.EndObject();
  return buf.GetString();
}

}  // namespace

CloudWatch::CloudWatch(Clock& clock, engine::ResourceStore* resources, std::string region)
    : clock_(clock),
      resources_(resources),
      region_(std::move(region)),
      metrics_(resources, &clock),
      open_minute_(Floor(clock.NowMs(), kMinute)),
      last_compaction_(Floor(clock.NowMs(), kHour)),
      last_eviction_(last_compaction_),
      node_(HexEncode(RandomBytes(8))),
      guard_(std::make_shared<Guard>()) {
  guard_->self = this;
}

CloudWatch::~CloudWatch() {
  std::lock_guard lock(guard_->mu);
  guard_->self = nullptr;
}

Status CloudWatch::Load() {
  if (Status st = metrics_.Load(); !st.ok()) return st;
  if (resources_ == nullptr) return Status::Ok();
  std::lock_guard lock(mu_);
  return LoadAlarmsLocked();
}

std::uint64_t CloudWatch::RemoteAlarmChanges() const {
  return resources_->RemoteChanges(kAlarmKind) + resources_->RemoteChanges(kHistoryKind);
}

void CloudWatch::SyncFromStore() {
  if (resources_ == nullptr || !resources_->Shared()) return;
  if (Status st = metrics_.Refresh(); !st.ok()) {
    spdlog::warn("cloudwatch: cannot load other nodes' metrics: {}", st.message());
  }
  std::lock_guard lock(mu_);
  if (RemoteAlarmChanges() == alarms_synced_) return;
  if (Status st = LoadAlarmsLocked(); !st.ok()) {
    spdlog::warn("cloudwatch: cannot load other nodes' alarms: {}", st.message());
  }
}

Status CloudWatch::LoadAlarmsLocked() {
  alarms_synced_ = RemoteAlarmChanges();
  alarms_.clear();
  history_.clear();
  next_release_ = 0;  // the next ReleaseSuppressions finds the loaded alarms' periods
  auto scopes = resources_->Scopes(kAlarmKind);
  if (!scopes.ok()) return scopes.status();
  for (const engine::ResourceScope& rs : *scopes) {
    auto records = resources_->List(kAlarmKind, rs, {});
    if (!records.ok()) return records.status();
    for (const engine::ResourceRecord& r : *records) {
      auto alarm = DecodeAlarm(r.value);
      if (!alarm) return Status(ErrorCode::kInternalError, "unreadable alarm record " + r.name);
      alarms_[Scope{rs.account, rs.region}][alarm->config.name] = std::move(*alarm);
    }
  }
  auto history_scopes = resources_->Scopes(kHistoryKind);
  if (!history_scopes.ok()) return history_scopes.status();
  for (const engine::ResourceScope& rs : *history_scopes) {
    auto records = resources_->List(kHistoryKind, rs, {});
    if (!records.ok()) return records.status();
    auto& items = history_[Scope{rs.account, rs.region}];
    for (const engine::ResourceRecord& r : *records) {
      if (r.name.size() == 32) {
        history_seq_ =
            std::max<std::uint64_t>(history_seq_, std::strtoull(r.name.c_str() + 16, nullptr, 16));
      }
      if (auto h = DecodeHistory(r.value)) {
        h->record = r.name;
        items.push_back(std::move(*h));
      }
    }
    std::stable_sort(items.begin(), items.end(), [](const HistoryItem& a, const HistoryItem& b) {
      return a.timestamp < b.timestamp;
    });
  }
  return Status::Ok();
}

engine::Engine& CloudWatch::MeterSqs(engine::Engine& engine, std::string_view seed_account) {
  sqs_ = std::make_unique<SqsMetrics>(engine, region_);
  for (const engine::QueueId& id : engine.ListQueues(seed_account, "", "")) sqs_->Touch(id);
  metered_ = std::make_unique<MeteredEngine>(engine, *sqs_);
  return *metered_;
}

void CloudWatch::SetEventSink(AlarmEventSink* sink) {
  std::lock_guard lock(mu_);
  event_sink_ = sink;
}

void CloudWatch::SetNotifier(AlarmNotifier* notifier) {
  std::lock_guard lock(mu_);
  notifier_ = notifier;
}

void CloudWatch::Start(Millis interval_ms) {
  struct Tick {
    static void Schedule(Clock& clock, std::shared_ptr<Guard> guard, Millis interval) {
      clock.RunAt(clock.NowMs() + interval, [&clock, guard, interval] {
        {
          std::lock_guard lock(guard->mu);
          if (guard->self == nullptr) return;
          guard->self->CatchUp();
        }
        Schedule(clock, guard, interval);
      });
    }
  };
  Tick::Schedule(clock_, guard_, interval_ms);
}

void CloudWatch::CatchUp() {
  SyncFromStore();
  ReleaseSuppressions();
  std::lock_guard tick(tick_mu_);
  const Millis now = clock_.NowMs();
  const Millis minute = Floor(now, kMinute);
  if (minute <= open_minute_) return;
  // Nodes sharing the store each add their own SQS and SNS counts; one of them (the lease's
  // holder) evaluates the alarms and compacts, so that an alarm notifies once.
  const bool alone = resources_ == nullptr || engine::HoldLease(*resources_, "monitoring.alarms",
                                                                node_, std::chrono::seconds(150));
  if (sqs_) {
    for (auto& [scope, samples] : sqs_->Flush(open_minute_)) {
      (void)metrics_.Put(scope, samples);  // a failed write loses one minute of SQS datapoints
    }
  }
  for (auto& [scope, samples] : sns_.Flush(open_minute_)) (void)metrics_.Put(scope, samples);
  open_minute_ = minute;
  if (Floor(now, kHour) > last_eviction_) {
    last_eviction_ = Floor(now, kHour);
    metrics_.Evict(now);  // every node: its own memory
  }
  if (!alone) return;
  std::vector<Notification> notifications;
  {
    std::lock_guard lock(mu_);
    for (auto& [scope, alarms] : alarms_) {
      for (auto& [name, alarm] : alarms) EvaluateLocked(scope, alarm, now, notifications);
    }
  }
  Deliver(std::move(notifications));
  if (Floor(now, kHour) > last_compaction_) {
    last_compaction_ = Floor(now, kHour);
    (void)metrics_.Compact(now);
    std::lock_guard lock(mu_);
    for (auto& [scope, items] : history_) TrimHistoryLocked(scope, items, now);
  }
}

std::string CloudWatch::PrometheusText() {
  std::string out;
  if (sqs_) sqs_->AppendPrometheus(out);
  sns_.AppendPrometheus(out);
  std::map<std::string, int> states{{kStateOk, 0}, {kStateAlarm, 0}, {kStateInsufficient, 0}};
  {
    std::lock_guard lock(mu_);
    for (const auto& [scope, alarms] : alarms_) {
      for (const auto& [name, alarm] : alarms) ++states[alarm.state.value];
    }
  }
  out += "# HELP sluice_cloudwatch_alarms Metric alarms by state.\n";
  out += "# TYPE sluice_cloudwatch_alarms gauge\n";
  for (const auto& [state, n] : states) {
    out += fmt::format("sluice_cloudwatch_alarms{{state=\"{}\"}} {}\n", state, n);
  }
  out += "# HELP sluice_cloudwatch_series Metric series held by the CloudWatch store.\n";
  out += "# TYPE sluice_cloudwatch_series gauge\n";
  out += fmt::format("sluice_cloudwatch_series {}\n", metrics_.SeriesCount());
  return out;
}

// ---- alarms -------------------------------------------------------------------------------------

Status CloudWatch::StoreAlarm(const Scope& scope, const Alarm& alarm) {
  if (resources_ == nullptr) return Status::Ok();
  auto stored = resources_->Update(kAlarmKind, ResourceScopeOf(scope), alarm.config.name,
                                   [&](const std::optional<engine::ResourceRecord>&)
                                       -> Result<std::optional<engine::ResourceRecord>> {
                                     engine::ResourceRecord r;
                                     r.value = EncodeAlarm(alarm);
                                     return std::optional<engine::ResourceRecord>(std::move(r));
                                   });
  return stored.status();
}

void CloudWatch::AddHistory(const Scope& scope, HistoryItem item) {
  if (resources_ != nullptr) {
    // Time first, so the store lists them in order; the sequence keeps names unique.
    std::string name =
        fmt::format("{:016x}{:016x}", static_cast<std::uint64_t>(item.timestamp), ++history_seq_);
    if (resources_->Put(kHistoryKind, ResourceScopeOf(scope), name, EncodeHistory(item), "", 0)
            .ok()) {
      item.record = std::move(name);
    }
  }
  const Millis now = item.timestamp;
  auto& items = history_[scope];
  items.push_back(std::move(item));
  TrimHistoryLocked(scope, items, now);
}

void CloudWatch::TrimHistoryLocked(const Scope& scope, std::deque<HistoryItem>& items, Millis now) {
  while (!items.empty() &&
         (items.size() > kHistoryCap || items.front().timestamp < now - kHistoryRetention)) {
    if (resources_ != nullptr && !items.front().record.empty()) {
      (void)resources_->Delete(kHistoryKind, ResourceScopeOf(scope), items.front().record,
                               engine::kAnyVersion);
    }
    items.pop_front();
  }
}

void CloudWatch::EvaluateLocked(const Scope& scope, Alarm& alarm, Millis now,
                                std::vector<Notification>& out) {
  const AlarmConfig& c = alarm.config;
  if (c.composite) return EvaluateCompositeLocked(scope, alarm, now, "", out);
  const Millis period = std::max<std::int64_t>(c.period, 1) * 1000;
  const std::int64_t count = 2 * std::max<std::int64_t>(c.evaluation_periods, 1);
  const Millis end = Floor(now, period);
  const Millis start = end - count * period;
  std::vector<PeriodValue> periods(static_cast<std::size_t>(count));
  for (std::size_t i = 0; i < periods.size(); ++i) {
    periods[i].start = start + static_cast<Millis>(i) * period;
  }
  if (!c.metrics.empty()) {
    // A metric-math alarm: the value of its ReturnData query in each period. The band
    // operators have no anomaly model here, so such an alarm keeps its state.
    if (IsBandOperator(c.comparison)) return;
    auto returned = std::find_if(c.metrics.begin(), c.metrics.end(),
                                 [](const MetricQuery& q) { return q.return_data; });
    if (returned == c.metrics.end()) return;
    auto results = RunQueries(
        c.metrics,
        [&](const SeriesKey& key, Millis from, Millis to) {
          return metrics_.Points(scope, key, from, to);
        },
        start, end, &returned->id, [&] {  // Metrics Insights alarms read every series
          std::vector<SeriesKey> keys;
          for (auto& s : metrics_.Series(scope)) keys.push_back(std::move(s.key));
          return keys;
        });
    if (results.ok() && !results->empty()) {
      for (const auto& [ts, v] : (*results)[0].points) {
        if (ts < start || ts >= end) continue;
        PeriodValue& p = periods[static_cast<std::size_t>((ts - start) / period)];
        p.value = v;
        p.sample_count = 1;
      }
    }
  } else {
    auto points = metrics_.Points(scope, c.metric, start, end);
    std::vector<Aggregate> aggs(periods.size());
    for (const auto& [ts, point] : points) {
      if (!c.unit.empty() && point.unit != c.unit) continue;
      aggs[static_cast<std::size_t>((ts - start) / period)].Merge(point.agg);
    }
    const std::string& stat = c.statistic.empty() ? c.extended_statistic : c.statistic;
    for (std::size_t i = 0; i < periods.size(); ++i) {
      if (aggs[i].empty()) continue;
      periods[i].value = StatisticOf(aggs[i], stat);
      periods[i].sample_count = aggs[i].count;
    }
  }
  auto t = Evaluate(c, alarm.state.value, periods, now);
  if (t) TransitionLocked(scope, alarm, *t, now, out);
}

bool CloudWatch::SuppressLocked(const Scope& scope, Alarm& alarm, const std::string& next,
                                Millis now) {
  AlarmState& s = alarm.state;
  const AlarmConfig& c = alarm.config;
  if (!c.composite || c.actions_suppressor.empty()) {
    s.actions_suppressed_by.clear();
    s.actions_suppressed_reason.clear();
    s.suppressed_until = 0;
    s.actions_held = false;
    return false;
  }
  const auto& alarms = alarms_[scope];
  auto it = alarms.find(c.actions_suppressor);
  if (it != alarms.end() && it->second.state.value == kStateAlarm) {
    s.actions_suppressed_by = "Alarm";
    s.actions_suppressed_reason = fmt::format("Alarm {} is in ALARM state", c.actions_suppressor);
    s.suppressed_until = 0;
  } else if (s.suppressed_until > now) {
    // A WaitPeriod or ExtensionPeriod in progress holds every transition's actions.
  } else if (next == kStateAlarm && c.suppressor_wait_period > 0) {
    s.actions_suppressed_by = "WaitPeriod";
    s.actions_suppressed_reason = "Actions suppressed by WaitPeriod";
    s.suppressed_until = now + c.suppressor_wait_period * 1000;
    next_release_ = std::min(next_release_, s.suppressed_until);
  } else {
    s.actions_suppressed_by.clear();
    s.actions_suppressed_reason.clear();
    s.suppressed_until = 0;
    s.actions_held = false;
    return false;
  }
  s.actions_held = true;
  return true;
}

void CloudWatch::QueueActionsLocked(const Scope& scope, const Alarm& alarm,
                                    std::string_view old_state, std::vector<Notification>& out) {
  if (!alarm.config.actions_enabled) return;
  const std::string& state = alarm.state.value;
  const std::vector<std::string>& actions = state == kStateAlarm ? alarm.config.alarm_actions
                                            : state == kStateOk
                                                ? alarm.config.ok_actions
                                                : alarm.config.insufficient_data_actions;
  for (const std::string& arn : actions) {
    out.push_back({scope.account, arn, NotificationSubject(alarm, scope.region),
                   NotificationMessage(alarm, old_state, scope.account, scope.region),
                   alarm.config.name, scope});
  }
}

void CloudWatch::SuppressorChangedLocked(const Scope& scope, const Alarm& suppressor,
                                         std::string_view old_state, Millis now,
                                         std::vector<Notification>& out) {
  const bool entered = suppressor.state.value == kStateAlarm;
  const bool left = old_state == kStateAlarm && !entered;
  if (!entered && !left) return;
  for (auto& [name, composite] : alarms_[scope]) {
    AlarmState& s = composite.state;
    if (!composite.config.composite ||
        composite.config.actions_suppressor != suppressor.config.name)
      continue;
    if (entered) {
      // Whatever the composite was waiting for, its actions stay held while the suppressor is
      // in ALARM.
      if (!s.actions_held && s.suppressed_until == 0) continue;
      s.actions_suppressed_by = "Alarm";
      s.actions_suppressed_reason =
          fmt::format("Alarm {} is in ALARM state", composite.config.actions_suppressor);
      s.suppressed_until = 0;
    } else if (composite.config.suppressor_extension_period > 0) {
      s.actions_suppressed_by = "ExtensionPeriod";
      s.actions_suppressed_reason = "Actions suppressed by ExtensionPeriod";
      s.suppressed_until = now + composite.config.suppressor_extension_period * 1000;
      next_release_ = std::min(next_release_, s.suppressed_until);
    } else {
      ReleaseLocked(scope, composite, now, out);
      continue;
    }
    (void)StoreAlarm(scope, composite);
  }
}

void CloudWatch::ReleaseLocked(const Scope& scope, Alarm& alarm, Millis now,
                               std::vector<Notification>& out) {
  AlarmState& s = alarm.state;
  const AlarmState old = s;  // the previous state of the event, with its suppression
  const bool held = s.actions_held;
  s.actions_suppressed_by.clear();
  s.actions_suppressed_reason.clear();
  s.suppressed_until = 0;
  s.actions_held = false;
  if (!held) {
    (void)StoreAlarm(scope, alarm);
    return;
  }
  // As AWS does when a period ends: a state update (same value, new timestamp) whose actions are
  // those of the current state.
  s.updated_ms = now;
  (void)StoreAlarm(scope, alarm);
  AddHistory(scope, {alarm.config.name, "StateUpdate",
                     fmt::format("Alarm updated from {} to {}", old.value, s.value),
                     StateHistoryData(alarm, old.value, old), now, ""});
  out.push_back(
      {scope.account, "", "", AlarmStateChangeDetail(alarm, old), alarm.config.name, scope});
  QueueActionsLocked(scope, alarm, old.value, out);
}

void CloudWatch::ReleaseSuppressions() {
  const Millis now = clock_.NowMs();
  std::vector<Notification> notifications;
  {
    std::lock_guard lock(mu_);
    // next_release_ is at or before the earliest end of a period: nothing to scan before it.
    if (next_release_ > now) return;
    if (resources_ != nullptr && resources_->Shared() &&
        !engine::HoldLease(*resources_, "monitoring.alarms", node_, std::chrono::seconds(150))) {
      return;  // the lease's holder releases them
    }
    next_release_ = kNever;
    for (auto& [scope, alarms] : alarms_) {
      for (auto& [name, alarm] : alarms) {
        if (alarm.state.suppressed_until > 0 && alarm.state.suppressed_until <= now) {
          ReleaseLocked(scope, alarm, now, notifications);
        }
      }
    }
    for (const auto& [scope, alarms] : alarms_) {
      for (const auto& [name, alarm] : alarms) {
        if (alarm.state.suppressed_until > 0) {
          next_release_ = std::min(next_release_, alarm.state.suppressed_until);
        }
      }
    }
  }
  Deliver(std::move(notifications));
}

void CloudWatch::TransitionLocked(const Scope& scope, Alarm& alarm, const Transition& t, Millis now,
                                  std::vector<Notification>& out) {
  const AlarmState old = alarm.state;
  const bool suppressed = SuppressLocked(scope, alarm, t.state, now);
  alarm.state.value = t.state;
  alarm.state.reason = t.reason;
  alarm.state.reason_data = t.reason_data;
  alarm.state.updated_ms = now;
  alarm.state.transitioned_ms = now;
  (void)StoreAlarm(scope, alarm);
  AddHistory(scope, {alarm.config.name, "StateUpdate",
                     fmt::format("Alarm updated from {} to {}", old.value, t.state),
                     StateHistoryData(alarm, old.value, old), now, ""});
  // The state change event (no action: an empty arn), whether actions are enabled or not.
  out.push_back(
      {scope.account, "", "", AlarmStateChangeDetail(alarm, old), alarm.config.name, scope});
  // The composite alarms over this one (bounded: rules may form cycles, as on AWS), and those it
  // suppresses.
  if (propagation_depth_ < kMaxPropagation) {
    ++propagation_depth_;
    const std::string name = alarm.config.name;
    SuppressorChangedLocked(scope, alarm, old.value, now, out);
    for (const std::string& parent : ParentsOfLocked(scope, name)) {
      auto& alarms = alarms_[scope];
      auto it = alarms.find(parent);
      if (it != alarms.end()) EvaluateCompositeLocked(scope, it->second, now, name, out);
    }
    --propagation_depth_;
  }
  if (suppressed) return;
  QueueActionsLocked(scope, alarm, old.value, out);
}

std::vector<std::string> CloudWatch::ParentsOfLocked(const Scope& scope,
                                                     const std::string& name) const {
  std::vector<std::string> out;
  auto s = alarms_.find(scope);
  if (s == alarms_.end()) return out;
  for (const auto& [parent, alarm] : s->second) {
    if (!alarm.config.composite) continue;
    auto rule = ParseAlarmRule(alarm.config.alarm_rule);
    if (!rule.ok()) continue;
    std::set<std::string> names;
    RuleAlarms(**rule, names);
    if (names.contains(name)) out.push_back(parent);
  }
  return out;
}

std::vector<std::string> CloudWatch::ParentsOf(const Scope& scope, const std::string& name) const {
  const_cast<CloudWatch*>(this)->SyncFromStore();
  std::lock_guard lock(mu_);
  return ParentsOfLocked(scope, name);
}

void CloudWatch::EvaluateCompositeLocked(const Scope& scope, Alarm& alarm, Millis now,
                                         const std::string& trigger,
                                         std::vector<Notification>& out) {
  auto rule = ParseAlarmRule(alarm.config.alarm_rule);
  if (!rule.ok()) return;
  const auto& alarms = alarms_[scope];
  auto state_of = [&](const std::string& name) -> std::string {
    auto it = alarms.find(name);
    return it == alarms.end() ? "" : it->second.state.value;
  };
  const std::string next = EvaluateRule(**rule, state_of) ? kStateAlarm : kStateOk;
  if (next == alarm.state.value) return;
  // The child named in the reason: the one that changed, else the first of the rule.
  std::string child = trigger;
  if (child.empty()) {
    std::set<std::string> names;
    RuleAlarms(**rule, names);
    if (!names.empty()) child = *names.begin();
  }
  Transition t;
  t.state = next;
  auto it = alarms.find(child);
  if (it != alarms.end()) {
    const std::string arn = AlarmArn(scope.region, scope.account, child);
    const Millis when = it->second.state.transitioned_ms;
    t.reason =
        fmt::format("{} transitioned to {} at {}", arn, it->second.state.value, LongTime(when));
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("triggeringAlarms");
    w.StartArray();
    w.StartObject();
    w.Key("arn");
    w.String(arn.c_str(), static_cast<rapidjson::SizeType>(arn.size()));
    w.Key("state");
    w.StartObject();
    w.Key("value");
    w.String(it->second.state.value.c_str(),
             static_cast<rapidjson::SizeType>(it->second.state.value.size()));
    w.Key("timestamp");
    const std::string ts = AlarmTime(when);
    w.String(ts.c_str(), static_cast<rapidjson::SizeType>(ts.size()));
    w.EndObject();
    w.EndObject();
    w.EndArray();
    w.EndObject();
    t.reason_data = buf.GetString();
  } else {
    t.reason =
        fmt::format("The alarm rule evaluated to {}", next == kStateAlarm ? "TRUE" : "FALSE");
  }
  TransitionLocked(scope, alarm, t, now, out);
}

void CloudWatch::Deliver(std::vector<Notification> notifications) {
  if (notifications.empty()) return;
  AlarmNotifier* notifier = nullptr;
  AlarmEventSink* sink = nullptr;
  {
    std::lock_guard lock(mu_);
    notifier = notifier_;
    sink = event_sink_;
  }
  std::vector<std::pair<Notification, Status>> results;
  for (Notification& n : notifications) {
    if (n.arn.empty()) {  // a state change event
      if (sink == nullptr) continue;
      Status st = sink->AlarmStateChanged(n.account, n.scope.region,
                                          AlarmArn(n.scope.region, n.account, n.alarm), n.message);
      if (!st.ok()) NoteIgnoredError("alarm state change event", st);
      continue;
    }
    Status st = Status::Ok();
    if (!n.arn.starts_with("arn:aws:sns:")) {
      st = Status(ErrorCode::kInvalidParameterValue,
                  "only SNS topic actions are supported by this server");
    } else if (notifier == nullptr) {
      st = Status(ErrorCode::kServiceUnavailable, "SNS is not available in this server");
    } else {
      st = notifier->Publish(n.account, n.arn, n.subject, n.message);
    }
    results.emplace_back(std::move(n), std::move(st));
  }
  const Millis now = clock_.NowMs();
  std::lock_guard lock(mu_);
  for (auto& [n, st] : results) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("actionState");
    w.String(st.ok() ? "Succeeded" : "Failed");
    w.Key("notificationResource");
    w.String(n.arn.c_str(), static_cast<rapidjson::SizeType>(n.arn.size()));
    if (!st.ok()) {
      w.Key("error");
      w.String(st.message().c_str(), static_cast<rapidjson::SizeType>(st.message().size()));
    }
    w.EndObject();
    AddHistory(n.scope, {n.alarm, "Action",
                         st.ok() ? fmt::format("Successfully executed action {}", n.arn)
                                 : fmt::format("Failed to execute action {}", n.arn),
                         buf.GetString(), now, ""});
  }
}

Status CloudWatch::PutAlarm(const Scope& scope, AlarmConfig config) {
  SyncFromStore();
  CatchUp();
  const Millis now = clock_.NowMs();
  std::vector<Notification> notifications;
  {
    std::lock_guard lock(mu_);
    auto& alarms = alarms_[scope];
    if (config.composite) {
      auto rule = ParseAlarmRule(config.alarm_rule);
      if (!rule.ok()) return rule.status();
      std::set<std::string> names;
      RuleAlarms(**rule, names);
      if (names.contains(config.name)) {
        return Status(
            ErrorCode::kValidationError,
            fmt::format("The alarm rule of {} cannot refer to the alarm itself.", config.name));
      }
      std::vector<std::string> missing;
      for (const std::string& n : names) {
        if (!alarms.contains(n)) missing.push_back(n);
      }
      if (!missing.empty()) {
        return Status(ErrorCode::kValidationError,
                      fmt::format("Could not save the composite alarm as alarms [{}] in the alarm "
                                  "rule do not exist",
                                  fmt::join(missing, ", ")));
      }
    }
    auto it = alarms.find(config.name);
    const bool created = it == alarms.end();
    Alarm alarm;
    if (!created) alarm.state = it->second.state;
    // As on AWS, the tags of an existing alarm change only through TagResource/UntagResource.
    if (!created) config.tags = it->second.config.tags;
    alarm.config = std::move(config);
    alarm.state.config_updated_ms = now;
    if (created) {
      alarm.state.updated_ms = now;
      alarm.state.transitioned_ms = now;
    }
    if (Status st = StoreAlarm(scope, alarm); !st.ok()) return st;
    const std::string name = alarm.config.name;
    Alarm& stored = alarms[name] = std::move(alarm);
    AddHistory(scope, {name, "ConfigurationUpdate",
                       fmt::format("Alarm \"{}\" {}", name, created ? "created" : "updated"),
                       EncodeAlarm(stored), now, ""});
    EvaluateLocked(scope, stored, now, notifications);
  }
  Deliver(std::move(notifications));
  return Status::Ok();
}

std::optional<CloudWatch::Tags> CloudWatch::AlarmTags(const Scope& scope,
                                                      const std::string& name) const {
  const_cast<CloudWatch*>(this)->SyncFromStore();
  std::lock_guard lock(mu_);
  auto s = alarms_.find(scope);
  if (s == alarms_.end()) return std::nullopt;
  auto it = s->second.find(name);
  if (it == s->second.end()) return std::nullopt;
  return it->second.config.tags;
}

Result<bool> CloudWatch::UpdateAlarmTags(const Scope& scope, const std::string& name,
                                         const std::function<Status(Tags&)>& edit) {
  SyncFromStore();
  std::lock_guard lock(mu_);
  auto s = alarms_.find(scope);
  if (s == alarms_.end()) return false;
  auto it = s->second.find(name);
  if (it == s->second.end()) return false;
  Alarm next = it->second;
  if (Status st = edit(next.config.tags); !st.ok()) return st;
  if (Status st = StoreAlarm(scope, next); !st.ok()) return st;
  it->second = std::move(next);
  return true;
}

std::vector<Alarm> CloudWatch::Alarms(const Scope& scope) const {
  const_cast<CloudWatch*>(this)->SyncFromStore();
  std::lock_guard lock(mu_);
  std::vector<Alarm> out;
  auto it = alarms_.find(scope);
  if (it == alarms_.end()) return out;
  for (const auto& [name, alarm] : it->second) out.push_back(alarm);
  return out;
}

Result<std::vector<std::string>> CloudWatch::DeleteAlarms(const Scope& scope,
                                                          const std::vector<std::string>& names) {
  SyncFromStore();
  std::lock_guard lock(mu_);
  std::vector<std::string> missing;
  auto& alarms = alarms_[scope];
  const std::set<std::string> deleting(names.begin(), names.end());
  for (const std::string& name : names) {
    for (const std::string& parent : ParentsOfLocked(scope, name)) {
      if (deleting.contains(parent)) continue;
      return Status(ErrorCode::kValidationError,
                    fmt::format("The alarm {} cannot be deleted: it is used in the alarm rule of "
                                "the composite alarm {}.",
                                name, parent));
    }
  }
  for (const std::string& name : names) {
    auto it = alarms.find(name);
    if (it == alarms.end()) {
      missing.push_back(name);
      continue;
    }
    if (resources_ != nullptr) {
      Status st = resources_->Delete(kAlarmKind, ResourceScopeOf(scope), name, engine::kAnyVersion);
      if (!st.ok() && st.code() != engine::ResourceError::kNotFound) return st;
    }
    alarms.erase(it);
  }
  return missing;
}

Result<bool> CloudWatch::SetAlarmState(const Scope& scope, const std::string& name,
                                       const std::string& state, const std::string& reason,
                                       const std::string& reason_data) {
  SyncFromStore();
  std::vector<Notification> notifications;
  {
    std::lock_guard lock(mu_);
    auto& alarms = alarms_[scope];
    auto it = alarms.find(name);
    if (it == alarms.end()) return false;
    if (it->second.state.value != state) {
      TransitionLocked(scope, it->second, Transition{state, reason, reason_data}, clock_.NowMs(),
                       notifications);
    }
  }
  Deliver(std::move(notifications));
  return true;
}

Status CloudWatch::SetActionsEnabled(const Scope& scope, const std::vector<std::string>& names,
                                     bool enabled) {
  SyncFromStore();
  std::lock_guard lock(mu_);
  auto& alarms = alarms_[scope];
  for (const std::string& name : names) {
    auto it = alarms.find(name);
    if (it == alarms.end() || it->second.config.actions_enabled == enabled) continue;
    it->second.config.actions_enabled = enabled;
    it->second.state.config_updated_ms = clock_.NowMs();
    if (Status st = StoreAlarm(scope, it->second); !st.ok()) return st;
    AddHistory(scope, {name, "ConfigurationUpdate", fmt::format("Alarm \"{}\" updated", name),
                       EncodeAlarm(it->second), clock_.NowMs(), ""});
  }
  return Status::Ok();
}

std::vector<HistoryItem> CloudWatch::History(const Scope& scope) const {
  const_cast<CloudWatch*>(this)->SyncFromStore();
  std::lock_guard lock(mu_);
  auto it = history_.find(scope);
  if (it == history_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

}  // namespace sluice::monitoring
