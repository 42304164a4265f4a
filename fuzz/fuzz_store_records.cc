// Fuzzes the embedded store's record decoders (engine/rocksdb/codec.h) and the in-memory payload
// block (engine/payload.h), which adopts the store's payload encoding as it is. Input: one record
// value. Checks: a payload block is adopted exactly when the fields decode and shows the same
// fields, and every record that decodes re-encodes to bytes that decode to the same encoding
// (input varints may be overlong, so the input itself need not come back).
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/payload.h"
#include "engine/rocksdb/codec.h"
#include "fuzz/fuzz_util.h"

using namespace sluice::engine;
using namespace sluice::engine::rocksdb_store;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = sluice::fuzz::AsText(data, size);

  auto fields = DecodePayloadFields(in);
  auto index = DecodePayloadIndexFields(in);
  const PayloadPtr block = Payload::FromEncoded(in);
  FUZZ_CHECK(fields.has_value() == index.has_value());
  FUZZ_CHECK(fields.has_value() == (block != nullptr));
  if (fields) {
    const std::string canonical = EncodePayloadFields(*fields);  // varints may be overlong in `in`
    auto again = DecodePayloadFields(canonical);
    FUZZ_CHECK(again.has_value() && EncodePayloadFields(*again) == canonical);
    FUZZ_CHECK(block->body() == fields->body);
    FUZZ_CHECK(block->message_id() == fields->message_id);
    FUZZ_CHECK(block->md5_of_body() == fields->md5_of_body);
    FUZZ_CHECK(block->sent_ms() == fields->sent_ms && index->sent_ms == fields->sent_ms);
    FUZZ_CHECK(block->group_id() == fields->group_id && index->group_id == fields->group_id);
    FUZZ_CHECK(index->body_size == fields->body.size());
    FUZZ_CHECK(Payload::Make(*fields)->Encoded() == canonical);
    // The block's own encoding (attributes kept as read) decodes to the same fields.
    auto from_block = DecodePayloadFields(block->Encoded());
    FUZZ_CHECK(from_block.has_value() && EncodePayloadFields(*from_block) == canonical);
  }

  if (auto s = DecodeState(in)) {
    const std::string again = EncodeState(*s);
    auto back = DecodeState(again);
    FUZZ_CHECK(back.has_value() && EncodeState(*back) == again);
  }
  std::string wrapped;
  if (auto q = DecodeQueue(in, &wrapped)) {
    const std::string again = EncodeQueue(*q, wrapped);
    std::string wrapped2;
    auto back = DecodeQueue(again, &wrapped2);
    FUZZ_CHECK(back.has_value() && wrapped2 == wrapped);
    FUZZ_CHECK(EncodeQueue(*back, wrapped2) == again);
  }
  if (auto d = DecodeDedup(in)) {
    const std::string again = EncodeDedup(*d);
    auto back = DecodeDedup(again);
    FUZZ_CHECK(back.has_value() && EncodeDedup(*back) == again);
  }
  if (auto t = DecodeMoveTask(in)) {
    const std::string again = EncodeMoveTask(*t);
    auto back = DecodeMoveTask(again);
    FUZZ_CHECK(back.has_value() && EncodeMoveTask(*back) == again);
  }
  if (auto k = DecodeDataKeyRecord(in)) {
    const std::string again = EncodeDataKeyRecord(*k);
    auto back = DecodeDataKeyRecord(again);
    FUZZ_CHECK(back.has_value() && EncodeDataKeyRecord(*back) == again);
  }
  (void)DecodeNextSeq(in);
  (void)DecodeFormatVersion(in);
  return 0;
}
