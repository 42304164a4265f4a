#include "engine/receipt_handle.h"

#include <openssl/crypto.h>
#include <sodium/crypto_auth_hmacsha256.h>
#include <sodium/crypto_hash_sha256.h>
#include <sodium/crypto_shorthash_siphash24.h>

#include <array>
#include <bit>
#include <cstring>

#include "common/encoding.h"
#include "common/ids.h"

namespace sluice::engine {
namespace {

// Version 2 handles carry a SipHash-2-4 tag (128 bits); version 1, HMAC-SHA256 truncated to 128
// bits, is still accepted so that handles given out before an upgrade keep working. SipHash is
// a keyed PRF made for short inputs: about 150 instructions per tag (libsodium; OpenSSL's EVP_MAC
// took 1.4k, HMAC-SHA256 6.5k), and every message costs two tags (receive and delete).
constexpr std::uint8_t kVersionHmac = 1;
constexpr std::uint8_t kVersion = 2;
constexpr std::size_t kMacBytes = 16;
constexpr std::size_t kRawBytes = 1 + 8 + 4 + kMacBytes;  // 29 -> 39 base64url chars

constexpr std::size_t kHandleChars = Base64UrlEncodedSize(kRawBytes);  // 39

// Big-endian fields as single loads and stores (the byte loops cost 290 instructions a message).
template <typename T>
T ToBigEndian(T v) {
  if constexpr (std::endian::native == std::endian::little) {
    if constexpr (sizeof(T) == 8) return __builtin_bswap64(v);
    if constexpr (sizeof(T) == 4) return __builtin_bswap32(v);
  }
  return v;
}

template <typename T>
void PutBe(unsigned char* out, T v) {
  v = ToBigEndian(v);
  std::memcpy(out, &v, sizeof v);
}

template <typename T>
T GetBe(const unsigned char* in) {
  T v;
  std::memcpy(&v, in, sizeof v);
  return ToBigEndian(v);
}

std::string_view View(const unsigned char* p, std::size_t n) {
  return {reinterpret_cast<const char*>(p), n};
}

}  // namespace

// The HMAC-SHA256 and SHA-256 here are libsodium's: OpenSSL's first EVP fetch in a process sets up
// its providers (4.8M instructions and 3 MiB of libcrypto's pages), which every start paid here,
// for version 1 handles that only servers upgraded from an older release still see.
struct ReceiptCodec::Midstates {
  crypto_auth_hmacsha256_state hmac{};  // keyed with the secret, before any message
  std::array<unsigned char, 16> sip_key{};
  ~Midstates() {
    OPENSSL_cleanse(&hmac, sizeof hmac);
    OPENSSL_cleanse(sip_key.data(), sip_key.size());
  }
};

ReceiptCodec::ReceiptCodec(std::string secret) : mid_(std::make_unique<Midstates>()) {
  if (secret.empty()) secret = RandomBytes(32);
  // HMAC's key schedule (a key longer than a block is hashed first, as HMAC specifies).
  crypto_auth_hmacsha256_init(&mid_->hmac, reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size());
  // The SipHash key: derived from the secret, so that every node sharing a secret shares it.
  const std::string label = "sluice receipt handle siphash key\n" + secret;
  std::array<unsigned char, crypto_hash_sha256_BYTES> derived;
  crypto_hash_sha256(derived.data(), reinterpret_cast<const unsigned char*>(label.data()),
                     label.size());
  std::memcpy(mid_->sip_key.data(), derived.data(), mid_->sip_key.size());
  OPENSSL_cleanse(derived.data(), derived.size());
}

ReceiptCodec::~ReceiptCodec() = default;

ReceiptCodec::Tag ReceiptCodec::Mac(std::uint8_t version, std::uint64_t queue_uid,
                                    std::uint64_t seq, std::uint32_t gen) const {
  // version | queue | seq | gen, on the stack (21 bytes would not fit a short string).
  std::array<unsigned char, 21> msg;
  msg[0] = version;
  PutBe(msg.data() + 1, queue_uid);
  PutBe(msg.data() + 9, seq);
  PutBe(msg.data() + 17, gen);
  if (version == kVersion) {
    Tag tag;
    static_assert(crypto_shorthash_siphashx24_BYTES == kMacBytes);
    static_assert(crypto_shorthash_siphashx24_KEYBYTES == sizeof(Midstates::sip_key));
    crypto_shorthash_siphashx24(tag.data(), msg.data(), msg.size(), mid_->sip_key.data());
    return tag;
  }
  crypto_auth_hmacsha256_state state = mid_->hmac;  // a copy of the keyed midstate
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> out;
  crypto_auth_hmacsha256_update(&state, msg.data(), msg.size());
  crypto_auth_hmacsha256_final(&state, out.data());
  OPENSSL_cleanse(&state, sizeof state);
  Tag tag;
  std::memcpy(tag.data(), out.data(), tag.size());
  return tag;
}

// Both directions work on the stack: the handle's 39 characters are the only allocation (a receive
// and a delete cost 1.2k and 1.1k instructions per message through heap temporaries).
std::string ReceiptCodec::Encode(std::uint64_t queue_uid, ReceiptRef ref) const {
  std::array<unsigned char, kRawBytes> raw;
  raw[0] = kVersion;
  PutBe(raw.data() + 1, ref.seq);
  PutBe(raw.data() + 9, ref.gen);
  const Tag tag = Mac(kVersion, queue_uid, ref.seq, ref.gen);
  std::memcpy(raw.data() + 13, tag.data(), tag.size());
  std::string out(kHandleChars, '\0');
  Base64UrlEncodeTo(View(raw.data(), raw.size()), out.data());
  return out;
}

std::optional<ReceiptRef> ReceiptCodec::Decode(std::uint64_t queue_uid,
                                               std::string_view handle) const {
  if (handle.size() != kHandleChars) return std::nullopt;
  static_assert(Base64UrlDecodedSize(kHandleChars) == kRawBytes);
  std::array<unsigned char, kRawBytes> raw;
  if (!Base64UrlDecodeTo(handle, reinterpret_cast<char*>(raw.data()))) return std::nullopt;
  const std::uint8_t version = raw[0];
  if (version != kVersion && version != kVersionHmac) return std::nullopt;
  // Only the canonical spelling is a handle: 29 bytes in 39 characters leave the last character
  // 4 data bits and 2 unused ones, which the decoder ignores, so a tampered last character could
  // decode to the same bytes. Canonical: the unused bits are zero (the character's index in the
  // alphabet is a multiple of 4).
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  static_assert(kRawBytes * 8 + 2 == kHandleChars * 6);
  if (kAlphabet.find(handle.back()) % 4 != 0) return std::nullopt;
  const ReceiptRef ref{GetBe<std::uint64_t>(raw.data() + 1), GetBe<std::uint32_t>(raw.data() + 9)};
  const Tag mac = Mac(version, queue_uid, ref.seq, ref.gen);
  if (CRYPTO_memcmp(mac.data(), raw.data() + 13, kMacBytes) != 0) return std::nullopt;
  return ref;
}

}  // namespace sluice::engine
