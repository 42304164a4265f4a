// HttpServer: an HTTP/1.1 server on Boost.Asio + Beast. Keep-alive, pipelining-safe (one request
// at a time per connection, in order), limits on header and body size, idle and read timeouts,
// and a graceful stop that finishes in-flight requests.
//
// Thread-safety: Start/Stop from one controlling thread; the handler runs on io threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "net/http.h"

namespace sluice::net {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 9324;  // 0 picks a free port; see HttpServer::port()
  int threads = 2;            // io threads
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 2 * 1024 * 1024 + 64 * 1024;  // > 1 MiB batches with overhead
  std::size_t max_connections = 100000;
  std::chrono::seconds idle_timeout{75};          // between requests on a keep-alive connection
  std::chrono::seconds request_read_timeout{30};  // to receive one complete request (slowloris)
  // (A timeout of 0 means no limit. A request waiting for its Responder has no timeout.)
  std::string server_header = "Sluice";
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts the io threads. Returns false (and logs) when the address cannot be bound.
  bool Start();
  // The bound port (useful with port 0).
  std::uint16_t port() const;
  // Stops accepting, lets in-flight requests finish (up to `grace`), closes idle connections,
  // joins the io threads.
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::net
