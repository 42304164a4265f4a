// The outbound HTTP client (net/http_client.h) against Sluice's own HttpServer and a raw socket
// server that counts connections and can hold requests: answers, keep-alive reuse, a reused
// connection the server closed, timeouts, bounded concurrency per endpoint (a slow endpoint
// does not hold anybody else's slots), TLS verification with the committed test CA, and URL
// parsing. Outcomes never depend on timing; waits have generous timeouts only so that a bug
// fails instead of hanging.
#include "net/http_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/http_server.h"
#include "test_client.h"

namespace sluice::net {
namespace {

using namespace std::chrono_literals;

// A blocking HTTP/1.1 server on 127.0.0.1: one thread per connection; counts connections; each
// request is answered by `respond` (which may block, e.g. to hold it).
class RawServer {
 public:
  using Respond = std::function<std::string(const std::string& request)>;
  explicit RawServer(Respond respond) : respond_(std::move(respond)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(fd_, 64);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] {
      for (;;) {
        const int c = accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        connections_.fetch_add(1);
        std::lock_guard lock(mu_);
        clients_.push_back(c);
        workers_.emplace_back([this, c] { Serve(c); });
      }
    });
  }
  ~RawServer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    acceptor_.join();
    {
      std::lock_guard lock(mu_);
      for (int c : clients_) shutdown(c, SHUT_RDWR);
    }
    for (std::thread& t : workers_) t.join();
    for (int c : clients_) close(c);
  }
  std::uint16_t port() const { return port_; }
  int connections() const { return connections_.load(); }
  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  // Closes every connection the server has (a keep-alive connection the client still holds).
  void CloseAll() {
    std::lock_guard lock(mu_);
    for (int c : clients_) shutdown(c, SHUT_RDWR);
  }

 private:
  void Serve(int c) {
    std::string buf;
    char chunk[4096];
    for (;;) {
      std::size_t end;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
        const ssize_t n = recv(c, chunk, sizeof chunk, 0);
        if (n <= 0) return;
        buf.append(chunk, static_cast<std::size_t>(n));
      }
      std::size_t length = 0;
      const auto cl = buf.find("Content-Length: ");
      if (cl != std::string::npos && cl < end) length = std::stoul(buf.substr(cl + 16));
      while (buf.size() < end + 4 + length) {
        const ssize_t n = recv(c, chunk, sizeof chunk, 0);
        if (n <= 0) return;
        buf.append(chunk, static_cast<std::size_t>(n));
      }
      const std::string request = buf.substr(0, end + 4 + length);
      buf.erase(0, end + 4 + length);
      const std::string body = respond_(request);
      const std::string response =
          "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
      if (send(c, response.data(), response.size(), MSG_NOSIGNAL) < 0) return;
    }
  }

  Respond respond_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<int> connections_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<int> clients_;
  std::vector<std::thread> workers_;
};

// Sends and waits for the answer.
Result<ClientResponse> Call(HttpClient& client, ClientRequest request) {
  std::promise<Result<ClientResponse>> p;
  auto f = p.get_future();
  client.Send(std::move(request), [&p](Result<ClientResponse> r) { p.set_value(std::move(r)); });
  if (f.wait_for(30s) != std::future_status::ready) {
    ADD_FAILURE() << "no answer";
    return Status(ErrorCode::kInternalError, "no answer");
  }
  return f.get();
}

std::unique_ptr<HttpClient> NewClient(HttpClientOptions o = {}) {
  auto c = NewHttpClient(o);
  EXPECT_TRUE(c.ok()) << c.status().message();
  return std::move(c).value();
}

TEST(HttpClient, PostsAndReadsTheAnswer) {
  HttpServerOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  HttpServer server(o, [](HttpRequest&& req, Responder respond) {
    HttpResponse r;
    r.status = req.Path() == "/missing" ? 404 : 200;
    r.headers.emplace_back("X-Echo", req.Header("X-Test") ? *req.Header("X-Test") : "");
    r.body = req.method + " " + req.target + " " + req.body + " " +
             (req.Header("Host") ? *req.Header("Host") : "");
    respond(std::move(r));
  });
  ASSERT_TRUE(server.Start());
  auto client = NewClient();
  ClientRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/path?a=1";
  req.headers = {{"X-Test", "yes"}, {"Content-Type", "text/plain"}};
  req.body = "hello";
  auto r = Call(*client, req);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "POST /path?a=1 hello 127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(*FindHeader(r->headers, "x-echo"), "yes");
  req.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/missing";
  r = Call(*client, req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404);  // any status is an answer
  server.Stop(1000ms);
}

TEST(HttpClient, ReusesConnectionsAndRetriesOneTheServerClosed) {
  RawServer server([](const std::string&) { return std::string("ok"); });
  auto client = NewClient();
  for (int i = 0; i < 5; ++i) {
    auto r = Call(*client, {"POST", server.url(), {}, "x"});
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->body, "ok");
  }
  EXPECT_EQ(server.connections(), 1);
  // The server drops the idle connection: the next request notices and uses a fresh one.
  server.CloseAll();
  auto r = Call(*client, {"POST", server.url(), {}, "x"});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(server.connections(), 2);
}

TEST(HttpClient, TimesOutASilentEndpoint) {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  RawServer server([&](const std::string&) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return release; });
    return std::string("late");
  });
  auto client = NewClient();
  ClientRequest req{"POST", server.url(), {}, "x", 200ms};
  auto r = Call(*client, req);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kServiceUnavailable);
  EXPECT_NE(r.status().message().find("timed out"), std::string::npos) << r.status().message();
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
}

TEST(HttpClient, ASlowEndpointHoldsOnlyItsOwnSlots) {
  std::mutex mu;
  std::condition_variable cv;
  int held = 0;
  bool release = false;
  RawServer slow([&](const std::string&) {
    std::unique_lock lock(mu);
    ++held;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
    return std::string("slow");
  });
  RawServer fast([](const std::string&) { return std::string("fast"); });
  HttpClientOptions o;
  o.max_connections_per_host = 2;
  o.max_connections = 3;
  auto client = NewClient(o);
  int slow_done = 0;
  for (int i = 0; i < 6; ++i) {
    client->Send({"POST", slow.url(), {}, "x"}, [&](Result<ClientResponse> r) {
      EXPECT_TRUE(r.ok()) << r.status().message();
      std::lock_guard lock(mu);
      ++slow_done;
      cv.notify_all();
    });
  }
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return held == 2; }));
  }
  // Two exchanges with the slow endpoint at most; the third global slot serves the other one.
  auto r = Call(*client, {"POST", fast.url(), {}, "x"});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->body, "fast");
  EXPECT_EQ(slow.connections(), 2);
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(held, 2);
    release = true;
  }
  cv.notify_all();
  {
    std::unique_lock lock(mu);
    EXPECT_TRUE(cv.wait_for(lock, 10s, [&] { return slow_done == 6; }));
  }
  EXPECT_EQ(slow.connections(), 2);  // the waiting requests reused the two connections
}

TEST(HttpClient, VerifiesTlsAgainstTheTrustedCa) {
  HttpServerOptions o;
  o.plain_http = false;
  TlsOptions tls;
  tls.host = "127.0.0.1";
  tls.port = 0;
  tls.cert_chain_file = testing::TestDataPath("server-cert.pem");
  tls.key_file = testing::TestDataPath("server-key.pem");
  o.tls = tls;
  HttpServer server(o, [](HttpRequest&& req, Responder respond) {
    HttpResponse r;
    r.body = req.secure ? "secure" : "plain";
    respond(std::move(r));
  });
  ASSERT_TRUE(server.Start());
  const std::string port = std::to_string(server.tls_port());
  {
    auto untrusting = NewClient();  // the system's CAs only: the test CA is unknown
    auto r = Call(*untrusting, {"POST", "https://127.0.0.1:" + port + "/", {}, ""});
    EXPECT_FALSE(r.ok());
  }
  HttpClientOptions trusting;
  trusting.ca_file = testing::TestDataPath("ca.pem");
  auto client = NewClient(trusting);
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    auto r = Call(*client, {"POST", "https://" + host + ":" + port + "/", {}, ""});
    ASSERT_TRUE(r.ok()) << host << ": " << r.status().message();
    EXPECT_EQ(r->body, "secure");
  }
  HttpClientOptions unverified;
  unverified.verify_tls = false;
  auto lax = NewClient(unverified);
  auto r = Call(*lax, {"POST", "https://127.0.0.1:" + port + "/", {}, ""});
  EXPECT_TRUE(r.ok()) << r.status().message();
  server.Stop(1000ms);
}

// The TLS context is made at the first HTTPS connection: first connections on several threads at
// once share one context, and a plain request before them needs none.
TEST(HttpClient, MakesItsTlsContextOnceAtConcurrentFirstConnections) {
  HttpServerOptions o;
  o.port = 0;
  TlsOptions tls;
  tls.host = "127.0.0.1";
  tls.port = 0;
  tls.cert_chain_file = testing::TestDataPath("server-cert.pem");
  tls.key_file = testing::TestDataPath("server-key.pem");
  o.tls = tls;
  HttpServer server(o, [](HttpRequest&& req, Responder respond) {
    HttpResponse r;
    r.body = req.secure ? "secure" : "plain";
    respond(std::move(r));
  });
  ASSERT_TRUE(server.Start());
  HttpClientOptions unverified;
  unverified.verify_tls = false;
  auto client = NewClient(unverified);
  const std::string plain_url = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
  auto plain = Call(*client, {"POST", plain_url, {}, ""});
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  EXPECT_EQ(plain->body, "plain");
  const std::string url = "https://127.0.0.1:" + std::to_string(server.tls_port()) + "/";
  std::vector<std::thread> senders;
  std::atomic<int> secure{0};
  for (int i = 0; i < 8; ++i) {
    senders.emplace_back([&] {
      auto r = Call(*client, {"POST", url, {}, ""});
      if (r.ok() && r->body == "secure") ++secure;
    });
  }
  for (std::thread& t : senders) t.join();
  EXPECT_EQ(secure.load(), 8);
  server.Stop(1000ms);
}

TEST(HttpClient, RefusesAMissingCaFile) {
  HttpClientOptions o;
  o.ca_file = "/nonexistent/ca.pem";
  EXPECT_FALSE(NewHttpClient(o).ok());
}

TEST(HttpClient, FailsFastOnWhatItCannotReach) {
  auto client = NewClient();
  auto r = Call(*client, {"POST", "ftp://example.com/", {}, ""});
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidParameterValue);
  // A port nobody listens on: refused.
  r = Call(*client, {"POST", "http://127.0.0.1:1/", {}, ""});
  EXPECT_EQ(r.status().code(), ErrorCode::kServiceUnavailable);
}

TEST(ParseHttpUrl, Forms) {
  auto u = ParseHttpUrl("https://Example.com:8443/a/b?c=d#frag");
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "Example.com");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->target, "/a/b?c=d");
  u = ParseHttpUrl("http://[::1]/");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 80);
  u = ParseHttpUrl("HTTP://h?x=1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->target, "/?x=1");
  for (const char* bad : {"", "h:80", "http://", "http://user@h/", "http://h:0/", "http://h:99999/",
                          "http://h:x/", "http://[::1/", "http://a b/"}) {
    EXPECT_FALSE(ParseHttpUrl(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace sluice::net
