#include "engine/receipt_handle.h"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

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

std::string Base64Url(std::string raw) {
  std::string out = Base64Encode(raw);
  std::replace(out.begin(), out.end(), '+', '-');
  std::replace(out.begin(), out.end(), '/', '_');
  out.erase(out.find_last_not_of('=') + 1);
  return out;
}

// Version 1 tokens (still accepted): 1 | seq | gen | HMAC-SHA256(secret, 1|queue|seq|gen)[:16].
TEST(ReceiptHandleTest, AcceptsVersionOneHmacHandles) {
  const std::string secret(100, 'k');  // longer than a block: hashed first, as HMAC specifies
  ReceiptCodec codec(secret);
  const std::string head("\x01\x00\x00\x00\x00\x00\x00\x01\x02\x00\x00\x00\x03", 13);
  const std::string mac_input =
      std::string("\x01", 1) + std::string(7, '\0') + "\x09" + head.substr(1);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(mac_input.data()), mac_input.size(), mac, &len);
  const std::string v1 = Base64Url(head + std::string(reinterpret_cast<char*>(mac), 16));
  auto ref = codec.Decode(9, v1);
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->seq, 0x102u);
  EXPECT_EQ(ref->gen, 3u);
  EXPECT_FALSE(codec.Decode(10, v1));
}

// Version 2 tokens: 2 | seq | gen | SipHash-2-4-128(key, 2|queue|seq|gen), where key is the first
// 16 bytes of SHA-256("sluice receipt handle siphash key\n" + secret).
TEST(ReceiptHandleTest, MatchesReferenceSipHash) {
  const std::string secret = "the shared secret";
  ReceiptCodec codec(secret);
  const std::string head("\x02\x00\x00\x00\x00\x00\x00\x01\x02\x00\x00\x00\x03", 13);
  const std::string mac_input =
      std::string("\x02", 1) + std::string(7, '\0') + "\x09" + head.substr(1);
  const std::string key = Sha256("sluice receipt handle siphash key\n" + secret).substr(0, 16);
  EVP_MAC* sip = EVP_MAC_fetch(nullptr, "SIPHASH", nullptr);
  ASSERT_NE(sip, nullptr);
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(sip);
  std::size_t size = 16;
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
                               OSSL_PARAM_construct_end()};
  unsigned char tag[16];
  std::size_t len = 0;
  ASSERT_EQ(
      EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(), params), 1);
  EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(mac_input.data()), mac_input.size());
  EVP_MAC_final(ctx, tag, &len, sizeof tag);
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(sip);
  ASSERT_EQ(len, 16u);
  EXPECT_EQ(codec.Encode(9, {0x102, 3}),
            Base64Url(head + std::string(reinterpret_cast<char*>(tag), 16)));
}

TEST(ReceiptHandleTest, UnknownVersionRefused) {
  ReceiptCodec codec("secret");
  std::string raw = *Base64UrlDecode(codec.Encode(42, {7, 3}));
  raw[0] = 3;
  EXPECT_FALSE(codec.Decode(42, Base64Url(raw)));
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

// The last character carries 4 data bits and 2 unused ones: the three other spellings that decode
// to the same bytes are not the handle.
TEST(ReceiptHandleTest, OnlyTheCanonicalLastCharacter) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  ReceiptCodec codec("k");
  for (std::uint64_t seq : {1u, 77u, 4096u, 123456789u}) {
    const std::string h = codec.Encode(5, {seq, 2});
    ASSERT_TRUE(codec.Decode(5, h));
    const std::size_t index = kAlphabet.find(h.back());
    ASSERT_EQ(index % 4, 0u) << h;
    for (std::size_t unused = 1; unused < 4; ++unused) {
      std::string t = h;
      t.back() = kAlphabet[index + unused];
      ASSERT_EQ(Base64UrlDecode(t), Base64UrlDecode(h));  // the same bytes...
      EXPECT_FALSE(codec.Decode(5, t)) << t;              // ...but not the handle
    }
  }
}

}  // namespace
}  // namespace sluice::engine
