// HttpServer against a raw-socket client. Pass/fail never depends on timing: waits use generous
// timeouts only to turn a hang into a failure.
#include "net/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "test_client.h"

namespace sluice::net {
namespace {

using testing::Post;
using testing::TestConnection;
using namespace std::chrono_literals;

HttpResponse Echo(const HttpRequest& req) {
  HttpResponse r;
  r.headers = {{"Content-Type", "text/plain"},
               {"X-Method", req.method},
               {"X-Target", req.target},
               {"X-Remote", req.remote_address}};
  r.body = req.body;
  return r;
}

// Keeps responders handed to the handler so a test can complete them later.
class Stash {
 public:
  void Put(HttpRequest req, Responder r) {
    std::lock_guard<std::mutex> lock(mu_);
    items_.emplace_back(std::move(req), std::move(r));
    ++count_;
    cv_.notify_all();
  }
  // Waits until at least n requests were stashed in total.
  bool WaitFor(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, 10s, [&] { return count_ >= n; });
  }
  int count() {
    std::lock_guard<std::mutex> lock(mu_);
    return count_;
  }
  std::pair<HttpRequest, Responder> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    auto item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<HttpRequest, Responder>> items_;
  int count_ = 0;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (server_) server_->Stop(1000ms);
  }

  // Starts a server whose handler echoes, except targets starting with "/stash", which are kept
  // for the test to answer.
  void StartServer(HttpServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    server_ = std::make_unique<HttpServer>(options, [this](HttpRequest&& req, Responder respond) {
      ++handled_;
      if (req.target.rfind("/stash", 0) == 0) {
        stash_.Put(std::move(req), std::move(respond));
        return;
      }
      if (req.target == "/throw") throw std::runtime_error("boom");
      if (req.target == "/twice") {
        respond(HttpResponse{200, {}, "first"});
        respond(HttpResponse{200, {}, "second"});
        return;
      }
      if (req.target == "/headers") {
        HttpResponse r;
        r.headers = {{"Content-Length", "999"},
                     {"Connection", "close"},
                     {"X-Evil", "a\r\nInjected: yes"},
                     {"X-Good", "fine"}};
        r.body = "abc";
        respond(std::move(r));
        return;
      }
      if (req.target == "/pooled") {  // answers from this thread's body pool (net/http.h)
        HttpResponse r;
        r.body = TakeBodyBuffer();
        pooled_capacity_ = r.body.size() == 0 ? r.body.capacity() : 0;
        r.body.append(req.body);
        respond(std::move(r));
        return;
      }
      if (req.target == "/async") {
        std::thread([req = std::move(req), respond = std::move(respond)]() mutable {
          std::this_thread::sleep_for(20ms);
          respond(Echo(req));
        }).detach();
        return;
      }
      respond(Echo(req));
    });
    ASSERT_TRUE(server_->Start());
    ASSERT_NE(server_->port(), 0);
  }

  std::uint16_t port() const { return server_->port(); }

  std::unique_ptr<HttpServer> server_;
  Stash stash_;
  std::atomic<int> handled_{0};
  std::atomic<std::size_t> pooled_capacity_{0};
};

TEST_F(HttpServerTest, PostEcho) {
  StartServer();
  TestConnection c(port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.Send(Post("/a/b?x=1", "hello world", "Content-Type: text/plain\r\n")));
  auto r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello world");
  EXPECT_EQ(r.Header("content-length"), "11");
  EXPECT_EQ(r.Header("server"), "Sluice");
  EXPECT_EQ(r.Header("x-method"), "POST");
  EXPECT_EQ(r.Header("x-target"), "/a/b?x=1");
  EXPECT_EQ(r.Header("x-remote"), "127.0.0.1");
  EXPECT_EQ(r.Header("content-type"), "text/plain");
  EXPECT_EQ(r.Header("connection"), "keep-alive");
  EXPECT_FALSE(r.Header("date").empty());
}

// A written body's buffer comes back, empty, for the next answer on the worker's thread.
TEST_F(HttpServerTest, WrittenBodyBufferIsReused) {
  HttpServerOptions options;
  options.threads = 1;
  StartServer(options);
  TestConnection c(port());
  ASSERT_TRUE(c.connected());
  const std::string big(3000, 'b');
  ASSERT_TRUE(c.Send(Post("/pooled", big)));
  auto r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.body, big);
  ASSERT_TRUE(c.Send(Post("/pooled", "short")));
  r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.body, "short");
  EXPECT_GE(pooled_capacity_.load(), big.size());
}

TEST_F(HttpServerTest, RequestFieldsReachHandler) {
  std::promise<HttpRequest> seen;
  HttpServerOptions o;
  o.port = 0;
  server_ = std::make_unique<HttpServer>(o, [&seen](HttpRequest&& req, Responder respond) {
    seen.set_value(req);
    respond(HttpResponse{204, {}, ""});
  });
  ASSERT_TRUE(server_->Start());
  TestConnection c(port());
  ASSERT_TRUE(
      c.Send("PUT /q/x?a=b&c HTTP/1.1\r\nHost: h\r\nX-Amz-Target: T.Op\r\n"
             "Content-Length: 3\r\n\r\nxyz"));
  auto r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.Header("content-length"), "");
  auto req = seen.get_future().get();
  EXPECT_EQ(req.method, "PUT");
  EXPECT_EQ(req.Path(), "/q/x");
  EXPECT_EQ(req.Query(), "a=b&c");
  ASSERT_NE(req.Header("x-amz-target"), nullptr);
  EXPECT_EQ(*req.Header("X-AMZ-TARGET"), "T.Op");
  EXPECT_EQ(req.body, "xyz");
  EXPECT_FALSE(req.secure);
  EXPECT_EQ(req.remote_address, "127.0.0.1");
}

TEST_F(HttpServerTest, KeepAliveManyRequestsOnOneConnection) {
  StartServer();
  TestConnection c(port());
  for (int i = 0; i < 20; ++i) {
    const std::string body = "body-" + std::to_string(i);
    ASSERT_TRUE(c.Send(Post("/k" + std::to_string(i), body)));
    auto r = c.Read();
    ASSERT_TRUE(r.ok) << i;
    EXPECT_EQ(r.body, body);
    EXPECT_EQ(r.Header("x-target"), "/k" + std::to_string(i));
  }
  EXPECT_EQ(handled_.load(), 20);
}

TEST_F(HttpServerTest, GetWithoutBodyAndHead) {
  StartServer();
  TestConnection c(port());
  ASSERT_TRUE(c.Send("GET /g HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.Header("x-method"), "GET");
  EXPECT_EQ(r.Header("content-length"), "0");
  // HEAD: Content-Length of the would-be body, no body bytes; the next response parses cleanly.
  ASSERT_TRUE(c.Send("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n" + Post("/after", "zz")));
  auto h = c.Read(/*head_request=*/true);
  ASSERT_TRUE(h.ok);
  EXPECT_EQ(h.Header("x-method"), "HEAD");
  auto after = c.Read();
  ASSERT_TRUE(after.ok);
  EXPECT_EQ(after.body, "zz");
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrderOneAtATime) {
  StartServer();
  TestConnection c(port());
  ASSERT_TRUE(c.Send(Post("/stash-first", "one") + Post("/second", "two")));
  ASSERT_TRUE(stash_.WaitFor(1));
  // The second request must not reach the handler before the first is answered.
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(handled_.load(), 1);
  auto [req, respond] = stash_.Take();
  EXPECT_EQ(req.body, "one");
  std::thread([respond = std::move(respond), req = std::move(req)] { respond(Echo(req)); }).join();
  auto r1 = c.Read();
  auto r2 = c.Read();
  ASSERT_TRUE(r1.ok);
  ASSERT_TRUE(r2.ok);
  EXPECT_EQ(r1.body, "one");
  EXPECT_EQ(r2.body, "two");
  EXPECT_EQ(handled_.load(), 2);
}

TEST_F(HttpServerTest, ManyPipelinedRequestsInOneWrite) {
  StartServer();
  TestConnection c(port());
  std::string all;
  for (int i = 0; i < 50; ++i) all += Post("/p", "n" + std::to_string(i));
  ASSERT_TRUE(c.Send(all));
  for (int i = 0; i < 50; ++i) {
    auto r = c.Read();
    ASSERT_TRUE(r.ok) << i;
    EXPECT_EQ(r.body, "n" + std::to_string(i));
  }
}

TEST_F(HttpServerTest, ResponderCalledFromAnotherThread) {
  StartServer();
  TestConnection c(port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.Send(Post("/async", "later" + std::to_string(i))));
    auto r = c.Read();
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.body, "later" + std::to_string(i));
  }
}

TEST_F(HttpServerTest, ResponderSecondCallIgnored) {
  StartServer();
  TestConnection c(port());
  ASSERT_TRUE(c.Send(Post("/twice", "") + Post("/next", "n")));
  auto r1 = c.Read();
  auto r2 = c.Read();
  ASSERT_TRUE(r1.ok);
  ASSERT_TRUE(r2.ok);
  EXPECT_EQ(r1.body, "first");
  EXPECT_EQ(r2.body, "n");
}

TEST_F(HttpServerTest, HandlerExceptionBecomes500) {
  StartServer();
  TestConnection c(port());
  ASSERT_TRUE(c.Send(Post("/throw", "x") + Post("/ok", "y")));
  auto r1 = c.Read();
  auto r2 = c.Read();
  ASSERT_TRUE(r1.ok);
  EXPECT_EQ(r1.status, 500);
  ASSERT_TRUE(r2.ok);
  EXPECT_EQ(r2.body, "y");
}

TEST_F(HttpServerTest, ServerOwnsFramingHeaders) {
  StartServer();
  TestConnection c(port());
  ASSERT_TRUE(c.Send(Post("/headers", "")));
  auto r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.body, "abc");
  EXPECT_EQ(r.Header("content-length"), "3");
  EXPECT_EQ(r.Header("connection"), "keep-alive");
  EXPECT_EQ(r.Header("x-good"), "fine");
  EXPECT_EQ(r.headers.count("x-evil"), 0u);
  EXPECT_EQ(r.headers.count("injected"), 0u);
}

TEST_F(HttpServerTest, ChunkedRequestBody) {
  StartServer();
  TestConnection c(port());
  ASSERT_TRUE(
      c.Send("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
             "5\r\nhello\r\n"
             "6;ext=1\r\n world\r\n"));
  ASSERT_TRUE(c.Send("0\r\n\r\n"));
  auto r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello world");
}

TEST_F(HttpServerTest, ExpectContinue) {
  StartServer();
  TestConnection c(port());
  const std::string body(100000, 'b');
  ASSERT_TRUE(c.Send("POST /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\n\r\n"));
  auto interim = c.Read();
  ASSERT_TRUE(interim.ok);
  EXPECT_EQ(interim.status, 100);
  ASSERT_TRUE(c.Send(body));
  auto r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.size(), body.size());
}

TEST_F(HttpServerTest, LargeBodyWithinLimit) {
  StartServer();
  TestConnection c(port());
  std::string body(2 * 1024 * 1024, 'x');
  for (std::size_t i = 0; i < body.size(); i += 97) body[i] = static_cast<char>('a' + i % 26);
  ASSERT_TRUE(c.Send(Post("/big", body)));
  auto r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.body, body);
}

TEST_F(HttpServerTest, BodyOverLimitIs413AndClose) {
  HttpServerOptions o;
  o.max_body_bytes = 1000;
  StartServer(o);
  TestConnection c(port());
  ASSERT_TRUE(c.Send(Post("/big", std::string(5000, 'x'))));
  auto r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(c.WaitClosed());
  EXPECT_EQ(handled_.load(), 0);
}

TEST_F(HttpServerTest, ChunkedBodyOverLimitIs413) {
  HttpServerOptions o;
  o.max_body_bytes = 1000;
  StartServer(o);
  TestConnection c(port());
  std::string req = "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 5; ++i) req += "190\r\n" + std::string(400, 'y') + "\r\n";
  req += "0\r\n\r\n";
  ASSERT_TRUE(c.Send(req));
  auto r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 413);
  EXPECT_TRUE(c.WaitClosed());
  EXPECT_EQ(handled_.load(), 0);
}

TEST_F(HttpServerTest, HeaderOverLimitIs431AndClose) {
  HttpServerOptions o;
  o.max_header_bytes = 1024;
  StartServer(o);
  TestConnection c(port());
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'h') + "\r\n\r\n"));
  auto r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 431);
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(c.WaitClosed());
  EXPECT_EQ(handled_.load(), 0);
}

TEST_F(HttpServerTest, GarbageIs400AndClose) {
  StartServer();
  TestConnection c(port());
  static const char kGarbage[] = "\x16\x03\x01\x02\x00 garbage \x01\x02\r\n\r\n";
  ASSERT_TRUE(c.Send(std::string(kGarbage, sizeof(kGarbage) - 1)));
  auto r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(c.WaitClosed());
}

TEST_F(HttpServerTest, ConflictingFramingIs400) {
  StartServer();
  TestConnection c(port());
  ASSERT_TRUE(
      c.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
             "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"));
  auto r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(c.WaitClosed());
}

TEST_F(HttpServerTest, ConnectionCloseRequested) {
  StartServer();
  TestConnection c(port());
  ASSERT_TRUE(c.Send(Post("/x", "a", "Connection: close\r\n")));
  auto r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(c.WaitClosed());
}

TEST_F(HttpServerTest, Http10) {
  StartServer();
  {
    TestConnection c(port());
    ASSERT_TRUE(c.Send("POST /old HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi"));
    auto r = c.Read();
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.body, "hi");
    EXPECT_EQ(r.Header("connection"), "close");
    EXPECT_TRUE(c.WaitClosed());
  }
  {
    TestConnection c(port());
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(c.Send("GET /ka HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
      auto r = c.Read();
      ASSERT_TRUE(r.ok);
      EXPECT_EQ(r.Header("connection"), "keep-alive");
    }
  }
}

TEST_F(HttpServerTest, ClientGoneBeforeResponderFires) {
  StartServer();
  {
    TestConnection c(port());
    ASSERT_TRUE(c.Send(Post("/stash", "abandoned")));
    ASSERT_TRUE(stash_.WaitFor(1));
  }  // client closes
  auto [req, respond] = stash_.Take();
  std::thread([respond = std::move(respond)] { respond(HttpResponse{200, {}, "nobody"}); }).join();
  TestConnection c2(port());
  ASSERT_TRUE(c2.Send(Post("/still", "alive")));
  auto r = c2.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.body, "alive");
}

TEST_F(HttpServerTest, DroppedResponderClosesConnection) {
  StartServer();
  TestConnection c(port());
  ASSERT_TRUE(c.Send(Post("/stash", "dropped")));
  ASSERT_TRUE(stash_.WaitFor(1));
  { auto item = stash_.Take(); }  // handler gave up without answering
  EXPECT_TRUE(c.WaitClosed());
}

TEST_F(HttpServerTest, StopCompletesInFlightRequest) {
  StartServer();
  TestConnection busy(port());
  TestConnection idle(port());
  ASSERT_TRUE(idle.Send(Post("/i", "x")));
  ASSERT_TRUE(idle.Read().ok);
  ASSERT_TRUE(busy.Send(Post("/stash", "in flight")));
  ASSERT_TRUE(stash_.WaitFor(1));

  auto stopped = std::async(std::launch::async, [this] { server_->Stop(10000ms); });
  // Stop closes idle connections first; once it did, the pending request is still answered.
  EXPECT_TRUE(idle.WaitClosed());
  EXPECT_EQ(stopped.wait_for(0ms), std::future_status::timeout);
  auto [req, respond] = stash_.Take();
  respond(Echo(req));
  auto r = busy.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.body, "in flight");
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(busy.WaitClosed());
  EXPECT_EQ(stopped.wait_for(10s), std::future_status::ready);
  server_.reset();
}

TEST_F(HttpServerTest, StopGraceExpiresAndResponderOutlivesServer) {
  StartServer();
  TestConnection busy(port());
  ASSERT_TRUE(busy.Send(Post("/stash", "never answered in time")));
  ASSERT_TRUE(stash_.WaitFor(1));
  server_->Stop(100ms);
  EXPECT_TRUE(busy.WaitClosed());
  server_.reset();
  auto [req, respond] = stash_.Take();
  respond(HttpResponse{200, {}, "too late"});  // harmless
}

TEST_F(HttpServerTest, ThousandIdleConnectionsThenNormalRequest) {
  StartServer();
  std::vector<std::unique_ptr<TestConnection>> idle;
  for (int i = 0; i < 1000; ++i) {
    idle.push_back(std::make_unique<TestConnection>(port()));
    ASSERT_TRUE(idle.back()->connected()) << i;
  }
  // Half of them send a partial request, the rest nothing.
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(idle[i]->Send("POST /p HTTP/1.1\r\nHost: x\r\n"));
  TestConnection c(port());
  ASSERT_TRUE(c.Send(Post("/normal", "ok")));
  auto r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.body, "ok");
  // And an idle one still works.
  ASSERT_TRUE(idle[900]->Send(Post("/late", "fine")));
  auto r2 = idle[900]->Read();
  ASSERT_TRUE(r2.ok);
  EXPECT_EQ(r2.body, "fine");
}

TEST_F(HttpServerTest, MaxConnectionsRefusesExtra) {
  HttpServerOptions o;
  o.max_connections = 2;
  StartServer(o);
  TestConnection a(port()), b(port());
  ASSERT_TRUE(a.Send(Post("/a", "a")));
  ASSERT_TRUE(a.Read().ok);
  ASSERT_TRUE(b.Send(Post("/b", "b")));
  ASSERT_TRUE(b.Read().ok);
  TestConnection extra(port());
  EXPECT_TRUE(extra.WaitClosed());
  // Existing connections keep working.
  ASSERT_TRUE(a.Send(Post("/a2", "a2")));
  EXPECT_EQ(a.Read().body, "a2");
}

TEST_F(HttpServerTest, LongIdleConnectionStillServes) {
  StartServer();
  TestConnection c(port(), /*timeout_seconds=*/15);
  ASSERT_TRUE(c.Send(Post("/x", "before")));
  ASSERT_TRUE(c.Read().ok);
  // Long enough for the server to park the connection (drop its read buffer, see http_session.h).
  std::this_thread::sleep_for(2500ms);
  ASSERT_TRUE(c.Send(Post("/y", "after")));
  auto r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.body, "after");
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosed) {
  HttpServerOptions o;
  o.idle_timeout = 1s;
  StartServer(o);
  TestConnection c(port(), /*timeout_seconds=*/15);
  ASSERT_TRUE(c.Send(Post("/x", "x")));
  ASSERT_TRUE(c.Read().ok);
  EXPECT_TRUE(c.WaitClosed());
}

TEST_F(HttpServerTest, SlowRequestIsClosed) {
  HttpServerOptions o;
  o.idle_timeout = 60s;
  o.request_read_timeout = 1s;
  StartServer(o);
  TestConnection c(port(), /*timeout_seconds=*/15);
  ASSERT_TRUE(c.Send("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Le"));
  EXPECT_TRUE(c.WaitClosed());
  EXPECT_EQ(handled_.load(), 0);
}

TEST_F(HttpServerTest, PendingLongPollIsNotTimedOut) {
  HttpServerOptions o;
  o.idle_timeout = 1s;
  o.request_read_timeout = 1s;
  StartServer(o);
  TestConnection c(port(), /*timeout_seconds=*/15);
  ASSERT_TRUE(c.Send(Post("/stash-poll", "wait")));
  ASSERT_TRUE(stash_.WaitFor(1));
  std::this_thread::sleep_for(2500ms);  // well past both timeouts
  auto [req, respond] = stash_.Take();
  respond(Echo(req));
  auto r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.body, "wait");
}

TEST(HttpServerStartTest, BindFailureReturnsFalse) {
  HttpServerOptions o;
  o.port = 0;
  HttpServer first(o, [](HttpRequest&&, Responder r) { r(HttpResponse{}); });
  ASSERT_TRUE(first.Start());
  o.port = first.port();
  HttpServer second(o, [](HttpRequest&&, Responder r) { r(HttpResponse{}); });
  EXPECT_FALSE(second.Start());
  second.Stop();
  first.Stop();
}

TEST(HttpServerStartTest, ConcurrentClientsOnSeveralThreads) {
  HttpServerOptions o;
  o.port = 0;
  o.threads = 4;
  HttpServer server(o, [](HttpRequest&& req, Responder r) { r(HttpResponse{200, {}, req.body}); });
  ASSERT_TRUE(server.Start());
  std::atomic<int> good{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&, t] {
      TestConnection c(server.port());
      for (int i = 0; i < 200; ++i) {
        const std::string body = std::to_string(t) + ":" + std::to_string(i);
        if (!c.Send(Post("/", body))) return;
        if (c.Read().body == body) ++good;
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(good.load(), 8 * 200);
  server.Stop();
}

}  // namespace
}  // namespace sluice::net
