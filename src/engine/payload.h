// Payload: the immutable part of a message (body, attributes, ids; written once at send or DLQ
// move) as the engine keeps it in memory: one allocation holding the fields in their byte encoding
// (the "payload fields" of docs/storage-format.md, which the embedded store writes as they are),
// with a reference count and the offsets of the fields that the index reads.
//
// One block instead of a struct of strings: a 256-byte message costs 352 bytes here (the message
// id and MD5 packed as 16 bytes each), where the struct with its five heap strings and shared_ptr
// control block cost about 690. Receives
// decode the fields they return (they copy them into the response anyway).
#pragma once

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

class Payload {
 public:
  // Encodes `fields` into a new block.
  static PayloadPtr Make(const MessagePayload& fields);
  // Adopts encoded fields (read from a store) when they decode; null otherwise.
  static PayloadPtr FromEncoded(std::string_view encoded);

  Payload(const Payload&) = delete;
  Payload& operator=(const Payload&) = delete;

  // The encoded fields (EncodePayloadFields' output).
  std::string_view encoded() const { return {data(), size_}; }
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
  friend void intrusive_ptr_add_ref(const Payload* p) {
    p->refs_.fetch_add(1, std::memory_order_relaxed);
  }
  friend void intrusive_ptr_release(const Payload* p) {
    if (p->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) Destroy(p);
  }
  static PayloadPtr Adopt(std::string_view encoded, Millis sent_ms, std::uint32_t group_offset,
                          std::uint32_t group_size);
  static void Destroy(const Payload* p);
  Payload() = default;
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }

  mutable std::atomic<std::uint32_t> refs_{0};
  std::uint32_t size_ = 0;  // encoded bytes, which follow the object
  Millis sent_ms_ = 0;
  std::uint32_t group_offset_ = 0;  // 0: no MessageGroupId (the fields never start with it)
  std::uint32_t group_size_ = 0;
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
