#include "protocol/json_codec.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "models/sqs_model.h"
#include "test_util.h"

namespace sluice::protocol {
namespace {

using testing::DebugString;

ShapeId Input(std::string_view op) { return models::Sqs().FindOperation(op)->input; }
ShapeId Output(std::string_view op) { return models::Sqs().FindOperation(op)->output; }

Result<Value> Decode(std::string_view op, std::string body) {
  return DecodeJson(models::Sqs(), Input(op), body);
}

// sqs-protocol.md §4, as botocore sends it.
constexpr std::string_view kSendMessage =
    R"({"QueueUrl":"http://localhost:9324/000000000000/q1","MessageBody":"hello","DelaySeconds":0,)"
    R"("MessageAttributes":{"s":{"DataType":"String","StringValue":"v"},"b":{"DataType":"Binary","BinaryValue":"AQI="}},)"
    R"("MessageSystemAttributes":{"AWSTraceHeader":{"DataType":"String","StringValue":"Root=1-5759e988-bd862e3fe1be46a994272793"}}})";

TEST(JsonDecode, BotocoreSendMessage) {
  auto v = Decode("SendMessage", std::string(kSendMessage));
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(
      DebugString(*v),
      R"({QueueUrl:"http://localhost:9324/000000000000/q1",MessageBody:"hello",)"
      R"(DelaySeconds:0,MessageAttributes:map{s:{DataType:"String",StringValue:"v"},)"
      R"(b:{DataType:"Binary",BinaryValue:b"\x01\x02"}},MessageSystemAttributes:map{)"
      R"(AWSTraceHeader:{DataType:"String",StringValue:"Root=1-5759e988-bd862e3fe1be46a994272793"}}})");
  EXPECT_EQ(v->GetString("MessageBody"), "hello");
  EXPECT_EQ(v->GetInt("DelaySeconds"), 0);
}

TEST(JsonDecode, EmptyBodyAndEmptyObject) {
  for (std::string body : {"", "{}", "  \r\n ", " {} "}) {
    auto v = Decode("ListQueues", body);
    ASSERT_TRUE(v.ok()) << body;
    EXPECT_TRUE(v->is_struct());
    EXPECT_TRUE(v->entries().empty());
  }
}

TEST(JsonDecode, UnknownMembersAndNullsIgnored) {
  auto v = Decode("ListQueues",
                  R"({"Future":{"a":[1,2,{"b":null}]},"QueueNamePrefix":"p","NextToken":null,)"
                  R"("MaxResults":5,"queuenameprefix":"wrong-case"})");
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(DebugString(*v), R"({QueueNamePrefix:"p",MaxResults:5})");
}

TEST(JsonDecode, ListsMapsAndLowerCaseMembers) {
  auto v =
      Decode("CreateQueue",
             R"({"QueueName":"q","Attributes":{"VisibilityTimeout":"45"},"tags":{"env":"dev"}})");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(DebugString(*v),
            R"({QueueName:"q",Attributes:map{VisibilityTimeout:"45"},tags:map{env:"dev"}})");
  auto r = Decode("ReceiveMessage",
                  R"({"QueueUrl":"u","MessageSystemAttributeNames":["All"],"AttributeNames":[],)"
                  R"("MaxNumberOfMessages":10,"WaitTimeSeconds":20})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(DebugString(*r),
            R"({QueueUrl:"u",MessageSystemAttributeNames:["All"],AttributeNames:[],)"
            R"(MaxNumberOfMessages:10,WaitTimeSeconds:20})");
}

void ExpectSerialization(std::string_view op, std::string body, std::string_view message) {
  auto v = Decode(op, body);
  ASSERT_FALSE(v.ok()) << body;
  EXPECT_EQ(v.status().code(), ErrorCode::kSerialization) << body;
  if (!message.empty()) {
    EXPECT_EQ(v.status().message(), message) << body;
  }
}

TEST(JsonDecode, WrongTypes) {
  ExpectSerialization("SendMessage", R"({"QueueUrl":"u","MessageBody":"m","DelaySeconds":"5"})",
                      "STRING_VALUE can not be converted to an Integer");
  ExpectSerialization("SendMessage", R"({"QueueUrl":1,"MessageBody":"m"})",
                      "NUMBER_VALUE can not be converted to a String");
  ExpectSerialization("SendMessage", R"({"QueueUrl":"u","MessageBody":true})",
                      "BOOLEAN_VALUE can not be converted to a String");
  ExpectSerialization("SendMessage", R"({"QueueUrl":"u","MessageAttributes":[]})",
                      "START_ARRAY can not be converted to a Map");
  ExpectSerialization("ReceiveMessage", R"({"QueueUrl":"u","AttributeNames":"All"})",
                      "STRING_VALUE can not be converted to a List");
  ExpectSerialization("ReceiveMessage", R"({"QueueUrl":"u","AttributeNames":[1]})",
                      "NUMBER_VALUE can not be converted to a String");
  ExpectSerialization("SendMessage", R"({"QueueUrl":"u","MessageAttributes":{"a":"x"}})",
                      "STRING_VALUE can not be converted to a Structure");
  ExpectSerialization("SendMessage", R"({"QueueUrl":"u","DelaySeconds":1.5})",
                      "NUMBER_VALUE can not be converted to an Integer");
  ExpectSerialization("SendMessage", R"({"QueueUrl":"u","DelaySeconds":{}})",
                      "START_OBJECT can not be converted to an Integer");
}

TEST(JsonDecode, IntegerRanges) {
  ExpectSerialization("SendMessage", R"({"DelaySeconds":2147483648})",
                      "Numeric value (2147483648) out of range of int");
  ExpectSerialization("SendMessage", R"({"DelaySeconds":-2147483649})",
                      "Numeric value (-2147483649) out of range of int");
  ExpectSerialization("SendMessage", R"({"DelaySeconds":18446744073709551615})",
                      "Numeric value (18446744073709551615) out of range of int");
  auto v = Decode("SendMessage", R"({"DelaySeconds":-2147483648})");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->GetInt("DelaySeconds"), -2147483648LL);
}

TEST(JsonDecode, MalformedBodies) {
  ExpectSerialization("SendMessage", R"({"QueueUrl":)", "");
  ExpectSerialization("SendMessage", R"({"QueueUrl":"u")", "");
  ExpectSerialization("SendMessage", R"({"QueueUrl":"u"} x)", "");
  ExpectSerialization("SendMessage", R"({"QueueUrl":"u",})", "");
  ExpectSerialization("SendMessage", R"([])", "START_ARRAY can not be converted to a Structure");
  ExpectSerialization("SendMessage", R"("x")", "STRING_VALUE can not be converted to a Structure");
  ExpectSerialization("SendMessage", "null", "NULL_VALUE can not be converted to a Structure");
  ExpectSerialization("SendMessage", std::string("{\"QueueUrl\":\"u\"}\0{", 17), "");
  ExpectSerialization("SendMessage", "{\"MessageBody\":\"\xFF\"}", "");  // invalid UTF-8
  // Hostile nesting parses iteratively and fails cleanly.
  ExpectSerialization("SendMessage", std::string(200000, '['), "");
  std::string deep = R"({"MessageAttributes":)" + std::string(100000, '{');
  ExpectSerialization("SendMessage", deep, "");
}

// Bodies with few brackets parse recursively, others iteratively: both read the same, on either
// side of the switch, for nesting that is skipped (unknown members) or malformed.
TEST(JsonDecode, NestingReadsTheSameWhicheverParser) {
  for (const std::size_t levels : {std::size_t{60}, std::size_t{500}, std::size_t{520}}) {
    const std::string nest = std::string(levels, '[') + std::string(levels, ']');
    auto v = Decode("SendMessage", R"({"Unknown":)" + nest + R"(,"QueueUrl":"u"})");
    ASSERT_TRUE(v.ok()) << levels;
    EXPECT_EQ(v->GetString("QueueUrl"), "u") << levels;
    ExpectSerialization("SendMessage", R"({"QueueUrl":"u","Unknown":)" + nest, "");
    std::string objects;  // in a known member, below what the model has (skipped members)
    for (std::size_t i = 0; i < levels; ++i) objects += R"({"a":)";
    objects += "1" + std::string(levels, '}');
    auto attrs = Decode("SendMessage", R"({"MessageAttributes":)" + objects + "}");
    ASSERT_TRUE(attrs.ok()) << levels;
    ASSERT_NE(attrs->Get("MessageAttributes"), nullptr);
    EXPECT_EQ(attrs->Get("MessageAttributes")->entries().size(), 1u);
  }
  // Brackets inside strings count too: a long body of them is still read whole.
  const std::string body(4000, '[');
  auto v = Decode("SendMessage", R"({"QueueUrl":"u","MessageBody":")" + body + R"("})");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->GetString("MessageBody"), body);
}

// No byte below 0x20 may stand unescaped in a JSON string (AWS: SerializationException). Each
// one, at every position of a long string (rapidjson scans strings 16 bytes at a time), and at
// the string's start and end. Its SSE2 scan alone lets 0x1A-0x1F through.
TEST(JsonDecode, RawControlCharactersInStringsAreRefused) {
  for (int c = 0; c < 0x20; ++c) {
    for (std::size_t at : {std::size_t{0}, std::size_t{5}, std::size_t{16}, std::size_t{39}}) {
      std::string text(40, 'a');
      text[at] = static_cast<char>(c);
      SCOPED_TRACE(::testing::Message() << "byte " << c << " at " << at);
      ExpectSerialization("SendMessage", R"({"QueueUrl":"u","MessageBody":")" + text + R"("})", "");
    }
  }
  // Outside strings, the JSON white space (tab, LF, CR) is fine; the other control bytes are not.
  auto v = Decode("SendMessage", "{\t\"QueueUrl\"\r\n:\t\"u\"}");
  ASSERT_TRUE(v.ok()) << v.status().message();
  ExpectSerialization("SendMessage", "{\x1c\"QueueUrl\":\"u\"}", "");
  ExpectSerialization("SendMessage", "{\"QueueUrl\":\"u\"}\x1f", "");
}

TEST(JsonDecode, EveryTruncationFailsCleanly) {
  const std::string full(kSendMessage);
  for (std::size_t n = 0; n < full.size(); ++n) {
    auto v = Decode("SendMessage", full.substr(0, n));
    if (n == 0) {
      EXPECT_TRUE(v.ok());
    } else {
      EXPECT_FALSE(v.ok()) << n;
    }
  }
}

TEST(JsonDecode, LargeMapsWithDuplicateKeys) {
  std::string body = R"({"Attributes":{)";
  for (int i = 0; i < 100000; ++i) {
    if (i) body += ',';
    body += "\"k" + std::to_string(i % 20) + "\":\"" + std::to_string(i) + "\"";
  }
  body += "}}";
  auto v = Decode("SetQueueAttributes", body);
  ASSERT_TRUE(v.ok());
  const Value* attrs = v->Get("Attributes");
  ASSERT_EQ(attrs->entries().size(), 20u);
  EXPECT_EQ(attrs->entries()[3].first, "k3");
  EXPECT_EQ(attrs->entries()[3].second.as_string(), "99983");
  auto small = Decode("SetQueueAttributes", R"({"Attributes":{"a":"1","b":"2","a":"3"}})");
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(DebugString(*small), R"({Attributes:map{a:"3",b:"2"}})");
}

TEST(JsonDecode, Blobs) {
  ExpectSerialization("SendMessage",
                      R"({"MessageAttributes":{"b":{"DataType":"Binary","BinaryValue":"A*=="}}})",
                      "Base64 encoded value is not valid for a Blob");
  auto v =
      Decode("SendMessage",
             R"({"MessageAttributes":{"b":{"DataType":"Binary","BinaryListValues":["","AA=="]}}})");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(DebugString(*v),
            R"({MessageAttributes:map{b:{DataType:"Binary",BinaryListValues:[b"",b"\x00"]}}})");
}

TEST(JsonDecode, EscapesAndUnicode) {
  auto v = Decode("SendMessage", R"({"MessageBody":"a\"b\\c\n\u00e9\ud83d\ude00"})");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->GetString("MessageBody"), "a\"b\\c\n\xC3\xA9\xF0\x9F\x98\x80");
}

TEST(JsonEncode, ReceiveMessageOutput) {
  Value msg = Value::Struct();
  msg.Set("MessageId", Value::String("id-1"));
  msg.Set("Body", Value::String("he said \"hi\"\n"));
  Value attrs = Value::Map();
  attrs.Set("SenderId", Value::String("AIDA"));
  attrs.Set("SentTimestamp", Value::String("1705320000000"));
  msg.Set("Attributes", std::move(attrs));
  Value mattr = Value::Struct();
  mattr.Set("DataType", Value::String("Binary"));
  mattr.Set("BinaryValue", Value::Blob(std::string("\x01\x02\x03", 3)));
  Value mattrs = Value::Map();
  mattrs.Set("blob", std::move(mattr));
  msg.Set("MessageAttributes", std::move(mattrs));
  msg.Set("MD5OfBody", Value());  // null: omitted
  Value out = Value::Struct();
  out.Set("Messages", Value::List()).Append(std::move(msg));
  std::string json;
  EncodeJson(models::Sqs(), Output("ReceiveMessage"), out, &json);
  EXPECT_EQ(json, R"({"Messages":[{"MessageId":"id-1","Body":"he said \"hi\"\n","Attributes":)"
                  R"({"SenderId":"AIDA","SentTimestamp":"1705320000000"},"MessageAttributes":)"
                  R"({"blob":{"DataType":"Binary","BinaryValue":"AQID"}}}]})");
}

// A member the model does not have is a bug in the service: debug builds stop on it, release
// builds log it and leave it out.
TEST(JsonEncode, MemberNotInModel) {
  Value msg = Value::Struct();
  msg.Set("MessageId", Value::String("id-1"));
  msg.Set("NotInModel", Value::String("x"));
  Value out = Value::Struct();
  out.Set("Messages", Value::List()).Append(std::move(msg));
  std::string json;
#ifdef NDEBUG
  EncodeJson(models::Sqs(), Output("ReceiveMessage"), out, &json);
  EXPECT_EQ(json, R"({"Messages":[{"MessageId":"id-1"}]})");
#else
  EXPECT_DEATH(EncodeJson(models::Sqs(), Output("ReceiveMessage"), out, &json),
               "an output member the model does not have");
#endif
}

TEST(JsonEncode, EmptyAndScalars) {
  std::string json;
  EncodeJson(models::Sqs(), Output("ReceiveMessage"), Value::Struct(), &json);
  EXPECT_EQ(json, "{}");
  Value r = Value::Struct();
  r.Set("Successful", Value::List());
  Value failed = Value::Struct();
  failed.Set("Id", Value::String("m1"));
  failed.Set("SenderFault", Value::Bool(true));
  failed.Set("Code", Value::String("InvalidParameterValue"));
  r.Set("Failed", Value::List()).Append(std::move(failed));
  json.clear();
  EncodeJson(models::Sqs(), Output("SendMessageBatch"), r, &json);
  EXPECT_EQ(
      json,
      R"({"Successful":[],"Failed":[{"Id":"m1","SenderFault":true,"Code":"InvalidParameterValue"}]})");
  Value moved = Value::Struct();
  moved.Set("ApproximateNumberOfMessagesMoved", Value::Int(1234567890123));
  json.clear();
  EncodeJson(models::Sqs(), Output("CancelMessageMoveTask"), moved, &json);
  EXPECT_EQ(json, R"({"ApproximateNumberOfMessagesMoved":1234567890123})");
}

TEST(JsonRoundTrip, SendMessageBatch) {
  const std::string body =
      R"({"QueueUrl":"u","Entries":[{"Id":"m1","MessageBody":"a","MessageAttributes":)"
      R"({"n":{"DataType":"Number","StringValue":"1"}}},{"Id":"m2","MessageBody":"b",)"
      R"("MessageGroupId":"g","MessageDeduplicationId":"d","DelaySeconds":3}]})";
  auto v = Decode("SendMessageBatch", body);
  ASSERT_TRUE(v.ok());
  std::string encoded;
  EncodeJson(models::Sqs(), Input("SendMessageBatch"), *v, &encoded);
  EXPECT_EQ(encoded, body);
  auto again = Decode("SendMessageBatch", encoded);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(DebugString(*again), DebugString(*v));
}

// fuzz/regressions/fuzz_json_decoder/truncated-utf8-overread: a body ending inside a UTF-8
// sequence made rapidjson read past the body's buffer (caught by ASan). The body is sized so
// its heap block ends right after the terminating NUL.
TEST(JsonDecode, TruncatedUtf8AtEndStaysInBounds) {
  for (const char* tail : {"\xE3", "\xF0\x9F", "\xC3"}) {
    std::string body(40, 'a');
    body.replace(0, 13, R"({"QueueUrl":")");
    body.replace(body.size() - std::strlen(tail), std::strlen(tail), tail);
    const std::string before = body;
    auto v = DecodeJson(models::Sqs(), Input("SendMessage"), body);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.status().code(), ErrorCode::kSerialization);
    EXPECT_EQ(body.size(), before.size());  // the parser's padding is gone again
  }
}

}  // namespace
}  // namespace sluice::protocol
