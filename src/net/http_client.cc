// All of the client's Beast code is in this translation unit (see README.md).
#include "net/http_client.h"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace sluice::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

Status Unavailable(std::string message) {
  return Status(ErrorCode::kServiceUnavailable, std::move(message));
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// One connection to an origin; only one exchange uses it at a time.
struct Conn {
  bool tls = false;
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  Clock::time_point idle_since{};

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*secure) : *plain; }
  void Close() {
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().socket().close(ignored);
  }
};

struct Pending {
  ClientRequest request;
  ParsedUrl url;
  ClientCallback done;
};

class Client;

// One request from slot to answer: connect (or reuse), write, read, hand the connection back.
class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(Client* client, std::string origin, Pending pending, std::unique_ptr<Conn> idle);
  void Start();

 private:
  void Resolve();
  void Connect(tcp::resolver::results_type endpoints);
  void Handshake();
  void Write();
  void Read();
  void Fail(std::string_view stage, const beast::error_code& ec);
  void Finish(Result<ClientResponse> result, bool keep_connection);
  Clock::time_point Deadline() const { return deadline_; }

  Client* const client_;
  std::string origin_;
  Pending p_;
  std::unique_ptr<Conn> conn_;
  bool reused_ = false;
  bool retried_ = false;
  Clock::time_point deadline_;
  tcp::resolver resolver_;
  http::request<http::string_body> req_;
  std::optional<http::response_parser<http::string_body>> parser_;
};

class Client final : public HttpClient {
 public:
  explicit Client(const HttpClientOptions& options)
      : options_(options), work_(asio::make_work_guard(ioc_)) {}

  // OpenSSL's client context is made at the first HTTPS connection (ssl()): SSL_CTX_new sets up
  // OpenSSL's providers (about 5M instructions and 1-2 MiB of libssl's and libcrypto's pages and
  // heap), which a server that never delivers over HTTPS does not need, and plain HTTP deliveries
  // never wait for it. With `ca_file` it is made here, so that a file that cannot be loaded
  // fails the start.
  Status Init() {
    if (options_.ca_file.empty()) return Status::Ok();
    std::call_once(ssl_made_, [this] { ssl_status_ = MakeSsl(); });
    return ssl_status_;
  }

  void StartThreads() {
    for (int i = 0; i < std::max(1, options_.threads); ++i) {
      threads_.emplace_back([this] { ioc_.run(); });
    }
  }

  ~Client() override { Stop(); }

  void Send(ClientRequest request, ClientCallback done) override {
    auto url = ParseHttpUrl(request.url);
    if (!url.ok()) {
      asio::post(ioc_, [done = std::move(done), st = url.status()] { done(st); });
      return;
    }
    std::string origin =
        (url->tls ? "https://" : "http://") + Lower(url->host) + ":" + std::to_string(url->port);
    std::vector<std::function<void()>> start;
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      Origin& o = origins_[origin];
      if (o.waiting.size() >= options_.max_queued_per_host) {
        asio::post(ioc_, [done = std::move(done)] {
          done(Unavailable("too many requests waiting for this endpoint"));
        });
        return;
      }
      o.waiting.push_back(Pending{std::move(request), std::move(*url), std::move(done)});
      PumpLocked(origin, o, start);
    }
    for (auto& fn : start) fn();
  }

  void Stop() override {
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      stopped_ = true;
    }
    work_.reset();
    ioc_.stop();
    for (std::thread& t : threads_) {
      if (t.joinable() && t.get_id() != std::this_thread::get_id()) t.join();
    }
    std::lock_guard lock(mu_);
    origins_.clear();
  }

  // An exchange ended: its slot frees, its connection may wait for the next request.
  void Release(const std::string& origin, std::unique_ptr<Conn> conn) {
    std::vector<std::function<void()>> start;
    {
      std::lock_guard lock(mu_);
      --active_;
      Origin& o = origins_[origin];
      --o.active;
      if (conn && !stopped_ && o.idle.size() < options_.max_idle_per_host) {
        conn->idle_since = Clock::now();
        o.idle.push_back(std::move(conn));
      }
      if (!stopped_) {
        PumpLocked(origin, o, start);
        // A global slot freed: other origins may have been waiting for one.
        for (auto it = origins_.begin(); it != origins_.end() && active_ < options_.max_connections;
             ++it) {
          if (it->first != origin) PumpLocked(it->first, it->second, start);
        }
      }
    }
    for (auto& fn : start) fn();
  }

  asio::io_context& ioc() { return ioc_; }
  // The client context, made at the first call (Init() makes it with `ca_file`); the system's
  // trust store is loaded then too: parsing its ~150 certificates is about 90% of a server's
  // start.
  ssl::context& ssl() {
    std::call_once(ssl_made_, [this] { ssl_status_ = MakeSsl(); });
    std::call_once(system_roots_, [this] {
      beast::error_code ec;
      ssl_->set_default_verify_paths(ec);
    });
    return *ssl_;
  }
  const HttpClientOptions& options() const { return options_; }

 private:
  struct Origin {
    std::deque<Pending> waiting;
    std::size_t active = 0;
    std::vector<std::unique_ptr<Conn>> idle;  // most recently used last
  };

  Status MakeSsl() {
    ssl_.emplace(ssl::context::tls_client);
    ssl_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    if (!options_.ca_file.empty()) {
      beast::error_code ec;
      ssl_->load_verify_file(options_.ca_file, ec);
      if (ec) {
        return Status(ErrorCode::kInvalidParameterValue,
                      "cannot load the CA file " + options_.ca_file + ": " + ec.message());
      }
    }
    ssl_->set_verify_mode(options_.verify_tls ? ssl::verify_peer : ssl::verify_none);
    return Status::Ok();
  }

  // Starts as many waiting requests of `o` as the limits allow (the starts run after unlock).
  void PumpLocked(const std::string& origin, Origin& o, std::vector<std::function<void()>>& out) {
    while (!o.waiting.empty() && o.active < options_.max_connections_per_host &&
           active_ < options_.max_connections) {
      std::unique_ptr<Conn> idle;
      while (!o.idle.empty() && !idle) {
        std::unique_ptr<Conn> c = std::move(o.idle.back());
        o.idle.pop_back();
        if (Clock::now() - c->idle_since < options_.idle_timeout) {
          idle = std::move(c);
        } else {
          c->Close();
        }
      }
      ++o.active;
      ++active_;
      auto ex =
          std::make_shared<Exchange>(this, origin, std::move(o.waiting.front()), std::move(idle));
      o.waiting.pop_front();
      out.push_back([ex] { ex->Start(); });
    }
  }

  const HttpClientOptions options_;
  asio::io_context ioc_;
  std::once_flag ssl_made_;
  std::optional<ssl::context> ssl_;  // made once, by ssl() or Init()
  Status ssl_status_ = Status::Ok();
  std::once_flag system_roots_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  bool stopped_ = false;
  std::size_t active_ = 0;
  std::map<std::string, Origin> origins_;
};

Exchange::Exchange(Client* client, std::string origin, Pending pending, std::unique_ptr<Conn> idle)
    : client_(client),
      origin_(std::move(origin)),
      p_(std::move(pending)),
      conn_(std::move(idle)),
      reused_(conn_ != nullptr),
      resolver_(client_->ioc()) {
  const auto timeout =
      p_.request.timeout.count() > 0 ? p_.request.timeout : client_->options().request_timeout;
  deadline_ = Clock::now() + timeout;
  req_.method_string(p_.request.method);
  req_.target(p_.url.target);
  req_.version(11);
  const bool default_port = p_.url.port == (p_.url.tls ? 443 : 80);
  const bool v6 = p_.url.host.find(':') != std::string::npos;
  std::string host = v6 ? "[" + p_.url.host + "]" : p_.url.host;
  if (!default_port) host += ":" + std::to_string(p_.url.port);
  req_.set(http::field::host, host);
  if (!client_->options().user_agent.empty()) {
    req_.set(http::field::user_agent, client_->options().user_agent);
  }
  for (const auto& [name, value] : p_.request.headers) {
    const std::string n = Lower(name);
    if (n == "host" || n == "content-length" || n == "connection" || n == "transfer-encoding") {
      continue;
    }
    req_.insert(name, value);
  }
  req_.keep_alive(true);
  req_.body() = std::move(p_.request.body);
  req_.prepare_payload();
}

void Exchange::Start() {
  if (conn_) {
    Write();
  } else {
    Resolve();
  }
}

void Exchange::Resolve() {
  conn_ = std::make_unique<Conn>();
  conn_->tls = p_.url.tls;
  if (conn_->tls) {
    conn_->secure =
        std::make_unique<beast::ssl_stream<beast::tcp_stream>>(client_->ioc(), client_->ssl());
  } else {
    conn_->plain = std::make_unique<beast::tcp_stream>(client_->ioc());
  }
  resolver_.async_resolve(
      p_.url.host, std::to_string(p_.url.port),
      [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type results) {
        if (ec) return self->Fail("resolve", ec);
        self->Connect(std::move(results));
      });
}

void Exchange::Connect(tcp::resolver::results_type endpoints) {
  const auto connect_deadline =
      std::min(deadline_, Clock::now() + client_->options().connect_timeout);
  conn_->lowest().expires_at(connect_deadline);
  conn_->lowest().async_connect(
      endpoints, [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
        if (ec) return self->Fail("connect", ec);
        if (self->conn_->tls) return self->Handshake();
        self->Write();
      });
}

void Exchange::Handshake() {
  SSL* ssl = conn_->secure->native_handle();
  SSL_set_tlsext_host_name(ssl, p_.url.host.c_str());
  if (client_->options().verify_tls) {
    conn_->secure->set_verify_callback(ssl::host_name_verification(p_.url.host));
  }
  conn_->secure->async_handshake(ssl::stream_base::client,
                                 [self = shared_from_this()](beast::error_code ec) {
                                   if (ec) return self->Fail("TLS handshake", ec);
                                   self->Write();
                                 });
}

void Exchange::Write() {
  conn_->lowest().expires_at(deadline_);
  auto handler = [self = shared_from_this()](beast::error_code ec, std::size_t) {
    if (ec) return self->Fail("write", ec);
    self->Read();
  };
  if (conn_->tls) {
    http::async_write(*conn_->secure, req_, std::move(handler));
  } else {
    http::async_write(*conn_->plain, req_, std::move(handler));
  }
}

void Exchange::Read() {
  parser_.emplace();
  parser_->body_limit(client_->options().max_response_bytes);
  conn_->lowest().expires_at(deadline_);
  auto handler = [self = shared_from_this()](beast::error_code ec, std::size_t) {
    if (ec) return self->Fail("read", ec);
    http::response<http::string_body> res = self->parser_->release();
    ClientResponse out;
    out.status = static_cast<int>(res.result_int());
    for (const auto& field : res) {
      out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    const bool keep = res.keep_alive() && !res.need_eof();
    out.body = std::move(res.body());
    self->Finish(std::move(out), keep);
  };
  if (conn_->tls) {
    http::async_read(*conn_->secure, conn_->buffer, *parser_, std::move(handler));
  } else {
    http::async_read(*conn_->plain, conn_->buffer, *parser_, std::move(handler));
  }
}

void Exchange::Fail(std::string_view stage, const beast::error_code& ec) {
  // A kept-alive connection the server closed meanwhile: once more on a fresh one.
  const bool nothing_read = !parser_ || !parser_->got_some();
  if (reused_ && !retried_ && nothing_read && Clock::now() < deadline_ &&
      (stage == "write" || stage == "read")) {
    retried_ = true;
    reused_ = false;
    conn_->Close();
    conn_.reset();
    parser_.reset();
    Resolve();
    return;
  }
  std::string reason = ec == beast::error::timeout ? "timed out" : ec.message();
  Finish(Unavailable(std::string(stage) + " " + origin_ + ": " + reason), false);
}

void Exchange::Finish(Result<ClientResponse> result, bool keep_connection) {
  if (!keep_connection && conn_) {
    conn_->Close();
    conn_.reset();
  }
  if (conn_) conn_->lowest().expires_never();
  ClientCallback done = std::move(p_.done);
  client_->Release(origin_, std::move(conn_));
  done(std::move(result));
}

}  // namespace

Result<std::unique_ptr<HttpClient>> NewHttpClient(const HttpClientOptions& options) {
  // Exchanges point to the client: it stops (joining its threads) before anything is destroyed,
  // and its io_context, destroyed last, drops the exchanges that never ran.
  auto client = std::make_unique<Client>(options);
  if (Status st = client->Init(); !st.ok()) return st;
  client->StartThreads();
  return std::unique_ptr<HttpClient>(std::move(client));
}

Result<ParsedUrl> ParseHttpUrl(std::string_view url) {
  auto bad = [&] {
    return Result<ParsedUrl>(ErrorCode::kInvalidParameterValue,
                             "not an http:// or https:// URL: " + std::string(url));
  };
  ParsedUrl out;
  const std::string lower = Lower(url.substr(0, 8));
  if (lower.rfind("https://", 0) == 0) {
    out.tls = true;
    out.port = 443;
    url.remove_prefix(8);
  } else if (lower.rfind("http://", 0) == 0) {
    url.remove_prefix(7);
  } else {
    return bad();
  }
  const std::size_t slash = url.find_first_of("/?#");
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view rest = url.substr(slash);
    rest = rest.substr(0, rest.find('#'));
    out.target = rest.empty() || rest[0] != '/' ? "/" + std::string(rest) : std::string(rest);
  }
  if (authority.empty() || authority.find('@') != std::string_view::npos) return bad();
  std::string_view port;
  if (authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad();
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad();
      port = after.substr(1);
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      authority = authority.substr(0, colon);
    }
    out.host = std::string(authority);
  }
  if (out.host.empty()) return bad();
  for (char c : out.host) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '/' || c == '\\') return bad();
  }
  if (!port.empty()) {
    unsigned value = 0;
    const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || ptr != port.data() + port.size() || value == 0 || value > 65535) {
      return bad();
    }
    out.port = static_cast<std::uint16_t>(value);
  }
  return out;
}

}  // namespace sluice::net
