#include "protocol/validation.h"

#include <gtest/gtest.h>

#include <string>

#include "models/kms_model.h"
#include "models/ssm_model.h"
#include "models/sts_model.h"

namespace sluice::protocol {
namespace {

Value S(std::string s) { return Value::String(std::move(s)); }

// Validates `input` against the input shape of `op` in `model`; "" when valid.
std::string Check(const ServiceModel& model, std::string_view op, const Value& input) {
  static thread_local std::unique_ptr<Validator> kms, ssm, sts;
  auto& v = &model == &models::Kms() ? kms : &model == &models::Ssm() ? ssm : sts;
  if (!v) v = std::make_unique<Validator>(model);
  const OperationDef* def = model.FindOperation(op);
  EXPECT_NE(def, nullptr) << op;
  const Status st = v->Validate(def->input, input);
  if (st.ok()) return "";
  EXPECT_EQ(st.code(), ErrorCode::kValidationError);
  return st.message();
}

TEST(Validation, RequiredMemberIsNotNull) {
  EXPECT_EQ(Check(models::Kms(), "DescribeKey", Value::Struct()),
            "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: "
            "Member must not be null");
}

TEST(Validation, PatternLengthAndEnumInModelOrder) {
  Value in = Value::Struct();
  in.Set("AliasName", S("bad name!"));
  in.Set("TargetKeyId", S(""));
  EXPECT_EQ(Check(models::Kms(), "CreateAlias", in),
            "2 validation errors detected: Value 'bad name!' at 'aliasName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$; "
            "Value '' at 'targetKeyId' failed to satisfy constraint: Member must have length "
            "greater than or equal to 1");
  Value key = Value::Struct();
  key.Set("KeyUsage", S("ENCRYPT"));
  const std::string msg = Check(models::Kms(), "CreateKey", key);
  EXPECT_NE(msg.find("Value 'ENCRYPT' at 'keyUsage' failed to satisfy constraint: Member must "
                     "satisfy enum value set: [SIGN_VERIFY, ENCRYPT_DECRYPT"),
            std::string::npos)
      << msg;
}

TEST(Validation, SensitiveValuesAreNotEchoed) {
  Value in = Value::Struct();
  in.Set("KeyId", S("alias/x"));
  in.Set("Plaintext", Value::Blob(std::string(4097, 'a')));
  EXPECT_EQ(Check(models::Kms(), "Encrypt", in),
            "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: "
            "Member must have length less than or equal to 4096");
  in.Set("Plaintext", Value::Blob(std::string(4096, 'a')));
  EXPECT_EQ(Check(models::Kms(), "Encrypt", in), "");
}

TEST(Validation, NestedListsAndNumbers) {
  Value tag = Value::Struct();
  tag.Set("TagKey", S(""));
  tag.Set("TagValue", S("v"));
  Value in = Value::Struct();
  in.Set("Tags", Value::List()).Append(std::move(tag));
  EXPECT_EQ(Check(models::Kms(), "CreateKey", in),
            "1 validation error detected: Value '' at 'tags.1.member.tagKey' failed to satisfy "
            "constraint: Member must have length greater than or equal to 1");
  Value random = Value::Struct();
  random.Set("NumberOfBytes", Value::Int(1025));
  EXPECT_EQ(Check(models::Kms(), "GenerateRandom", random),
            "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy "
            "constraint: Member must have value less than or equal to 1024");
}

TEST(Validation, JavaPatternFeatures) {
  // \p{L} (Unicode letters) in SSM tag keys; '!' is outside the class.
  auto tagged = [](std::string key) {
    Value tag = Value::Struct();
    tag.Set("Key", S(std::move(key)));
    tag.Set("Value", S("v"));
    Value in = Value::Struct();
    in.Set("ResourceType", S("Parameter"));
    in.Set("ResourceId", S("/p"));
    in.Set("Tags", Value::List()).Append(std::move(tag));
    return Check(models::Ssm(), "AddTagsToResource", in);
  };
  EXPECT_EQ(tagged("caf\xC3\xA9"), "");
  EXPECT_NE(tagged("cafe!"), "");
  // Lookahead: not only whitespace.
  Value doc = Value::Struct();
  doc.Set("Name", S("d"));
  doc.Set("DocumentVersion", S("1"));
  Value review = Value::Struct();
  review.Set("Action", S("Approve"));
  Value comment = Value::Struct();
  comment.Set("Type", S("Comment"));
  comment.Set("Content", S("   "));
  review.Set("Comment", Value::List()).Append(std::move(comment));
  doc.Set("DocumentReviews", std::move(review));
  EXPECT_NE(Check(models::Ssm(), "UpdateDocumentMetadata", doc)
                .find("at 'documentReviews.comment.1.member.content' failed to satisfy constraint: "
                      "Member must satisfy regular expression pattern: ^(?!\\s*$).+"),
            std::string::npos);
  // \uXXXX ranges: Latin-1 passes, beyond U+00FF fails (KMS key policies).
  Value policy = Value::Struct();
  policy.Set("KeyId", S("k"));
  policy.Set("Policy", S("{\"Sid\":\"caf\xC3\xA9\"}"));
  EXPECT_EQ(Check(models::Kms(), "PutKeyPolicy", policy), "");
  policy.Set("Policy", S("{\"Sid\":\"\xE2\x82\xAC\"}"));
  EXPECT_NE(Check(models::Kms(), "PutKeyPolicy", policy), "");
  // Java's \w is ASCII only (STS role session names).
  Value role = Value::Struct();
  role.Set("RoleArn", S("arn:aws:iam::123456789012:role/r"));
  role.Set("RoleSessionName", S("s\xC3\xA9ssion"));
  EXPECT_NE(Check(models::Sts(), "AssumeRole", role).find("roleSessionName"), std::string::npos);
  role.Set("RoleSessionName", S("session_1"));
  EXPECT_EQ(Check(models::Sts(), "AssumeRole", role), "");
}

TEST(Validation, LengthsCountUtf16Units) {
  // KMS descriptions: at most 8192; U+1F600 is two UTF-16 units (4 UTF-8 bytes).
  std::string smile = "\xF0\x9F\x98\x80";
  std::string text;
  for (int i = 0; i < 4096; ++i) text += smile;
  Value in = Value::Struct();
  in.Set("KeyId", S("k"));
  in.Set("Description", S(text));
  EXPECT_EQ(Check(models::Kms(), "UpdateKeyDescription", in), "");
  in.Set("Description", S(text + "x"));
  EXPECT_NE(Check(models::Kms(), "UpdateKeyDescription", in), "");
}

TEST(Validation, InvalidUtf8NeverMatchesAPattern) {
  Value in = Value::Struct();
  in.Set("AliasName", S("alias/\xFF"));
  in.Set("TargetKeyId", S("k"));
  EXPECT_NE(Check(models::Kms(), "CreateAlias", in), "");
}

// Every pattern of the models Sluice serves compiles (none silently unenforced).
TEST(Validation, EveryModelPatternCompiles) {
  for (const ServiceModel* model : {&models::Kms(), &models::Ssm(), &models::Sts()}) {
    Validator v(*model);
    for (std::size_t i = 0; i < model->shapes().size(); ++i) {
      const ShapeDef& s = model->shape(static_cast<ShapeId>(i));
      if (s.pattern.empty()) continue;
      EXPECT_TRUE(v.Enforces(static_cast<ShapeId>(i)))
          << model->metadata().service_id << " " << s.name << ": " << s.pattern;
    }
  }
}

}  // namespace
}  // namespace sluice::protocol
