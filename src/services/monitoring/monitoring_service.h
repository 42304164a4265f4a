// The CloudWatch service (monitoring, API 2010-08-01) over AWS Query and AWS JSON 1.0
// (awsQueryCompatible): metrics (PutMetricData, GetMetricStatistics, GetMetricData, ListMetrics)
// metric alarms (single metric and metric math) and composite alarms, over a
// monitoring::CloudWatch. Behaviour and differences: docs/cloudwatch.md.
//
// Thread-safety: the handlers keep no state; `cloudwatch` and the platform must outlive them.
#pragma once

#include "protocol/service.h"
#include "services/monitoring/cloudwatch.h"
#include "services/platform/platform.h"

namespace sluice::monitoring {

protocol::ServiceDefinition MakeMonitoringService(const services::Platform& platform,
                                                  CloudWatch& cloudwatch);

}  // namespace sluice::monitoring
