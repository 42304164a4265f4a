// SendMessage, ReceiveMessage, DeleteMessage, ChangeMessageVisibility against the FakeEngine.
#include <gtest/gtest.h>

#include "sqs_test_util.h"

namespace sluice::sqs::testing {
namespace {

constexpr char kAllowedSet[] =
    "the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | "
    "#x10000 to #x10FFFF";

class SendMessageTest : public SqsTest {};

TEST_F(SendMessageTest, SendsAndAnswersChecksums) {
  auto r = Call("SendMessage", Struct({{"QueueUrl", S(kQueueUrl)},
                                       {"MessageBody", S("hello")},
                                       {"MessageAttributes", Map({{"greeting", StrAttr("hi")}})}}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Str(*r, "MessageId"), "msg-1");
  EXPECT_EQ(Str(*r, "MD5OfMessageBody"), "5d41402abc4b2a76b9719d911017c592");
  EXPECT_EQ(Str(*r, "MD5OfMessageAttributes"), "7c50c7ee3dca03a9a7c3f73e6c838c20");
  EXPECT_FALSE(r->Get("MD5OfMessageSystemAttributes"));
  EXPECT_FALSE(r->Get("SequenceNumber"));

  ASSERT_EQ(engine_.sends.size(), 1u);
  const auto& [id, reqs] = engine_.sends[0];
  EXPECT_EQ(id, (engine::QueueId{kAccount, "q1", "us-east-1"}));
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].body, "hello");
  EXPECT_EQ(reqs[0].sender_id, kAccount);
  EXPECT_EQ(reqs[0].size, 5u + 8u + 6u + 2u);
  EXPECT_FALSE(reqs[0].delay_seconds);
  ASSERT_EQ(reqs[0].attributes.size(), 1u);
  EXPECT_EQ(reqs[0].attributes[0].name, "greeting");
}

TEST_F(SendMessageTest, Md5VectorsFromTheFactPack) {
  // V3: String + Number + Binary with a custom type label and a non-ASCII value.
  auto r = Call(
      "SendMessage",
      Struct({{"QueueUrl", S(kQueueUrl)},
              {"MessageBody", S("x")},
              {"MessageAttributes",
               Map({{"name", StrAttr("caf\xC3\xA9", "String.custom")},
                    {"count", StrAttr("42", "Number")},
                    {"blob", Struct({{"DataType", S("Binary")},
                                     {"BinaryValue", B(std::string("\x01\x02\x03"))}})}})},
              {"MessageSystemAttributes",
               Map({{"AWSTraceHeader", StrAttr("Root=1-5759e988-bd862e3fe1be46a994272793;Parent="
                                               "53995c3f42cd8ad8;Sampled=1")}})}}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Str(*r, "MD5OfMessageAttributes"), "0259b5d53b62083e93646e1f00a64728");
  EXPECT_EQ(Str(*r, "MD5OfMessageSystemAttributes"), "5ae4d5d7636402d80f4eb6d213245a88");
  ASSERT_EQ(engine_.sends.size(), 1u);
  EXPECT_EQ(engine_.sends[0].second[0].trace_header.value_or(""),
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1");
}

TEST_F(SendMessageTest, TraceHeaderFromTheHttpHeader) {
  // X-Ray-instrumented SDKs send X-Amzn-Trace-Id: it becomes every message's AWSTraceHeader
  // unless the message carries its own (AWS X-Ray guide: the system attribute wins).
  constexpr char kTrace[] =
      "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
  auto ctx = QueryCtx();
  ctx.trace_header = kTrace;
  auto r = Call("SendMessage", Struct({{"QueueUrl", S(kQueueUrl)}, {"MessageBody", S("a")}}), ctx);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(engine_.sends.back().second[0].trace_header.value_or(""), kTrace);
  EXPECT_FALSE(r->Get("MD5OfMessageSystemAttributes"));  // nothing was sent in the request
  r = Call("SendMessage",
           Struct({{"QueueUrl", S(kQueueUrl)},
                   {"MessageBody", S("a")},
                   {"MessageSystemAttributes", Map({{"AWSTraceHeader", StrAttr("Root=own")}})}}),
           ctx);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(engine_.sends.back().second[0].trace_header.value_or(""), "Root=own");
  EXPECT_TRUE(r->Get("MD5OfMessageSystemAttributes"));
  auto batch =
      Call("SendMessageBatch",
           Struct({{"QueueUrl", S(kQueueUrl)},
                   {"Entries", List({Struct({{"Id", S("a")}, {"MessageBody", S("a")}}),
                                     Struct({{"Id", S("b")}, {"MessageBody", S("b")}})})}}),
           ctx);
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(engine_.sends.back().second.size(), 2u);
  for (const auto& req : engine_.sends.back().second) {
    EXPECT_EQ(req.trace_header.value_or(""), kTrace);
  }
  // A header SQS could not store (a control character) is ignored, not an error.
  ctx.trace_header = std::string("Root=1\x01", 7);
  ASSERT_TRUE(
      Call("SendMessage", Struct({{"QueueUrl", S(kQueueUrl)}, {"MessageBody", S("a")}}), ctx).ok());
  EXPECT_FALSE(engine_.sends.back().second[0].trace_header);
}

TEST_F(SendMessageTest, SenderIdFromContext) {
  auto ctx = JsonCtx();
  ctx.sender_id = "AIDAEXAMPLE";
  ASSERT_TRUE(
      Call("SendMessage", Struct({{"QueueUrl", S(kQueueUrl)}, {"MessageBody", S("a")}}), ctx).ok());
  EXPECT_EQ(engine_.sends[0].second[0].sender_id, "AIDAEXAMPLE");
}

TEST_F(SendMessageTest, BodyRequired) {
  ExpectError(Call("SendMessage", Struct({{"QueueUrl", S(kQueueUrl)}})),
              ErrorCode::kMissingParameter, "The request must contain the parameter MessageBody.");
  ExpectError(Call("SendMessage", Struct({{"QueueUrl", S(kQueueUrl)}, {"MessageBody", S("")}})),
              ErrorCode::kMissingParameter, "The request must contain the parameter MessageBody.");
  EXPECT_TRUE(engine_.sends.empty());
}

TEST_F(SendMessageTest, BodyCharacters) {
  ExpectError(
      Call("SendMessage",
           Struct({{"QueueUrl", S(kQueueUrl)}, {"MessageBody", S(std::string("bad\x01", 4))}})),
      SqsError::kInvalidMessageContents,
      std::string("Invalid binary character '#x1' was found in the message body, ") + kAllowedSet);
  ExpectError(
      Call("SendMessage", Struct({{"QueueUrl", S(kQueueUrl)}, {"MessageBody", S("\xC3(")}})),
      SqsError::kInvalidMessageContents,
      std::string("Invalid binary character '#xC3' was found in the message body, ") + kAllowedSet);
}

TEST_F(SendMessageTest, DelaySeconds) {
  ExpectError(
      Call("SendMessage",
           Struct({{"QueueUrl", S(kQueueUrl)}, {"MessageBody", S("a")}, {"DelaySeconds", I(901)}})),
      ErrorCode::kInvalidParameterValue,
      "Value 901 for parameter DelaySeconds is invalid. Reason: Must be >= 0 and <= 900, "
      "if provided.");
  ExpectError(
      Call("SendMessage",
           Struct({{"QueueUrl", S(kQueueUrl)}, {"MessageBody", S("a")}, {"DelaySeconds", I(-1)}})),
      ErrorCode::kInvalidParameterValue,
      "Value -1 for parameter DelaySeconds is invalid. Reason: Must be >= 0 and <= 900, if "
      "provided.");
  ASSERT_TRUE(
      Call("SendMessage",
           Struct({{"QueueUrl", S(kQueueUrl)}, {"MessageBody", S("a")}, {"DelaySeconds", I(900)}}))
          .ok());
  EXPECT_EQ(engine_.sends.back().second[0].delay_seconds.value_or(-1), 900);
}

TEST_F(SendMessageTest, TooBig) {
  const std::string body(1048576, 'a');
  ASSERT_TRUE(
      Call("SendMessage", Struct({{"QueueUrl", S(kQueueUrl)}, {"MessageBody", S(body)}})).ok());
  ExpectError(Call("SendMessage", Struct({{"QueueUrl", S(kQueueUrl)},
                                          {"MessageBody", S(body)},
                                          {"MessageAttributes", Map({{"a", StrAttr("b")}})}})),
              ErrorCode::kInvalidParameterValue,
              "One or more parameters are invalid. Reason: Message must be shorter than 1048576 "
              "bytes.");
}

TEST_F(SendMessageTest, AttributeErrorsPropagate) {
  ExpectError(Call("SendMessage", Struct({{"QueueUrl", S(kQueueUrl)},
                                          {"MessageBody", S("a")},
                                          {"MessageAttributes", Map({{"x", StrAttr("")}})}})),
              ErrorCode::kInvalidParameterValue,
              "Message (user) attribute 'x' must contain a non-empty value of type 'String'.");
  ExpectError(
      Call("SendMessage", Struct({{"QueueUrl", S(kQueueUrl)},
                                  {"MessageBody", S("a")},
                                  {"MessageSystemAttributes", Map({{"Foo", StrAttr("x")}})}})),
      ErrorCode::kInvalidParameterValue, "Message system attribute name 'Foo' is invalid.");
}

TEST_F(SendMessageTest, StandardQueueGroupAndDedup) {
  // Fair queues: a group id is allowed on a standard queue, and validated.
  ASSERT_TRUE(Call("SendMessage", Struct({{"QueueUrl", S(kQueueUrl)},
                                          {"MessageBody", S("a")},
                                          {"MessageGroupId", S("tenant-1")}}))
                  .ok());
  EXPECT_EQ(engine_.sends.back().second[0].group_id.value_or(""), "tenant-1");
  ExpectError(Call("SendMessage", Struct({{"QueueUrl", S(kQueueUrl)},
                                          {"MessageBody", S("a")},
                                          {"MessageGroupId", S(std::string(129, 'g'))}})),
              ErrorCode::kInvalidParameterValue,
              "Value " + std::string(129, 'g') +
                  " for parameter MessageGroupId is invalid. Reason: MessageGroupId can only "
                  "include alphanumeric and punctuation characters. 1 to 128 in length.");
  // An empty group id is not "no group id" (AWS refuses it on a standard queue).
  ExpectError(
      Call(
          "SendMessage",
          Struct({{"QueueUrl", S(kQueueUrl)}, {"MessageBody", S("a")}, {"MessageGroupId", S("")}})),
      ErrorCode::kInvalidParameterValue,
      "Value  for parameter MessageGroupId is invalid. Reason: MessageGroupId can only "
      "include alphanumeric and punctuation characters. 1 to 128 in length.");
  auto batch =
      Call("SendMessageBatch", Struct({{"QueueUrl", S(kQueueUrl)},
                                       {"Entries", List({Struct({{"Id", S("e1")},
                                                                 {"MessageBody", S("a")},
                                                                 {"MessageGroupId", S("")}})})}}));
  ASSERT_TRUE(batch.ok()) << batch.status().message();
  ASSERT_EQ(batch->Get("Failed")->items().size(), 1u);
  EXPECT_EQ(Str(batch->Get("Failed")->items()[0], "Code"), "InvalidParameterValue");
  EXPECT_EQ(engine_.sends.size(), 1u);
  ExpectError(Call("SendMessage", Struct({{"QueueUrl", S(kQueueUrl)},
                                          {"MessageBody", S("a")},
                                          {"MessageDeduplicationId", S("d1")}})),
              ErrorCode::kInvalidParameterValue,
              "Value d1 for parameter MessageDeduplicationId is invalid. Reason: The request "
              "include parameter that is not valid for this queue type.");
}

TEST_F(SendMessageTest, FifoRules) {
  ExpectError(Call("SendMessage", Struct({{"QueueUrl", S(kFifoUrl)}, {"MessageBody", S("a")}})),
              ErrorCode::kMissingParameter,
              "The request must contain the parameter MessageGroupId.");
  ExpectError(Call("SendMessage", Struct({{"QueueUrl", S(kFifoUrl)},
                                          {"MessageBody", S("a")},
                                          {"MessageGroupId", S("g")},
                                          {"DelaySeconds", I(2)}})),
              ErrorCode::kInvalidParameterValue,
              "Value 2 for parameter DelaySeconds is invalid. Reason: The request include "
              "parameter that is not valid for this queue type.");
  engine_.sequence_number = "18849496460467696128";
  auto r = Call("SendMessage", Struct({{"QueueUrl", S(kFifoUrl)},
                                       {"MessageBody", S("a")},
                                       {"MessageGroupId", S("g")},
                                       {"MessageDeduplicationId", S("d-1")},
                                       {"DelaySeconds", I(0)}}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Str(*r, "SequenceNumber"), "18849496460467696128");
  const auto& req = engine_.sends.back().second[0];
  EXPECT_EQ(req.group_id.value_or(""), "g");
  EXPECT_EQ(req.dedup_id.value_or(""), "d-1");
  EXPECT_FALSE(req.delay_seconds);
}

TEST_F(SendMessageTest, EngineFailureIsTheAnswer) {
  engine_.send_failures[0] = Status(ErrorCode::kInvalidParameterValue,
                                    "The queue should either have ContentBasedDeduplication "
                                    "enabled or MessageDeduplicationId provided explicitly");
  ExpectError(
      Call(
          "SendMessage",
          Struct({{"QueueUrl", S(kFifoUrl)}, {"MessageBody", S("a")}, {"MessageGroupId", S("g")}})),
      ErrorCode::kInvalidParameterValue,
      "The queue should either have ContentBasedDeduplication enabled or "
      "MessageDeduplicationId provided explicitly");
}

// ---- queue addressing -------------------------------------------------------------------------

TEST_F(SendMessageTest, QueueUrlWithAnyHost) {
  ASSERT_TRUE(
      Call("SendMessage", Struct({{"QueueUrl", S("https://sqs.example.com/000000000000/q1")},
                                  {"MessageBody", S("a")}}))
          .ok());
  ASSERT_TRUE(
      Call("SendMessage", Struct({{"QueueUrl", S("/000000000000/q1")}, {"MessageBody", S("a")}}))
          .ok());
  EXPECT_EQ(engine_.sends.size(), 2u);
}

TEST_F(SendMessageTest, QueueUrlMayBeTheBareQueueName) {
  ASSERT_TRUE(Call("SendMessage", Struct({{"QueueUrl", S("q1")}, {"MessageBody", S("a")}})).ok());
  ASSERT_EQ(engine_.sends.size(), 1u);
  EXPECT_EQ(engine_.sends[0].first, (engine::QueueId{kAccount, "q1", "us-east-1"}));
  auto ctx = JsonCtx();
  ctx.account_id = "111122223333";  // the caller's account, not the default one
  ExpectError(Call("SendMessage", Struct({{"QueueUrl", S("q1")}, {"MessageBody", S("a")}}), ctx),
              SqsError::kQueueDoesNotExist, "The specified queue does not exist.");
}

TEST_F(SendMessageTest, QueueFromRequestPath) {
  // Java SDK v1 / GET scripts: Query request sent to the queue URL, no QueueUrl parameter.
  ASSERT_TRUE(
      Call("SendMessage", Struct({{"MessageBody", S("a")}}), QueryCtx("/000000000000/q1")).ok());
  ASSERT_EQ(engine_.sends.size(), 1u);
  EXPECT_EQ(engine_.sends[0].first, (engine::QueueId{kAccount, "q1", "us-east-1"}));
  // QueueUrl wins over the path when both are present.
  ASSERT_TRUE(
      Call("SendMessage",
           Struct({{"QueueUrl", S(kFifoUrl)}, {"MessageBody", S("a")}, {"MessageGroupId", S("g")}}),
           QueryCtx("/000000000000/q1"))
          .ok());
  EXPECT_EQ(engine_.sends[1].first, (engine::QueueId{kAccount, "f1.fifo", "us-east-1"}));
}

TEST_F(SendMessageTest, MissingOrMalformedQueue) {
  ExpectError(Call("SendMessage", Struct({{"MessageBody", S("a")}})), SqsError::kQueueDoesNotExist,
              "The specified queue does not exist.");
  ExpectError(Call("SendMessage", Struct({{"MessageBody", S("a")}}), QueryCtx("/")),
              SqsError::kQueueDoesNotExist,
              "The specified queue does not exist for this wsdl version.");
  ExpectError(Call("SendMessage", Struct({{"QueueUrl", S("not a url")}, {"MessageBody", S("a")}})),
              SqsError::kQueueDoesNotExist, "The specified queue does not exist.");
  // Unknown queue: the engine's error, worded per protocol.
  ExpectError(Call("SendMessage",
                   Struct({{"QueueUrl", S("http://h/000000000000/nope")}, {"MessageBody", S("a")}}),
                   QueryCtx()),
              SqsError::kQueueDoesNotExist,
              "The specified queue does not exist for this wsdl version.");
}

// ---- ReceiveMessage ---------------------------------------------------------------------------

engine::ReceivedMessage Message(std::string id) {
  engine::ReceivedMessage m;
  m.message_id = id;
  m.receipt_handle = "rh-" + id;
  m.body = "hello";
  m.md5_of_body = "5d41402abc4b2a76b9719d911017c592";
  m.sender_id = "AIDA";
  m.sent_timestamp = 1700000000000;
  m.first_receive_timestamp = 1700000001000;
  m.receive_count = 2;
  return m;
}

engine::MessageAttribute Attr(std::string name, std::string value) {
  engine::MessageAttribute a;
  a.name = std::move(name);
  a.data_type = "String";
  a.value = std::move(value);
  return a;
}

class ReceiveMessageTest : public SqsTest {};

TEST_F(ReceiveMessageTest, PassesLimitsToTheEngine) {
  ASSERT_TRUE(Call("ReceiveMessage", Struct({{"QueueUrl", S(kQueueUrl)},
                                             {"MaxNumberOfMessages", I(10)},
                                             {"VisibilityTimeout", I(0)},
                                             {"WaitTimeSeconds", I(20)},
                                             {"ReceiveRequestAttemptId", S("att-1")}}))
                  .ok());
  ASSERT_EQ(engine_.receives.size(), 1u);
  const auto& req = engine_.receives[0].second;
  EXPECT_EQ(req.max_messages, 10);
  EXPECT_EQ(req.visibility_timeout.value_or(-1), 0);
  EXPECT_EQ(req.wait_seconds.value_or(-1), 20);
  EXPECT_EQ(req.receive_request_attempt_id, "att-1");

  ASSERT_TRUE(Call("ReceiveMessage", Struct({{"QueueUrl", S(kQueueUrl)}})).ok());
  const auto& defaults = engine_.receives[1].second;
  EXPECT_EQ(defaults.max_messages, 1);
  EXPECT_FALSE(defaults.visibility_timeout);
  EXPECT_FALSE(defaults.wait_seconds);
}

TEST_F(ReceiveMessageTest, RangeErrors) {
  ExpectError(
      Call("ReceiveMessage", Struct({{"QueueUrl", S(kQueueUrl)}, {"MaxNumberOfMessages", I(11)}})),
      ErrorCode::kInvalidParameterValue,
      "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 "
      "and 10, if provided.");
  ExpectError(
      Call("ReceiveMessage", Struct({{"QueueUrl", S(kQueueUrl)}, {"MaxNumberOfMessages", I(0)}})),
      ErrorCode::kInvalidParameterValue,
      "Value 0 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 "
      "and 10, if provided.");
  ExpectError(
      Call("ReceiveMessage", Struct({{"QueueUrl", S(kQueueUrl)}, {"WaitTimeSeconds", I(21)}})),
      ErrorCode::kInvalidParameterValue,
      "Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, "
      "if provided.");
  ExpectError(
      Call("ReceiveMessage", Struct({{"QueueUrl", S(kQueueUrl)}, {"VisibilityTimeout", I(43201)}})),
      ErrorCode::kInvalidParameterValue,
      "Value 43201 for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, "
      "if provided.");
  ExpectError(Call("ReceiveMessage",
                   Struct({{"QueueUrl", S(kQueueUrl)}, {"ReceiveRequestAttemptId", S("a b")}})),
              ErrorCode::kInvalidParameterValue,
              "Value a b for parameter ReceiveRequestAttemptId is invalid. Reason: "
              "ReceiveRequestAttemptId can only include alphanumeric and punctuation characters. "
              "1 to 128 in length.");
  EXPECT_TRUE(engine_.receives.empty());
}

TEST_F(ReceiveMessageTest, NoMessagesOmitsTheList) {
  auto r = Call("ReceiveMessage", Struct({{"QueueUrl", S(kQueueUrl)}}));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->Get("Messages"));
}

TEST_F(ReceiveMessageTest, BasicMessageWithoutAttributes) {
  auto m = Message("m1");
  m.attributes = {Attr("a", "1")};
  engine_.to_receive = {m};
  auto r = Call("ReceiveMessage", Struct({{"QueueUrl", S(kQueueUrl)}}));
  ASSERT_TRUE(r.ok());
  const Value* messages = r->Get("Messages");
  ASSERT_TRUE(messages);
  ASSERT_EQ(messages->items().size(), 1u);
  const Value& msg = messages->items()[0];
  EXPECT_EQ(Str(msg, "MessageId"), "m1");
  EXPECT_EQ(Str(msg, "ReceiptHandle"), "rh-m1");
  EXPECT_EQ(Str(msg, "MD5OfBody"), "5d41402abc4b2a76b9719d911017c592");
  EXPECT_EQ(Str(msg, "Body"), "hello");
  // Nothing selected: no system attributes, no user attributes, no digest.
  EXPECT_FALSE(msg.Get("Attributes"));
  EXPECT_FALSE(msg.Get("MessageAttributes"));
  EXPECT_FALSE(msg.Get("MD5OfMessageAttributes"));
}

TEST_F(ReceiveMessageTest, SystemAttributesAll) {
  auto m = Message("m1");
  m.trace_header = "Root=1";
  m.group_id = "g";
  m.dedup_id = "d";
  m.sequence_number = "123";
  m.dead_letter_source_arn = "arn:aws:sqs:us-east-1:000000000000:src";
  engine_.to_receive = {m};
  auto r =
      Call("ReceiveMessage",
           Struct({{"QueueUrl", S(kQueueUrl)}, {"MessageSystemAttributeNames", List({S("All")})}}));
  ASSERT_TRUE(r.ok());
  const Value* attrs = r->Get("Messages")->items()[0].Get("Attributes");
  ASSERT_TRUE(attrs);
  EXPECT_EQ(Str(*attrs, "SenderId"), "AIDA");
  EXPECT_EQ(Str(*attrs, "SentTimestamp"), "1700000000000");
  EXPECT_EQ(Str(*attrs, "ApproximateReceiveCount"), "2");
  EXPECT_EQ(Str(*attrs, "ApproximateFirstReceiveTimestamp"), "1700000001000");
  EXPECT_EQ(Str(*attrs, "AWSTraceHeader"), "Root=1");
  EXPECT_EQ(Str(*attrs, "MessageGroupId"), "g");
  EXPECT_EQ(Str(*attrs, "MessageDeduplicationId"), "d");
  EXPECT_EQ(Str(*attrs, "SequenceNumber"), "123");
  EXPECT_EQ(Str(*attrs, "DeadLetterQueueSourceArn"), "arn:aws:sqs:us-east-1:000000000000:src");
  EXPECT_EQ(attrs->entries().size(), 9u);
}

TEST_F(ReceiveMessageTest, SystemAttributesUnionOfBothListsAndUnknownIgnored) {
  engine_.to_receive = {Message("m1")};
  auto r = Call("ReceiveMessage",
                Struct({{"QueueUrl", S(kQueueUrl)},
                        {"AttributeNames", List({S("SentTimestamp"), S("NoSuchAttribute")})},
                        {"MessageSystemAttributeNames", List({S("ApproximateReceiveCount")})}}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Value* attrs = r->Get("Messages")->items()[0].Get("Attributes");
  ASSERT_TRUE(attrs);
  EXPECT_EQ(attrs->entries().size(), 2u);
  EXPECT_EQ(Str(*attrs, "SentTimestamp"), "1700000000000");
  EXPECT_EQ(Str(*attrs, "ApproximateReceiveCount"), "2");
  // Present only when the message has them.
  engine_.to_receive = {Message("m2")};
  r = Call("ReceiveMessage",
           Struct({{"QueueUrl", S(kQueueUrl)}, {"AttributeNames", List({S("AWSTraceHeader")})}}));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->Get("Messages")->items()[0].Get("Attributes"));
}

// md5.md: General/Hello/Help.Me, received with only General and Hello selected.
TEST_F(ReceiveMessageTest, DigestCoversOnlyTheReturnedSubset) {
  auto m = Message("m1");
  m.attributes = {Attr("General", "Kenobi"), Attr("Hello", "There"), Attr("Help.Me", "Me")};
  engine_.to_receive = {m};
  auto r =
      Call("ReceiveMessage", Struct({{"QueueUrl", S(kQueueUrl)},
                                     {"MessageAttributeNames", List({S("General"), S("Hello")})}}));
  ASSERT_TRUE(r.ok());
  const Value& msg = r->Get("Messages")->items()[0];
  EXPECT_EQ(Str(msg, "MD5OfMessageAttributes"), "fca026605781cb4126a1e9044df24232");
  const Value* attrs = msg.Get("MessageAttributes");
  ASSERT_TRUE(attrs);
  ASSERT_EQ(attrs->entries().size(), 2u);
  EXPECT_EQ(Str(*attrs->Get("General"), "StringValue"), "Kenobi");
  EXPECT_EQ(Str(*attrs->Get("General"), "DataType"), "String");
  EXPECT_FALSE(attrs->Get("Help.Me"));

  for (const char* all : {"All", ".*", "*"}) {
    engine_.to_receive = {m};
    r = Call("ReceiveMessage",
             Struct({{"QueueUrl", S(kQueueUrl)}, {"MessageAttributeNames", List({S(all)})}}));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(Str(r->Get("Messages")->items()[0], "MD5OfMessageAttributes"),
              "4c360f3fdafd970e05fae2f149d997f5")
        << all;
  }
}

TEST_F(ReceiveMessageTest, PrefixSelection) {
  auto m = Message("m1");
  m.attributes = {Attr("General", "Kenobi"), Attr("Hello", "There"), Attr("Help.Me", "Me")};
  engine_.to_receive = {m};
  auto r =
      Call("ReceiveMessage",
           Struct({{"QueueUrl", S(kQueueUrl)}, {"MessageAttributeNames", List({S("Help.*")})}}));
  ASSERT_TRUE(r.ok());
  const Value& msg = r->Get("Messages")->items()[0];
  const Value* attrs = msg.Get("MessageAttributes");
  ASSERT_TRUE(attrs);
  EXPECT_EQ(attrs->entries().size(), 1u);
  EXPECT_TRUE(attrs->Get("Help.Me"));
  // No match at all: both members omitted.
  engine_.to_receive = {m};
  r = Call("ReceiveMessage",
           Struct({{"QueueUrl", S(kQueueUrl)}, {"MessageAttributeNames", List({S("Nope")})}}));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->Get("Messages")->items()[0].Get("MessageAttributes"));
  EXPECT_FALSE(r->Get("Messages")->items()[0].Get("MD5OfMessageAttributes"));
}

TEST_F(ReceiveMessageTest, BinaryAttributeAsBlob) {
  auto m = Message("m1");
  engine::MessageAttribute b;
  b.name = "blob";
  b.data_type = "Binary";
  b.binary = true;
  b.value = std::string("\x01\x02\x03");
  m.attributes = {b};
  engine_.to_receive = {m};
  auto r = Call("ReceiveMessage",
                Struct({{"QueueUrl", S(kQueueUrl)}, {"MessageAttributeNames", List({S("All")})}}));
  ASSERT_TRUE(r.ok());
  const Value* v = r->Get("Messages")->items()[0].Get("MessageAttributes")->Get("blob");
  ASSERT_TRUE(v);
  ASSERT_TRUE(v->Get("BinaryValue"));
  EXPECT_EQ(v->Get("BinaryValue")->kind(), Value::Kind::kBlob);
  EXPECT_EQ(v->Get("BinaryValue")->as_string(), "\x01\x02\x03");
  EXPECT_FALSE(v->Get("StringValue"));
}

TEST_F(ReceiveMessageTest, LongPollRepliesFromTheEngineCallbackLater) {
  engine_.defer_receive = true;
  std::optional<Result<Value>> got;
  {
    // The request's input and context die before the engine answers.
    Value input = Struct({{"QueueUrl", S(kQueueUrl)},
                          {"WaitTimeSeconds", I(20)},
                          {"MessageAttributeNames", List({S("General")})},
                          {"AttributeNames", List({S("SenderId")})}});
    RequestContext ctx = JsonCtx();
    service_.handlers.at("ReceiveMessage")(ctx, std::move(input),
                                           [&](Result<Value> r) { got.emplace(std::move(r)); });
  }
  EXPECT_FALSE(got);
  ASSERT_TRUE(engine_.pending_receive);
  auto m = Message("late");
  m.attributes = {Attr("General", "Kenobi"), Attr("Other", "x")};
  engine_.pending_receive(std::vector<engine::ReceivedMessage>{m});
  ASSERT_TRUE(got);
  ASSERT_TRUE(got->ok());
  const Value& msg = (*got)->Get("Messages")->items()[0];
  EXPECT_EQ(Str(msg, "MessageId"), "late");
  EXPECT_EQ(msg.Get("MessageAttributes")->entries().size(), 1u);
  EXPECT_EQ(msg.Get("Attributes")->entries().size(), 1u);
}

// ---- DeleteMessage / ChangeMessageVisibility ---------------------------------------------------

class DeleteAndVisibilityTest : public SqsTest {};

TEST_F(DeleteAndVisibilityTest, DeleteMessage) {
  auto r = Call("DeleteMessage", Struct({{"QueueUrl", S(kQueueUrl)}, {"ReceiptHandle", S("rh")}}));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->entries().empty());
  ASSERT_EQ(engine_.deletes.size(), 1u);
  EXPECT_EQ(engine_.deletes[0].second, std::vector<std::string>{"rh"});

  ExpectError(Call("DeleteMessage", Struct({{"QueueUrl", S(kQueueUrl)}})),
              ErrorCode::kMissingParameter,
              "The request must contain the parameter ReceiptHandle.");
  engine_.handle_status["bad"] = Status(SqsError::kReceiptHandleIsInvalid,
                                        "The input receipt handle \"bad\" is not a valid receipt "
                                        "handle.");
  ExpectError(
      Call("DeleteMessage", Struct({{"QueueUrl", S(kQueueUrl)}, {"ReceiptHandle", S("bad")}})),
      SqsError::kReceiptHandleIsInvalid,
      "The input receipt handle \"bad\" is not a valid receipt handle.");
}

TEST_F(DeleteAndVisibilityTest, ChangeMessageVisibility) {
  ASSERT_TRUE(Call("ChangeMessageVisibility", Struct({{"QueueUrl", S(kQueueUrl)},
                                                      {"ReceiptHandle", S("rh")},
                                                      {"VisibilityTimeout", I(43200)}}))
                  .ok());
  ASSERT_EQ(engine_.visibility_changes.size(), 1u);
  EXPECT_EQ(engine_.visibility_changes[0].second[0].visibility_timeout, 43200);
  EXPECT_EQ(engine_.visibility_changes[0].second[0].receipt_handle, "rh");

  ExpectError(Call("ChangeMessageVisibility", Struct({{"QueueUrl", S(kQueueUrl)},
                                                      {"ReceiptHandle", S("rh")},
                                                      {"VisibilityTimeout", I(43201)}})),
              ErrorCode::kInvalidParameterValue,
              "Value 43201 for parameter VisibilityTimeout is invalid. Reason: Must be between 0 "
              "and 43200.");
  ExpectError(Call("ChangeMessageVisibility",
                   Struct({{"QueueUrl", S(kQueueUrl)}, {"ReceiptHandle", S("rh")}})),
              ErrorCode::kMissingParameter,
              "The request must contain the parameter VisibilityTimeout.");
  ExpectError(Call("ChangeMessageVisibility",
                   Struct({{"QueueUrl", S(kQueueUrl)}, {"VisibilityTimeout", I(1)}})),
              ErrorCode::kMissingParameter,
              "The request must contain the parameter ReceiptHandle.");
  engine_.handle_status["gone"] = Status(SqsError::kMessageNotInflight, "not in flight");
  ExpectError(Call("ChangeMessageVisibility", Struct({{"QueueUrl", S(kQueueUrl)},
                                                      {"ReceiptHandle", S("gone")},
                                                      {"VisibilityTimeout", I(5)}})),
              SqsError::kMessageNotInflight, "not in flight");
}

TEST_F(DeleteAndVisibilityTest, IntegersGivenAsStringsAreAccepted) {
  ASSERT_TRUE(Call("ChangeMessageVisibility", Struct({{"QueueUrl", S(kQueueUrl)},
                                                      {"ReceiptHandle", S("rh")},
                                                      {"VisibilityTimeout", S("15")}}))
                  .ok());
  EXPECT_EQ(engine_.visibility_changes.back().second[0].visibility_timeout, 15);
  ExpectError(Call("ChangeMessageVisibility", Struct({{"QueueUrl", S(kQueueUrl)},
                                                      {"ReceiptHandle", S("rh")},
                                                      {"VisibilityTimeout", S("abc")}})),
              ErrorCode::kInvalidParameterValue,
              "Value for parameter VisibilityTimeout is invalid.");
}

}  // namespace
}  // namespace sluice::sqs::testing
