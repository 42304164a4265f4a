// Receipt handles: opaque, unforgeable tokens naming one receive of one message of one queue
// incarnation. Layout before base64url (no padding): version(1) | seq(8, BE) | gen(4, BE) |
// HMAC-SHA256(secret, version|queue_uid|seq|gen) truncated to 16 bytes. The queue uid is not in
// the token but in the MAC, so a handle used on another queue (or a re-created queue of the same
// name) fails verification. Thread-safe after construction.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::engine {

struct ReceiptRef {
  std::uint64_t seq = 0;  // message sequence within the queue
  std::uint32_t gen = 0;  // receive generation of that message
};

class ReceiptCodec {
 public:
  // `secret` of any length; an empty one is replaced by 32 random bytes.
  explicit ReceiptCodec(std::string secret);
  ~ReceiptCodec();
  ReceiptCodec(const ReceiptCodec&) = delete;
  ReceiptCodec& operator=(const ReceiptCodec&) = delete;
  std::string Encode(std::uint64_t queue_uid, ReceiptRef ref) const;
  // nullopt when malformed or the MAC does not verify for this queue.
  std::optional<ReceiptRef> Decode(std::uint64_t queue_uid, std::string_view handle) const;

 private:
  using Tag = std::array<unsigned char, 16>;
  Tag Mac(std::uint8_t version, std::uint64_t queue_uid, std::uint64_t seq,
          std::uint32_t gen) const;
  // Version 2: SipHash-2-4 with a key derived from the secret. Version 1 (still accepted):
  // HMAC-SHA256 with the key schedule precomputed: SHA-256 states after absorbing key^ipad and
  // key^opad (OpenSSL's one-shot HMAC() re-fetches and re-keys on every call, ~4 us).
  struct Midstates;
  std::unique_ptr<Midstates> mid_;
};

}  // namespace sluice::engine
