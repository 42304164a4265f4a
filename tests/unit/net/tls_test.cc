// HTTPS listeners and the per-connection rate limit, against a raw OpenSSL client
// (test_client.h) and the committed test CA / certificate (data/make-certs.sh). Outcomes never
// depend on timing; waits have generous timeouts only so that a bug fails instead of hanging.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/http_server.h"
#include "test_client.h"

namespace sluice::net {
namespace {

using testing::Post;
using testing::TestConnection;
using testing::TestDataPath;
using testing::TlsClientOptions;
using namespace std::chrono_literals;

TlsOptions TestTls() {
  TlsOptions t;
  t.host = "127.0.0.1";
  t.port = 0;
  t.cert_chain_file = TestDataPath("server-cert.pem");
  t.key_file = TestDataPath("server-key.pem");
  return t;
}

TlsClientOptions Verified() {
  TlsClientOptions o;
  o.ca_file = TestDataPath("ca.pem");
  return o;
}

class TlsServerTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (server_) server_->Stop(1000ms);
  }

  // Echo server; "/stash..." targets are kept for the test to answer. Plain HTTP is off unless
  // `plain` is set.
  void StartServer(HttpServerOptions o = {}, bool plain = false) {
    o.host = "127.0.0.1";
    o.port = 0;
    o.plain_http = plain;
    if (!o.tls) o.tls = TestTls();
    server_ = std::make_unique<HttpServer>(o, [this](HttpRequest&& req, Responder respond) {
      ++handled_;
      if (req.target.rfind("/stash", 0) == 0) {
        std::lock_guard<std::mutex> lock(mu_);
        stash_.push_back(std::move(respond));
        cv_.notify_all();
        return;
      }
      HttpResponse r;
      r.headers = {{"X-Secure", req.secure ? "true" : "false"},
                   {"X-Rate-Limited", req.rate_limited ? "true" : "false"}};
      r.body = req.body;
      respond(std::move(r));
    });
    ASSERT_TRUE(server_->Start());
    ASSERT_NE(server_->tls_port(), 0);
  }

  std::uint16_t tls_port() const { return server_->tls_port(); }

  bool WaitStashed(std::size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, 10s, [&] { return stash_.size() >= n; });
  }

  std::unique_ptr<HttpServer> server_;
  std::atomic<int> handled_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Responder> stash_;
};

TEST_F(TlsServerTest, RequestOverTlsIsMarkedSecure) {
  StartServer();
  TestConnection c(tls_port());
  ASSERT_TRUE(c.StartTls(Verified())) << c.tls_error();
  ASSERT_TRUE(c.Send(Post("/", "hello")));
  auto r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.Header("x-secure"), "true");
  EXPECT_EQ(c.tls_version(), "TLSv1.3");
}

TEST_F(TlsServerTest, KeepAlivePipeliningAndLargeBodies) {
  StartServer();
  TestConnection c(tls_port());
  ASSERT_TRUE(c.StartTls(Verified())) << c.tls_error();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(c.Send(Post("/k", "n" + std::to_string(i))));
    ASSERT_EQ(c.Read().body, "n" + std::to_string(i));
  }
  // Pipelined in one write.
  ASSERT_TRUE(c.Send(Post("/a", "one") + Post("/b", "two") + Post("/c", "three")));
  EXPECT_EQ(c.Read().body, "one");
  EXPECT_EQ(c.Read().body, "two");
  EXPECT_EQ(c.Read().body, "three");
  // A body of many records each way (partial writes, gathering), and a tiny one after it.
  std::string big(1024 * 1024 + 17, 'x');
  for (std::size_t i = 0; i < big.size(); i += 97) big[i] = static_cast<char>('a' + i % 26);
  ASSERT_TRUE(c.Send(Post("/big", big)));
  auto r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(r.body == big);
  ASSERT_TRUE(c.Send(Post("/small", "s")));
  EXPECT_EQ(c.Read().body, "s");
}

TEST_F(TlsServerTest, ExpectContinueOverTls) {
  StartServer();
  TestConnection c(tls_port());
  ASSERT_TRUE(c.StartTls(Verified())) << c.tls_error();
  ASSERT_TRUE(
      c.Send("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
  EXPECT_EQ(c.ReadExactly(25), "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(c.Send("body"));
  EXPECT_EQ(c.Read().body, "body");
}

TEST_F(TlsServerTest, LimitsAnswerOverTls) {
  HttpServerOptions o;
  o.max_header_bytes = 1024;
  o.max_body_bytes = 1024;
  StartServer(o);
  TestConnection big_header(tls_port());
  ASSERT_TRUE(big_header.StartTls(Verified()));
  ASSERT_TRUE(big_header.Send(Post("/", "x", "X-Big: " + std::string(2000, 'h') + "\r\n")));
  auto r = big_header.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 431);
  EXPECT_TRUE(big_header.WaitClosed());
  TestConnection big_body(tls_port());
  ASSERT_TRUE(big_body.StartTls(Verified()));
  ASSERT_TRUE(big_body.Send(Post("/", std::string(5000, 'b'))));
  r = big_body.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 413);
  EXPECT_TRUE(big_body.WaitClosed());
  TestConnection garbage(tls_port());
  ASSERT_TRUE(garbage.StartTls(Verified()));
  ASSERT_TRUE(garbage.Send("\x01\x02 nonsense \r\n\r\n"));
  r = garbage.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(garbage.WaitClosed());
  EXPECT_EQ(handled_.load(), 0);
}

TEST_F(TlsServerTest, Tls12UsesEcdheAead) {
  StartServer();
  TlsClientOptions o = Verified();
  o.max_version = TLS1_2_VERSION;
  TestConnection c(tls_port());
  ASSERT_TRUE(c.StartTls(o)) << c.tls_error();
  EXPECT_EQ(c.tls_version(), "TLSv1.2");
  const std::string cipher = c.tls_cipher();
  EXPECT_EQ(cipher.rfind("ECDHE-", 0), 0u) << cipher;
  EXPECT_TRUE(cipher.find("GCM") != std::string::npos ||
              cipher.find("CHACHA20") != std::string::npos)
      << cipher;
  ASSERT_TRUE(c.Send(Post("/", "v12")));
  EXPECT_EQ(c.Read().body, "v12");
}

TEST_F(TlsServerTest, Tls12WithoutForwardSecrecyOrAeadRefused) {
  StartServer();
  for (const char* ciphers : {"AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-SHA", "AES256-SHA256"}) {
    TlsClientOptions o = Verified();
    o.max_version = TLS1_2_VERSION;
    o.ciphers = ciphers;
    TestConnection c(tls_port());
    EXPECT_FALSE(c.StartTls(o)) << ciphers;
  }
}

TEST_F(TlsServerTest, Tls11ClientRefused) {
  StartServer();
  TlsClientOptions o;
  o.min_version = TLS1_VERSION;
  o.max_version = TLS1_1_VERSION;
  o.security_level = 0;  // let the client offer TLS 1.1 at all
  o.ciphers = "ALL:@SECLEVEL=0";
  TestConnection c(tls_port());
  EXPECT_FALSE(c.StartTls(o));
  // The server refused the hello (a protocol_version alert), not the client its own settings.
  EXPECT_NE(c.tls_error().find("protocol version"), std::string::npos) << c.tls_error();
  // And the server still works.
  TestConnection good(tls_port());
  ASSERT_TRUE(good.StartTls(Verified())) << good.tls_error();
}

TEST_F(TlsServerTest, MinVersion13RefusesTls12) {
  HttpServerOptions so;
  so.tls = TestTls();
  so.tls->min_version = "1.3";
  StartServer(so);
  TlsClientOptions o = Verified();
  o.max_version = TLS1_2_VERSION;
  TestConnection c12(tls_port());
  EXPECT_FALSE(c12.StartTls(o));
  TestConnection c13(tls_port());
  ASSERT_TRUE(c13.StartTls(Verified())) << c13.tls_error();
  EXPECT_EQ(c13.tls_version(), "TLSv1.3");
}

TEST_F(TlsServerTest, PlainHttpOnTlsPortIsAnsweredAndClosed) {
  StartServer();
  TestConnection c(tls_port());
  ASSERT_TRUE(c.Send(Post("/", "plain")));
  auto r = c.Read();  // in plain HTTP, as nginx does
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "This port speaks HTTPS only.\n");
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(c.WaitClosed());
  // Not HTTP, not TLS: just closed.
  TestConnection junk(tls_port());
  ASSERT_TRUE(junk.Send("HELLO THERE\r\n\r\n"));
  EXPECT_TRUE(junk.WaitClosed());
  EXPECT_EQ(handled_.load(), 0);
  TestConnection good(tls_port());
  ASSERT_TRUE(good.StartTls(Verified()));
  ASSERT_TRUE(good.Send(Post("/", "after")));
  EXPECT_EQ(good.Read().body, "after");
}

TEST_F(TlsServerTest, GarbageHandshakeIsClosed) {
  StartServer();
  TestConnection c(tls_port());
  ASSERT_TRUE(c.Send(std::string("\x16\x03\x01\x00\x05garbage-garbage-garbage", 29)));
  EXPECT_TRUE(c.WaitClosed());
}

TEST_F(TlsServerTest, HandshakeNeverStartedOrUnfinishedIsClosed) {
  HttpServerOptions o;
  o.request_read_timeout = 1s;
  o.idle_timeout = 60s;
  StartServer(o);
  TestConnection silent(tls_port(), /*timeout_seconds=*/15);
  TestConnection partial(tls_port(), /*timeout_seconds=*/15);
  ASSERT_TRUE(partial.Send(std::string("\x16\x03\x01\x02\x00\x01", 6)));  // a ClientHello's start
  EXPECT_TRUE(silent.WaitClosed());
  EXPECT_TRUE(partial.WaitClosed());
}

TEST_F(TlsServerTest, IdleTlsConnectionParksAndStillServes) {
  StartServer();
  TestConnection c(tls_port(), /*timeout_seconds=*/15);
  ASSERT_TRUE(c.StartTls(Verified()));
  ASSERT_TRUE(c.Send(Post("/x", "before")));
  ASSERT_TRUE(c.Read().ok);
  std::this_thread::sleep_for(2500ms);  // long enough to be parked (no read buffer)
  ASSERT_TRUE(c.Send(Post("/y", "after")));
  auto r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.body, "after");
}

TEST_F(TlsServerTest, IdleTlsConnectionIsClosed) {
  HttpServerOptions o;
  o.idle_timeout = 1s;
  StartServer(o);
  TestConnection c(tls_port(), /*timeout_seconds=*/15);
  ASSERT_TRUE(c.StartTls(Verified()));
  ASSERT_TRUE(c.Send(Post("/x", "x")));
  ASSERT_TRUE(c.Read().ok);
  EXPECT_TRUE(c.WaitClosed());
}

TEST_F(TlsServerTest, PlainAndTlsListenersTogether) {
  HttpServerOptions o;
  o.max_connections = 2;  // shared by both listeners
  StartServer(o, /*plain=*/true);
  ASSERT_NE(server_->port(), 0);
  ASSERT_NE(server_->port(), tls_port());
  TestConnection plain(server_->port());
  ASSERT_TRUE(plain.Send(Post("/", "p")));
  auto r = plain.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.Header("x-secure"), "false");
  TestConnection tls(tls_port());
  ASSERT_TRUE(tls.StartTls(Verified()));
  ASSERT_TRUE(tls.Send(Post("/", "t")));
  r = tls.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.Header("x-secure"), "true");
  TestConnection extra(server_->port());
  EXPECT_TRUE(extra.WaitClosed());
  TestConnection extra_tls(tls_port());
  EXPECT_FALSE(extra_tls.StartTls(Verified()));
  ASSERT_TRUE(plain.Send(Post("/", "still")));
  EXPECT_EQ(plain.Read().body, "still");
}

TEST_F(TlsServerTest, StopFinishesPendingTlsRequestAndClosesIdle) {
  StartServer();
  TestConnection idle(tls_port());
  ASSERT_TRUE(idle.StartTls(Verified()));
  TestConnection busy(tls_port());
  ASSERT_TRUE(busy.StartTls(Verified()));
  ASSERT_TRUE(busy.Send(Post("/stash", "wait")));
  ASSERT_TRUE(WaitStashed(1));
  std::thread stopper([this] { server_->Stop(10000ms); });
  EXPECT_TRUE(idle.WaitClosed());
  Responder respond;
  {
    std::lock_guard<std::mutex> lock(mu_);
    respond = std::move(stash_.front());
    stash_.pop_front();
  }
  respond(HttpResponse{200, {}, "done"});
  auto r = busy.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.body, "done");
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(busy.WaitClosed());
  stopper.join();
}

TEST(TlsStartTest, UnusableCertificateOrKeyFailsStart) {
  struct Case {
    const char* name;
    std::string cert, key, min_version = "1.2";
  };
  const std::vector<Case> cases = {
      {"missing cert", TestDataPath("nope.pem"), TestDataPath("server-key.pem")},
      {"missing key", TestDataPath("server-cert.pem"), TestDataPath("nope.pem")},
      {"key does not match", TestDataPath("server-cert.pem"), TestDataPath("other-key.pem")},
      {"not a certificate", TestDataPath("server-key.pem"), TestDataPath("server-key.pem")},
      {"not a key", TestDataPath("server-cert.pem"), TestDataPath("ca.pem")},
      {"encrypted key", TestDataPath("server-cert.pem"), TestDataPath("server-key-encrypted.pem")},
      {"empty names", "", ""},
      {"bad version", TestDataPath("server-cert.pem"), TestDataPath("server-key.pem"), "1.1"},
  };
  for (const auto& c : cases) {
    HttpServerOptions o;
    o.port = 0;
    o.tls = TestTls();
    o.tls->cert_chain_file = c.cert;
    o.tls->key_file = c.key;
    o.tls->min_version = c.min_version;
    HttpServer server(o, [](HttpRequest&&, Responder r) { r(HttpResponse{}); });
    EXPECT_FALSE(server.Start()) << c.name;
    EXPECT_EQ(server.tls_port(), 0) << c.name;
  }
  HttpServerOptions none;
  none.plain_http = false;
  HttpServer server(none, [](HttpRequest&&, Responder r) { r(HttpResponse{}); });
  EXPECT_FALSE(server.Start());
}

// ---- per-connection rate limit (plain and TLS) ----

class RateLimitTest : public TlsServerTest {
 protected:
  // A rate so low that no token comes back during a test: outcomes do not depend on timing.
  void StartLimited(std::uint32_t burst) {
    HttpServerOptions o;
    o.max_requests_per_second = 0.0001;
    o.request_burst = burst;
    StartServer(o, /*plain=*/true);
  }
};

TEST_F(RateLimitTest, FlagSetAfterTheBurst) {
  StartLimited(3);
  TestConnection c(server_->port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.Send(Post("/", "ok")));
    auto r = c.Read();
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.Header("x-rate-limited"), "false") << i;
  }
  ASSERT_TRUE(c.Send(Post("/", "over")));
  auto r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.Header("x-rate-limited"), "true");
  EXPECT_NE(r.Header("connection"), "close");
  // Another connection has its own bucket.
  TestConnection other(tls_port());
  ASSERT_TRUE(other.StartTls(Verified()));
  ASSERT_TRUE(other.Send(Post("/", "fresh")));
  EXPECT_EQ(other.Read().Header("x-rate-limited"), "false");
}

TEST_F(RateLimitTest, PersistentAbuserIsClosed) {
  StartLimited(2);
  TestConnection c(server_->port());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(c.Send(Post("/", "ok")));
    ASSERT_TRUE(c.Read().ok);
  }
  // kAbuseFactor x burst throttled requests in a row: the last one is answered, then closed.
  const int limit = static_cast<int>(HttpServerOptions::kAbuseFactor) * 2;
  for (int i = 1; i <= limit; ++i) {
    ASSERT_TRUE(c.Send(Post("/", "over")));
    auto r = c.Read();
    ASSERT_TRUE(r.ok) << i;
    EXPECT_EQ(r.Header("x-rate-limited"), "true");
    EXPECT_EQ(r.Header("connection") == "close", i == limit) << i;
  }
  EXPECT_TRUE(c.WaitClosed());
}

TEST_F(RateLimitTest, UnlimitedByDefault) {
  StartServer({}, /*plain=*/true);
  TestConnection c(server_->port());
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(c.Send(Post("/", "x")));
    auto r = c.Read();
    ASSERT_TRUE(r.ok);
    ASSERT_EQ(r.Header("x-rate-limited"), "false");
  }
}

TEST_F(RateLimitTest, TokensComeBack) {
  // A billion per second with a bucket of one: each round trip takes far longer than the
  // nanosecond a token needs, so no request is throttled (a bucket that never refilled would
  // throttle all but the first).
  HttpServerOptions o;
  o.max_requests_per_second = 1e9;
  o.request_burst = 1;
  StartServer(o, /*plain=*/true);
  TestConnection c(server_->port());
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(c.Send(Post("/", "x")));
    ASSERT_EQ(c.Read().Header("x-rate-limited"), "false") << i;
  }
}

}  // namespace
}  // namespace sluice::net
