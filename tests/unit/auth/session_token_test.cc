// Sealed STS session tokens (seal/unseal, tamper, foreign keys) and AWS-style identifiers.
#include "auth/session_token.h"

#include <gtest/gtest.h>

#include <set>

#include "common/encoding.h"

namespace sluice::auth {
namespace {

const std::string kKey(32, 'k');

SessionClaims Claims() {
  SessionClaims c;
  c.kind = SessionClaims::Kind::kAssumedRole;
  c.access_key_id = "ASIAABCDEFGHIJKLMNOP";
  c.secret_access_key = "secret/with+chars";
  c.account_id = "111111111111";
  c.name = "reader";
  c.session_name = "s-1@x";
  c.session_policy = R"({"Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]})";
  c.issued_ms = 1705320000000;
  c.expires_ms = 1705320900000;
  return c;
}

TEST(SessionSealer, RoundTrip) {
  SessionSealer sealer(kKey);
  const std::string token = sealer.Seal(Claims());
  ASSERT_FALSE(token.empty());
  EXPECT_TRUE(Base64Decode(token).has_value());  // plain base64, safe in a header
  auto c = sealer.Unseal(token);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->kind, SessionClaims::Kind::kAssumedRole);
  EXPECT_EQ(c->access_key_id, "ASIAABCDEFGHIJKLMNOP");
  EXPECT_EQ(c->secret_access_key, "secret/with+chars");
  EXPECT_EQ(c->account_id, "111111111111");
  EXPECT_EQ(c->name, "reader");
  EXPECT_EQ(c->session_name, "s-1@x");
  EXPECT_EQ(c->session_policy, Claims().session_policy);
  EXPECT_EQ(c->issued_ms, 1705320000000);
  EXPECT_EQ(c->expires_ms, 1705320900000);
  // The secret is not readable in the token.
  EXPECT_EQ(Base64Decode(token)->find("secret/with"), std::string::npos);
  // Random nonces: the same claims never give the same token.
  EXPECT_NE(sealer.Seal(Claims()), token);
}

TEST(SessionSealer, SameKeyAcrossInstancesDifferentKeyRejected) {
  const std::string token = SessionSealer(kKey).Seal(Claims());
  EXPECT_TRUE(SessionSealer(kKey).Unseal(token).ok());  // e.g. after a restart
  auto other = SessionSealer(std::string(32, 'o')).Unseal(token);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), ErrorCode::kInvalidClientTokenId);
  EXPECT_EQ(other.status().message(), "The security token included in the request is invalid.");
  // No key (or a wrong-sized one): random per instance.
  EXPECT_FALSE(SessionSealer("").Unseal(SessionSealer("").Seal(Claims())).ok());
}

TEST(SessionSealer, EveryTamperedByteIsRejected) {
  SessionSealer sealer(kKey);
  const std::string raw = *Base64Decode(sealer.Seal(Claims()));
  for (std::size_t i = 0; i < raw.size(); ++i) {
    std::string bad = raw;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_EQ(sealer.Unseal(Base64Encode(bad)).status().code(), ErrorCode::kInvalidClientTokenId)
        << "byte " << i;
  }
  for (std::size_t n = 0; n < raw.size(); n += 7) {
    EXPECT_FALSE(sealer.Unseal(Base64Encode(raw.substr(0, n))).ok()) << "truncated to " << n;
  }
  EXPECT_FALSE(sealer.Unseal(Base64Encode(raw + "x")).ok());
}

TEST(SessionSealer, GarbageIsRejected) {
  SessionSealer sealer(kKey);
  const std::string cases[] = {
      "", "made-up", "!!!!", "AAAA", std::string(100000, 'A'), std::string("\0\1\2", 3)};
  for (const std::string& bad : cases) {
    EXPECT_EQ(sealer.Unseal(bad).status().code(), ErrorCode::kInvalidClientTokenId);
  }
}

TEST(SessionSealer, DerivedKeyIsStableAndKeyed) {
  const std::string master(32, 'm');
  EXPECT_EQ(DeriveSessionTokenKey(master).size(), 32u);
  EXPECT_EQ(DeriveSessionTokenKey(master), DeriveSessionTokenKey(master));
  EXPECT_NE(DeriveSessionTokenKey(master), DeriveSessionTokenKey(std::string(32, 'n')));
  EXPECT_NE(DeriveSessionTokenKey(master), master);
}

bool UpperDigits(std::string_view s) {
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

TEST(Identifiers, Shapes) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string akid = NewTemporaryAccessKeyId();
    ASSERT_EQ(akid.size(), 20u);
    EXPECT_EQ(akid.substr(0, 4), "ASIA");
    EXPECT_TRUE(UpperDigits(akid));
    seen.insert(akid);
    const std::string secret = NewSecretAccessKey();
    ASSERT_EQ(secret.size(), 40u);
    EXPECT_EQ(secret.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
              std::string::npos);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(Identifiers, UniqueIdIsDeterministic) {
  const std::string alice = UniqueId("AIDA", "111111111111", "alice");
  ASSERT_EQ(alice.size(), 21u);  // "AIDA" + 17, like AWS
  EXPECT_EQ(alice.substr(0, 4), "AIDA");
  EXPECT_TRUE(UpperDigits(alice));
  EXPECT_EQ(alice, UniqueId("AIDA", "111111111111", "alice"));
  EXPECT_NE(alice, UniqueId("AIDA", "222222222222", "alice"));
  EXPECT_NE(alice, UniqueId("AIDA", "111111111111", "alicf"));
  const std::string role = UniqueId("AROA", "111111111111", "alice");
  EXPECT_EQ(role.substr(0, 4), "AROA");
  EXPECT_NE(role.substr(4), alice.substr(4));
  // Golden value: the derivation must not change between versions (SenderIds are stored with
  // messages and compared by clients).
  EXPECT_EQ(alice, "AIDABB0E7O8LRULIVFGWJ");
}

}  // namespace
}  // namespace sluice::auth
