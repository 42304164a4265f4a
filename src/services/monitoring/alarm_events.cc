#include "services/monitoring/alarm_events.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace sluice::monitoring {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void Str(Writer& w, const char* key, std::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void State(Writer& w, const char* key, const AlarmState& s) {
  w.Key(key);
  w.StartObject();
  Str(w, "value", s.value);
  Str(w, "reason", s.reason);
  if (!s.reason_data.empty()) Str(w, "reasonData", s.reason_data);
  Str(w, "timestamp", AlarmTime(s.updated_ms));  // 2019-10-02T17:20:48.551+0000
  if (!s.actions_suppressed_by.empty()) {
    Str(w, "actionsSuppressedBy", s.actions_suppressed_by);
    Str(w, "actionsSuppressedReason", s.actions_suppressed_reason);
  }
  w.EndObject();
}

}  // namespace

std::string AlarmStateChangeDetail(const Alarm& alarm, const AlarmState& previous) {
  const AlarmConfig& c = alarm.config;
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  Str(w, "alarmName", c.name);
  State(w, "state", alarm.state);
  State(w, "previousState", previous);
  w.Key("configuration");
  w.StartObject();
  if (!c.description.empty()) Str(w, "description", c.description);
  if (c.composite) {  // as AWS writes a composite alarm's configuration
    Str(w, "alarmRule", c.alarm_rule);
    if (!c.actions_suppressor.empty()) {
      Str(w, "actionsSuppressor", c.actions_suppressor);
      w.Key("actionsSuppressorWaitPeriod");
      w.Int64(c.suppressor_wait_period);
      w.Key("actionsSuppressorExtensionPeriod");
      w.Int64(c.suppressor_extension_period);
    }
    w.EndObject();
    w.EndObject();
    return std::string(buf.GetString(), buf.GetSize());
  }
  w.Key("metrics");
  w.StartArray();
  w.StartObject();
  Str(w, "id", "m1");
  w.Key("metricStat");
  w.StartObject();
  w.Key("metric");
  w.StartObject();
  Str(w, "namespace", c.metric.ns);
  Str(w, "name", c.metric.name);
  w.Key("dimensions");
  w.StartObject();
  for (const auto& [k, v] : c.metric.dims) Str(w, k.c_str(), v);
  w.EndObject();
  w.EndObject();
  w.Key("period");
  w.Int64(c.period);
  Str(w, "stat", c.statistic.empty() ? c.extended_statistic : c.statistic);
  if (!c.unit.empty()) Str(w, "unit", c.unit);
  w.EndObject();
  w.Key("returnData");
  w.Bool(true);
  w.EndObject();
  w.EndArray();
  w.EndObject();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace sluice::monitoring
