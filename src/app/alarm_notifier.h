// Alarm actions through SNS: CloudWatch's AlarmNotifier published with the SNS service's own
// Publish handler, as the alarm's account (its root, like AWS's service acting for the owner),
// so the topic's rules, filter policies, encryption and deliveries all apply unchanged.
//
// Thread-safety: Publish may be called concurrently; it waits for the publish to be answered.
#pragma once

#include <chrono>
#include <string_view>

#include "protocol/service.h"
#include "services/monitoring/cloudwatch.h"

namespace sluice::app {

class SnsAlarmNotifier final : public monitoring::AlarmNotifier {
 public:
  // `publish`: the SNS service's "Publish" handler; `authenticated`: auth "sigv4" is on (the
  // publish then acts as the account's root).
  SnsAlarmNotifier(protocol::Handler publish, bool authenticated,
                   std::chrono::milliseconds timeout = std::chrono::seconds(10));
  Status Publish(std::string_view account, std::string_view topic_arn, std::string_view subject,
                 std::string_view message) override;

 private:
  protocol::Handler publish_;
  bool authenticated_;
  std::chrono::milliseconds timeout_;
};

}  // namespace sluice::app
