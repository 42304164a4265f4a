// STS temporary credentials: self-contained, sealed session tokens and AWS-shaped identifiers.
//
// A session token carries everything needed to verify a request signed with the temporary
// credentials (access key id, secret, whose session it is, expiry, session policy), sealed with
// AES-256-GCM under a 32-byte key. Nothing is stored server-side, so tokens stay valid across
// restarts as long as the key does (server.cc derives it from the storage master key).
//
// Wire form: base64(version 0x01 | 12-byte random nonce | ciphertext | 16-byte tag), the
// associated data binding the version. Plaintext: kind, issue and expiry times, then
// length-prefixed strings (see session_token.cc).
//
// Thread-safe: SessionSealer is immutable after construction; the id helpers are pure or use
// the CSPRNG.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sluice::auth {

struct SessionClaims {
  enum class Kind : std::uint8_t {
    kAssumedRole = 1,  // AssumeRole: `name` is the role, `session_name` the RoleSessionName
    kUserSession = 2,  // GetSessionToken: `name` is the IAM user ("root" for the account root)
  };
  Kind kind = Kind::kAssumedRole;
  std::string access_key_id;  // "ASIA..."
  std::string secret_access_key;
  std::string account_id;  // the role's / user's account
  std::string name;
  std::string session_name;
  std::string session_policy;  // JSON; empty = none
  std::int64_t issued_ms = 0;
  std::int64_t expires_ms = 0;
};

class SessionSealer {
 public:
  // `key`: 32 raw bytes; any other size (e.g. empty) draws a random key, so tokens die with the
  // process.
  explicit SessionSealer(std::string key);
  ~SessionSealer();
  SessionSealer(const SessionSealer&) = delete;
  SessionSealer& operator=(const SessionSealer&) = delete;

  std::string Seal(const SessionClaims& claims) const;
  // kInvalidClientTokenId ("The security token included in the request is invalid.") for
  // anything that is not a token sealed with this key: garbled, truncated, tampered, foreign.
  // Expiry is not checked here.
  Result<SessionClaims> Unseal(std::string_view token) const;

 private:
  std::string key_;
};

// The session-token key derived from the storage master key (32 bytes):
// HMAC-SHA256(master_key, "sluice sts session tokens").
std::string DeriveSessionTokenKey(std::string_view master_key);

// "ASIA" + 16 characters of [A-Z0-9], random (AWS's temporary access key id shape).
std::string NewTemporaryAccessKeyId();
// 40 random characters of [A-Za-z0-9+/], like an AWS secret access key.
std::string NewSecretAccessKey();
// A stable AWS-style unique id: `prefix` ("AIDA" for users, "AROA" for roles) + 17 characters of
// [A-Z0-9] derived from SHA-256 of the account and the name. Same inputs, same id.
std::string UniqueId(std::string_view prefix, std::string_view account_id, std::string_view name);

}  // namespace sluice::auth
