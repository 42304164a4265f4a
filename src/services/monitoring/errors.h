// The errors of the CloudWatch API (models/monitoring.json): Query codes as AWS answers them, the
// JSON __type (awsQueryCompatible) as the model's shape names.
#pragma once

#include "common/status.h"
#include "protocol/service.h"

namespace sluice::monitoring {

struct CwError {
  static constexpr ErrorType kResourceNotFound{"ResourceNotFound", 404, true, "ResourceNotFound"};
  static constexpr ErrorType kInvalidNextToken{"InvalidNextToken"};
  static constexpr ErrorType kInvalidFormat{"InvalidFormat", 400, true, "InvalidFormatFault"};
  static constexpr ErrorType kLimitExceeded{"LimitExceeded", 400, true, "LimitExceededFault"};
  // TagResource, UntagResource, ListTagsForResource on a resource that does not exist.
  static constexpr ErrorType kResourceNotFoundException{"ResourceNotFoundException", 404, true};
  // Dashboards: an invalid body (PutDashboard), a dashboard that does not exist.
  static constexpr ErrorType kDashboardInvalidInput{"InvalidParameterInput", 400, true,
                                                    "DashboardInvalidInputError"};
  static constexpr ErrorType kDashboardNotFound{"ResourceNotFound", 404, true,
                                                "DashboardNotFoundError"};
};

// CloudWatch's errors and its overrides of the common codes (InvalidParameterValue,
// MissingParameter, InvalidParameterCombination with their JSON shape names; InternalServiceError;
// ValidationError, JSON shape ValidationException as newer models of CloudWatch declare it (the
// repo's model predates it), for metric math and composite alarms: an expression or rule that
// does not parse, an unknown id, a cycle).
const protocol::ErrorTable& CloudWatchErrorTable();

}  // namespace sluice::monitoring
