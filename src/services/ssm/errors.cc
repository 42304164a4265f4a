#include "services/ssm/errors.h"

namespace sluice::ssm {
namespace {

constexpr const ErrorType* kDeclared[] = {
    &SsmError::kHierarchyLevelLimitExceeded,
    &SsmError::kIncompatiblePolicy,
    &SsmError::kInvalidAllowedPattern,
    &SsmError::kInvalidFilterKey,
    &SsmError::kInvalidFilterOption,
    &SsmError::kInvalidFilterValue,
    &SsmError::kInvalidKeyId,
    &SsmError::kInvalidNextToken,
    &SsmError::kInvalidPolicyAttribute,
    &SsmError::kInvalidPolicyType,
    &SsmError::kInvalidResourceId,
    &SsmError::kInvalidResourceType,
    &SsmError::kParameterAlreadyExists,
    &SsmError::kParameterLimitExceeded,
    &SsmError::kParameterMaxVersionLimitExceeded,
    &SsmError::kParameterNotFound,
    &SsmError::kParameterPatternMismatch,
    &SsmError::kParameterVersionLabelLimitExceeded,
    &SsmError::kParameterVersionNotFound,
    &SsmError::kPoliciesLimitExceeded,
    &SsmError::kTooManyTags,
    &SsmError::kTooManyUpdates,
    &SsmError::kUnsupportedParameterType,
};

constexpr protocol::ErrorOverride kOverrides[] = {
    {ErrorCode::kAccessDenied, {"AccessDeniedException", 400}},
    {ErrorCode::kInternalError, {"InternalServerError", 500, false}},
};

}  // namespace

const protocol::ErrorTable& SsmErrorTable() {
  static const protocol::ErrorTable kTable{kDeclared, kOverrides, ""};
  return kTable;
}

}  // namespace sluice::ssm
