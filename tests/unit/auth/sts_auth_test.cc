// Auth's STS side: roles and trust policies (AssumeRole), temporary credentials accepted by
// Authenticate until they expire (FakeClock), session policies, GetSessionToken.
#include <gtest/gtest.h>

#include "auth/auth.h"
#include "auth/session_token.h"
#include "auth/sigv4.h"

namespace sluice::auth {
namespace {

constexpr char kAcctA[] = "111111111111";
constexpr char kAcctB[] = "222222222222";
constexpr char kQueueArn[] = "arn:aws:sqs:us-east-1:111111111111:orders";
constexpr char kSqsAll[] = R"({"Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]})";
constexpr char kAssumeAny[] =
    R"({"Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sqs:*"],"Resource":"*"}]})";
constexpr char kReceiveOnly[] =
    R"({"Statement":[{"Effect":"Allow","Action":["sqs:ReceiveMessage","sqs:GetQueueUrl"],"Resource":"*"}]})";

std::string Trust(std::string_view principal, std::string_view condition = "") {
  std::string s = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":")";
  s += principal;
  s += R"("},"Action":"sts:AssumeRole")";
  if (!condition.empty()) {
    s += R"(,"Condition":)";
    s += condition;
  }
  s += "}]}";
  return s;
}

AuthConfig Config() {
  AuthConfig c;
  c.region = "us-east-1";
  c.accounts = {kAcctA, kAcctB};
  c.users = {
      {"alice", kAcctA, "AKALICE", "alice-secret", "", {kSqsAll}},  // no sts:AssumeRole
      {"assumer", kAcctA, "AKASSUMER", "assumer-secret", "", {kAssumeAny}},
      {"bob", kAcctB, "AKBOB", "bob-secret", "", {kAssumeAny}},
      {"root", kAcctA, "AKROOT", "root-secret", "", {}},
  };
  RoleConfig reader;  // trusts alice by ARN: enough in the same account
  reader.name = "reader";
  reader.account_id = kAcctA;
  reader.assume_role_policy = Trust("arn:aws:iam::111111111111:user/alice");
  reader.policies = {kReceiveOnly};
  reader.max_session_duration = 7200;
  RoleConfig by_account;  // trusts account A: callers need an identity policy too
  by_account.name = "by-account";
  by_account.account_id = kAcctA;
  by_account.assume_role_policy = Trust(kAcctA);
  by_account.policies = {kSqsAll};
  RoleConfig foreign;  // in account B, trusts account A: cross-account, both sides must allow
  foreign.name = "foreign";
  foreign.account_id = kAcctB;
  foreign.assume_role_policy = Trust("arn:aws:iam::111111111111:root");
  foreign.policies = {kSqsAll};
  RoleConfig external;  // needs the external id
  external.name = "external";
  external.account_id = kAcctA;
  external.assume_role_policy = Trust("arn:aws:iam::111111111111:user/alice",
                                      R"({"StringEquals":{"sts:ExternalId":"ext-123"}})");
  external.policies = {kSqsAll};
  RoleConfig chained;  // trusts the reader role's sessions (role chaining)
  chained.name = "chained";
  chained.account_id = kAcctA;
  chained.assume_role_policy = Trust("arn:aws:iam::111111111111:role/reader");
  chained.policies = {kSqsAll};
  c.roles = {reader, by_account, foreign, external, chained};
  c.session_token_key = std::string(32, 'K');
  return c;
}

// A signed SQS JSON request at `when` (epoch seconds), with an optional session token.
net::HttpRequest Signed(std::string_view akid, std::string_view secret, std::int64_t when,
                        std::string_view token = "") {
  net::HttpRequest req;
  req.method = "POST";
  req.target = "/";
  req.body = R"({"QueueUrl":"http://localhost:9324/111111111111/orders"})";
  const std::string amz_date = FormatAmzDate(when);
  req.headers = {{"Host", "localhost:9324"},
                 {"Content-Type", "application/x-amz-json-1.0"},
                 {"X-Amz-Target", "AmazonSQS.ReceiveMessage"},
                 {"X-Amz-Date", amz_date}};
  std::string signed_headers = "content-type;host;x-amz-date;x-amz-target";
  if (!token.empty()) {
    req.headers.emplace_back("X-Amz-Security-Token", std::string(token));
    signed_headers += ";x-amz-security-token";
  }
  SigV4Request sig;
  sig.access_key_id = std::string(akid);
  sig.date = amz_date.substr(0, 8);
  sig.region = "us-east-1";
  sig.service = "sqs";
  sig.signed_headers = signed_headers;
  sig.amz_date = amz_date;
  auto sts = BuildStringToSign(req, sig);
  const std::string signature =
      SignatureHex(DeriveSigningKey(secret, sig.date, "us-east-1", "sqs"), *sts);
  req.headers.emplace_back("Authorization",
                           "AWS4-HMAC-SHA256 Credential=" + std::string(akid) + "/" + sig.Scope() +
                               ", SignedHeaders=" + signed_headers + ", Signature=" + signature);
  return req;
}

class StsAuthTest : public ::testing::Test {
 protected:
  FakeClock clock_{1705320000000};
  std::unique_ptr<Auth> auth_ = std::move(Auth::Create(Config(), clock_)).value();
  std::int64_t now() const { return clock_.NowMs() / 1000; }

  Result<RequestContext> Login(std::string_view akid, std::string_view secret,
                               std::string_view token = "", const Auth* auth = nullptr) {
    RequestContext ctx;
    ctx.source_ip = "127.0.0.1";
    Status s =
        (auth ? auth : auth_.get())->Authenticate(Signed(akid, secret, now(), token), "sqs", ctx);
    if (!s.ok()) return s;
    return ctx;
  }
  RequestContext As(std::string_view akid, std::string_view secret) {
    auto ctx = Login(akid, secret);
    EXPECT_TRUE(ctx.ok()) << ctx.status().message();
    return ctx.ok() ? *ctx : RequestContext();
  }
  Result<AssumedRole> Assume(const RequestContext& ctx, std::string_view role,
                             std::int64_t duration = 0, std::string_view policy = "",
                             std::string_view external_id = "") {
    AssumeRoleRequest r;
    r.role_arn = role;
    r.session_name = "sess";
    r.duration_seconds = duration;
    r.session_policy = policy;
    r.external_id = external_id;
    return auth_->AssumeRole(ctx, r);
  }
  // Signs in with the assumed role's temporary credentials.
  Result<RequestContext> LoginAs(const AssumedRole& a) {
    return Login(a.credentials.access_key_id, a.credentials.secret_access_key,
                 a.credentials.session_token);
  }
};

constexpr char kReader[] = "arn:aws:iam::111111111111:role/reader";
constexpr char kByAccount[] = "arn:aws:iam::111111111111:role/by-account";
constexpr char kForeign[] = "arn:aws:iam::222222222222:role/foreign";
constexpr char kExternal[] = "arn:aws:iam::111111111111:role/external";
constexpr char kChained[] = "arn:aws:iam::111111111111:role/chained";

TEST_F(StsAuthTest, AssumedRoleCredentialsWorkWithTheRolesPermissions) {
  auto assumed = Assume(As("AKALICE", "alice-secret"), kReader);
  ASSERT_TRUE(assumed.ok()) << assumed.status().message();
  const TemporaryCredentials& c = assumed->credentials;
  EXPECT_EQ(c.access_key_id.substr(0, 4), "ASIA");
  EXPECT_EQ(c.access_key_id.size(), 20u);
  EXPECT_EQ(c.expiration_ms, clock_.NowMs() + 3600 * 1000);  // the default duration
  const std::string role_id = UniqueId("AROA", kAcctA, "reader");
  EXPECT_EQ(assumed->assumed_role_id, role_id + ":sess");
  EXPECT_EQ(assumed->arn, "arn:aws:sts::111111111111:assumed-role/reader/sess");

  auto ctx = LoginAs(*assumed);
  ASSERT_TRUE(ctx.ok()) << ctx.status().message();
  EXPECT_TRUE(ctx->authenticated);
  EXPECT_EQ(ctx->account_id, kAcctA);
  EXPECT_EQ(ctx->principal_arn, "arn:aws:sts::111111111111:assumed-role/reader/sess");
  EXPECT_EQ(ctx->sender_id, role_id + ":sess");
  EXPECT_EQ(ctx->access_key_id, c.access_key_id);
  const Resource q{kQueueArn, kAcctA, "", true};
  EXPECT_TRUE(auth_->Authorize(*ctx, "sqs:ReceiveMessage", q).ok());
  const Status denied = auth_->Authorize(*ctx, "sqs:SendMessage", q);
  EXPECT_EQ(denied.code(), ErrorCode::kAccessDenied);
  EXPECT_EQ(denied.message(),
            "User: arn:aws:sts::111111111111:assumed-role/reader/sess is not authorized to "
            "perform: sqs:SendMessage on resource: arn:aws:sqs:us-east-1:111111111111:orders");
  // A queue policy naming the role grants its sessions directly.
  const std::string to_role =
      R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/reader"},"Action":"sqs:SendMessage"}]})";
  EXPECT_TRUE(
      auth_->Authorize(*ctx, "sqs:SendMessage", Resource{kQueueArn, kAcctA, to_role, true}).ok());
}

TEST_F(StsAuthTest, CredentialsExpire) {
  auto assumed = Assume(As("AKALICE", "alice-secret"), kReader, 900);
  ASSERT_TRUE(assumed.ok());
  EXPECT_EQ(assumed->credentials.expiration_ms, clock_.NowMs() + 900 * 1000);
  clock_.AdvanceSeconds(899);
  EXPECT_TRUE(LoginAs(*assumed).ok());
  clock_.AdvanceSeconds(1);
  auto expired = LoginAs(*assumed);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.status().code(), ErrorCode::kExpiredToken);
  EXPECT_EQ(expired.status().message(), "The security token included in the request is expired");
}

TEST_F(StsAuthTest, BadTokensAreInvalid) {
  auto assumed = Assume(As("AKALICE", "alice-secret"), kReader);
  ASSERT_TRUE(assumed.ok());
  const TemporaryCredentials& c = assumed->credentials;
  auto code = [&](std::string_view akid, std::string_view secret, std::string_view token) {
    auto r = Login(akid, secret, token);
    return r.ok() ? ErrorCode::kOk : r.status().code();
  };
  EXPECT_EQ(code(c.access_key_id, c.secret_access_key, c.session_token), ErrorCode::kOk);
  EXPECT_EQ(code(c.access_key_id, c.secret_access_key, ""), ErrorCode::kInvalidClientTokenId);
  EXPECT_EQ(code(c.access_key_id, c.secret_access_key, "garbage"),
            ErrorCode::kInvalidClientTokenId);
  std::string tampered = c.session_token;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_EQ(code(c.access_key_id, c.secret_access_key, tampered), ErrorCode::kInvalidClientTokenId);
  EXPECT_EQ(code(c.access_key_id, "wrong-secret", c.session_token),
            ErrorCode::kSignatureDoesNotMatch);
  // The token belongs to one access key id.
  auto other = Assume(As("AKALICE", "alice-secret"), kReader);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(
      code(other->credentials.access_key_id, other->credentials.secret_access_key, c.session_token),
      ErrorCode::kInvalidClientTokenId);
  // A user's own keys with a session token stay invalid.
  EXPECT_EQ(code("AKALICE", "alice-secret", c.session_token), ErrorCode::kInvalidClientTokenId);
}

TEST_F(StsAuthTest, PresignedRequestsCarryTheTokenInTheQuery) {
  auto assumed = Assume(As("AKALICE", "alice-secret"), kReader);
  ASSERT_TRUE(assumed.ok());
  const TemporaryCredentials& c = assumed->credentials;
  auto presigned = [&](std::string_view token) {
    const std::string amz_date = FormatAmzDate(now());
    SigV4Request sig;
    sig.presigned = true;
    sig.access_key_id = c.access_key_id;
    sig.date = amz_date.substr(0, 8);
    sig.region = "us-east-1";
    sig.service = "sqs";
    sig.signed_headers = "host";
    sig.amz_date = amz_date;
    sig.expires = 300;
    net::HttpRequest req;
    req.method = "GET";
    req.headers = {{"Host", "localhost:9324"}};
    req.target = "/?Action=ListQueues&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" +
                 UriEncode(c.access_key_id + "/" + sig.Scope(), false) + "&X-Amz-Date=" + amz_date +
                 "&X-Amz-Expires=300&X-Amz-Security-Token=" + UriEncode(token, false) +
                 "&X-Amz-SignedHeaders=host";
    auto sts = BuildStringToSign(req, sig);
    req.target +=
        "&X-Amz-Signature=" +
        SignatureHex(DeriveSigningKey(c.secret_access_key, sig.date, "us-east-1", "sqs"), *sts);
    RequestContext ctx;
    const Status st = auth_->Authenticate(req, "sqs", ctx);
    return st.ok() ? ctx.principal_arn : st.message();
  };
  EXPECT_EQ(presigned(c.session_token), "arn:aws:sts::111111111111:assumed-role/reader/sess");
  EXPECT_EQ(presigned("bogus"), "The security token included in the request is invalid.");
}

TEST_F(StsAuthTest, TokensSurviveARestartWithTheSameKeyOnly) {
  auto assumed = Assume(As("AKALICE", "alice-secret"), kReader);
  ASSERT_TRUE(assumed.ok());
  const TemporaryCredentials& c = assumed->credentials;
  auto restarted = std::move(Auth::Create(Config(), clock_)).value();
  EXPECT_TRUE(Login(c.access_key_id, c.secret_access_key, c.session_token, restarted.get()).ok());
  AuthConfig other_key = Config();
  other_key.session_token_key = std::string(32, 'X');
  auto other = std::move(Auth::Create(other_key, clock_)).value();
  EXPECT_EQ(
      Login(c.access_key_id, c.secret_access_key, c.session_token, other.get()).status().code(),
      ErrorCode::kInvalidClientTokenId);
  // A role removed from the configuration invalidates its sessions.
  AuthConfig no_roles = Config();
  no_roles.roles.clear();
  auto without = std::move(Auth::Create(no_roles, clock_)).value();
  EXPECT_EQ(
      Login(c.access_key_id, c.secret_access_key, c.session_token, without.get()).status().code(),
      ErrorCode::kInvalidClientTokenId);
}

TEST_F(StsAuthTest, TrustPolicyRules) {
  const auto alice = As("AKALICE", "alice-secret");        // no sts:AssumeRole permission
  const auto assumer = As("AKASSUMER", "assumer-secret");  // sts:AssumeRole on *
  const auto bob = As("AKBOB", "bob-secret");              // account B, sts:AssumeRole on *
  auto code = [&](const RequestContext& ctx, std::string_view role) {
    auto r = Assume(ctx, role);
    return r.ok() ? ErrorCode::kOk : r.status().code();
  };
  // Same account, trust policy names the user: enough without an identity policy.
  EXPECT_EQ(code(alice, kReader), ErrorCode::kOk);
  // ...and names nobody else.
  EXPECT_EQ(code(assumer, kReader), ErrorCode::kAccessDenied);
  // Trust policy names the account: the identity policy must allow too.
  EXPECT_EQ(code(alice, kByAccount), ErrorCode::kAccessDenied);
  EXPECT_EQ(code(assumer, kByAccount), ErrorCode::kOk);
  // Cross-account: the trust policy (account A) and the caller's identity policy must allow.
  EXPECT_EQ(code(assumer, kForeign), ErrorCode::kOk);
  EXPECT_EQ(code(alice, kForeign), ErrorCode::kAccessDenied);
  auto foreign = Assume(assumer, kForeign);
  ASSERT_TRUE(foreign.ok());
  EXPECT_EQ(foreign->arn, "arn:aws:sts::222222222222:assumed-role/foreign/sess");
  auto in_b = LoginAs(*foreign);
  ASSERT_TRUE(in_b.ok());
  EXPECT_EQ(in_b->account_id, kAcctB);
  // Account B's own users are not trusted by roles trusting account A.
  EXPECT_EQ(code(bob, kByAccount), ErrorCode::kAccessDenied);
  // Unknown roles look like refusals.
  const auto unknown = Assume(assumer, "arn:aws:iam::111111111111:role/nope");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), ErrorCode::kAccessDenied);
  EXPECT_EQ(unknown.status().message(),
            "User: arn:aws:iam::111111111111:user/assumer is not authorized to perform: "
            "sts:AssumeRole on resource: arn:aws:iam::111111111111:role/nope");
  // The root user may not assume roles at all.
  const auto root = Assume(As("AKROOT", "root-secret"), kByAccount);
  EXPECT_EQ(root.status().code(), ErrorCode::kAccessDenied);
  EXPECT_EQ(root.status().message(), "Roles may not be assumed by root accounts.");
  // Unauthenticated contexts never assume anything.
  EXPECT_EQ(code(RequestContext(), kReader), ErrorCode::kAccessDenied);
}

TEST_F(StsAuthTest, ExternalIdCondition) {
  const auto alice = As("AKALICE", "alice-secret");
  EXPECT_EQ(Assume(alice, kExternal).status().code(), ErrorCode::kAccessDenied);
  EXPECT_EQ(Assume(alice, kExternal, 0, "", "wrong-id").status().code(), ErrorCode::kAccessDenied);
  EXPECT_TRUE(Assume(alice, kExternal, 0, "", "ext-123").ok());
}

TEST_F(StsAuthTest, Durations) {
  const auto alice = As("AKALICE", "alice-secret");
  EXPECT_TRUE(Assume(alice, kReader, 7200).ok());  // the role's max_session_duration
  const auto longer = Assume(alice, kReader, 7201);
  EXPECT_EQ(longer.status().code(), ErrorCode::kValidationError);
  EXPECT_EQ(longer.status().message(),
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
  // Role chaining: the reader role's session assumes "chained", at most one hour.
  auto reader = Assume(alice, kReader);
  ASSERT_TRUE(reader.ok());
  auto session = LoginAs(*reader);
  ASSERT_TRUE(session.ok());
  EXPECT_TRUE(Assume(*session, kChained, 3600).ok());
  const auto chained = Assume(*session, kChained, 3601);
  EXPECT_EQ(chained.status().code(), ErrorCode::kValidationError);
  EXPECT_NE(chained.status().message().find("role chaining"), std::string::npos);
}

TEST_F(StsAuthTest, SessionPolicyIntersects) {
  const auto assumer = As("AKASSUMER", "assumer-secret");
  const std::string only_send =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"}]})";
  auto assumed = Assume(assumer, kByAccount, 0, only_send);  // the role allows sqs:*
  ASSERT_TRUE(assumed.ok()) << assumed.status().message();
  auto ctx = LoginAs(*assumed);
  ASSERT_TRUE(ctx.ok());
  const Resource q{kQueueArn, kAcctA, "", true};
  EXPECT_TRUE(auth_->Authorize(*ctx, "sqs:SendMessage", q).ok());
  EXPECT_EQ(auth_->Authorize(*ctx, "sqs:ReceiveMessage", q).code(), ErrorCode::kAccessDenied);
  // The session policy never adds to the role's permissions.
  auto reader = Assume(As("AKALICE", "alice-secret"), kReader, 0, only_send);
  ASSERT_TRUE(reader.ok());
  auto rctx = LoginAs(*reader);
  ASSERT_TRUE(rctx.ok());
  EXPECT_EQ(auth_->Authorize(*rctx, "sqs:SendMessage", q).code(), ErrorCode::kAccessDenied);
  EXPECT_EQ(auth_->Authorize(*rctx, "sqs:ReceiveMessage", q).code(), ErrorCode::kAccessDenied);
  // A malformed session policy.
  EXPECT_EQ(Assume(assumer, kByAccount, 0, "{not json").status().code(),
            ErrorCode::kMalformedPolicyDocument);
}

TEST_F(StsAuthTest, GetSessionToken) {
  const auto alice = As("AKALICE", "alice-secret");
  auto creds = auth_->GetSessionToken(alice, 0);
  ASSERT_TRUE(creds.ok());
  EXPECT_EQ(creds->expiration_ms, clock_.NowMs() + 43200LL * 1000);
  auto ctx = Login(creds->access_key_id, creds->secret_access_key, creds->session_token);
  ASSERT_TRUE(ctx.ok()) << ctx.status().message();
  EXPECT_EQ(ctx->principal_arn, "arn:aws:iam::111111111111:user/alice");
  EXPECT_EQ(ctx->sender_id, UniqueId("AIDA", kAcctA, "alice"));
  EXPECT_TRUE(
      auth_->Authorize(*ctx, "sqs:SendMessage", Resource{kQueueArn, kAcctA, "", true}).ok());
  // Not with temporary credentials.
  const auto again = auth_->GetSessionToken(*ctx, 0);
  EXPECT_EQ(again.status().code(), ErrorCode::kAccessDenied);
  // Root: at most one hour.
  auto root = auth_->GetSessionToken(As("AKROOT", "root-secret"), 7200);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->expiration_ms, clock_.NowMs() + 3600 * 1000);
}

TEST(StsAuthConfig, RejectsBadRoles) {
  FakeClock clock;
  auto bad = [&](auto mutate) {
    AuthConfig c = Config();
    mutate(c.roles[0]);
    return !Auth::Create(c, clock).ok() && !ValidateRoleConfig(c.roles[0]).ok();
  };
  EXPECT_TRUE(bad([](RoleConfig& r) { r.name = "has space"; }));
  EXPECT_TRUE(bad([](RoleConfig& r) { r.name = ""; }));
  EXPECT_TRUE(bad([](RoleConfig& r) { r.account_id = "123"; }));
  EXPECT_TRUE(bad([](RoleConfig& r) { r.max_session_duration = 3599; }));
  EXPECT_TRUE(bad([](RoleConfig& r) { r.max_session_duration = 43201; }));
  EXPECT_TRUE(bad([](RoleConfig& r) { r.assume_role_policy = ""; }));
  // A trust policy is a resource policy: it needs a Principal.
  EXPECT_TRUE(bad([](RoleConfig& r) {
    r.assume_role_policy = R"({"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]})";
  }));
  EXPECT_TRUE(bad([](RoleConfig& r) { r.policies = {"{"}; }));
  AuthConfig c = Config();
  c.roles.push_back(c.roles[0]);
  EXPECT_FALSE(Auth::Create(c, clock).ok());  // twice
  c = Config();
  c.roles[0].account_id = "333333333333";
  EXPECT_FALSE(Auth::Create(c, clock).ok());  // undeclared account
}

}  // namespace
}  // namespace sluice::auth
