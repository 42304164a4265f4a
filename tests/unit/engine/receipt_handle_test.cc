#include "engine/receipt_handle.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

#include "common/encoding.h"

namespace sluice::engine {
namespace {

TEST(ReceiptHandleTest, RoundTrip) {
  ReceiptCodec codec("secret");
  const std::string h = codec.Encode(42, {7, 3});
  auto ref = codec.Decode(42, h);
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->seq, 7u);
  EXPECT_EQ(ref->gen, 3u);
  EXPECT_LE(h.size(), 1024u);
}

// The token is version | seq | gen | HMAC-SHA256(secret, version|queue|seq|gen)[:16], base64url.
TEST(ReceiptHandleTest, MatchesReferenceHmac) {
  const std::string secret(100, 'k');  // longer than a block: hashed first, as HMAC specifies
  ReceiptCodec codec(secret);
  const std::string head("\x01\x00\x00\x00\x00\x00\x00\x01\x02\x00\x00\x00\x03", 13);
  const std::string mac_input =
      std::string("\x01", 1) + std::string(7, '\0') + "\x09" + head.substr(1);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(mac_input.data()), mac_input.size(), mac, &len);
  std::string expected = Base64Encode(head + std::string(reinterpret_cast<char*>(mac), 16));
  std::replace(expected.begin(), expected.end(), '+', '-');
  std::replace(expected.begin(), expected.end(), '/', '_');
  expected.erase(expected.find_last_not_of('=') + 1);
  EXPECT_EQ(codec.Encode(9, {0x102, 3}), expected);
}

TEST(ReceiptHandleTest, BoundToQueueAndSecret) {
  ReceiptCodec codec("secret");
  const std::string h = codec.Encode(42, {7, 3});
  EXPECT_FALSE(codec.Decode(43, h));
  EXPECT_FALSE(ReceiptCodec("other").Decode(42, h));
}

TEST(ReceiptHandleTest, TamperingDetected) {
  ReceiptCodec codec("");
  const std::string h = codec.Encode(1, {100, 1});
  for (std::size_t i = 0; i < h.size(); ++i) {
    std::string t = h;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(codec.Decode(1, t)) << i;
  }
  EXPECT_FALSE(codec.Decode(1, ""));
  EXPECT_FALSE(codec.Decode(1, "garbage"));
  EXPECT_FALSE(codec.Decode(1, h + "A"));
  EXPECT_FALSE(codec.Decode(1, h.substr(1)));
}

}  // namespace
}  // namespace sluice::engine
