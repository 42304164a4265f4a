#include "protocol/model.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "models/events_model.h"
#include "models/iam_model.h"
#include "models/kms_model.h"
#include "models/monitoring_model.h"
#include "models/sns_model.h"
#include "models/sqs_model.h"
#include "models/ssm_model.h"
#include "models/sts_model.h"

namespace sluice::protocol {
namespace {

const MemberDef& Member(const ServiceModel& m, std::string_view shape, std::string_view name) {
  const ShapeId id = m.FindShape(shape);
  EXPECT_NE(id, kNoShape) << shape;
  const MemberDef* mem = m.FindMember(m.shape(id), name);
  EXPECT_NE(mem, nullptr) << shape << "." << name;
  static const MemberDef kNone{};
  return mem ? *mem : kNone;
}

const ServiceModel* const kModels[] = {&models::Events(),     &models::Iam(), &models::Kms(),
                                       &models::Monitoring(), &models::Sns(), &models::Sqs(),
                                       &models::Ssm(),        &models::Sts()};

// The generated tables hold no pointer (so nothing to relocate at load): every string is an
// offset into the model's pool, and reads back as the model has it.
TEST(Models, GeneratedStringsAreInTheirModelsPool) {
  std::size_t strings = 0;
  auto check = [&](const ModelString& s, std::string_view where) {
    EXPECT_TRUE(s.pooled()) << where;
    EXPECT_EQ(s.view().find('\0'), std::string_view::npos) << where;
    ++strings;
  };
  for (const ServiceModel* m : kModels) {
    for (const ShapeDef& s : m->shapes()) {
      for (const ModelString* str :
           {&s.name, &s.item_name, &s.key_name, &s.value_name, &s.pattern, &s.error_code}) {
        check(*str, s.name);
      }
      if (s.type == ShapeType::kStructure) {
        for (const MemberDef& mem : m->members(s)) {
          check(mem.name, s.name);
          check(mem.query_name, mem.name);
        }
      }
      for (const ModelString& e : m->enum_values(s)) check(e, s.name);
    }
    for (const OperationDef& op : m->operations()) {
      check(op.name, op.name);
      check(op.result_wrapper, op.name);
      EXPECT_EQ(op.result_wrapper, std::string(op.name.view()) + "Result") << op.name;
    }
  }
  EXPECT_GT(strings, 10000u);
  const ServiceModel& sqs = models::Sqs();
  EXPECT_EQ(Member(sqs, "ReceiveMessageRequest", "AttributeNames").query_name, "AttributeName");
  const ShapeDef& queue_url = sqs.shape(sqs.FindShape("SendMessageRequest"));
  EXPECT_EQ(sqs.members(queue_url)[0].name, "QueueUrl");
  // Defaults come from pool 0.
  const ShapeDef& tags = sqs.shape(sqs.FindShape("TagKeyList"));
  EXPECT_TRUE(tags.item_name.pooled());
  EXPECT_EQ(ShapeDef{}.item_name, "member");
  EXPECT_EQ(ShapeDef{}.key_name, "key");
  EXPECT_EQ(ShapeDef{}.value_name, "value");
  EXPECT_EQ(ShapeDef{}.pattern, "");
}

// The JSON encoder writes member names without escaping them (json_codec.cc, AppendMemberKey).
TEST(Models, MemberNamesAreAsciiLettersAndDigits) {
  for (const ServiceModel* m :
       {&models::Events(), &models::Iam(), &models::Kms(), &models::Monitoring(), &models::Sns(),
        &models::Sqs(), &models::Ssm(), &models::Sts()}) {
    for (const ShapeDef& s : m->shapes()) {
      if (s.type != ShapeType::kStructure) continue;
      for (const MemberDef& mem : m->members(s)) {
        EXPECT_FALSE(mem.name.empty()) << s.name;
        EXPECT_LT(mem.name.size(), 76u) << s.name << "." << mem.name;
        for (char c : mem.name) {
          EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)))
              << m->metadata().service_id << " " << s.name << "." << mem.name;
        }
      }
    }
  }
}

// Answers name the JSON version in their Content-Type from two constants (errors.cc).
TEST(Models, JsonVersionsAreOnePointZeroOrOne) {
  for (const ServiceModel* m :
       {&models::Events(), &models::Iam(), &models::Kms(), &models::Monitoring(), &models::Sns(),
        &models::Sqs(), &models::Ssm(), &models::Sts()}) {
    const std::string_view v = m->metadata().json_version;
    EXPECT_TRUE(v.empty() || v == "1.0" || v == "1.1") << m->metadata().service_id << " " << v;
  }
}

TEST(SqsModel, Metadata) {
  const ServiceModel& m = models::Sqs();
  EXPECT_EQ(m.metadata().target_prefix, "AmazonSQS");
  EXPECT_EQ(m.metadata().json_version, "1.0");
  EXPECT_EQ(m.metadata().api_version, "2012-11-05");
  EXPECT_EQ(m.metadata().xml_namespace, "http://queue.amazonaws.com/doc/2012-11-05/");
  EXPECT_TRUE(m.metadata().aws_query_compatible);
  EXPECT_TRUE(m.metadata().SupportsJson());
  EXPECT_TRUE(m.metadata().SupportsQuery());
  EXPECT_EQ(m.operations().size(), 23u);
}

TEST(SqsModel, Operations) {
  const ServiceModel& m = models::Sqs();
  const OperationDef* send = m.FindOperation("SendMessage");
  ASSERT_NE(send, nullptr);
  EXPECT_EQ(m.shape(send->input).name, "SendMessageRequest");
  EXPECT_EQ(m.shape(send->output).name, "SendMessageResult");
  EXPECT_EQ(send->result_wrapper, "SendMessageResult");
  const OperationDef* del = m.FindOperation("DeleteMessage");
  ASSERT_NE(del, nullptr);
  EXPECT_EQ(del->output, kNoShape);
  EXPECT_EQ(m.FindOperation("sendmessage"), nullptr);
  EXPECT_EQ(m.FindOperation("Nope"), nullptr);
  EXPECT_EQ(m.FindOperation(""), nullptr);
}

TEST(SqsModel, QueryNamesDerivedFromKeyTable) {
  const ServiceModel& m = models::Sqs();
  EXPECT_EQ(Member(m, "CreateQueueRequest", "Attributes").query_name, "Attribute");
  EXPECT_EQ(Member(m, "CreateQueueRequest", "tags").query_name, "Tag");
  EXPECT_EQ(Member(m, "SendMessageRequest", "MessageAttributes").query_name, "MessageAttribute");
  EXPECT_EQ(Member(m, "SendMessageBatchRequest", "Entries").query_name,
            "SendMessageBatchRequestEntry");
  EXPECT_EQ(Member(m, "ReceiveMessageResult", "Messages").query_name, "Message");
  EXPECT_EQ(Member(m, "SendMessageBatchResult", "Successful").query_name,
            "SendMessageBatchResultEntry");
  EXPECT_EQ(Member(m, "SendMessageBatchResult", "Failed").query_name, "BatchResultErrorEntry");
  EXPECT_EQ(Member(m, "ReceiveMessageRequest", "AttributeNames").query_name, "AttributeName");
  EXPECT_EQ(Member(m, "ReceiveMessageRequest", "MessageSystemAttributeNames").query_name,
            "AttributeName");
  EXPECT_EQ(Member(m, "AddPermissionRequest", "Actions").query_name, "ActionName");
  EXPECT_EQ(Member(m, "MessageAttributeValue", "StringListValues").query_name, "StringListValue");
  EXPECT_TRUE(Member(m, "MessageAttributeValue", "StringListValues").flattened);
  EXPECT_EQ(Member(m, "ListDeadLetterSourceQueuesResult", "queueUrls").query_name, "QueueUrl");
  const ShapeDef& tags = m.shape(m.FindShape("TagMap"));
  EXPECT_EQ(tags.key_name, "Key");
  EXPECT_EQ(tags.value_name, "Value");
  const ShapeDef& attrs = m.shape(m.FindShape("QueueAttributeMap"));
  EXPECT_EQ(attrs.key_name, "Name");
  EXPECT_EQ(attrs.value_name, "Value");
}

TEST(SqsModel, RequiredAndConstraintsExposed) {
  const ServiceModel& m = models::Sqs();
  EXPECT_TRUE(Member(m, "SendMessageRequest", "QueueUrl").required);
  EXPECT_TRUE(Member(m, "SendMessageRequest", "MessageBody").required);
  EXPECT_FALSE(Member(m, "SendMessageRequest", "DelaySeconds").required);
  const ShapeDef& names = m.shape(m.FindShape("QueueAttributeName"));
  const auto values = m.enum_values(names);
  ASSERT_FALSE(values.empty());
  EXPECT_EQ(values.front(), "All");
  EXPECT_NE(std::find(values.begin(), values.end(), "SqsManagedSseEnabled"), values.end());
  EXPECT_EQ(m.shape(m.FindShape("NullableInteger")).type, ShapeType::kInteger);
  EXPECT_EQ(m.shape(m.FindShape("Binary")).type, ShapeType::kBlob);
}

}  // namespace
}  // namespace sluice::protocol
