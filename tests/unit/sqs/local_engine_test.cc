// The SQS handlers over the real local engine (in memory, fake clock): the paths a client walks.
#include <gtest/gtest.h>

#include <memory>

#include "common/clock.h"
#include "common/encoding.h"
#include "engine/local/local_engine.h"
#include "sqs_test_util.h"

namespace sluice::sqs::testing {
namespace {

class LocalEngineSqsTest : public ::testing::Test {
 protected:
  LocalEngineSqsTest()
      : engine_(engine::NewLocalEngine(clock_, engine::EngineOptions{})),
        service_(MakeSqsService(services::Platform{.queues = engine_.get()}, SqsOptions{})) {}

  ~LocalEngineSqsTest() override { engine_->Shutdown(); }

  // Calls and expects the reply before returning (short polls).
  Result<Value> Call(const std::string& op, Value input, const RequestContext& ctx = JsonCtx()) {
    std::optional<Result<Value>> got;
    service_.handlers.at(op)(ctx, std::move(input),
                             [&](Result<Value> r) { got.emplace(std::move(r)); });
    EXPECT_TRUE(got) << op << " did not reply";
    if (!got) return Status(ErrorCode::kInternalError, "no reply");
    return std::move(*got);
  }

  std::string CreateQueue(const std::string& name, Value attributes = Value::Map()) {
    auto r = Call("CreateQueue", Struct({{"QueueName", S(name)}, {"Attributes", attributes}}));
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? std::string(r->GetString("QueueUrl").value_or("")) : "";
  }

  static const Value& Msg(const Result<Value>& r, std::size_t i = 0) {
    return r->Get("Messages")->items().at(i);
  }
  static std::size_t Count(const Result<Value>& r) {
    const Value* m = r->Get("Messages");
    return m ? m->items().size() : 0;
  }

  FakeClock clock_;
  std::unique_ptr<engine::Engine> engine_;
  protocol::ServiceDefinition service_;
};

TEST_F(LocalEngineSqsTest, SendReceiveDelete) {
  const std::string url = CreateQueue("q1");
  EXPECT_EQ(url, "http://localhost:9324/000000000000/q1");

  auto sent =
      Call("SendMessage",
           Struct({{"QueueUrl", S(url)},
                   {"MessageBody", S("hello")},
                   {"MessageAttributes", Map({{"General", StrAttr("Kenobi")},
                                              {"Hello", StrAttr("There")},
                                              {"Help.Me", StrAttr("Me")}})},
                   {"MessageSystemAttributes", Map({{"AWSTraceHeader", StrAttr("Root=1")}})}}));
  ASSERT_TRUE(sent.ok()) << sent.status().message();
  EXPECT_EQ(sent->GetString("MD5OfMessageBody").value_or(""), "5d41402abc4b2a76b9719d911017c592");
  EXPECT_EQ(sent->GetString("MD5OfMessageAttributes").value_or(""),
            "4c360f3fdafd970e05fae2f149d997f5");
  EXPECT_TRUE(sent->Get("MD5OfMessageSystemAttributes"));

  auto got =
      Call("ReceiveMessage", Struct({{"QueueUrl", S(url)},
                                     {"MessageAttributeNames", List({S("General"), S("Hello")})},
                                     {"MessageSystemAttributeNames", List({S("All")})}}));
  ASSERT_TRUE(got.ok()) << got.status().message();
  ASSERT_EQ(Count(got), 1u);
  const Value& m = Msg(got);
  EXPECT_EQ(m.GetString("MessageId"), sent->GetString("MessageId"));
  EXPECT_EQ(m.GetString("Body").value_or(""), "hello");
  EXPECT_EQ(m.GetString("MD5OfBody").value_or(""), "5d41402abc4b2a76b9719d911017c592");
  EXPECT_EQ(m.GetString("MD5OfMessageAttributes").value_or(""), "fca026605781cb4126a1e9044df24232");
  const Value* attrs = m.Get("Attributes");
  ASSERT_TRUE(attrs);
  EXPECT_EQ(attrs->GetString("SenderId").value_or(""), "000000000000");
  EXPECT_EQ(attrs->GetString("ApproximateReceiveCount").value_or(""), "1");
  EXPECT_EQ(attrs->GetString("AWSTraceHeader").value_or(""), "Root=1");
  EXPECT_EQ(attrs->GetString("SentTimestamp").value_or(""), std::to_string(clock_.NowMs()));

  // In flight: nothing more to receive.
  EXPECT_EQ(Count(Call("ReceiveMessage", Struct({{"QueueUrl", S(url)}}))), 0u);

  const std::string handle(m.GetString("ReceiptHandle").value_or(""));
  ASSERT_TRUE(
      Call("DeleteMessage", Struct({{"QueueUrl", S(url)}, {"ReceiptHandle", S(handle)}})).ok());
  clock_.AdvanceSeconds(31);
  EXPECT_EQ(Count(Call("ReceiveMessage", Struct({{"QueueUrl", S(url)}}))), 0u);

  auto bad = Call("DeleteMessage", Struct({{"QueueUrl", S(url)}, {"ReceiptHandle", S("garbage")}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), SqsError::kReceiptHandleIsInvalid);
}

TEST_F(LocalEngineSqsTest, VisibilityTimeoutAndChange) {
  const std::string url = CreateQueue("vis");
  ASSERT_TRUE(Call("SendMessage", Struct({{"QueueUrl", S(url)}, {"MessageBody", S("m")}})).ok());
  auto got = Call("ReceiveMessage", Struct({{"QueueUrl", S(url)}, {"VisibilityTimeout", I(10)}}));
  ASSERT_EQ(Count(got), 1u);
  const std::string handle(Msg(got).GetString("ReceiptHandle").value_or(""));
  ASSERT_TRUE(Call("ChangeMessageVisibility", Struct({{"QueueUrl", S(url)},
                                                      {"ReceiptHandle", S(handle)},
                                                      {"VisibilityTimeout", I(0)}}))
                  .ok());
  got = Call("ReceiveMessage", Struct({{"QueueUrl", S(url)},
                                       {"AttributeNames", List({S("ApproximateReceiveCount")})}}));
  ASSERT_EQ(Count(got), 1u);
  EXPECT_EQ(Msg(got).Get("Attributes")->GetString("ApproximateReceiveCount").value_or(""), "2");
}

TEST_F(LocalEngineSqsTest, BatchesWithPartialFailures) {
  const std::string url = CreateQueue("batch");
  Value entries = Value::List();
  for (int i = 0; i < 10; ++i) {
    entries.Append(Struct({{"Id", S("m" + std::to_string(i))},
                           {"MessageBody", S(i == 3 ? "" : "body" + std::to_string(i))}}));
  }
  auto sent = Call("SendMessageBatch", Struct({{"QueueUrl", S(url)}, {"Entries", entries}}));
  ASSERT_TRUE(sent.ok()) << sent.status().message();
  EXPECT_EQ(sent->Get("Successful")->items().size(), 9u);
  ASSERT_EQ(sent->Get("Failed")->items().size(), 1u);
  EXPECT_EQ(sent->Get("Failed")->items()[0].GetString("Id").value_or(""), "m3");

  auto got = Call("ReceiveMessage", Struct({{"QueueUrl", S(url)}, {"MaxNumberOfMessages", I(10)}}));
  ASSERT_EQ(Count(got), 9u);
  Value deletes = Value::List();
  for (std::size_t i = 0; i < 9; ++i) {
    deletes.Append(
        Struct({{"Id", S("d" + std::to_string(i))},
                {"ReceiptHandle",
                 Msg(got, i).Get("ReceiptHandle") ? *Msg(got, i).Get("ReceiptHandle") : S("")}}));
  }
  deletes.Append(Struct({{"Id", S("bad")}, {"ReceiptHandle", S("not-a-handle")}}));
  auto deleted = Call("DeleteMessageBatch", Struct({{"QueueUrl", S(url)}, {"Entries", deletes}}));
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->Get("Successful")->items().size(), 9u);
  ASSERT_EQ(deleted->Get("Failed")->items().size(), 1u);
  const Value& failed = deleted->Get("Failed")->items()[0];
  EXPECT_EQ(failed.GetString("Id").value_or(""), "bad");
  EXPECT_EQ(failed.GetString("Code").value_or(""), "ReceiptHandleIsInvalid");
  EXPECT_TRUE(failed.GetBool("SenderFault").value_or(false));
}

TEST_F(LocalEngineSqsTest, FifoSendReceiveSystemAttributes) {
  const std::string url = CreateQueue(
      "f.fifo", Map({{"FifoQueue", S("true")}, {"ContentBasedDeduplication", S("true")}}));
  ASSERT_FALSE(url.empty());
  auto a =
      Call("SendMessage",
           Struct({{"QueueUrl", S(url)}, {"MessageBody", S("one")}, {"MessageGroupId", S("g")}}));
  ASSERT_TRUE(a.ok()) << a.status().message();
  const std::string seq(a->GetString("SequenceNumber").value_or(""));
  EXPECT_EQ(seq.size(), 20u);
  auto dup =
      Call("SendMessage",
           Struct({{"QueueUrl", S(url)}, {"MessageBody", S("one")}, {"MessageGroupId", S("g")}}));
  ASSERT_TRUE(dup.ok());
  EXPECT_EQ(dup->GetString("MessageId"), a->GetString("MessageId"));
  EXPECT_EQ(dup->GetString("SequenceNumber").value_or(""), seq);
  // Per-message delay and a missing group are rejected by the handler.
  auto delayed = Call("SendMessage", Struct({{"QueueUrl", S(url)},
                                             {"MessageBody", S("x")},
                                             {"MessageGroupId", S("g")},
                                             {"DelaySeconds", I(3)}}));
  EXPECT_EQ(delayed.status().code(), ErrorCode::kInvalidParameterValue);
  auto nogroup = Call("SendMessage", Struct({{"QueueUrl", S(url)}, {"MessageBody", S("x")}}));
  EXPECT_EQ(nogroup.status().code(), ErrorCode::kMissingParameter);
  auto got = Call("ReceiveMessage", Struct({{"QueueUrl", S(url)},
                                            {"MaxNumberOfMessages", I(10)},
                                            {"AttributeNames", List({S("All")})}}));
  ASSERT_EQ(Count(got), 1u);
  const Value* attrs = Msg(got).Get("Attributes");
  ASSERT_NE(attrs, nullptr);
  EXPECT_EQ(attrs->GetString("MessageGroupId").value_or(""), "g");
  EXPECT_EQ(attrs->GetString("SequenceNumber").value_or(""), seq);
  EXPECT_EQ(attrs->GetString("MessageDeduplicationId").value_or(""), Sha256Hex("one"));
}

TEST_F(LocalEngineSqsTest, LongPollIsAnsweredBySend) {
  const std::string url = CreateQueue("poll");
  std::optional<Result<Value>> got;
  service_.handlers.at("ReceiveMessage")(JsonCtx(),
                                         Struct({{"QueueUrl", S(url)}, {"WaitTimeSeconds", I(20)}}),
                                         [&](Result<Value> r) { got.emplace(std::move(r)); });
  EXPECT_FALSE(got);
  ASSERT_TRUE(Call("SendMessage", Struct({{"QueueUrl", S(url)}, {"MessageBody", S("late")}})).ok());
  ASSERT_TRUE(got);
  ASSERT_TRUE(got->ok());
  ASSERT_TRUE((*got)->Get("Messages"));
  EXPECT_EQ((*got)->Get("Messages")->items()[0].GetString("Body").value_or(""), "late");
}

TEST_F(LocalEngineSqsTest, LongPollTimesOutEmpty) {
  const std::string url = CreateQueue("poll2");
  std::optional<Result<Value>> got;
  service_.handlers.at("ReceiveMessage")(JsonCtx(),
                                         Struct({{"QueueUrl", S(url)}, {"WaitTimeSeconds", I(5)}}),
                                         [&](Result<Value> r) { got.emplace(std::move(r)); });
  EXPECT_FALSE(got);
  clock_.AdvanceSeconds(5);
  ASSERT_TRUE(got);
  ASSERT_TRUE(got->ok());
  EXPECT_FALSE((*got)->Get("Messages"));
}

TEST_F(LocalEngineSqsTest, QueueLifecycleAndErrors) {
  const std::string url = CreateQueue("life", Map({{"DelaySeconds", S("5")}}));
  // Same name, different attribute.
  auto again =
      Call("CreateQueue",
           Struct({{"QueueName", S("life")}, {"Attributes", Map({{"DelaySeconds", S("6")}})}}));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), SqsError::kQueueNameExists);

  auto attrs = Call("GetQueueAttributes",
                    Struct({{"QueueUrl", S(url)}, {"AttributeNames", List({S("All")})}}));
  ASSERT_TRUE(attrs.ok());
  EXPECT_EQ(attrs->Get("Attributes")->GetString("DelaySeconds").value_or(""), "5");
  EXPECT_EQ(attrs->Get("Attributes")->GetString("QueueArn").value_or(""),
            "arn:aws:sqs:us-east-1:000000000000:life");

  auto bad = Call(
      "SetQueueAttributes",
      Struct({{"QueueUrl", S(url)}, {"Attributes", Map({{"VisibilityTimeout", S("43201")}})}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), SqsError::kInvalidAttributeValue);

  ASSERT_TRUE(Call("PurgeQueue", Struct({{"QueueUrl", S(url)}})).ok());
  auto purge = Call("PurgeQueue", Struct({{"QueueUrl", S(url)}}));
  ASSERT_FALSE(purge.ok());
  EXPECT_EQ(purge.status().code(), SqsError::kPurgeQueueInProgress);

  ASSERT_TRUE(
      Call("TagQueue", Struct({{"QueueUrl", S(url)}, {"Tags", Map({{"env", S("dev")}})}})).ok());
  auto tags = Call("ListQueueTags", Struct({{"QueueUrl", S(url)}}));
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ(tags->Get("Tags")->GetString("env").value_or(""), "dev");

  ASSERT_TRUE(Call("DeleteQueue", Struct({{"QueueUrl", S(url)}})).ok());
  auto gone = Call("GetQueueUrl", Struct({{"QueueName", S("life")}}), QueryCtx());
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), SqsError::kQueueDoesNotExist);
  EXPECT_EQ(gone.status().message(), "The specified queue does not exist for this wsdl version.");
  auto send = Call("SendMessage", Struct({{"QueueUrl", S(url)}, {"MessageBody", S("x")}}));
  ASSERT_FALSE(send.ok());
  EXPECT_EQ(send.status().message(), "The specified queue does not exist.");
}

TEST_F(LocalEngineSqsTest, ListQueuesPaginates) {
  for (const char* n : {"p-a", "p-b", "p-c", "other"}) CreateQueue(n);
  auto page = Call("ListQueues", Struct({{"QueueNamePrefix", S("p-")}, {"MaxResults", I(2)}}));
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->Get("QueueUrls")->items().size(), 2u);
  auto next = Call("ListQueues", Struct({{"QueueNamePrefix", S("p-")},
                                         {"MaxResults", I(2)},
                                         {"NextToken", *page->Get("NextToken")}}));
  ASSERT_TRUE(next.ok());
  ASSERT_EQ(next->Get("QueueUrls")->items().size(), 1u);
  EXPECT_EQ(next->Get("QueueUrls")->items()[0].as_string(),
            "http://localhost:9324/000000000000/p-c");
  EXPECT_FALSE(next->Get("NextToken"));
}

TEST_F(LocalEngineSqsTest, DeadLetterSources) {
  const std::string dlq = CreateQueue("dlq");
  CreateQueue(
      "src",
      Map({{"RedrivePolicy", S(R"({"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq",)"
                               R"("maxReceiveCount":1})")}}));
  auto r = Call("ListDeadLetterSourceQueues", Struct({{"QueueUrl", S(dlq)}}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->Get("queueUrls")->items().size(), 1u);
  EXPECT_EQ(r->Get("queueUrls")->items()[0].as_string(), "http://localhost:9324/000000000000/src");
}

TEST_F(LocalEngineSqsTest, PathAddressedQueryRequests) {
  CreateQueue("pathq");
  ASSERT_TRUE(
      Call("SendMessage", Struct({{"MessageBody", S("via path")}}), QueryCtx("/000000000000/pathq"))
          .ok());
  auto got = Call("ReceiveMessage", Value::Struct(), QueryCtx("/000000000000/pathq"));
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(Count(got), 1u);
  EXPECT_EQ(Msg(got).GetString("Body").value_or(""), "via path");
}

}  // namespace
}  // namespace sluice::sqs::testing
