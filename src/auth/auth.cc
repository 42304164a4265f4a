#include "auth/auth.h"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "auth/identity.h"
#include "auth/session_token.h"
#include "auth/sigv4.h"

namespace sluice::auth {
namespace {

constexpr std::size_t kPolicyCacheLimit = 4096;
constexpr std::size_t kSessionCacheLimit = 4096;
constexpr std::int64_t kDefaultRoleSeconds = 3600;
constexpr std::int64_t kChainedRoleMaxSeconds = 3600;
constexpr std::int64_t kDefaultSessionTokenSeconds = 43200;
constexpr std::int64_t kRootSessionTokenMaxSeconds = 3600;

bool IsAccountId(std::string_view s) {
  return s.size() == 12 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsRoleName(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           std::string_view("_+=,.@-").find(c) != std::string_view::npos;
  });
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Status InvalidToken() {
  return Status(ErrorCode::kInvalidClientTokenId,
                "The security token included in the request is invalid.");
}

Status ExpiredToken() {
  return Status(ErrorCode::kExpiredToken, "The security token included in the request is expired");
}

Status NotAuthorized(std::string_view principal_arn, std::string_view action,
                     std::string_view resource, bool explicit_deny) {
  return Status(ErrorCode::kAccessDenied,
                fmt::format("User: {} is not authorized to perform: {} on resource: {}{}",
                            principal_arn.empty() ? "anonymous" : principal_arn, action, resource,
                            explicit_deny ? " with an explicit deny" : ""));
}

std::string RoleArn(std::string_view account, std::string_view name) {
  return fmt::format("arn:aws:iam::{}:role/{}", account, name);
}

}  // namespace

struct Auth::Impl {
  struct User {
    std::string secret;
    std::string session_token;  // static token from the configuration
    std::shared_ptr<const Principal> principal;
  };
  using Role = RoleInfo;
  // A verified temporary credential, kept so the token is unsealed once.
  struct Session {
    std::string token;
    std::string secret;
    std::shared_ptr<const Principal> principal;
    std::uint64_t generation = 0;  // the directory's when verified
  };

  const Clock& clock;
  const IdentityDirectory* directory = nullptr;
  std::string region;
  std::unordered_map<std::string, User> users;  // by access key id
  std::unordered_map<std::string, std::shared_ptr<const Principal>> users_by_name;  // acct/name
  std::unordered_map<std::string, std::shared_ptr<const Role>> roles;               // by ARN
  SessionSealer sealer;

  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  mutable std::mutex cache_mu;
  // Keyed by the document's text, looked up without copying it.
  mutable std::unordered_map<std::string, std::shared_ptr<const Policy>, TextHash, std::equal_to<>>
      policy_cache;
  mutable std::mutex session_mu;
  mutable std::unordered_map<std::string, std::shared_ptr<const Session>, TextHash,
                             std::equal_to<>>
      sessions;  // by access key id

  Impl(const Clock& c, std::string key) : clock(c), sealer(std::move(key)) {}

  // The parsed resource policy for `text`; nullptr when it does not parse (no grants).
  std::shared_ptr<const Policy> ResourcePolicy(std::string_view text) const {
    {
      std::lock_guard lock(cache_mu);
      if (auto it = policy_cache.find(text); it != policy_cache.end()) return it->second;
    }
    auto parsed = ParsePolicy(text, PolicyKind::kResource);
    std::shared_ptr<const Policy> policy =
        parsed.ok() ? std::make_shared<const Policy>(std::move(*parsed)) : nullptr;
    std::lock_guard lock(cache_mu);
    if (policy_cache.size() >= kPolicyCacheLimit) policy_cache.clear();
    policy_cache.emplace(std::string(text), policy);
    return policy;
  }

  // The principal a set of sealed claims stands for, from the current configuration (a role or
  // user removed since the token was issued makes the token invalid).
  Result<std::shared_ptr<const Principal>> PrincipalOf(const SessionClaims& c) const {
    auto p = std::make_shared<Principal>();
    if (c.kind == SessionClaims::Kind::kAssumedRole) {
      std::shared_ptr<const Role> found = FindRole(c.account_id, c.name);
      if (!found) return InvalidToken();
      const Role& role = *found;
      p->kind = Principal::Kind::kAssumedRole;
      p->account_id = role.account_id;
      p->name = role.name;
      p->role_arn = role.arn;
      p->session_name = c.session_name;
      p->arn = fmt::format("arn:aws:sts::{}:assumed-role/{}/{}", role.account_id, role.name,
                           c.session_name);
      p->unique_id = role.role_id + ":" + c.session_name;
      p->policies = role.policies;
      p->boundary = role.boundary;
      p->tags = role.tags;
    } else {
      auto it = users_by_name.find(c.account_id + "/" + c.name);
      if (it != users_by_name.end()) {
        *p = *it->second;
      } else if (auto user = directory ? directory->FindUser(c.account_id, c.name) : nullptr) {
        *p = *user;
      } else {
        return InvalidToken();
      }
    }
    if (!c.session_policy.empty()) {
      auto policy = ParsePolicy(c.session_policy, PolicyKind::kIdentity);
      if (!policy.ok()) return InvalidToken();
      p->session_policy = std::make_shared<const Policy>(std::move(*policy));
    }
    p->temporary = true;
    p->expires_ms = c.expires_ms;
    return std::shared_ptr<const Principal>(std::move(p));
  }

  // The verified session for temporary credentials `akid` + `token`.
  Result<std::shared_ptr<const Session>> SessionFor(std::string_view akid,
                                                    std::string_view token) const {
    const std::uint64_t generation = directory ? directory->Generation() : 0;
    {
      std::lock_guard lock(session_mu);
      if (auto it = sessions.find(akid); it != sessions.end()) {
        // A session verified before the last identity change is re-derived: its role's
        // policies may have changed.
        if (it->second->generation == generation && ConstantTimeEquals(it->second->token, token)) {
          return it->second;
        }
      }
    }
    auto claims = sealer.Unseal(token);
    if (!claims.ok()) return claims.status();
    if (!ConstantTimeEquals(claims->access_key_id, akid)) return InvalidToken();
    auto principal = PrincipalOf(*claims);
    if (!principal.ok()) return principal.status();
    auto session = std::make_shared<const Session>(Session{std::string(token),
                                                           std::move(claims->secret_access_key),
                                                           std::move(*principal), generation});
    std::lock_guard lock(session_mu);
    if (sessions.size() >= kSessionCacheLimit) sessions.clear();
    sessions.insert_or_assign(std::string(akid), session);
    return session;
  }

  // A configured role, else one of the directory's.
  std::shared_ptr<const Role> FindRole(std::string_view account, std::string_view name) const {
    if (auto it = roles.find(RoleArn(account, name)); it != roles.end()) return it->second;
    return directory ? directory->FindRole(account, name) : nullptr;
  }

  // The principal behind an authenticated context.
  std::shared_ptr<const Principal> PrincipalOf(const RequestContext& ctx) const {
    if (!ctx.authenticated) return nullptr;
    if (ctx.principal) return ctx.principal;
    auto it = users.find(ctx.access_key_id);
    return it == users.end() ? nullptr : it->second.principal;
  }

  // The policy decision for `p` doing `action` on `resource` (see Auth::Authorize).
  // `resource_policy` may be null. `facts` must describe `p`. With `trust`, the resource policy
  // is a role trust policy, which must always allow (IAM: a required resource-based policy).
  Status Decide(const Principal& p, const RequestFacts& facts, std::string_view action,
                std::string_view resource_arn, std::string_view resource_account,
                const Policy* resource_policy, bool cross_account_grantable,
                bool trust = false) const {
    const EvalRequest req{action, resource_arn, &facts};
    bool identity_allow = p.kind == Principal::Kind::kRoot;
    if (p.policies) {
      for (const Policy& policy : *p.policies) {
        const Decision d = policy.Evaluate(req);
        if (d.deny) return NotAuthorized(p.arn, action, resource_arn, true);
        identity_allow = identity_allow || d.allow;
      }
    }
    // A permissions boundary caps what identity policies grant (a Deny in it is explicit).
    if (p.boundary) {
      const Decision d = p.boundary->Evaluate(req);
      if (d.deny) return NotAuthorized(p.arn, action, resource_arn, true);
      identity_allow = identity_allow && d.allow;
    }
    bool session_allow = true;
    if (p.session_policy) {
      const Decision d = p.session_policy->Evaluate(req);
      if (d.deny) return NotAuthorized(p.arn, action, resource_arn, true);
      session_allow = d.allow;
    }
    Decision res;
    if (resource_policy != nullptr) {
      res = resource_policy->Evaluate(req);
      if (res.deny) return NotAuthorized(p.arn, action, resource_arn, true);
    }
    const bool same_account = resource_account == p.account_id;
    const bool allowed = session_allow && (!trust || res.allow) &&
                         (same_account ? (identity_allow || res.allow_direct)
                                       : (cross_account_grantable && identity_allow && res.allow));
    return allowed ? Status::Ok() : NotAuthorized(p.arn, action, resource_arn, false);
  }

  RequestFacts FactsOf(const Principal& p, const RequestContext& ctx) const {
    RequestFacts facts;
    facts.principal_arn = p.arn;
    facts.principal_account = p.account_id;
    facts.username = p.kind == Principal::Kind::kUser ? std::string_view(p.name) : "";
    facts.role_arn = p.role_arn;
    facts.user_id = p.unique_id;
    facts.principal_tags = p.tags.get();
    facts.source_ip = ctx.source_ip;
    facts.secure_transport = ctx.secure;
    facts.now_ms = clock.NowMs();
    return facts;
  }

  TemporaryCredentials Issue(SessionClaims& claims, std::int64_t duration_seconds) const {
    const std::int64_t now_s = clock.NowMs() / 1000;
    claims.access_key_id = NewTemporaryAccessKeyId();
    claims.secret_access_key = NewSecretAccessKey();
    claims.issued_ms = now_s * 1000;
    claims.expires_ms = (now_s + duration_seconds) * 1000;
    TemporaryCredentials out;
    out.session_token = sealer.Seal(claims);
    out.access_key_id = std::move(claims.access_key_id);
    out.secret_access_key = std::move(claims.secret_access_key);
    out.expiration_ms = claims.expires_ms;
    return out;
  }
};

Auth::Auth(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Auth::~Auth() = default;

Result<std::unique_ptr<Auth>> Auth::Create(const AuthConfig& config, const Clock& clock) {
  auto impl = std::make_unique<Impl>(clock, config.session_token_key);
  impl->region = config.region == "*" ? std::string() : config.region;
  std::unordered_set<std::string> accounts;
  for (const auto& a : config.accounts) {
    if (!IsAccountId(a)) {
      return Status(ErrorCode::kInvalidParameterValue,
                    fmt::format("auth account '{}' is not a 12-digit account id", a));
    }
    accounts.insert(a);
  }
  for (const UserConfig& u : config.users) {
    if (u.name.empty() || u.access_key_id.empty() || u.secret_access_key.empty()) {
      return Status(
          ErrorCode::kInvalidParameterValue,
          fmt::format("auth user '{}' needs a name, an access key id and a secret", u.name));
    }
    if (!IsAccountId(u.account_id)) {
      return Status(ErrorCode::kInvalidParameterValue,
                    fmt::format("auth user '{}': account '{}' is not a 12-digit account id", u.name,
                                u.account_id));
    }
    if (!accounts.empty() && !accounts.count(u.account_id)) {
      return Status(ErrorCode::kInvalidParameterValue,
                    fmt::format("auth user '{}': account {} is not declared in auth.accounts",
                                u.name, u.account_id));
    }
    auto principal = std::make_shared<Principal>();
    principal->name = u.name;
    principal->account_id = u.account_id;
    if (u.name == "root") {
      principal->kind = Principal::Kind::kRoot;
      principal->arn = fmt::format("arn:aws:iam::{}:root", u.account_id);
      principal->unique_id = u.account_id;
    } else {
      principal->kind = Principal::Kind::kUser;
      principal->arn = fmt::format("arn:aws:iam::{}:user/{}", u.account_id, u.name);
      principal->unique_id = UniqueId("AIDA", u.account_id, u.name);
    }
    auto policies = std::make_shared<std::vector<Policy>>();
    for (std::size_t i = 0; i < u.policies.size(); ++i) {
      auto p = ParsePolicy(u.policies[i], PolicyKind::kIdentity);
      if (!p.ok()) {
        return Status(
            ErrorCode::kInvalidParameterValue,
            fmt::format("auth user '{}': policy {}: {}", u.name, i + 1, p.status().message()));
      }
      policies->push_back(std::move(*p));
    }
    principal->policies = std::move(policies);
    Impl::User user{u.secret_access_key, u.session_token, principal};
    if (!impl->users.emplace(u.access_key_id, std::move(user)).second) {
      return Status(ErrorCode::kInvalidParameterValue,
                    fmt::format("auth: access key id {} is configured twice", u.access_key_id));
    }
    // Several keys may belong to one user: the first definition names it.
    impl->users_by_name.emplace(u.account_id + "/" + u.name, std::move(principal));
  }
  for (const RoleConfig& r : config.roles) {
    if (Status st = ValidateRoleConfig(r); !st.ok()) return st;
    if (!accounts.empty() && !accounts.count(r.account_id)) {
      return Status(ErrorCode::kInvalidParameterValue,
                    fmt::format("auth role '{}': account {} is not declared in auth.accounts",
                                r.name, r.account_id));
    }
    auto role_ptr = std::make_shared<Impl::Role>();
    Impl::Role& role = *role_ptr;
    role.name = r.name;
    role.account_id = r.account_id;
    role.arn = RoleArn(r.account_id, r.name);
    role.role_id = UniqueId("AROA", r.account_id, r.name);
    role.max_session_seconds = r.max_session_duration;
    auto trust = ParsePolicy(r.assume_role_policy, PolicyKind::kResource);
    role.trust = std::make_shared<const Policy>(std::move(*trust));
    auto policies = std::make_shared<std::vector<Policy>>();
    for (const std::string& text : r.policies) {
      policies->push_back(ParsePolicy(text, PolicyKind::kIdentity).value());
    }
    role.policies = std::move(policies);
    std::string arn = role.arn;
    if (!impl->roles.emplace(std::move(arn), std::move(role_ptr)).second) {
      return Status(
          ErrorCode::kInvalidParameterValue,
          fmt::format("auth: role {} is configured twice", RoleArn(r.account_id, r.name)));
    }
  }
  return std::unique_ptr<Auth>(new Auth(std::move(impl)));
}

Status Auth::Authenticate(const net::HttpRequest& req, std::string_view service,
                          RequestContext& ctx) const {
  auto sig = ParseSigV4(req);
  if (!sig.ok()) return sig.status();
  if (sig->service != service) {
    return Status(ErrorCode::kSignatureDoesNotMatch,
                  fmt::format("Credential should be scoped to correct service: '{}'. ", service));
  }
  // IAM is global: its requests are signed for us-east-1 whatever the server's region.
  if (!impl_->region.empty() && sig->region != impl_->region &&
      !(service == "iam" && sig->region == "us-east-1")) {
    return Status(
        ErrorCode::kSignatureDoesNotMatch,
        fmt::format("Credential should be scoped to a valid region, not '{}'. ", sig->region));
  }
  std::string_view secret;
  std::shared_ptr<const Principal> principal;
  std::shared_ptr<const Impl::Session> session;               // keeps `secret` alive
  std::optional<IdentityDirectory::AccessKey> directory_key;  // the same
  if (auto it = impl_->users.find(sig->access_key_id); it != impl_->users.end()) {
    const Impl::User& user = it->second;
    if (!ConstantTimeEquals(sig->session_token, user.session_token)) return InvalidToken();
    secret = user.secret;
    principal = user.principal;
  } else if (auto key = impl_->directory ? impl_->directory->FindAccessKey(sig->access_key_id)
                                         : std::nullopt) {
    // An access key created with the IAM API; an inactive one is refused as an unknown one.
    if (!key->active || !sig->session_token.empty()) return InvalidToken();
    directory_key = std::move(*key);
    secret = directory_key->secret;
    principal = directory_key->principal;
  } else if (sig->access_key_id.rfind("ASIA", 0) == 0 && !sig->session_token.empty()) {
    auto found = impl_->SessionFor(sig->access_key_id, sig->session_token);
    if (!found.ok()) return found.status();
    session = std::move(*found);
    if (impl_->clock.NowMs() >= session->principal->expires_ms) return ExpiredToken();
    secret = session->secret;
    principal = session->principal;
  } else {
    return InvalidToken();
  }
  if (Status s = CheckTime(*sig, impl_->clock.NowMs() / 1000); !s.ok()) return s;
  if (Status s = VerifySignature(req, *sig, secret); !s.ok()) return s;
  if (directory_key) impl_->directory->NoteKeyUsed(sig->access_key_id, service, sig->region);
  ctx.authenticated = true;
  ctx.account_id = principal->account_id;
  ctx.principal_arn = principal->arn;
  ctx.access_key_id = std::move(sig->access_key_id);
  ctx.sender_id = principal->unique_id;
  ctx.signing_region = std::move(sig->region);
  ctx.principal = std::move(principal);
  return Status::Ok();
}

Status Auth::Authorize(const RequestContext& ctx, std::string_view action,
                       const Resource& resource) const {
  const std::shared_ptr<const Principal> p = impl_->PrincipalOf(ctx);
  if (!p) return NotAuthorized(ctx.principal_arn, action, resource.arn, false);
  RequestFacts facts = impl_->FactsOf(*p, ctx);
  facts.via_service = resource.via_service;
  std::shared_ptr<const Policy> policy;
  if (!resource.policy.empty()) {
    policy = impl_->ResourcePolicy(resource.policy);
  }
  return impl_->Decide(*p, facts, action, resource.arn, resource.account, policy.get(),
                       resource.cross_account_grantable, resource.resource_policy_required);
}

Result<AssumedRole> Auth::AssumeRole(const RequestContext& ctx,
                                     const AssumeRoleRequest& request) const {
  constexpr std::string_view kAction = "sts:AssumeRole";
  const std::shared_ptr<const Principal> p = impl_->PrincipalOf(ctx);
  if (!p) return NotAuthorized(ctx.principal_arn, kAction, request.role_arn, false);
  if (p->kind == Principal::Kind::kRoot) {
    return Status(ErrorCode::kAccessDenied, "Roles may not be assumed by root accounts.");
  }
  std::shared_ptr<const Impl::Role> found;
  if (auto it = impl_->roles.find(std::string(request.role_arn)); it != impl_->roles.end()) {
    found = it->second;
  } else if (impl_->directory != nullptr) {
    // arn:aws:iam::<account>:role/<path/><name>: the same account, name and path.
    constexpr std::string_view kPrefix = "arn:aws:iam::";
    const std::string_view arn = request.role_arn;
    if (arn.rfind(kPrefix, 0) == 0 && arn.size() > kPrefix.size() + 18 &&
        arn.compare(kPrefix.size() + 12, 6, ":role/") == 0) {
      const std::string_view account = arn.substr(kPrefix.size(), 12);
      const std::string_view name = arn.substr(arn.rfind('/') + 1);
      found = impl_->directory->FindRole(account, name);
      if (found && found->arn != arn) found = nullptr;
    }
  }
  // AWS does not reveal whether a role exists: an unknown role is refused like a foreign one.
  if (!found) return NotAuthorized(p->arn, kAction, request.role_arn, false);
  const Impl::Role& role = *found;
  RequestFacts facts = impl_->FactsOf(*p, ctx);
  facts.external_id = request.external_id;
  facts.role_session_name = request.session_name;
  if (Status s = impl_->Decide(*p, facts, kAction, role.arn, role.account_id, role.trust.get(),
                               /*cross_account_grantable=*/true, /*trust=*/true);
      !s.ok()) {
    return s;
  }
  const std::int64_t duration =
      request.duration_seconds > 0 ? request.duration_seconds : kDefaultRoleSeconds;
  if (p->kind == Principal::Kind::kAssumedRole && duration > kChainedRoleMaxSeconds) {
    return Status(ErrorCode::kValidationError,
                  "The requested DurationSeconds exceeds the 1 hour session limit for roles "
                  "assumed by role chaining.");
  }
  if (duration > role.max_session_seconds) {
    return Status(
        ErrorCode::kValidationError,
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
  }
  if (!request.session_policy.empty()) {
    auto policy = ParsePolicy(request.session_policy, PolicyKind::kIdentity);
    if (!policy.ok()) {
      const bool json = policy.status().message().rfind("Policy is not valid JSON", 0) == 0;
      return Status(ErrorCode::kMalformedPolicyDocument,
                    json ? "The policy is not in the valid JSON format."
                         : fmt::format("Syntax errors in policy: {}", policy.status().message()));
    }
  }
  SessionClaims claims;
  claims.kind = SessionClaims::Kind::kAssumedRole;
  claims.account_id = role.account_id;
  claims.name = role.name;
  claims.session_name = std::string(request.session_name);
  claims.session_policy = std::string(request.session_policy);
  AssumedRole out;
  out.credentials = impl_->Issue(claims, duration);
  out.assumed_role_id = role.role_id + ":" + claims.session_name;
  out.arn = fmt::format("arn:aws:sts::{}:assumed-role/{}/{}", role.account_id, role.name,
                        claims.session_name);
  return out;
}

Result<TemporaryCredentials> Auth::GetSessionToken(const RequestContext& ctx,
                                                   std::int64_t duration_seconds) const {
  const std::shared_ptr<const Principal> p = impl_->PrincipalOf(ctx);
  if (!p) return NotAuthorized(ctx.principal_arn, "sts:GetSessionToken", "*", false);
  if (p->temporary) {
    return Status(ErrorCode::kAccessDenied, "Cannot call GetSessionToken with session credentials");
  }
  std::int64_t duration = duration_seconds > 0 ? duration_seconds : kDefaultSessionTokenSeconds;
  // Sessions of the account root last at most one hour (longer requests are shortened).
  if (p->kind == Principal::Kind::kRoot) duration = std::min(duration, kRootSessionTokenMaxSeconds);
  SessionClaims claims;
  claims.kind = SessionClaims::Kind::kUserSession;
  claims.account_id = p->account_id;
  claims.name = p->name;
  return impl_->Issue(claims, duration);
}

void Auth::SetDirectory(const IdentityDirectory* directory) { impl_->directory = directory; }

bool Auth::ConfiguredUser(std::string_view account, std::string_view name) const {
  return impl_->users_by_name.count(fmt::format("{}/{}", account, name)) > 0;
}

bool Auth::ConfiguredRole(std::string_view account, std::string_view name) const {
  return impl_->roles.count(RoleArn(account, name)) > 0;
}

Status ValidateRoleConfig(const RoleConfig& r) {
  if (!IsRoleName(r.name)) {
    return Status(
        ErrorCode::kInvalidParameterValue,
        fmt::format("auth role '{}': the name must be 1-64 characters of [A-Za-z0-9_+=,.@-]",
                    r.name));
  }
  if (!IsAccountId(r.account_id)) {
    return Status(ErrorCode::kInvalidParameterValue,
                  fmt::format("auth role '{}': account '{}' is not a 12-digit account id", r.name,
                              r.account_id));
  }
  if (r.max_session_duration < 3600 || r.max_session_duration > 43200) {
    return Status(
        ErrorCode::kInvalidParameterValue,
        fmt::format("auth role '{}': max_session_duration must be 3600..43200 seconds", r.name));
  }
  if (r.assume_role_policy.empty()) {
    return Status(ErrorCode::kInvalidParameterValue,
                  fmt::format("auth role '{}' needs an assume_role_policy", r.name));
  }
  if (auto trust = ParsePolicy(r.assume_role_policy, PolicyKind::kResource); !trust.ok()) {
    return Status(
        ErrorCode::kInvalidParameterValue,
        fmt::format("auth role '{}': assume_role_policy: {}", r.name, trust.status().message()));
  }
  for (std::size_t i = 0; i < r.policies.size(); ++i) {
    if (auto p = ParsePolicy(r.policies[i], PolicyKind::kIdentity); !p.ok()) {
      return Status(
          ErrorCode::kInvalidParameterValue,
          fmt::format("auth role '{}': policy {}: {}", r.name, i + 1, p.status().message()));
    }
  }
  return Status::Ok();
}

Status ValidateResourcePolicy(std::string_view json) {
  auto p = ParsePolicy(json, PolicyKind::kResource);
  if (!p.ok()) return p.status();
  // SQS's quotas for a queue policy (besides its 8,192 bytes): 20 statements, 50 principals,
  // 10 conditions.
  struct Quota {
    std::size_t count, limit;
    const char* what;
  };
  for (const Quota& q : {Quota{p->statement_count(), 20, "statements"},
                         Quota{p->principal_count(), 50, "principals"},
                         Quota{p->condition_count(), 10, "conditions"}}) {
    if (q.count > q.limit) {
      return Status(ErrorCode::kInvalidParameterValue,
                    fmt::format("Policy has {} {}; the limit is {}.", q.count, q.what, q.limit));
    }
  }
  return Status::Ok();
}

}  // namespace sluice::auth
