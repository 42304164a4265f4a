// A tiny blocking HTTP/1.1 client over POSIX sockets (optionally TLS, with OpenSSL) for the net
// tests. Every socket has a generous receive/send timeout so a broken server makes a test fail
// instead of hang.
#pragma once

#include <openssl/ssl.h>

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

struct TlsClientOptions {
  std::string ca_file;  // verify the server against this CA; empty: no verification
  std::string server_name = "localhost";  // SNI and the name checked
  int min_version = 0;                    // e.g. TLS1_2_VERSION; 0: OpenSSL's default
  int max_version = 0;
  std::string ciphers;      // TLS 1.2 and below cipher list; empty: default
  int security_level = -1;  // -1: default (0 lets old protocols be offered at all)
};

// The test CA and server certificate (tests/unit/net/data).
std::string TestDataPath(const std::string& name);

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

  // TLS handshake on the connected socket; afterwards every call goes through TLS. False (see
  // tls_error) when the handshake fails.
  bool StartTls(const TlsClientOptions& options = {});
  const std::string& tls_error() const { return tls_error_; }
  std::string tls_version() const;  // "TLSv1.3"
  std::string tls_cipher() const;

 private:
  bool Fill();                              // one recv into buf_; false on EOF, error or timeout
  long Recv(char* data, std::size_t size);  // > 0 bytes, 0 EOF/closed, -1 timeout, -2 error
  int fd_ = -1;
  std::string buf_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string tls_error_;
};

std::string Post(const std::string& target, const std::string& body,
                 const std::string& extra_headers = "");

}  // namespace sluice::net::testing
