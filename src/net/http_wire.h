// Private helpers of the HTTP server: response-head serialization, reason phrases, the Date
// header value, and the request parser's configuration and error mapping. This header needs no
// Boost; only ParseHttpRequest/ParseErrorStatus (bottom of http_wire.cc) use Beast. Kept apart
// from the session code so they compile fast and can be unit-tested and fuzzed directly.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

#include "net/http.h"

namespace boost::system {
class error_code;
}  // namespace boost::system

namespace sluice::net::detail {

// Reason phrase for a status code ("OK", "Not Found", ...); "Unknown" for codes without one.
std::string_view ReasonPhrase(int status);

// True when the status forbids a message body (1xx, 204, 304).
bool StatusHasNoBody(int status);

// IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
std::string FormatHttpDate(std::time_t t);

// The checks AppendResponseHead makes of each handler header: a name is a non-empty run of
// bytes 33..126 except ':'; a value has no CR, LF or NUL.
bool IsHeaderToken(std::string_view name);
bool IsHeaderValueSafe(std::string_view value);

struct ResponseHeadParams {
  int status = 200;
  std::size_t content_length = 0;
  bool keep_alive = true;
  std::string_view server;  // empty: no Server header
  std::string_view date;    // empty: no Date header
};

// Appends the status line and header block (ending in an empty line) to `out`. Handler headers
// named Content-Length, Connection, Transfer-Encoding, Server or Date are replaced by the server's
// own; headers whose name or value contain CR, LF or NUL (response splitting) are dropped.
void AppendResponseHead(const ResponseHeadParams& params, const Headers& headers, std::string& out);

// A complete small response (used for 4xx/5xx produced by the server itself), always with
// "Connection: close" and a text/plain body.
std::string MakeErrorResponse(int status, std::string_view server, std::string_view date);

// ---- Request parsing (the server's configuration, shared with ParseHttpRequest) ----

// Configures a fresh request parser (RequestParser, request_parser.h: Beast's tokenizer) the way
// the server parses every request: header block and body limits, eager body parsing.
template <class Parser>
void ConfigureRequestParser(Parser& parser, std::size_t max_header_bytes,
                            std::size_t max_body_bytes) {
  parser.header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(max_header_bytes, std::uint32_t{0xFFFFFFFF})));
  parser.body_limit(static_cast<std::uint64_t>(max_body_bytes));
  parser.eager(true);
}

// The status the server answers a parse error with: 431 (header block over the limit), 413 (body
// over the limit), else 400.
int ParseErrorStatus(const boost::system::error_code& ec);

enum class ParseState { kComplete, kNeedMore, kError };

struct ParsedRequest {
  ParseState state = ParseState::kNeedMore;
  int error_status = 0;      // kError: 400, 413 or 431, as the server answers
  std::size_t consumed = 0;  // kComplete: bytes of the input this request used (pipelining)
  bool keep_alive = false;   // kComplete
  HttpRequest request;       // kComplete: method, target, headers, body
};

// Parses the first request in `bytes` exactly as a server session does (same parser
// configuration, same put() loop over an accumulating buffer). feed_size > 0 makes the bytes
// arrive in pieces of that size, as from a socket; 0 hands them over at once. kNeedMore when the
// bytes end before the request does. For tests and fuzzing (fuzz/fuzz_http_request.cc).
ParsedRequest ParseHttpRequest(std::string_view bytes, std::size_t max_header_bytes,
                               std::size_t max_body_bytes, std::size_t feed_size = 0);

}  // namespace sluice::net::detail
