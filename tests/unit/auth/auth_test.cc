// Auth: Authenticate (configured users, SigV4, time, tokens) and Authorize (identity and resource
// policies, same- and cross-account rules).
#include "auth/auth.h"

#include <gtest/gtest.h>

#include "auth/session_token.h"
#include "auth/sigv4.h"

namespace sluice::auth {
namespace {

constexpr char kQueueArn[] = "arn:aws:sqs:us-east-1:111111111111:orders";
constexpr char kAllowAll[] =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]})";
constexpr char kSendOnly[] =
    R"({"Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"}]})";

AuthConfig Config() {
  AuthConfig c;
  c.region = "us-east-1";
  c.accounts = {"111111111111", "222222222222"};
  c.users = {
      {"alice", "111111111111", "AKALICE", "alice-secret", "", {kAllowAll}},
      {"sender", "111111111111", "AKSENDER", "sender-secret", "", {kSendOnly}},
      {"bob", "222222222222", "AKBOB", "bob-secret", "", {kAllowAll}},
      {"temp", "111111111111", "ASTEMP", "temp-secret", "the-token", {kAllowAll}},
      {"root", "222222222222", "AKROOT2", "root-secret", "", {}},
  };
  return c;
}

// A signed JSON request at `when` (epoch seconds) for `akid`/`secret`.
net::HttpRequest Signed(std::string_view akid, std::string_view secret, std::int64_t when,
                        std::string region = "us-east-1", std::string token = "") {
  net::HttpRequest req;
  req.method = "POST";
  req.target = "/";
  req.body = R"({"QueueUrl":"http://localhost:9324/111111111111/orders","MessageBody":"x"})";
  const std::string amz_date = FormatAmzDate(when);
  req.headers = {{"Host", "localhost:9324"},
                 {"Content-Type", "application/x-amz-json-1.0"},
                 {"X-Amz-Target", "AmazonSQS.SendMessage"},
                 {"X-Amz-Date", amz_date}};
  std::string signed_headers = "content-type;host;x-amz-date;x-amz-target";
  if (!token.empty()) {
    req.headers.emplace_back("X-Amz-Security-Token", token);
    signed_headers += ";x-amz-security-token";
  }
  SigV4Request sig;
  sig.access_key_id = std::string(akid);
  sig.date = amz_date.substr(0, 8);
  sig.region = region;
  sig.service = "sqs";
  sig.signed_headers = signed_headers;
  sig.amz_date = amz_date;
  auto sts = BuildStringToSign(req, sig);
  const std::string signature =
      SignatureHex(DeriveSigningKey(secret, sig.date, region, "sqs"), *sts);
  req.headers.emplace_back("Authorization",
                           "AWS4-HMAC-SHA256 Credential=" + std::string(akid) + "/" + sig.Scope() +
                               ", SignedHeaders=" + signed_headers + ", Signature=" + signature);
  return req;
}

class AuthTest : public ::testing::Test {
 protected:
  FakeClock clock_{1705320000000};
  std::unique_ptr<Auth> auth_ = std::move(Auth::Create(Config(), clock_)).value();
  std::int64_t now() const { return clock_.NowMs() / 1000; }

  ErrorId Authn(const net::HttpRequest& req, RequestContext* out = nullptr) {
    RequestContext ctx;
    ctx.source_ip = "127.0.0.1";
    const Status s = auth_->Authenticate(req, "sqs", ctx);
    if (out) *out = ctx;
    return s.code();
  }

  RequestContext As(std::string_view akid, std::string_view secret) {
    RequestContext ctx;
    EXPECT_EQ(Authn(Signed(akid, secret, now()), &ctx), ErrorCode::kOk);
    ctx.source_ip = "127.0.0.1";
    return ctx;
  }
};

TEST_F(AuthTest, Authenticate) {
  RequestContext ctx;
  EXPECT_EQ(Authn(Signed("AKALICE", "alice-secret", now()), &ctx), ErrorCode::kOk);
  EXPECT_TRUE(ctx.authenticated);
  EXPECT_EQ(ctx.account_id, "111111111111");
  EXPECT_EQ(ctx.principal_arn, "arn:aws:iam::111111111111:user/alice");
  // SenderId / GetCallerIdentity UserId: the user's stable unique id, not the access key.
  EXPECT_EQ(ctx.sender_id, UniqueId("AIDA", "111111111111", "alice"));
  ASSERT_TRUE(ctx.principal);
  EXPECT_EQ(ctx.principal->arn, "arn:aws:iam::111111111111:user/alice");
  EXPECT_EQ(Authn(Signed("AKALICE", "wrong", now())), ErrorCode::kSignatureDoesNotMatch);
  EXPECT_EQ(Authn(Signed("AKNOBODY", "x", now())), ErrorCode::kInvalidClientTokenId);
  EXPECT_EQ(Authn(Signed("AKALICE", "alice-secret", now() - 16 * 60)),
            ErrorCode::kSignatureDoesNotMatch);
  EXPECT_EQ(Authn(Signed("AKALICE", "alice-secret", now() + 16 * 60)),
            ErrorCode::kSignatureDoesNotMatch);
  EXPECT_EQ(Authn(Signed("AKALICE", "alice-secret", now() - 14 * 60)), ErrorCode::kOk);
  EXPECT_EQ(Authn(Signed("AKALICE", "alice-secret", now(), "eu-west-1")),
            ErrorCode::kSignatureDoesNotMatch);
  net::HttpRequest tampered = Signed("AKALICE", "alice-secret", now());
  tampered.body[tampered.body.size() - 3] = 'y';
  EXPECT_EQ(Authn(tampered), ErrorCode::kSignatureDoesNotMatch);
  net::HttpRequest none;
  none.method = "POST";
  none.target = "/";
  EXPECT_EQ(Authn(none), ErrorCode::kMissingAuthenticationToken);
}

TEST_F(AuthTest, SessionTokens) {
  EXPECT_EQ(Authn(Signed("ASTEMP", "temp-secret", now(), "us-east-1", "the-token")),
            ErrorCode::kOk);
  EXPECT_EQ(Authn(Signed("ASTEMP", "temp-secret", now())), ErrorCode::kInvalidClientTokenId);
  EXPECT_EQ(Authn(Signed("ASTEMP", "temp-secret", now(), "us-east-1", "other")),
            ErrorCode::kInvalidClientTokenId);
  EXPECT_EQ(Authn(Signed("AKALICE", "alice-secret", now(), "us-east-1", "x")),
            ErrorCode::kInvalidClientTokenId);
}

TEST_F(AuthTest, AuthorizeSameAccount) {
  const Resource q{kQueueArn, "111111111111", "", true};
  EXPECT_TRUE(auth_->Authorize(As("AKALICE", "alice-secret"), "sqs:ReceiveMessage", q).ok());
  const auto sender = As("AKSENDER", "sender-secret");
  EXPECT_TRUE(auth_->Authorize(sender, "sqs:SendMessage", q).ok());
  EXPECT_EQ(auth_->Authorize(sender, "sqs:ReceiveMessage", q).code(), ErrorCode::kAccessDenied);
  // A queue policy naming the user grants it directly; naming only the account does not.
  const std::string to_user =
      R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/sender"},"Action":"sqs:ReceiveMessage"}]})";
  EXPECT_TRUE(auth_
                  ->Authorize(sender, "sqs:ReceiveMessage",
                              Resource{kQueueArn, "111111111111", to_user, true})
                  .ok());
  const std::string to_account =
      R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sqs:ReceiveMessage"}]})";
  EXPECT_EQ(auth_
                ->Authorize(sender, "sqs:ReceiveMessage",
                            Resource{kQueueArn, "111111111111", to_account, true})
                .code(),
            ErrorCode::kAccessDenied);
  // An explicit Deny in the queue policy wins over the identity policy.
  const std::string deny =
      R"({"Statement":[{"Effect":"Deny","Principal":"*","Action":"sqs:*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]})";
  EXPECT_EQ(auth_
                ->Authorize(As("AKALICE", "alice-secret"), "sqs:SendMessage",
                            Resource{kQueueArn, "111111111111", deny, true})
                .code(),
            ErrorCode::kAccessDenied);
}

TEST_F(AuthTest, AuthorizeCrossAccount) {
  const auto bob = As("AKBOB", "bob-secret");
  EXPECT_EQ(bob.account_id, "222222222222");
  const Resource bare{kQueueArn, "111111111111", "", true};
  EXPECT_EQ(auth_->Authorize(bob, "sqs:SendMessage", bare).code(), ErrorCode::kAccessDenied);
  const std::string grant =
      R"({"Version":"2012-10-17","Statement":[{"Sid":"l","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"SQS:SendMessage","Resource":"arn:aws:sqs:us-east-1:111111111111:orders"}]})";
  const Resource granted{kQueueArn, "111111111111", grant, true};
  EXPECT_TRUE(auth_->Authorize(bob, "sqs:SendMessage", granted).ok());
  EXPECT_EQ(auth_->Authorize(bob, "sqs:ReceiveMessage", granted).code(), ErrorCode::kAccessDenied);
  EXPECT_EQ(
      auth_->Authorize(bob, "sqs:SendMessage", Resource{kQueueArn, "111111111111", grant, false})
          .code(),
      ErrorCode::kAccessDenied);
  // The account's root user has every identity permission, but still needs the grant.
  const auto root = As("AKROOT2", "root-secret");
  EXPECT_EQ(root.principal_arn, "arn:aws:iam::222222222222:root");
  EXPECT_TRUE(auth_->Authorize(root, "sqs:SendMessage", granted).ok());
  EXPECT_EQ(auth_->Authorize(root, "sqs:SendMessage", bare).code(), ErrorCode::kAccessDenied);
}

TEST(AuthConfigTest, Rejects) {
  FakeClock clock;
  AuthConfig c = Config();
  c.users.push_back(c.users[0]);
  EXPECT_FALSE(Auth::Create(c, clock).ok());  // duplicate key
  c = Config();
  c.users[0].account_id = "123";
  EXPECT_FALSE(Auth::Create(c, clock).ok());
  c = Config();
  c.users[0].account_id = "333333333333";
  EXPECT_FALSE(Auth::Create(c, clock).ok());  // undeclared account
  c = Config();
  c.users[0].policies = {"{"};
  EXPECT_FALSE(Auth::Create(c, clock).ok());
  EXPECT_TRUE(ValidateResourcePolicy(R"({"Statement":[]})").ok());
}

// SQS's queue policy quotas: 20 statements, 50 principals, 10 conditions.
TEST(ResourcePolicyTest, SqsQuotas) {
  auto policy = [](int statements, int principals_each, int conditions_each) {
    std::string doc = R"({"Version":"2012-10-17","Statement":[)";
    for (int s = 0; s < statements; ++s) {
      if (s > 0) doc += ',';
      doc += R"({"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*","Principal":{"AWS":[)";
      for (int p = 0; p < principals_each; ++p) {
        doc += (p > 0 ? "," : "") + std::string("\"") + std::to_string(100000000000 + p) + "\"";
      }
      doc += "]}";
      if (conditions_each > 0) {
        doc += R"(,"Condition":{"StringEquals":{)";
        for (int c = 0; c < conditions_each; ++c) {
          doc +=
              (c > 0 ? "," : "") + std::string("\"aws:SourceArn") + std::to_string(c) + "\":\"x\"";
        }
        doc += "}}";
      }
      doc += '}';
    }
    return doc + "]}";
  };
  EXPECT_TRUE(ValidateResourcePolicy(policy(20, 2, 0)).ok());
  auto statements = ValidateResourcePolicy(policy(21, 1, 0));
  EXPECT_EQ(statements.code(), ErrorCode::kInvalidParameterValue);
  EXPECT_EQ(statements.message(), "Policy has 21 statements; the limit is 20.");
  EXPECT_TRUE(ValidateResourcePolicy(policy(5, 10, 2)).ok());
  EXPECT_EQ(ValidateResourcePolicy(policy(1, 51, 0)).message(),
            "Policy has 51 principals; the limit is 50.");
  EXPECT_EQ(ValidateResourcePolicy(policy(1, 1, 11)).message(),
            "Policy has 11 conditions; the limit is 10.");
}

}  // namespace
}  // namespace sluice::auth
