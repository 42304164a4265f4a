#include "engine/queue_config.h"
#include "engine/sqs_errors.h"

#include <gtest/gtest.h>

#include "common/encoding.h"

namespace sluice::engine {
namespace {

TEST(QueueConfigTest, QueueNames) {
  EXPECT_TRUE(ValidateQueueName("a", false).ok());
  EXPECT_TRUE(ValidateQueueName(std::string(80, 'a'), false).ok());
  EXPECT_FALSE(ValidateQueueName(std::string(81, 'a'), false).ok());
  EXPECT_FALSE(ValidateQueueName("", false).ok());
  EXPECT_FALSE(ValidateQueueName("a.b", false).ok());
  EXPECT_FALSE(ValidateQueueName("q.fifo", false).ok());
  EXPECT_TRUE(ValidateQueueName("q.fifo", true).ok());
  EXPECT_FALSE(ValidateQueueName("q", true).ok());
  EXPECT_FALSE(ValidateQueueName(".fifo", true).ok());
  EXPECT_TRUE(ValidateQueueName(std::string(75, 'a') + ".fifo", true).ok());
  EXPECT_FALSE(ValidateQueueName(std::string(76, 'a') + ".fifo", true).ok());
}

TEST(QueueConfigTest, Arns) {
  QueueId id{"000000000000", "q1", "us-east-1"};
  const std::string arn = FormatQueueArn("us-east-1", id);
  EXPECT_EQ(arn, "arn:aws:sqs:us-east-1:000000000000:q1");
  auto p = ParseQueueArn(arn);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->queue, id);
  EXPECT_EQ(p->region, "us-east-1");
  EXPECT_FALSE(ParseQueueArn("arn:aws:sns:us-east-1:000000000000:q1"));
  EXPECT_FALSE(ParseQueueArn("arn:aws:sqs:us-east-1:000000000000:"));
}

TEST(QueueConfigTest, CanonicalizeRanges) {
  auto ok = CanonicalizeAttributes({{"VisibilityTimeout", "030"}, {"SqsManagedSseEnabled", "TRUE"}},
                                   false, true);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->at("VisibilityTimeout"), "30");
  EXPECT_EQ(ok->at("SqsManagedSseEnabled"), "true");
  struct Case {
    const char* name;
    const char* value;
  };
  for (Case c :
       {Case{"VisibilityTimeout", "43201"}, Case{"DelaySeconds", "901"}, Case{"DelaySeconds", "-1"},
        Case{"MaximumMessageSize", "1023"}, Case{"MaximumMessageSize", "1048577"},
        Case{"MessageRetentionPeriod", "59"}, Case{"MessageRetentionPeriod", "1209601"},
        Case{"ReceiveMessageWaitTimeSeconds", "21"}, Case{"KmsDataKeyReusePeriodSeconds", "59"},
        Case{"VisibilityTimeout", "1.5"}, Case{"VisibilityTimeout", ""},
        Case{"SqsManagedSseEnabled", "yes"}, Case{"Policy", "not json"}}) {
    auto r = CanonicalizeAttributes({{c.name, c.value}}, false, true);
    ASSERT_FALSE(r.ok()) << c.name << "=" << c.value;
    EXPECT_EQ(r.status().code(), SqsError::kInvalidAttributeValue);
    EXPECT_EQ(r.status().message(), std::string("Invalid value for the parameter ") + c.name + ".");
  }
}

TEST(QueueConfigTest, UnknownAndReadOnlyNames) {
  for (const char* n : {"Foo", "QueueArn", "ApproximateNumberOfMessages", "CreatedTimestamp",
                        "ContentBasedDeduplication"}) {
    auto r = CanonicalizeAttributes({{n, "1"}}, false, false);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), SqsError::kInvalidAttributeName);
    EXPECT_EQ(r.status().message(), std::string("Unknown Attribute ") + n + ".");
  }
  auto scope = CanonicalizeAttributes({{"DeduplicationScope", "queue"}}, false, true);
  EXPECT_EQ(scope.status().message(),
            "You can specify the DeduplicationScope only when FifoQueue is set to true.");
  EXPECT_EQ(CanonicalizeAttributes({{"FifoQueue", "false"}}, false, false).status().message(),
            "Unknown Attribute FifoQueue.");
}

// Found by fuzzing: a 1 MB RedrivePolicy of '[' overflowed the stack of a recursive parser.
TEST(QueueConfigTest, DeeplyNestedJsonIsRejectedWithoutRecursion) {
  const std::string deep(1 << 20, '[');
  EXPECT_FALSE(ParseRedrivePolicy(deep).ok());
  EXPECT_FALSE(ParseRedriveAllowPolicy(deep).ok());
  std::string nested = "{\"a\":" + deep;
  EXPECT_FALSE(ParseRedrivePolicy(nested).ok());
}

TEST(QueueConfigTest, RedrivePolicy) {
  auto p = ParseRedrivePolicy(
      R"({"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":"3"})");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->max_receive_count, 3);
  EXPECT_EQ(p->dead_letter_queue.name, "dlq");
  EXPECT_EQ(
      p->ToJson(),
      R"({"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":3})");
  EXPECT_FALSE(ParseRedrivePolicy("{").ok());
  EXPECT_FALSE(ParseRedrivePolicy(R"({"maxReceiveCount":3})").ok());
  auto zero = ParseRedrivePolicy(
      R"({"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":0})");
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.status().message().find("valid values are from 1 to 1000"), std::string::npos);
  EXPECT_FALSE(
      ParseRedrivePolicy(
          R"({"deadLetterTargetArn":"arn:aws:sqs:us-east-1:0:dlq","maxReceiveCount":1001})")
          .ok());
}

// Found by fuzzing (fuzz_sqs_inputs): the canonical text is a fixed point. A "\u0000" in the
// target ARN cut the canonical JSON short (it was copied as a C string), and a number was re-
// written through a double (1e2 as 100.0, a 25-digit integer rounded), then again differently.
TEST(QueueConfigTest, CanonicalTextsAreFixedPoints) {
  const std::string with_nul =
      R"({"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:d\u0000lq","maxReceiveCount":3})";
  auto p = ParseRedrivePolicy(with_nul);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->dead_letter_target_arn.size(), 39u);
  auto again = ParseRedrivePolicy(p->ToJson());
  ASSERT_TRUE(again.ok()) << p->ToJson();
  EXPECT_EQ(again->dead_letter_target_arn, p->dead_letter_target_arn);

  const std::string policy =
      R"({ "Version": "2012-10-17", "n": 1e2, "m": -3243244342232242423242 })";
  auto c = CanonicalizeAttributes({{"Policy", policy}}, false, true);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->at("Policy"), R"({"Version":"2012-10-17","n":1e2,"m":-3243244342232242423242})");
  auto c2 = CanonicalizeAttributes(*c, false, true);
  ASSERT_TRUE(c2.ok());
  EXPECT_EQ(*c2, *c);
  EXPECT_FALSE(CanonicalizeAttributes({{"Policy", "[1]"}}, false, true).ok());
  EXPECT_FALSE(CanonicalizeAttributes({{"Policy", "{} {}"}}, false, true).ok());
}

TEST(QueueConfigTest, RedriveAllowPolicy) {
  auto all = ParseRedriveAllowPolicy(R"({"redrivePermission":"allowAll"})");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->Allows("x"));
  auto deny = ParseRedriveAllowPolicy(R"({"redrivePermission":"denyAll"})");
  ASSERT_TRUE(deny.ok());
  EXPECT_FALSE(deny->Allows("x"));
  auto by = ParseRedriveAllowPolicy(
      R"({"redrivePermission":"byQueue","sourceQueueArns":["arn:aws:sqs:us-east-1:0:a"]})");
  ASSERT_TRUE(by.ok());
  EXPECT_TRUE(by->Allows("arn:aws:sqs:us-east-1:0:a"));
  EXPECT_FALSE(by->Allows("arn:aws:sqs:us-east-1:0:b"));
  EXPECT_FALSE(ParseRedriveAllowPolicy(R"({"redrivePermission":"byQueue"})").ok());
  EXPECT_FALSE(ParseRedriveAllowPolicy(
                   R"({"redrivePermission":"allowAll","sourceQueueArns":["arn:aws:sqs:r:0:a"]})")
                   .ok());
  std::string eleven = R"({"redrivePermission":"byQueue","sourceQueueArns":[)";
  for (int i = 0; i < 11; ++i)
    eleven += (i ? ",\"" : "\"") + std::string("arn:aws:sqs:r:0:q") + std::to_string(i) + "\"";
  eleven += "]}";
  EXPECT_FALSE(ParseRedriveAllowPolicy(eleven).ok());
  EXPECT_FALSE(ParseRedriveAllowPolicy(R"({"redrivePermission":"some"})").ok());
}

TEST(QueueConfigTest, AddPermissionStopsAtTwentyStatements) {
  const std::string arn = "arn:aws:sqs:us-east-1:000000000000:q";
  std::string policy;
  for (int i = 0; i < 20; ++i) {
    auto p = PolicyAddPermission(policy, arn, "l" + std::to_string(i), {"111111111111"},
                                 {"SendMessage"});
    ASSERT_TRUE(p.ok()) << i;
    policy = *p;
  }
  auto over = PolicyAddPermission(policy, arn, "l20", {"111111111111"}, {"SendMessage"});
  EXPECT_EQ(over.status().code(), SqsError::kOverLimit);
  // At most 50 principals over the whole policy.
  std::vector<std::string> accounts(50, "111111111111");
  auto fifty = PolicyAddPermission("", arn, "many", accounts, {"SendMessage"});
  ASSERT_TRUE(fifty.ok());
  EXPECT_EQ(
      PolicyAddPermission(*fifty, arn, "one", {"111111111111"}, {"SendMessage"}).status().code(),
      SqsError::kOverLimit);
  // A statement that would take the policy past 8,192 bytes is refused too.
  std::vector<std::string> actions(300, "ChangeMessageVisibility");
  EXPECT_EQ(PolicyAddPermission("", arn, "big", {"111111111111"}, actions).status().code(),
            SqsError::kOverLimit);
}

TEST(QueueConfigTest, Permissions) {
  const std::string arn = "arn:aws:sqs:us-east-1:000000000000:q";
  auto p1 = PolicyAddPermission("", arn, "l1", {"111111111111"}, {"SendMessage"});
  ASSERT_TRUE(p1.ok());
  EXPECT_EQ(
      *p1,
      R"({"Version":"2012-10-17","Id":"arn:aws:sqs:us-east-1:000000000000:q/SQSDefaultPolicy",)"
      R"("Statement":[{"Sid":"l1","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},)"
      R"("Action":"SQS:SendMessage","Resource":"arn:aws:sqs:us-east-1:000000000000:q"}]})");
  auto dup = PolicyAddPermission(*p1, arn, "l1", {"1"}, {"*"});
  EXPECT_EQ(dup.status().message(),
            "Value l1 for parameter Label is invalid. Reason: Already exists.");
  auto p2 = PolicyAddPermission(*p1, arn, "l2", {"1", "2"}, {"ReceiveMessage", "DeleteMessage"});
  ASSERT_TRUE(p2.ok());
  EXPECT_NE(p2->find(R"("Action":["SQS:ReceiveMessage","SQS:DeleteMessage"])"), std::string::npos);
  auto r1 = PolicyRemovePermission(*p2, "l1");
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(r1->find("\"l1\""), std::string::npos);
  EXPECT_EQ(PolicyRemovePermission(*r1, "l1").status().message(),
            "Value l1 for parameter Label is invalid. Reason: can't find label.");
  auto r2 = PolicyRemovePermission(*r1, "l2");
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(*r2, "");
}

TEST(QueueConfigTest, Tags) {
  EXPECT_TRUE(ValidateTags({}, {{"k", ""}}).ok());
  EXPECT_FALSE(ValidateTags({}, {{"", "v"}}).ok());
  EXPECT_FALSE(ValidateTags({}, {{std::string(129, 'k'), "v"}}).ok());
  EXPECT_FALSE(ValidateTags({}, {{"k", std::string(257, 'v')}}).ok());
  EXPECT_FALSE(ValidateTags({}, {{"aws:x", "v"}}).ok());
  EXPECT_FALSE(ValidateTags({}, {{"AWS:x", "v"}}).ok());
  TagMap fifty;
  for (int i = 0; i < 50; ++i) fifty["k" + std::to_string(i)] = "v";
  EXPECT_TRUE(ValidateTags({}, fifty).ok());
  EXPECT_TRUE(ValidateTags(fifty, {{"k1", "new"}}).ok());
  EXPECT_FALSE(ValidateTags(fifty, {{"k50", "v"}}).ok());
}

TEST(QueueConfigTest, MoveTaskHandles) {
  const std::string arn = "arn:aws:sqs:us-east-1:000000000000:dlq";
  const std::string handle = EncodeMoveTaskHandle("task-1", arn);
  EXPECT_EQ(Base64Decode(handle).value_or(""),
            R"({"taskId":"task-1","sourceArn":"arn:aws:sqs:us-east-1:000000000000:dlq"})");
  auto decoded = DecodeMoveTaskHandle(handle);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->task_id, "task-1");
  EXPECT_EQ(decoded->source_arn, arn);
  // Handles of tasks started before the JSON form still cancel them.
  auto legacy = DecodeMoveTaskHandle(Base64Encode("task-2|" + arn));
  ASSERT_TRUE(legacy);
  EXPECT_EQ(legacy->task_id, "task-2");
  EXPECT_FALSE(DecodeMoveTaskHandle("!!"));
  EXPECT_FALSE(DecodeMoveTaskHandle(Base64Encode(R"({"taskId":"t","sourceArn":"x"})")));
  EXPECT_FALSE(DecodeMoveTaskHandle(Base64Encode(R"({"taskId":"","sourceArn":")" + arn + "\"}")));
  EXPECT_FALSE(DecodeMoveTaskHandle(Base64Encode("|" + arn)));
}

}  // namespace
}  // namespace sluice::engine
