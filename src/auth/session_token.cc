#include "auth/session_token.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <memory>

#include "common/encoding.h"
#include "common/ids.h"

namespace sluice::auth {
namespace {

constexpr unsigned char kVersion = 0x01;
constexpr std::size_t kKeySize = 32;
constexpr std::size_t kNonceSize = 12;
constexpr std::size_t kTagSize = 16;
constexpr std::string_view kAad = "sluice sts session token v1";
// Tokens are small (a policy of a few KiB at most); anything larger is not ours.
constexpr std::size_t kMaxTokenChars = 64 * 1024;

Status InvalidToken() {
  return Status(ErrorCode::kInvalidClientTokenId,
                "The security token included in the request is invalid.");
}

void PutU64(std::uint64_t v, std::string* out) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (i * 8)) & 0xff));
}

void PutString(std::string_view s, std::string* out) {
  const auto n = static_cast<std::uint32_t>(s.size());
  for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((n >> (i * 8)) & 0xff));
  out->append(s);
}

struct Reader {
  std::string_view in;
  bool ok = true;

  std::uint64_t U64(std::size_t bytes) {
    if (in.size() < bytes) {
      ok = false;
      return 0;
    }
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
    in.remove_prefix(bytes);
    return v;
  }
  std::string String() {
    const auto n = static_cast<std::size_t>(U64(4));
    if (!ok || in.size() < n) {
      ok = false;
      return {};
    }
    std::string s(in.substr(0, n));
    in.remove_prefix(n);
    return s;
  }
};

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

}  // namespace

SessionSealer::SessionSealer(std::string key) : key_(std::move(key)) {
  if (key_.size() != kKeySize) key_ = RandomBytes(kKeySize);
}

SessionSealer::~SessionSealer() {
  // Best effort: do not leave the key in freed memory.
  volatile char* p = key_.data();
  for (std::size_t i = 0; i < key_.size(); ++i) p[i] = 0;
}

std::string SessionSealer::Seal(const SessionClaims& c) const {
  std::string plain;
  plain.reserve(128 + c.session_policy.size());
  plain.push_back(static_cast<char>(c.kind));
  PutU64(static_cast<std::uint64_t>(c.issued_ms), &plain);
  PutU64(static_cast<std::uint64_t>(c.expires_ms), &plain);
  PutString(c.access_key_id, &plain);
  PutString(c.secret_access_key, &plain);
  PutString(c.account_id, &plain);
  PutString(c.name, &plain);
  PutString(c.session_name, &plain);
  PutString(c.session_policy, &plain);

  std::string sealed;
  sealed.resize(1 + kNonceSize + plain.size() + kTagSize);
  sealed[0] = static_cast<char>(kVersion);
  const std::string nonce = RandomBytes(kNonceSize);
  sealed.replace(1, kNonceSize, nonce);
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  const bool ok =
      ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) == 1 &&
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr,
                         reinterpret_cast<const unsigned char*>(key_.data()), out + 1) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, out, 1) == 1 &&  // the version byte
      EVP_EncryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const unsigned char*>(kAad.data()),
                        static_cast<int>(kAad.size())) == 1 &&
      EVP_EncryptUpdate(ctx.get(), out + 1 + kNonceSize, &len,
                        reinterpret_cast<const unsigned char*>(plain.data()),
                        static_cast<int>(plain.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx.get(), out + 1 + kNonceSize + len, &len) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize,
                          out + 1 + kNonceSize + plain.size()) == 1;
  // Wipe the plaintext copy of the secret.
  volatile char* p = plain.data();
  for (std::size_t i = 0; i < plain.size(); ++i) p[i] = 0;
  if (!ok) return {};  // OpenSSL failure (out of memory): an empty token never verifies
  return Base64Encode(sealed);
}

Result<SessionClaims> SessionSealer::Unseal(std::string_view token) const {
  if (token.empty() || token.size() > kMaxTokenChars) return InvalidToken();
  auto raw = Base64Decode(token);
  if (!raw || raw->size() < 1 + kNonceSize + kTagSize ||
      static_cast<unsigned char>((*raw)[0]) != kVersion) {
    return InvalidToken();
  }
  const auto* in = reinterpret_cast<const unsigned char*>(raw->data());
  const std::size_t ct_size = raw->size() - 1 - kNonceSize - kTagSize;
  std::string plain(ct_size, '\0');
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  unsigned char tag[kTagSize];
  std::copy(in + 1 + kNonceSize + ct_size, in + raw->size(), tag);
  const bool ok =
      ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) == 1 &&
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr,
                         reinterpret_cast<const unsigned char*>(key_.data()), in + 1) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, in, 1) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const unsigned char*>(kAad.data()),
                        static_cast<int>(kAad.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len,
                        in + 1 + kNonceSize, static_cast<int>(ct_size)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, tag) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len, &len) ==
          1;
  if (!ok) return InvalidToken();
  Reader r{plain};
  SessionClaims c;
  const auto kind = r.U64(1);
  c.issued_ms = static_cast<std::int64_t>(r.U64(8));
  c.expires_ms = static_cast<std::int64_t>(r.U64(8));
  c.access_key_id = r.String();
  c.secret_access_key = r.String();
  c.account_id = r.String();
  c.name = r.String();
  c.session_name = r.String();
  c.session_policy = r.String();
  if (!r.ok || !r.in.empty() ||
      (kind != static_cast<std::uint64_t>(SessionClaims::Kind::kAssumedRole) &&
       kind != static_cast<std::uint64_t>(SessionClaims::Kind::kUserSession))) {
    return InvalidToken();
  }
  c.kind = static_cast<SessionClaims::Kind>(kind);
  return c;
}

namespace {

constexpr char kUpperDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

// `n` characters of `alphabet` (size <= 64) from random bytes, without modulo bias.
std::string RandomChars(std::size_t n, std::string_view alphabet) {
  std::string out;
  out.reserve(n);
  const unsigned limit = 256 - 256 % static_cast<unsigned>(alphabet.size());
  while (out.size() < n) {
    for (unsigned char b : RandomBytes(n * 2)) {
      if (b >= limit) continue;
      out.push_back(alphabet[b % alphabet.size()]);
      if (out.size() == n) break;
    }
  }
  return out;
}

}  // namespace

std::string DeriveSessionTokenKey(std::string_view master_key) {
  constexpr std::string_view kLabel = "sluice sts session tokens";
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), master_key.data(), static_cast<int>(master_key.size()),
           reinterpret_cast<const unsigned char*>(kLabel.data()), kLabel.size(), out,
           &len) == nullptr) {
    return {};  // a random key then (SessionSealer)
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string NewTemporaryAccessKeyId() { return "ASIA" + RandomChars(16, kUpperDigits); }

std::string NewSecretAccessKey() {
  return RandomChars(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
}

std::string UniqueId(std::string_view prefix, std::string_view account_id, std::string_view name) {
  std::string input = "sluice unique id\n";
  input.append(prefix).push_back('\n');
  input.append(account_id).push_back('\n');
  input.append(name);
  // One base-36 digit per digest byte (the slight bias does not matter for an identifier).
  const std::string digest = Sha256(input);
  std::string out(prefix);
  for (int i = 0; i < 17; ++i) {
    out.push_back(
        kUpperDigits[static_cast<unsigned char>(digest[static_cast<std::size_t>(i)]) % 36]);
  }
  return out;
}

}  // namespace sluice::auth
