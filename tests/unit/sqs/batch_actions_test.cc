// SendMessageBatch, DeleteMessageBatch, ChangeMessageVisibilityBatch.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/sqs_errors.h"
#include "sqs_test_util.h"

namespace sluice::sqs::testing {

using engine::SqsError;
namespace {

class BatchTest : public SqsTest {
 protected:
  static Value SendEntry(std::string id, std::string body) {
    return Struct({{"Id", S(std::move(id))}, {"MessageBody", S(std::move(body))}});
  }
  static Value Entries(std::vector<Value> entries) {
    Value list = Value::List();
    for (auto& e : entries) list.Append(std::move(e));
    return list;
  }
  static const Value& Item(const Value& out, std::string_view list, std::size_t i) {
    return out.Get(list)->items().at(i);
  }
  static std::size_t Count(const Value& out, std::string_view list) {
    const Value* v = out.Get(list);
    return v ? v->items().size() : 0;
  }
};

TEST_F(BatchTest, SendBatchAllSucceed) {
  auto r = Call(
      "SendMessageBatch",
      Struct({{"QueueUrl", S(kQueueUrl)},
              {"Entries",
               Entries({SendEntry("a", "hello"),
                        Struct({{"Id", S("b")},
                                {"MessageBody", S("x")},
                                {"MessageAttributes", Map({{"greeting", StrAttr("hi")}})}})})}}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(Count(*r, "Successful"), 2u);
  ASSERT_TRUE(r->Get("Failed"));  // required member, present even when empty
  EXPECT_EQ(Count(*r, "Failed"), 0u);
  EXPECT_EQ(Str(Item(*r, "Successful", 0), "Id"), "a");
  EXPECT_EQ(Str(Item(*r, "Successful", 0), "MD5OfMessageBody"), "5d41402abc4b2a76b9719d911017c592");
  EXPECT_FALSE(Item(*r, "Successful", 0).Get("MD5OfMessageAttributes"));
  EXPECT_EQ(Str(Item(*r, "Successful", 1), "Id"), "b");
  EXPECT_EQ(Str(Item(*r, "Successful", 1), "MD5OfMessageAttributes"),
            "7c50c7ee3dca03a9a7c3f73e6c838c20");
  ASSERT_EQ(engine_.sends.size(), 1u);
  EXPECT_EQ(engine_.sends[0].second.size(), 2u);
}

// An answer whose entries all succeeded takes the result entries as they are; with a failed entry
// they are moved one by one. Both give the same Successful entries, member for member.
TEST_F(BatchTest, AllSucceededAnswersAsWithAFailedEntry) {
  auto entries = [](bool with_failure) {
    std::vector<Value> list;
    list.push_back(SendEntry("a", "hello"));
    if (with_failure) list.push_back(Struct({{"Id", S("nobody")}}));
    list.push_back(Struct({{"Id", S("b")},
                           {"MessageBody", S("x")},
                           {"MessageAttributes", Map({{"greeting", StrAttr("hi")}})}}));
    return Entries(std::move(list));
  };
  auto all =
      Call("SendMessageBatch", Struct({{"QueueUrl", S(kQueueUrl)}, {"Entries", entries(false)}}));
  auto some =
      Call("SendMessageBatch", Struct({{"QueueUrl", S(kQueueUrl)}, {"Entries", entries(true)}}));
  ASSERT_TRUE(all.ok()) << all.status().message();
  ASSERT_TRUE(some.ok()) << some.status().message();
  ASSERT_EQ(Count(*all, "Successful"), 2u);
  ASSERT_EQ(Count(*some, "Successful"), 2u);
  EXPECT_EQ(Count(*all, "Failed"), 0u);
  EXPECT_EQ(Count(*some, "Failed"), 1u);
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& x = Item(*all, "Successful", i).entries();
    const auto& y = Item(*some, "Successful", i).entries();
    ASSERT_EQ(x.size(), y.size());
    for (std::size_t m = 0; m < x.size(); ++m) {
      EXPECT_EQ(x[m].first, y[m].first);
      EXPECT_EQ(x[m].second.kind(), Value::Kind::kString);
      if (x[m].first != "MessageId") {
        EXPECT_EQ(x[m].second.as_string(), y[m].second.as_string());
      }
    }
  }
  // The members, in the model's order.
  std::vector<std::string> names;
  for (const auto& [name, v] : Item(*all, "Successful", 1).entries()) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"Id", "MessageId", "MD5OfMessageBody",
                                             "MD5OfMessageAttributes"}));
}

TEST_F(BatchTest, RequestLevelErrors) {
  ExpectError(Call("SendMessageBatch", Struct({{"QueueUrl", S(kQueueUrl)}, {"Entries", List({})}})),
              SqsError::kEmptyBatchRequest,
              "There should be at least one SendMessageBatchRequestEntry in the request.");
  ExpectError(Call("SendMessageBatch", Struct({{"QueueUrl", S(kQueueUrl)}})),
              SqsError::kEmptyBatchRequest,
              "There should be at least one SendMessageBatchRequestEntry in the request.");
  std::vector<Value> twenty;
  for (int i = 0; i < 20; ++i) twenty.push_back(SendEntry("e" + std::to_string(i), "x"));
  ExpectError(
      Call("SendMessageBatch", Struct({{"QueueUrl", S(kQueueUrl)}, {"Entries", Entries(twenty)}})),
      SqsError::kTooManyEntriesInBatchRequest,
      "Maximum number of entries per request are 10. You have sent 20.");
  const std::string kBadId =
      "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It "
      "can be at most 80 letters long.";
  for (const std::string& bad : {std::string(""), std::string("a.b"), std::string(81, 'x'),
                                 std::string("sp ace"), std::string("\xC3\xA9")}) {
    ExpectError(Call("SendMessageBatch", Struct({{"QueueUrl", S(kQueueUrl)},
                                                 {"Entries", Entries({SendEntry(bad, "x")})}})),
                SqsError::kInvalidBatchEntryId, kBadId);
  }
  ExpectError(
      Call(
          "SendMessageBatch",
          Struct({{"QueueUrl", S(kQueueUrl)},
                  {"Entries", Entries({SendEntry("a", "x"), Struct({{"MessageBody", S("y")}})})}})),
      ErrorCode::kMissingParameter,
      "The request must contain the parameter SendMessageBatchRequestEntry.2.Id.");
  ExpectError(Call("SendMessageBatch",
                   Struct({{"QueueUrl", S(kQueueUrl)},
                           {"Entries", Entries({SendEntry("dup", "x"), SendEntry("dup", "y")})}})),
              SqsError::kBatchEntryIdsNotDistinct, "Id dup repeated.");
  EXPECT_TRUE(engine_.sends.empty());
}

TEST_F(BatchTest, TotalSizeLimit) {
  const std::string half(524288, 'a');
  ASSERT_TRUE(Call("SendMessageBatch",
                   Struct({{"QueueUrl", S(kQueueUrl)},
                           {"Entries", Entries({SendEntry("a", half), SendEntry("b", half)})}}))
                  .ok());
  ExpectError(
      Call("SendMessageBatch",
           Struct({{"QueueUrl", S(kQueueUrl)},
                   {"Entries", Entries({SendEntry("a", half), SendEntry("b", half + "x")})}})),
      SqsError::kBatchRequestTooLong,
      "Batch requests cannot be longer than 1048576 bytes. You have sent 1048577 bytes.");
}

TEST_F(BatchTest, PerEntryFailuresGoToFailed) {
  engine_.send_failures[1] = Status(ErrorCode::kInvalidParameterValue, "engine says no");
  auto r =
      Call("SendMessageBatch",
           Struct({{"QueueUrl", S(kQueueUrl)},
                   {"Entries", Entries({SendEntry("ok1", "a"), Struct({{"Id", S("nobody")}}),
                                        SendEntry("bad-char", std::string("\x01", 1)),
                                        Struct({{"Id", S("dedup")},
                                                {"MessageBody", S("a")},
                                                {"MessageDeduplicationId", S("d")}}),
                                        SendEntry("engine-fail", "b"), SendEntry("ok2", "c")})}}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(Count(*r, "Successful"), 2u);
  EXPECT_EQ(Str(Item(*r, "Successful", 0), "Id"), "ok1");
  EXPECT_EQ(Str(Item(*r, "Successful", 1), "Id"), "ok2");
  ASSERT_EQ(Count(*r, "Failed"), 4u);

  const Value& missing = Item(*r, "Failed", 0);
  EXPECT_EQ(Str(missing, "Id"), "nobody");
  EXPECT_EQ(Str(missing, "Code"), "MissingParameter");
  EXPECT_EQ(Str(missing, "Message"),
            "The request must contain the parameter SendMessageBatchRequestEntry.2.MessageBody.");
  EXPECT_TRUE(missing.GetBool("SenderFault").value_or(false));

  EXPECT_EQ(Str(Item(*r, "Failed", 1), "Id"), "bad-char");
  EXPECT_EQ(Str(Item(*r, "Failed", 1), "Code"), "InvalidMessageContents");
  EXPECT_EQ(Str(Item(*r, "Failed", 2), "Id"), "dedup");
  EXPECT_EQ(Str(Item(*r, "Failed", 2), "Code"), "InvalidParameterValue");
  EXPECT_EQ(Str(Item(*r, "Failed", 3), "Id"), "engine-fail");
  EXPECT_EQ(Str(Item(*r, "Failed", 3), "Message"), "engine says no");

  // Only valid entries reach the engine, in order.
  ASSERT_EQ(engine_.sends.size(), 1u);
  ASSERT_EQ(engine_.sends[0].second.size(), 3u);
  EXPECT_EQ(engine_.sends[0].second[0].body, "a");
  EXPECT_EQ(engine_.sends[0].second[2].body, "c");
}

TEST_F(BatchTest, FifoEntryRulesInBatch) {
  // A FIFO entry without MessageGroupId fails the whole request (AWS records
  // InvalidParameterValue), whatever the other entries hold.
  auto delayed = Struct({{"Id", S("delayed")},
                         {"MessageBody", S("a")},
                         {"MessageGroupId", S("g")},
                         {"DelaySeconds", I(3)}});
  for (const Value& nogroup :
       {SendEntry("nogroup", "a"),
        Struct({{"Id", S("nogroup")}, {"MessageBody", S("a")}, {"MessageGroupId", S("")}})}) {
    ExpectError(Call("SendMessageBatch",
                     Struct({{"QueueUrl", S(kFifoUrl)}, {"Entries", Entries({delayed, nogroup})}})),
                ErrorCode::kInvalidParameterValue,
                "The request must contain the parameter MessageGroupId.");
  }
  EXPECT_TRUE(engine_.sends.empty());
  // ... but a missing queue is still reported as such.
  ExpectError(Call("SendMessageBatch", Struct({{"QueueUrl", S("http://h/000000000000/gone.fifo")},
                                               {"Entries", Entries({SendEntry("nogroup", "a")})}})),
              SqsError::kQueueDoesNotExist, "The specified queue does not exist.");
  // Other per-entry problems stay per entry.
  auto r = Call("SendMessageBatch",
                Struct({{"QueueUrl", S(kFifoUrl)}, {"Entries", Entries({delayed})}}));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(Count(*r, "Failed"), 1u);
  EXPECT_EQ(Str(Item(*r, "Failed", 0), "Message"),
            "Value 3 for parameter DelaySeconds is invalid. Reason: The request include parameter "
            "that is not valid for this queue type.");
  EXPECT_TRUE(engine_.sends.empty());
}

TEST_F(BatchTest, EntrySizeLimitText) {
  auto r =
      Call("SendMessageBatch",
           Struct({{"QueueUrl", S(kQueueUrl)},
                   {"Entries", Entries({Struct({{"Id", S("big")},
                                                {"MessageBody", S(std::string(1048570, 'a'))},
                                                {"MessageAttributes",
                                                 Map({{"attr", StrAttr("0123456789")}})}})})}}));
  // 1048570 + 4 + 6 + 10 > 1 MiB: over the batch limit first.
  ExpectError(r, SqsError::kBatchRequestTooLong,
              "Batch requests cannot be longer than 1048576 bytes. You have sent 1048590 bytes.");
}

TEST_F(BatchTest, AllEntriesInvalidStillChecksTheQueue) {
  auto bad = Struct({{"QueueUrl", S("http://h/000000000000/missing")},
                     {"Entries", Entries({Struct({{"Id", S("x")}})})}});
  ExpectError(Call("SendMessageBatch", bad), SqsError::kQueueDoesNotExist,
              "The specified queue does not exist.");
  auto r =
      Call("SendMessageBatch",
           Struct({{"QueueUrl", S(kQueueUrl)}, {"Entries", Entries({Struct({{"Id", S("x")}})})}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Count(*r, "Failed"), 1u);
  ASSERT_TRUE(r->Get("Successful"));
  EXPECT_EQ(Count(*r, "Successful"), 0u);
}

TEST_F(BatchTest, DeleteBatch) {
  engine_.handle_status["bad"] =
      Status(SqsError::kReceiptHandleIsInvalid, "The input receipt handle \"bad\" is not valid.");
  auto r =
      Call("DeleteMessageBatch",
           Struct({{"QueueUrl", S(kQueueUrl)},
                   {"Entries", Entries({Struct({{"Id", S("1")}, {"ReceiptHandle", S("good")}}),
                                        Struct({{"Id", S("2")}, {"ReceiptHandle", S("bad")}}),
                                        Struct({{"Id", S("3")}}),
                                        Struct({{"Id", S("4")}, {"ReceiptHandle", S(" ")}})})}}));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(Count(*r, "Successful"), 1u);
  EXPECT_EQ(Str(Item(*r, "Successful", 0), "Id"), "1");
  ASSERT_EQ(Count(*r, "Failed"), 3u);
  EXPECT_EQ(Str(Item(*r, "Failed", 0), "Id"), "2");
  EXPECT_EQ(Str(Item(*r, "Failed", 0), "Code"), "ReceiptHandleIsInvalid");
  EXPECT_EQ(Str(Item(*r, "Failed", 0), "Message"),
            "The input receipt handle \"bad\" is not valid.");
  EXPECT_EQ(Str(Item(*r, "Failed", 1), "Code"), "MissingParameter");
  EXPECT_EQ(Str(Item(*r, "Failed", 1), "Message"),
            "The request must contain the parameter ReceiptHandle.");
  EXPECT_EQ(Str(Item(*r, "Failed", 2), "Id"), "4");
  ASSERT_EQ(engine_.deletes.size(), 1u);
  EXPECT_EQ(engine_.deletes[0].second, (std::vector<std::string>{"good", "bad"}));

  ExpectError(
      Call("DeleteMessageBatch", Struct({{"QueueUrl", S(kQueueUrl)}, {"Entries", List({})}})),
      SqsError::kEmptyBatchRequest,
      "There should be at least one DeleteMessageBatchRequestEntry in the request.");
  ExpectError(
      Call("DeleteMessageBatch",
           Struct({{"QueueUrl", S(kQueueUrl)},
                   {"Entries", Entries({Struct({{"Id", S("a")}, {"ReceiptHandle", S("x")}}),
                                        Struct({{"Id", S("a")}, {"ReceiptHandle", S("y")}})})}})),
      SqsError::kBatchEntryIdsNotDistinct, "Id a repeated.");
}

TEST_F(BatchTest, ChangeVisibilityBatch) {
  auto r = Call(
      "ChangeMessageVisibilityBatch",
      Struct(
          {{"QueueUrl", S(kQueueUrl)},
           {"Entries",
            Entries(
                {Struct(
                     {{"Id", S("ok")}, {"ReceiptHandle", S("h1")}, {"VisibilityTimeout", I(30)}}),
                 Struct(
                     {{"Id", S("neg")}, {"ReceiptHandle", S("h2")}, {"VisibilityTimeout", I(-85)}}),
                 Struct({{"Id", S("none")}, {"ReceiptHandle", S("h3")}}),
                 Struct({{"Id", S("nohandle")}, {"VisibilityTimeout", I(1)}})})}}));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(Count(*r, "Successful"), 1u);
  ASSERT_EQ(Count(*r, "Failed"), 3u);
  EXPECT_EQ(Str(Item(*r, "Failed", 0), "Message"),
            "Value -85 for parameter VisibilityTimeout is invalid. Reason: VisibilityTimeout must "
            "be an integer between 0 and 43200.");
  EXPECT_EQ(Str(Item(*r, "Failed", 0), "Code"), "InvalidParameterValue");
  EXPECT_EQ(Str(Item(*r, "Failed", 1), "Message"),
            "The request must contain the parameter "
            "ChangeMessageVisibilityBatchRequestEntry.3.VisibilityTimeout.");
  EXPECT_EQ(Str(Item(*r, "Failed", 2), "Message"),
            "The request must contain the parameter ReceiptHandle.");
  ASSERT_EQ(engine_.visibility_changes.size(), 1u);
  ASSERT_EQ(engine_.visibility_changes[0].second.size(), 1u);
  EXPECT_EQ(engine_.visibility_changes[0].second[0].visibility_timeout, 30);

  std::vector<Value> eleven;
  for (int i = 0; i < 11; ++i) {
    eleven.push_back(Struct({{"Id", S("e" + std::to_string(i))}, {"ReceiptHandle", S("h")}}));
  }
  ExpectError(Call("ChangeMessageVisibilityBatch",
                   Struct({{"QueueUrl", S(kQueueUrl)}, {"Entries", Entries(eleven)}})),
              SqsError::kTooManyEntriesInBatchRequest,
              "Maximum number of entries per request are 10. You have sent 11.");
}

TEST_F(BatchTest, EngineQueueErrorFailsTheWholeBatch) {
  ExpectError(
      Call("DeleteMessageBatch",
           Struct({{"QueueUrl", S("http://h/000000000000/missing")},
                   {"Entries", Entries({Struct({{"Id", S("1")}, {"ReceiptHandle", S("h")}})})}}),
           QueryCtx()),
      SqsError::kQueueDoesNotExist, "The specified queue does not exist for this wsdl version.");
}

}  // namespace
}  // namespace sluice::sqs::testing
