#include "services/sns/errors.h"

#include <string>

namespace sluice::sns {
namespace {

constexpr const ErrorType* kDeclared[] = {
    &SnsError::kAuthorizationError,
    &SnsError::kInvalidParameter,
    &SnsError::kParameterValueInvalid,
    &SnsError::kNotFound,
    &SnsError::kResourceNotFound,
    &SnsError::kInternalError,
    &SnsError::kThrottled,
    &SnsError::kTopicLimitExceeded,
    &SnsError::kSubscriptionLimitExceeded,
    &SnsError::kFilterPolicyLimitExceeded,
    &SnsError::kBatchEntryIdsNotDistinct,
    &SnsError::kBatchRequestTooLong,
    &SnsError::kEmptyBatchRequest,
    &SnsError::kInvalidBatchEntryId,
    &SnsError::kTooManyEntriesInBatchRequest,
    &SnsError::kKmsDisabled,
    &SnsError::kKmsInvalidState,
    &SnsError::kKmsNotFound,
    &SnsError::kKmsAccessDenied,
    &SnsError::kKmsThrottling,
    &SnsError::kKmsOptInRequired,
    &SnsError::kEndpointDisabled,
    &SnsError::kPlatformApplicationDisabled,
    &SnsError::kInvalidState,
    &SnsError::kConcurrentAccess,
    &SnsError::kTagLimitExceeded,
    &SnsError::kTagPolicy,
    &SnsError::kStaleTag,
    &SnsError::kOptedOut,
    &SnsError::kUserError,
    &SnsError::kVerification,
    &SnsError::kInvalidSecurity,
};

constexpr protocol::ErrorOverride kOverrides[] = {
    {ErrorCode::kAccessDenied, SnsError::kAuthorizationError},
    {ErrorCode::kInternalError, SnsError::kInternalError},
    {ErrorCode::kRequestThrottled, SnsError::kThrottled},
    {ErrorCode::kInvalidParameterValue, SnsError::kInvalidParameter},
};

}  // namespace

const protocol::ErrorTable& SnsErrorTable() {
  static const protocol::ErrorTable kTable{kDeclared, kOverrides, ""};
  return kTable;
}

Status InvalidParameter(std::string_view what) {
  std::string message = "Invalid parameter: ";
  message += what;
  return Status(SnsError::kInvalidParameter, std::move(message));
}

}  // namespace sluice::sns
