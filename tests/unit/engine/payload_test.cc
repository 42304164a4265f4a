#include "engine/payload.h"

#include <gtest/gtest.h>

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
    EXPECT_EQ(p->encoded(), EncodePayloadFields(fields));
    EXPECT_EQ(p->message_id(), fields.message_id);
    EXPECT_EQ(p->body(), fields.body);
    EXPECT_EQ(p->md5_of_body(), fields.md5_of_body);
    EXPECT_EQ(p->sent_ms(), fields.sent_ms);
    EXPECT_EQ(p->group_id().has_value(), group);
    if (group) {
      EXPECT_EQ(*p->group_id(), "group-7");
    }
    EXPECT_EQ(p->dead_letter_source_arn(), fields.dead_letter_source_arn);
    EXPECT_EQ(p->bytes(), sizeof(Payload) + p->encoded().size());

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
