// A tiny blocking HTTP/1.1 client over POSIX sockets for the net tests. Every socket has a
// generous receive/send timeout so a broken server makes a test fail instead of hang.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace sluice::net::testing {

struct ClientResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  bool ok = false;  // a complete response was read
  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class TestConnection {
 public:
  explicit TestConnection(std::uint16_t port, int timeout_seconds = 10);
  ~TestConnection();
  TestConnection(const TestConnection&) = delete;
  TestConnection& operator=(const TestConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool Send(const std::string& bytes);
  // Reads one response (Content-Length framed, or no body for 1xx/204/304/HEAD).
  ClientResponse Read(bool head_request = false);
  // True when the server closed the connection (EOF or reset) before the timeout; any bytes
  // received first are discarded.
  bool WaitClosed();
  // Raw bytes already buffered plus whatever arrives until `n` bytes are available.
  std::string ReadExactly(std::size_t n);
  void Close();

 private:
  bool Fill();  // one recv into buf_; false on EOF, error or timeout
  int fd_ = -1;
  std::string buf_;
};

std::string Post(const std::string& target, const std::string& body,
                 const std::string& extra_headers = "");

}  // namespace sluice::net::testing
