// Byte encodings of the RocksDB store: keys and record values. Pure functions, no I/O, so they
// can be tested and fuzzed alone. The format is documented in docs/storage-format.md; any change
// here that old binaries cannot read must bump kFormatVersion.
//
// Decoders never trust their input: a truncated, oversized or unknown record yields false /
// nullopt, never a crash or an out-of-bounds read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "engine/payload.h"
#include "engine/store.h"

namespace sluice::engine::rocksdb_store {

// Version of the on-disk format as a whole, stamped in the meta column family.
// 2: payloads sealed with a key id (kTagSealedV2) and rotated data keys ('k' records).
// 3: queue records with a region (kTagQueueV2).
// 4: payload fields with the message id and MD5 packed as 16 bytes (engine/payload.cc).
// Older directories are upgraded in place on open (the stamp alone): every record of a version
// is a valid record of the next (a queue record without a region is a queue of the default
// region; the engine then rewrites it with it; text ids and MD5s are still read).
inline constexpr std::uint32_t kFormatVersion = 4;

// ---- keys --------------------------------------------------------------------------------------
// meta CF.
inline constexpr std::string_view kFormatVersionKey = "format_version";
inline constexpr std::string_view kReceiptSecretKey = "receipt_secret";
inline constexpr std::string_view kKeyCheckKey = "master_key_check";
inline constexpr char kQueuePrefix = 'q';    // 'q' + BE64(queue_key)
inline constexpr char kNextSeqPrefix = 'n';  // 'n' + BE64(queue_key): the sequence counter
inline constexpr char kDataKeyPrefix = 'k';  // 'k' + BE64(queue_key) + BE32(key id): data key

// messages CF: BE64(queue_key) BE64(seq) kind. The payload sorts before the state.
enum class MessageRecordKind : char { kPayload = 'P', kState = 'S' };
inline constexpr std::size_t kMessageKeySize = 17;

void PutBigEndian64(std::string* out, std::uint64_t v);
std::uint64_t GetBigEndian64(const char* p);
void PutBigEndian32(std::string* out, std::uint32_t v);
std::uint32_t GetBigEndian32(const char* p);

std::string QueueMetaKey(std::uint64_t queue_key);
std::optional<std::uint64_t> ParseQueueMetaKey(std::string_view key);

std::string MessageRecordKey(MessageKey key, MessageRecordKind kind);
// The 16 bytes naming a message (queue key, seq); the AAD of its sealed payload.
std::string MessageIdBytes(MessageKey key);
struct ParsedMessageKey {
  MessageKey key;
  MessageRecordKind kind;
};
std::optional<ParsedMessageKey> ParseMessageRecordKey(std::string_view key);
// [QueuePrefixBegin(q), QueuePrefixEnd(q)) covers every record of queue q.
std::string QueueRangeBegin(std::uint64_t queue_key);
std::string QueueRangeEnd(std::uint64_t queue_key);

// A queue's data keys after the first (which its queue record holds, as key id 0).
std::string DataKeyRecordKey(std::uint64_t queue_key, std::uint32_t key_id);
std::optional<std::pair<std::uint64_t, std::uint32_t>> ParseDataKeyRecordKey(std::string_view key);
std::string DataKeyRangeBegin(std::uint64_t queue_key);
std::string DataKeyRangeEnd(std::uint64_t queue_key);

std::string NextSeqKey(std::uint64_t queue_key);
std::optional<std::uint64_t> ParseNextSeqKey(std::string_view key);

// dedup CF: BE64(queue_key) 0x00 dedup-key bytes. [DedupRangeBegin(q), DedupRangeEnd(q)) covers
// every entry of queue q, whatever bytes the dedup keys hold.
std::string DedupRecordKey(std::uint64_t queue_key, std::string_view dedup_key);
struct ParsedDedupKey {
  std::uint64_t queue_key = 0;
  std::string_view dedup_key;  // points into the parsed key
};
std::optional<ParsedDedupKey> ParseDedupRecordKey(std::string_view key);
std::string DedupRangeBegin(std::uint64_t queue_key);
std::string DedupRangeEnd(std::uint64_t queue_key);

// ---- values ------------------------------------------------------------------------------------
// Every value starts with a one-byte tag naming its layout; unknown tags fail to decode.
inline constexpr char kTagV1 = 0x01;        // plain record, layout version 1
inline constexpr char kTagSealedV1 = 0x02;  // payload only: AES-256-GCM sealed v1 payload
// Payload only (format 2): BE32(key id), then the AES-256-GCM sealed v1 payload under that key.
inline constexpr char kTagSealedV2 = 0x03;
// Queue record only (format 3): the v1 queue fields, then bytes region.
inline constexpr char kTagQueueV2 = 0x02;

std::string EncodeFormatVersion(std::uint32_t version);
std::optional<std::uint32_t> DecodeFormatVersion(std::string_view value);

// Payload body of a message (without the leading tag): engine/payload.h.
using engine::DecodePayloadFields;
using engine::DecodePayloadIndexFields;
using engine::EncodePayloadFields;
using engine::PayloadIndexFields;

std::string EncodeState(const MessageState& state);
std::optional<MessageState> DecodeState(std::string_view value);

// `wrapped_data_key` is empty when the queue is not encrypted. Written as kTagQueueV2 (with the
// region); a kTagV1 record (format 2 and older) decodes with an empty region.
std::string EncodeQueue(const StoredQueue& queue, std::string_view wrapped_data_key);
std::optional<StoredQueue> DecodeQueue(std::string_view value, std::string* wrapped_data_key);

// A rotated data key: when it was created and its wrapped (master-key sealed) bytes.
struct DataKeyRecord {
  std::int64_t created_ms = 0;
  std::string wrapped;
};
std::string EncodeDataKeyRecord(const DataKeyRecord& record);
std::optional<DataKeyRecord> DecodeDataKeyRecord(std::string_view value);

std::string EncodeNextSeq(std::uint64_t next_seq);
std::optional<std::uint64_t> DecodeNextSeq(std::string_view value);

// The entry without queue_key and key (they are in the record key).
std::string EncodeDedup(const StoredDedup& dedup);
std::optional<StoredDedup> DecodeDedup(std::string_view value);

std::string EncodeMoveTask(const StoredMoveTask& task);
std::optional<StoredMoveTask> DecodeMoveTask(std::string_view value);

}  // namespace sluice::engine::rocksdb_store
