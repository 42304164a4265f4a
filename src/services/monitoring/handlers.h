// Internal to the CloudWatch service: shared state and helpers of the handlers.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/request_context.h"
#include "common/status.h"
#include "protocol/service.h"
#include "protocol/value.h"
#include "services/monitoring/cloudwatch.h"
#include "services/monitoring/metric_query.h"
#include "services/platform/platform.h"

namespace sluice::monitoring {

using protocol::Reply;
using protocol::Value;

struct Cw {
  services::Platform platform;
  CloudWatch& cw;
};

Scope ScopeOf(const RequestContext& ctx);
Status Authorize(const Cw& cw, const RequestContext& ctx, std::string_view action);
Status InvalidValue(std::string message);
Status InvalidCombination(std::string message);
Status Missing(std::string message);
// A number member (double or integer), nullopt when absent.
std::optional<double> NumberOf(const Value* v);
std::string StringOf(const Value& input, std::string_view name);
std::vector<std::string> StringsOf(const Value* list);
// Dimensions [{Name, Value}] sorted by name. Duplicate names: InvalidParameterValue.
Result<Dimensions> DimensionsOf(const Value* list, std::string_view param);
Value DimensionsValue(const Dimensions& dims);
std::string PageToken(std::string_view position);
Result<std::string> TokenPosition(const Value& input);

// metric_actions.cc
// Period 1, 5, 10, 30 or a multiple of 60.
bool ValidPeriod(std::int64_t period);
// MetricDataQueries (GetMetricData) or Metrics (PutMetricAlarm), `param` naming them in errors;
// validated (ValidateQueries).
Result<std::vector<MetricQuery>> QueriesOf(const Value& list, std::string_view param);
void PutMetricData(const Cw&, const RequestContext&, Value&&, Reply);
void GetMetricStatistics(const Cw&, const RequestContext&, Value&&, Reply);
void GetMetricData(const Cw&, const RequestContext&, Value&&, Reply);
void ListMetrics(const Cw&, const RequestContext&, Value&&, Reply);
// alarm_actions.cc
void PutMetricAlarm(const Cw&, const RequestContext&, Value&&, Reply);
void PutCompositeAlarm(const Cw&, const RequestContext&, Value&&, Reply);
void DescribeAlarms(const Cw&, const RequestContext&, Value&&, Reply);
void DescribeAlarmsForMetric(const Cw&, const RequestContext&, Value&&, Reply);
void DeleteAlarms(const Cw&, const RequestContext&, Value&&, Reply);
void SetAlarmState(const Cw&, const RequestContext&, Value&&, Reply);
void EnableAlarmActions(const Cw&, const RequestContext&, Value&&, Reply);
void DisableAlarmActions(const Cw&, const RequestContext&, Value&&, Reply);
void DescribeAlarmHistory(const Cw&, const RequestContext&, Value&&, Reply);
// resource_actions.cc: tags (alarms) and dashboards
void TagResource(const Cw&, const RequestContext&, Value&&, Reply);
void UntagResource(const Cw&, const RequestContext&, Value&&, Reply);
void ListTagsForResource(const Cw&, const RequestContext&, Value&&, Reply);
void PutDashboard(const Cw&, const RequestContext&, Value&&, Reply);
void GetDashboard(const Cw&, const RequestContext&, Value&&, Reply);
void ListDashboards(const Cw&, const RequestContext&, Value&&, Reply);
void DeleteDashboards(const Cw&, const RequestContext&, Value&&, Reply);

}  // namespace sluice::monitoring
