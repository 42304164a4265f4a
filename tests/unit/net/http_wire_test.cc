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

}  // namespace
}  // namespace sluice::net::detail
