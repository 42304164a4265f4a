#include "engine/payload.h"

#include <gtest/gtest.h>

#include "engine/payload_codec.h"

#include <thread>
#include <vector>

namespace sluice::engine {
namespace {

MessagePayload Sample(bool with_group) {
  MessagePayload p;
  p.message_id = "6f1c2a3e-0d4b-4c5e-9f60-718293a4b5c6";
  p.body = std::string(300, 'b') + "\xe2\x82\xac";
  p.md5_of_body = "0123456789abcdef0123456789abcdef";
  MessageAttribute a;
  a.name = "kind";
  a.data_type = "String";
  a.value = "order";
  p.attributes = {a};
  p.sender_id = "AIDAEXAMPLE";
  p.sent_ms = 1'700'000'000'123;
  if (with_group) {
    p.group_id = "group-7";
    p.dedup_id = "dedup-7";
    p.trace_header = "Root=1-abc";
    p.dead_letter_source_arn = "arn:aws:sqs:us-east-1:000000000000:src";
  }
  return p;
}

TEST(PayloadTest, KeepsEveryFieldInOneBlock) {
  for (bool group : {false, true}) {
    const MessagePayload fields = Sample(group);
    const PayloadPtr p = Payload::Make(fields);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->Encoded(), EncodePayloadFields(fields));
    EXPECT_EQ(p->message_id(), fields.message_id);
    EXPECT_EQ(p->body(), fields.body);
    EXPECT_EQ(p->md5_of_body(), fields.md5_of_body);
    EXPECT_EQ(p->sent_ms(), fields.sent_ms);
    EXPECT_EQ(p->group_id().has_value(), group);
    if (group) {
      EXPECT_EQ(*p->group_id(), "group-7");
    }
    EXPECT_EQ(p->dead_letter_source_arn(), fields.dead_letter_source_arn);
    // Held without the sender id and with the send time in the header.
    EXPECT_LT(p->bytes(), sizeof(Payload) + p->Encoded().size());

    const MessagePayload back = p->Fields();
    EXPECT_EQ(back.body, fields.body);
    EXPECT_EQ(back.dedup_id, fields.dedup_id);
    EXPECT_EQ(back.trace_header, fields.trace_header);
    ASSERT_EQ(back.attributes.size(), 1u);
    EXPECT_EQ(back.attributes[0].value, "order");

    ReceivedMessage m;
    p->DecodeInto(&m);
    EXPECT_EQ(m.message_id, fields.message_id);
    EXPECT_EQ(m.body, fields.body);
    EXPECT_EQ(m.sent_timestamp, fields.sent_ms);
    EXPECT_EQ(m.group_id, fields.group_id);
    EXPECT_EQ(m.dead_letter_source_arn, fields.dead_letter_source_arn);
  }
}

// Format 4 packs a canonical message id and MD5 into 16 bytes each; anything else stays text,
// and the text form formats 1 to 3 wrote still reads back the same.
TEST(PayloadTest, PacksCanonicalIdsAndMd5sAndReadsTextOnes) {
  MessagePayload fields = Sample(false);
  const std::string packed = EncodePayloadFields(fields);
  // id and MD5: 16 bytes each instead of 36 and 32 (upper case does not pack: same lengths).
  EXPECT_EQ(packed[0], 16);
  MessagePayload upper = fields;
  upper.message_id = "6F1C2A3E-0D4B-4C5E-9F60-718293A4B5C6";
  upper.md5_of_body = "0123456789ABCDEF0123456789ABCDEF";
  EXPECT_EQ(EncodePayloadFields(upper).size(), packed.size() + 20 + 16);
  auto back = DecodePayloadFields(packed);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->message_id, fields.message_id);
  EXPECT_EQ(back->md5_of_body, fields.md5_of_body);
  EXPECT_EQ(Payload::FromEncoded(packed)->message_id(), fields.message_id);
  EXPECT_EQ(Payload::FromEncoded(packed)->md5_of_body(), fields.md5_of_body);

  // The text form (as format 3 wrote it): same fields.
  std::string text;
  text.push_back(36);
  text += fields.message_id;
  text += packed.substr(17, packed.size() - 17);  // body onwards, MD5 still packed
  back = DecodePayloadFields(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->message_id, fields.message_id);
  EXPECT_EQ(back->md5_of_body, fields.md5_of_body);

  // Not canonical (upper case, short, not hex, dashes misplaced): kept as text.
  for (const std::string id :
       {"6F1C2A3E-0D4B-4C5E-9F60-718293A4B5C6", "m1", "6f1c2a3e0d4b4c5e9f60718293a4b5c6----",
        "6f1c2a3e-0d4b-4c5e-9f60-718293a4b5cg", "6f1c2a3e0-d4b-4c5e-9f60-718293a4b5c6"}) {
    MessagePayload odd = fields;
    odd.message_id = id;
    odd.md5_of_body = "0123456789ABCDEF0123456789ABCDEF";
    auto again = DecodePayloadFields(EncodePayloadFields(odd));
    ASSERT_TRUE(again) << id;
    EXPECT_EQ(again->message_id, id);
    EXPECT_EQ(again->md5_of_body, odd.md5_of_body);
  }
}

TEST(PayloadTest, FromEncodedAdoptsExactlyWhatDecodes) {
  const std::string enc = EncodePayloadFields(Sample(true));
  const PayloadPtr p = Payload::FromEncoded(enc);
  ASSERT_TRUE(p);
  EXPECT_EQ(*p->group_id(), "group-7");
  EXPECT_EQ(p->sent_ms(), 1'700'000'000'123);
  for (std::size_t n = 0; n < enc.size(); ++n) {
    EXPECT_FALSE(Payload::FromEncoded(std::string_view(enc).substr(0, n))) << n;
  }
  EXPECT_FALSE(Payload::FromEncoded(enc + "x"));
}

// The message a benchmark sends (256-byte body, no attributes) fills jemalloc's 320-byte size
// class exactly: the header, the two 16-byte ids and the body.
TEST(PayloadTest, AcceptedMessageOf256BytesTakes320) {
  SendRequest req;
  req.body = std::string(256, 'x');
  req.sender_id = "AIDAIT2UOQQY3AUEKVGXU";
  const Bytes16 md5 = Md5Digest(req.body);
  std::string id;
  const PayloadPtr p = Payload::Accept(req, md5, 1'700'000'000'123, &id);
  EXPECT_EQ(sizeof(Payload), 32u);
  EXPECT_EQ(p->bytes(), 320u);
  EXPECT_EQ(p->message_id(), id);
  EXPECT_EQ(id.size(), 36u);
  EXPECT_EQ(id[14], '4');
  EXPECT_EQ(p->md5_of_body(), HexText(md5));
  EXPECT_EQ(p->body(), req.body);
  EXPECT_EQ(req.body.size(), 256u);  // read, not moved
  EXPECT_FALSE(p->group_id());
  ReceivedMessage m;
  p->DecodeInto(&m);
  EXPECT_EQ(m.sender_id, "AIDAIT2UOQQY3AUEKVGXU");
  EXPECT_EQ(m.sent_timestamp, 1'700'000'000'123);
  EXPECT_TRUE(m.attributes.empty());
  EXPECT_FALSE(m.trace_header || m.dedup_id || m.dead_letter_source_arn || m.group_id);
}

TEST(PayloadTest, Md5DigestAndItsText) {
  EXPECT_EQ(HexText(Md5Digest("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(HexText(Md5Digest("hello")), "5d41402abc4b2a76b9719d911017c592");
}

// Every byte value in every position of a packed id or MD5 comes back as the same hex text.
TEST(PayloadTest, HexTextOfEveryByteInEveryPosition) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int b = 0; b < 256; ++b) {
    for (std::size_t at = 0; at < payload_codec::kPacked; ++at) {
      Bytes16 bytes{};
      bytes[at] = static_cast<unsigned char>(b);
      std::string md5(32, '0');
      md5[2 * at] = kHex[b >> 4];
      md5[2 * at + 1] = kHex[b & 15];
      ASSERT_EQ(HexText(bytes), md5) << b << " at " << at;
      std::string uuid = md5;
      for (std::size_t dash : {8, 13, 18, 23}) uuid.insert(dash, "-");
      const std::string_view packed(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      ASSERT_EQ(payload_codec::UnpackHex(packed, /*uuid=*/true), uuid) << b << " at " << at;
      payload_codec::Packed again;
      ASSERT_TRUE(payload_codec::PackHex(uuid, /*uuid=*/true, &again));
      EXPECT_EQ(std::string_view(again.data(), again.size()), packed);
    }
  }
  EXPECT_EQ(payload_codec::UnpackHex("\x01\xfe", false), "01fe");  // not 16 bytes: the long way
}

// Every field a send can carry comes back from the block, and the store's encoding of it is what
// EncodePayloadFields writes of the same fields.
TEST(PayloadTest, AcceptKeepsEveryFieldOfTheRequest) {
  SendRequest req;
  req.body = "body";
  MessageAttribute a;
  a.name = "n";
  a.data_type = "Binary";
  a.binary = true;
  a.value = std::string("\0\1", 2);
  req.attributes = {a};
  req.trace_header = "Root=1-2";
  req.group_id = "g";
  req.dedup_id = "d";
  req.sender_id = "AIDAX";
  std::string id;
  const PayloadPtr p = Payload::Accept(req, Md5Digest(req.body), 42, &id);
  const MessagePayload f = p->Fields();
  EXPECT_EQ(f.message_id, id);
  EXPECT_EQ(f.md5_of_body, HexText(Md5Digest("body")));
  EXPECT_EQ(f.body, "body");
  ASSERT_EQ(f.attributes.size(), 1u);
  EXPECT_EQ(f.attributes[0].value, a.value);
  EXPECT_TRUE(f.attributes[0].binary);
  EXPECT_EQ(f.trace_header, req.trace_header);
  EXPECT_EQ(f.group_id, req.group_id);
  EXPECT_EQ(*p->group_id(), "g");
  EXPECT_EQ(f.dedup_id, req.dedup_id);
  EXPECT_EQ(f.sender_id, "AIDAX");
  EXPECT_EQ(f.sent_ms, 42);
  EXPECT_FALSE(f.dead_letter_source_arn);
  EXPECT_EQ(p->Encoded(), EncodePayloadFields(f));
}

// What a store holds (every shape: packed or text ids as formats 1 to 4 wrote them, with and
// without the optional fields, an empty sender or group) is read back and written again byte for
// byte: the in-memory form changes nothing on disk.
TEST(PayloadTest, StoredEncodingRoundTripsThroughTheBlock) {
  std::vector<MessagePayload> shapes = {Sample(false), Sample(true)};
  MessagePayload text = Sample(true);
  text.message_id = "6F1C2A3E-0D4B-4C5E-9F60-718293A4B5C6";
  shapes.push_back(text);
  MessagePayload half = Sample(false);
  half.md5_of_body = "not-an-md5";
  shapes.push_back(half);
  MessagePayload bare;
  bare.message_id = "m";
  bare.group_id = "";
  shapes.push_back(bare);
  for (const MessagePayload& f : shapes) {
    const std::string enc = EncodePayloadFields(f);
    const PayloadPtr p = Payload::FromEncoded(enc);
    ASSERT_TRUE(p) << f.message_id;
    EXPECT_EQ(p->Encoded(), enc) << f.message_id;
    EXPECT_EQ(Payload::Make(f)->Encoded(), enc) << f.message_id;
    EXPECT_EQ(p->message_id(), f.message_id);
    EXPECT_EQ(p->md5_of_body(), f.md5_of_body);
    EXPECT_EQ(p->body(), f.body);
    EXPECT_EQ(p->group_id().has_value(), f.group_id.has_value());
    const MessagePayload back = p->Fields();
    EXPECT_EQ(back.sender_id, f.sender_id);
    EXPECT_EQ(back.dedup_id, f.dedup_id);
    EXPECT_EQ(back.dead_letter_source_arn, f.dead_letter_source_arn);
    EXPECT_EQ(p->dead_letter_source_arn(), f.dead_letter_source_arn);
    EXPECT_EQ(back.attributes.size(), f.attributes.size());
  }
  // A record as format 3 wrote it (text message id and MD5) reads back the same.
  std::string v3;
  v3.push_back(36);
  v3 += Sample(false).message_id;
  v3.push_back(4);
  v3 += "body";
  v3.push_back(32);
  v3 += Sample(false).md5_of_body;
  v3 += std::string("\0\3abc\x02\0\0\0\0", 10);  // no attributes, sender, sent 1, 4 absent
  const PayloadPtr old = Payload::FromEncoded(v3);
  ASSERT_TRUE(old);
  EXPECT_EQ(old->message_id(), Sample(false).message_id);
  EXPECT_EQ(old->md5_of_body(), Sample(false).md5_of_body);
  EXPECT_EQ(old->body(), "body");
  EXPECT_EQ(old->sent_ms(), 1);
  EXPECT_EQ(old->Fields().sender_id, "abc");
  EXPECT_EQ(old->Encoded(), v3);
}

// Payloads of one sender share its id; each keeps it as long as it lives.
TEST(PayloadTest, SenderIdsAreSharedAndOutliveTheThreadThatMadeThem) {
  std::vector<PayloadPtr> made;
  std::thread([&made] {
    for (int i = 0; i < 20; ++i) {
      MessagePayload f = Sample(false);
      f.sender_id = "AIDA" + std::to_string(i % 6);  // more senders than a thread keeps
      made.push_back(Payload::Make(f));
    }
  }).join();
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(made[i]->Fields().sender_id, "AIDA" + std::to_string(i % 6));  // ASan
  }
}

TEST(PayloadTest, SharedBlockOutlivesItsFirstOwner) {
  PayloadPtr copy;
  {
    const PayloadPtr p = Payload::Make(Sample(false));
    copy = p;
  }
  EXPECT_EQ(copy->body().size(), 303u);  // ASan: a use after free shows here
}

}  // namespace
}  // namespace sluice::engine
