// The AWS managed policies Sluice serves under arn:aws:iam::aws:policy/..., with their real
// default documents (AWS's managed policy reference) for the services Sluice implements.
// Statements for services Sluice does not serve (sms-voice) are kept as AWS has them: they
// never match a Sluice request.
#include <fmt/format.h>

#include "auth/session_token.h"
#include "common/clock.h"
#include "services/iam/directory.h"

namespace sluice::iam {
namespace {

struct Known {
  const char* name;
  const char* description;
  const char* version;
  int created[5];  // y, m, d, h, min (UTC)
  int updated[5];
  const char* document;
};

constexpr Known kKnown[] =
    {
        {"AdministratorAccess",
         "Provides full access to AWS services and resources.",
         "v1",
         {2015, 2, 6, 18, 39},
         {2015, 2, 6, 18, 39},
         R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})"},
        {"AmazonSQSFullAccess",
         "Provides full access to Amazon SQS via the AWS Management Console.",
         "v3",
         {2015, 2, 6, 18, 41},
         {2024, 5, 24, 18, 16},
         R"({"Version":"2012-10-17","Statement":[{"Sid":"SQSFullAccess","Effect":"Allow","Action":["sqs:*"],"Resource":"*"}]})"},
        {"AmazonSQSReadOnlyAccess",
         "Provides read only access to Amazon SQS via the AWS Management Console.",
         "v4",
         {2015, 2, 6, 18, 41},
         {2024, 5, 24, 18, 16},
         R"({"Version":"2012-10-17","Statement":[{"Sid":"AmazonSQSReadOnlyAccess","Effect":"Allow","Action":["sqs:GetQueueAttributes","sqs:GetQueueUrl","sqs:ListDeadLetterSourceQueues","sqs:ListQueues","sqs:ListMessageMoveTasks","sqs:ListQueueTags"],"Resource":"*"}]})"},
        {"AmazonSNSFullAccess",
         "Provides full access to Amazon SNS via the AWS Management Console.",
         "v2",
         {2015, 2, 6, 18, 41},
         {2024, 9, 24, 22, 32},
         R"({"Version":"2012-10-17","Statement":[{"Sid":"SNSFullAccess","Effect":"Allow","Action":"sns:*","Resource":"*"},{"Sid":"SMSAccessViaSNS","Effect":"Allow","Action":["sms-voice:DescribeVerifiedDestinationNumbers","sms-voice:CreateVerifiedDestinationNumber","sms-voice:SendDestinationNumberVerificationCode","sms-voice:SendTextMessage","sms-voice:DeleteVerifiedDestinationNumber","sms-voice:VerifyDestinationNumber","sms-voice:DescribeAccountAttributes","sms-voice:DescribeSpendLimits","sms-voice:DescribePhoneNumbers","sms-voice:SetTextMessageSpendLimitOverride","sms-voice:DescribeOptedOutNumbers","sms-voice:DeleteOptedOutNumber"],"Resource":"*","Condition":{"StringEquals":{"aws:CalledViaLast":"sns.amazonaws.com"}}}]})"},
        {"AmazonSNSReadOnlyAccess",
         "Provides read only access to Amazon SNS via the AWS Management Console.",
         "v2",
         {2015, 2, 6, 18, 41},
         {2024, 9, 24, 22, 13},
         R"({"Version":"2012-10-17","Statement":[{"Sid":"SNSReadOnlyAccess","Effect":"Allow","Action":["sns:GetTopicAttributes","sns:List*","sns:CheckIfPhoneNumberIsOptedOut","sns:GetEndpointAttributes","sns:GetDataProtectionPolicy","sns:GetPlatformApplicationAttributes","sns:GetSMSAttributes","sns:GetSMSSandboxAccountStatus","sns:GetSubscriptionAttributes"],"Resource":"*"},{"Sid":"SMSAccessViaSNS","Effect":"Allow","Action":["sms-voice:DescribeVerifiedDestinationNumbers","sms-voice:DescribeAccountAttributes","sms-voice:DescribeSpendLimits","sms-voice:DescribePhoneNumbers","sms-voice:DescribeOptedOutNumbers"],"Resource":"*","Condition":{"StringEquals":{"aws:CalledViaLast":"sns.amazonaws.com"}}}]})"},
        {"CloudWatchReadOnlyAccess",
         "Provides read only access to CloudWatch.",
         "v10",
         {2015, 2, 6, 18, 40},
         {2024, 11, 21, 17, 51},
         R"({"Version":"2012-10-17","Statement":[{"Sid":"CloudWatchReadOnlyAccessPermissions","Effect":"Allow","Action":["application-autoscaling:DescribeScalingPolicies","application-signals:BatchGet*","application-signals:Get*","application-signals:List*","autoscaling:Describe*","cloudwatch:BatchGet*","cloudwatch:Describe*","cloudwatch:GenerateQuery","cloudwatch:Get*","cloudwatch:List*","logs:Get*","logs:List*","logs:StartQuery","logs:StopQuery","logs:Describe*","logs:TestMetricFilter","logs:FilterLogEvents","logs:StartLiveTail","logs:StopLiveTail","oam:ListSinks","sns:Get*","sns:List*","rum:BatchGet*","rum:Get*","rum:List*","synthetics:Describe*","synthetics:Get*","synthetics:List*","xray:BatchGet*","xray:Get*","xray:List*","xray:StartTraceRetrieval","xray:CancelTraceRetrieval"],"Resource":"*"},{"Sid":"OAMReadPermissions","Effect":"Allow","Action":["oam:ListAttachedLinks"],"Resource":"arn:aws:oam:*:*:sink/*"},{"Sid":"CloudWatchReadOnlyGetRolePermissions","Effect":"Allow","Action":"iam:GetRole","Resource":"arn:aws:iam::*:role/aws-service-role/application-signals.cloudwatch.amazonaws.com/AWSServiceRoleForCloudWatchApplicationSignals"}]})"},
        {"AmazonSSMReadOnlyAccess",
         "Provides read only access to Amazon SSM.",
         "v1",
         {2015, 5, 29, 17, 44},
         {2015, 5, 29, 17, 44},
         R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:Describe*","ssm:Get*","ssm:List*"],"Resource":"*"}]})"},
};

std::int64_t Ms(const int (&t)[5]) {
  return DaysFromCivil(t[0], static_cast<unsigned>(t[1]), static_cast<unsigned>(t[2])) * 86400000 +
         (t[3] * 3600LL + t[4] * 60LL) * 1000;
}

}  // namespace

const std::map<std::string, ManagedPolicy>& AwsManagedPolicies() {
  static const auto* kPolicies = [] {
    auto* out = new std::map<std::string, ManagedPolicy>();
    for (const Known& k : kKnown) {
      ManagedPolicy p;
      p.name = k.name;
      p.id = auth::UniqueId("ANPA", "aws", k.name);  // stable, but not AWS's own ids
      p.description = k.description;
      p.create_ms = Ms(k.created);
      p.update_ms = Ms(k.updated);
      p.default_version = k.version;
      p.versions.push_back({k.version, k.document, p.update_ms});
      p.aws_managed = true;
      out->emplace(p.name, std::move(p));
    }
    return out;
  }();
  return *kPolicies;
}

}  // namespace sluice::iam
