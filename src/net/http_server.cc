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
  Impl(HttpServerOptions options, HttpHandler handler)
      : shared(std::make_shared<ServerShared>(std::move(options), std::move(handler))) {}

  bool Start();
  void Stop(std::chrono::milliseconds grace);
  void DoAccept();
  void OnAccept(const std::shared_ptr<Worker>& worker, error_code ec, tcp::socket socket);
  // Runs fn on the worker's thread and waits for it.
  static void RunOn(Worker& worker, std::function<void()> fn);

  std::shared_ptr<ServerShared> shared;
  // Declared before the acceptor: the acceptor lives on workers[0]'s io_context.
  std::vector<std::shared_ptr<Worker>> workers;
  std::vector<std::thread> threads;
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::steady_timer> accept_retry;
  std::size_t next_worker = 0;
  std::uint16_t bound_port = 0;
  bool started = false;
  bool stopped = false;
};

bool HttpServer::Impl::Start() {
  if (started) return false;
  const auto& opts = shared->options;
  const int n = std::max(1, opts.threads);
  for (int i = 0; i < n; ++i) workers.push_back(std::make_shared<Worker>(shared));
  auto& ioc0 = workers[0]->ioc();

  error_code ec;
  tcp::endpoint endpoint;
  const auto address = asio::ip::make_address(opts.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, opts.port);
  } else {
    tcp::resolver resolver(ioc0);
    auto results = resolver.resolve(opts.host, std::to_string(opts.port),
                                    tcp::resolver::passive | tcp::resolver::address_configured, ec);
    if (ec || results.empty()) {
      spdlog::error("net: cannot resolve listen host '{}': {}", opts.host, ec.message());
      workers.clear();
      return false;
    }
    endpoint = results.begin()->endpoint();
  }

  acceptor.emplace(ioc0);
  accept_retry.emplace(ioc0);
  auto fail = [&](const char* what) {
    spdlog::error("net: cannot {} {}:{}: {}", what, opts.host, opts.port, ec.message());
    acceptor.reset();
    accept_retry.reset();
    workers.clear();
    return false;
  };
  acceptor->open(endpoint.protocol(), ec);
  if (ec) return fail("open socket for");
  acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("configure");
  acceptor->bind(endpoint, ec);
  if (ec) return fail("bind");
  acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen on");
  bound_port = acceptor->local_endpoint(ec).port();
  if (ec) return fail("query");

  started = true;
  asio::post(ioc0, [this] { DoAccept(); });
  for (auto& w : workers) {
    asio::post(w->ioc(), [w = w.get()] { w->StartSweep(); });
    threads.emplace_back([w] { w->Run(); });
  }
  spdlog::debug("net: listening on {}:{} with {} io threads", endpoint.address().to_string(),
                bound_port, n);
  return true;
}

void HttpServer::Impl::DoAccept() {
  if (!acceptor || !acceptor->is_open()) return;
  std::shared_ptr<Worker> worker = workers[next_worker++ % workers.size()];
  acceptor->async_accept(worker->ioc(), [this, worker](error_code ec, tcp::socket socket) {
    OnAccept(worker, ec, std::move(socket));
  });
}

void HttpServer::Impl::OnAccept(const std::shared_ptr<Worker>& worker, error_code ec,
                                tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
  if (ec) {
    // Out of descriptors or memory: back off instead of spinning on the listening socket.
    spdlog::debug("net: accept failed: {}", ec.message());
    accept_retry->expires_after(std::chrono::milliseconds(50));
    accept_retry->async_wait([this](error_code wec) {
      if (!wec) DoAccept();
    });
    return;
  }
  if (shared->stopping.load() ||
      shared->connections.load(std::memory_order_relaxed) >= shared->options.max_connections) {
    spdlog::debug("net: connection refused (limit or stopping)");
    error_code ignored;
    socket.close(ignored);
    DoAccept();
    return;
  }
  error_code opt_ec;
  socket.set_option(tcp::no_delay(true), opt_ec);
  std::string remote;
  const auto peer = socket.remote_endpoint(opt_ec);
  if (!opt_ec) remote = peer.address().to_string();
  try {
    auto session =
        std::make_shared<Session<tcp::socket>>(worker, std::move(socket), std::move(remote));
    asio::post(worker->ioc(), [session] { session->Run(); });
  } catch (const std::exception& e) {
    spdlog::error("net: cannot start a session: {}", e.what());
  }
  DoAccept();
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
    error_code ec;
    acceptor->close(ec);
    accept_retry->cancel();
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
  acceptor.reset();
  accept_retry.reset();
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

void HttpServer::Stop(std::chrono::milliseconds grace) { impl_->Stop(grace); }

}  // namespace sluice::net
