// Private to sluice_net (included only by http_server.cc): the per-io-thread Worker and the
// per-connection Session. Session is a template over its stream: tcp::socket for plain HTTP,
// TlsStream (tls_stream.h) for HTTPS; the small stream hooks at the top of this file
// (kIsSecure, WaitReadable, ShutdownSend) differ between the two, and a TLS session starts with
// a handshake.
//
// Threading: every Worker owns one io_context run by exactly one thread; a Session lives on its
// Worker's thread (no strand needed). The only entry points from other threads are
// Session::Complete (the Responder) and the Session destructor (when a foreign thread drops the
// last Responder); both are written for it.
//
// Timeouts are not per-operation timers: each Worker sweeps its sessions twice a second and
// closes those whose deadline passed. A session waiting for its handler has no deadline.
#pragma once

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>

#include "common/executor.h"
#include "net/http.h"
#include "net/http_server.h"
#include "net/http_wire.h"
#include "net/request_parser.h"
#include "net/tls_context.h"
#include "net/tls_stream.h"

namespace sluice::net::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using SteadyTime = std::chrono::steady_clock::time_point;
using boost::system::error_code;

// ---- Stream hooks: plain socket and TLS ----

template <class Stream>
inline constexpr bool kIsSecure = false;
template <>
inline constexpr bool kIsSecure<TlsStream> = true;

// Completes when the stream has bytes to read, without holding a buffer while idle.
template <class Handler>
void WaitReadable(tcp::socket& s, Handler&& h) {
  s.async_wait(tcp::socket::wait_read, std::forward<Handler>(h));
}
template <class Handler>
void WaitReadable(TlsStream& s, Handler&& h) {
  if (s.HasBufferedInput()) {  // already inside OpenSSL: the socket may never become readable
    asio::post(s.get_executor(), [h = std::forward<Handler>(h)]() mutable { h(error_code()); });
    return;
  }
  s.next_layer().async_wait(tcp::socket::wait_read, std::forward<Handler>(h));
}

// Frees buffers the stream keeps while idle (TLS: OpenSSL's record buffers).
inline void ReleaseIdleBuffers(tcp::socket&) {}
inline void ReleaseIdleBuffers(TlsStream& s) { s.ReleaseBuffers(); }

// Half-close (for TLS: close_notify first, best effort).
inline void ShutdownSend(tcp::socket& s, error_code& ec) {
  s.shutdown(tcp::socket::shutdown_send, ec);
}
inline void ShutdownSend(TlsStream& s, error_code& ec) { s.ShutdownSend(ec); }

// ---- Server-wide state shared by all workers and sessions (outlives the HttpServer if a
// Responder is kept after Stop) ----

struct ServerShared {
  ServerShared(HttpServerOptions o, HttpHandler h) : options(std::move(o)), handler(std::move(h)) {}
  const HttpServerOptions options;
  const HttpHandler handler;
  // Set by Start before the io threads run; null without TLS. ReloadTls replaces it under
  // tls_mu; each connection's SSL keeps a reference to the context it started with.
  std::mutex tls_mu;
  SslContextPtr tls_context;
  std::atomic<std::size_t> connections{0};
  std::atomic<bool> stopping{false};
};

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Both run on the worker thread with the worker's session registry locked.
  virtual void OnSweep(SteadyTime now) = 0;
  // force=false: close only connections idle between requests; force=true: close everything.
  virtual void OnStop(bool force) = 0;
};

class Worker {
 public:
  static constexpr std::chrono::milliseconds kSweepPeriod{500};

  explicit Worker(std::shared_ptr<ServerShared> shared)
      : shared_(std::move(shared)),
        work_(asio::make_work_guard(ioc_)),
        executor_(std::make_shared<LoopExecutor>(*this)) {
    last_date_ = std::time(nullptr);
    date_ = FormatHttpDate(last_date_);
  }
  ~Worker() { executor_->Detach(); }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  asio::io_context& ioc() { return ioc_; }
  ServerShared& shared() { return *shared_; }
  const HttpServerOptions& options() const { return shared_->options; }
  const std::string& date() const { return date_; }  // worker thread only
  bool InThisThread() { return ioc_.get_executor().running_in_this_thread(); }

  void Register(SessionBase* s) {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    sessions_.insert(s);
  }
  void Unregister(SessionBase* s) {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    sessions_.erase(s);
  }
  template <class F>
  void ForEachSession(F&& f) {  // worker thread
    std::lock_guard<std::mutex> lock(sessions_mu_);
    for (SessionBase* s : sessions_) f(s);
  }

  // Posts fn to this worker unless its thread has finished; callable from any thread. When the
  // worker is finished, fn is destroyed here instead (so nothing waits forever in a dead queue).
  template <class F>
  void PostFromAnyThread(F&& fn) {
    std::lock_guard<std::mutex> lock(post_mu_);
    if (finished_) return;
    asio::post(ioc_, std::forward<F>(fn));
  }

  void StartSweep() {  // worker thread
    sweep_timer_.expires_after(kSweepPeriod);
    sweep_timer_.async_wait([this](error_code ec) {
      if (ec || sweep_stopped_) return;
      Sweep();
      StartSweep();
    });
  }

  // Worker thread: after this, run() returns once the last session closed.
  void Shutdown() {
    sweep_stopped_ = true;
    sweep_timer_.cancel();
    ForEachSession([](SessionBase* s) { s->OnStop(true); });
    work_.reset();
  }

  // Thread body.
  void Run() {
    SetCurrentExecutor(executor_);
    for (;;) {
      try {
        ioc_.run();
        break;
      } catch (const std::exception& e) {
        spdlog::error("net: io thread caught exception: {}", e.what());
      } catch (...) {
        spdlog::error("net: io thread caught unknown exception");
      }
    }
    {
      std::lock_guard<std::mutex> lock(post_mu_);
      finished_ = true;
    }
    // Anything posted between run() returning and finished_ being set.
    try {
      ioc_.restart();
      ioc_.poll();
    } catch (...) {
    }
    SetCurrentExecutor(nullptr);
  }

 private:
  // The worker's loop as the application sees it (common/executor.h): continuations of requests
  // that finished on other threads come back here. Posts while the worker runs, drops after.
  class LoopExecutor final : public Executor {
   public:
    explicit LoopExecutor(Worker& worker) : worker_(&worker) {}
    void Post(std::function<void()> fn) override {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (worker_ != nullptr && worker_->TryPost(fn)) return;
      }
      // Dropped: fn is destroyed here, with no lock held.
    }
    void Detach() {
      std::lock_guard<std::mutex> lock(mu_);
      worker_ = nullptr;
    }

   private:
    std::mutex mu_;
    Worker* worker_;
  };

  bool TryPost(std::function<void()>& fn) {
    std::lock_guard<std::mutex> lock(post_mu_);
    if (finished_) return false;
    asio::post(ioc_, std::move(fn));
    return true;
  }

  void Sweep() {
    const std::time_t t = std::time(nullptr);
    if (t != last_date_) {
      last_date_ = t;
      date_ = FormatHttpDate(t);
    }
    const SteadyTime now = std::chrono::steady_clock::now();
    ForEachSession([now](SessionBase* s) { s->OnSweep(now); });
  }

  asio::io_context ioc_{1};
  std::shared_ptr<ServerShared> shared_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::steady_timer sweep_timer_{ioc_};
  bool sweep_stopped_ = false;
  std::time_t last_date_ = 0;
  std::string date_;
  std::mutex sessions_mu_;
  std::unordered_set<SessionBase*> sessions_;
  std::mutex post_mu_;
  bool finished_ = false;
  std::shared_ptr<LoopExecutor> executor_;
};

// ---- One connection ----

template <class Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(std::shared_ptr<Worker> worker, Stream stream, std::string remote_address)
      : worker_(std::move(worker)), stream_(std::move(stream)), remote_(std::move(remote_address)) {
    worker_->shared().connections.fetch_add(1, std::memory_order_relaxed);
    worker_->Register(this);
  }

  // May run on a foreign thread (the last Responder dropped there); no operation is pending then.
  ~Session() override {
    worker_->Unregister(this);
    CloseSocket();
  }

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void Run() {  // worker thread
    if (worker_->shared().stopping.load(std::memory_order_relaxed)) {
      CloseSocket();
      return;
    }
    if constexpr (!kIsSecure<Stream>) {
      ReadRequest(/*first=*/true);
    } else {
      // The handshake counts against the request timeout: a client that connects and never
      // finishes it is closed by the sweep.
      state_ = State::kHandshake;
      deadline_ = DeadlineAfter(options().request_read_timeout);
      stream_.async_handshake([self = this->shared_from_this()](error_code ec) {
        if (self->closed_) return;
        if (ec) {
          self->OnHandshakeFailed(ec);
          return;
        }
        self->ReadRequest(/*first=*/true);
      });
    }
  }

  // The Responder: any thread, first call for the current request wins.
  void Complete(std::uint64_t gen, HttpResponse&& response) {
    std::uint64_t expected = gen;
    if (!pending_gen_.compare_exchange_strong(expected, 0, std::memory_order_acq_rel)) return;
    if (worker_->InThisThread()) {
      OnResponse(std::move(response));
      return;
    }
    try {
      worker_->PostFromAnyThread(
          [self = this->shared_from_this(), r = std::move(response)]() mutable {
            self->OnResponse(std::move(r));
          });
    } catch (const std::exception& e) {  // allocation failure: the connection is dropped
      spdlog::error("net: cannot deliver a response: {}", e.what());
    }
  }

  void OnSweep(SteadyTime now) override {
    switch (state_) {
      case State::kHandling:
      case State::kClosed:
        return;
      case State::kIdle:
        // Park connections idle for a while: cancel the pending read so its buffer can be given
        // back, and wait for readability without a buffer (many idle keep-alive connections must
        // stay cheap). See OnRead.
        if (!parked_ && !parking_ && now - idle_since_ > kParkAfter) {
          parking_ = true;
          error_code ec;
          beast::get_lowest_layer(stream_).cancel(ec);
        }
        break;
      default:
        break;
    }
    if (now >= deadline_) {
      spdlog::debug("net: {} timed out ({})", remote_, StateName());
      CloseSocket();
    }
  }

  void OnStop(bool force) override {
    if (force || state_ == State::kIdle || state_ == State::kHandshake) CloseSocket();
  }

 private:
  enum class State { kHandshake, kIdle, kReading, kHandling, kWriting, kLingering, kClosed };
  static constexpr std::size_t kReadSize = 16 * 1024;
  static constexpr std::size_t kMaxLingerBytes = 1024 * 1024;
  static constexpr std::chrono::seconds kLingerTime{2};
  static constexpr std::chrono::seconds kParkAfter{1};
  static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

  const char* StateName() const {
    switch (state_) {
      case State::kHandshake:
        return "TLS handshake";
      case State::kIdle:
        return "idle";
      case State::kReading:
        return "reading request";
      case State::kHandling:
        return "handling";
      case State::kWriting:
        return "writing";
      case State::kLingering:
        return "lingering";
      case State::kClosed:
        return "closed";
    }
    return "?";
  }

  const HttpServerOptions& options() const { return worker_->options(); }

  static SteadyTime DeadlineAfter(std::chrono::seconds d) {
    if (d.count() <= 0) return SteadyTime::max();
    return std::chrono::steady_clock::now() + d;
  }

  void CloseSocket() {
    if (closed_) return;
    closed_ = true;
    state_ = State::kClosed;
    error_code ec;
    beast::get_lowest_layer(stream_).close(ec);
    worker_->shared().connections.fetch_sub(1, std::memory_order_relaxed);
  }

  // Starts reading the next request; pipelined bytes already buffered are parsed first.
  // first: the connection's first request. Wait for readability before allocating a read
  // buffer, so connections that never send anything cost no buffer at all.
  void ReadRequest(bool first = false) {
    parser_.emplace();
    ConfigureRequestParser(*parser_, options().max_header_bytes, options().max_body_bytes);
    continue_sent_ = false;
    if (buffer_.size() > 0) {
      BeginRequest();
      Parse();
      return;
    }
    if (worker_->shared().stopping.load(std::memory_order_relaxed)) {
      CloseSocket();
      return;
    }
    state_ = State::kIdle;
    idle_since_ = std::chrono::steady_clock::now();
    deadline_ = DeadlineAfter(options().idle_timeout);
    if (first) {
      WaitParked();
      return;
    }
    // A read straight away: after a request that drained the socket, Asio queues it on epoll
    // without a syscall (cheaper than a readiness wait, which costs an epoll_ctl each time).
    DoRead();
  }

  void WaitParked() {
    parked_ = true;
    buffer_.shrink_to_fit();
    ReleaseIdleBuffers(stream_);
    WaitReadable(stream_, [self = this->shared_from_this()](error_code ec) {
      self->parked_ = false;
      if (ec || self->closed_) {
        self->CloseSocket();
        return;
      }
      self->BeginRequest();
      self->DoRead();
    });
  }

  void BeginRequest() {
    state_ = State::kReading;
    deadline_ = DeadlineAfter(options().request_read_timeout);
  }

  void DoRead() {
    stream_.async_read_some(
        buffer_.prepare(kReadSize),
        [self = this->shared_from_this()](error_code ec, std::size_t n) { self->OnRead(ec, n); });
  }

  void OnRead(error_code ec, std::size_t n) {
    if (closed_) return;
    const bool parking = std::exchange(parking_, false);
    if (ec == asio::error::operation_aborted && parking && state_ == State::kIdle) {
      WaitParked();
      return;
    }
    if (ec) {
      // EOF before any byte of a request is an ordinary close.
      if (!(ec == asio::error::eof && buffer_.size() == 0 && !parser_->got_some())) {
        spdlog::debug("net: {} read failed: {}", remote_, ec.message());
      }
      CloseSocket();
      return;
    }
    buffer_.commit(n);
    if (state_ == State::kIdle) BeginRequest();
    Parse();
  }

  void Parse() {
    error_code ec;
    while (!parser_->is_done()) {
      if (buffer_.size() == 0) {
        ec = http::error::need_more;
        break;
      }
      const std::size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec) break;
      if (used == 0) {
        ec = http::error::need_more;
        break;
      }
    }
    if (ec == http::error::need_more) {
      if (!continue_sent_ && parser_->is_header_done() && ExpectsContinue()) {
        continue_sent_ = true;
        asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                          [self = this->shared_from_this()](error_code wec, std::size_t) {
                            if (wec || self->closed_) {
                              self->CloseSocket();
                              return;
                            }
                            self->DoRead();
                          });
        return;
      }
      DoRead();
      return;
    }
    if (ec) {
      OnParseError(ec);
      return;
    }
    Dispatch();
  }

  bool ExpectsContinue() const { return parser_->expects_continue(); }

  void OnParseError(error_code ec) {
    const int status = ParseErrorStatus(ec);
    spdlog::debug("net: {} bad request ({}): answering {}", remote_, ec.message(), status);
    head_ = MakeErrorResponse(status, options().server_header, worker_->date());
    state_ = State::kWriting;
    deadline_ = DeadlineAfter(WriteTimeout());
    asio::async_write(stream_, asio::buffer(head_),
                      [self = this->shared_from_this()](error_code wec, std::size_t) {
                        if (wec || self->closed_) {
                          self->CloseSocket();
                          return;
                        }
                        self->LingeringClose();
                      });
  }

  std::uint32_t BurstSize() const {
    const auto& o = options();
    if (o.request_burst > 0) return o.request_burst;
    return static_cast<std::uint32_t>(std::max(1.0, std::ceil(o.max_requests_per_second)));
  }

  // Per-connection token bucket (full at the start). False: over the rate. Throttled requests
  // also add to abuse_, which drains at the same rate: a client slightly over the rate is only
  // throttled, one far over it soon exceeds kAbuseFactor x burst (see Dispatch).
  bool TakeToken() {
    const double rate = options().max_requests_per_second;
    if (!(rate > 0)) return true;
    const double burst = BurstSize();
    const SteadyTime now = std::chrono::steady_clock::now();
    if (!bucket_started_) {
      bucket_started_ = true;
      tokens_ = burst;
    } else {
      const double refill = std::chrono::duration<double>(now - bucket_time_).count() * rate;
      tokens_ = std::min(burst, tokens_ + refill);
      abuse_ = std::max(0.0, abuse_ - refill);
    }
    bucket_time_ = now;
    if (tokens_ >= 1.0) {
      tokens_ -= 1.0;
      return true;
    }
    abuse_ += 1.0;
    return false;
  }

  std::chrono::seconds WriteTimeout() const {
    return std::max(options().request_read_timeout, options().idle_timeout);
  }

  void Dispatch() {
    HttpRequest req = std::move(parser_->request());
    keep_alive_ = parser_->keep_alive();
    head_only_ = parser_->method() == http::verb::head;
    parser_.reset();
    req.remote_address = remote_;
    req.secure = kIsSecure<Stream>;
    if (!TakeToken()) {
      req.rate_limited = true;
      // Far over the limit: answer this one, then close. (-0.5: the drain since the last
      // request is tiny but not zero.)
      if (abuse_ >= HttpServerOptions::kAbuseFactor * BurstSize() - 0.5) {
        spdlog::debug("net: {} over its request rate far too often: closing", remote_);
        keep_alive_ = false;
      }
    }

    state_ = State::kHandling;
    const std::uint64_t gen = ++last_gen_;
    pending_gen_.store(gen, std::memory_order_release);
    try {
      worker_->shared().handler(std::move(req),
                                Responder([self = this->shared_from_this(), gen](HttpResponse&& r) {
                                  self->Complete(gen, std::move(r));
                                }));
    } catch (const std::exception& e) {
      spdlog::error("net: handler threw: {}", e.what());
      Complete(gen, HttpResponse{500, {}, {}});
    } catch (...) {
      spdlog::error("net: handler threw an unknown exception");
      Complete(gen, HttpResponse{500, {}, {}});
    }
    // `this` may have started writing already (synchronous responder): touch nothing here.
  }

  void OnResponse(HttpResponse&& r) {  // worker thread
    if (closed_) return;
    response_ = std::move(r);
    if (worker_->shared().stopping.load(std::memory_order_relaxed)) keep_alive_ = false;
    const bool no_body = StatusHasNoBody(response_.status);
    ResponseHeadParams p;
    p.status = response_.status;
    p.content_length = response_.body.size();
    p.keep_alive = keep_alive_;
    p.server = options().server_header;
    p.date = worker_->date();
    head_.clear();
    AppendResponseHead(p, response_.headers, head_);
    state_ = State::kWriting;
    deadline_ = DeadlineAfter(WriteTimeout());
    write_buffers_[0] = asio::buffer(head_);
    write_buffers_[1] =
        (head_only_ || no_body) ? asio::const_buffer() : asio::buffer(response_.body);
    asio::async_write(
        stream_, write_buffers_,
        [self = this->shared_from_this()](error_code ec, std::size_t) { self->OnWrite(ec); });
  }

  void OnWrite(error_code ec) {
    // Release the body now, not when the next request comes: to this thread's pool, warm for the
    // next answer (net/http.h).
    RecycleBodyBuffer(std::move(response_.body));
    response_ = HttpResponse();
    if (closed_) return;
    if (ec) {
      spdlog::debug("net: {} write failed: {}", remote_, ec.message());
      CloseSocket();
      return;
    }
    if (!keep_alive_) {
      LingeringClose();
      return;
    }
    ReadRequest();
  }

  // Half-closes, then drains what the client still sends for a short while before closing, so
  // that a client still writing (pipelined requests, an oversized body) receives our last response
  // instead of a reset.
  // TLS: a plain-HTTP request on the HTTPS port is answered in plain HTTP (400, as nginx does),
  // so that `curl http://` shows why; any other handshake failure just closes.
  void OnHandshakeFailed(error_code ec) {
    spdlog::debug("net: {} TLS handshake failed: {}", remote_, ec.message());
    const bool plain_http =
        ec.category() == asio::error::get_ssl_category() &&
        ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_HTTP_REQUEST;
    if (!plain_http) {
      CloseSocket();
      return;
    }
    static constexpr std::string_view kBody = "This port speaks HTTPS only.\n";
    ResponseHeadParams p;
    p.status = 400;
    p.content_length = kBody.size();
    p.keep_alive = false;
    p.server = options().server_header;
    p.date = worker_->date();
    head_.clear();
    AppendResponseHead(p, Headers{{"Content-Type", "text/plain; charset=utf-8"}}, head_);
    head_.append(kBody);
    state_ = State::kWriting;
    deadline_ = DeadlineAfter(WriteTimeout());
    asio::async_write(beast::get_lowest_layer(stream_), asio::buffer(head_),
                      [self = this->shared_from_this()](error_code wec, std::size_t) {
                        if (wec || self->closed_) {
                          self->CloseSocket();
                          return;
                        }
                        self->LingeringClose(/*plain=*/true);
                      });
  }

  // plain: half-close and drain the socket itself, bypassing TLS (after a failed handshake).
  void LingeringClose(bool plain = false) {
    error_code ec;
    if (plain) {
      ShutdownSend(beast::get_lowest_layer(stream_), ec);
    } else {
      ShutdownSend(stream_, ec);
    }
    if (ec) {
      CloseSocket();
      return;
    }
    state_ = State::kLingering;
    // While the server stops, do not hold the drain up for long.
    deadline_ = std::chrono::steady_clock::now() +
                (worker_->shared().stopping.load(std::memory_order_relaxed)
                     ? std::chrono::milliseconds(1)
                     : std::chrono::milliseconds(kLingerTime));
    linger_bytes_ = 0;
    buffer_.clear();
    if (plain) {
      DoLingerRead(beast::get_lowest_layer(stream_));
    } else {
      DoLingerRead(stream_);
    }
  }

  template <class ReadStream>
  void DoLingerRead(ReadStream& s) {
    s.async_read_some(buffer_.prepare(kReadSize),
                      [self = this->shared_from_this(), &s](error_code ec, std::size_t n) {
                        if (ec || self->closed_) {
                          self->CloseSocket();
                          return;
                        }
                        self->linger_bytes_ += n;
                        if (self->linger_bytes_ > kMaxLingerBytes) {
                          self->CloseSocket();
                          return;
                        }
                        self->DoLingerRead(s);
                      });
  }

  // Destroyed last: keeps the io_context alive while the socket exists.
  std::shared_ptr<Worker> worker_;
  Stream stream_;
  const std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<RequestParser> parser_;
  HttpResponse response_;
  std::string head_;
  std::array<asio::const_buffer, 2> write_buffers_;
  State state_ = State::kIdle;
  SteadyTime deadline_ = SteadyTime::max();
  SteadyTime idle_since_{};
  std::size_t linger_bytes_ = 0;
  bool closed_ = false;
  bool parking_ = false;  // the idle read was cancelled to park the connection
  bool parked_ = false;   // waiting for readability without a read buffer
  bool keep_alive_ = true;
  bool head_only_ = false;
  bool continue_sent_ = false;
  std::uint64_t last_gen_ = 0;
  std::atomic<std::uint64_t> pending_gen_{0};
  // Rate limit (TakeToken).
  bool bucket_started_ = false;
  double tokens_ = 0;
  SteadyTime bucket_time_{};
  double abuse_ = 0;  // throttled requests, draining at the rate
};

}  // namespace sluice::net::detail
