#include "protocol/wire_text.h"

#include "common/clock.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice::protocol {
namespace {

std::string Xml(std::string_view s) {
  std::string out;
  AppendXmlEscaped(s, &out);
  return out;
}

std::string Json(std::string_view s) {
  std::string out;
  AppendJsonString(s, &out);
  return out;
}

TEST(WireText, XmlEscaping) {
  EXPECT_EQ(Xml("plain"), "plain");
  EXPECT_EQ(Xml("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&apos;f");
  EXPECT_EQ(Xml("line1\r\nline2\tx"), "line1&#13;\nline2\tx");
  EXPECT_EQ(Xml("caf\xC3\xA9 \xF0\x9F\x98\x80"), "caf\xC3\xA9 \xF0\x9F\x98\x80");
  // Never emit invalid XML: control characters, ill-formed UTF-8 and U+FFFE become U+FFFD.
  EXPECT_EQ(Xml(std::string("a\x01z", 3)), "a\xEF\xBF\xBDz");
  EXPECT_EQ(Xml(std::string("a\0z", 3)), "a\xEF\xBF\xBDz");
  EXPECT_EQ(Xml("a\xFFz"), "a\xEF\xBF\xBDz");
  EXPECT_EQ(Xml("\xC3"), "\xEF\xBF\xBD");                                  // truncated sequence
  EXPECT_EQ(Xml("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(Xml("\xEF\xBF\xBE"), "\xEF\xBF\xBD");                          // U+FFFE
  EXPECT_EQ(Xml("\xE0\x80\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong
}

TEST(WireText, JsonStringsEscapeAtEveryOffsetOfTheWordScan) {
  // The plain-run scan reads 16 (or 8) bytes at a time: each special byte at each offset still
  // escapes.
  const std::pair<std::string, std::string> cases[] = {{"\"", "\\\""},
                                                       {"\\", "\\\\"},
                                                       {"\n", "\\n"},
                                                       {std::string(1, '\x01'), "\\u0001"},
                                                       {"\xC3\xA9", "\xC3\xA9"}};
  for (const auto& [raw, escaped] : cases) {
    for (std::size_t at = 0; at < 40; ++at) {
      const std::string head(at, 'x');
      const std::string tail(17, 'y');
      EXPECT_EQ(Json(head + raw + tail), "\"" + head + escaped + tail + "\"") << at;
    }
  }
}

TEST(WireText, JsonStringsEscapeInTheOverlappingTail) {
  // Strings of 16 bytes or more end with one 16-byte load that overlaps bytes already scanned:
  // a special byte at each distance from the end, after plain runs of every length, escapes, and
  // so do two of them, one on each side of the overlap.
  for (std::size_t size = 16; size < 50; ++size) {
    for (std::size_t at = 0; at < size; ++at) {
      std::string raw(size, 'p');
      raw[at] = '"';
      std::string escaped = raw;
      escaped.replace(at, 1, "\\\"");
      EXPECT_EQ(Json(raw), "\"" + escaped + "\"") << size << " " << at;
      if (at + 1 < size) {
        raw.back() = '\x01';
        escaped.replace(escaped.size() - 1, 1, "\\u0001");
        EXPECT_EQ(Json(raw), "\"" + escaped + "\"") << size << " " << at;
      }
    }
    EXPECT_EQ(Json(std::string(size, 'q')), "\"" + std::string(size, 'q') + "\"");
  }
}

TEST(WireText, JsonStrings) {
  EXPECT_EQ(Json("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Json("\n\r\t\x01"), "\"\\n\\r\\t\\u0001\"");
  EXPECT_EQ(Json("\xC3\xA9"), "\"\xC3\xA9\"");
  EXPECT_EQ(Json("x\xFFy"), "\"x\xEF\xBF\xBDy\"");
}

TEST(WireText, PercentDecode) {
  std::string out;
  ASSERT_TRUE(PercentDecode("a+b%20c%3D%2f%C3%A9", &out));
  EXPECT_EQ(out, "a b c=/\xC3\xA9");
  EXPECT_FALSE(PercentDecode("%", &out));
  EXPECT_FALSE(PercentDecode("%4", &out));
  EXPECT_FALSE(PercentDecode("%G1", &out));
  EXPECT_FALSE(PercentDecode("abc%", &out));
  ASSERT_TRUE(PercentDecode("", &out));
  EXPECT_EQ(out, "");
}

TEST(WireText, Timestamps) {
  std::string out;
  AppendIso8601(1705320000123, &out);
  EXPECT_EQ(out, "2024-01-15T12:00:00.123Z");
  EXPECT_EQ(ParseTimestamp("2024-01-15T12:00:00.123Z"), 1705320000123);
  EXPECT_EQ(ParseTimestamp("2024-01-15T13:00:00+01:00"), 1705320000000);
  EXPECT_EQ(ParseTimestamp("1705320000"), 1705320000000);
  EXPECT_EQ(ParseTimestamp("1705320000.5"), 1705320000500);
  EXPECT_FALSE(ParseTimestamp("yesterday"));
  EXPECT_FALSE(ParseTimestamp("2024-13-15T12:00:00Z"));
  EXPECT_FALSE(ParseTimestamp(""));
}

}  // namespace
}  // namespace sluice::protocol
