// Record and key encodings of the RocksDB store: round trips, key order, and decoders that
// reject every truncation and stray byte without crashing.
#include "engine/rocksdb/codec.h"

#include <gtest/gtest.h>

#include "common/aead.h"
#include "store_test_util.h"

namespace sluice::engine::rocksdb_store {
namespace {

using aead::kAeadNonceSize;
using aead::kAeadOverhead;
using aead::Open;
using aead::Seal;
using engine::testing::SampleMessage;
using engine::testing::SampleQueue;
using engine::testing::SampleTask;

TEST(CodecTest, MessageKeysSortByQueueThenSeqThenKind) {
  const auto a = MessageRecordKey({1, 2}, MessageRecordKind::kPayload);
  const auto b = MessageRecordKey({1, 2}, MessageRecordKind::kState);
  const auto c = MessageRecordKey({1, 256}, MessageRecordKind::kPayload);
  const auto d = MessageRecordKey({2, 0}, MessageRecordKind::kPayload);
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_LT(c, d);
  EXPECT_EQ(a.size(), kMessageKeySize);
  auto parsed = ParseMessageRecordKey(c);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->key.queue_key, 1u);
  EXPECT_EQ(parsed->key.seq, 256u);
  EXPECT_EQ(parsed->kind, MessageRecordKind::kPayload);
  EXPECT_FALSE(ParseMessageRecordKey("short"));
}

TEST(CodecTest, QueueRangeCoversExactlyOneQueue) {
  for (std::uint64_t q : {std::uint64_t{0}, std::uint64_t{7}, ~std::uint64_t{0}}) {
    const auto begin = QueueRangeBegin(q), end = QueueRangeEnd(q);
    EXPECT_LE(begin, MessageRecordKey({q, 0}, MessageRecordKind::kPayload));
    EXPECT_LT(MessageRecordKey({q, ~std::uint64_t{0}}, MessageRecordKind::kState), end);
    if (q != ~std::uint64_t{0}) {
      EXPECT_LE(end, MessageRecordKey({q + 1, 0}, MessageRecordKind::kPayload));
    }
  }
}

TEST(CodecTest, PayloadRoundTripsAndRejectsTruncation) {
  for (std::uint64_t seq : {1, 2}) {
    const auto m = SampleMessage(3, seq);
    const std::string enc = EncodePayloadFields(m.payload->Fields());
    EXPECT_EQ(enc, m.payload->Encoded());  // the block writes the store's encoding
    auto dec = DecodePayloadFields(enc);
    ASSERT_TRUE(dec);
    engine::testing::ExpectPayloadEq(*dec, *m.payload);
    for (std::size_t n = 0; n < enc.size(); ++n) {
      EXPECT_FALSE(DecodePayloadFields(std::string_view(enc).substr(0, n))) << n;
    }
    EXPECT_FALSE(DecodePayloadFields(enc + "x"));
  }
}

TEST(CodecTest, StateQueueTaskVersionRoundTrip) {
  MessageState s{123, -4, 99, 7, 4'000'000'000u};
  auto ds = DecodeState(EncodeState(s));
  ASSERT_TRUE(ds);
  engine::testing::ExpectStateEq(*ds, s);

  const auto q = SampleQueue(~std::uint64_t{0} - 1, "orders.fifo");
  std::string wrapped;
  auto dq = DecodeQueue(EncodeQueue(q, "wrapped-key"), &wrapped);
  ASSERT_TRUE(dq);
  engine::testing::ExpectQueueEq(*dq, q);
  EXPECT_EQ(wrapped, "wrapped-key");

  // A queue record of format 2 and older (tag 0x01, no region) decodes with an empty region: a
  // queue of the default region.
  auto no_region = q;
  no_region.id.region.clear();
  std::string old = EncodeQueue(no_region, "wrapped-key");
  ASSERT_EQ(old[0], kTagQueueV2);
  ASSERT_EQ(old.back(), '\0');  // the empty region's length
  old[0] = kTagV1;
  old.pop_back();
  auto dold = DecodeQueue(old, &wrapped);
  ASSERT_TRUE(dold);
  engine::testing::ExpectQueueEq(*dold, no_region);
  EXPECT_EQ(wrapped, "wrapped-key");
  old.push_back('\0');  // a region field in a tag-0x01 record is not of that layout
  EXPECT_FALSE(DecodeQueue(old, &wrapped));

  auto t = SampleTask("task-1");
  t.status = MoveTaskStatus::kFailed;
  t.failure_reason = "boom";
  auto dt = DecodeMoveTask(EncodeMoveTask(t));
  ASSERT_TRUE(dt);
  EXPECT_EQ(dt->task_id, t.task_id);
  EXPECT_EQ(dt->destination_arn, t.destination_arn);
  EXPECT_EQ(dt->max_per_second, t.max_per_second);
  EXPECT_EQ(dt->status, MoveTaskStatus::kFailed);
  EXPECT_EQ(dt->failure_reason, t.failure_reason);
  EXPECT_EQ(dt->moved, 3);
  EXPECT_EQ(dt->to_move, 10);

  EXPECT_EQ(DecodeFormatVersion(EncodeFormatVersion(kFormatVersion)), kFormatVersion);
  EXPECT_FALSE(DecodeFormatVersion(""));
  EXPECT_FALSE(DecodeState(""));
  EXPECT_FALSE(DecodeMoveTask(std::string(1, '\x09')));
}

TEST(CodecTest, DecodersSurviveEveryByteFlip) {
  const auto m = SampleMessage(3, 2);
  const std::string enc = m.payload->Encoded();
  for (std::size_t i = 0; i < enc.size(); ++i) {
    for (unsigned char x : {0x01, 0x80, 0xff}) {
      std::string bad = enc;
      bad[i] = static_cast<char>(bad[i] ^ x);
      (void)DecodePayloadFields(bad);  // must not crash or over-read (ASan)
      if (auto p = Payload::FromEncoded(bad)) {
        EXPECT_TRUE(DecodePayloadFields(bad));  // adopted only what decodes
        (void)p->Fields();
        EXPECT_TRUE(DecodePayloadFields(p->Encoded()));
      } else {
        EXPECT_FALSE(DecodePayloadFields(bad));
      }
    }
  }
}

TEST(CryptoTest, SealOpenAndTamper) {
  const std::string key(32, 'k');
  std::string sealed;
  ASSERT_TRUE(Seal(key, "aad", "secret body", &sealed));
  EXPECT_EQ(sealed.size(), std::string("secret body").size() + kAeadOverhead);
  EXPECT_EQ(sealed.find("secret"), std::string::npos);
  EXPECT_EQ(Open(key, "aad", sealed), "secret body");
  EXPECT_FALSE(Open(key, "other", sealed));
  EXPECT_FALSE(Open(std::string(32, 'x'), "aad", sealed));
  std::string tampered = sealed;
  tampered[kAeadNonceSize] ^= 1;
  EXPECT_FALSE(Open(key, "aad", tampered));
  std::string empty;
  ASSERT_TRUE(Seal(key, "", "", &empty));
  EXPECT_EQ(Open(key, "", empty), "");
  std::string again;
  ASSERT_TRUE(Seal(key, "aad", "secret body", &again));
  EXPECT_NE(again, sealed);  // fresh nonce every time
}

TEST(CodecTest, DedupAndCounterRecords) {
  const auto a = DedupRecordKey(7, "abc");
  const auto b = DedupRecordKey(7, std::string("\xff\xff", 2));
  EXPECT_LE(DedupRangeBegin(7), a);
  EXPECT_LT(b, DedupRangeEnd(7));
  EXPECT_LT(DedupRangeEnd(7), DedupRecordKey(8, ""));
  EXPECT_LT(DedupRecordKey(UINT64_MAX, "\xff\xff\xff"), DedupRangeEnd(UINT64_MAX));
  auto parsed = ParseDedupRecordKey(b);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->queue_key, 7u);
  EXPECT_EQ(parsed->dedup_key, std::string("\xff\xff", 2));
  EXPECT_FALSE(ParseDedupRecordKey("short"));
  EXPECT_FALSE(ParseDedupRecordKey(std::string(9, '\x01')));

  EXPECT_EQ(ParseNextSeqKey(NextSeqKey(42)), 42u);
  EXPECT_FALSE(ParseNextSeqKey(QueueMetaKey(42)));
  EXPECT_EQ(DecodeNextSeq(EncodeNextSeq(UINT64_MAX)), UINT64_MAX);
  EXPECT_FALSE(DecodeNextSeq(EncodeNextSeq(5) + "x"));

  StoredDedup d{0, "", "msg-id", 12345, -7};
  const std::string enc = EncodeDedup(d);
  auto back = DecodeDedup(enc);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->message_id, "msg-id");
  EXPECT_EQ(back->seq, 12345u);
  EXPECT_EQ(back->expires_ms, -7);
  for (std::size_t n = 0; n < enc.size(); ++n) EXPECT_FALSE(DecodeDedup(enc.substr(0, n))) << n;
  EXPECT_FALSE(DecodeDedup(enc + "x"));
}

}  // namespace
}  // namespace sluice::engine::rocksdb_store
