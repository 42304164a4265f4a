// Private to sluice_net (included by http_session.h): a TLS stream driven by OpenSSL directly on
// the non-blocking socket (SSL_set_fd), with readiness waits from Asio.
//
// Why not boost::asio::ssl::stream: it keeps two 17 KiB buffers per connection for its whole
// life, plus OpenSSL's BIO pair buffers, so 10,000 idle TLS connections would pin several hundred
// MiB. Here OpenSSL reads and writes the socket itself and, with SSL_MODE_RELEASE_BUFFERS, frees
// its record buffers whenever they are empty; this class keeps no buffer of its own between
// operations (only a small gather buffer while a write is in progress).
//
// Contract (as Asio's AsyncReadStream/AsyncWriteStream): one read and one write at a time, on the
// stream's executor (the worker thread). A completion never runs inside the initiating call.
// Every OpenSSL call first checks that the socket is still open: a closed descriptor number may
// already belong to another connection.
#pragma once

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <cerrno>
#include <cstddef>
#include <string>
#include <utility>

namespace sluice::net::detail {

class TlsStream {
 public:
  using tcp = boost::asio::ip::tcp;
  using error_code = boost::system::error_code;
  using executor_type = tcp::socket::executor_type;
  using next_layer_type = tcp::socket;
  using lowest_layer_type = tcp::socket;

  // Takes ownership of `ssl`, which must already be attached to the socket's descriptor.
  TlsStream(tcp::socket socket, SSL* ssl) : socket_(std::move(socket)), ssl_(ssl) {}
  TlsStream(TlsStream&& other) noexcept
      : socket_(std::move(other.socket_)),
        ssl_(std::exchange(other.ssl_, nullptr)),
        gather_(std::move(other.gather_)) {}
  TlsStream& operator=(TlsStream&&) = delete;
  ~TlsStream() {
    if (ssl_ != nullptr) SSL_free(ssl_);
  }

  executor_type get_executor() { return socket_.get_executor(); }
  tcp::socket& next_layer() { return socket_; }
  tcp::socket& lowest_layer() { return socket_; }
  SSL* native_handle() { return ssl_; }

  // handler(error_code). Waits for the client's first bytes before OpenSSL allocates anything,
  // so a connection that never speaks costs no TLS buffers.
  template <class Handler>
  void async_handshake(Handler&& handler) {
    socket_.async_wait(
        tcp::socket::wait_read, [this, h = std::forward<Handler>(handler)](error_code ec) mutable {
          auto done = [h = std::move(h)](error_code e, std::size_t) mutable { h(e); };
          if (ec) {
            done(ec, 0);
            return;
          }
          Run([this](std::size_t&) { return SSL_do_handshake(ssl_); }, std::move(done),
              /*in_completion=*/true);
        });
  }

  template <class MutableBufferSequence, class Handler>
  void async_read_some(const MutableBufferSequence& buffers, Handler&& handler) {
    boost::asio::mutable_buffer buf;
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      if (it->size() > 0) {
        buf = *it;
        break;
      }
    }
    if (buf.size() == 0) {
      Complete(std::forward<Handler>(handler), error_code(), 0, false);
      return;
    }
    Run([this, buf](std::size_t& n) { return SSL_read_ex(ssl_, buf.data(), buf.size(), &n); },
        std::forward<Handler>(handler), false);
  }

  // Writes at most one TLS record's worth when several buffers are given (gathered, so that a
  // response head and a small body leave in one record and one system call).
  template <class ConstBufferSequence, class Handler>
  void async_write_some(const ConstBufferSequence& buffers, Handler&& handler) {
    boost::asio::const_buffer first;
    std::size_t non_empty = 0;
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      if (it->size() == 0) continue;
      if (non_empty++ == 0) first = *it;
    }
    if (first.size() == 0) {
      Complete(std::forward<Handler>(handler), error_code(), 0, false);
      return;
    }
    boost::asio::const_buffer out = first;
    if (non_empty > 1 && first.size() < kRecordSize) {
      gather_.clear();
      for (auto it = boost::asio::buffer_sequence_begin(buffers);
           it != boost::asio::buffer_sequence_end(buffers) && gather_.size() < kRecordSize; ++it) {
        const std::size_t take = std::min(it->size(), kRecordSize - gather_.size());
        gather_.append(static_cast<const char*>(it->data()), take);
      }
      out = boost::asio::buffer(gather_);
    }
    Run([this, out](std::size_t& n) { return SSL_write_ex(ssl_, out.data(), out.size(), &n); },
        [this, h = std::forward<Handler>(handler)](error_code ec, std::size_t n) mutable {
          if (gather_.capacity() > kKeepGatherBytes) std::string().swap(gather_);
          h(ec, n);
        },
        false);
  }

  // Gives OpenSSL's record buffers back while the connection idles (no-op when they hold data).
  // SSL_MODE_RELEASE_BUFFERS does this after most reads and writes, but not after the handshake.
  void ReleaseBuffers() {
    if (socket_.is_open() && !HasBufferedInput()) (void)SSL_free_buffers(ssl_);
  }

  // Decrypted or undecrypted bytes already inside OpenSSL (a readiness wait would not see them).
  bool HasBufferedInput() const { return SSL_pending(ssl_) > 0 || SSL_has_pending(ssl_) == 1; }

  // Best effort, never blocks: sends close_notify if the handshake finished and the socket takes
  // it now, then half-closes the socket.
  void ShutdownSend(error_code& ec) {
    if (!socket_.is_open()) {
      ec = boost::asio::error::bad_descriptor;
      return;
    }
    if (SSL_is_init_finished(ssl_)) {
      ERR_clear_error();
      SSL_shutdown(ssl_);
      ERR_clear_error();
    }
    socket_.shutdown(tcp::socket::shutdown_send, ec);
  }

 private:
  static constexpr std::size_t kRecordSize = 16 * 1024;
  static constexpr std::size_t kKeepGatherBytes = 4 * 1024;  // larger gather buffers are freed

  template <class Handler>
  void Complete(Handler&& handler, error_code ec, std::size_t n, bool in_completion) {
    if (in_completion) {
      handler(ec, n);
      return;
    }
    boost::asio::post(socket_.get_executor(),
                      [h = std::forward<Handler>(handler), ec, n]() mutable { h(ec, n); });
  }

  // Calls op until it succeeds or fails, waiting for the socket whenever OpenSSL asks to.
  // op(size_t& n) returns OpenSSL's result (> 0 success).
  template <class Op, class Handler>
  void Run(Op op, Handler&& handler, bool in_completion) {
    std::size_t n = 0;
    error_code ec;
    if (!socket_.is_open()) {
      ec = boost::asio::error::operation_aborted;
    } else {
      ERR_clear_error();
      const int r = op(n);
      if (r <= 0) {
        n = 0;
        const int err = SSL_get_error(ssl_, r);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
          socket_.async_wait(
              err == SSL_ERROR_WANT_READ ? tcp::socket::wait_read : tcp::socket::wait_write,
              [this, op = std::move(op),
               h = std::forward<Handler>(handler)](error_code wec) mutable {
                if (wec) {
                  h(wec, std::size_t{0});
                  return;
                }
                Run(std::move(op), std::move(h), true);
              });
          return;
        }
        ec = ErrorFrom(err);
      }
    }
    Complete(std::forward<Handler>(handler), ec, n, in_completion);
  }

  static error_code ErrorFrom(int ssl_error) {
    switch (ssl_error) {
      case SSL_ERROR_ZERO_RETURN:  // close_notify, or EOF (SSL_OP_IGNORE_UNEXPECTED_EOF)
        return boost::asio::error::eof;
      case SSL_ERROR_SYSCALL: {
        const int e = errno;
        ERR_clear_error();
        if (e == 0) return boost::asio::error::eof;
        return error_code(e, boost::system::system_category());
      }
      default: {
        const unsigned long e = ERR_get_error();
        ERR_clear_error();
        if (e == 0) return boost::asio::error::connection_aborted;
        return error_code(static_cast<int>(e), boost::asio::error::get_ssl_category());
      }
    }
  }

  tcp::socket socket_;
  SSL* ssl_;
  std::string gather_;
};

}  // namespace sluice::net::detail
