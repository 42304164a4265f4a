#include "common/ids.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

namespace sluice {
namespace {

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// Every byte value, at every position of the 16, against the plain two-digit form.
TEST(IdsTest, WriteHex16WritesEveryByteAsTwoLowerCaseDigits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int start = 0; start < 256; ++start) {
    UuidBytes b;
    std::string expected;
    for (int i = 0; i < 16; ++i) {
      b[i] = static_cast<unsigned char>((start + 17 * i) & 0xff);
      expected += kHex[b[i] >> 4];
      expected += kHex[b[i] & 15];
    }
    char out[32];
    WriteHex16(b.data(), out);
    ASSERT_EQ(std::string(out, sizeof out), expected) << start;
    const std::string text = UuidText(b);
    ASSERT_EQ(text, expected.substr(0, 8) + "-" + expected.substr(8, 4) + "-" +
                        expected.substr(12, 4) + "-" + expected.substr(16, 4) + "-" +
                        expected.substr(20))
        << start;
  }
}

TEST(IdsTest, UuidsAreVersion4TextInLowerCase) {
  for (int i = 0; i < 1000; ++i) {
    const std::string u = NewUuid();
    ASSERT_EQ(u.size(), 36u) << u;
    for (std::size_t j = 0; j < u.size(); ++j) {
      if (j == 8 || j == 13 || j == 18 || j == 23) {
        ASSERT_EQ(u[j], '-') << u;
      } else {
        ASSERT_TRUE(IsLowerHex(u[j])) << u;
      }
    }
    EXPECT_EQ(u[14], '4') << u;                                                      // version
    EXPECT_TRUE(u[19] == '8' || u[19] == '9' || u[19] == 'a' || u[19] == 'b') << u;  // variant
  }
}

TEST(IdsTest, UuidBytesAreVersion4AndTheirTextIsNewUuidsForm) {
  const UuidBytes zero{};
  EXPECT_EQ(UuidText(zero), "00000000-0000-0000-0000-000000000000");
  UuidBytes b;
  for (int i = 0; i < 16; ++i) b[i] = static_cast<unsigned char>(0x10 * (i % 16) + 15 - i);
  EXPECT_EQ(UuidText(b), "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
  for (int i = 0; i < 1000; ++i) {
    const UuidBytes u = NewUuidBytes();
    EXPECT_EQ(u[6] >> 4, 4);  // version
    EXPECT_EQ(u[8] >> 6, 2);  // variant
    const std::string t = UuidText(u);
    EXPECT_EQ(t[14], '4') << t;
    EXPECT_TRUE(t[19] == '8' || t[19] == '9' || t[19] == 'a' || t[19] == 'b') << t;
  }
}

TEST(IdsTest, UuidsDoNotRepeatWithinOrAcrossThreads) {
  constexpr int kThreads = 4, kEach = 20000;
  std::vector<std::vector<std::string>> made(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&made, t] {
      for (int i = 0; i < kEach; ++i) made[t].push_back(NewUuid());
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> all;
  for (const auto& v : made) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kThreads * kEach));
}

TEST(IdsTest, EveryHexDigitAppearsInEveryRandomPosition) {
  // A generator stuck on some bits (a bad seed, a broken table) shows as a digit that never
  // appears in a position.
  std::vector<std::set<char>> seen(36);
  for (int i = 0; i < 4000; ++i) {
    const std::string u = NewUuid();
    for (std::size_t j = 0; j < u.size(); ++j) seen[j].insert(u[j]);
  }
  for (std::size_t j = 0; j < 36; ++j) {
    if (j == 8 || j == 13 || j == 18 || j == 23 || j == 14) {
      EXPECT_EQ(seen[j].size(), 1u) << j;
    } else if (j == 19) {
      EXPECT_EQ(seen[j].size(), 4u);
    } else {
      EXPECT_EQ(seen[j].size(), 16u) << j;
    }
  }
}

TEST(IdsTest, RandomBytesHaveTheLengthAsked) {
  EXPECT_EQ(RandomBytes(0).size(), 0u);
  EXPECT_EQ(RandomBytes(32).size(), 32u);
  EXPECT_NE(RandomBytes(32), RandomBytes(32));
}

}  // namespace
}  // namespace sluice
