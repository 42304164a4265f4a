// The errors of the SSM Parameter Store API (models/ssm.json; texts in docs/ssm.md). All are HTTP
// 400 but InternalServerError; the JSON __type is the bare shape name.
#pragma once

#include "common/status.h"
#include "protocol/service.h"

namespace sluice::ssm {

struct SsmError {
  static constexpr ErrorType kHierarchyLevelLimitExceeded{"HierarchyLevelLimitExceededException"};
  static constexpr ErrorType kIncompatiblePolicy{"IncompatiblePolicyException"};
  static constexpr ErrorType kInvalidAllowedPattern{"InvalidAllowedPatternException"};
  static constexpr ErrorType kInvalidFilterKey{"InvalidFilterKey"};
  static constexpr ErrorType kInvalidFilterOption{"InvalidFilterOption"};
  static constexpr ErrorType kInvalidFilterValue{"InvalidFilterValue"};
  static constexpr ErrorType kInvalidKeyId{"InvalidKeyId"};
  static constexpr ErrorType kInvalidNextToken{"InvalidNextToken"};
  static constexpr ErrorType kInvalidPolicyAttribute{"InvalidPolicyAttributeException"};
  static constexpr ErrorType kInvalidPolicyType{"InvalidPolicyTypeException"};
  static constexpr ErrorType kInvalidResourceId{"InvalidResourceId"};
  static constexpr ErrorType kInvalidResourceType{"InvalidResourceType"};
  static constexpr ErrorType kParameterAlreadyExists{"ParameterAlreadyExists"};
  static constexpr ErrorType kParameterLimitExceeded{"ParameterLimitExceeded"};
  static constexpr ErrorType kParameterMaxVersionLimitExceeded{"ParameterMaxVersionLimitExceeded"};
  static constexpr ErrorType kParameterNotFound{"ParameterNotFound"};
  static constexpr ErrorType kParameterPatternMismatch{"ParameterPatternMismatchException"};
  static constexpr ErrorType kParameterVersionLabelLimitExceeded{
      "ParameterVersionLabelLimitExceeded"};
  static constexpr ErrorType kParameterVersionNotFound{"ParameterVersionNotFound"};
  static constexpr ErrorType kPoliciesLimitExceeded{"PoliciesLimitExceededException"};
  static constexpr ErrorType kTooManyTags{"TooManyTagsError"};
  static constexpr ErrorType kTooManyUpdates{"TooManyUpdates"};
  static constexpr ErrorType kUnsupportedParameterType{"UnsupportedParameterType"};
};

// SSM's errors and its overrides of the common codes: AccessDeniedException is HTTP 400 in SSM
// (reserved names, IAM refusals), internal faults are InternalServerError.
const protocol::ErrorTable& SsmErrorTable();

}  // namespace sluice::ssm
