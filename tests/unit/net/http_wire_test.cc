#include "net/http_wire.h"

#include <gtest/gtest.h>

namespace sluice::net::detail {
namespace {

TEST(HttpWireTest, ResponseHead) {
  std::string out;
  ResponseHeadParams p;
  p.status = 404;
  p.content_length = 12;
  p.keep_alive = true;
  p.server = "Sluice";
  p.date = "Sun, 06 Nov 1994 08:49:37 GMT";
  AppendResponseHead(p, {{"Content-Type", "text/xml"}, {"content-length", "1"}}, out);
  EXPECT_EQ(out,
            "HTTP/1.1 404 Not Found\r\nServer: Sluice\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Content-Type: text/xml\r\nContent-Length: 12\r\nConnection: keep-alive\r\n\r\n");
}

TEST(HttpWireTest, DropsUnsafeHeadersAndFixesBadStatus) {
  std::string out;
  ResponseHeadParams p;
  p.status = 42;
  p.keep_alive = false;
  AppendResponseHead(p, {{"X-A", "1\r\nX-B: 2"}, {"Bad Name", "v"}, {"", "v"}, {"X-C", "ok"}}, out);
  EXPECT_EQ(out,
            "HTTP/1.1 500 Internal Server Error\r\nX-C: ok\r\nContent-Length: 0\r\n"
            "Connection: close\r\n\r\n");
}

// The plain byte loops the word-at-a-time checks replace.
bool PlainToken(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c <= 32 || c >= 127 || c == ':') return false;
  }
  return true;
}
bool PlainSafe(std::string_view s) {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

TEST(HttpWireTest, HeaderChecksMatchByteLoops) {
  // Every byte value at every position of strings of 1..20 bytes, over fillers that pass both
  // checks, fail one, or sit next to the bounds (a borrow or carry must not hide or fake a match).
  for (char filler : {'a', '!', '~', ' ', ':', '\x7f', '\xff', '\x80', '\t'}) {
    for (std::size_t len = 1; len <= 20; ++len) {
      for (std::size_t pos = 0; pos < len; ++pos) {
        for (int b = 0; b < 256; ++b) {
          std::string s(len, filler);
          s[pos] = static_cast<char>(b);
          ASSERT_EQ(IsHeaderToken(s), PlainToken(s))
              << "filler " << int(filler) << " len " << len << " pos " << pos << " byte " << b;
          ASSERT_EQ(IsHeaderValueSafe(s), PlainSafe(s))
              << "filler " << int(filler) << " len " << len << " pos " << pos << " byte " << b;
        }
      }
    }
  }
  EXPECT_FALSE(IsHeaderToken(""));
  EXPECT_TRUE(IsHeaderValueSafe(""));
}

TEST(HttpWireTest, ResponseHeadAppendsAndFitsTheLongestLength) {
  std::string out = "before";
  ResponseHeadParams p;
  p.content_length = static_cast<std::size_t>(-1);
  AppendResponseHead(p, {{"X-Long", std::string(300, 'v')}, {"Bad\r", "x"}}, out);
  EXPECT_EQ(out, "beforeHTTP/1.1 200 OK\r\nX-Long: " + std::string(300, 'v') +
                     "\r\nContent-Length: " + std::to_string(static_cast<std::size_t>(-1)) +
                     "\r\nConnection: keep-alive\r\n\r\n");
}

TEST(HttpWireTest, NoContentLengthWithoutBody) {
  std::string out;
  ResponseHeadParams p;
  p.status = 204;
  AppendResponseHead(p, {}, out);
  EXPECT_EQ(out, "HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n");
}

TEST(HttpWireTest, HttpDate) {
  EXPECT_EQ(FormatHttpDate(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST(HttpWireTest, ErrorResponse) {
  const std::string r = MakeErrorResponse(431, "S", "");
  EXPECT_EQ(r.rfind("HTTP/1.1 431 Request Header Fields Too Large\r\n", 0), 0u);
  EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(r.find("Content-Length: 32\r\n"), std::string::npos);
}

// ParseHttpRequest: the server's parser configuration and loop, used by fuzz/fuzz_http_request.
TEST(HttpWireTest, ParseHttpRequestPipelinedAndPiecewise) {
  const std::string two =
      "POST /a?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
      "GET /b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
  for (std::size_t piece : {0, 1, 7}) {
    ParsedRequest r = ParseHttpRequest(two, 16 * 1024, 1024, piece);
    ASSERT_EQ(r.state, ParseState::kComplete) << piece;
    EXPECT_EQ(r.request.method, "POST");
    EXPECT_EQ(r.request.target, "/a?x=1");
    EXPECT_EQ(r.request.body, "abc");
    EXPECT_TRUE(r.keep_alive);
    ASSERT_EQ(r.request.headers.size(), 2u);
    EXPECT_EQ(r.request.headers[0], (std::pair<std::string, std::string>{"Host", "h"}));
    ParsedRequest next =
        ParseHttpRequest(std::string_view(two).substr(r.consumed), 16 * 1024, 1024, piece);
    ASSERT_EQ(next.state, ParseState::kComplete);
    EXPECT_EQ(next.request.target, "/b");
    EXPECT_FALSE(next.keep_alive);
  }
}

TEST(HttpWireTest, ParseHttpRequestErrorsAndLimits) {
  auto status = [](std::string_view bytes, std::size_t max_header = 1024,
                   std::size_t max_body = 16) {
    ParsedRequest r = ParseHttpRequest(bytes, max_header, max_body);
    return r.state == ParseState::kError      ? r.error_status
           : r.state == ParseState::kNeedMore ? 0
                                              : 200;
  };
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: h\r\n\r\n"), 200);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: h\r\n"), 0);  // incomplete
  EXPECT_EQ(status("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n"), 400);
  EXPECT_EQ(status("POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"),
            400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nX: " + std::string(2000, 'a') + "\r\n\r\n"), 431);
  EXPECT_EQ(status("POST / HTTP/1.1\r\nContent-Length: 17\r\n\r\n"), 413);
  EXPECT_EQ(status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n11\r\n" +
                   std::string(17, 'x') + "\r\n0\r\n\r\n"),
            413);
}

}  // namespace
}  // namespace sluice::net::detail
