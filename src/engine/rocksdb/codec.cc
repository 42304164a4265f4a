#include "engine/rocksdb/codec.h"

#include <limits>

#include "engine/byte_codec.h"

namespace sluice::engine::rocksdb_store {

using bytes::PutBytes;
using bytes::PutMap;
using bytes::PutOptional;
using bytes::PutSigned;
using bytes::PutStringList;
using bytes::PutVarint;
using bytes::Reader;

void PutBigEndian64(std::string* out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint64_t GetBigEndian64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

void PutBigEndian32(std::string* out, std::uint32_t v) {
  for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint32_t GetBigEndian32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::string DataKeyRangeBegin(std::uint64_t queue_key) {
  std::string k(1, kDataKeyPrefix);
  PutBigEndian64(&k, queue_key);
  return k;
}

std::string DataKeyRangeEnd(std::uint64_t queue_key) {
  std::string k = DataKeyRangeBegin(queue_key);
  k.append(5, '\xff');  // longer than, and above, every 13-byte key of the queue
  return k;
}

std::string DataKeyRecordKey(std::uint64_t queue_key, std::uint32_t key_id) {
  std::string k = DataKeyRangeBegin(queue_key);
  PutBigEndian32(&k, key_id);
  return k;
}

std::optional<std::pair<std::uint64_t, std::uint32_t>> ParseDataKeyRecordKey(std::string_view key) {
  if (key.size() != 13 || key[0] != kDataKeyPrefix) return std::nullopt;
  return std::make_pair(GetBigEndian64(key.data() + 1), GetBigEndian32(key.data() + 9));
}

std::string EncodeDataKeyRecord(const DataKeyRecord& r) {
  std::string out;
  out.push_back(kTagV1);
  PutSigned(&out, r.created_ms);
  PutBytes(&out, r.wrapped);
  return out;
}

std::optional<DataKeyRecord> DecodeDataKeyRecord(std::string_view value) {
  Reader r(value);
  DataKeyRecord d;
  if (!r.Tag(kTagV1) || !r.Signed(&d.created_ms) || !r.Bytes(&d.wrapped) || !r.done()) {
    return std::nullopt;
  }
  return d;
}

std::string QueueMetaKey(std::uint64_t queue_key) {
  std::string k(1, kQueuePrefix);
  PutBigEndian64(&k, queue_key);
  return k;
}

std::optional<std::uint64_t> ParseQueueMetaKey(std::string_view key) {
  if (key.size() != 9 || key[0] != kQueuePrefix) return std::nullopt;
  return GetBigEndian64(key.data() + 1);
}

std::string MessageIdBytes(MessageKey key) {
  std::string k;
  k.reserve(16);
  PutBigEndian64(&k, key.queue_key);
  PutBigEndian64(&k, key.seq);
  return k;
}

std::string MessageRecordKey(MessageKey key, MessageRecordKind kind) {
  std::string k = MessageIdBytes(key);
  k.push_back(static_cast<char>(kind));
  return k;
}

std::optional<ParsedMessageKey> ParseMessageRecordKey(std::string_view key) {
  if (key.size() != kMessageKeySize) return std::nullopt;
  const char kind = key[16];
  if (kind != static_cast<char>(MessageRecordKind::kPayload) &&
      kind != static_cast<char>(MessageRecordKind::kState)) {
    return std::nullopt;
  }
  return ParsedMessageKey{{GetBigEndian64(key.data()), GetBigEndian64(key.data() + 8)},
                          static_cast<MessageRecordKind>(kind)};
}

std::string QueueRangeBegin(std::uint64_t queue_key) {
  std::string k;
  PutBigEndian64(&k, queue_key);
  return k;
}

std::string QueueRangeEnd(std::uint64_t queue_key) {
  // Longer than any message key of the queue and greater than all of them; works for the
  // largest queue key too, where queue_key + 1 would wrap.
  std::string k = QueueRangeBegin(queue_key);
  k.append(kMessageKeySize - 8 + 1, '\xff');
  return k;
}

std::string NextSeqKey(std::uint64_t queue_key) {
  std::string k(1, kNextSeqPrefix);
  PutBigEndian64(&k, queue_key);
  return k;
}

std::optional<std::uint64_t> ParseNextSeqKey(std::string_view key) {
  if (key.size() != 9 || key[0] != kNextSeqPrefix) return std::nullopt;
  return GetBigEndian64(key.data() + 1);
}

std::string DedupRangeBegin(std::uint64_t queue_key) {
  std::string k = QueueRangeBegin(queue_key);
  k.push_back('\x00');
  return k;
}

std::string DedupRangeEnd(std::uint64_t queue_key) {
  std::string k = QueueRangeBegin(queue_key);
  k.push_back('\x01');
  return k;
}

std::string DedupRecordKey(std::uint64_t queue_key, std::string_view dedup_key) {
  std::string k = DedupRangeBegin(queue_key);
  k.append(dedup_key);
  return k;
}

std::optional<ParsedDedupKey> ParseDedupRecordKey(std::string_view key) {
  if (key.size() < 9 || key[8] != '\x00') return std::nullopt;
  return ParsedDedupKey{GetBigEndian64(key.data()), key.substr(9)};
}

std::string EncodeFormatVersion(std::uint32_t version) {
  std::string v;
  v.push_back(kTagV1);
  PutVarint(&v, version);
  return v;
}

std::optional<std::uint32_t> DecodeFormatVersion(std::string_view value) {
  Reader r(value);
  std::uint32_t v = 0;
  if (!r.Tag(kTagV1) || !r.Uint32(&v) || !r.done()) return std::nullopt;
  return v;
}

std::string EncodeState(const MessageState& s) {
  std::string out;
  out.push_back(kTagV1);
  PutSigned(&out, s.visible_at);
  PutSigned(&out, s.first_receive_ms);
  PutSigned(&out, s.last_receive_ms);
  PutSigned(&out, s.receive_count);
  PutVarint(&out, s.receive_gen);
  return out;
}

std::optional<MessageState> DecodeState(std::string_view value) {
  Reader r(value);
  MessageState s;
  if (!r.Tag(kTagV1) || !r.Signed(&s.visible_at) || !r.Signed(&s.first_receive_ms) ||
      !r.Signed(&s.last_receive_ms) || !r.Int32(&s.receive_count) || !r.Uint32(&s.receive_gen) ||
      !r.done()) {
    return std::nullopt;
  }
  return s;
}

std::string EncodeQueue(const StoredQueue& q, std::string_view wrapped_data_key) {
  std::string out;
  out.push_back(kTagQueueV2);
  PutVarint(&out, q.key);
  PutBytes(&out, q.id.account);
  PutBytes(&out, q.id.name);
  PutMap(&out, q.attributes);
  PutMap(&out, q.tags);
  PutSigned(&out, q.created_ms);
  PutSigned(&out, q.modified_ms);
  PutSigned(&out, q.purged_ms);
  PutBytes(&out, wrapped_data_key);
  PutBytes(&out, q.id.region);
  return out;
}

std::optional<StoredQueue> DecodeQueue(std::string_view value, std::string* wrapped_data_key) {
  if (value.empty() || (value[0] != kTagV1 && value[0] != kTagQueueV2)) return std::nullopt;
  const bool with_region = value[0] == kTagQueueV2;
  Reader r(value.substr(1));
  StoredQueue q;
  if (!r.Varint(&q.key) || !r.Bytes(&q.id.account) || !r.Bytes(&q.id.name) ||
      !r.Map(&q.attributes) || !r.Map(&q.tags) || !r.Signed(&q.created_ms) ||
      !r.Signed(&q.modified_ms) || !r.Signed(&q.purged_ms) || !r.Bytes(wrapped_data_key) ||
      (with_region && !r.Bytes(&q.id.region)) || !r.done()) {
    return std::nullopt;
  }
  return q;
}

std::string EncodeNextSeq(std::uint64_t next_seq) {
  std::string v;
  v.push_back(kTagV1);
  PutVarint(&v, next_seq);
  return v;
}

std::optional<std::uint64_t> DecodeNextSeq(std::string_view value) {
  Reader r(value);
  std::uint64_t v = 0;
  if (!r.Tag(kTagV1) || !r.Varint(&v) || !r.done()) return std::nullopt;
  return v;
}

std::string EncodeDedup(const StoredDedup& d) {
  std::string out;
  out.push_back(kTagV1);
  PutBytes(&out, d.message_id);
  PutVarint(&out, d.seq);
  PutSigned(&out, d.expires_ms);
  return out;
}

std::optional<StoredDedup> DecodeDedup(std::string_view value) {
  Reader r(value);
  StoredDedup d;
  if (!r.Tag(kTagV1) || !r.Bytes(&d.message_id) || !r.Varint(&d.seq) || !r.Signed(&d.expires_ms) ||
      !r.done()) {
    return std::nullopt;
  }
  return d;
}

std::string EncodeMoveTask(const StoredMoveTask& t) {
  std::string out;
  out.push_back(kTagV1);
  PutBytes(&out, t.task_id);
  PutBytes(&out, t.source_arn);
  PutOptional(&out, t.destination_arn);
  out.push_back(t.max_per_second ? 1 : 0);
  if (t.max_per_second) PutSigned(&out, *t.max_per_second);
  PutVarint(&out, static_cast<std::uint64_t>(t.status));
  PutSigned(&out, t.moved);
  PutSigned(&out, t.to_move);
  PutOptional(&out, t.failure_reason);
  PutSigned(&out, t.started_ms);
  return out;
}

std::optional<StoredMoveTask> DecodeMoveTask(std::string_view value) {
  Reader r(value);
  StoredMoveTask t;
  bool has_rate = false;
  if (!r.Tag(kTagV1) || !r.Bytes(&t.task_id) || !r.Bytes(&t.source_arn) ||
      !r.Optional(&t.destination_arn) || !r.Bool(&has_rate)) {
    return std::nullopt;
  }
  if (has_rate) {
    std::int32_t rate = 0;
    if (!r.Int32(&rate)) return std::nullopt;
    t.max_per_second = rate;
  }
  std::uint64_t status = 0;
  if (!r.Varint(&status) || status > static_cast<std::uint64_t>(MoveTaskStatus::kFailed)) {
    return std::nullopt;
  }
  t.status = static_cast<MoveTaskStatus>(status);
  if (!r.Signed(&t.moved) || !r.Signed(&t.to_move) || !r.Optional(&t.failure_reason) ||
      !r.Signed(&t.started_ms) || !r.done()) {
    return std::nullopt;
  }
  return t;
}

}  // namespace sluice::engine::rocksdb_store
