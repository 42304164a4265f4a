// PutParameter's Policies (Advanced tier): a JSON array of Expiration, ExpirationNotification and
// NoChangeNotification policies. Sluice checks and stores them and reports them in
// DescribeParameters and GetParameterHistory; it does not act on them (docs/ssm.md).
#pragma once

#include <string_view>

#include "common/status.h"
#include "protocol/value.h"

namespace sluice::ssm {

// Ok, or InvalidPolicyTypeException / InvalidPolicyAttributeException /
// PoliciesLimitExceededException.
Status CheckPolicies(std::string_view json);

// The ParameterInlinePolicy list of stored policies (empty list for none).
protocol::Value PolicyList(std::string_view json);

}  // namespace sluice::ssm
