#include "engine/receipt_handle.h"

#include <openssl/crypto.h>
#include <sodium/crypto_auth_hmacsha256.h>
#include <sodium/crypto_hash_sha256.h>
#include <sodium/crypto_shorthash_siphash24.h>

#include <array>
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

void PutBe(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
}

std::uint64_t GetBe(std::string_view in, std::size_t pos, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<std::uint8_t>(in[pos + i]);
  return v;
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
  for (int i = 0; i < 8; ++i) msg[1 + i] = static_cast<unsigned char>(queue_uid >> (56 - 8 * i));
  for (int i = 0; i < 8; ++i) msg[9 + i] = static_cast<unsigned char>(seq >> (56 - 8 * i));
  for (int i = 0; i < 4; ++i) msg[17 + i] = static_cast<unsigned char>(gen >> (24 - 8 * i));
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

std::string ReceiptCodec::Encode(std::uint64_t queue_uid, ReceiptRef ref) const {
  std::string raw;
  raw.reserve(kRawBytes);
  raw.push_back(static_cast<char>(kVersion));
  PutBe(raw, ref.seq, 8);
  PutBe(raw, ref.gen, 4);
  const Tag tag = Mac(kVersion, queue_uid, ref.seq, ref.gen);
  raw.append(reinterpret_cast<const char*>(tag.data()), tag.size());
  return Base64UrlEncode(raw);
}

std::optional<ReceiptRef> ReceiptCodec::Decode(std::uint64_t queue_uid,
                                               std::string_view handle) const {
  if (handle.size() != (kRawBytes * 4 + 2) / 3) return std::nullopt;
  auto raw = Base64UrlDecode(handle);
  if (!raw || raw->size() != kRawBytes) return std::nullopt;
  const auto version = static_cast<std::uint8_t>((*raw)[0]);
  if (version != kVersion && version != kVersionHmac) return std::nullopt;
  // Only the canonical spelling is a handle: 29 bytes in 39 characters leave the last character
  // 4 data bits and 2 unused ones, which the decoder ignores, so a tampered last character could
  // decode to the same bytes. Canonical: the unused bits are zero (the character's index in the
  // alphabet is a multiple of 4).
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  static_assert(kRawBytes * 8 + 2 == (kRawBytes * 4 + 2) / 3 * 6);
  if (kAlphabet.find(handle.back()) % 4 != 0) return std::nullopt;
  ReceiptRef ref{GetBe(*raw, 1, 8), static_cast<std::uint32_t>(GetBe(*raw, 9, 4))};
  const Tag mac = Mac(version, queue_uid, ref.seq, ref.gen);
  if (CRYPTO_memcmp(mac.data(), raw->data() + 13, kMacBytes) != 0) return std::nullopt;
  return ref;
}

}  // namespace sluice::engine
