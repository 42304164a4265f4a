// Policy parsing and evaluation: a table of (policy, request) -> decision cases.
#include "auth/policy.h"

#include "auth/auth.h"

#include <gtest/gtest.h>

// Cases leave trailing fields at their defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include <string>
#include <vector>

namespace sluice::auth {
namespace {

constexpr char kQueue[] = "arn:aws:sqs:us-east-1:111111111111:orders";
constexpr std::int64_t kNow = 1705320000000;  // 2024-01-15T12:00:00Z

enum class Want { kNone, kAllow, kDeny };

struct Case {
  const char* name;
  PolicyKind kind;
  std::string statement;  // one statement (JSON object)
  std::string action = "sqs:SendMessage";
  std::string resource = kQueue;
  std::string source_ip = "127.0.0.1";
  bool secure = false;
  std::string principal = "arn:aws:iam::111111111111:user/alice";
  std::string account = "111111111111";
  std::string service;
  std::string source_arn;
  Want want = Want::kAllow;
};

std::string Doc(const std::string& statement) {
  return R"({"Version":"2012-10-17","Statement":[)" + statement + "]}";
}

Decision RunCase(const Case& c) {
  auto p = ParsePolicy(Doc(c.statement), c.kind);
  EXPECT_TRUE(p.ok()) << c.name << ": " << p.status().message();
  if (!p.ok()) return {};
  RequestFacts f;
  f.principal_arn = c.principal;
  f.principal_account = c.account;
  f.principal_service = c.service;
  f.username = "alice";
  f.source_ip = c.source_ip;
  f.secure_transport = c.secure;
  f.now_ms = kNow;
  f.source_arn = c.source_arn;
  return p->Evaluate(EvalRequest{c.action, c.resource, &f});
}

const std::string kAllowAll = R"({"Effect":"Allow","Action":"sqs:*","Resource":"*")";
const std::string kPrincipalAll = R"({"Effect":"Allow","Principal":"*","Action":"sqs:*")";

TEST(Policy, EvaluationTable) {
  const auto I = PolicyKind::kIdentity;
  const auto R = PolicyKind::kResource;
  std::vector<Case> cases = {
      {"allow all", I, kAllowAll + "}"},
      {"exact action", I, R"({"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"})"},
      {"action case-insensitive", I,
       R"({"Effect":"Allow","Action":"SQS:sendmessage","Resource":"*"})"},
      {"other action", I, R"({"Effect":"Allow","Action":"sqs:ReceiveMessage","Resource":"*"})",
       "sqs:SendMessage", kQueue, "127.0.0.1", false, "arn:aws:iam::111111111111:user/alice",
       "111111111111", "", "", Want::kNone},
      {"action wildcard prefix", I, R"({"Effect":"Allow","Action":"sqs:Send*","Resource":"*"})"},
      {"action ? wildcard", I, R"({"Effect":"Allow","Action":"sqs:SendMessag?","Resource":"*"})"},
      {"star action", I, R"({"Effect":"Allow","Action":"*","Resource":"*"})"},
      {"action list", I,
       R"({"Effect":"Allow","Action":["sqs:ReceiveMessage","sqs:SendMessage"],"Resource":"*"})"},
      {"NotAction excludes", I,
       R"({"Effect":"Allow","NotAction":"sqs:SendMessage","Resource":"*"})", "sqs:SendMessage",
       kQueue, "127.0.0.1", false, "arn:aws:iam::111111111111:user/alice", "111111111111", "", "",
       Want::kNone},
      {"NotAction includes others", I,
       R"({"Effect":"Allow","NotAction":"sqs:DeleteQueue","Resource":"*"})"},
      {"resource exact", I,
       R"({"Effect":"Allow","Action":"sqs:*","Resource":")" + std::string(kQueue) + R"("})"},
      {"resource wildcard", I,
       R"({"Effect":"Allow","Action":"sqs:*","Resource":"arn:aws:sqs:*:111111111111:ord*"})"},
      {"resource other queue", I,
       R"({"Effect":"Allow","Action":"sqs:*","Resource":"arn:aws:sqs:*:111111111111:other"})",
       "sqs:SendMessage", kQueue, "127.0.0.1", false, "arn:aws:iam::111111111111:user/alice",
       "111111111111", "", "", Want::kNone},
      {"resource case-sensitive", I,
       R"({"Effect":"Allow","Action":"sqs:*","Resource":"arn:aws:sqs:*:111111111111:ORDERS"})",
       "sqs:SendMessage", kQueue, "127.0.0.1", false, "arn:aws:iam::111111111111:user/alice",
       "111111111111", "", "", Want::kNone},
      {"NotResource", I,
       R"({"Effect":"Allow","Action":"sqs:*","NotResource":"arn:aws:sqs:*:*:secret*"})"},
      {"deny", I, R"({"Effect":"Deny","Action":"sqs:*","Resource":"*"})", "sqs:SendMessage", kQueue,
       "127.0.0.1", false, "arn:aws:iam::111111111111:user/alice", "111111111111", "", "",
       Want::kDeny},
      {"deny wins over allow", I,
       kAllowAll + R"(},{"Effect":"Deny","Action":"sqs:Send*","Resource":"*"})", "sqs:SendMessage",
       kQueue, "127.0.0.1", false, "arn:aws:iam::111111111111:user/alice", "111111111111", "", "",
       Want::kDeny},
      // Principals (resource policies).
      {"principal *", R, kPrincipalAll + "}"},
      {"principal AWS *", R, R"({"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sqs:*"})"},
      {"principal account id", R,
       R"({"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sqs:*"})"},
      {"principal account root", R,
       R"({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sqs:*"})"},
      {"principal other account", R,
       R"({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sqs:*"})",
       "sqs:SendMessage", kQueue, "127.0.0.1", false, "arn:aws:iam::111111111111:user/alice",
       "111111111111", "", "", Want::kNone},
      {"principal user arn", R,
       R"({"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:user/alice"]},"Action":"sqs:*"})"},
      {"principal other user", R,
       R"({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/bob"},"Action":"sqs:*"})",
       "sqs:SendMessage", kQueue, "127.0.0.1", false, "arn:aws:iam::111111111111:user/alice",
       "111111111111", "", "", Want::kNone},
      {"service principal", R,
       R"({"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage",)"
       R"("Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111111111111:topic"}}})",
       "sqs:SendMessage", kQueue, "127.0.0.1", false, "", "", "sns.amazonaws.com",
       "arn:aws:sns:us-east-1:111111111111:topic", Want::kAllow},
      {"service principal wrong source", R,
       R"({"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage",)"
       R"("Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:111111111111:topic"}}})",
       "sqs:SendMessage", kQueue, "127.0.0.1", false, "", "", "sns.amazonaws.com",
       "arn:aws:sns:us-east-1:111111111111:other", Want::kNone},
      {"service principal does not match users", R,
       R"({"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:*"})",
       "sqs:SendMessage", kQueue, "127.0.0.1", false, "arn:aws:iam::111111111111:user/alice",
       "111111111111", "", "", Want::kNone},
      // Conditions.
      {"SourceIp loopback", I,
       kAllowAll + R"(,"Condition":{"IpAddress":{"aws:SourceIp":["127.0.0.0/8","::1/128"]}}})"},
      {"SourceIp v6 loopback", I,
       kAllowAll + R"(,"Condition":{"IpAddress":{"aws:SourceIp":["127.0.0.0/8","::1/128"]}}})",
       "sqs:SendMessage", kQueue, "::1"},
      {"SourceIp mapped v4", I,
       kAllowAll + R"(,"Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.1/32"}}})",
       "sqs:SendMessage", kQueue, "::ffff:127.0.0.1"},
      {"SourceIp outside", I,
       kAllowAll + R"(,"Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}})",
       "sqs:SendMessage", kQueue, "192.168.1.5", false, "arn:aws:iam::111111111111:user/alice",
       "111111111111", "", "", Want::kNone},
      {"NotIpAddress deny", I,
       kAllowAll +
           R"(},{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"127.0.0.0/8"}}})",
       "sqs:SendMessage", kQueue, "192.168.1.5", false, "arn:aws:iam::111111111111:user/alice",
       "111111111111", "", "", Want::kDeny},
      {"SecureTransport false denies", I,
       kAllowAll +
           R"(},{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}})",
       "sqs:SendMessage", kQueue, "127.0.0.1", false, "arn:aws:iam::111111111111:user/alice",
       "111111111111", "", "", Want::kDeny},
      {"SecureTransport true passes", I,
       kAllowAll +
           R"(},{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false}}})",
       "sqs:SendMessage", kQueue, "127.0.0.1", true},
      {"PrincipalAccount", R,
       kPrincipalAll + R"(,"Condition":{"StringEquals":{"aws:PrincipalAccount":"111111111111"}}})"},
      {"StringNotEquals", R,
       kPrincipalAll + R"(,"Condition":{"StringNotEquals":{"aws:PrincipalAccount":["2","3"]}}})"},
      {"StringEqualsIgnoreCase", I,
       kAllowAll + R"(,"Condition":{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}})"},
      {"StringLike", I,
       kAllowAll + R"(,"Condition":{"StringLike":{"aws:PrincipalArn":"*:user/al*"}}})"},
      {"StringNotLike", I,
       kAllowAll + R"(,"Condition":{"StringNotLike":{"aws:PrincipalArn":"*:user/al*"}}})",
       "sqs:SendMessage", kQueue, "127.0.0.1", false, "arn:aws:iam::111111111111:user/alice",
       "111111111111", "", "", Want::kNone},
      {"condition key case-insensitive", I,
       kAllowAll + R"(,"Condition":{"StringEquals":{"AWS:PRINCIPALACCOUNT":"111111111111"}}})"},
      {"missing key fails", I,
       kAllowAll + R"(,"Condition":{"StringEquals":{"aws:SourceArn":"x"}}})", "sqs:SendMessage",
       kQueue, "127.0.0.1", false, "arn:aws:iam::111111111111:user/alice", "111111111111", "", "",
       Want::kNone},
      {"missing key negated passes", I,
       kAllowAll + R"(,"Condition":{"StringNotEquals":{"aws:SourceArn":"x"}}})"},
      {"IfExists missing passes", I,
       kAllowAll + R"(,"Condition":{"ArnEqualsIfExists":{"aws:SourceArn":"x"}}})"},
      {"IfExists present checks", I,
       kAllowAll + R"(,"Condition":{"StringEqualsIfExists":{"aws:PrincipalAccount":"x"}}})",
       "sqs:SendMessage", kQueue, "127.0.0.1", false, "arn:aws:iam::111111111111:user/alice",
       "111111111111", "", "", Want::kNone},
      {"Null true (absent)", I, kAllowAll + R"(,"Condition":{"Null":{"aws:SourceArn":"true"}}})"},
      {"Null false (absent)", I, kAllowAll + R"(,"Condition":{"Null":{"aws:SourceArn":"false"}}})",
       "sqs:SendMessage", kQueue, "127.0.0.1", false, "arn:aws:iam::111111111111:user/alice",
       "111111111111", "", "", Want::kNone},
      {"ForAnyValue", I,
       kAllowAll +
           R"(,"Condition":{"ForAnyValue:StringEquals":{"aws:username":["bob","alice"]}}})"},
      {"ForAnyValue missing", I,
       kAllowAll + R"(,"Condition":{"ForAnyValue:StringEquals":{"aws:SourceArn":["x"]}}})",
       "sqs:SendMessage", kQueue, "127.0.0.1", false, "arn:aws:iam::111111111111:user/alice",
       "111111111111", "", "", Want::kNone},
      {"ForAllValues missing", I,
       kAllowAll + R"(,"Condition":{"ForAllValues:StringEquals":{"aws:SourceArn":["x"]}}})"},
      {"DateLessThan", I,
       kAllowAll + R"(,"Condition":{"DateLessThan":{"aws:CurrentTime":"2024-01-15T12:00:01Z"}}})"},
      {"DateGreaterThan", I,
       kAllowAll + R"(,"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2024-01-16"}}})",
       "sqs:SendMessage", kQueue, "127.0.0.1", false, "arn:aws:iam::111111111111:user/alice",
       "111111111111", "", "", Want::kNone},
      {"NumericLessThan epoch", I,
       kAllowAll + R"(,"Condition":{"NumericLessThan":{"aws:EpochTime":1705320001}}})"},
      {"NumericGreaterThanEquals", I,
       kAllowAll + R"(,"Condition":{"NumericGreaterThanEquals":{"aws:EpochTime":"1705320001"}}})",
       "sqs:SendMessage", kQueue, "127.0.0.1", false, "arn:aws:iam::111111111111:user/alice",
       "111111111111", "", "", Want::kNone},
      {"two operators AND", I,
       kAllowAll +
           R"(,"Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.1"},"Bool":{"aws:SecureTransport":"true"}}})",
       "sqs:SendMessage", kQueue, "127.0.0.1", false, "arn:aws:iam::111111111111:user/alice",
       "111111111111", "", "", Want::kNone},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const Decision d = RunCase(c);
    const Want got = d.deny ? Want::kDeny : d.allow ? Want::kAllow : Want::kNone;
    EXPECT_EQ(static_cast<int>(got), static_cast<int>(c.want));
  }
}

TEST(Policy, AccountPrincipalIsNotDirect) {
  Case c{"", PolicyKind::kResource,
         R"({"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sqs:*"})"};
  const Decision d = RunCase(c);
  EXPECT_TRUE(d.allow);
  EXPECT_FALSE(d.allow_direct);
  c.statement = kPrincipalAll + "}";
  EXPECT_TRUE(RunCase(c).allow_direct);
}

// The statement AWS writes into the key policy of an AWS managed key (alias/aws/ssm): any principal
// of the account, but only through the service.
TEST(Policy, KmsViaServiceAndCallerAccount) {
  auto p = ParsePolicy(
      Doc(R"({"Effect":"Allow","Principal":{"AWS":"*"},"Action":["kms:Decrypt"],"Resource":"*",
              "Condition":{"StringEquals":{"kms:CallerAccount":"111111111111",
                                           "kms:ViaService":"ssm.us-east-1.amazonaws.com"}}})"),
      PolicyKind::kResource);
  ASSERT_TRUE(p.ok()) << p.status().message();
  RequestFacts f;
  f.principal_arn = "arn:aws:iam::111111111111:user/alice";
  f.principal_account = "111111111111";
  const EvalRequest req{"kms:Decrypt", "arn:aws:kms:us-east-1:111111111111:key/k", &f};
  EXPECT_FALSE(p->Evaluate(req).allow);  // a direct call
  f.via_service = "sqs.us-east-1.amazonaws.com";
  EXPECT_FALSE(p->Evaluate(req).allow);
  f.via_service = "ssm.us-east-1.amazonaws.com";
  EXPECT_TRUE(p->Evaluate(req).allow_direct);
  f.principal_account = "222222222222";
  EXPECT_FALSE(p->Evaluate(req).allow);
}

TEST(Policy, InvalidDocuments) {
  const std::vector<std::pair<std::string, PolicyKind>> bad = {
      {"not json", PolicyKind::kResource},
      {"[]", PolicyKind::kResource},
      {R"({"Version":"2012-10-17"})", PolicyKind::kResource},
      {R"({"Version":"2099-01-01","Statement":[]})", PolicyKind::kResource},
      {R"({"Statement":[{"Effect":"Maybe","Principal":"*","Action":"sqs:*"}]})",
       PolicyKind::kResource},
      {R"({"Statement":[{"Principal":"*","Action":"sqs:*"}]})", PolicyKind::kResource},
      {R"({"Statement":[{"Effect":"Allow","Principal":"*"}]})", PolicyKind::kResource},
      {R"({"Statement":[{"Effect":"Allow","Action":"sqs:*"}]})", PolicyKind::kResource},
      {R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"SendMessage"}]})",
       PolicyKind::kResource},
      {R"({"Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"queue"}]})",
       PolicyKind::kIdentity},
      {R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"sqs:*"}]})",
       PolicyKind::kResource},
      {R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:*","Condition":{"StringFoo":{"a":"b"}}}]})",
       PolicyKind::kResource},
      {R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:*","Condition":{"IpAddress":{"aws:SourceIp":"nope"}}}]})",
       PolicyKind::kResource},
      {R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:*","Bogus":1}]})",
       PolicyKind::kResource},
      {R"({"Statement":[{"Effect":"Allow","Action":"sqs:*"}]})", PolicyKind::kIdentity},
      {R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:*","Resource":"*"}]})",
       PolicyKind::kIdentity},
  };
  for (const auto& [doc, kind] : bad) {
    EXPECT_EQ(ParsePolicy(doc, kind).status().code(), ErrorCode::kInvalidParameterValue) << doc;
  }
  // What AddPermission writes, and an emptied policy, parse.
  EXPECT_TRUE(
      ParsePolicy(R"({"Version":"2012-10-17","Id":"arn:aws:sqs:us-east-1:1:q/SQSDefaultPolicy",)"
                  R"("Statement":[{"Sid":"l1","Effect":"Allow","Principal":{"AWS":)"
                  R"("arn:aws:iam::222222222222:root"},"Action":"SQS:SendMessage",)"
                  R"("Resource":"arn:aws:sqs:us-east-1:1:q"}]})",
                  PolicyKind::kResource)
          .ok());
  EXPECT_TRUE(
      ParsePolicy(R"({"Version":"2012-10-17","Statement":[]})", PolicyKind::kResource).ok());
}

TEST(Policy, ResourcePolicyKeepsResourcesThatAreNotArns) {
  // AWS stores a queue policy whose Resource is not an ARN (a pasted template: localstack's
  // AWS-validated test_set_queue_policy); such a statement matches no request.
  const std::string doc =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},)"
      R"("Action":"sqs:SendMessage","Resource":"'$sqs_queue_arn'","Condition":{"ArnEquals":)"
      R"({"aws:SourceArn":"'$sns_topic_arn'"}}}]})";
  auto p = ParsePolicy(doc, PolicyKind::kResource);
  ASSERT_TRUE(p.ok()) << p.status().message();
  RequestFacts facts;
  facts.principal_arn = "arn:aws:iam::222222222222:user/bob";
  facts.principal_account = "222222222222";
  facts.source_arn = "arn:aws:sns:us-east-1:222222222222:t";
  EXPECT_FALSE(p->Evaluate(EvalRequest{"sqs:SendMessage", kQueue, &facts}).allow);
  EXPECT_TRUE(ValidateResourcePolicy(doc).ok());
}

TEST(Policy, Wildcards) {
  EXPECT_TRUE(WildcardMatch("*", "", false));
  EXPECT_TRUE(WildcardMatch("a*b*c", "aXXbYYc", false));
  EXPECT_FALSE(WildcardMatch("a*b*c", "aXXbYY", false));
  EXPECT_TRUE(WildcardMatch("a?c", "abc", false));
  EXPECT_FALSE(WildcardMatch("A?C", "abc", false));
  EXPECT_TRUE(WildcardMatch("A?C", "abc", true));
}

// Found by fuzz/fuzz_policy (fuzz/README.md): deep nesting overflowed the stack of the recursive
// JSON parser; huge epoch-second dates overflowed the millisecond conversion (UB).
TEST(Policy, HostileDocumentsAreRejectedWithoutCrashing) {
  const std::string deep(1'000'000, '[');
  EXPECT_EQ(ParsePolicy(deep, PolicyKind::kResource).status().code(),
            ErrorCode::kInvalidParameterValue);
  const std::string nested = std::string(100'000, '[') + std::string(100'000, ']');
  EXPECT_FALSE(ParsePolicy(nested, PolicyKind::kIdentity).ok());
  for (const char* date : {"1e300", "-1e300", "1e16"}) {
    const std::string doc =
        Doc(std::string(R"({"Effect":"Allow","Action":"*","Resource":"*","Condition":)") +
            R"({"DateLessThan":{"aws:CurrentTime":")" + date + R"("}}})");
    EXPECT_EQ(ParsePolicy(doc, PolicyKind::kIdentity).status().code(),
              ErrorCode::kInvalidParameterValue)
        << date;
  }
  auto ok = ParsePolicy(Doc(R"({"Effect":"Allow","Action":"*","Resource":"*","Condition":)"
                            R"({"DateLessThan":{"aws:CurrentTime":"1e15"}}})"),
                        PolicyKind::kIdentity);
  EXPECT_TRUE(ok.ok());
}

}  // namespace
}  // namespace sluice::auth
