// kms::Keys on an in-memory resource store and a FakeClock: identifiers, state, cryptography,
// rotation and deletion on the injected clock.
#include "services/kms/keys.h"

#include <gtest/gtest.h>

#include "models/kms_model.h"
#include "protocol/errors.h"
#include "services/kms/errors.h"

namespace sluice::kms {
namespace {

constexpr Millis kDay = 86'400'000;

class KeysTest : public ::testing::Test {
 protected:
  KeysTest() : store_(std::move(engine::OpenResourceStore()).value()), keys_(*store_, clock_) {}

  Key NewKey(CreateKeyRequest r = {}) {
    auto key = keys_.Create(scope_, r);
    EXPECT_TRUE(key.ok()) << key.status().message();
    return *key;
  }

  FakeClock clock_;
  std::unique_ptr<engine::ResourceStore> store_;
  Keys keys_;
  const engine::ResourceScope scope_{"111122223333", "us-east-1"};
};

TEST(KmsErrors, AgreeWithTheModel) {
  EXPECT_EQ(protocol::ErrorTableProblems(models::Kms(), KmsErrorTable()),
            std::vector<std::string>{});
}

TEST_F(KeysTest, FindsByIdArnAliasAndAliasArnWithAwsTexts) {
  const Key key = NewKey();
  ASSERT_TRUE(keys_.CreateAlias(scope_, "alias/orders", key.id).ok());
  for (const std::string& id : {key.id, key.Arn(), std::string("alias/orders"),
                                std::string("arn:aws:kms:us-east-1:111122223333:alias/orders")}) {
    auto found = keys_.Find(scope_, id);
    ASSERT_TRUE(found.ok()) << id << ": " << found.status().message();
    EXPECT_EQ(found->id, key.id);
  }
  auto expect = [&](std::string_view id, std::string_view message, bool allow_alias = true) {
    auto r = keys_.Find(scope_, id, allow_alias);
    EXPECT_EQ(r.status().code(), KmsError::kNotFound) << id;
    EXPECT_EQ(r.status().message(), message);
  };
  expect("nope", "Invalid keyId 'nope'");
  expect("11111111-2222-3333-4444-555555555555",
         "Key 'arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555' does "
         "not exist");
  expect("alias/nope", "Alias arn:aws:kms:us-east-1:111122223333:alias/nope is not found.");
  expect("arn:aws:kms:eu-west-1:111122223333:key/" + key.id, "Invalid arn eu-west-1");
  expect("alias/orders", "Invalid keyId 'alias/orders'", /*allow_alias=*/false);
}

TEST_F(KeysTest, EncryptionContextAndTamperingAreCaught) {
  const Key key = NewKey();
  const Context ctx{{"tenant", "a"}, {"order", "1"}};
  auto sealed = keys_.Encrypt(scope_, key.id, "secret", ctx);
  ASSERT_TRUE(sealed.ok());
  // The context is order-independent and exact.
  auto opened = keys_.Decrypt(scope_, sealed->blob, {{"order", "1"}, {"tenant", "a"}});
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->plaintext, "secret");
  EXPECT_EQ(keys_.Decrypt(scope_, sealed->blob, {{"tenant", "a"}}).status().code(),
            KmsError::kInvalidCiphertext);
  EXPECT_EQ(keys_.Decrypt(scope_, sealed->blob, {}).status().code(), KmsError::kInvalidCiphertext);
  std::string tampered = sealed->blob;
  tampered.back() ^= 1;
  EXPECT_EQ(keys_.Decrypt(scope_, tampered, ctx).status().code(), KmsError::kInvalidCiphertext);
  EXPECT_EQ(keys_.Decrypt(scope_, "garbage", ctx).status().code(), KmsError::kInvalidCiphertext);
  // Another key named for the blob: IncorrectKeyException.
  const Key other = NewKey();
  EXPECT_EQ(keys_.Decrypt(scope_, sealed->blob, ctx, other.id).status().code(),
            KmsError::kIncorrectKey);
  // Another account cannot find the blob's key.
  EXPECT_EQ(keys_.Decrypt({"999999999999", "us-east-1"}, sealed->blob, ctx).status().code(),
            ErrorCode::kAccessDenied);
}

TEST_F(KeysTest, DisabledAndPendingDeletionKeysRefuseToWork) {
  const Key key = NewKey();
  auto blob = keys_.Encrypt(scope_, key.id, "x", {});
  ASSERT_TRUE(blob.ok());
  ASSERT_TRUE(keys_
                  .Modify(scope_, key.id,
                          [](Key& k) {
                            k.state = "Disabled";
                            return Status::Ok();
                          })
                  .ok());
  auto disabled = keys_.Encrypt(scope_, key.id, "x", {});
  EXPECT_EQ(disabled.status().code(), KmsError::kDisabled);
  EXPECT_EQ(disabled.status().message(), key.Arn() + " is disabled.");
  EXPECT_EQ(keys_.Decrypt(scope_, blob->blob, {}).status().code(), KmsError::kDisabled);
  ASSERT_TRUE(keys_
                  .Modify(scope_, key.id,
                          [&](Key& k) {
                            k.state = "PendingDeletion";
                            k.deletion_ms = clock_.NowMs() + 7 * kDay;
                            return Status::Ok();
                          })
                  .ok());
  auto pending = keys_.Encrypt(scope_, key.id, "x", {});
  EXPECT_EQ(pending.status().code(), KmsError::kInvalidState);
  EXPECT_EQ(pending.status().message(), key.Arn() + " is pending deletion.");
}

TEST_F(KeysTest, DeletionHappensOnTheClockWithItsAliases) {
  const Key key = NewKey();
  ASSERT_TRUE(keys_.CreateAlias(scope_, "alias/doomed", key.id).ok());
  ASSERT_TRUE(keys_
                  .Modify(scope_, key.id,
                          [&](Key& k) {
                            k.state = "PendingDeletion";
                            k.deletion_ms = clock_.NowMs() + 7 * kDay;
                            return Status::Ok();
                          })
                  .ok());
  clock_.Advance(7 * kDay - 1);
  EXPECT_TRUE(keys_.Find(scope_, key.id).ok());
  clock_.Advance(1);
  EXPECT_EQ(keys_.Find(scope_, key.id).status().code(), KmsError::kNotFound);
  auto aliases = keys_.ListAliases(scope_);
  ASSERT_TRUE(aliases.ok());
  for (const Alias& a : *aliases) EXPECT_NE(a.name, "alias/doomed");
  EXPECT_EQ(keys_.Find(scope_, "alias/doomed").status().code(), KmsError::kNotFound);
  auto listed = keys_.List(scope_);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
}

TEST_F(KeysTest, AutomaticRotationKeepsOldMaterialForDecryption) {
  const Key key = NewKey();
  auto before = keys_.Encrypt(scope_, key.id, "old", {});
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE(keys_
                  .Modify(scope_, key.id,
                          [&](Key& k) {
                            k.rotation_enabled = true;
                            k.rotation_period_days = 90;
                            k.next_rotation_ms = clock_.NowMs() + 90 * kDay;
                            return Status::Ok();
                          })
                  .ok());
  clock_.Advance(90 * kDay);
  auto rotated = keys_.Find(scope_, key.id);
  ASSERT_TRUE(rotated.ok()) << rotated.status().message();
  ASSERT_EQ(rotated->materials.size(), 2u);
  ASSERT_EQ(rotated->rotations.size(), 1u);
  EXPECT_FALSE(rotated->rotations[0].on_demand);
  EXPECT_EQ(rotated->next_rotation_ms, clock_.NowMs() + 90 * kDay);
  auto after = keys_.Encrypt(scope_, key.id, "new", {});
  ASSERT_TRUE(after.ok());
  EXPECT_NE(before->blob.substr(17, 4), after->blob.substr(17, 4));  // material ids differ
  EXPECT_EQ(keys_.Decrypt(scope_, before->blob, {})->plaintext, "old");
  EXPECT_EQ(keys_.Decrypt(scope_, after->blob, {})->plaintext, "new");
}

TEST_F(KeysTest, MacKeysAndUsageChecks) {
  CreateKeyRequest r;
  r.spec = "HMAC_384";
  EXPECT_EQ(keys_.Create(scope_, r).status().code(), ErrorCode::kValidationError);
  r.usage = "GENERATE_VERIFY_MAC";
  const Key mac = NewKey(r);
  auto m = keys_.Mac(mac, "HMAC_SHA_384", "message", "GenerateMac");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->size(), 48u);
  EXPECT_EQ(keys_.Mac(mac, "HMAC_SHA_256", "message", "GenerateMac").status().message(),
            "Algorithm HMAC_SHA_256 is incompatible with key spec HMAC_384.");
  auto encrypt = keys_.Encrypt(scope_, mac.id, "x", {});
  EXPECT_EQ(encrypt.status().code(), KmsError::kInvalidKeyUsage);
  EXPECT_EQ(encrypt.status().message(),
            mac.Arn() + " key usage is GENERATE_VERIFY_MAC which is not valid for Encrypt.");
  const Key sym = NewKey();
  EXPECT_EQ(keys_.Mac(sym, "HMAC_SHA_256", "m", "GenerateMac").status().message(),
            sym.Arn() + " key usage is ENCRYPT_DECRYPT which is not valid for GenerateMac.");
}

TEST_F(KeysTest, AliasesRules) {
  const Key key = NewKey();
  EXPECT_EQ(keys_.CreateAlias(scope_, "orders", key.id).code(), ErrorCode::kValidationError);
  EXPECT_EQ(keys_.CreateAlias(scope_, "alias/aws/mine", key.id).code(),
            KmsError::kInvalidAliasName);
  ASSERT_TRUE(keys_.CreateAlias(scope_, "alias/a", key.id).ok());
  Status again = keys_.CreateAlias(scope_, "alias/a", key.id);
  EXPECT_EQ(again.code(), KmsError::kAlreadyExists);
  EXPECT_EQ(again.message(),
            "An alias with the name arn:aws:kms:us-east-1:111122223333:alias/a already exists");
  EXPECT_EQ(keys_.CreateAlias(scope_, "alias/b", "alias/a").code(), ErrorCode::kValidationError);
  const Key other = NewKey();
  ASSERT_TRUE(keys_.UpdateAlias(scope_, "alias/a", other.id).ok());
  EXPECT_EQ(keys_.Find(scope_, "alias/a")->id, other.id);
  CreateKeyRequest hmac;
  hmac.spec = "HMAC_256";
  hmac.usage = "GENERATE_VERIFY_MAC";
  EXPECT_EQ(keys_.UpdateAlias(scope_, "alias/a", NewKey(hmac).id).code(),
            ErrorCode::kValidationError);
  ASSERT_TRUE(keys_.DeleteAlias(scope_, "alias/a").ok());
  EXPECT_EQ(keys_.DeleteAlias(scope_, "alias/a").code(), KmsError::kNotFound);
}

TEST_F(KeysTest, ManagedKeysAppearOnFirstUseOnce) {
  auto aliases = keys_.ListAliases(scope_);
  ASSERT_TRUE(aliases.ok());
  bool predefined_ssm = false;
  for (const Alias& a : *aliases) {
    if (a.name == "alias/aws/ssm") predefined_ssm = a.target_key_id.empty();
    EXPECT_NE(a.name, "alias/aws/sqs");  // not predefined: appears once SQS uses it
  }
  EXPECT_TRUE(predefined_ssm);
  auto ssm = keys_.Find(scope_, "alias/aws/ssm");
  ASSERT_TRUE(ssm.ok());
  EXPECT_TRUE(ssm->aws_managed);
  EXPECT_EQ(ssm->description,
            "Default key that protects my SSM parameters when no other key is defined");
  EXPECT_EQ(keys_.ManagedKey(scope_, "ssm")->id, ssm->id);
  auto sqs = keys_.ManagedKey(scope_, "sqs");
  ASSERT_TRUE(sqs.ok());
  EXPECT_EQ(keys_.Find(scope_, "alias/aws/sqs")->id, sqs->id);
  EXPECT_EQ(keys_.List(scope_)->size(), 2u);
}

TEST_F(KeysTest, TagRules) {
  EXPECT_TRUE(CheckTags({{"a", "1"}, {"b", ""}}).ok());
  EXPECT_EQ(CheckTags({{"a", "1"}, {"a", "2"}}).message(), "Duplicate tag keys");
  EXPECT_EQ(CheckTags({{"AWS:x", "1"}}).message(), "Tags beginning with aws: are reserved");
  std::vector<std::pair<std::string, std::string>> many;
  for (int i = 0; i < 51; ++i) many.emplace_back(std::to_string(i), "v");
  EXPECT_EQ(CheckTags(many).message(), "Too many tags");
}

TEST_F(KeysTest, DefaultPolicyIsAwsFormatted) {
  const Key key = NewKey();
  EXPECT_EQ(key.policy, DefaultKeyPolicy("111122223333"));
  EXPECT_NE(key.policy.find("  \"Statement\" : [ {\n    \"Sid\" : \"Enable IAM User Permissions\""),
            std::string::npos);
  EXPECT_NE(key.policy.find("\"AWS\" : \"arn:aws:iam::111122223333:root\""), std::string::npos);
}

}  // namespace
}  // namespace sluice::kms
