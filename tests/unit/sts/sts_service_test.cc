// The STS service behind the Dispatcher: model, validation texts, auth "none" and "sigv4"
// behaviour, the error table.
#include "services/sts/sts_service.h"
#include "protocol/errors.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "auth/auth.h"
#include "auth/session_token.h"
#include "auth/sigv4.h"
#include "models/sts_model.h"
#include "protocol/dispatcher.h"
#include "protocol/query_codec.h"

namespace sluice::sts {
namespace {

constexpr char kAcct[] = "111111111111";
constexpr char kRole[] = "arn:aws:iam::111111111111:role/reader";

// The text of the first <tag> element of `xml` ("" when absent).
std::string Element(const std::string& xml, const std::string& tag) {
  const auto open = xml.find("<" + tag + ">");
  if (open == std::string::npos) return "";
  const auto start = open + tag.size() + 2;
  const std::string raw = xml.substr(start, xml.find("</" + tag + ">", start) - start);
  std::string out;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    bool replaced = false;
    for (const auto& [entity, c] : {std::pair<std::string_view, char>{"&apos;", '\''},
                                    {"&quot;", '"'},
                                    {"&lt;", '<'},
                                    {"&gt;", '>'},
                                    {"&amp;", '&'}}) {
      if (raw.compare(i, entity.size(), entity) == 0) {
        out += c;
        i += entity.size() - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) out += raw[i];
  }
  return out;
}

std::string FormEncode(const std::map<std::string, std::string>& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    out += auth::UriEncode(k, false) + "=" + auth::UriEncode(v, false);
  }
  return out;
}

class StsServiceTest : public ::testing::Test {
 protected:
  FakeClock clock_{1705320000000};

  net::HttpResponse Call(const protocol::Dispatcher& d, std::map<std::string, std::string> params,
                         std::string_view akid = "", std::string_view secret = "",
                         std::string_view token = "") {
    params.emplace("Version", "2011-06-15");
    net::HttpRequest req;
    req.method = "POST";
    req.target = "/";
    req.body = FormEncode(params);
    const std::string amz_date = auth::FormatAmzDate(clock_.NowMs() / 1000);
    req.headers = {{"Host", "localhost:9324"},
                   {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
                   {"X-Amz-Date", amz_date}};
    if (!akid.empty()) {
      std::string signed_headers = "content-type;host;x-amz-date";
      if (!token.empty()) {
        req.headers.emplace_back("X-Amz-Security-Token", std::string(token));
        signed_headers += ";x-amz-security-token";
      }
      auth::SigV4Request sig;
      sig.access_key_id = std::string(akid);
      sig.date = amz_date.substr(0, 8);
      sig.region = "us-east-1";
      sig.service = "sts";
      sig.signed_headers = signed_headers;
      sig.amz_date = amz_date;
      auto sts = auth::BuildStringToSign(req, sig);
      const std::string signature =
          auth::SignatureHex(auth::DeriveSigningKey(secret, sig.date, "us-east-1", "sts"), *sts);
      req.headers.emplace_back(
          "Authorization", "AWS4-HMAC-SHA256 Credential=" + std::string(akid) + "/" + sig.Scope() +
                               ", SignedHeaders=" + signed_headers + ", Signature=" + signature);
    }
    net::HttpResponse out;
    d.Handle(std::move(req), [&out](net::HttpResponse&& r) { out = std::move(r); });
    return out;
  }

  protocol::Dispatcher NoAuth() {
    RequestDefaults defaults;
    defaults.account_id = "123456789012";
    return protocol::Dispatcher(MakeStsService(services::Platform{.clock = &clock_}), defaults);
  }
};

TEST(StsModel, QueryNamesFromTheModel) {
  const protocol::ServiceModel& m = models::Sts();
  EXPECT_EQ(m.metadata().protocol, "query");
  EXPECT_EQ(m.metadata().xml_namespace, "https://sts.amazonaws.com/doc/2011-06-15/");
  EXPECT_EQ(m.metadata().signing_name, "sts");
  EXPECT_FALSE(m.metadata().SupportsJson());
  const protocol::OperationDef* op = m.FindOperation("AssumeRole");
  ASSERT_NE(op, nullptr);
  EXPECT_EQ(op->result_wrapper, "AssumeRoleResult");
  const protocol::MemberDef* tags = m.FindMember(m.shape(op->input), "Tags");
  ASSERT_NE(tags, nullptr);
  EXPECT_EQ(tags->query_name, "Tags");
  EXPECT_FALSE(tags->flattened);
  EXPECT_EQ(m.shape(tags->shape).item_name, "member");
  protocol::QueryParams params;
  ASSERT_TRUE(protocol::ParseFormEncoded("RoleArn=a&Tags.member.2.Key=k2&Tags.member.2.Value=v2&"
                                         "Tags.member.1.Key=k1&Tags.member.1.Value=v1&"
                                         "PolicyArns.member.1.arn=p&DurationSeconds=900",
                                         &params)
                  .ok());
  auto v = protocol::DecodeQuery(m, op->input, params);
  ASSERT_TRUE(v.ok());
  const protocol::Value* t = v->Get("Tags");
  ASSERT_TRUE(t && t->is_list());
  ASSERT_EQ(t->items().size(), 2u);
  EXPECT_EQ(t->items()[0].GetString("Key"), "k1");
  EXPECT_EQ(t->items()[1].GetString("Value"), "v2");
  EXPECT_EQ(v->Get("PolicyArns")->items()[0].GetString("arn"), "p");
  EXPECT_EQ(v->GetInt("DurationSeconds"), 900);
}

TEST_F(StsServiceTest, NoAuthCallerIsTheDefaultAccountRoot) {
  auto d = NoAuth();
  auto r = Call(d, {{"Action", "GetCallerIdentity"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("<GetCallerIdentityResponse "
                        "xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><"
                        "GetCallerIdentityResult>"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(Element(r.body, "Account"), "123456789012");
  EXPECT_EQ(Element(r.body, "UserId"), "123456789012");
  EXPECT_EQ(Element(r.body, "Arn"), "arn:aws:iam::123456789012:root");
  EXPECT_FALSE(Element(r.body, "RequestId").empty());
}

TEST_F(StsServiceTest, NoAuthAssumeRoleHandsOutCredentials) {
  auto d = NoAuth();
  auto r = Call(
      d, {{"Action", "AssumeRole"},
          {"RoleArn", "arn:aws:iam::210987654321:role/path/app"},
          {"RoleSessionName", "s1"},
          {"DurationSeconds", "900"},
          {"Policy", R"({"Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]})"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string akid = Element(r.body, "AccessKeyId");
  EXPECT_EQ(akid.size(), 20u);
  EXPECT_EQ(akid.substr(0, 4), "ASIA");
  EXPECT_EQ(Element(r.body, "SecretAccessKey").size(), 40u);
  EXPECT_FALSE(Element(r.body, "SessionToken").empty());
  EXPECT_EQ(Element(r.body, "Expiration"), "2024-01-15T12:15:00.000Z");  // now + 900 s
  EXPECT_EQ(Element(r.body, "AssumedRoleId"),
            auth::UniqueId("AROA", "210987654321", "app") + ":s1");
  EXPECT_EQ(Element(r.body, "Arn"), "arn:aws:sts::210987654321:assumed-role/app/s1");
  EXPECT_EQ(Element(r.body, "PackedPolicySize"), "4");  // 67 packed characters of 2,048
  auto s = Call(d, {{"Action", "GetSessionToken"}, {"DurationSeconds", "7200"}});
  ASSERT_EQ(s.status, 200) << s.body;
  EXPECT_EQ(Element(s.body, "Expiration"), "2024-01-15T13:00:00.000Z");  // root: one hour
}

TEST_F(StsServiceTest, ValidationErrorsWithAwsTexts) {
  auto d = NoAuth();
  auto check = [&](std::map<std::string, std::string> params, int status, const std::string& code,
                   const std::string& message) {
    auto r = Call(d, std::move(params));
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(Element(r.body, "Code"), code) << r.body;
    EXPECT_EQ(Element(r.body, "Message"), message) << r.body;
    EXPECT_EQ(Element(r.body, "Type"), "Sender");
    EXPECT_NE(r.body.find("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"),
              std::string::npos);
  };
  check({{"Action", "AssumeRole"}, {"RoleArn", kRole}, {"RoleSessionName", "a b"}}, 400,
        "ValidationError",
        "1 validation error detected: Value 'a b' at 'roleSessionName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*");
  check({{"Action", "AssumeRole"}}, 400, "ValidationError",
        "2 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: "
        "Member must not be null; Value null at 'roleSessionName' failed to satisfy "
        "constraint: Member must not be null");
  check({{"Action", "AssumeRole"},
         {"RoleArn", kRole},
         {"RoleSessionName", "s"},
         {"DurationSeconds", "100"}},
        400, "ValidationError",
        "2 validation errors detected: Value 's' at 'roleSessionName' failed to satisfy "
        "constraint: Member must have length greater than or equal to 2; Value '100' at "
        "'durationSeconds' failed to satisfy constraint: Member must have value greater than "
        "or equal to 900");
  check({{"Action", "AssumeRole"},
         {"RoleArn", kRole},
         {"RoleSessionName", "ok"},
         {"DurationSeconds", "43201"}},
        400, "ValidationError",
        "1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy "
        "constraint: Member must have value less than or equal to 43200");
  check({{"Action", "AssumeRole"}, {"RoleArn", "short"}, {"RoleSessionName", "ok"}}, 400,
        "ValidationError",
        "1 validation error detected: Value 'short' at 'roleArn' failed to satisfy constraint: "
        "Member must have length greater than or equal to 20");
  check({{"Action", "AssumeRole"},
         {"RoleArn", "not-an-arn-but-long-enough"},
         {"RoleSessionName", "ok"}},
        400, "ValidationError", "not-an-arn-but-long-enough is invalid");
  check({{"Action", "AssumeRole"},
         {"RoleArn", kRole},
         {"RoleSessionName", "ok"},
         {"ExternalId", "bad id!"}},
        400, "ValidationError",
        "1 validation error detected: Value 'bad id!' at 'externalId' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*");
  check({{"Action", "AssumeRole"},
         {"RoleArn", kRole},
         {"RoleSessionName", "ok"},
         {"Policy", "{nope"}},
        400, "MalformedPolicyDocument", "The policy is not in the valid JSON format.");
  check({{"Action", "AssumeRole"},
         {"RoleArn", kRole},
         {"RoleSessionName", "ok"},
         {"PolicyArns.member.1.arn", "arn:aws:iam::aws:policy/ReadOnlyAccess"}},
        400, "ValidationError",
        "PolicyArns (managed session policies) are not supported by Sluice; pass the session "
        "policy inline in Policy.");
  check({{"Action", "GetSessionToken"}, {"DurationSeconds", "899"}}, 400, "ValidationError",
        "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy "
        "constraint: Member must have value greater than or equal to 900");
  // A big session policy: PackedPolicyTooLarge.
  std::string big = R"({"Statement":[)";
  for (int i = 0; i < 40; ++i) {
    if (i) big += ",";
    big +=
        R"({"Effect":"Allow","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:111111111111:q)" +
        std::to_string(i) + R"("})";
  }
  big += "]}";
  auto r = Call(
      d,
      {{"Action", "AssumeRole"}, {"RoleArn", kRole}, {"RoleSessionName", "ok"}, {"Policy", big}});
  EXPECT_EQ(Element(r.body, "Code"), "PackedPolicyTooLarge");
  EXPECT_NE(Element(r.body, "Message").find("% of allotted space."), std::string::npos);
  // Unsupported and unknown actions.
  check({{"Action", "AssumeRoleWithSAML"}}, 400, "InvalidAction",
        "The action AssumeRoleWithSAML is not valid for this endpoint.");
}

auth::AuthConfig AuthConfig() {
  auth::AuthConfig c;
  c.users = {{"alice", kAcct, "AKALICE", "alice-secret", "", {}}};
  auth::RoleConfig role;
  role.name = "reader";
  role.account_id = kAcct;
  role.assume_role_policy =
      R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/alice"},"Action":"sts:AssumeRole"}]})";
  c.roles = {role};
  return c;
}

TEST_F(StsServiceTest, SigV4CallerIdentityAndAssumeRole) {
  auto auth = std::move(auth::Auth::Create(AuthConfig(), clock_)).value();
  protocol::Dispatcher d(MakeStsService(services::Platform{.clock = &clock_, .auth = auth.get()}));

  auto unsigned_call = Call(d, {{"Action", "GetCallerIdentity"}});
  EXPECT_EQ(unsigned_call.status, 403);
  EXPECT_EQ(Element(unsigned_call.body, "Code"), "MissingAuthenticationToken");

  auto me = Call(d, {{"Action", "GetCallerIdentity"}}, "AKALICE", "alice-secret");
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(Element(me.body, "UserId"), auth::UniqueId("AIDA", kAcct, "alice"));
  EXPECT_EQ(Element(me.body, "Account"), kAcct);
  EXPECT_EQ(Element(me.body, "Arn"), "arn:aws:iam::111111111111:user/alice");

  auto denied = Call(d,
                     {{"Action", "AssumeRole"},
                      {"RoleArn", "arn:aws:iam::111111111111:role/other"},
                      {"RoleSessionName", "s1"}},
                     "AKALICE", "alice-secret");
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(Element(denied.body, "Code"), "AccessDenied");
  EXPECT_EQ(Element(denied.body, "Message"),
            "User: arn:aws:iam::111111111111:user/alice is not authorized to perform: "
            "sts:AssumeRole on resource: arn:aws:iam::111111111111:role/other");

  auto assumed = Call(d,
                      {{"Action", "AssumeRole"},
                       {"RoleArn", kRole},
                       {"RoleSessionName", "s1"},
                       {"DurationSeconds", "900"}},
                      "AKALICE", "alice-secret");
  ASSERT_EQ(assumed.status, 200) << assumed.body;
  EXPECT_EQ(Element(assumed.body, "PackedPolicySize"), "");  // only with a Policy
  const std::string akid = Element(assumed.body, "AccessKeyId");
  const std::string secret = Element(assumed.body, "SecretAccessKey");
  // XML-escaped in the body (base64 has no XML specials, but be exact).
  const std::string token = Element(assumed.body, "SessionToken");
  auto as_role = Call(d, {{"Action", "GetCallerIdentity"}}, akid, secret, token);
  ASSERT_EQ(as_role.status, 200) << as_role.body;
  EXPECT_EQ(Element(as_role.body, "Arn"), "arn:aws:sts::111111111111:assumed-role/reader/s1");
  EXPECT_EQ(Element(as_role.body, "UserId"), auth::UniqueId("AROA", kAcct, "reader") + ":s1");

  clock_.AdvanceSeconds(900);
  auto expired = Call(d, {{"Action", "GetCallerIdentity"}}, akid, secret, token);
  EXPECT_EQ(expired.status, 403);
  EXPECT_EQ(Element(expired.body, "Code"), "ExpiredToken");
  EXPECT_EQ(Element(expired.body, "Message"),
            "The security token included in the request is expired");
  auto garbled = Call(d, {{"Action", "GetCallerIdentity"}}, akid, secret, "garbled");
  EXPECT_EQ(garbled.status, 403);
  EXPECT_EQ(Element(garbled.body, "Code"), "InvalidClientTokenId");
}

TEST(StsErrors, AgreesWithTheModel) {
  EXPECT_EQ(protocol::ErrorTableProblems(models::Sts(), StsErrorTable()),
            std::vector<std::string>{});
  // The check can fail: a made-up code, a wrong status, a doubled override.
  static constexpr ErrorType kMadeUp{"NoSuchError"};
  static constexpr ErrorType kWrongStatus{"PackedPolicyTooLarge", 403};
  constexpr const ErrorType* kBad[] = {&kMadeUp, &kWrongStatus};
  constexpr protocol::ErrorOverride kTwice[] = {{ErrorCode::kAccessDenied, {"A"}},
                                                {ErrorCode::kAccessDenied, {"B"}}};
  EXPECT_EQ(
      protocol::ErrorTableProblems(models::Sts(), protocol::ErrorTable{kBad, kTwice, ""}).size(),
      3u);
}

TEST(StsErrors, CommonCodesKeepTheQueryServicesNames) {
  auto info = [](ErrorId code) { return protocol::ResolveError(StsErrorTable(), code); };
  EXPECT_EQ(info(ErrorCode::kValidationError).query_code, "ValidationError");
  EXPECT_EQ(info(ErrorCode::kExpiredToken).http_status, 403);
  EXPECT_EQ(info(ErrorCode::kAccessDenied).http_status, 403);
  EXPECT_EQ(info(ErrorCode::kRequestThrottled).query_code, "Throttling");
  EXPECT_EQ(info(ErrorCode::kMalformedPolicyDocument).query_code, "MalformedPolicyDocument");
  EXPECT_EQ(info(StsError::kPackedPolicyTooLarge).query_code, "PackedPolicyTooLarge");
  EXPECT_EQ(info(ErrorCode::kInternalError).http_status, 500);
  EXPECT_FALSE(info(ErrorCode::kInternalError).sender_fault);
}

}  // namespace
}  // namespace sluice::sts
