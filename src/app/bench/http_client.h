// Minimal HTTP/1.1 keep-alive client for the load generator: requests are pre-serialised strings,
// responses are parsed in place from a per-connection read buffer (Content-Length or chunked). One
// request in flight per connection; no allocation per request once the buffers have grown.
#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::bench {

struct Endpoint {
  std::string host;  // as given ("127.0.0.1", "localhost")
  std::uint16_t port = 80;
  std::string host_header;  // "host:port"
};
// Parses "http://host[:port][/]". Returns false (and sets *error) on anything else.
bool ParseEndpoint(std::string_view url, Endpoint* out, std::string* error);

// Appends a complete AWS JSON 1.0 request (POST /) for AmazonSQS.<op> to *out.
// Real SigV4 signatures on every request (for servers with auth "sigv4"); unset: a fake
// signature. Call before any request is built; not thread-safe against concurrent requests.
void SetSigningCredentials(std::string access_key_id, std::string secret, std::string region);

void AppendSqsRequest(std::string* out, std::string_view host_header, std::string_view op,
                      std::string_view json_body);

enum class ParseState { kComplete, kIncomplete, kError };

struct ParsedResponse {
  int status = 0;
  bool keep_alive = true;
  std::string_view body;     // into the parsed data, or into the chunk scratch buffer
  std::size_t consumed = 0;  // bytes of data making up this response
};

// Parses one response from the start of `data`. Chunked bodies are decoded into *scratch.
// On kError, *error says why.
ParseState ParseResponse(std::string_view data, ParsedResponse* out, std::string* scratch,
                         std::string* error);

class HttpConn {
 public:
  HttpConn(boost::asio::any_io_executor ex, boost::asio::ip::tcp::endpoint ep);

  // Writes `request` (connecting first if needed), then reads one response.
  // Throws boost::system::system_error / std::runtime_error on socket or protocol errors.
  boost::asio::awaitable<void> RoundTrip(std::string_view request);
  boost::asio::awaitable<void> Write(std::string_view request);
  boost::asio::awaitable<void> Read();

  int status() const { return resp_.status; }
  std::string_view body() const { return resp_.body; }
  void Close();

 private:
  boost::asio::awaitable<void> Connect();

  boost::asio::ip::tcp::endpoint ep_;
  boost::asio::ip::tcp::socket sock_;
  bool connected_ = false;
  std::string buf_;  // read buffer; [0, used_) holds received bytes
  std::size_t used_ = 0;
  std::size_t consumed_ = 0;  // bytes of the previous response still at the front of buf_
  std::string scratch_;
  ParsedResponse resp_;
};

}  // namespace sluice::bench
