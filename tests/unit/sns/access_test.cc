// What SNS may do on the queues it delivers to: the queue's policy (sqs:SendMessage) and, for an
// encrypted queue, the key's policy (kms:GenerateDataKey and kms:Decrypt), both for the service
// principal sns.amazonaws.com with aws:SourceArn / aws:SourceAccount.
#include <gtest/gtest.h>

#include <string>

#include "services/sns/access.h"

namespace sluice::sns {
namespace {

constexpr const char* kTopic = "arn:aws:sns:us-east-1:111111111111:orders";
constexpr const char* kQueue = "arn:aws:sqs:us-east-1:111111111111:billing";
constexpr const char* kKey =
    "arn:aws:kms:us-east-1:111111111111:key/0d3a4d5e-1111-2222-3333-444455556666";

std::string Statement(const std::string& principal, const std::string& actions,
                      const std::string& condition = "") {
  return R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":)" + principal +
         R"(,"Action":)" + actions + R"(,"Resource":"*")" +
         (condition.empty() ? "" : R"(,"Condition":)" + condition) + "}]}";
}

TEST(Access, QueuePolicyConditionsOnSourceArnAndAccount) {
  const std::string sns = R"({"Service":"sns.amazonaws.com"})";
  EXPECT_FALSE(QueueAllowsTopic("", kQueue, kTopic, "111111111111", 0));
  EXPECT_TRUE(
      QueueAllowsTopic(Statement(sns, R"("sqs:SendMessage")"), kQueue, kTopic, "111111111111", 0));
  EXPECT_TRUE(QueueAllowsTopic(
      Statement(sns, R"("sqs:SendMessage")",
                R"({"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:111111111111:ord*"},)"
                R"("StringEquals":{"aws:SourceAccount":"111111111111"}})"),
      kQueue, kTopic, "111111111111", 0));
  EXPECT_FALSE(
      QueueAllowsTopic(Statement(sns, R"("sqs:SendMessage")",
                                 R"({"StringEquals":{"aws:SourceAccount":"222222222222"}})"),
                       kQueue, kTopic, "111111111111", 0));
  EXPECT_FALSE(QueueAllowsTopic(
      Statement(sns, R"("sqs:SendMessage")", R"({"ArnEquals":{"aws:SourceArn":"arn:x"}})"), kQueue,
      kTopic, "111111111111", 0));
  // Another service principal is not SNS.
  EXPECT_FALSE(
      QueueAllowsTopic(Statement(R"({"Service":"events.amazonaws.com"})", R"("sqs:SendMessage")"),
                       kQueue, kTopic, "111111111111", 0));
}

TEST(Access, KeyPolicyMustLetSnsGenerateDataKeysAndDecrypt) {
  const std::string sns = R"({"Service":"sns.amazonaws.com"})";
  // The default key policy names the account only.
  EXPECT_FALSE(
      KeyAllowsTopic(Statement(R"({"AWS":"arn:aws:iam::111111111111:root"})", R"("kms:*")"), kKey,
                     kTopic, "111111111111", 0));
  EXPECT_TRUE(KeyAllowsTopic(Statement(sns, R"(["kms:GenerateDataKey*","kms:Decrypt"])"), kKey,
                             kTopic, "111111111111", 0));
  // Both actions are needed.
  EXPECT_FALSE(
      KeyAllowsTopic(Statement(sns, R"("kms:GenerateDataKey")"), kKey, kTopic, "111111111111", 0));
  EXPECT_TRUE(KeyAllowsTopic(
      Statement(sns, R"("kms:*")", R"({"StringEquals":{"aws:SourceAccount":"111111111111"}})"),
      kKey, kTopic, "111111111111", 0));
  EXPECT_FALSE(KeyAllowsTopic(
      Statement(sns, R"("kms:*")", R"({"StringEquals":{"aws:SourceAccount":"222222222222"}})"),
      kKey, kTopic, "111111111111", 0));
  EXPECT_FALSE(KeyAllowsTopic("", kKey, kTopic, "111111111111", 0));
  EXPECT_FALSE(KeyAllowsTopic("{not json", kKey, kTopic, "111111111111", 0));
}

}  // namespace
}  // namespace sluice::sns
