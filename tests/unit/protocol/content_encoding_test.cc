#include "protocol/content_encoding.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace sluice::protocol {
namespace {

std::string Gzip(std::string_view in) {
  z_stream z{};
  EXPECT_EQ(
      deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
      Z_OK);
  std::string out(deflateBound(&z, in.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

TEST(ContentEncodingTest, NamesGzip) {
  EXPECT_TRUE(IsGzipEncoding("gzip"));
  EXPECT_TRUE(IsGzipEncoding("GZIP"));
  EXPECT_TRUE(IsGzipEncoding("identity, gzip"));
  EXPECT_TRUE(IsGzipEncoding(" x-gzip "));
  EXPECT_FALSE(IsGzipEncoding(""));
  EXPECT_FALSE(IsGzipEncoding("identity"));
  EXPECT_FALSE(IsGzipEncoding("br"));
  EXPECT_FALSE(IsGzipEncoding("gzip, br"));
  EXPECT_FALSE(IsGzipEncoding("aws-chunked"));
}

TEST(ContentEncodingTest, InflatesWhatWasDeflated) {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "MetricData.member." + std::to_string(i) + ".Value=1&";
  auto out = InflateGzip(Gzip(text));
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(*out, text);
  // Two members one after the other (RFC 1952): both.
  auto two = InflateGzip(Gzip("abc") + Gzip("def"));
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(*two, "abcdef");
}

TEST(ContentEncodingTest, RefusesBrokenAndOversizedBodies) {
  const std::string packed = Gzip(std::string(100000, 'a'));
  EXPECT_EQ(InflateGzip("not gzip at all").status().code(), ErrorCode::kSerialization);
  for (std::size_t n : {std::size_t{1}, std::size_t{10}, packed.size() / 2, packed.size() - 1}) {
    EXPECT_EQ(InflateGzip(std::string_view(packed).substr(0, n)).status().code(),
              ErrorCode::kSerialization)
        << n;
  }
  std::string flipped = packed;
  flipped[flipped.size() - 6] ^= 0x55;  // the CRC-32 trailer
  EXPECT_EQ(InflateGzip(flipped).status().code(), ErrorCode::kSerialization);
  EXPECT_EQ(InflateGzip(packed + "junk").status().code(), ErrorCode::kSerialization);
  // A bomb stops at the limit.
  EXPECT_EQ(InflateGzip(packed, 4096).status().code(), ErrorCode::kRequestEntityTooLarge);
  auto exact = InflateGzip(packed, 100000);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->size(), 100000u);
}

}  // namespace
}  // namespace sluice::protocol
