#include "net/http_wire.h"

#include <strings.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <charconv>
#include <cstring>

#include "net/request_parser.h"

namespace sluice::net::detail {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool IsReserved(std::string_view name) {
  return EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Connection") ||
         EqualsIgnoreCase(name, "Transfer-Encoding") || EqualsIgnoreCase(name, "Server") ||
         EqualsIgnoreCase(name, "Date") || EqualsIgnoreCase(name, "Keep-Alive");
}

// Word-at-a-time tests (8 bytes per step; the byte loops cost about 6 instructions a byte, a
// third of the response head). Each is nonzero exactly when some byte of the word matches: a
// borrow or carry can only mark a byte wrongly after a byte that does match.
constexpr std::uint64_t kOnes = 0x0101010101010101u;
constexpr std::uint64_t kHighs = 0x8080808080808080u;
// A byte equal to 0.
constexpr std::uint64_t ZeroByte(std::uint64_t w) { return (w - kOnes) & ~w & kHighs; }
// A byte below n (n <= 128).
constexpr std::uint64_t ByteBelow(std::uint64_t w, unsigned n) {
  return (w - kOnes * n) & ~w & kHighs;
}
// A byte above 126.
constexpr std::uint64_t ByteAbove126(std::uint64_t w) { return ((w + kOnes) | w) & kHighs; }

bool UnsafeWord(std::uint64_t w) {
  return (ZeroByte(w) | ZeroByte(w ^ (kOnes * '\r')) | ZeroByte(w ^ (kOnes * '\n'))) != 0;
}
bool NonTokenWord(std::uint64_t w) {
  return (ByteBelow(w, 33) | ByteAbove126(w) | ZeroByte(w ^ (kOnes * ':'))) != 0;
}

// True when no 8-byte word of s is bad. The last word overlaps the one before (its bytes were
// good, so a bad word there is a bad byte of the tail); shorter strings are padded with 'a',
// which no test matches.
template <bool (*Bad)(std::uint64_t)>
bool NoBadWord(std::string_view s) {
  const char* p = s.data();
  const std::size_t n = s.size();
  std::uint64_t w;
  if (n < 8) {
    w = kOnes * 'a';
    std::memcpy(&w, p, n);
    return !Bad(w);
  }
  const char* const last = p + n - 8;
  for (; p < last; p += 8) {
    std::memcpy(&w, p, 8);
    if (Bad(w)) return false;
  }
  std::memcpy(&w, last, 8);
  return !Bad(w);
}

bool IsSafe(std::string_view s) { return IsHeaderValueSafe(s); }
bool IsToken(std::string_view s) { return IsHeaderToken(s); }

char* Put(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

// The head's size apart from the reason phrase, the Server and Date values and the handler's
// headers: "HTTP/1.1 200 \r\n", "Server: \r\n", "Date: \r\n", "Content-Length: " with 20
// digits (the most a size_t has) and "\r\n", "Connection: keep-alive\r\n\r\n".
constexpr std::size_t kHeadFixedBound = 15 + 10 + 8 + 38 + 26;

}  // namespace

bool IsHeaderValueSafe(std::string_view value) { return NoBadWord<UnsafeWord>(value); }

bool IsHeaderToken(std::string_view name) { return !name.empty() && NoBadWord<NonTokenWord>(name); }

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

bool StatusHasNoBody(int status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

std::string FormatHttpDate(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf, n);
}

void AppendResponseHead(const ResponseHeadParams& params, const Headers& headers,
                        std::string& out) {
  int status = params.status;
  if (status < 100 || status > 999) status = 500;
  const std::string_view reason = ReasonPhrase(status);
  // Written through a pointer into room made once (a dozen std::string appends, each with its
  // capacity check, cost about as much as the rest of the head). The room is an upper bound:
  // every handler header as if it were kept, the longest Connection line.
  std::size_t bound = kHeadFixedBound + reason.size() + params.server.size() + params.date.size();
  for (const auto& [name, value] : headers) bound += name.size() + value.size() + 4;
  const std::size_t start = out.size();
  out.resize(start + bound);
  char* p = out.data() + start;
  p = Put(p, "HTTP/1.1 ");
  *p++ = static_cast<char>('0' + status / 100);
  *p++ = static_cast<char>('0' + status / 10 % 10);
  *p++ = static_cast<char>('0' + status % 10);
  *p++ = ' ';
  p = Put(p, reason);
  p = Put(p, "\r\n");
  if (!params.server.empty()) {
    p = Put(p, "Server: ");
    p = Put(p, params.server);
    p = Put(p, "\r\n");
  }
  if (!params.date.empty()) {
    p = Put(p, "Date: ");
    p = Put(p, params.date);
    p = Put(p, "\r\n");
  }
  for (const auto& [name, value] : headers) {
    if (!IsToken(name) || !IsSafe(value) || IsReserved(name)) continue;
    p = Put(p, name);
    p = Put(p, ": ");
    p = Put(p, value);
    p = Put(p, "\r\n");
  }
  if (!StatusHasNoBody(status)) {
    p = Put(p, "Content-Length: ");
    p = std::to_chars(p, p + 20, params.content_length).ptr;
    p = Put(p, "\r\n");
  }
  p = Put(p, params.keep_alive ? std::string_view("Connection: keep-alive\r\n\r\n")
                               : std::string_view("Connection: close\r\n\r\n"));
  out.resize(static_cast<std::size_t>(p - out.data()));
}

std::string MakeErrorResponse(int status, std::string_view server, std::string_view date) {
  std::string body(ReasonPhrase(status));
  body.push_back('\n');
  std::string out;
  out.reserve(256);
  ResponseHeadParams p;
  p.status = status;
  p.content_length = body.size();
  p.keep_alive = false;
  p.server = server;
  p.date = date;
  AppendResponseHead(p, Headers{{"Content-Type", "text/plain; charset=utf-8"}}, out);
  out.append(body);
  return out;
}

int ParseErrorStatus(const boost::system::error_code& ec) {
  namespace http = boost::beast::http;
  if (ec == http::error::header_limit) return 431;
  if (ec == http::error::body_limit) return 413;
  return 400;
}

ParsedRequest ParseHttpRequest(std::string_view bytes, std::size_t max_header_bytes,
                               std::size_t max_body_bytes, std::size_t feed_size) {
  namespace http = boost::beast::http;
  RequestParser parser;
  ConfigureRequestParser(parser, max_header_bytes, max_body_bytes);
  ParsedRequest out;
  // The session's loop (http_session.h, Parse): unconsumed bytes stay buffered and are offered
  // again, with the next piece appended, until the parser is done or fails.
  std::string buffer;
  std::size_t fed = 0;
  boost::system::error_code ec;
  while (!parser.is_done()) {
    if (buffer.empty() || ec == http::error::need_more) {
      if (fed == bytes.size()) return out;  // kNeedMore
      const std::size_t n =
          feed_size == 0 ? bytes.size() - fed : std::min(feed_size, bytes.size() - fed);
      buffer.append(bytes.substr(fed, n));
      fed += n;
      ec = {};
    }
    const std::size_t used = parser.put(boost::asio::buffer(buffer.data(), buffer.size()), ec);
    buffer.erase(0, used);
    if (ec == http::error::need_more) continue;
    if (ec) {
      out.state = ParseState::kError;
      out.error_status = ParseErrorStatus(ec);
      return out;
    }
    if (used == 0) ec = http::error::need_more;
  }
  out.state = ParseState::kComplete;
  out.consumed = fed - buffer.size();
  out.keep_alive = parser.keep_alive();
  out.request = std::move(parser.request());
  return out;
}

}  // namespace sluice::net::detail
