// Plain HTTP request/response values exchanged between the server and the layers above it.
// Nothing here knows of AWS; header names compare case-insensitively.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::net {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive lookup; nullptr when absent.
const std::string* FindHeader(const Headers& headers, std::string_view name);

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // request-target as received: path plus optional "?query"
  Headers headers;
  std::string body;
  std::string remote_address;  // peer IP, textual
  bool secure = false;         // arrived over TLS
  // The connection exceeded its request rate (HttpServerOptions::max_requests_per_second). The
  // handler must answer without doing the work (the service's throttling error, or 429).
  bool rate_limited = false;

  std::string_view Path() const;   // target up to '?'
  std::string_view Query() const;  // after '?', or empty
  const std::string* Header(std::string_view name) const { return FindHeader(headers, name); }
};

struct HttpResponse {
  int status = 200;
  Headers headers;  // Content-Length and Connection are set by the server
  std::string body;
};

// Response bodies recycled per thread. The server gives each written body back
// (RecycleBodyBuffer) and encoders start from TakeBodyBuffer() (empty, with the capacity of a
// recently written body), so answers are written into memory that is warm for both the process
// and the kernel's copy into the socket. A freshly allocated body can land in a block the
// allocator just got back from long-lived data (a deleted message's payload of the same size
// class): the encoder and sendmsg then touch a cold page for each answer, which made the
// DeleteMessageBatch answer's sendmsg twice as slow (issue 16). At most a few buffers of at most
// 64 KiB are kept per thread; both functions are cheap and may be called from any thread.
std::string TakeBodyBuffer();
void RecycleBodyBuffer(std::string&& body);

// Completes a request. May be called from any thread, exactly once; the server moves the response
// onto the connection's own executor. Calling it after the connection closed is harmless; a second
// call is ignored. Destroying every copy without calling it closes the connection.
using Responder = std::function<void(HttpResponse&&)>;

// The application's entry point for each request. Must not block: long-running work (long polls)
// keeps the Responder and calls it later.
using HttpHandler = std::function<void(HttpRequest&&, Responder)>;

}  // namespace sluice::net
