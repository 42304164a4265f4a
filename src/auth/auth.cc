#include "auth/auth.h"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "auth/sigv4.h"

namespace sluice::auth {
namespace {

constexpr std::size_t kPolicyCacheLimit = 4096;

bool IsAccountId(std::string_view s) {
  return s.size() == 12 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Status InvalidToken() {
  return Status(ErrorCode::kInvalidClientTokenId,
                "The security token included in the request is invalid.");
}

}  // namespace

struct Auth::Impl {
  struct User {
    std::string name;
    std::string account_id;
    std::string principal_arn;
    std::string secret;
    std::string session_token;
    bool root = false;
    std::vector<Policy> policies;
  };

  const Clock& clock;
  std::string region;
  std::unordered_map<std::string, User> users;  // by access key id

  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  mutable std::mutex cache_mu;
  // Keyed by the document's text, looked up without copying it.
  mutable std::unordered_map<std::string, std::shared_ptr<const Policy>, TextHash, std::equal_to<>>
      policy_cache;

  explicit Impl(const Clock& c) : clock(c) {}

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
};

Auth::Auth(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Auth::~Auth() = default;

Result<std::unique_ptr<Auth>> Auth::Create(const AuthConfig& config, const Clock& clock) {
  auto impl = std::make_unique<Impl>(clock);
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
    Impl::User user;
    user.name = u.name;
    user.account_id = u.account_id;
    user.root = u.name == "root";
    user.principal_arn = user.root ? fmt::format("arn:aws:iam::{}:root", u.account_id)
                                   : fmt::format("arn:aws:iam::{}:user/{}", u.account_id, u.name);
    user.secret = u.secret_access_key;
    user.session_token = u.session_token;
    for (std::size_t i = 0; i < u.policies.size(); ++i) {
      auto p = ParsePolicy(u.policies[i], PolicyKind::kIdentity);
      if (!p.ok()) {
        return Status(
            ErrorCode::kInvalidParameterValue,
            fmt::format("auth user '{}': policy {}: {}", u.name, i + 1, p.status().message()));
      }
      user.policies.push_back(std::move(*p));
    }
    if (!impl->users.emplace(u.access_key_id, std::move(user)).second) {
      return Status(ErrorCode::kInvalidParameterValue,
                    fmt::format("auth: access key id {} is configured twice", u.access_key_id));
    }
  }
  return std::unique_ptr<Auth>(new Auth(std::move(impl)));
}

Status Auth::Authenticate(const net::HttpRequest& req, std::string_view service,
                          protocol::RequestContext& ctx) const {
  auto sig = ParseSigV4(req);
  if (!sig.ok()) return sig.status();
  if (sig->service != service) {
    return Status(ErrorCode::kSignatureDoesNotMatch,
                  fmt::format("Credential should be scoped to correct service: '{}'. ", service));
  }
  if (!impl_->region.empty() && sig->region != impl_->region) {
    return Status(
        ErrorCode::kSignatureDoesNotMatch,
        fmt::format("Credential should be scoped to a valid region, not '{}'. ", sig->region));
  }
  auto it = impl_->users.find(sig->access_key_id);
  if (it == impl_->users.end()) return InvalidToken();
  const Impl::User& user = it->second;
  if (!ConstantTimeEquals(sig->session_token, user.session_token)) return InvalidToken();
  if (Status s = CheckTime(*sig, impl_->clock.NowMs() / 1000); !s.ok()) return s;
  if (Status s = VerifySignature(req, *sig, user.secret); !s.ok()) return s;
  ctx.authenticated = true;
  ctx.account_id = user.account_id;
  ctx.principal_arn = user.principal_arn;
  ctx.access_key_id = sig->access_key_id;
  ctx.sender_id = user.root ? user.account_id : sig->access_key_id;
  ctx.signing_region = std::move(sig->region);
  return Status::Ok();
}

Status Auth::Authorize(const protocol::RequestContext& ctx, std::string_view action,
                       const Resource& resource) const {
  const Impl::User* user = nullptr;
  if (ctx.authenticated) {
    if (auto it = impl_->users.find(ctx.access_key_id); it != impl_->users.end()) {
      user = &it->second;
    }
  }
  auto denied = [&](bool explicit_deny) {
    return Status(ErrorCode::kAccessDenied,
                  fmt::format("User: {} is not authorized to perform: {} on resource: {}{}",
                              ctx.principal_arn.empty() ? "anonymous" : ctx.principal_arn, action,
                              resource.arn, explicit_deny ? " with an explicit deny" : ""));
  };
  if (user == nullptr) return denied(false);
  RequestFacts facts;
  facts.principal_arn = user->principal_arn;
  facts.principal_account = user->account_id;
  facts.username = user->root ? std::string_view() : std::string_view(user->name);
  facts.source_ip = ctx.source_ip;
  facts.secure_transport = ctx.secure;
  facts.now_ms = impl_->clock.NowMs();
  const EvalRequest req{action, resource.arn, &facts};

  bool identity_allow = user->root;
  for (const Policy& p : user->policies) {
    const Decision d = p.Evaluate(req);
    if (d.deny) return denied(true);
    identity_allow = identity_allow || d.allow;
  }
  Decision res;
  if (!resource.policy.empty()) {
    if (auto policy = impl_->ResourcePolicy(resource.policy)) res = policy->Evaluate(req);
    if (res.deny) return denied(true);
  }
  const bool same_account = resource.account == user->account_id;
  const bool allowed = same_account
                           ? (identity_allow || res.allow_direct)
                           : (resource.cross_account_grantable && identity_allow && res.allow);
  return allowed ? Status::Ok() : denied(false);
}

Status ValidateResourcePolicy(std::string_view json) {
  auto p = ParsePolicy(json, PolicyKind::kResource);
  return p.ok() ? Status::Ok() : p.status();
}

}  // namespace sluice::auth
