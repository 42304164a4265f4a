// Auth: who is calling (SigV4 against configured credentials or STS temporary credentials) and
// may they do this (identity policies, session policies, the resource's policy), as AWS decides
// it; and the STS side of it: roles, trust policies, issuing temporary credentials.
//
// Authenticate fills the RequestContext from a verified signature; Authorize evaluates an action
// on a resource ARN for an authenticated context. AssumeRole / GetSessionToken issue temporary
// credentials ("ASIA..." keys) whose session token is self-contained and sealed (session_token.h):
// Authenticate accepts them by unsealing the X-Amz-Security-Token until they expire. All const
// and thread-safe; an Auth is immutable after Create except for two bounded caches (parsed
// resource policies by text, verified sessions by access key id), mutex-protected; hits copy a
// shared_ptr only.
//
// Errors (codes only; the service's table gives the wire form): kMissingAuthenticationToken,
// kIncompleteSignature, kInvalidClientTokenId, kSignatureDoesNotMatch, kRequestExpired,
// kExpiredToken, kAccessDenied, kValidationError, kMalformedPolicyDocument. Secrets never appear
// in messages or logs.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/policy.h"
#include "common/clock.h"
#include "common/request_context.h"
#include "common/status.h"
#include "net/http.h"

namespace sluice::auth {

struct UserConfig {
  std::string name;        // "alice"; "root" makes the account's root principal
  std::string account_id;  // 12 digits
  std::string access_key_id;
  std::string secret_access_key;      // resolved (from the file, an env var or a file)
  std::string session_token;          // when set, requests must carry exactly this token
  std::vector<std::string> policies;  // IAM identity policy documents (JSON)
};

// An IAM role that STS AssumeRole can hand out: arn:aws:iam::<account_id>:role/<name>.
struct RoleConfig {
  std::string name;                   // [\w+=,.@-]{1,64}
  std::string account_id;             // 12 digits
  std::string assume_role_policy;     // the trust policy (JSON, a resource policy with Principal)
  std::vector<std::string> policies;  // the role's identity policies (JSON)
  int max_session_duration = 3600;    // seconds, 3600..43200 as in IAM
};

struct AuthConfig {
  // Accepted credential-scope regions; empty accepts any (and "*" too).
  std::string region;
  std::vector<std::string> accounts;  // known 12-digit accounts
  std::vector<UserConfig> users;
  std::vector<RoleConfig> roles;
  // 32 raw bytes sealing STS session tokens. Anything else (empty): a random key per process,
  // so temporary credentials die with the process.
  std::string session_token_key;
};

// The verified caller of a request (RequestContext::principal).
struct Principal {
  enum class Kind { kUser, kRoot, kAssumedRole };
  Kind kind = Kind::kUser;
  std::string account_id;
  std::string arn;  // user or root ARN, or "arn:aws:sts::<acct>:assumed-role/<role>/<session>"
  std::string unique_id;  // "AIDA..." (user), the account id (root), "AROA...:<session>" (role)
  std::string name;       // user name, "root", or the role's name
  std::string role_arn;   // assumed roles: "arn:aws:iam::<acct>:role/<role>"
  std::string session_name;
  bool temporary = false;                               // signed with STS temporary credentials
  std::int64_t expires_ms = 0;                          // temporary credentials: expiry (epoch ms)
  std::shared_ptr<const std::vector<Policy>> policies;  // the user's or the role's
  std::shared_ptr<const Policy> session_policy;         // AssumeRole Policy; null = none
  // The permissions boundary (IAM users and roles): identity policies grant only what it allows
  // too. Null = none.
  std::shared_ptr<const Policy> boundary;
  // The user's or role's tags (aws:PrincipalTag/<key>). Null = none.
  std::shared_ptr<const std::map<std::string, std::string>> tags;
};

// A role STS can hand out sessions of (configured, or created with the IAM API).
struct RoleInfo {
  std::string name;
  std::string account_id;
  std::string arn;      // "arn:aws:iam::<account>:role/<path><name>"
  std::string role_id;  // "AROA..."
  std::shared_ptr<const Policy> trust;
  std::shared_ptr<const std::vector<Policy>> policies;
  std::shared_ptr<const Policy> boundary;  // null = none
  std::shared_ptr<const std::map<std::string, std::string>> tags;
  std::int64_t max_session_seconds = 3600;
};

class IdentityDirectory;

// STS temporary credentials.
struct TemporaryCredentials {
  std::string access_key_id;  // "ASIA" + 16
  std::string secret_access_key;
  std::string session_token;
  std::int64_t expiration_ms = 0;  // whole seconds
};

struct AssumeRoleRequest {
  std::string_view role_arn;
  std::string_view session_name;
  std::int64_t duration_seconds = 0;  // 0: the default (3600)
  std::string_view session_policy;    // "" = none
  std::string_view external_id;       // "" = none
};

struct AssumedRole {
  TemporaryCredentials credentials;
  std::string assumed_role_id;  // "AROA...:<session>"
  std::string arn;              // "arn:aws:sts::<acct>:assumed-role/<role>/<session>"
};

// What an authorization decision is about.
struct Resource {
  std::string_view arn;                 // "arn:aws:sqs:us-east-1:111122223333:orders"
  std::string_view account;             // the owner: "111122223333"
  std::string_view policy;              // the resource policy document; "" = none
  bool cross_account_grantable = true;  // false: never granted to other accounts
  // KMS key policies: the resource policy must allow, either naming the caller (then it is
  // enough) or naming the account (then an identity policy must allow too); an identity policy
  // alone never grants (as AssumeRole's trust policies).
  bool resource_policy_required = false;
  // KMS keys used through another service: its endpoint name ("ssm.us-east-1.amazonaws.com"),
  // the kms:ViaService condition key. Empty: a direct call.
  std::string_view via_service = {};
};

class Auth {
 public:
  // Validates the configuration (account ids, unique keys, parseable policies).
  static Result<std::unique_ptr<Auth>> Create(const AuthConfig& config, const Clock& clock);
  ~Auth();

  // Verifies the request's SigV4 signature for `service` ("sqs") and fills ctx.account_id,
  // principal_arn, sender_id, access_key_id, signing_region and authenticated.
  Status Authenticate(const net::HttpRequest& req, std::string_view service,
                      RequestContext& ctx) const;

  // kAccessDenied unless policies allow `action` ("sqs:SendMessage") on `resource` for ctx's
  // principal: explicit Deny anywhere wins; same account: identity or resource policy allows;
  // other account: both allow (and the action must be cross-account grantable). A session policy
  // (AssumeRole Policy) must allow too: effective permissions are its intersection with the rest.
  Status Authorize(const RequestContext& ctx, std::string_view action,
                   const Resource& resource) const;

  // STS AssumeRole for the authenticated caller: the role must be configured and its trust policy
  // (a resource policy on the role ARN, for sts:AssumeRole, with sts:ExternalId and
  // sts:RoleSessionName in the context) together with the caller's identity policies must allow
  // it, as Authorize decides (same account: a trust policy naming the caller suffices; naming
  // the account needs an identity policy too; other accounts: both). Unknown roles and refusals:
  // kAccessDenied "User: <arn> is not authorized to perform: sts:AssumeRole on resource: <role>".
  // The account root may not assume roles. kValidationError when the duration exceeds the role's
  // max_session_duration (or one hour for role chaining); kMalformedPolicyDocument for a session
  // policy that does not parse. Request syntax (lengths, patterns, 900..43200) is the caller's
  // job (services/sts).
  Result<AssumedRole> AssumeRole(const RequestContext& ctx, const AssumeRoleRequest& request) const;

  // STS GetSessionToken: temporary credentials for the calling IAM user (or root: at most one
  // hour). kAccessDenied when called with temporary credentials. `duration_seconds` 0: 43200.
  Result<TemporaryCredentials> GetSessionToken(const RequestContext& ctx,
                                               std::int64_t duration_seconds) const;

  // Identities created through the IAM API (auth/identity.h), consulted after the configured
  // ones. Set once at start-up, before requests are served; must outlive the Auth.
  void SetDirectory(const IdentityDirectory* directory);

  // Whether the configuration declares this user (by account and name) or role: the IAM API
  // refuses to create an entity of the same name (EntityAlreadyExists).
  bool ConfiguredUser(std::string_view account, std::string_view name) const;
  bool ConfiguredRole(std::string_view account, std::string_view name) const;

 private:
  struct Impl;
  explicit Auth(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Validates one role as Auth::Create does (name, 12-digit account, max_session_duration
// 3600..43200, a parseable trust policy and identity policies); kInvalidParameterValue with the
// reason. Configuration loading calls it to fail early, whatever the auth mode.
Status ValidateRoleConfig(const RoleConfig& role);

// Validates a resource policy document as SQS's SetQueueAttributes does (syntax, elements,
// operators, and the quotas: 20 statements, 50 principals, 10 conditions).
// kInvalidParameterValue with the reason.
Status ValidateResourcePolicy(std::string_view json);

}  // namespace sluice::auth
