#include "services/sts/sts_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/auth.h"
#include "auth/policy.h"
#include "auth/session_token.h"
#include "models/sts_model.h"
#include "protocol/model.h"

namespace sluice::sts {
namespace {

using protocol::Reply;
using protocol::Value;

constexpr std::int64_t kDefaultRoleSeconds = 3600;
constexpr std::int64_t kDefaultSessionTokenSeconds = 43200;
constexpr std::int64_t kRootSessionTokenMaxSeconds = 3600;
// AWS packs session policies (compressed) into the token; the plaintext limit is 2,048 characters.
// PackedPolicySize is the percentage of that limit used by the policy without insignificant
// whitespace (an approximation: AWS's packing is not documented).
constexpr std::size_t kPackedPolicyLimit = 2048;

struct Sts {
  services::Platform platform;
  auth::SessionSealer sealer{std::string()};  // auth "none" only: a per-process random key
};

// "arn:partition:service:region:account:resource" with non-empty partition, service and
// resource (AWS's own check before anything else: "<arn> is invalid").
bool IsArn(std::string_view arn) {
  std::size_t parts = 0, start = 0;
  std::string_view fields[6];
  while (parts < 5) {
    const std::size_t colon = arn.find(':', start);
    if (colon == std::string_view::npos) return false;
    fields[parts++] = arn.substr(start, colon - start);
    start = colon + 1;
  }
  fields[5] = arn.substr(start);
  return fields[0] == "arn" && !fields[1].empty() && !fields[2].empty() && !fields[5].empty();
}

// The policy text without insignificant whitespace (outside strings).
std::size_t PackedLength(std::string_view json) {
  std::size_t n = 0;
  bool in_string = false, escaped = false;
  for (char c : json) {
    if (in_string) {
      ++n;
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
      ++n;
    } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
      ++n;
    }
  }
  return n;
}

Value CredentialsValue(auth::TemporaryCredentials&& c) {
  Value v = Value::Struct();
  v.Set("AccessKeyId", Value::String(std::move(c.access_key_id)));
  v.Set("SecretAccessKey", Value::String(std::move(c.secret_access_key)));
  v.Set("SessionToken", Value::String(std::move(c.session_token)));
  v.Set("Expiration", Value::Int(c.expiration_ms));
  return v;
}

// Auth "none": credentials nobody will verify, shaped like real ones.
auth::TemporaryCredentials Unchecked(const Sts& sts, auth::SessionClaims& claims,
                                     std::int64_t duration_seconds) {
  const std::int64_t now_s = (sts.platform.clock ? sts.platform.clock->NowMs() : 0) / 1000;
  claims.access_key_id = auth::NewTemporaryAccessKeyId();
  claims.secret_access_key = auth::NewSecretAccessKey();
  claims.issued_ms = now_s * 1000;
  claims.expires_ms = (now_s + duration_seconds) * 1000;
  auth::TemporaryCredentials out;
  out.session_token = sts.sealer.Seal(claims);
  out.access_key_id = std::move(claims.access_key_id);
  out.secret_access_key = std::move(claims.secret_access_key);
  out.expiration_ms = claims.expires_ms;
  return out;
}

void GetCallerIdentity(const Sts& sts, const RequestContext& ctx, Value&&, Reply reply) {
  Value out = Value::Struct();
  if (ctx.authenticated) {
    out.Set("UserId", Value::String(ctx.sender_id));
    out.Set("Account", Value::String(ctx.account_id));
    out.Set("Arn", Value::String(ctx.principal_arn));
  } else {
    const std::string account = ctx.account_id;
    out.Set("UserId", Value::String(account));
    out.Set("Account", Value::String(account));
    out.Set("Arn", Value::String(fmt::format("arn:aws:iam::{}:root", account)));
  }
  reply(std::move(out));
}

void AssumeRole(const Sts& sts, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string role_arn(input.GetString("RoleArn").value_or(""));
  const std::string session_name(input.GetString("RoleSessionName").value_or(""));
  const std::string policy(input.GetString("Policy").value_or(""));
  const std::string external_id(input.GetString("ExternalId").value_or(""));
  const std::int64_t duration = input.GetInt("DurationSeconds").value_or(0);
  if (!IsArn(role_arn)) {
    return reply(Status(ErrorCode::kValidationError, fmt::format("{} is invalid", role_arn)));
  }
  if (const Value* arns = input.Get("PolicyArns");
      arns != nullptr && arns->is_list() && !arns->items().empty()) {
    // Sluice has no managed policies; ignoring them would grant more than the caller asked for.
    return reply(Status(ErrorCode::kValidationError,
                        "PolicyArns (managed session policies) are not supported by Sluice; pass "
                        "the session policy inline in Policy."));
  }
  std::optional<std::int64_t> packed;
  if (input.Get("Policy") != nullptr) {
    auto parsed = auth::ParsePolicy(policy, auth::PolicyKind::kIdentity);
    if (!parsed.ok()) {
      const bool json = parsed.status().message().rfind("Policy is not valid JSON", 0) == 0;
      return reply(
          Status(ErrorCode::kMalformedPolicyDocument,
                 json ? std::string("The policy is not in the valid JSON format.")
                      : fmt::format("Syntax errors in policy: {}", parsed.status().message())));
    }
    const std::size_t n = PackedLength(policy);
    const auto percent =
        static_cast<std::int64_t>((n * 100 + kPackedPolicyLimit - 1) / kPackedPolicyLimit);
    if (percent > 100) {
      return reply(Status(
          StsError::kPackedPolicyTooLarge,
          fmt::format("Packed size of session policies consumes {}% of allotted space.", percent)));
    }
    packed = percent;
  }
  Value out = Value::Struct();
  Value user = Value::Struct();
  if (sts.platform.auth != nullptr) {
    auth::AssumeRoleRequest request;
    request.role_arn = role_arn;
    request.session_name = session_name;
    request.duration_seconds = duration;
    request.session_policy = policy;
    request.external_id = external_id;
    auto assumed = sts.platform.auth->AssumeRole(ctx, request);
    if (!assumed.ok()) return reply(assumed.status());
    out.Set("Credentials", CredentialsValue(std::move(assumed->credentials)));
    user.Set("AssumedRoleId", Value::String(std::move(assumed->assumed_role_id)));
    user.Set("Arn", Value::String(std::move(assumed->arn)));
  } else {
    // arn:aws:iam::<account>:role/<path/>name: the account and the last path segment.
    std::string_view rest = role_arn;
    for (int i = 0; i < 4; ++i) rest.remove_prefix(rest.find(':') + 1);
    const std::string_view account = rest.substr(0, rest.find(':'));
    std::string_view name = rest.substr(rest.find(':') + 1);
    if (const auto slash = name.rfind('/'); slash != std::string_view::npos) {
      name.remove_prefix(slash + 1);
    }
    auth::SessionClaims claims;
    claims.kind = auth::SessionClaims::Kind::kAssumedRole;
    claims.account_id = std::string(account.empty() ? ctx.account_id : account);
    claims.name = std::string(name);
    claims.session_name = session_name;
    claims.session_policy = policy;
    const std::string role_id = auth::UniqueId("AROA", claims.account_id, claims.name);
    const std::string arn = fmt::format("arn:aws:sts::{}:assumed-role/{}/{}", claims.account_id,
                                        claims.name, session_name);
    out.Set("Credentials", CredentialsValue(Unchecked(
                               sts, claims, duration > 0 ? duration : kDefaultRoleSeconds)));
    user.Set("AssumedRoleId", Value::String(role_id + ":" + session_name));
    user.Set("Arn", Value::String(arn));
  }
  out.Set("AssumedRoleUser", std::move(user));
  if (packed) out.Set("PackedPolicySize", Value::Int(*packed));
  reply(std::move(out));
}

void GetSessionToken(const Sts& sts, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::int64_t duration = input.GetInt("DurationSeconds").value_or(0);
  Value out = Value::Struct();
  if (sts.platform.auth != nullptr) {
    auto creds = sts.platform.auth->GetSessionToken(ctx, duration);
    if (!creds.ok()) return reply(creds.status());
    out.Set("Credentials", CredentialsValue(std::move(*creds)));
  } else {
    auth::SessionClaims claims;
    claims.kind = auth::SessionClaims::Kind::kUserSession;
    claims.account_id = ctx.account_id;
    claims.name = "root";
    const std::int64_t seconds = std::min(duration > 0 ? duration : kDefaultSessionTokenSeconds,
                                          kRootSessionTokenMaxSeconds);
    out.Set("Credentials", CredentialsValue(Unchecked(sts, claims, seconds)));
  }
  reply(std::move(out));
}

}  // namespace

protocol::ServiceDefinition MakeStsService(const services::Platform& platform) {
  auto sts = std::make_shared<Sts>();
  sts->platform = platform;
  static constexpr services::Action<Sts> kActions[] = {
      {"AssumeRole", &AssumeRole},
      {"GetCallerIdentity", &GetCallerIdentity},
      {"GetSessionToken", &GetSessionToken},
  };
  return services::DefineService<Sts>(platform, models::Sts(), StsErrorTable(), std::move(sts),
                                      kActions);
}

}  // namespace sluice::sts
