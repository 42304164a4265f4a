#include "services/sqs/validation.h"

#include <gtest/gtest.h>

#include <string>

#include "sqs_test_util.h"

namespace sluice::sqs {
namespace {

using testing::B;
using testing::Map;
using testing::S;
using testing::StrAttr;
using testing::Struct;

constexpr char kAllowedSet[] =
    "the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | "
    "#x10000 to #x10FFFF";

TEST(Characters, AllowsTheXmlCharacterSet) {
  EXPECT_FALSE(FindInvalidCharacter("hello\t\n\r world"));
  EXPECT_FALSE(FindInvalidCharacter("caf\xC3\xA9"));       // U+00E9
  EXPECT_FALSE(FindInvalidCharacter("\xED\x9F\xBF"));      // U+D7FF
  EXPECT_FALSE(FindInvalidCharacter("\xEE\x80\x80"));      // U+E000
  EXPECT_FALSE(FindInvalidCharacter("\xEF\xBF\xBD"));      // U+FFFD
  EXPECT_FALSE(FindInvalidCharacter("\xF0\x9F\x98\x80"));  // U+1F600
  EXPECT_FALSE(FindInvalidCharacter("\xF4\x8F\xBF\xBF"));  // U+10FFFF
  EXPECT_FALSE(FindInvalidCharacter(""));
}

TEST(Characters, FindsForbiddenCodePoints) {
  EXPECT_EQ(FindInvalidCharacter(std::string("a\x01", 2)), 0x1u);
  EXPECT_EQ(FindInvalidCharacter(std::string("\0", 1)), 0x0u);
  EXPECT_EQ(FindInvalidCharacter("\x1F"), 0x1Fu);
  EXPECT_EQ(FindInvalidCharacter("\xEF\xBF\xBE"), 0xFFFEu);  // U+FFFE
  EXPECT_EQ(FindInvalidCharacter("\xEF\xBF\xBF"), 0xFFFFu);  // U+FFFF
  EXPECT_EQ(FindInvalidCharacter("\xED\xA0\x80"), 0xD800u);  // surrogate
}

TEST(Characters, FindsMalformedUtf8) {
  EXPECT_EQ(FindInvalidCharacter("\xC3"), 0xC3u);              // truncated
  EXPECT_EQ(FindInvalidCharacter("\x80"), 0x80u);              // stray continuation
  EXPECT_EQ(FindInvalidCharacter("\xC0\xAF"), 0xC0u);          // overlong
  EXPECT_EQ(FindInvalidCharacter("\xF5\x80\x80\x80"), 0xF5u);  // > U+10FFFF lead byte
  EXPECT_EQ(FindInvalidCharacter("\xF4\x90\x80\x80"), 0x110000u);
  EXPECT_EQ(FindInvalidCharacter("\xFF"), 0xFFu);
}

TEST(MessageBody, RequiredAndNonEmpty) {
  Status s = ValidateMessageBody(std::nullopt, "MessageBody");
  EXPECT_EQ(s.code(), ErrorCode::kMissingParameter);
  EXPECT_EQ(s.message(), "The request must contain the parameter MessageBody.");
  s = ValidateMessageBody("", "SendMessageBatchRequestEntry.2.MessageBody");
  EXPECT_EQ(s.code(), ErrorCode::kMissingParameter);
  EXPECT_EQ(s.message(),
            "The request must contain the parameter SendMessageBatchRequestEntry.2.MessageBody.");
  EXPECT_TRUE(ValidateMessageBody("x", "MessageBody").ok());
}

TEST(MessageBody, InvalidCharacterText) {
  const Status s = ValidateMessageBody(std::string("a\x01", 2), "MessageBody");
  EXPECT_EQ(s.code(), SqsError::kInvalidMessageContents);
  EXPECT_EQ(
      s.message(),
      std::string("Invalid binary character '#x1' was found in the message body, ") + kAllowedSet);
  EXPECT_EQ(ValidateMessageBody("\xEF\xBF\xBF", "MessageBody").message(),
            std::string("Invalid binary character '#xFFFF' was found in the message body, ") +
                kAllowedSet);
}

TEST(Numbers, Valid) {
  for (const char* n : {"0", "1", "-1", "+1", "42", "3.14", "-0.5", ".5", "5.", "1e10", "1E-5",
                        "12345678901234567890123456789012345678",       // 38 digits
                        "1000000000000000000000000000000000000000000",  // trailing zeros
                        "0.000123", "1e126", "9.99e125", "1e-128", "0e999999", "00012"}) {
    EXPECT_TRUE(IsValidNumber(n)) << n;
  }
}

TEST(Numbers, Invalid) {
  for (const char* n : {"",
                        "abc",
                        "1a",
                        "--1",
                        "1e",
                        "1e+",
                        ".",
                        "-",
                        " 1",
                        "1 ",
                        "0x10",
                        "123456789012345678901234567890123456789",  // 39 significant digits
                        "1.1e126",
                        "2e126",
                        "1e127",
                        "1e-129",
                        "0.9e-128",
                        "NaN",
                        "Infinity",
                        "1,5"}) {
    EXPECT_FALSE(IsValidNumber(n)) << n;
  }
}

TEST(AttributeNames, Rules) {
  EXPECT_TRUE(IsValidAttributeName("a"));
  EXPECT_TRUE(IsValidAttributeName("Help.Me"));
  EXPECT_TRUE(IsValidAttributeName("a_b-c.d"));
  EXPECT_TRUE(IsValidAttributeName(std::string(256, 'a')));
  EXPECT_FALSE(IsValidAttributeName(std::string(257, 'a')));
  EXPECT_FALSE(IsValidAttributeName(""));
  EXPECT_FALSE(IsValidAttributeName(".a"));
  EXPECT_FALSE(IsValidAttributeName("a."));
  EXPECT_FALSE(IsValidAttributeName("a..b"));
  EXPECT_FALSE(IsValidAttributeName("a b"));
}

TEST(AttributeNames, NonAsciiLettersAndDigits) {
  // AWS accepts letters beyond ASCII ("attr.1\u00f8\u00df\u00e4" in localstack's AWS-validated
  // test_send_message_with_invalid_string_attributes) and refuses other characters ("\u00a7").
  EXPECT_TRUE(IsValidAttributeName("caf\xC3\xA9"));
  EXPECT_TRUE(IsValidAttributeName("attr.1\xC3\xB8\xC3\x9F\xC3\xA4"));
  EXPECT_TRUE(IsValidAttributeName("\xD0\xB8\xD0\xBC\xD1\x8F"));  // Cyrillic
  EXPECT_TRUE(IsValidAttributeName("\xE5\x90\x8D\xE5\x89\x8D"));  // CJK
  EXPECT_TRUE(IsValidAttributeName("n\xD9\xA1"));                 // Arabic-Indic digit one
  EXPECT_FALSE(IsValidAttributeName("Invalid-\xC2\xA7-attr"));    // section sign
  EXPECT_FALSE(
      IsValidAttributeName("a\xC3\x97"
                           "b"));                          // multiplication sign
  EXPECT_FALSE(IsValidAttributeName("snow\xE2\x98\x83"));  // snowman
  EXPECT_FALSE(IsValidAttributeName("a\xC3"));             // malformed UTF-8
  // 256 characters, not bytes.
  std::string long_name;
  for (int i = 0; i < 256; ++i) long_name += "\xC3\xA9";
  EXPECT_TRUE(IsValidAttributeName(long_name));
  EXPECT_FALSE(IsValidAttributeName(long_name + "e"));
}

Status AttrError(const protocol::Value& map) {
  auto r = ParseMessageAttributes(&map);
  return r.ok() ? Status::Ok() : r.status();
}

void ExpectInvalid(const protocol::Value& map, const std::string& message,
                   ErrorId code = ErrorCode::kInvalidParameterValue) {
  const Status s = AttrError(map);
  EXPECT_EQ(s.code(), code) << s.message();
  EXPECT_EQ(s.message(), message);
}

TEST(MessageAttributes, ParsesSortsAndCountsSize) {
  const protocol::Value map = testing::Map({
      {"zeta", StrAttr("v")},
      {"count", StrAttr("42", "Number.int")},
      {"blob", Struct({{"DataType", S("Binary")}, {"BinaryValue", B(std::string("\x01\x02", 2))}})},
  });
  auto r = ParseMessageAttributes(&map);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->attributes.size(), 3u);
  EXPECT_EQ(r->attributes[0].name, "blob");
  EXPECT_TRUE(r->attributes[0].binary);
  EXPECT_EQ(r->attributes[0].value, std::string("\x01\x02", 2));
  EXPECT_EQ(r->attributes[1].name, "count");
  EXPECT_EQ(r->attributes[1].data_type, "Number.int");
  EXPECT_EQ(r->attributes[2].name, "zeta");
  // names + types + values: (4+6+2) + (5+10+2) + (4+6+1)
  EXPECT_EQ(r->size, 12u + 17u + 11u);
}

TEST(MessageAttributes, AbsentIsEmpty) {
  auto r = ParseMessageAttributes(nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->attributes.empty());
  EXPECT_EQ(r->size, 0u);
}

TEST(MessageAttributes, AtMostTen) {
  protocol::Value map = protocol::Value::Map();
  for (int i = 0; i < 11; ++i) map.Set("a" + std::to_string(i), StrAttr("v"));
  ExpectInvalid(map, "Number of message attributes [11] exceeds the allowed maximum [10].");
  map.mutable_entries().pop_back();
  EXPECT_TRUE(AttrError(map).ok());
}

TEST(MessageAttributes, NameRules) {
  ExpectInvalid(Map({{"", StrAttr("v")}}),
                "The request must contain non-empty message (user) attribute names.");
  ExpectInvalid(Map({{std::string(257, 'a'), StrAttr("v")}}),
                "Message (user) attribute name must be shorter than 256 bytes.");
  EXPECT_TRUE(AttrError(Map({{"attr.1\xC3\xB8\xC3\x9F\xC3\xA4", StrAttr("Valida")}})).ok());
  for (const char* reserved : {"AWS.x", "aws.x", "Amazon.x", "AMAZON.y"}) {
    ExpectInvalid(Map({{reserved, StrAttr("v")}}),
                  "You can't use message attribute names beginning with 'AWS.' or 'Amazon'. "
                  "These strings are reserved for internal use.");
  }
  for (const char* bad : {".a", "a.", "a..b", "a b", "a/b"}) {
    ExpectInvalid(Map({{bad, StrAttr("v")}}),
                  std::string("Message (user) attribute name '") + bad + "' is invalid.");
  }
  EXPECT_TRUE(AttrError(Map({{"Amazon", StrAttr("v")}})).ok());  // only the "Amazon." prefix
}

TEST(MessageAttributes, ValueAndTypeRules) {
  ExpectInvalid(Map({{"x", Struct({{"DataType", S("String")}})}}),
                "The message (user) attribute 'x' must contain a non-empty message attribute "
                "value.");
  ExpectInvalid(Map({{"x", Struct({{"StringValue", S("v")}})}}),
                "The message attribute 'x' must contain non-empty message attribute type.");
  ExpectInvalid(Map({{"x", StrAttr("v", "String." + std::string(250, 'a'))}}),
                "Message (user) attribute type must be shorter than 256 bytes.");
  ExpectInvalid(Map({{"x", StrAttr("v", "Text")}}),
                "The type of message (user) attribute 'x' is invalid. You must use only the "
                "following supported type prefixes: Binary, Number, String.");
  ExpectInvalid(Map({{"x", StrAttr("v", "Stringy")}}),
                "The type of message (user) attribute 'x' is invalid. You must use only the "
                "following supported type prefixes: Binary, Number, String.");
  ExpectInvalid(Map({{"x", StrAttr("")}}),
                "Message (user) attribute 'x' must contain a non-empty value of type 'String'.");
  ExpectInvalid(Map({{"x", StrAttr("", "Number")}}),
                "Message (user) attribute 'x' must contain a non-empty value of type 'Number'.");
  ExpectInvalid(Map({{"x", Struct({{"DataType", S("Binary")}, {"StringValue", S("v")}})}}),
                "Message (user) attribute 'x' must contain a non-empty value of type 'Binary'.");
  ExpectInvalid(Map({{"x", Struct({{"DataType", S("Binary")}, {"BinaryValue", B("")}})}}),
                "Message (user) attribute 'x' must contain a non-empty value of type 'Binary'.");
  ExpectInvalid(Map({{"x", StrAttr("abc", "Number")}}),
                "Can't cast the value of message (user) attribute 'x' to a number.");
  ExpectInvalid(Map({{"x", StrAttr("1e200", "Number.big")}}),
                "Can't cast the value of message (user) attribute 'x' to a number.");
  ExpectInvalid(Map({{"x", Struct({{"DataType", S("String")},
                                   {"StringListValues", testing::List({S("a")})}})}}),
                "Message attribute list values in SendMessage operation are not supported.");
  // AWS answers InvalidParameterValue here, where a bad body is InvalidMessageContents
  // (localstack's AWS-validated
  // test_invalid_string_attributes_cause_invalid_parameter_value_error).
  ExpectInvalid(Map({{"x", StrAttr(std::string("a\x02", 2))}}),
                std::string("Invalid binary character '#x2' was found in the value of message "
                            "attribute 'x', ") +
                    kAllowedSet);
  ExpectInvalid(Map({{"x", StrAttr(std::string("1\x0b", 2), "Number")}}),
                std::string("Invalid binary character '#xB' was found in the value of message "
                            "attribute 'x', ") +
                    kAllowedSet);
  EXPECT_TRUE(AttrError(Map({{"x", StrAttr("v", "String.custom")}})).ok());
  EXPECT_TRUE(AttrError(Map({{"x", StrAttr("-1.5e3", "Number.float")}})).ok());
  EXPECT_TRUE(
      AttrError(Map({{"x", Struct({{"DataType", S("Binary.png")}, {"BinaryValue", B("\x01")}})}}))
          .ok());
}

Result<std::optional<std::string>> Sys(const protocol::Value& map) {
  return ParseSystemAttributes(&map);
}

TEST(SystemAttributes, OnlyAwsTraceHeader) {
  auto ok = Sys(testing::Map({{"AWSTraceHeader", StrAttr("Root=1-abc")}}));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->value_or(""), "Root=1-abc");
  auto none = ParseSystemAttributes(nullptr);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(*none);

  auto bad = Sys(testing::Map({{"Other", StrAttr("x")}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidParameterValue);
  EXPECT_EQ(bad.status().message(), "Message system attribute name 'Other' is invalid.");

  auto binary = Sys(testing::Map(
      {{"AWSTraceHeader", Struct({{"DataType", S("Binary")}, {"BinaryValue", B("x")}})}}));
  ASSERT_FALSE(binary.ok());
  EXPECT_EQ(binary.status().message(),
            "Message system attribute 'AWSTraceHeader' must be of type 'String'.");

  auto control = Sys(testing::Map({{"AWSTraceHeader", StrAttr(std::string("Root=\x01", 6))}}));
  EXPECT_EQ(control.status().code(), ErrorCode::kInvalidParameterValue);

  auto empty = Sys(testing::Map({{"AWSTraceHeader", StrAttr("")}}));
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), ErrorCode::kInvalidParameterValue);
}

TEST(Tokens, FifoTokens) {
  EXPECT_TRUE(IsValidFifoToken("a"));
  EXPECT_TRUE(IsValidFifoToken(std::string(128, 'x')));
  EXPECT_TRUE(IsValidFifoToken("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"));
  EXPECT_FALSE(IsValidFifoToken(""));
  EXPECT_FALSE(IsValidFifoToken(std::string(129, 'x')));
  EXPECT_FALSE(IsValidFifoToken("a b"));
  EXPECT_FALSE(IsValidFifoToken("caf\xC3\xA9"));
  const Status s = ValidateFifoToken("MessageGroupId", "a b");
  EXPECT_EQ(s.code(), ErrorCode::kInvalidParameterValue);
  EXPECT_EQ(s.message(),
            "Value a b for parameter MessageGroupId is invalid. Reason: MessageGroupId can only "
            "include alphanumeric and punctuation characters. 1 to 128 in length.");
}

TEST(Tokens, BatchIdsAndLabels) {
  EXPECT_TRUE(IsValidBatchEntryId("a-B_9"));
  EXPECT_TRUE(IsValidBatchEntryId(std::string(80, 'x')));
  EXPECT_FALSE(IsValidBatchEntryId(std::string(81, 'x')));
  EXPECT_FALSE(IsValidBatchEntryId(""));
  EXPECT_FALSE(IsValidBatchEntryId("a.b"));
  EXPECT_FALSE(IsValidBatchEntryId("\xC3\xA9"));
  EXPECT_TRUE(IsValidLabel("Perm_1-x"));
  EXPECT_FALSE(IsValidLabel("a b"));
  EXPECT_FALSE(IsValidLabel(std::string(81, 'l')));
}

TEST(RawSize, CountsBodyAndAttributes) {
  const protocol::Value entry =
      Struct({{"MessageBody", S("hello")},
              {"MessageAttributes",
               Map({{"n", StrAttr("12", "Number")},
                    {"b", Struct({{"DataType", S("Binary")}, {"BinaryValue", B("xyz")}})}})},
              {"MessageSystemAttributes", Map({{"AWSTraceHeader", StrAttr("ignored")}})}});
  EXPECT_EQ(RawMessageSize(entry), 5u + (1 + 6 + 2) + (1 + 6 + 3));
}

}  // namespace
}  // namespace sluice::sqs
