#include "app/bench/http_client.h"

#include "auth/sigv4.h"
#include "common/encoding.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace sluice::bench {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

bool IContains(std::string_view hay, std::string_view needle) {
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    if (IEquals(hay.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

constexpr std::size_t kMaxHeaderBytes = 64 * 1024;

const std::string& AmzDate() {
  static const std::string date = [] {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    return std::string(buf);
  }();
  return date;
}

struct Signing {
  std::string access_key_id;
  std::string secret;
  std::string region;
};
Signing* g_signing = nullptr;

// The Authorization header value for one JSON request signed with g_signing.
std::string SignJson(std::string_view host_header, std::string_view op, std::string_view body,
                     const std::string& date) {
  thread_local std::string key_date;
  thread_local auth::Digest key{};
  if (key_date != date.substr(0, 8)) {
    key_date = date.substr(0, 8);
    key = auth::DeriveSigningKey(g_signing->secret, key_date, g_signing->region, "sqs");
  }
  std::string canon = "content-type:application/x-amz-json-1.0\nhost:";
  canon.append(host_header).append("\nx-amz-date:").append(date);
  canon.append("\nx-amz-target:AmazonSQS.").append(op).append("\n");
  constexpr std::string_view kSigned = "content-type;host;x-amz-date;x-amz-target";
  const std::string scope = key_date + "/" + g_signing->region + "/sqs/aws4_request";
  const std::string creq = auth::CanonicalRequest("POST", "/", "", canon, kSigned, Sha256Hex(body));
  return "AWS4-HMAC-SHA256 Credential=" + g_signing->access_key_id + "/" + scope +
         ", SignedHeaders=" + std::string(kSigned) +
         ", Signature=" + auth::SignatureHex(key, auth::StringToSign(date, scope, creq));
}

}  // namespace

void SetSigningCredentials(std::string access_key_id, std::string secret, std::string region) {
  static Signing signing;
  signing = Signing{std::move(access_key_id), std::move(secret), std::move(region)};
  g_signing = &signing;
}

bool ParseEndpoint(std::string_view url, Endpoint* out, std::string* error) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    *error = "endpoint must start with http:// (https is not supported)";
    return false;
  }
  url.remove_prefix(kScheme.size());
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  if (url.find('/') != std::string_view::npos || url.empty()) {
    *error = "endpoint must be http://host[:port] without a path";
    return false;
  }
  std::string_view host = url;
  std::uint16_t port = 80;
  const auto colon = url.rfind(':');
  if (colon != std::string_view::npos && url.find(']', colon) == std::string_view::npos) {
    host = url.substr(0, colon);
    const auto p = url.substr(colon + 1);
    unsigned v = 0;
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (ec != std::errc() || ptr != p.data() + p.size() || v == 0 || v > 65535) {
      *error = "bad port in endpoint";
      return false;
    }
    port = static_cast<std::uint16_t>(v);
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) {
    *error = "endpoint has no host";
    return false;
  }
  out->host = std::string(host);
  out->port = port;
  out->host_header = std::string(url);
  return true;
}

void AppendSqsRequest(std::string* out, std::string_view host_header, std::string_view op,
                      std::string_view json_body) {
  const std::string& date = AmzDate();
  char len[24];
  auto [end, ec] = std::to_chars(len, len + sizeof len, json_body.size());
  (void)ec;
  out->append("POST / HTTP/1.1\r\nHost: ");
  out->append(host_header);
  out->append("\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: AmazonSQS.");
  out->append(op);
  out->append("\r\nX-Amz-Date: ");
  out->append(date);
  if (g_signing != nullptr) {
    out->append("\r\nAuthorization: ");
    out->append(SignJson(host_header, op, json_body, date));
    out->append("\r\nContent-Length: ");
  } else {
    out->append("\r\nAuthorization: AWS4-HMAC-SHA256 Credential=test/");
    out->append(date, 0, 8);
    out->append(
        "/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=0\r\n"
        "Content-Length: ");
  }
  out->append(len, end);
  out->append("\r\n\r\n");
  out->append(json_body);
}

ParseState ParseResponse(std::string_view data, ParsedResponse* out, std::string* scratch,
                         std::string* error) {
  std::size_t base = 0;
  for (;;) {  // loops only over interim 1xx responses
    const std::string_view rest = data.substr(base);
    const std::size_t hdr_end = rest.find("\r\n\r\n");
    if (hdr_end == std::string_view::npos) {
      if (rest.size() > kMaxHeaderBytes) {
        *error = "response headers too large";
        return ParseState::kError;
      }
      return ParseState::kIncomplete;
    }
    const std::string_view head = rest.substr(0, hdr_end);
    std::size_t eol = head.find("\r\n");
    const std::string_view line = head.substr(0, eol);
    if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[8] != ' ') {
      *error = "malformed status line: " + std::string(line.substr(0, 80));
      return ParseState::kError;
    }
    const bool http10 = line[7] == '0';
    int status = 0;
    for (int i = 9; i < 12; ++i) {
      if (line[i] < '0' || line[i] > '9') {
        *error = "malformed status code: " + std::string(line.substr(0, 80));
        return ParseState::kError;
      }
      status = status * 10 + (line[i] - '0');
    }
    bool chunked = false, has_length = false, conn_close = false, conn_keep = false;
    std::size_t length = 0;
    std::size_t pos = eol == std::string_view::npos ? head.size() : eol + 2;
    while (pos < head.size()) {
      std::size_t next = head.find("\r\n", pos);
      if (next == std::string_view::npos) next = head.size();
      const std::string_view h = head.substr(pos, next - pos);
      pos = next + 2;
      const std::size_t colon = h.find(':');
      if (colon == std::string_view::npos) continue;
      const std::string_view name = h.substr(0, colon);
      const std::string_view value = Trim(h.substr(colon + 1));
      if (IEquals(name, "content-length")) {
        auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
        if (ec != std::errc() || p != value.data() + value.size()) {
          *error = "bad Content-Length";
          return ParseState::kError;
        }
        has_length = true;
      } else if (IEquals(name, "transfer-encoding")) {
        chunked = IContains(value, "chunked");
      } else if (IEquals(name, "connection")) {
        conn_close = IContains(value, "close");
        conn_keep = IContains(value, "keep-alive");
      }
    }
    const std::size_t body_start = base + hdr_end + 4;
    if (status >= 100 && status < 200) {
      base = body_start;
      continue;
    }
    out->status = status;
    out->keep_alive = http10 ? conn_keep : !conn_close;
    if (chunked) {
      scratch->clear();
      std::size_t p = body_start;
      for (;;) {
        const std::size_t le = data.find("\r\n", p);
        if (le == std::string_view::npos) return ParseState::kIncomplete;
        std::string_view size_line = data.substr(p, le - p);
        if (auto semi = size_line.find(';'); semi != std::string_view::npos) {
          size_line = size_line.substr(0, semi);
        }
        size_line = Trim(size_line);
        std::size_t n = 0;
        auto [q, ec] =
            std::from_chars(size_line.data(), size_line.data() + size_line.size(), n, 16);
        if (ec != std::errc() || q != size_line.data() + size_line.size()) {
          *error = "bad chunk size";
          return ParseState::kError;
        }
        p = le + 2;
        if (n == 0) {
          // Trailers (usually none), then an empty line.
          for (;;) {
            const std::size_t te = data.find("\r\n", p);
            if (te == std::string_view::npos) return ParseState::kIncomplete;
            const bool empty = te == p;
            p = te + 2;
            if (empty) break;
          }
          out->body = *scratch;
          out->consumed = p;
          return ParseState::kComplete;
        }
        if (data.size() < p + n + 2) return ParseState::kIncomplete;
        scratch->append(data.data() + p, n);
        if (data.substr(p + n, 2) != "\r\n") {
          *error = "bad chunk terminator";
          return ParseState::kError;
        }
        p += n + 2;
      }
    }
    if (!has_length) {
      if (status == 204 || status == 304) {
        length = 0;
      } else {
        *error = "response without Content-Length (close-delimited bodies are not supported)";
        return ParseState::kError;
      }
    }
    if (data.size() < body_start + length) return ParseState::kIncomplete;
    out->body = data.substr(body_start, length);
    out->consumed = body_start + length;
    return ParseState::kComplete;
  }
}

HttpConn::HttpConn(asio::any_io_executor ex, tcp::endpoint ep) : ep_(ep), sock_(std::move(ex)) {}

void HttpConn::Close() {
  boost::system::error_code ec;
  sock_.close(ec);
  connected_ = false;
  used_ = consumed_ = 0;
}

asio::awaitable<void> HttpConn::Connect() {
  co_await sock_.async_connect(ep_, asio::use_awaitable);
  sock_.set_option(tcp::no_delay(true));
  connected_ = true;
}

asio::awaitable<void> HttpConn::Write(std::string_view request) {
  if (connected_ && !resp_.keep_alive) Close();
  if (!connected_) co_await Connect();
  resp_.keep_alive = true;
  co_await asio::async_write(sock_, asio::buffer(request.data(), request.size()),
                             asio::use_awaitable);
}

asio::awaitable<void> HttpConn::Read() {
  if (consumed_) {
    std::memmove(buf_.data(), buf_.data() + consumed_, used_ - consumed_);
    used_ -= consumed_;
    consumed_ = 0;
  }
  std::string error;
  for (;;) {
    if (used_ > 0) {
      const ParseState st =
          ParseResponse(std::string_view(buf_.data(), used_), &resp_, &scratch_, &error);
      if (st == ParseState::kComplete) {
        consumed_ = resp_.consumed;
        co_return;
      }
      if (st == ParseState::kError) {
        Close();
        throw std::runtime_error("bad HTTP response: " + error);
      }
    }
    if (buf_.size() - used_ < 4096) buf_.resize(std::max<std::size_t>(buf_.size() * 2, 16384));
    used_ += co_await sock_.async_read_some(asio::buffer(buf_.data() + used_, buf_.size() - used_),
                                            asio::use_awaitable);
  }
}

asio::awaitable<void> HttpConn::RoundTrip(std::string_view request) {
  co_await Write(request);
  co_await Read();
}

}  // namespace sluice::bench
