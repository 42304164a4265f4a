// HttpServer: an HTTP/1.1 server (plain and/or TLS) on Boost.Asio + Beast. Keep-alive,
// pipelining-safe (one request at a time per connection, in order), limits on header and body size,
// idle and read timeouts, and a graceful stop that finishes in-flight requests.
//
// Thread-safety: Start/Stop from one controlling thread; the handler runs on io threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "net/http.h"

namespace sluice::net {

// HTTPS listener. TLS 1.2 (ECDHE key exchange with AEAD ciphers only) and 1.3; no compression,
// no renegotiation; stateless session tickets.
struct TlsOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 9443;        // 0 picks a free port; see HttpServer::tls_port()
  std::string cert_chain_file;      // PEM: the server certificate, then any intermediates
  std::string key_file;             // PEM private key, unencrypted
  std::string min_version = "1.2";  // "1.2" or "1.3"
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 9324;      // 0 picks a free port; see HttpServer::port()
  bool plain_http = true;         // false: no plain-HTTP listener (host/port unused); needs `tls`
  std::optional<TlsOptions> tls;  // set: also (or only) serve HTTPS
  int threads = 2;                // io threads
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 2 * 1024 * 1024 + 64 * 1024;  // > 1 MiB batches with overhead
  std::size_t max_connections = 100000;                      // plain and TLS together
  std::chrono::seconds idle_timeout{75};  // between requests on a keep-alive connection
  // To receive one complete request from its first byte, and for the TLS handshake from the
  // connection's start (slowloris).
  std::chrono::seconds request_read_timeout{30};
  // (A timeout of 0 means no limit. A request waiting for its Responder has no timeout.)
  // Per-connection token bucket: a request over the rate reaches the handler with
  // HttpRequest::rate_limited set. Throttled requests also fill an "abuse" count that drains at
  // the same rate; when it reaches kAbuseFactor x burst (a client far over the rate, not one
  // slightly over it) the response carries `Connection: close` and the connection is closed.
  double max_requests_per_second = 0;  // 0 = unlimited
  std::uint32_t request_burst = 0;     // bucket size; 0 = max(1, ceil(rate))
  std::string server_header = "Sluice";

  static constexpr std::uint32_t kAbuseFactor = 10;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds every listener, loads the TLS certificate and key, and starts the io threads. Returns
  // false (and logs why) when an address cannot be bound or the certificate or key is unusable.
  bool Start();
  // The bound ports (useful with port 0); 0 when that listener is off.
  std::uint16_t port() const;
  std::uint16_t tls_port() const;
  // Loads the TLS certificate chain and key again from their files (after a renewal): new
  // connections use them, open ones keep theirs. On failure the old ones stay and it returns
  // false after logging why. Thread-safe; false too without TLS.
  bool ReloadTls();
  // Stops accepting, lets in-flight requests finish (up to `grace`), closes idle connections,
  // joins the io threads.
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::net
