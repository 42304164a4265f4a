// The errors of the SQS API, as AWS names them (shared/aws/models/sqs.query-errors.json): the
// Query code (also the first half of x-amzn-query-error), HTTP status, fault and JSON __type shape.
// Raised by the engine and the SQS service; tests/unit/sqs/errors_test.cc checks every one
// against the model's error table.
#pragma once

#include "common/status.h"

namespace sluice::engine {

struct SqsError {
  static constexpr ErrorType kQueueDoesNotExist{"AWS.SimpleQueueService.NonExistentQueue", 400,
                                                true, "QueueDoesNotExist"};
  static constexpr ErrorType kQueueNameExists{"QueueAlreadyExists", 400, true, "QueueNameExists"};
  static constexpr ErrorType kQueueDeletedRecently{"AWS.SimpleQueueService.QueueDeletedRecently",
                                                   400, true, "QueueDeletedRecently"};
  static constexpr ErrorType kPurgeQueueInProgress{"AWS.SimpleQueueService.PurgeQueueInProgress",
                                                   403, true, "PurgeQueueInProgress"};
  static constexpr ErrorType kMessageNotInflight{"AWS.SimpleQueueService.MessageNotInflight", 400,
                                                 true, "MessageNotInflight"};
  static constexpr ErrorType kReceiptHandleIsInvalid{"ReceiptHandleIsInvalid", 404};
  static constexpr ErrorType kTooManyEntriesInBatchRequest{
      "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400, true,
      "TooManyEntriesInBatchRequest"};
  static constexpr ErrorType kEmptyBatchRequest{"AWS.SimpleQueueService.EmptyBatchRequest", 400,
                                                true, "EmptyBatchRequest"};
  static constexpr ErrorType kBatchEntryIdsNotDistinct{
      "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400, true, "BatchEntryIdsNotDistinct"};
  static constexpr ErrorType kBatchRequestTooLong{"AWS.SimpleQueueService.BatchRequestTooLong", 400,
                                                  true, "BatchRequestTooLong"};
  static constexpr ErrorType kInvalidBatchEntryId{"AWS.SimpleQueueService.InvalidBatchEntryId", 400,
                                                  true, "InvalidBatchEntryId"};
  static constexpr ErrorType kUnsupportedOperation{"AWS.SimpleQueueService.UnsupportedOperation",
                                                   400, true, "UnsupportedOperation"};
  static constexpr ErrorType kInvalidAttributeName{"InvalidAttributeName"};
  static constexpr ErrorType kInvalidAttributeValue{"InvalidAttributeValue"};
  static constexpr ErrorType kInvalidMessageContents{"InvalidMessageContents"};
  static constexpr ErrorType kOverLimit{"OverLimit", 403};
  static constexpr ErrorType kInvalidAddress{"InvalidAddress", 404};
  static constexpr ErrorType kInvalidSecurity{"InvalidSecurity", 403};
  static constexpr ErrorType kResourceNotFound{"ResourceNotFoundException", 404};
  // A queue's KmsMasterKeyId and what KMS answered for it.
  static constexpr ErrorType kKmsAccessDenied{"KMS.AccessDeniedException", 400, true,
                                              "KmsAccessDenied"};
  static constexpr ErrorType kKmsDisabled{"KMS.DisabledException", 400, true, "KmsDisabled"};
  static constexpr ErrorType kKmsInvalidKeyUsage{"KMS.InvalidKeyUsageException", 400, true,
                                                 "KmsInvalidKeyUsage"};
  static constexpr ErrorType kKmsInvalidState{"KMS.InvalidStateException", 400, true,
                                              "KmsInvalidState"};
  static constexpr ErrorType kKmsNotFound{"KMS.NotFoundException", 400, true, "KmsNotFound"};
  static constexpr ErrorType kKmsOptInRequired{"KMS.OptInRequired", 403, true, "KmsOptInRequired"};
  static constexpr ErrorType kKmsThrottled{"KMS.ThrottlingException", 400, true, "KmsThrottled"};
};

// Every SQS error, for the error-table test and the docs.
inline constexpr const ErrorType* kSqsErrors[] = {
    &SqsError::kQueueDoesNotExist,
    &SqsError::kQueueNameExists,
    &SqsError::kQueueDeletedRecently,
    &SqsError::kPurgeQueueInProgress,
    &SqsError::kMessageNotInflight,
    &SqsError::kReceiptHandleIsInvalid,
    &SqsError::kTooManyEntriesInBatchRequest,
    &SqsError::kEmptyBatchRequest,
    &SqsError::kBatchEntryIdsNotDistinct,
    &SqsError::kBatchRequestTooLong,
    &SqsError::kInvalidBatchEntryId,
    &SqsError::kUnsupportedOperation,
    &SqsError::kInvalidAttributeName,
    &SqsError::kInvalidAttributeValue,
    &SqsError::kInvalidMessageContents,
    &SqsError::kOverLimit,
    &SqsError::kInvalidAddress,
    &SqsError::kInvalidSecurity,
    &SqsError::kResourceNotFound,
    &SqsError::kKmsAccessDenied,
    &SqsError::kKmsDisabled,
    &SqsError::kKmsInvalidKeyUsage,
    &SqsError::kKmsInvalidState,
    &SqsError::kKmsNotFound,
    &SqsError::kKmsOptInRequired,
    &SqsError::kKmsThrottled,
};

}  // namespace sluice::engine
