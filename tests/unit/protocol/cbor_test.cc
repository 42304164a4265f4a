#include "protocol/cbor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "models/monitoring_model.h"
#include "protocol/cbor_codec.h"
#include "test_util.h"

namespace sluice::protocol {
namespace {

using testing::DebugString;

std::string Hex(std::string_view hex) {
  std::string out;
  std::string digits;
  for (char c : hex) {
    if (c != ' ') digits.push_back(c);
  }
  for (std::size_t i = 0; i + 1 < digits.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::string ToHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string Diag(std::string_view hex) {
  auto item = cbor::Parse(Hex(hex));
  if (!item.ok()) return "error: " + item.status().message();
  return cbor::Diagnostic(*item);
}

// RFC 8949 Appendix A, every example but the floats (below, by value).
TEST(Cbor, Rfc8949AppendixA) {
  const std::pair<std::string_view, std::string_view> kVectors[] = {
      {"00", "0"},
      {"01", "1"},
      {"0a", "10"},
      {"17", "23"},
      {"1818", "24"},
      {"1819", "25"},
      {"1864", "100"},
      {"1903e8", "1000"},
      {"1a000f4240", "1000000"},
      {"1b000000e8d4a51000", "1000000000000"},
      {"1bffffffffffffffff", "18446744073709551615"},
      {"c249010000000000000000", "2(h'010000000000000000')"},
      {"3bffffffffffffffff", "-18446744073709551616"},
      {"c349010000000000000000", "3(h'010000000000000000')"},
      {"20", "-1"},
      {"29", "-10"},
      {"3863", "-100"},
      {"3903e7", "-1000"},
      {"f4", "false"},
      {"f5", "true"},
      {"f6", "null"},
      {"f7", "undefined"},
      {"f0", "simple(16)"},
      {"f8ff", "simple(255)"},
      {"c074323031332d30332d32315432303a30343a30305a", "0(\"2013-03-21T20:04:00Z\")"},
      {"c11a514b67b0", "1(1363896240)"},
      {"c1fb41d452d9ec200000", "1(1363896240.5)"},
      {"d74401020304", "23(h'01020304')"},
      {"d818456449455446", "24(h'6449455446')"},
      {"d82076687474703a2f2f7777772e6578616d706c652e636f6d", "32(\"http://www.example.com\")"},
      {"40", "h''"},
      {"4401020304", "h'01020304'"},
      {"60", "\"\""},
      {"6161", "\"a\""},
      {"6449455446", "\"IETF\""},
      {"62225c", R"("\"\\")"},
      {"62c3bc", "\"\xc3\xbc\""},
      {"63e6b0b4", "\"\xe6\xb0\xb4\""},
      {"64f0908591", "\"\xf0\x90\x85\x91\""},
      {"80", "[]"},
      {"83010203", "[1, 2, 3]"},
      {"8301820203820405", "[1, [2, 3], [4, 5]]"},
      {"98190102030405060708090a0b0c0d0e0f101112131415161718181819",
       "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, "
       "25]"},
      {"a0", "{}"},
      {"a201020304", "{1: 2, 3: 4}"},
      {"a26161016162820203", "{\"a\": 1, \"b\": [2, 3]}"},
      {"826161a161626163", "[\"a\", {\"b\": \"c\"}]"},
      {"a56161614161626142616361436164614461656145",
       "{\"a\": \"A\", \"b\": \"B\", \"c\": \"C\", \"d\": \"D\", \"e\": \"E\"}"},
      // Indefinite lengths (written back as definite).
      {"5f42010243030405ff", "h'0102030405'"},
      {"7f657374726561646d696e67ff", "\"streaming\""},
      {"9fff", "[]"},
      {"9f018202039f0405ffff", "[1, [2, 3], [4, 5]]"},
      {"9f01820203820405ff", "[1, [2, 3], [4, 5]]"},
      {"83018202039f0405ff", "[1, [2, 3], [4, 5]]"},
      {"83019f0203ff820405", "[1, [2, 3], [4, 5]]"},
      {"9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff",
       "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, "
       "25]"},
      {"bf61610161629f0203ffff", "{\"a\": 1, \"b\": [2, 3]}"},
      {"826161bf61626163ff", "[\"a\", {\"b\": \"c\"}]"},
      {"bf6346756ef563416d7421ff", "{\"Fun\": true, \"Amt\": -2}"},
  };
  for (const auto& [hex, diag] : kVectors) EXPECT_EQ(Diag(hex), diag) << hex;
}

TEST(Cbor, Rfc8949AppendixAFloats) {
  struct V {
    std::string_view hex;
    double value;
    int bytes;
  };
  const V kFloats[] = {
      {"f90000", 0.0, 2},
      {"f98000", -0.0, 2},
      {"f93c00", 1.0, 2},
      {"fb3ff199999999999a", 1.1, 8},
      {"f93e00", 1.5, 2},
      {"f97bff", 65504.0, 2},
      {"fa47c35000", 100000.0, 4},
      {"fa7f7fffff", 3.4028234663852886e+38, 4},
      {"fb7e37e43c8800759c", 1.0e+300, 8},
      {"f90001", 5.960464477539063e-8, 2},
      {"f90400", 0.00006103515625, 2},
      {"f9c400", -4.0, 2},
      {"fbc010666666666666", -4.1, 8},
      {"f97c00", INFINITY, 2},
      {"f9fc00", -INFINITY, 2},
      {"fa7f800000", INFINITY, 4},
      {"faff800000", -INFINITY, 4},
      {"fb7ff0000000000000", INFINITY, 8},
      {"fbfff0000000000000", -INFINITY, 8},
  };
  for (const V& v : kFloats) {
    auto item = cbor::Parse(Hex(v.hex));
    ASSERT_TRUE(item.ok()) << v.hex;
    EXPECT_EQ(item->type, cbor::Item::Type::kFloat) << v.hex;
    EXPECT_EQ(item->f, v.value) << v.hex;
    EXPECT_EQ(std::signbit(item->f), std::signbit(v.value)) << v.hex;
    EXPECT_EQ(item->float_bytes, v.bytes) << v.hex;
  }
  for (std::string_view nan : {"f97e00", "fa7fc00000", "fb7ff8000000000000"}) {
    auto item = cbor::Parse(Hex(nan));
    ASSERT_TRUE(item.ok());
    EXPECT_TRUE(std::isnan(item->f)) << nan;
    EXPECT_EQ(cbor::Diagnostic(*item), "NaN");
  }
  EXPECT_EQ(Diag("f93e00"), "1.5");
  EXPECT_EQ(Diag("f9c400"), "-4.0");
}

// RFC 8949 Appendix F (not well-formed), and a few of our own bounds.
TEST(Cbor, MalformedInputIsRefused) {
  const std::string_view kBad[] = {
      "",  // nothing
      // End of input in a head.
      "18",
      "19 01",
      "1a 01 02 03",
      "1b 01 02 03 04 05 06 07",
      "38",
      "58",
      "78",
      "98",
      "9a 01 ff 00",
      "b8",
      "d8",
      "f8",
      "f9 00",
      "fa 00 00",
      "fb 00 00 00",
      // Definite-length strings with short data.
      "41",
      "61",
      "5a ff ff ff ff 00",
      "5b ff ff ff ff ff ff ff ff 01 02 03",
      "7a ff ff ff ff 00",
      "7b 7f ff ff ff ff ff ff ff 01 02 03",
      // Definite-length arrays and maps not closed with enough items.
      "81",
      "81 81 81 81 81 81 81 81 81",
      "82 00",
      "a1",
      "a2 01 02",
      "a1 00",
      "a2 00 00 00",
      // Tag number not followed by tag content.
      "c0",
      // Indefinite-length strings, arrays and maps not closed by a break.
      "5f 41 00",
      "7f 61 00",
      "9f",
      "9f 01 02",
      "bf",
      "bf 01 02 01 02",
      "81 9f",
      "9f 80 00",
      "9f 9f 9f 9f 9f ff ff ff ff",
      "9f 81 9f 81 9f 9f ff ff ff",
      // Reserved additional information.
      "1c",
      "1d",
      "1e",
      "3c",
      "3d",
      "3e",
      "5c",
      "5d",
      "5e",
      "7c",
      "7d",
      "7e",
      "9c",
      "9d",
      "9e",
      "bc",
      "bd",
      "be",
      "dc",
      "dd",
      "de",
      "fc",
      "fd",
      "fe",
      // Two-byte simple values below 32.
      "f8 00",
      "f8 18",
      "f8 1f",
      // Indefinite-length string chunks of the wrong type, or themselves indefinite.
      "5f 00 ff",
      "5f 21 ff",
      "5f 61 00 ff",
      "5f 80 ff",
      "5f a0 ff",
      "5f c0 00 ff",
      "5f e0 ff",
      "7f 41 00 ff",
      "5f 5f 41 00 ff ff",
      "7f 7f 61 00 ff ff",
      // Break outside an indefinite-length item.
      "ff",
      "81 ff",
      "82 00 ff",
      "a1 ff",
      "a1 ff 00",
      "a1 00 ff",
      "a2 00 00 ff",
      "9f 81 ff",
      "9f 82 9f 81 9f 9f ff ff ff ff",
      // A break between a key and its value in an indefinite-length map.
      "bf 00 ff",
      "bf 00 00 00 ff",
      // Indefinite length for an integer or a tag.
      "1f",
      "3f",
      "df",
      // Ill-formed UTF-8 in a text string, also split across chunks.
      "62 c3 28",
      "61 ff",
      "63 ed a0 80",
      "7f 61 c3 61 bc ff",
      // Trailing bytes.
      "00 00",
      "a0 ff",
      // Huge declared lengths.
      "9b ff ff ff ff ff ff ff ff",
      "bb 7f ff ff ff ff ff ff ff 00",
      "5b 7f ff ff ff ff ff ff ff",
  };
  for (std::string_view hex : kBad) {
    auto item = cbor::Parse(Hex(hex));
    EXPECT_FALSE(item.ok()) << hex;
    if (!item.ok()) {
      EXPECT_EQ(item.status().code(), ErrorCode::kSerialization);
      EXPECT_EQ(item.status().message().rfind("Malformed CBOR: ", 0), 0u)
          << item.status().message();
    }
  }
}

TEST(Cbor, NestingIsBounded) {
  std::string ok(cbor::kMaxDepth, '\x81');
  ok.push_back('\x00');
  EXPECT_TRUE(cbor::Parse(ok).ok());
  std::string deep(cbor::kMaxDepth + 1, '\x81');
  deep.push_back('\x00');
  auto r = cbor::Parse(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nesting too deep"), std::string::npos);
  // A million nested indefinite arrays: refused at depth 64, no stack exhaustion.
  std::string hostile(1'000'000, '\x9f');
  EXPECT_FALSE(cbor::Parse(hostile).ok());
  std::string tags(1'000'000, '\xc1');
  EXPECT_FALSE(cbor::Parse(tags).ok());
}

TEST(Cbor, WritersUseTheShortestHead) {
  const std::pair<std::int64_t, std::string_view> kInts[] = {
      {0, "00"},
      {1, "01"},
      {10, "0a"},
      {23, "17"},
      {24, "1818"},
      {25, "1819"},
      {100, "1864"},
      {1000, "1903e8"},
      {1000000, "1a000f4240"},
      {1000000000000, "1b000000e8d4a51000"},
      {-1, "20"},
      {-10, "29"},
      {-100, "3863"},
      {-1000, "3903e7"},
      {INT64_MIN, "3b7fffffffffffffff"},
      {INT64_MAX, "1b7fffffffffffffff"},
  };
  for (const auto& [v, hex] : kInts) {
    std::string out;
    cbor::WriteInt(v, &out);
    EXPECT_EQ(ToHex(out), hex) << v;
  }
  std::string out;
  cbor::WriteHead(0, UINT64_MAX, &out);
  EXPECT_EQ(ToHex(out), "1bffffffffffffffff");
  out.clear();
  cbor::WriteDouble(1.1, &out);
  EXPECT_EQ(ToHex(out), "fb3ff199999999999a");
  out.clear();
  cbor::WriteDouble(1.0e300, &out);
  EXPECT_EQ(ToHex(out), "fb7e37e43c8800759c");
  out.clear();
  cbor::WriteText("IETF", &out);
  cbor::WriteText("\xc3\xbc", &out);
  cbor::WriteBytes(Hex("01020304"), &out);
  cbor::WriteBool(true, &out);
  cbor::WriteNull(&out);
  EXPECT_EQ(ToHex(out), "644945544662c3bc4401020304f5f6");
  out.clear();
  cbor::WriteText(
      "a\xff"
      "b",
      &out);  // ill-formed UTF-8 is replaced, never sent
  EXPECT_EQ(ToHex(out), "6561efbfbd62");
}

// ---- The model-driven codec, over CloudWatch's model ----

const ServiceModel& Cw() { return models::Monitoring(); }
ShapeId Input(std::string_view op) { return Cw().FindOperation(op)->input; }
ShapeId Output(std::string_view op) { return Cw().FindOperation(op)->output; }

void Key(std::string_view k, std::string* out) { cbor::WriteText(k, out); }

// PutMetricData as the JavaScript SDK writes it: whole numbers as integers, the timestamp as
// tag 1 around float seconds, an unknown member and a null.
std::string PutMetricDataBody() {
  std::string b;
  cbor::WriteHead(5, 4, &b);
  Key("Namespace", &b);
  cbor::WriteText("App", &b);
  Key("Future", &b);
  b += Hex("9f01a1616100ff");  // [_ 1, {"a": 0}]
  Key("StrictEntityValidation", &b);
  cbor::WriteNull(&b);
  Key("MetricData", &b);
  b += Hex("9f");  // indefinite array of one datum
  cbor::WriteHead(5, 8, &b);
  Key("MetricName", &b);
  b += Hex("7f626c616174ff");  // "lat" in two chunks
  Key("Dimensions", &b);
  cbor::WriteHead(4, 1, &b);
  cbor::WriteHead(5, 2, &b);
  Key("Name", &b);
  cbor::WriteText("Host", &b);
  Key("Value", &b);
  cbor::WriteText("a", &b);
  Key("Timestamp", &b);
  b += Hex("c1fb41d452d9ec200000");  // 1(1363896240.5)
  Key("Value", &b);
  cbor::WriteInt(5, &b);
  Key("Values", &b);
  b += Hex("83f93e00fa47c3500002");  // [1.5, 100000.0, 2]
  Key("Counts", &b);
  b += Hex("83010203");
  Key("StatisticValues", &b);
  cbor::WriteHead(5, 4, &b);
  for (std::string_view k : {"SampleCount", "Sum", "Minimum", "Maximum"}) {
    Key(k, &b);
    cbor::WriteInt(3, &b);
  }
  Key("StorageResolution", &b);
  cbor::WriteInt(1, &b);
  b += Hex("ff");
  return b;
}

TEST(CborCodec, DecodesPutMetricData) {
  auto v = DecodeCbor(Cw(), Input("PutMetricData"), PutMetricDataBody());
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(DebugString(*v),
            "{Namespace:\"App\",MetricData:[{MetricName:\"lat\",Dimensions:[{Name:\"Host\","
            "Value:\"a\"}],Timestamp:1363896240500,Value:5.000000,Values:[1.500000,100000.000000,"
            "2.000000],Counts:[1.000000,2.000000,3.000000],StatisticValues:{SampleCount:3.000000,"
            "Sum:3.000000,Minimum:3.000000,Maximum:3.000000},StorageResolution:1}]}");
}

TEST(CborCodec, EmptyBodyAndEmptyMap) {
  for (std::string body : {std::string(), Hex("a0"), Hex("bfff")}) {
    auto v = DecodeCbor(Cw(), Input("ListMetrics"), body);
    ASSERT_TRUE(v.ok()) << ToHex(body);
    EXPECT_TRUE(v->is_struct());
    EXPECT_TRUE(v->entries().empty());
  }
}

TEST(CborCodec, TypeErrors) {
  struct Case {
    std::string body;
    std::string message;
  };
  auto one = [](std::string_view key, std::string_view value_hex) {
    std::string b;
    cbor::WriteHead(5, 1, &b);
    cbor::WriteText(key, &b);
    b += Hex(value_hex);
    return b;
  };
  const Case kCases[] = {
      {Hex("80"), "CBOR array can not be converted to a Structure"},
      {Hex("a10101"), "CBOR map key is not a text string"},
      {one("AlarmNamePrefix", "01"), "CBOR integer can not be converted to a String"},
      {one("AlarmNamePrefix", "4161"), "CBOR byte string can not be converted to a String"},
      {one("MaxRecords", "6131"), "CBOR text string can not be converted to an Integer"},
      {one("MaxRecords", "1a80000000"), "Numeric value (2147483648) out of range of int"},
      {one("MaxRecords", "3a80000000"), "Numeric value (-2147483649) out of range of int"},
      {one("MaxRecords", "f93c00"), "CBOR float can not be converted to an Integer"},
      {one("AlarmNamePrefix", "f5"), "CBOR boolean can not be converted to a String"},
      {one("AlarmNames", "a0"), "CBOR map can not be converted to a List"},
      {one("AlarmNames", "8101"), "CBOR integer can not be converted to a String"},
  };
  for (const Case& c : kCases) {
    auto v = DecodeCbor(Cw(), Input("DescribeAlarms"), c.body);
    ASSERT_FALSE(v.ok()) << c.message;
    EXPECT_EQ(v.status().code(), ErrorCode::kSerialization);
    EXPECT_EQ(v.status().message(), c.message);
  }
  auto b = DecodeCbor(Cw(), Input("ListMetrics"), one("IncludeLinkedAccounts", "f5"));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->GetBool("IncludeLinkedAccounts"), true);
  // Timestamps: tag 1 or a bare number; another tag, a string or a huge number is refused.
  auto ts = [&](std::string_view value_hex) {
    std::string b;
    cbor::WriteHead(5, 1, &b);
    cbor::WriteText("StartTime", &b);
    b += Hex(value_hex);
    return DecodeCbor(Cw(), Input("GetMetricStatistics"), b);
  };
  auto t = ts("c11a514b67b0");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->GetInt("StartTime"), 1363896240000);
  t = ts("1a514b67b0");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->GetInt("StartTime"), 1363896240000);
  EXPECT_FALSE(ts("c01a514b67b0").ok());
  EXPECT_FALSE(ts("6131").ok());
  EXPECT_FALSE(ts("c1fb7e37e43c8800759c").ok());
  EXPECT_FALSE(ts("c1f97e00").ok());  // NaN
}

TEST(CborCodec, EncodesOutputsAndRoundTrips) {
  Value out = Value::Struct();
  out.Set("Label", Value::String("lat"));
  Value& points = out.Set("Datapoints", Value::List());
  Value p = Value::Struct();
  p.Set("Timestamp", Value::Int(1363896240000));
  p.Set("Sum", Value::Double(1.5));
  p.Set("SampleCount", Value::Double(2));
  p.Set("Unit", Value::String("Count"));
  p.Set("ExtendedStatistics", Value::Map());
  p.mutable_entries().emplace_back("Maximum", Value());  // null: skipped
  points.Append(std::move(p));
  Value q = Value::Struct();
  q.Set("Timestamp", Value::Int(1363896240500));
  points.Append(std::move(q));
  std::string bytes;
  EncodeCbor(Cw(), Output("GetMetricStatistics"), out, &bytes);
  auto item = cbor::Parse(bytes);
  ASSERT_TRUE(item.ok()) << item.status().message();
  EXPECT_EQ(cbor::Diagnostic(*item),
            "{\"Label\": \"lat\", \"Datapoints\": [{\"Timestamp\": 1(1363896240), \"Sum\": 1.5, "
            "\"SampleCount\": 2.0, \"Unit\": \"Count\", \"ExtendedStatistics\": {}}, "
            "{\"Timestamp\": 1(1363896240.5)}]}");
  // Outputs without a shape: an empty map.
  std::string empty;
  EncodeCbor(Cw(), kNoShape, Value::Struct(), &empty);
  EXPECT_EQ(ToHex(empty), "a0");
  // Decoding what was encoded for an input gives the same Value.
  auto in = DecodeCbor(Cw(), Input("PutMetricData"), PutMetricDataBody());
  ASSERT_TRUE(in.ok());
  std::string again;
  EncodeCbor(Cw(), Input("PutMetricData"), *in, &again);
  auto back = DecodeCbor(Cw(), Input("PutMetricData"), again);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(DebugString(*back), DebugString(*in));
}

}  // namespace
}  // namespace sluice::protocol
