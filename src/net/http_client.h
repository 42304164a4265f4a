// HttpClient: outbound HTTP/1.1 requests (plain and TLS) for the deliveries of the services
// above (SNS to HTTP/S endpoints). Knows URLs, bytes and headers, nothing of AWS.
//
// Contract:
// - Send never blocks: the request waits for a free slot, runs on the client's own io thread(s),
//   and `done` is called exactly once, on a client thread, with the response (any status) or an
//   error (kServiceUnavailable with the reason: DNS, connect, TLS, timeout, closed, queue full;
//   kInvalidParameterValue for a URL the client cannot use). `done` must not block.
// - Bounded concurrency: at most `max_connections_per_host` exchanges with one origin
//   (scheme://host:port) at a time and `max_connections` in all; the rest wait in their
//   origin's queue (at most `max_queued_per_host`, beyond which Send fails at once), so a slow or
//   silent endpoint holds its own slots and nobody else's.
// - Timeouts: connecting (DNS, TCP and TLS handshake) within `connect_timeout`, the whole exchange
//   within the request's timeout (or `request_timeout`).
// - Connections are reused (keep-alive) per origin; a reused connection the server has closed in
//   the meantime is retried once on a fresh one.
// - TLS: the peer's certificate chain and host name are verified against the system's trust
//   store, plus `ca_file` when set (for self-signed endpoints); `verify_tls = false` turns
//   verification off (tests only). SNI is always sent.
// - Response bodies over `max_response_bytes` fail the exchange.
// - Stop() (or destruction) cancels everything; `done` of unfinished requests may then never be
//   called. Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "net/http.h"

namespace sluice::net {

struct ClientRequest {
  std::string method = "POST";
  std::string url;  // http://host[:port]/path?query or https://...
  Headers headers;  // Host, Content-Length and Connection are set by the client
  std::string body;
  std::chrono::milliseconds timeout{0};  // 0: the client's request_timeout
};

struct ClientResponse {
  int status = 0;
  Headers headers;
  std::string body;
};

using ClientCallback = std::function<void(Result<ClientResponse>)>;

struct HttpClientOptions {
  int threads = 1;
  std::size_t max_connections = 256;
  std::size_t max_connections_per_host = 16;
  std::size_t max_queued_per_host = 100000;
  std::size_t max_idle_per_host = 16;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{15000};
  std::chrono::milliseconds idle_timeout{30000};  // an idle connection older than this is closed
  std::size_t max_response_bytes = 1 << 20;
  bool verify_tls = true;
  std::string ca_file;  // PEM: extra trusted CA certificates
  std::string user_agent;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual void Send(ClientRequest request, ClientCallback done) = 0;
  virtual void Stop() = 0;
};

// Starts the client's io threads. Fails when `ca_file` cannot be loaded.
Result<std::unique_ptr<HttpClient>> NewHttpClient(const HttpClientOptions& options);

struct ParsedUrl {
  bool tls = false;
  std::string host;  // without brackets for IPv6 literals
  std::uint16_t port = 80;
  std::string target = "/";  // path and query
};
// Parses an absolute http:// or https:// URL (no user info). kInvalidParameterValue otherwise.
Result<ParsedUrl> ParseHttpUrl(std::string_view url);

}  // namespace sluice::net
