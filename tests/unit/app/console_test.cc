// The console's pieces without a server: cookies, the login form, sessions, the signing of
// proxied requests, and the API's refusals (CSRF, host, origin, login).
#include <gtest/gtest.h>

#include <optional>

#include "app/console/console.h"
#include "app/console/session.h"
#include "app/console/sign.h"
#include "auth/sigv4.h"

namespace sluice::app::console {
namespace {

TEST(ConsoleCookie, FindsTheNamedCookie) {
  EXPECT_EQ(CookieValue("a=1; sluice_console=abc; b=2", "sluice_console"), "abc");
  EXPECT_EQ(CookieValue("sluice_console=\"q\"", "sluice_console"), "q");
  EXPECT_EQ(CookieValue("xsluice_console=1", "sluice_console"), std::nullopt);
  EXPECT_EQ(CookieValue("", "sluice_console"), std::nullopt);
  EXPECT_EQ(CookieValue(";;=;sluice_console", "sluice_console"), std::nullopt);
}

TEST(ConsoleCookie, SetCookieIsHttpOnlyStrictAndSecureUnderTls) {
  EXPECT_EQ(SessionCookie("id", false), "sluice_console=id; Path=/; HttpOnly; SameSite=Strict");
  EXPECT_EQ(SessionCookie("id", true),
            "sluice_console=id; Path=/; HttpOnly; SameSite=Strict; Secure");
  EXPECT_NE(SessionCookie("", true).find("Max-Age=0"), std::string::npos);
}

TEST(ConsoleLogin, ParsesTheForm) {
  auto c = ParseLoginForm("accessKeyId=AKIA1&secretAccessKey=a%2Bb%2Fc");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, "AKIA1");
  EXPECT_EQ(c->secret_access_key, "a+b/c");
  EXPECT_FALSE(ParseLoginForm("accessKeyId=AKIA1"));
  EXPECT_FALSE(ParseLoginForm("accessKeyId=&secretAccessKey=x"));
  EXPECT_FALSE(ParseLoginForm("accessKeyId=a%2&secretAccessKey=x"));
  EXPECT_FALSE(ParseLoginForm("accessKeyId=a+b&secretAccessKey=x"));  // a space
  EXPECT_FALSE(ParseLoginForm("accessKeyId=" + std::string(129, 'a') + "&secretAccessKey=x"));
}

TEST(ConsoleSessions, LoginRotatesTheIdAndTheToken) {
  Sessions sessions;
  auto anon = sessions.Create();
  EXPECT_EQ(anon->id.size(), 64u);
  EXPECT_FALSE(anon->logged_in);
  auto in = sessions.LogIn(anon->id, {"AKIA", "secret"}, "arn:aws:iam::1:user/a", "1");
  EXPECT_NE(in->id, anon->id);
  EXPECT_NE(in->csrf, anon->csrf);
  EXPECT_EQ(sessions.Find(anon->id), nullptr);
  ASSERT_NE(sessions.Find(in->id), nullptr);
  EXPECT_TRUE(sessions.Find(in->id)->logged_in);
  sessions.Drop(in->id);
  EXPECT_EQ(sessions.Find(in->id), nullptr);
}

TEST(ConsoleSessions, ExpireWhenIdleAndStayBounded) {
  Sessions sessions(std::chrono::seconds(60), 3);
  const auto t0 = Sessions::Clock::now();
  sessions.SetNowForTest(t0);
  auto a = sessions.Create();
  sessions.SetNowForTest(t0 + std::chrono::seconds(61));
  EXPECT_EQ(sessions.Find(a->id), nullptr);
  for (int i = 0; i < 5; ++i) sessions.Create();
  EXPECT_EQ(sessions.size(), 3u);
}

TEST(ConsoleTokens, CompareWholeTokens) {
  EXPECT_TRUE(SameToken("abc", "abc"));
  EXPECT_FALSE(SameToken("abc", "abd"));
  EXPECT_FALSE(SameToken("abc", "ab"));
}

TEST(ConsoleSign, TheServerVerifiesWhatTheConsoleSigns) {
  net::HttpRequest req;
  req.method = "POST";
  req.target = "/";
  req.headers.emplace_back("Host", "127.0.0.1:9325");
  req.headers.emplace_back("Content-Type", "application/x-amz-json-1.0");
  req.headers.emplace_back("X-Amz-Target", "AmazonSQS.ListQueues");
  req.body = "{}";
  SignRequest(req, {"AKIDEXAMPLE", "secret"}, "eu-west-1", "sqs", 1'700'000'000);
  auto sig = auth::ParseSigV4(req);
  ASSERT_TRUE(sig.ok()) << sig.status().message();
  EXPECT_EQ(sig->access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(sig->region, "eu-west-1");
  EXPECT_EQ(sig->service, "sqs");
  EXPECT_EQ(sig->signed_headers, "content-type;host;x-amz-date;x-amz-target");
  EXPECT_TRUE(auth::CheckTime(*sig, 1'700'000'000).ok());
  EXPECT_TRUE(auth::VerifySignature(req, *sig, "secret").ok());
  EXPECT_FALSE(auth::VerifySignature(req, *sig, "other").ok());
  req.body = "{\"x\":1}";
  EXPECT_FALSE(auth::VerifySignature(req, *sig, "secret").ok());
}

TEST(ConsoleAccess, LoginBeyondLoopbackOrWithAuth) {
  std::string why;
  EXPECT_EQ(ChooseAccess(true, false, false, &why), ConsoleOptions::Access::kOpen);
  EXPECT_EQ(ChooseAccess(true, true, false, &why), ConsoleOptions::Access::kLogin);
  EXPECT_EQ(ChooseAccess(false, true, false, &why), ConsoleOptions::Access::kLogin);
  EXPECT_EQ(ChooseAccess(false, false, false, &why), ConsoleOptions::Access::kOff);
  EXPECT_NE(why.find("sigv4"), std::string::npos);
  EXPECT_EQ(ChooseAccess(true, false, true, &why), ConsoleOptions::Access::kOff);
}

// The handler with a dispatcher that records what it gets.
class ConsoleApi : public ::testing::Test {
 protected:
  void Make(ConsoleOptions::Access access) {
    ConsoleOptions o;
    o.access = access;
    o.off_reason = "off";
    o.clock = &clock_;
    o.dispatch = [this](net::HttpRequest&& req, net::Responder respond) {
      dispatched_ = std::move(req);
      net::HttpResponse r;
      r.status = dispatch_status_;
      r.headers.emplace_back("Content-Type", "text/xml");
      r.headers.emplace_back("Set-Cookie", "leak=1");
      r.body = dispatch_body_;
      respond(std::move(r));
    };
    console_ = std::make_unique<Console>(std::move(o));
  }
  net::HttpResponse Call(std::string method, std::string target, net::Headers headers = {},
                         std::string body = "") {
    net::HttpRequest req;
    req.method = std::move(method);
    req.target = std::move(target);
    req.headers = std::move(headers);
    req.body = std::move(body);
    if (!req.Header("Host")) req.headers.emplace_back("Host", "127.0.0.1:9325");
    std::optional<net::HttpResponse> out;
    console_->Handle(std::move(req), [&](net::HttpResponse&& r) { out = std::move(r); });
    EXPECT_TRUE(out.has_value());
    return out ? std::move(*out) : net::HttpResponse{};
  }
  // A session: its cookie header and CSRF token.
  std::pair<std::string, std::string> NewSession() {
    net::HttpResponse r = Call("GET", "/console/api/session");
    EXPECT_EQ(r.status, 200);
    const std::string* set = net::FindHeader(r.headers, "Set-Cookie");
    EXPECT_NE(set, nullptr);
    const std::string cookie = set ? set->substr(0, set->find(';')) : "";
    const std::size_t at = r.body.find("\"csrf\":\"") + 8;
    return {cookie, r.body.substr(at, 64)};
  }

  SystemClock clock_;
  std::unique_ptr<Console> console_;
  std::optional<net::HttpRequest> dispatched_;
  int dispatch_status_ = 200;
  std::string dispatch_body_ =
      "<Arn>arn:aws:iam::111122223333:user/ro</Arn><Account>111122223333</Account>";
};

TEST_F(ConsoleApi, ServesThePageWithItsHeaders) {
  Make(ConsoleOptions::Access::kOpen);
  net::HttpResponse r = Call("GET", "/");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("<html"), std::string::npos);
  ASSERT_NE(net::FindHeader(r.headers, "Content-Security-Policy"), nullptr);
  const std::string etag = *net::FindHeader(r.headers, "ETag");
  EXPECT_EQ(Call("GET", "/", {{"If-None-Match", etag}}).status, 304);
  EXPECT_EQ(Call("GET", "/console.js").status, 200);
  EXPECT_EQ(Call("POST", "/console.js").status, 405);
  EXPECT_TRUE(Console::Handles("/"));
  EXPECT_TRUE(Console::Handles("/console/api/aws"));
  EXPECT_FALSE(Console::Handles("/metrics"));
}

TEST_F(ConsoleApi, RefusesRequestsWithoutTheSessionToken) {
  Make(ConsoleOptions::Access::kOpen);
  auto [cookie, csrf] = NewSession();
  EXPECT_EQ(Call("POST", "/console/api/aws", {{"Cookie", cookie}}).status, 403);
  EXPECT_EQ(Call("POST", "/console/api/aws", {{"X-Sluice-Csrf", csrf}}).status, 403);
  EXPECT_EQ(
      Call("POST", "/console/api/aws", {{"Cookie", cookie}, {"X-Sluice-Csrf", csrf + "0"}}).status,
      403);
  EXPECT_FALSE(dispatched_.has_value());
  net::HttpResponse ok = Call("POST", "/console/api/aws",
                              {{"Cookie", cookie},
                               {"X-Sluice-Csrf", csrf},
                               {"X-Sluice-Region", "eu-west-1"},
                               {"Content-Type", "application/x-amz-json-1.0"},
                               {"X-Amz-Target", "AmazonSQS.ListQueues"}},
                              "{}");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(net::FindHeader(ok.headers, "Set-Cookie"), nullptr);  // not passed through
  ASSERT_TRUE(dispatched_.has_value());
  auto sig = auth::ParseSigV4(*dispatched_);
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->region, "eu-west-1");
  EXPECT_EQ(*dispatched_->Header("X-Amz-Target"), "AmazonSQS.ListQueues");
}

TEST_F(ConsoleApi, RefusesOtherHostsAndOrigins) {
  Make(ConsoleOptions::Access::kOpen);
  auto [cookie, csrf] = NewSession();
  EXPECT_EQ(Call("GET", "/console/api/session", {{"Host", "evil.example:9325"}}).status, 403);
  EXPECT_EQ(Call("POST", "/console/api/aws",
                 {{"Cookie", cookie}, {"X-Sluice-Csrf", csrf}, {"Origin", "http://evil.example"}})
                .status,
            403);
  EXPECT_EQ(Call("POST", "/console/api/aws",
                 {{"Cookie", cookie},
                  {"X-Sluice-Csrf", csrf},
                  {"Origin", "http://127.0.0.1:9325"},
                  {"X-Sluice-Region", "Bad Region"}})
                .status,
            400);
}

TEST_F(ConsoleApi, LoginChecksTheKeyThroughTheDispatcher) {
  Make(ConsoleOptions::Access::kLogin);
  auto [cookie, csrf] = NewSession();
  const net::Headers auth = {{"Cookie", cookie}, {"X-Sluice-Csrf", csrf}};
  EXPECT_EQ(Call("POST", "/console/api/aws", auth).status, 401);
  dispatch_status_ = 403;
  dispatch_body_ = "<Error><Code>InvalidClientTokenId</Code></Error>";
  net::HttpResponse bad =
      Call("POST", "/console/api/login", auth, "accessKeyId=AK&secretAccessKey=s");
  EXPECT_EQ(bad.status, 401);
  EXPECT_NE(bad.body.find("InvalidClientTokenId"), std::string::npos);
  dispatch_status_ = 200;
  dispatch_body_ = "<Arn>arn:aws:iam::111122223333:user/ro</Arn><Account>111122223333</Account>";
  net::HttpResponse ok =
      Call("POST", "/console/api/login", auth, "accessKeyId=AK&secretAccessKey=s");
  EXPECT_EQ(ok.status, 200);
  EXPECT_NE(ok.body.find("user/ro"), std::string::npos);
  ASSERT_TRUE(dispatched_);
  EXPECT_EQ(auth::ParseSigV4(*dispatched_)->service, "sts");
  // The old session is gone; the new one acts with the key.
  EXPECT_EQ(Call("POST", "/console/api/aws", auth).status, 403);
  const std::string set = *net::FindHeader(ok.headers, "Set-Cookie");
  const std::string fresh = set.substr(0, set.find(';'));
  const std::size_t at = ok.body.find("\"csrf\":\"") + 8;
  const std::string token = ok.body.substr(at, 64);
  EXPECT_EQ(Call("POST", "/console/api/aws", {{"Cookie", fresh}, {"X-Sluice-Csrf", token}}).status,
            200);
  EXPECT_EQ(auth::ParseSigV4(*dispatched_)->access_key_id, "AK");
  EXPECT_EQ(
      Call("POST", "/console/api/logout", {{"Cookie", fresh}, {"X-Sluice-Csrf", token}}).status,
      200);
  EXPECT_EQ(Call("POST", "/console/api/aws", {{"Cookie", fresh}, {"X-Sluice-Csrf", token}}).status,
            403);
}

TEST_F(ConsoleApi, OffExplainsWhy) {
  Make(ConsoleOptions::Access::kOff);
  net::HttpResponse r = Call("GET", "/console/api/session");
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("off"), std::string::npos);
}

}  // namespace
}  // namespace sluice::app::console
