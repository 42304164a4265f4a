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
