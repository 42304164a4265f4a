#include <gtest/gtest.h>

#include <set>
#include <string>

#include "services/sqs/errors.h"
#include "services/sqs/sqs_service.h"

namespace sluice::sqs {
namespace {

TEST(SqsErrorTable, EveryErrorCodeHasAWireForm) {
  std::set<std::string> seen_codes;
  for (int i = 1; i < static_cast<int>(ErrorCode::kCount); ++i) {
    const auto code = static_cast<ErrorCode>(i);
    const protocol::ErrorInfo info = SqsErrorInfo(code);
    SCOPED_TRACE("ErrorCode " + std::to_string(i) + " -> " + info.query_code);
    EXPECT_FALSE(info.query_code.empty());
    EXPECT_EQ(info.json_type.rfind("com.amazonaws.sqs#", 0), 0u);
    EXPECT_GT(info.json_type.size(), std::string("com.amazonaws.sqs#").size());
    EXPECT_GE(info.http_status, 400);
    EXPECT_LT(info.http_status, 600);
    // Server faults are 5xx and Receiver; client faults 4xx and Sender.
    EXPECT_EQ(info.sender_fault, info.http_status < 500);
    EXPECT_TRUE(seen_codes.insert(info.query_code).second) << "duplicate query code";
  }
}

struct Expected {
  ErrorCode code;
  const char* query_code;
  const char* json_type;
  int status;
};

class SqsErrorRows : public ::testing::TestWithParam<Expected> {};

TEST_P(SqsErrorRows, MatchesModelAndProtocolNotes) {
  const Expected& e = GetParam();
  const protocol::ErrorInfo info = SqsErrorInfo(e.code);
  EXPECT_EQ(info.query_code, e.query_code);
  EXPECT_EQ(info.json_type, e.json_type);
  EXPECT_EQ(info.http_status, e.status);
}

INSTANTIATE_TEST_SUITE_P(
    Rows, SqsErrorRows,
    ::testing::Values(
        // sqs.query-errors.json
        Expected{ErrorCode::kQueueDoesNotExist, "AWS.SimpleQueueService.NonExistentQueue",
                 "com.amazonaws.sqs#QueueDoesNotExist", 400},
        Expected{ErrorCode::kQueueNameExists, "QueueAlreadyExists",
                 "com.amazonaws.sqs#QueueNameExists", 400},
        Expected{ErrorCode::kQueueDeletedRecently, "AWS.SimpleQueueService.QueueDeletedRecently",
                 "com.amazonaws.sqs#QueueDeletedRecently", 400},
        Expected{ErrorCode::kPurgeQueueInProgress, "AWS.SimpleQueueService.PurgeQueueInProgress",
                 "com.amazonaws.sqs#PurgeQueueInProgress", 403},
        Expected{ErrorCode::kMessageNotInflight, "AWS.SimpleQueueService.MessageNotInflight",
                 "com.amazonaws.sqs#MessageNotInflight", 400},
        Expected{ErrorCode::kReceiptHandleIsInvalid, "ReceiptHandleIsInvalid",
                 "com.amazonaws.sqs#ReceiptHandleIsInvalid", 404},
        Expected{ErrorCode::kTooManyEntriesInBatchRequest,
                 "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
                 "com.amazonaws.sqs#TooManyEntriesInBatchRequest", 400},
        Expected{ErrorCode::kEmptyBatchRequest, "AWS.SimpleQueueService.EmptyBatchRequest",
                 "com.amazonaws.sqs#EmptyBatchRequest", 400},
        Expected{ErrorCode::kBatchEntryIdsNotDistinct,
                 "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
                 "com.amazonaws.sqs#BatchEntryIdsNotDistinct", 400},
        Expected{ErrorCode::kBatchRequestTooLong, "AWS.SimpleQueueService.BatchRequestTooLong",
                 "com.amazonaws.sqs#BatchRequestTooLong", 400},
        Expected{ErrorCode::kInvalidBatchEntryId, "AWS.SimpleQueueService.InvalidBatchEntryId",
                 "com.amazonaws.sqs#InvalidBatchEntryId", 400},
        Expected{ErrorCode::kUnsupportedOperation, "AWS.SimpleQueueService.UnsupportedOperation",
                 "com.amazonaws.sqs#UnsupportedOperation", 400},
        Expected{ErrorCode::kInvalidAttributeName, "InvalidAttributeName",
                 "com.amazonaws.sqs#InvalidAttributeName", 400},
        Expected{ErrorCode::kInvalidAttributeValue, "InvalidAttributeValue",
                 "com.amazonaws.sqs#InvalidAttributeValue", 400},
        Expected{ErrorCode::kInvalidMessageContents, "InvalidMessageContents",
                 "com.amazonaws.sqs#InvalidMessageContents", 400},
        Expected{ErrorCode::kOverLimit, "OverLimit", "com.amazonaws.sqs#OverLimit", 403},
        Expected{ErrorCode::kRequestThrottled, "RequestThrottled",
                 "com.amazonaws.sqs#RequestThrottled", 403},
        Expected{ErrorCode::kInvalidAddress, "InvalidAddress", "com.amazonaws.sqs#InvalidAddress",
                 404},
        Expected{ErrorCode::kInvalidSecurity, "InvalidSecurity",
                 "com.amazonaws.sqs#InvalidSecurity", 403},
        Expected{ErrorCode::kResourceNotFound, "ResourceNotFoundException",
                 "com.amazonaws.sqs#ResourceNotFoundException", 404},
        // sqs-protocol.md §4/§6 (unmodelled)
        Expected{ErrorCode::kInvalidParameterValue, "InvalidParameterValue",
                 "com.amazonaws.sqs#InvalidParameterValueException", 400},
        Expected{ErrorCode::kMissingParameter, "MissingParameter",
                 "com.amazonaws.sqs#MissingRequiredParameterException", 400},
        Expected{ErrorCode::kMalformedQueryString, "MalformedQueryString",
                 "com.amazonaws.sqs#MalformedQueryString", 404},
        Expected{ErrorCode::kSignatureDoesNotMatch, "SignatureDoesNotMatch",
                 "com.amazonaws.sqs#InvalidSignatureException", 403},
        Expected{ErrorCode::kMissingAuthenticationToken, "MissingAuthenticationToken",
                 "com.amazonaws.sqs#MissingAuthenticationTokenException", 403},
        Expected{ErrorCode::kInvalidClientTokenId, "InvalidClientTokenId",
                 "com.amazonaws.sqs#UnrecognizedClientException", 403},
        Expected{ErrorCode::kIncompleteSignature, "IncompleteSignature",
                 "com.amazonaws.sqs#IncompleteSignatureException", 400},
        Expected{ErrorCode::kRequestExpired, "RequestExpired", "com.amazonaws.sqs#RequestExpired",
                 400},
        Expected{ErrorCode::kAccessDenied, "AccessDenied",
                 "com.amazonaws.sqs#AccessDeniedException", 403},
        Expected{ErrorCode::kRequestEntityTooLarge, "RequestEntityTooLarge",
                 "com.amazonaws.sqs#RequestEntityTooLarge", 413},
        Expected{ErrorCode::kInternalError, "InternalError", "com.amazonaws.sqs#InternalFailure",
                 500},
        Expected{ErrorCode::kServiceUnavailable, "ServiceUnavailable",
                 "com.amazonaws.sqs#ServiceUnavailable", 503}));

TEST(SqsErrorTable, ServerFaultsAreReceiver) {
  EXPECT_FALSE(SqsErrorInfo(ErrorCode::kInternalError).sender_fault);
  EXPECT_FALSE(SqsErrorInfo(ErrorCode::kServiceUnavailable).sender_fault);
  EXPECT_TRUE(SqsErrorInfo(ErrorCode::kQueueDoesNotExist).sender_fault);
}

TEST(SqsErrorTable, OkAndOutOfRangeRenderAsServerFault) {
  EXPECT_EQ(SqsErrorInfo(ErrorCode::kOk).http_status, 500);
  EXPECT_EQ(SqsErrorInfo(ErrorCode::kCount).http_status, 500);
}

TEST(SqsErrorTable, QueueDoesNotExistWordingPerProtocol) {
  EXPECT_EQ(QueueDoesNotExistMessage(protocol::WireProtocol::kJson),
            "The specified queue does not exist.");
  EXPECT_EQ(QueueDoesNotExistMessage(protocol::WireProtocol::kQuery),
            "The specified queue does not exist for this wsdl version.");
}

}  // namespace
}  // namespace sluice::sqs
