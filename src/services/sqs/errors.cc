// THE error table of the SQS service: every sluice::ErrorCode to its Query code (also the first
// half of x-amzn-query-error), JSON __type, HTTP status and fault. Modelled errors follow
// shared/aws/models/sqs.query-errors.json; the common ones follow sqs-protocol.md §6.
//
// Choices where AWS was not observable (JSON __type of unmodelled errors; clients key on the
// x-amzn-query-error code, and botocore strips everything up to '#'):
// - InvalidParameterValue / MissingParameter: the shape names botocore reports from AWS
//   (InvalidParameterValueException, MissingRequiredParameterException).
// - Authentication, authorisation and server faults: the names AWS JSON services use
//   (AccessDeniedException, UnrecognizedClientException for InvalidClientTokenId,
//   InvalidSignatureException for SignatureDoesNotMatch, InternalFailure, ...).
// - Serialization (malformed JSON, wrong JSON type): SerializationException for both halves.
// - InvalidAction: UnknownOperationException, what JSON services answer for an unknown target.
#include "services/sqs/errors.h"

#include <array>

#include "services/sqs/sqs_service.h"

namespace sluice::sqs {
namespace {

struct Row {
  ErrorCode code;
  const char* query_code;
  const char* json_shape;  // after "com.amazonaws.sqs#"
  int http_status;
  bool sender_fault;
};

constexpr bool kSender = true;
constexpr bool kReceiver = false;

constexpr std::array kTable = {
    // Request shape.
    Row{ErrorCode::kInvalidParameterValue, "InvalidParameterValue",
        "InvalidParameterValueException", 400, kSender},
    Row{ErrorCode::kMissingParameter, "MissingParameter", "MissingRequiredParameterException", 400,
        kSender},
    Row{ErrorCode::kInvalidParameterCombination, "InvalidParameterCombination",
        "InvalidParameterCombinationException", 400, kSender},
    Row{ErrorCode::kInvalidAction, "InvalidAction", "UnknownOperationException", 400, kSender},
    Row{ErrorCode::kMissingAction, "MissingAction", "MissingAction", 400, kSender},
    Row{ErrorCode::kMalformedQueryString, "MalformedQueryString", "MalformedQueryString", 404,
        kSender},
    Row{ErrorCode::kSerialization, "SerializationException", "SerializationException", 400,
        kSender},
    Row{ErrorCode::kInvalidRequest, "InvalidRequest", "InvalidRequest", 400, kSender},
    Row{ErrorCode::kRequestEntityTooLarge, "RequestEntityTooLarge", "RequestEntityTooLarge", 413,
        kSender},
    // Modelled SQS errors.
    Row{ErrorCode::kQueueDoesNotExist, "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist", 400, kSender},
    Row{ErrorCode::kQueueNameExists, "QueueAlreadyExists", "QueueNameExists", 400, kSender},
    Row{ErrorCode::kQueueDeletedRecently, "AWS.SimpleQueueService.QueueDeletedRecently",
        "QueueDeletedRecently", 400, kSender},
    Row{ErrorCode::kPurgeQueueInProgress, "AWS.SimpleQueueService.PurgeQueueInProgress",
        "PurgeQueueInProgress", 403, kSender},
    Row{ErrorCode::kMessageNotInflight, "AWS.SimpleQueueService.MessageNotInflight",
        "MessageNotInflight", 400, kSender},
    Row{ErrorCode::kReceiptHandleIsInvalid, "ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", 404,
        kSender},
    Row{ErrorCode::kTooManyEntriesInBatchRequest,
        "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", "TooManyEntriesInBatchRequest", 400,
        kSender},
    Row{ErrorCode::kEmptyBatchRequest, "AWS.SimpleQueueService.EmptyBatchRequest",
        "EmptyBatchRequest", 400, kSender},
    Row{ErrorCode::kBatchEntryIdsNotDistinct, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
        "BatchEntryIdsNotDistinct", 400, kSender},
    Row{ErrorCode::kBatchRequestTooLong, "AWS.SimpleQueueService.BatchRequestTooLong",
        "BatchRequestTooLong", 400, kSender},
    Row{ErrorCode::kInvalidBatchEntryId, "AWS.SimpleQueueService.InvalidBatchEntryId",
        "InvalidBatchEntryId", 400, kSender},
    Row{ErrorCode::kUnsupportedOperation, "AWS.SimpleQueueService.UnsupportedOperation",
        "UnsupportedOperation", 400, kSender},
    Row{ErrorCode::kInvalidAttributeName, "InvalidAttributeName", "InvalidAttributeName", 400,
        kSender},
    Row{ErrorCode::kInvalidAttributeValue, "InvalidAttributeValue", "InvalidAttributeValue", 400,
        kSender},
    Row{ErrorCode::kInvalidMessageContents, "InvalidMessageContents", "InvalidMessageContents", 400,
        kSender},
    Row{ErrorCode::kOverLimit, "OverLimit", "OverLimit", 403, kSender},
    Row{ErrorCode::kRequestThrottled, "RequestThrottled", "RequestThrottled", 403, kSender},
    Row{ErrorCode::kInvalidAddress, "InvalidAddress", "InvalidAddress", 404, kSender},
    Row{ErrorCode::kInvalidSecurity, "InvalidSecurity", "InvalidSecurity", 403, kSender},
    Row{ErrorCode::kResourceNotFound, "ResourceNotFoundException", "ResourceNotFoundException", 404,
        kSender},
    // Authentication and authorisation.
    Row{ErrorCode::kAccessDenied, "AccessDenied", "AccessDeniedException", 403, kSender},
    Row{ErrorCode::kMissingAuthenticationToken, "MissingAuthenticationToken",
        "MissingAuthenticationTokenException", 403, kSender},
    Row{ErrorCode::kIncompleteSignature, "IncompleteSignature", "IncompleteSignatureException", 400,
        kSender},
    Row{ErrorCode::kInvalidClientTokenId, "InvalidClientTokenId", "UnrecognizedClientException",
        403, kSender},
    Row{ErrorCode::kSignatureDoesNotMatch, "SignatureDoesNotMatch", "InvalidSignatureException",
        403, kSender},
    Row{ErrorCode::kRequestExpired, "RequestExpired", "RequestExpired", 400, kSender},
    // Temporary credentials past their expiry: 403 like AWS's Query services (IAM, STS, SQS).
    Row{ErrorCode::kExpiredToken, "ExpiredToken", "ExpiredTokenException", 403, kSender},
    // STS/IAM errors SQS never raises; listed so every code has a row.
    Row{ErrorCode::kValidationError, "ValidationError", "ValidationException", 400, kSender},
    Row{ErrorCode::kMalformedPolicyDocument, "MalformedPolicyDocument", "MalformedPolicyDocument",
        400, kSender},
    Row{ErrorCode::kPackedPolicyTooLarge, "PackedPolicyTooLarge", "PackedPolicyTooLarge", 400,
        kSender},
    // Server faults.
    Row{ErrorCode::kInternalError, "InternalError", "InternalFailure", 500, kReceiver},
    Row{ErrorCode::kServiceUnavailable, "ServiceUnavailable", "ServiceUnavailable", 503, kReceiver},
};

// Index by enum value, built once; a missing row is a bug the unit test catches.
constexpr auto kIndex = [] {
  std::array<int, static_cast<std::size_t>(ErrorCode::kCount)> index{};
  for (auto& i : index) i = -1;
  for (std::size_t r = 0; r < kTable.size(); ++r) {
    index[static_cast<std::size_t>(kTable[r].code)] = static_cast<int>(r);
  }
  return index;
}();

}  // namespace

protocol::ErrorInfo SqsErrorInfo(ErrorCode code) {
  const auto i = static_cast<std::size_t>(code);
  const int row = i < kIndex.size() ? kIndex[i] : -1;
  // kOk and out-of-range values never reach the wire; render them as a server fault.
  const Row& r = row >= 0 ? kTable[static_cast<std::size_t>(row)]
                          : kTable[static_cast<std::size_t>(
                                kIndex[static_cast<std::size_t>(ErrorCode::kInternalError)])];
  protocol::ErrorInfo info;
  info.query_code = r.query_code;
  info.json_type = std::string("com.amazonaws.sqs#") + r.json_shape;
  info.http_status = r.http_status;
  info.sender_fault = r.sender_fault;
  return info;
}

std::string QueueDoesNotExistMessage(protocol::WireProtocol protocol) {
  return protocol == protocol::WireProtocol::kQuery ? kQueueDoesNotExistQuery
                                                    : kQueueDoesNotExistJson;
}

Status QueueDoesNotExist(protocol::WireProtocol protocol) {
  return Status(ErrorCode::kQueueDoesNotExist, QueueDoesNotExistMessage(protocol));
}

}  // namespace sluice::sqs
