#include "net/tls_context.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <cstdio>

namespace sluice::net::detail {

namespace {

// TLS 1.2 suites: forward secrecy (ECDHE) and AEAD only. TLS 1.3 suites are OpenSSL's defaults
// (all AEAD with ephemeral key exchange).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// An encrypted key would make OpenSSL prompt on the terminal; fail instead.
int NoPassphrase(char*, int, int, void*) { return 0; }

// ALPN: HTTP/1.1 only. A client offering only h2 gets no ALPN answer and falls back (or gives up).
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
               unsigned int inlen, void*) {
  static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kHttp11, sizeof kHttp11, in, inlen) ==
      OPENSSL_NPN_NEGOTIATED) {
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

bool Readable(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  std::fclose(f);
  return true;
}

}  // namespace

std::string TakeOpenSslErrors() {
  std::string out;
  char buf[256];
  while (unsigned long e = ERR_get_error()) {
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

SslContextPtr MakeServerTlsContext(const TlsOptions& options, std::string* error) {
  ERR_clear_error();
  auto fail = [&](std::string what) {
    const std::string reason = TakeOpenSslErrors();
    *error = reason.empty() ? what : what + ": " + reason;
    return nullptr;
  };
  int min_version = 0;
  if (options.min_version == "1.2") {
    min_version = TLS1_2_VERSION;
  } else if (options.min_version == "1.3") {
    min_version = TLS1_3_VERSION;
  } else {
    return fail("TLS minimum version must be \"1.2\" or \"1.3\", not \"" + options.min_version +
                "\"");
  }
  if (options.cert_chain_file.empty() || options.key_file.empty()) {
    return fail("TLS needs a certificate chain file and a key file");
  }
  SslContextPtr ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!ctx) return fail("cannot create a TLS context");
  SSL_CTX* c = ctx.get();
  if (SSL_CTX_set_min_proto_version(c, min_version) != 1) {
    return fail("cannot set the TLS minimum version");
  }
  SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                             SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                          SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (SSL_CTX_set_cipher_list(c, kTls12Ciphers) != 1) return fail("cannot set the TLS ciphers");
  // No per-server session cache (memory per handshake); resumption uses stateless tickets.
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(c, 1);
  SSL_CTX_set_default_passwd_cb(c, NoPassphrase);
  SSL_CTX_set_alpn_select_cb(c, SelectAlpn, nullptr);

  if (!Readable(options.cert_chain_file)) {
    return fail("cannot read the TLS certificate file '" + options.cert_chain_file + "'");
  }
  if (SSL_CTX_use_certificate_chain_file(c, options.cert_chain_file.c_str()) != 1) {
    return fail("cannot load the TLS certificate chain from '" + options.cert_chain_file + "'");
  }
  if (!Readable(options.key_file)) {
    return fail("cannot read the TLS key file '" + options.key_file + "'");
  }
  if (SSL_CTX_use_PrivateKey_file(c, options.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
      return fail("the TLS private key '" + options.key_file +
                  "' does not match the certificate in '" + options.cert_chain_file + "'");
    }
    return fail("cannot load the TLS private key from '" + options.key_file +
                "' (PEM, unencrypted)");
  }
  if (SSL_CTX_check_private_key(c) != 1) {
    return fail("the TLS private key '" + options.key_file +
                "' does not match the certificate in '" + options.cert_chain_file + "'");
  }
  return ctx;
}

}  // namespace sluice::net::detail
