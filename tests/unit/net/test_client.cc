#include "test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <algorithm>
#include <cctype>

#include <cerrno>
#include <csignal>
#include <cstdlib>

namespace sluice::net::testing {

TestConnection::TestConnection(std::uint16_t port, int timeout_seconds) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return;
  timeval tv{};
  tv.tv_sec = timeout_seconds;
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) Close();
}

TestConnection::~TestConnection() { Close(); }

void TestConnection::Close() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  ssl_ = nullptr;
  ctx_ = nullptr;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string TestDataPath(const std::string& name) {
  return std::string(SLUICE_NET_TEST_DATA) + "/" + name;
}

namespace {
std::string OpenSslErrors() {
  std::string out;
  char buf[256];
  while (unsigned long e = ERR_get_error()) {
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}
}  // namespace

bool TestConnection::StartTls(const TlsClientOptions& o) {
  if (fd_ < 0) return false;
  std::signal(SIGPIPE, SIG_IGN);  // OpenSSL writes with write(2), not send(MSG_NOSIGNAL)
  ERR_clear_error();
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (o.security_level >= 0) SSL_CTX_set_security_level(ctx_, o.security_level);
  if (o.min_version) SSL_CTX_set_min_proto_version(ctx_, o.min_version);
  if (o.max_version) SSL_CTX_set_max_proto_version(ctx_, o.max_version);
  if (!o.ciphers.empty()) SSL_CTX_set_cipher_list(ctx_, o.ciphers.c_str());
  if (!o.ca_file.empty()) {
    SSL_CTX_load_verify_locations(ctx_, o.ca_file.c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  }
  ssl_ = SSL_new(ctx_);
  SSL_set_fd(ssl_, fd_);
  SSL_set_tlsext_host_name(ssl_, o.server_name.c_str());
  if (!o.ca_file.empty()) SSL_set1_host(ssl_, o.server_name.c_str());
  if (SSL_connect(ssl_) != 1) {
    tls_error_ = OpenSslErrors();
    if (tls_error_.empty()) tls_error_ = "handshake failed (connection closed)";
    return false;
  }
  return true;
}

std::string TestConnection::tls_version() const { return ssl_ ? SSL_get_version(ssl_) : ""; }

std::string TestConnection::tls_cipher() const {
  return ssl_ ? SSL_CIPHER_get_name(SSL_get_current_cipher(ssl_)) : "";
}

long TestConnection::Recv(char* data, std::size_t size) {
  if (ssl_ != nullptr) {
    std::size_t n = 0;
    ERR_clear_error();
    if (SSL_read_ex(ssl_, data, size, &n) == 1) return static_cast<long>(n);
    const int err = SSL_get_error(ssl_, 0);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return -1;  // timed out
    if (err == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK)) return -1;
    return 0;  // close_notify, EOF, reset or a fatal alert: closed
  }
  for (;;) {
    const ssize_t n = ::recv(fd_, data, size, 0);
    if (n >= 0) return static_cast<long>(n);
    if (errno == EINTR) continue;
    if (errno == ECONNRESET || errno == EPIPE) return 0;
    return -1;
  }
}

bool TestConnection::Send(const std::string& bytes) {
  if (ssl_ != nullptr) {
    std::size_t n = 0;
    return bytes.empty() || SSL_write_ex(ssl_, bytes.data(), bytes.size(), &n) == 1;
  }
  std::size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return false;
    }
    off += static_cast<std::size_t>(n);
  }
  return true;
}

bool TestConnection::Fill() {
  if (fd_ < 0) return false;
  char tmp[65536];
  const long n = Recv(tmp, sizeof(tmp));
  if (n <= 0) return false;
  buf_.append(tmp, static_cast<std::size_t>(n));
  return true;
}

ClientResponse TestConnection::Read(bool head_request) {
  ClientResponse r;
  std::size_t end;
  while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
    if (!Fill()) return r;
  }
  const std::string head = buf_.substr(0, end);
  buf_.erase(0, end + 4);
  std::size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) return r;
  r.status = std::atoi(status_line.c_str() + 9);
  std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    std::size_t e = head.find("\r\n", pos);
    if (e == std::string::npos) e = head.size();
    const std::string line = head.substr(pos, e - pos);
    const std::size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers[name] = value;
    }
    pos = e + 2;
  }
  std::size_t length = 0;
  if (!head_request && r.status >= 200 && r.status != 204 && r.status != 304) {
    const auto it = r.headers.find("content-length");
    if (it == r.headers.end()) return r;
    length = std::strtoull(it->second.c_str(), nullptr, 10);
  }
  while (buf_.size() < length) {
    if (!Fill()) return r;
  }
  r.body = buf_.substr(0, length);
  buf_.erase(0, length);
  r.ok = true;
  return r;
}

std::string TestConnection::ReadExactly(std::size_t n) {
  while (buf_.size() < n) {
    if (!Fill()) break;
  }
  const std::string out = buf_.substr(0, std::min(n, buf_.size()));
  buf_.erase(0, out.size());
  return out;
}

bool TestConnection::WaitClosed() {
  if (fd_ < 0) return true;
  char tmp[65536];
  for (;;) {
    const long n = Recv(tmp, sizeof(tmp));
    if (n > 0) continue;
    return n == 0;  // -1: timed out, still open
  }
}

std::string Post(const std::string& target, const std::string& body,
                 const std::string& extra_headers) {
  return "POST " + target +
         " HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         extra_headers + "\r\n" + body;
}

}  // namespace sluice::net::testing
