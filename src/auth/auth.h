// Auth: who is calling (SigV4 against configured credentials) and may they do this (identity
// policies plus the resource's policy), as AWS decides it.
//
// Authenticate fills the RequestContext from a verified signature; Authorize evaluates an action
// on a resource ARN for an authenticated context. Both are const and thread-safe; an Auth is
// immutable after Create. Parsed resource policies are cached by their text (bounded, shared,
// mutex-protected; hits copy a shared_ptr only).
//
// Errors (codes only; the service's table gives the wire form): kMissingAuthenticationToken,
// kIncompleteSignature, kInvalidClientTokenId, kSignatureDoesNotMatch, kRequestExpired,
// kAccessDenied. Secrets never appear in messages or logs.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/policy.h"
#include "common/clock.h"
#include "common/status.h"
#include "net/http.h"
#include "protocol/service.h"

namespace sluice::auth {

struct UserConfig {
  std::string name;        // "alice"; "root" makes the account's root principal
  std::string account_id;  // 12 digits
  std::string access_key_id;
  std::string secret_access_key;      // resolved (from the file, an env var or a file)
  std::string session_token;          // when set, requests must carry exactly this token
  std::vector<std::string> policies;  // IAM identity policy documents (JSON)
};

struct AuthConfig {
  // Accepted credential-scope regions; empty accepts any (and "*" too).
  std::string region;
  std::vector<std::string> accounts;  // known 12-digit accounts
  std::vector<UserConfig> users;
};

// What an authorization decision is about.
struct Resource {
  std::string_view arn;                 // "arn:aws:sqs:us-east-1:111122223333:orders"
  std::string_view account;             // the owner: "111122223333"
  std::string_view policy;              // the resource policy document; "" = none
  bool cross_account_grantable = true;  // false: never granted to other accounts
};

class Auth {
 public:
  // Validates the configuration (account ids, unique keys, parseable policies).
  static Result<std::unique_ptr<Auth>> Create(const AuthConfig& config, const Clock& clock);
  ~Auth();

  // Verifies the request's SigV4 signature for `service` ("sqs") and fills ctx.account_id,
  // principal_arn, sender_id, access_key_id, signing_region and authenticated.
  Status Authenticate(const net::HttpRequest& req, std::string_view service,
                      protocol::RequestContext& ctx) const;

  // kAccessDenied unless policies allow `action` ("sqs:SendMessage") on `resource` for ctx's
  // principal: explicit Deny anywhere wins; same account: identity or resource policy allows;
  // other account: both allow (and the action must be cross-account grantable).
  Status Authorize(const protocol::RequestContext& ctx, std::string_view action,
                   const Resource& resource) const;

 private:
  struct Impl;
  explicit Auth(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Validates a resource policy document as SQS's SetQueueAttributes does (syntax, elements,
// operators). kInvalidParameterValue with the reason.
Status ValidateResourcePolicy(std::string_view json);

}  // namespace sluice::auth
