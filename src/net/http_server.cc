#include "net/http_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <future>
#include <thread>
#include <vector>

#include "net/http_session.h"

namespace sluice::net {

using detail::ServerShared;
using detail::Session;
using detail::Worker;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

struct HttpServer::Impl {
  // One listening socket: plain HTTP or HTTPS. Lives on workers[0]'s io_context.
  struct Listener {
    bool tls = false;
    std::string host;
    std::uint16_t port = 0;  // as configured
    std::uint16_t bound_port = 0;
    std::optional<tcp::acceptor> acceptor;
    std::optional<asio::steady_timer> retry;
  };

  Impl(HttpServerOptions options, HttpHandler handler)
      : shared(std::make_shared<ServerShared>(std::move(options), std::move(handler))) {}

  bool Start();
  bool Bind(Listener& l);
  void Stop(std::chrono::milliseconds grace);
  void DoAccept(Listener& l);
  void OnAccept(Listener& l, const std::shared_ptr<Worker>& worker, error_code ec,
                tcp::socket socket);
  void StartSession(const std::shared_ptr<Worker>& worker, bool tls, tcp::socket socket);
  // Runs fn on the worker's thread and waits for it.
  static void RunOn(Worker& worker, std::function<void()> fn);

  std::shared_ptr<ServerShared> shared;
  // Declared before the listeners: the acceptors live on workers[0]'s io_context.
  std::vector<std::shared_ptr<Worker>> workers;
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<Listener>> listeners;
  std::size_t next_worker = 0;  // workers[0]'s thread only
  std::uint16_t bound_port = 0;
  std::uint16_t bound_tls_port = 0;
  bool started = false;
  bool stopped = false;
};

bool HttpServer::Impl::Bind(Listener& l) {
  auto& ioc0 = workers[0]->ioc();
  const char* kind = l.tls ? "HTTPS" : "HTTP";
  error_code ec;
  tcp::endpoint endpoint;
  const auto address = asio::ip::make_address(l.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, l.port);
  } else {
    tcp::resolver resolver(ioc0);
    auto results = resolver.resolve(l.host, std::to_string(l.port),
                                    tcp::resolver::passive | tcp::resolver::address_configured, ec);
    if (ec || results.empty()) {
      spdlog::error("net: cannot resolve {} listen host '{}': {}", kind, l.host, ec.message());
      return false;
    }
    endpoint = results.begin()->endpoint();
  }
  l.acceptor.emplace(ioc0);
  l.retry.emplace(ioc0);
  auto fail = [&](const char* what) {
    spdlog::error("net: cannot {} {}:{} ({}): {}", what, l.host, l.port, kind, ec.message());
    return false;
  };
  l.acceptor->open(endpoint.protocol(), ec);
  if (ec) return fail("open socket for");
  l.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("configure");
  l.acceptor->bind(endpoint, ec);
  if (ec) return fail("bind");
  l.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen on");
  l.bound_port = l.acceptor->local_endpoint(ec).port();
  if (ec) return fail("query");
  spdlog::debug("net: {} listening on {}:{}", kind, endpoint.address().to_string(), l.bound_port);
  return true;
}

bool HttpServer::Impl::Start() {
  if (started) return false;
  const auto& opts = shared->options;
  if (!opts.plain_http && !opts.tls) {
    spdlog::error("net: neither plain HTTP nor HTTPS is configured");
    return false;
  }
  if (opts.tls) {
    std::string error;
    shared->tls_context = detail::MakeServerTlsContext(*opts.tls, &error);
    if (!shared->tls_context) {
      spdlog::error("net: {}", error);
      return false;
    }
  }
  const int n = std::max(1, opts.threads);
  for (int i = 0; i < n; ++i) workers.push_back(std::make_shared<Worker>(shared));
  if (opts.plain_http) {
    auto l = std::make_unique<Listener>();
    l->host = opts.host;
    l->port = opts.port;
    listeners.push_back(std::move(l));
  }
  if (opts.tls) {
    auto l = std::make_unique<Listener>();
    l->tls = true;
    l->host = opts.tls->host;
    l->port = opts.tls->port;
    listeners.push_back(std::move(l));
  }
  for (auto& l : listeners) {
    if (!Bind(*l)) {
      listeners.clear();
      workers.clear();
      shared->tls_context.reset();
      return false;
    }
    (l->tls ? bound_tls_port : bound_port) = l->bound_port;
  }

  started = true;
  for (auto& l : listeners) asio::post(workers[0]->ioc(), [this, l = l.get()] { DoAccept(*l); });
  for (auto& w : workers) {
    asio::post(w->ioc(), [w = w.get()] { w->StartSweep(); });
    threads.emplace_back([w] { w->Run(); });
  }
  spdlog::debug("net: {} io threads", n);
  return true;
}

void HttpServer::Impl::DoAccept(Listener& l) {
  if (!l.acceptor || !l.acceptor->is_open()) return;
  std::shared_ptr<Worker> worker = workers[next_worker++ % workers.size()];
  l.acceptor->async_accept(worker->ioc(), [this, &l, worker](error_code ec, tcp::socket socket) {
    OnAccept(l, worker, ec, std::move(socket));
  });
}

void HttpServer::Impl::OnAccept(Listener& l, const std::shared_ptr<Worker>& worker, error_code ec,
                                tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !l.acceptor->is_open()) return;
  if (ec) {
    // Out of descriptors or memory: back off instead of spinning on the listening socket.
    spdlog::debug("net: accept failed: {}", ec.message());
    l.retry->expires_after(std::chrono::milliseconds(50));
    l.retry->async_wait([this, &l](error_code wec) {
      if (!wec) DoAccept(l);
    });
    return;
  }
  if (shared->stopping.load() ||
      shared->connections.load(std::memory_order_relaxed) >= shared->options.max_connections) {
    spdlog::debug("net: connection refused (limit or stopping)");
    error_code ignored;
    socket.close(ignored);
    DoAccept(l);
    return;
  }
  StartSession(worker, l.tls, std::move(socket));
  DoAccept(l);
}

void HttpServer::Impl::StartSession(const std::shared_ptr<Worker>& worker, bool tls,
                                    tcp::socket socket) {
  error_code opt_ec;
  socket.set_option(tcp::no_delay(true), opt_ec);
  std::string remote;
  const auto peer = socket.remote_endpoint(opt_ec);
  if (!opt_ec) remote = peer.address().to_string();
  try {
    if (!tls) {
      auto session =
          std::make_shared<Session<tcp::socket>>(worker, std::move(socket), std::move(remote));
      asio::post(worker->ioc(), [session] { session->Run(); });
      return;
    }
    // OpenSSL reads and writes the descriptor itself: it must be non-blocking.
    error_code ec;
    socket.non_blocking(true, ec);
    detail::SslContextPtr context;
    {
      std::lock_guard lock(shared->tls_mu);
      context = shared->tls_context;
    }
    SSL* ssl = ec ? nullptr : SSL_new(context.get());
    if (ssl == nullptr || SSL_set_fd(ssl, socket.native_handle()) != 1) {
      spdlog::error("net: cannot start a TLS session: {}",
                    ec ? ec.message() : detail::TakeOpenSslErrors());
      if (ssl != nullptr) SSL_free(ssl);
      socket.close(ec);
      return;
    }
    SSL_set_accept_state(ssl);
    auto session = std::make_shared<Session<detail::TlsStream>>(
        worker, detail::TlsStream(std::move(socket), ssl), std::move(remote));
    asio::post(worker->ioc(), [session] { session->Run(); });
  } catch (const std::exception& e) {
    spdlog::error("net: cannot start a session: {}", e.what());
  }
}

void HttpServer::Impl::RunOn(Worker& worker, std::function<void()> fn) {
  std::promise<void> done;
  auto future = done.get_future();
  asio::post(worker.ioc(), [&fn, &done] {
    fn();
    done.set_value();
  });
  future.wait();
}

void HttpServer::Impl::Stop(std::chrono::milliseconds grace) {
  if (!started || stopped) return;
  stopped = true;
  shared->stopping.store(true);
  const auto deadline = std::chrono::steady_clock::now() + grace;

  RunOn(*workers[0], [this] {
    for (auto& l : listeners) {
      error_code ec;
      l->acceptor->close(ec);
      l->retry->cancel();
    }
  });
  for (auto& w : workers) {
    RunOn(*w,
          [w = w.get()] { w->ForEachSession([](detail::SessionBase* s) { s->OnStop(false); }); });
  }
  while (shared->connections.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (shared->connections.load() > 0) {
    spdlog::info("net: closing {} connections still open after the grace period",
                 shared->connections.load());
  }
  for (auto& w : workers) asio::post(w->ioc(), [w = w.get()] { w->Shutdown(); });
  for (auto& t : threads) t.join();
  threads.clear();
  listeners.clear();
}

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() { Stop(std::chrono::milliseconds(0)); }

bool HttpServer::Start() {
  try {
    return impl_->Start();
  } catch (const std::exception& e) {
    spdlog::error("net: cannot start the HTTP server: {}", e.what());
    return false;
  }
}

std::uint16_t HttpServer::port() const { return impl_->bound_port; }

std::uint16_t HttpServer::tls_port() const { return impl_->bound_tls_port; }

void HttpServer::Stop(std::chrono::milliseconds grace) { impl_->Stop(grace); }

bool HttpServer::ReloadTls() {
  ServerShared& shared = *impl_->shared;
  if (!shared.options.tls) return false;
  std::string error;
  detail::SslContextPtr fresh = detail::MakeServerTlsContext(*shared.options.tls, &error);
  if (!fresh) {
    spdlog::error("net: the TLS certificate was not reloaded, the old one stays: {}", error);
    return false;
  }
  std::lock_guard lock(shared.tls_mu);
  shared.tls_context = std::move(fresh);
  spdlog::info("net: TLS certificate reloaded from {}", shared.options.tls->cert_chain_file);
  return true;
}

}  // namespace sluice::net
