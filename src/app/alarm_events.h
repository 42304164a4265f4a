// Alarm state changes on EventBridge: CloudWatch's AlarmEventSink implemented with the events
// router, so a state change is an event ("source": "aws.cloudwatch", "detail-type": "CloudWatch
// Alarm State Change") on the default bus of the alarm's account and region, matched by its rules
// and delivered durably like a PutEvents entry.
//
// Thread-safety: AlarmStateChanged may be called concurrently; it waits until the event is durable.
#pragma once

#include <chrono>
#include <string_view>

#include "services/events/router.h"
#include "services/monitoring/alarm_events.h"

namespace sluice::app {

class EventsAlarmSink final : public monitoring::AlarmEventSink {
 public:
  EventsAlarmSink(events::Router& router, const Clock& clock,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10));
  Status AlarmStateChanged(std::string_view account, std::string_view region,
                           std::string_view resource, std::string_view detail_json) override;

 private:
  events::Router& router_;
  const Clock& clock_;
  std::chrono::milliseconds timeout_;
};

}  // namespace sluice::app
