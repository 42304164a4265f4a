#include <gtest/gtest.h>

#include <rapidjson/document.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "models/sqs_model.h"
#include "protocol/errors.h"
#include "services/sqs/errors.h"
#include "services/sqs/sqs_service.h"

namespace sluice::sqs {
namespace {

TEST(SqsErrorTable, EveryErrorHasAWireForm) {
  std::set<std::string> seen_codes;
  std::vector<ErrorId> all;
  for (int i = 1; i < static_cast<int>(ErrorCode::kService); ++i) {
    all.push_back(static_cast<ErrorCode>(i));
  }
  for (const ErrorType* t : SqsErrorTable().declared) all.push_back(*t);
  for (const ErrorId code : all) {
    const protocol::ErrorInfo info = SqsErrorInfo(code);
    SCOPED_TRACE(info.query_code);
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

// Every error SQS declares is one of the model's, with its code, status, fault and JSON __type;
// and every modelled error but the ones SQS never raises is declared.
TEST(SqsErrorTable, DeclaredErrorsMatchTheModel) {
  std::ifstream in(std::string(SLUICE_MODELS_DIR) + "/sqs.query-errors.json");
  ASSERT_TRUE(in);
  std::stringstream text;
  text << in.rdbuf();
  rapidjson::Document doc;
  doc.Parse(text.str().c_str());
  ASSERT_TRUE(doc.IsObject() && doc.HasMember("errors"));
  std::set<std::string> modelled;
  for (const auto& e : doc["errors"].GetObject()) {
    const std::string shape = e.name.GetString();
    const protocol::ErrorInfo* found = nullptr;
    protocol::ErrorInfo info;
    for (const ErrorType* t : SqsErrorTable().declared) {
      if (SqsErrorInfo(*t).json_type == e.value["json__type"].GetString()) {
        info = SqsErrorInfo(*t);
        found = &info;
      }
    }
    if (shape == "RequestThrottled") {  // a common code SQS overrides
      info = SqsErrorInfo(ErrorCode::kRequestThrottled);
      found = &info;
    }
    if (shape == "InvalidIdFormat") continue;  // deprecated; no action raises it
    ASSERT_NE(found, nullptr) << shape << " is in the model but SQS does not declare it";
    EXPECT_EQ(found->query_code, e.value["queryCode"].GetString()) << shape;
    EXPECT_EQ(found->http_status, e.value["httpStatus"].GetInt()) << shape;
    EXPECT_EQ(found->sender_fault, std::string(e.value["fault"].GetString()) == "Sender") << shape;
    modelled.insert(e.value["json__type"].GetString());
  }
  for (const ErrorType* t : SqsErrorTable().declared) {
    EXPECT_TRUE(modelled.count(SqsErrorInfo(*t).json_type)) << t->code << " is not in the model";
  }
}

struct Expected {
  ErrorId code;
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
        Expected{SqsError::kQueueDoesNotExist, "AWS.SimpleQueueService.NonExistentQueue",
                 "com.amazonaws.sqs#QueueDoesNotExist", 400},
        Expected{SqsError::kQueueNameExists, "QueueAlreadyExists",
                 "com.amazonaws.sqs#QueueNameExists", 400},
        Expected{SqsError::kQueueDeletedRecently, "AWS.SimpleQueueService.QueueDeletedRecently",
                 "com.amazonaws.sqs#QueueDeletedRecently", 400},
        Expected{SqsError::kPurgeQueueInProgress, "AWS.SimpleQueueService.PurgeQueueInProgress",
                 "com.amazonaws.sqs#PurgeQueueInProgress", 403},
        Expected{SqsError::kMessageNotInflight, "AWS.SimpleQueueService.MessageNotInflight",
                 "com.amazonaws.sqs#MessageNotInflight", 400},
        Expected{SqsError::kReceiptHandleIsInvalid, "ReceiptHandleIsInvalid",
                 "com.amazonaws.sqs#ReceiptHandleIsInvalid", 404},
        Expected{SqsError::kTooManyEntriesInBatchRequest,
                 "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
                 "com.amazonaws.sqs#TooManyEntriesInBatchRequest", 400},
        Expected{SqsError::kEmptyBatchRequest, "AWS.SimpleQueueService.EmptyBatchRequest",
                 "com.amazonaws.sqs#EmptyBatchRequest", 400},
        Expected{SqsError::kBatchEntryIdsNotDistinct,
                 "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
                 "com.amazonaws.sqs#BatchEntryIdsNotDistinct", 400},
        Expected{SqsError::kBatchRequestTooLong, "AWS.SimpleQueueService.BatchRequestTooLong",
                 "com.amazonaws.sqs#BatchRequestTooLong", 400},
        Expected{SqsError::kInvalidBatchEntryId, "AWS.SimpleQueueService.InvalidBatchEntryId",
                 "com.amazonaws.sqs#InvalidBatchEntryId", 400},
        Expected{SqsError::kUnsupportedOperation, "AWS.SimpleQueueService.UnsupportedOperation",
                 "com.amazonaws.sqs#UnsupportedOperation", 400},
        Expected{SqsError::kInvalidAttributeName, "InvalidAttributeName",
                 "com.amazonaws.sqs#InvalidAttributeName", 400},
        Expected{SqsError::kInvalidAttributeValue, "InvalidAttributeValue",
                 "com.amazonaws.sqs#InvalidAttributeValue", 400},
        Expected{SqsError::kInvalidMessageContents, "InvalidMessageContents",
                 "com.amazonaws.sqs#InvalidMessageContents", 400},
        Expected{SqsError::kOverLimit, "OverLimit", "com.amazonaws.sqs#OverLimit", 403},
        Expected{ErrorCode::kRequestThrottled, "RequestThrottled",
                 "com.amazonaws.sqs#RequestThrottled", 403},
        Expected{SqsError::kInvalidAddress, "InvalidAddress", "com.amazonaws.sqs#InvalidAddress",
                 404},
        Expected{SqsError::kInvalidSecurity, "InvalidSecurity", "com.amazonaws.sqs#InvalidSecurity",
                 403},
        Expected{SqsError::kResourceNotFound, "ResourceNotFoundException",
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

TEST(SqsErrorTable, AgreesWithTheModel) {
  EXPECT_EQ(protocol::ErrorTableProblems(models::Sqs(), SqsErrorTable()),
            std::vector<std::string>{});
}

TEST(SqsErrorTable, ServerFaultsAreReceiver) {
  EXPECT_FALSE(SqsErrorInfo(ErrorCode::kInternalError).sender_fault);
  EXPECT_FALSE(SqsErrorInfo(ErrorCode::kServiceUnavailable).sender_fault);
  EXPECT_TRUE(SqsErrorInfo(SqsError::kQueueDoesNotExist).sender_fault);
}

TEST(SqsErrorTable, OkAndOutOfRangeRenderAsServerFault) {
  EXPECT_EQ(SqsErrorInfo(ErrorCode::kOk).http_status, 500);
  EXPECT_EQ(SqsErrorInfo(ErrorCode::kCount).http_status, 500);
}

TEST(SqsErrorTable, QueueDoesNotExistWordingPerProtocol) {
  EXPECT_EQ(QueueDoesNotExistMessage(WireProtocol::kJson), "The specified queue does not exist.");
  EXPECT_EQ(QueueDoesNotExistMessage(WireProtocol::kQuery),
            "The specified queue does not exist for this wsdl version.");
}

}  // namespace
}  // namespace sluice::sqs
