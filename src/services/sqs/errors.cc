// The SQS error table: SQS's own errors are engine::SqsError (engine/sqs_errors.h, from
// shared/aws/models/sqs.query-errors.json); here are only the common codes SQS answers
// differently from protocol/errors.cc's defaults (sqs-protocol.md §6), and the JSON __type prefix.
//
// Choices where AWS was not observable (JSON __type of unmodelled errors; clients key on the
// x-amzn-query-error code, and botocore strips everything up to '#'): the defaults, which are the
// names AWS JSON services use (InvalidParameterValueException, MissingRequiredParameterException,
// AccessDeniedException, UnrecognizedClientException, InternalFailure, ...).
#include "services/sqs/errors.h"

#include "engine/sqs_errors.h"
#include "protocol/errors.h"
#include "services/sqs/sqs_service.h"

namespace sluice::sqs {
namespace {

constexpr protocol::ErrorOverride kOverrides[] = {
    {ErrorCode::kInvalidParameterCombination,
     {"InvalidParameterCombination", 400, true, "InvalidParameterCombinationException"}},
    {ErrorCode::kMalformedQueryString, {"MalformedQueryString", 404}},
    // SQS's own throttling error (sqs.query-errors.json), where other services say Throttling.
    {ErrorCode::kRequestThrottled, {"RequestThrottled", 403}},
    {ErrorCode::kInternalError, {"InternalError", 500, false, "InternalFailure"}},
};

}  // namespace

const protocol::ErrorTable& SqsErrorTable() {
  static const protocol::ErrorTable kTable{engine::kSqsErrors, kOverrides, "com.amazonaws.sqs#"};
  return kTable;
}

protocol::ErrorInfo SqsErrorInfo(ErrorId code) {
  return protocol::ResolveError(SqsErrorTable(), code);
}

std::string QueueDoesNotExistMessage(WireProtocol protocol) {
  return protocol == WireProtocol::kQuery ? kQueueDoesNotExistQuery : kQueueDoesNotExistJson;
}

Status QueueDoesNotExist(WireProtocol protocol) {
  return Status(SqsError::kQueueDoesNotExist, QueueDoesNotExistMessage(protocol));
}

}  // namespace sluice::sqs
