#include "common/aead.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>
#include <memory>

namespace sluice::aead {
namespace {

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

bool Seal(std::string_view key, std::string_view aad, std::string_view plaintext,
          std::string* out) {
  if (key.size() != kAeadKeySize) return false;
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return false;
  const std::size_t start = out->size();
  out->resize(start + kAeadNonceSize + plaintext.size() + kAeadTagSize);
  auto* base = reinterpret_cast<unsigned char*>(out->data() + start);
  unsigned char* nonce = base;
  unsigned char* ct = base + kAeadNonceSize;
  unsigned char* tag = ct + plaintext.size();
  int len = 0;
  const bool ok =
      RAND_bytes(nonce, kAeadNonceSize) == 1 &&
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kAeadNonceSize, nullptr) == 1 &&
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, U(key), nonce) == 1 &&
      (aad.empty() ||
       EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) == 1) &&
      (plaintext.empty() || EVP_EncryptUpdate(ctx.get(), ct, &len, U(plaintext),
                                              static_cast<int>(plaintext.size())) == 1) &&
      EVP_EncryptFinal_ex(ctx.get(), ct + plaintext.size(), &len) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kAeadTagSize, tag) == 1;
  if (!ok) out->resize(start);
  return ok;
}

bool OpenInto(std::string_view key, std::string_view aad, std::string_view sealed,
              std::string* plain) {
  if (key.size() != kAeadKeySize || sealed.size() < kAeadOverhead) return false;
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return false;
  const std::size_t n = sealed.size() - kAeadOverhead;
  const unsigned char* nonce = U(sealed);
  const unsigned char* ct = nonce + kAeadNonceSize;
  // OpenSSL takes the expected tag through a non-const pointer.
  unsigned char tag[kAeadTagSize];
  std::memcpy(tag, ct + n, kAeadTagSize);
  plain->resize(n);
  auto* pt = reinterpret_cast<unsigned char*>(plain->data());
  int len = 0;
  const bool ok =
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kAeadNonceSize, nullptr) == 1 &&
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, U(key), nonce) == 1 &&
      (aad.empty() ||
       EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) == 1) &&
      (n == 0 || EVP_DecryptUpdate(ctx.get(), pt, &len, ct, static_cast<int>(n)) == 1) &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kAeadTagSize, tag) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), pt + n, &len) == 1;
  if (!ok) plain->clear();
  return ok;
}

std::optional<std::string> Open(std::string_view key, std::string_view aad,
                                std::string_view sealed) {
  std::string plain;
  if (!OpenInto(key, aad, sealed, &plain)) return std::nullopt;
  return plain;
}

}  // namespace sluice::aead
