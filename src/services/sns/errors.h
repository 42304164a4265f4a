// The errors of the SNS API (models/sns.json). SNS is awsQuery only: the Query <Code> and the
// HTTP status are what clients see. Texts are AWS's where recorded (shared/aws/sns-semantics.md),
// collected in docs/sns.md.
#pragma once

#include "common/status.h"
#include "protocol/service.h"

namespace sluice::sns {

struct SnsError {
  static constexpr ErrorType kAuthorizationError{"AuthorizationError", 403, true,
                                                 "AuthorizationErrorException"};
  static constexpr ErrorType kInvalidParameter{"InvalidParameter", 400, true,
                                               "InvalidParameterException"};
  // The InvalidParameterValueException shape: message attribute values.
  static constexpr ErrorType kParameterValueInvalid{"ParameterValueInvalid", 400, true,
                                                    "InvalidParameterValueException"};
  static constexpr ErrorType kNotFound{"NotFound", 404, true, "NotFoundException"};
  static constexpr ErrorType kResourceNotFound{"ResourceNotFound", 404, true,
                                               "ResourceNotFoundException"};
  static constexpr ErrorType kInternalError{"InternalError", 500, false, "InternalErrorException"};
  static constexpr ErrorType kThrottled{"Throttled", 429, true, "ThrottledException"};
  static constexpr ErrorType kTopicLimitExceeded{"TopicLimitExceeded", 403, true,
                                                 "TopicLimitExceededException"};
  static constexpr ErrorType kSubscriptionLimitExceeded{"SubscriptionLimitExceeded", 403, true,
                                                        "SubscriptionLimitExceededException"};
  static constexpr ErrorType kFilterPolicyLimitExceeded{"FilterPolicyLimitExceeded", 403, true,
                                                        "FilterPolicyLimitExceededException"};
  static constexpr ErrorType kBatchEntryIdsNotDistinct{"BatchEntryIdsNotDistinct", 400, true,
                                                       "BatchEntryIdsNotDistinctException"};
  static constexpr ErrorType kBatchRequestTooLong{"BatchRequestTooLong", 400, true,
                                                  "BatchRequestTooLongException"};
  static constexpr ErrorType kEmptyBatchRequest{"EmptyBatchRequest", 400, true,
                                                "EmptyBatchRequestException"};
  static constexpr ErrorType kInvalidBatchEntryId{"InvalidBatchEntryId", 400, true,
                                                  "InvalidBatchEntryIdException"};
  static constexpr ErrorType kTooManyEntriesInBatchRequest{
      "TooManyEntriesInBatchRequest", 400, true, "TooManyEntriesInBatchRequestException"};
  static constexpr ErrorType kKmsDisabled{"KMSDisabled", 400, true, "KMSDisabledException"};
  static constexpr ErrorType kKmsInvalidState{"KMSInvalidState", 400, true,
                                              "KMSInvalidStateException"};
  static constexpr ErrorType kKmsNotFound{"KMSNotFound", 400, true, "KMSNotFoundException"};
  static constexpr ErrorType kKmsAccessDenied{"KMSAccessDenied", 400, true,
                                              "KMSAccessDeniedException"};
  static constexpr ErrorType kKmsThrottling{"KMSThrottling", 400, true, "KMSThrottlingException"};
  static constexpr ErrorType kKmsOptInRequired{"KMSOptInRequired", 403, true, "KMSOptInRequired"};
  static constexpr ErrorType kEndpointDisabled{"EndpointDisabled", 400, true,
                                               "EndpointDisabledException"};
  static constexpr ErrorType kPlatformApplicationDisabled{"PlatformApplicationDisabled", 400, true,
                                                          "PlatformApplicationDisabledException"};
  static constexpr ErrorType kInvalidState{"InvalidState", 400, true, "InvalidStateException"};
  static constexpr ErrorType kConcurrentAccess{"ConcurrentAccess", 400, true,
                                               "ConcurrentAccessException"};
  static constexpr ErrorType kTagLimitExceeded{"TagLimitExceeded", 400, true,
                                               "TagLimitExceededException"};
  static constexpr ErrorType kTagPolicy{"TagPolicy", 400, true, "TagPolicyException"};
  static constexpr ErrorType kStaleTag{"StaleTag", 400, true, "StaleTagException"};
  static constexpr ErrorType kOptedOut{"OptedOut", 400, true, "OptedOutException"};
  static constexpr ErrorType kUserError{"UserError", 400, true, "UserErrorException"};
  static constexpr ErrorType kVerification{"VerificationException", 400, true};
  static constexpr ErrorType kInvalidSecurity{"InvalidSecurity", 403, true,
                                              "InvalidSecurityException"};
};

// SNS's errors and its overrides of the common codes (AuthorizationError for refusals,
// InternalError, Throttled, InvalidParameter for values the decoder cannot read).
const protocol::ErrorTable& SnsErrorTable();

// "Invalid parameter: <what>" (InvalidParameter), the form most SNS refusals take.
Status InvalidParameter(std::string_view what);

}  // namespace sluice::sns
