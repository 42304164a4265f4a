// Alarm state changes as events: what EventBridge puts on the account's default bus when an alarm
// changes state ("source": "aws.cloudwatch", "detail-type": "CloudWatch Alarm State Change"). The
// monitoring service owns the interface and the detail's shape; the app implements the sink with
// EventBridge's router (app/alarm_events.h), so neither service includes the other.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "services/monitoring/alarm.h"

namespace sluice::monitoring {

class AlarmEventSink {
 public:
  virtual ~AlarmEventSink() = default;
  // Puts the event on the default bus of `account` in `region`: `resource` is the alarm's ARN,
  // `detail_json` the event's detail (AlarmStateChangeDetail). Called without CloudWatch's locks.
  virtual Status AlarmStateChanged(std::string_view account, std::string_view region,
                                   std::string_view resource, std::string_view detail_json) = 0;
};

// AWS's detail: {"alarmName", "state": {"value", "reason", "reasonData", "timestamp"},
// "previousState": {...}, "configuration": {"description", "metrics": [{"id", "metricStat":
// {"metric": {"namespace", "name", "dimensions"}, "period", "stat"}, "returnData"}]}}.
std::string AlarmStateChangeDetail(const Alarm& alarm, const AlarmState& previous);

}  // namespace sluice::monitoring
