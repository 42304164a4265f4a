#include "net/http_wire.h"

#include <strings.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <charconv>

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

bool IsSafe(std::string_view s) {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c <= 32 || c >= 127 || c == ':') return false;
  }
  return true;
}

void AppendNumber(std::size_t n, std::string& out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), n);
  (void)ec;
  out.append(buf, end);
}

}  // namespace

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
  out.append("HTTP/1.1 ");
  AppendNumber(static_cast<std::size_t>(status), out);
  out.push_back(' ');
  out.append(ReasonPhrase(status));
  out.append("\r\n");
  if (!params.server.empty()) {
    out.append("Server: ");
    out.append(params.server);
    out.append("\r\n");
  }
  if (!params.date.empty()) {
    out.append("Date: ");
    out.append(params.date);
    out.append("\r\n");
  }
  for (const auto& [name, value] : headers) {
    if (!IsToken(name) || !IsSafe(value) || IsReserved(name)) continue;
    out.append(name);
    out.append(": ");
    out.append(value);
    out.append("\r\n");
  }
  if (!StatusHasNoBody(status)) {
    out.append("Content-Length: ");
    AppendNumber(params.content_length, out);
    out.append("\r\n");
  }
  out.append(params.keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
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
