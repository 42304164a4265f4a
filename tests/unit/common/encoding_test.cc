#include "common/encoding.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(EncodingTest, Base64RoundTrip) {
  EXPECT_EQ(Base64Encode("\x01\x02\x03"), "AQID");
  EXPECT_EQ(Base64Encode("ab"), "YWI=");
  EXPECT_EQ(*Base64Decode("AQI="), std::string("\x01\x02"));
  EXPECT_EQ(*Base64Decode("YWI"), "ab");
  EXPECT_FALSE(Base64Decode("A!==").has_value());
  EXPECT_FALSE(Base64Decode("A").has_value());
}

TEST(EncodingTest, Md5Vector) { EXPECT_EQ(Md5Hex("hello"), "5d41402abc4b2a76b9719d911017c592"); }

TEST(EncodingTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // truncated
}

}  // namespace
}  // namespace sluice
