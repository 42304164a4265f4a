// Private to sluice_net: the OpenSSL server context behind an HTTPS listener.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "net/http_server.h"

namespace sluice::net::detail {

using SslContextPtr = std::shared_ptr<SSL_CTX>;

// TLS 1.2+ (1.3 with min_version "1.3"); for 1.2 only ECDHE key exchange with AES-GCM or
// ChaCha20-Poly1305; no compression, no renegotiation, no server-side session cache (stateless
// tickets only); OpenSSL frees a connection's record buffers while they are empty. Loads and
// checks the certificate chain and key. On failure returns nullptr and sets *error to a sentence
// naming the file and OpenSSL's reason.
SslContextPtr MakeServerTlsContext(const TlsOptions& options, std::string* error);

// OpenSSL's queued errors as one line ("" when none); clears the queue.
std::string TakeOpenSslErrors();

}  // namespace sluice::net::detail
