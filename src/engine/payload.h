// Payload: the immutable part of a message (body, attributes, ids; written once at send or DLQ
// move) as the engine keeps it in memory: one allocation with a reference count, the send time,
// a shared sender id and the fields at fixed places (the message id and the body's MD5 as their
// 16 bytes, then the group id, the body, and the rarer fields in the store's encoding).
//
// A 256-byte message with no attributes costs 320 bytes here (a 32-byte header, the two 16-byte
// ids, the body: jemalloc's 320 size class exactly), where the store's encoding held in the block
// cost 352 (its 384 class) and a struct of five heap strings with a shared_ptr control block
// about 690. The store writes the "payload fields" of docs/storage-format.md, made by Encoded()
// and read back by FromEncoded; receives decode the fields they return (they copy them into the
// response anyway).
#pragma once

#include <array>
#include <atomic>
#include <boost/smart_ptr/intrusive_ptr.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/types.h"

namespace sluice::engine {

// The fields of a payload, decoded: what a send builds and a receive returns.
struct MessagePayload {
  std::string message_id;
  std::string body;
  std::string md5_of_body;
  MessageAttributes attributes;
  std::string sender_id;
  Millis sent_ms = 0;
  std::optional<std::string> trace_header;
  std::optional<std::string> group_id;
  std::optional<std::string> dedup_id;
  std::optional<std::string> dead_letter_source_arn;
};

// The payload of a message accepted now from `req`, whose fields are moved out: a new message id,
// the body's MD5 (`md5`, computed by the caller, which also answers it) and the send time.
MessagePayload AcceptedPayload(SendRequest& req, std::string md5, Millis now);

class Payload;
using PayloadPtr = boost::intrusive_ptr<const Payload>;

// A message id (UUID) or an MD5 digest as its 16 bytes.
using Bytes16 = std::array<unsigned char, 16>;
Bytes16 Md5Digest(std::string_view body);  // the body's MD5 (OpenSSL)
std::string HexText(const Bytes16& b);     // 32 lower-case hex digits (the MD5's text)

// A sender id shared by the payloads of one sender (interned per thread; see payload.cc).
struct SenderId;

class Payload {
 public:
  // A message accepted now from `req` (read, not moved): a new message id, whose text goes to
  // `*message_id`, the body's MD5 digest `md5` (its text is HexText(md5)) and the send time.
  static PayloadPtr Accept(const SendRequest& req, const Bytes16& md5, Millis now,
                           std::string* message_id);
  // Encodes `fields` into a new block.
  static PayloadPtr Make(const MessagePayload& fields);
  // Adopts encoded fields (read from a store) when they decode; null otherwise.
  static PayloadPtr FromEncoded(std::string_view encoded);

  Payload(const Payload&) = delete;
  Payload& operator=(const Payload&) = delete;

  // The fields in the store's encoding (EncodePayloadFields' output, byte for byte).
  std::string Encoded() const;
  std::string message_id() const;
  std::string_view body() const;
  std::string md5_of_body() const;
  Millis sent_ms() const { return sent_ms_; }
  std::optional<std::string_view> group_id() const;
  std::optional<std::string> dead_letter_source_arn() const;
  // Every field, decoded.
  MessagePayload Fields() const;
  // The fields a receive returns, decoded into `m` (ids, body, MD5, attributes, sender, sent
  // time, trace header, group, deduplication id, dead-letter source).
  void DecodeInto(ReceivedMessage* m) const;
  // Heap bytes of the block (for caches bounded by bytes).
  std::size_t bytes() const { return sizeof(Payload) + size_; }

 private:
  struct Parts;
  friend void intrusive_ptr_add_ref(const Payload* p) {
    p->refs_.fetch_add(1, std::memory_order_relaxed);
  }
  friend void intrusive_ptr_release(const Payload* p) {
    if (p->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) Destroy(p);
  }
  static PayloadPtr Build(const Parts& parts);
  static void Destroy(const Payload* p);
  Payload() = default;
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }
  char* data() { return reinterpret_cast<char*>(this + 1); }
  // Offset of the body in data() (after the ids and the group).
  std::size_t body_offset() const;
  std::string_view sender() const;

  mutable std::atomic<std::uint32_t> refs_{0};
  std::uint32_t size_ = 0;       // bytes that follow the object
  std::uint32_t body_size_ = 0;  // body bytes
  std::uint8_t flags_ = 0;       // which optional parts are present (payload.cc)
  Millis sent_ms_ = 0;
  const SenderId* sender_ = nullptr;  // one reference; null: empty sender id
};

// The fields' byte encoding (docs/storage-format.md). Decoders never trust their input: a
// truncated, oversized or unknown record yields nullopt, never a crash or an out-of-bounds read.
std::string EncodePayloadFields(const MessagePayload& payload);
std::optional<MessagePayload> DecodePayloadFields(std::string_view in);
// Only what the engine's index needs (recovery): decodes iff DecodePayloadFields would, without
// copying the body or the attributes.
struct PayloadIndexFields {
  std::uint64_t body_size = 0;
  Millis sent_ms = 0;
  std::optional<std::string> group_id;
};
std::optional<PayloadIndexFields> DecodePayloadIndexFields(std::string_view in);

}  // namespace sluice::engine
