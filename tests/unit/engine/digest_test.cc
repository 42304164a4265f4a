#include "engine/digest.h"

#include <gtest/gtest.h>

#include "common/encoding.h"

namespace sluice::engine {
namespace {

MessageAttribute Str(std::string name, std::string type, std::string value) {
  MessageAttribute a;
  a.name = std::move(name);
  a.data_type = std::move(type);
  a.value = std::move(value);
  return a;
}

MessageAttribute Bin(std::string name, std::string value) {
  MessageAttribute a = Str(std::move(name), "Binary", std::move(value));
  a.binary = true;
  return a;
}

TEST(DigestTest, BodyVectors) {
  EXPECT_EQ(Md5Hex("hello"), "5d41402abc4b2a76b9719d911017c592");
  EXPECT_EQ(Md5Hex("Body"), "ac101b32dda4448cf13a93fe283dddd8");
}

TEST(DigestTest, EmptySetIsEmpty) { EXPECT_EQ(Md5OfMessageAttributes({}), ""); }

TEST(DigestTest, V2SingleString) {
  EXPECT_EQ(Md5OfMessageAttributes({Str("greeting", "String", "hi")}),
            "7c50c7ee3dca03a9a7c3f73e6c838c20");
}

TEST(DigestTest, V3MixedTypesAnyOrder) {
  MessageAttributes attrs = {Str("name", "String.custom", "caf\xc3\xa9"),
                             Str("count", "Number", "42"), Bin("blob", "\x01\x02\x03")};
  EXPECT_EQ(Md5OfMessageAttributes(attrs), "0259b5d53b62083e93646e1f00a64728");
}

TEST(DigestTest, V4TraceHeader) {
  EXPECT_EQ(Md5OfTraceHeader(
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"),
            "5ae4d5d7636402d80f4eb6d213245a88");
}

TEST(DigestTest, JavaSdkListVector) {
  MessageAttribute sl;
  sl.name = "StringList";
  sl.data_type = "String";
  sl.string_list = {"ListValue"};
  MessageAttribute bl;
  bl.name = "ByteList";
  bl.data_type = "Binary";
  bl.binary_list = {std::string("\x03", 1)};
  MessageAttributes attrs = {Str("String", "String", "Value"), Bin("Binary", "\x05"), sl, bl};
  EXPECT_EQ(Md5OfMessageAttributes(attrs), "4b6959cf7735fdade89bc099b85b3234");
}

TEST(DigestTest, RecordedAwsVectors) {
  EXPECT_EQ(Md5OfMessageAttributes({Str("MyAttribute", "String", "foobar")}),
            "adb59cd4678ea5a855436b949cd07ab6");
  EXPECT_EQ(Md5OfMessageAttributes({Bin("attr1",
                                        "traceparent\x1e"
                                        "00-774062d6c37081a5a0b9b5b88e30627c-"
                                        "2d2482211f6489da-01")}),
            "8cbe4db156db8a94db8b801b7addb984");
  EXPECT_EQ(
      Md5OfMessageAttributes({Str("General", "String", "Kenobi"), Str("Hello", "String", "There"),
                              Str("Help.Me", "String", "Me")}),
      "4c360f3fdafd970e05fae2f149d997f5");
  EXPECT_EQ(
      Md5OfMessageAttributes({Str("General", "String", "Kenobi"), Str("Hello", "String", "There")}),
      "fca026605781cb4126a1e9044df24232");
  EXPECT_EQ(
      Md5OfMessageAttributes({Str("ordinal", "Number", "1"), Str("category", "String", "test")}),
      "d21ae90c49061e927f57df5f5d72be1f");
}

}  // namespace
}  // namespace sluice::engine
