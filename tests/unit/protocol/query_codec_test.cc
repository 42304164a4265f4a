#include "protocol/query_codec.h"

#include <gtest/gtest.h>

#include <string>

#include "models/sqs_model.h"
#include "protocol/json_codec.h"
#include "test_util.h"

namespace sluice::protocol {
namespace {

using testing::DebugString;

const ServiceModel& Sqs() { return models::Sqs(); }
ShapeId Input(std::string_view op) { return Sqs().FindOperation(op)->input; }

Result<Value> Decode(std::string_view op, std::string_view form) {
  QueryParams params;
  Status st = ParseFormEncoded(form, &params);
  if (!st.ok()) return st;
  return DecodeQuery(Sqs(), Input(op), params);
}

// The exact botocore strings of sqs-protocol.md §2, percent-encoded as on the wire.
constexpr std::string_view kCreateQueue =
    "Action=CreateQueue&Version=2012-11-05&QueueName=q1.fifo&Attribute.1.Name=FifoQueue"
    "&Attribute.1.Value=true&Attribute.2.Name=VisibilityTimeout&Attribute.2.Value=45"
    "&Tag.1.Key=env&Tag.1.Value=dev";
constexpr std::string_view kSendMessage =
    "Action=SendMessage&Version=2012-11-05&QueueUrl=http%3A%2F%2Flocalhost%3A9324%2F000000000000"
    "%2Fq1&MessageBody=hello&DelaySeconds=0&MessageAttribute.1.Name=s"
    "&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=v"
    "&MessageAttribute.2.Name=b&MessageAttribute.2.Value.DataType=Binary"
    "&MessageAttribute.2.Value.BinaryValue=AQI%3D&MessageSystemAttribute.1.Name=AWSTraceHeader"
    "&MessageSystemAttribute.1.Value.DataType=String"
    "&MessageSystemAttribute.1.Value.StringValue=Root%3D1-5759e988-bd862e3fe1be46a994272793";
constexpr std::string_view kSendMessageBatch =
    "Action=SendMessageBatch&Version=2012-11-05&QueueUrl=u&SendMessageBatchRequestEntry.1.Id=m1"
    "&SendMessageBatchRequestEntry.1.MessageBody=a"
    "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=n"
    "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=Number"
    "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue=1"
    "&SendMessageBatchRequestEntry.2.Id=m2&SendMessageBatchRequestEntry.2.MessageBody=b"
    "&SendMessageBatchRequestEntry.2.MessageGroupId=g"
    "&SendMessageBatchRequestEntry.2.MessageDeduplicationId=d";

TEST(QueryParse, FormEncoding) {
  QueryParams p;
  ASSERT_TRUE(ParseFormEncoded("a=1&&b=x+y%20z&c&=skip&d=%3D%26&a=2", &p).ok());
  ASSERT_EQ(p.size(), 5u);
  EXPECT_EQ(p[1].value, "x y z");
  EXPECT_EQ(p[2].key, "c");
  EXPECT_EQ(p[2].value, "");
  EXPECT_EQ(p[3].value, "=&");
  EXPECT_EQ(*FindParam(p, "a"), "2");  // the last one wins
  EXPECT_EQ(FindParam(p, "A"), nullptr);
}

TEST(QueryParse, MalformedPercentEncoding) {
  for (std::string_view bad : {"a=%", "a=%4", "a=%zz", "%=1", "a=1&b=%g0", "Action=Send%Message"}) {
    QueryParams p;
    Status st = ParseFormEncoded(bad, &p);
    EXPECT_EQ(st.code(), ErrorCode::kMalformedQueryString) << bad;
  }
}

TEST(QueryDecode, BotocoreCreateQueue) {
  auto v = Decode("CreateQueue", kCreateQueue);
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(DebugString(*v),
            R"({QueueName:"q1.fifo",Attributes:map{FifoQueue:"true",VisibilityTimeout:"45"},)"
            R"(tags:map{env:"dev"}})");
}

TEST(QueryDecode, BotocoreSendMessage) {
  auto v = Decode("SendMessage", kSendMessage);
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(DebugString(*v),
            R"({QueueUrl:"http://localhost:9324/000000000000/q1",MessageBody:"hello",)"
            R"(DelaySeconds:0,MessageAttributes:map{s:{StringValue:"v",DataType:"String"},)"
            R"(b:{BinaryValue:b"\x01\x02",DataType:"Binary"}},MessageSystemAttributes:map{)"
            R"(AWSTraceHeader:{StringValue:"Root=1-5759e988-bd862e3fe1be46a994272793",)"
            R"(DataType:"String"}}})");
}

TEST(QueryDecode, BotocoreSendMessageBatch) {
  auto v = Decode("SendMessageBatch", kSendMessageBatch);
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(DebugString(*v),
            R"({QueueUrl:"u",Entries:[{Id:"m1",MessageBody:"a",MessageAttributes:map{n:)"
            R"({StringValue:"1",DataType:"Number"}}},{Id:"m2",MessageBody:"b",)"
            R"(MessageDeduplicationId:"d",MessageGroupId:"g"}]})");
}

// The same request through both protocols yields the same Value (member order aside).
TEST(QueryDecode, AgreesWithJson) {
  auto q = Decode("SendMessageBatch", kSendMessageBatch);
  std::string json =
      R"({"QueueUrl":"u","Entries":[{"Id":"m1","MessageBody":"a","MessageAttributes":{"n":)"
      R"({"StringValue":"1","DataType":"Number"}}},{"Id":"m2","MessageBody":"b",)"
      R"("MessageDeduplicationId":"d","MessageGroupId":"g"}]})";
  auto j = DecodeJson(Sqs(), Input("SendMessageBatch"), json);
  ASSERT_TRUE(q.ok());
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(DebugString(*q), DebugString(*j));
}

TEST(QueryDecode, SparseAndOutOfOrderIndexes) {
  auto v = Decode("ReceiveMessage",
                  "QueueUrl=u&MessageAttributeName.10=c&MessageAttributeName.2=b"
                  "&MessageAttributeName.1=a&MessageAttributeName.0=zero&MessageAttributeName.x=y"
                  "&MessageAttributeName.-1=neg");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(DebugString(*v), R"({QueueUrl:"u",MessageAttributeNames:["a","b","c"]})");
  auto m = Decode("SetQueueAttributes",
                  "Attribute.7.Value=7&Attribute.3.Name=B&Attribute.7.Name=A&Attribute.3.Value=3"
                  "&Attribute.5.Value=orphan");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(DebugString(*m), R"({Attributes:map{B:"3",A:"7"}})");
}

TEST(QueryDecode, EmptyListQuirk) {
  // botocore serialises an empty list as the bare key with an empty value.
  auto v = Decode("ReceiveMessage", "QueueUrl=u&AttributeName=&MessageAttributeName=");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(DebugString(*v), R"({QueueUrl:"u",AttributeNames:[],MessageSystemAttributeNames:[],)"
                             R"(MessageAttributeNames:[]})");
  auto b = Decode("SendMessageBatch", "QueueUrl=u&SendMessageBatchRequestEntry=");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(DebugString(*b), R"({QueueUrl:"u",Entries:[]})");
}

TEST(QueryDecode, SharedAttributeNameKeyFillsBothMembers) {
  auto v = Decode("ReceiveMessage", "QueueUrl=u&AttributeName.1=All&AttributeName.2=SenderId");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(DebugString(*v), R"({QueueUrl:"u",AttributeNames:["All","SenderId"],)"
                             R"(MessageSystemAttributeNames:["All","SenderId"]})");
}

TEST(QueryDecode, UnknownParametersIgnored) {
  auto v = Decode("DeleteMessage",
                  "Action=DeleteMessage&Version=2012-11-05&QueueUrl=u&ReceiptHandle=r"
                  "&X-Amz-Signature=abc&Foo.1.Bar=x&QueueUrl.1=z&.=&..=.");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(DebugString(*v), R"({QueueUrl:"u",ReceiptHandle:"r"})");
}

TEST(QueryDecode, ScalarParsing) {
  auto v =
      Decode("ReceiveMessage",
             "QueueUrl=a+b%20c&MaxNumberOfMessages=%2B10&VisibilityTimeout=-5&WaitTimeSeconds=");
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(DebugString(*v), R"({QueueUrl:"a b c",MaxNumberOfMessages:10,VisibilityTimeout:-5})");
}

void ExpectInvalid(std::string_view op, std::string_view form, std::string_view message) {
  auto v = Decode(op, form);
  ASSERT_FALSE(v.ok()) << form;
  EXPECT_EQ(v.status().code(), ErrorCode::kInvalidParameterValue);
  EXPECT_EQ(v.status().message(), message);
}

TEST(QueryDecode, BadScalars) {
  ExpectInvalid("ReceiveMessage", "QueueUrl=u&MaxNumberOfMessages=abc",
                "Value abc for parameter MaxNumberOfMessages is invalid. Reason: Must be an "
                "integer.");
  ExpectInvalid("ReceiveMessage", "MaxNumberOfMessages=1.5",
                "Value 1.5 for parameter MaxNumberOfMessages is invalid. Reason: Must be an "
                "integer.");
  ExpectInvalid("ReceiveMessage", "MaxNumberOfMessages=2147483648",
                "Value 2147483648 for parameter MaxNumberOfMessages is invalid. Reason: Value is "
                "out of range.");
  ExpectInvalid("SendMessageBatch", "SendMessageBatchRequestEntry.1.DelaySeconds=x",
                "Value x for parameter SendMessageBatchRequestEntry.1.DelaySeconds is invalid. "
                "Reason: Must be an integer.");
  ExpectInvalid("SendMessage",
                "MessageAttribute.1.Name=b&MessageAttribute.1.Value.DataType=Binary"
                "&MessageAttribute.1.Value.BinaryValue=%21%21",
                "Value !! for parameter MessageAttribute.1.Value.BinaryValue is invalid. Reason: "
                "Must be a valid base64-encoded value.");
}

TEST(QueryDecode, EveryTruncationIsSafe) {
  const std::string full(kSendMessage);
  for (std::size_t n = 0; n <= full.size(); ++n) {
    auto v = Decode("SendMessage", full.substr(0, n));
    if (!v.ok()) {
      EXPECT_TRUE(v.status().code() == ErrorCode::kMalformedQueryString ||
                  v.status().code() == ErrorCode::kInvalidParameterValue)
          << n;
    }
  }
}

TEST(QueryDecode, ManyParametersStayLinear) {
  std::string form = "QueueUrl=u";
  for (int i = 200000; i >= 1; --i) form += "&MessageAttributeName." + std::to_string(i) + "=x";
  for (int i = 1; i <= 50000; ++i) {
    form += "&Attribute." + std::to_string(i) + ".Name=k" + std::to_string(i % 10);
    form += "&Attribute." + std::to_string(i) + ".Value=" + std::to_string(i);
  }
  auto v = Decode("ReceiveMessage", form);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->Get("MessageAttributeNames")->items().size(), 200000u);
  auto m = Decode("SetQueueAttributes", form);
  ASSERT_TRUE(m.ok());
  const Value* attrs = m->Get("Attributes");
  ASSERT_EQ(attrs->entries().size(), 10u);  // duplicate keys: the last one wins
  EXPECT_EQ(attrs->entries()[1].first, "k2");
  EXPECT_EQ(attrs->entries()[1].second.as_string(), "49992");
}

// ---- XML ----

std::string Xml(std::string_view op, const Value& out) {
  std::string xml;
  EncodeQueryResponse(Sqs(), *Sqs().FindOperation(op), out,
                      "http://queue.amazonaws.com/doc/2012-11-05/", "req-1", &xml);
  return xml;
}

TEST(QueryEncode, SendMessage) {
  Value out = Value::Struct();
  out.Set("MessageId", Value::String("5fea7756-0ea4-451a-a703-a558b933e274"));
  out.Set("MD5OfMessageBody", Value::String("5d41402abc4b2a76b9719d911017c592"));
  EXPECT_EQ(Xml("SendMessage", out),
            "<SendMessageResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\">"
            "<SendMessageResult><MessageId>5fea7756-0ea4-451a-a703-a558b933e274</MessageId>"
            "<MD5OfMessageBody>5d41402abc4b2a76b9719d911017c592</MD5OfMessageBody>"
            "</SendMessageResult><ResponseMetadata><RequestId>req-1</RequestId>"
            "</ResponseMetadata></SendMessageResponse>");
}

TEST(QueryEncode, NoOutputOmitsResult) {
  EXPECT_EQ(Xml("DeleteMessage", Value::Struct()),
            "<DeleteMessageResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\">"
            "<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>"
            "</DeleteMessageResponse>");
}

TEST(QueryEncode, EmptyResultIsSelfClosing) {
  // As AWS writes it (localstack's AWS-validated test_get_send_and_receive_messages).
  EXPECT_EQ(Xml("ReceiveMessage", Value::Struct()),
            "<ReceiveMessageResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\">"
            "<ReceiveMessageResult/><ResponseMetadata><RequestId>req-1</RequestId>"
            "</ResponseMetadata></ReceiveMessageResponse>");
  Value empty_list = Value::Struct();
  empty_list.Set("QueueUrls", Value::List());  // a flattened empty list writes no element
  EXPECT_NE(Xml("ListQueues", empty_list).find("<ListQueuesResult/>"), std::string::npos);
}

TEST(QueryEncode, ReceiveMessageFlattenedAndEscaped) {
  Value msg = Value::Struct();
  msg.Set("MessageId", Value::String("m"));
  msg.Set("Body", Value::String("<a & b>\r\n"));
  Value attrs = Value::Map();
  attrs.Set("SenderId", Value::String("AIDA"));
  attrs.Set("ApproximateReceiveCount", Value::String("1"));
  msg.Set("Attributes", std::move(attrs));
  Value av = Value::Struct();
  av.Set("StringValue", Value::String("hi"));
  av.Set("DataType", Value::String("String"));
  Value bv = Value::Struct();
  bv.Set("BinaryValue", Value::Blob(std::string("\x01\x02\x03", 3)));
  bv.Set("DataType", Value::String("Binary"));
  Value lv = Value::Struct();
  lv.Set("StringListValues", Value::List()).Append(Value::String("x"));
  Value mattrs = Value::Map();
  mattrs.Set("greeting", std::move(av));
  mattrs.Set("blob", std::move(bv));
  mattrs.Set("list", std::move(lv));
  msg.Set("MessageAttributes", std::move(mattrs));
  Value out = Value::Struct();
  out.Set("Messages", Value::List()).Append(std::move(msg));
  EXPECT_EQ(Xml("ReceiveMessage", out),
            "<ReceiveMessageResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\">"
            "<ReceiveMessageResult><Message><MessageId>m</MessageId>"
            "<Body>&lt;a &amp; b&gt;&#13;\n</Body>"
            "<Attribute><Name>SenderId</Name><Value>AIDA</Value></Attribute>"
            "<Attribute><Name>ApproximateReceiveCount</Name><Value>1</Value></Attribute>"
            "<MessageAttribute><Name>greeting</Name><Value><StringValue>hi</StringValue>"
            "<DataType>String</DataType></Value></MessageAttribute>"
            "<MessageAttribute><Name>blob</Name><Value><BinaryValue>AQID</BinaryValue>"
            "<DataType>Binary</DataType></Value></MessageAttribute>"
            "<MessageAttribute><Name>list</Name><Value><StringListValue>x</StringListValue>"
            "</Value></MessageAttribute>"
            "</Message></ReceiveMessageResult><ResponseMetadata><RequestId>req-1</RequestId>"
            "</ResponseMetadata></ReceiveMessageResponse>");
}

TEST(QueryEncode, BatchAndListResults) {
  Value r = Value::Struct();
  Value ok = Value::Struct();
  ok.Set("Id", Value::String("m1"));
  r.Set("Successful", Value::List()).Append(std::move(ok));
  Value bad = Value::Struct();
  bad.Set("Id", Value::String("m2"));
  bad.Set("SenderFault", Value::Bool(true));
  bad.Set("Code", Value::String("InvalidParameterValue"));
  bad.Set("Message", Value::String("x"));
  r.Set("Failed", Value::List()).Append(std::move(bad));
  const std::string xml = Xml("DeleteMessageBatch", r);
  EXPECT_NE(xml.find("<DeleteMessageBatchResult><DeleteMessageBatchResultEntry><Id>m1</Id>"
                     "</DeleteMessageBatchResultEntry><BatchResultErrorEntry><Id>m2</Id>"
                     "<SenderFault>true</SenderFault><Code>InvalidParameterValue</Code>"
                     "<Message>x</Message></BatchResultErrorEntry></DeleteMessageBatchResult>"),
            std::string::npos)
      << xml;
  Value l = Value::Struct();
  Value urls = Value::List();
  urls.Append(Value::String("http://h/1/a"));
  urls.Append(Value::String("http://h/1/b"));
  l.Set("queueUrls", std::move(urls));
  EXPECT_NE(Xml("ListDeadLetterSourceQueues", l)
                .find("<ListDeadLetterSourceQueuesResult><QueueUrl>http://h/1/a</QueueUrl>"
                      "<QueueUrl>http://h/1/b</QueueUrl></ListDeadLetterSourceQueuesResult>"),
            std::string::npos);
  Value t = Value::Struct();
  t.Set("Tags", Value::Map()).Set("env", Value::String("dev"));
  EXPECT_NE(Xml("ListQueueTags", t)
                .find("<ListQueueTagsResult><Tag><Key>env</Key><Value>dev</Value></Tag>"
                      "</ListQueueTagsResult>"),
            std::string::npos);
}

// ---- A non-flattened, query-protocol model (the SNS style) ----

constexpr ModelString kNoEnums[] = {{}};
constexpr MemberDef kSnsMembers[] = {
    {"TopicArn", "TopicArn", 4, true, false},       // 0: PublishInput
    {"Attributes", "Attributes", 1, false, false},  // 1
    {"Tags", "Tags", 2, false, false},              // 2
    {"Key", "Key", 4, true, false},                 // 3: Tag
    {"Value", "Value", 4, true, false},             // 4
    {"Count", "Count", 5, false, false},            // 5
};
constexpr ShapeDef kSnsShapes[] = {
    {.name = "PublishInput", .type = ShapeType::kStructure, .first_member = 0, .member_count = 3},
    {.name = "AttrMap", .type = ShapeType::kMap, .key = 4, .value = 4},
    {.name = "TagList", .type = ShapeType::kList, .item = 3},
    {.name = "Tag", .type = ShapeType::kStructure, .first_member = 3, .member_count = 2},
    {.name = "String", .type = ShapeType::kString},
    {.name = "Int", .type = ShapeType::kInteger},
};
constexpr OperationDef kSnsOps[] = {{"Publish", 0, 0, "PublishResult"}};
constexpr ServiceMetadata kSnsMeta = {.service_id = "SNS",
                                      .api_version = "2010-03-31",
                                      .protocol = "query",
                                      .xml_namespace = "http://sns.amazonaws.com/doc/2010-03-31/"};
const ServiceModel kSns(kSnsMeta, kSnsShapes, kSnsMembers, kSnsOps, kNoEnums);

TEST(QueryNonFlattened, DecodeMemberAndEntry) {
  QueryParams p;
  ASSERT_TRUE(ParseFormEncoded("Action=Publish&TopicArn=arn&Attributes.entry.2.key=b"
                               "&Attributes.entry.2.value=2&Attributes.entry.1.key=a"
                               "&Attributes.entry.1.value=1&Tags.member.1.Key=k"
                               "&Tags.member.1.Value=v&Tags.member.2.Key=k2",
                               &p)
                  .ok());
  auto v = DecodeQuery(kSns, 0, p);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(
      DebugString(*v),
      R"({TopicArn:"arn",Attributes:map{a:"1",b:"2"},Tags:[{Key:"k",Value:"v"},{Key:"k2"}]})");
  std::string xml;
  EncodeXmlMembers(kSns, 0, *v, &xml);
  EXPECT_EQ(xml,
            "<TopicArn>arn</TopicArn><Attributes><entry><key>a</key><value>1</value></entry>"
            "<entry><key>b</key><value>2</value></entry></Attributes><Tags><member><Key>k</Key>"
            "<Value>v</Value></member><member><Key>k2</Key></member></Tags>");
  EXPECT_TRUE(kSns.metadata().SupportsQuery());
  EXPECT_FALSE(kSns.metadata().SupportsJson());
}

}  // namespace
}  // namespace sluice::protocol
