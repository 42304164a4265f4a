// Private helpers of the HTTP server that need no Boost: response-head serialization, reason
// phrases, the Date header value. Kept apart from the Beast code so they compile fast and can be
// unit-tested directly.
#pragma once

#include <cstddef>
#include <ctime>
#include <string>
#include <string_view>

#include "net/http.h"

namespace sluice::net::detail {

// Reason phrase for a status code ("OK", "Not Found", ...); "Unknown" for codes without one.
std::string_view ReasonPhrase(int status);

// True when the status forbids a message body (1xx, 204, 304).
bool StatusHasNoBody(int status);

// IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
std::string FormatHttpDate(std::time_t t);

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

}  // namespace sluice::net::detail
