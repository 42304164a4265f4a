#include "engine/receipt_handle.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>

#include "common/encoding.h"
#include "common/ids.h"

namespace sluice::engine {
namespace {

constexpr std::uint8_t kVersion = 1;
constexpr std::size_t kMacBytes = 16;
constexpr std::size_t kRawBytes = 1 + 8 + 4 + kMacBytes;  // 29 -> 39 base64url chars

void PutBe(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
}

std::uint64_t GetBe(std::string_view in, std::size_t pos, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<std::uint8_t>(in[pos + i]);
  return v;
}

}  // namespace

struct ReceiptCodec::Midstates {
  EVP_MD* md = nullptr;
  EVP_MD_CTX* inner = nullptr;
  EVP_MD_CTX* outer = nullptr;
  ~Midstates() {
    EVP_MD_CTX_free(inner);
    EVP_MD_CTX_free(outer);
    EVP_MD_free(md);
  }
};

ReceiptCodec::ReceiptCodec(std::string secret) : mid_(std::make_unique<Midstates>()) {
  if (secret.empty()) secret = RandomBytes(32);
  constexpr std::size_t kBlock = 64;
  std::string key = secret.size() > kBlock ? Sha256(secret) : secret;
  key.resize(kBlock, '\0');
  std::string ipad = key, opad = key;
  for (std::size_t i = 0; i < kBlock; ++i) {
    ipad[i] = static_cast<char>(ipad[i] ^ 0x36);
    opad[i] = static_cast<char>(opad[i] ^ 0x5c);
  }
  mid_->md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  mid_->inner = EVP_MD_CTX_new();
  mid_->outer = EVP_MD_CTX_new();
  EVP_DigestInit_ex(mid_->inner, mid_->md, nullptr);
  EVP_DigestUpdate(mid_->inner, ipad.data(), ipad.size());
  EVP_DigestInit_ex(mid_->outer, mid_->md, nullptr);
  EVP_DigestUpdate(mid_->outer, opad.data(), opad.size());
  OPENSSL_cleanse(key.data(), key.size());
  OPENSSL_cleanse(ipad.data(), ipad.size());
  OPENSSL_cleanse(opad.data(), opad.size());
}

ReceiptCodec::~ReceiptCodec() = default;

std::string ReceiptCodec::Mac(std::uint64_t queue_uid, std::uint64_t seq, std::uint32_t gen) const {
  std::string msg;
  msg.reserve(21);
  msg.push_back(static_cast<char>(kVersion));
  PutBe(msg, queue_uid, 8);
  PutBe(msg, seq, 8);
  PutBe(msg, gen, 4);
  // One scratch context per thread, reused: copying a midstate into it allocates nothing.
  struct Scratch {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Scratch() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Scratch scratch;
  std::array<unsigned char, EVP_MAX_MD_SIZE> inner;
  std::array<unsigned char, EVP_MAX_MD_SIZE> out;
  unsigned int len = 0;
  EVP_MD_CTX_copy_ex(scratch.ctx, mid_->inner);
  EVP_DigestUpdate(scratch.ctx, msg.data(), msg.size());
  EVP_DigestFinal_ex(scratch.ctx, inner.data(), &len);
  EVP_MD_CTX_copy_ex(scratch.ctx, mid_->outer);
  EVP_DigestUpdate(scratch.ctx, inner.data(), len);
  EVP_DigestFinal_ex(scratch.ctx, out.data(), &len);
  return std::string(reinterpret_cast<const char*>(out.data()), kMacBytes);
}

std::string ReceiptCodec::Encode(std::uint64_t queue_uid, ReceiptRef ref) const {
  std::string raw;
  raw.reserve(kRawBytes);
  raw.push_back(static_cast<char>(kVersion));
  PutBe(raw, ref.seq, 8);
  PutBe(raw, ref.gen, 4);
  raw += Mac(queue_uid, ref.seq, ref.gen);
  return Base64UrlEncode(raw);
}

std::optional<ReceiptRef> ReceiptCodec::Decode(std::uint64_t queue_uid,
                                               std::string_view handle) const {
  if (handle.size() != (kRawBytes * 4 + 2) / 3) return std::nullopt;
  auto raw = Base64UrlDecode(handle);
  if (!raw || raw->size() != kRawBytes || static_cast<std::uint8_t>((*raw)[0]) != kVersion) {
    return std::nullopt;
  }
  // Only the canonical spelling is a handle: the last character carries 2 data bits and 4 unused
  // ones, which a lenient decoder ignores, so a tampered last character could decode to the same
  // bytes.
  if (Base64UrlEncode(*raw) != handle) return std::nullopt;
  ReceiptRef ref{GetBe(*raw, 1, 8), static_cast<std::uint32_t>(GetBe(*raw, 9, 4))};
  const std::string mac = Mac(queue_uid, ref.seq, ref.gen);
  if (CRYPTO_memcmp(mac.data(), raw->data() + 13, kMacBytes) != 0) return std::nullopt;
  return ref;
}

}  // namespace sluice::engine
