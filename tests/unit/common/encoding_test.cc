#include "common/encoding.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

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

TEST(EncodingTest, Base64UrlRoundTripsEveryLengthAndByte) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (std::size_t n = 0; n <= 40; ++n) {
    const std::string in = bytes.substr(n * 5 % 200, n);
    const std::string text = Base64UrlEncode(in);
    EXPECT_EQ(text.size(), (n * 4 + 2) / 3) << n;
    EXPECT_EQ(text.find_first_of("+/="), std::string::npos) << n;
    ASSERT_TRUE(Base64UrlDecode(text).has_value()) << n;
    EXPECT_EQ(*Base64UrlDecode(text), in) << n;
    EXPECT_EQ(*Base64Decode(Base64Encode(in)), in) << n;
  }
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_FALSE(Base64UrlDecode("ab+c").has_value());  // the standard alphabet's characters
  EXPECT_FALSE(Base64Decode("ab-c").has_value());
  EXPECT_FALSE(Base64UrlDecode(std::string("ab\0c", 4)).has_value());
  // A character outside the alphabet at every position of the four-at-a-time loop and the tail.
  const std::string good = Base64UrlEncode(bytes.substr(0, 29));
  for (std::size_t at = 0; at < good.size(); ++at) {
    std::string bad = good;
    bad[at] = '=';
    EXPECT_FALSE(Base64UrlDecode(bad).has_value()) << at;
  }
}

// The buffer variants write exactly the sizes they announce, and agree with the string ones.
TEST(EncodingTest, Base64UrlIntoBuffersWritesExactlyTheSize) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(255 - i));
  for (std::size_t n = 0; n <= 40; ++n) {
    const std::string in = bytes.substr(n * 7 % 200, n);
    std::string text(Base64UrlEncodedSize(n) + 1, '#');
    Base64UrlEncodeTo(in, text.data());
    EXPECT_EQ(text.back(), '#') << n;
    text.pop_back();
    EXPECT_EQ(text, Base64UrlEncode(in)) << n;
    std::string back(Base64UrlDecodedSize(text.size()) + 1, '#');
    ASSERT_TRUE(Base64UrlDecodeTo(text, back.data())) << n;
    EXPECT_EQ(back.back(), '#') << n;
    back.pop_back();
    EXPECT_EQ(back, in) << n;
  }
  char out[4];
  EXPECT_FALSE(Base64UrlDecodeTo("ab/c", out));
}

TEST(EncodingTest, Md5Vector) { EXPECT_EQ(Md5Hex("hello"), "5d41402abc4b2a76b9719d911017c592"); }

TEST(EncodingTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // truncated
}

TEST(EncodingTest, FindInvalidUtf8GivesTheOffsetPastAsciiRuns) {
  const std::string ascii(37, 'a');
  EXPECT_EQ(FindInvalidUtf8(ascii), ascii.size());
  // The bad byte at every position relative to the word-sized steps.
  for (std::size_t at = 0; at < 40; ++at) {
    std::string s = std::string(at, 'x') + "\xff" + std::string(17, 'y');
    EXPECT_EQ(FindInvalidUtf8(s), at) << at;
    std::string ok = std::string(at, 'x') + "caf\xc3\xa9" + std::string(11, 'y');
    EXPECT_EQ(FindInvalidUtf8(ok), ok.size()) << at;
  }
}

TEST(EncodingTest, PrintableAsciiPrefixStopsAtTheFirstOtherByte) {
  EXPECT_EQ(PrintableAsciiPrefix(""), 0u);
  EXPECT_EQ(PrintableAsciiPrefix(std::string(40, ' ')), 40u);
  EXPECT_EQ(PrintableAsciiPrefix(std::string(19, '~') + "\x7f"), 20u);  // DEL counts as printable
  for (std::size_t at = 0; at < 40; ++at) {
    for (char bad : {'\0', '\t', '\x1f', '\x80', '\xff'}) {
      std::string s = std::string(at, 'a') + bad + std::string(17, 'b');
      EXPECT_EQ(PrintableAsciiPrefix(s), at) << at << " " << int(bad);
    }
  }
}

TEST(EncodingTest, DigestsFromManyThreadsAgree) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&wrong] {
      for (int i = 0; i < 200; ++i) {
        if (Md5Hex("hello") != "5d41402abc4b2a76b9719d911017c592") ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace sluice
