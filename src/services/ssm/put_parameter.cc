// PutParameter: create a parameter or a new version of it (tiers, AllowedPattern, SecureString
// encryption, the 100-version history, tags on create).
#include <fmt/format.h>

#include <algorithm>

#include "services/ssm/allowed_pattern.h"
#include "services/ssm/handlers.h"
#include "services/ssm/policies.h"

namespace sluice::ssm {
namespace {

constexpr std::size_t kStandardMaxValue = 4096;
constexpr std::size_t kAdvancedMaxValue = 8192;
constexpr std::size_t kMaxValue = 32768;

Status Invalid(std::string text) { return Status(ErrorCode::kValidationError, std::move(text)); }

bool SupportedDataType(std::string_view data_type) {
  return data_type == "text" || data_type == "aws:ec2:image" || data_type == "aws:ssm:integration";
}

// What the request asks for, decoded once (the update below may run more than once).
struct PutRequest {
  std::string name;
  std::string value;
  std::optional<std::string> type;
  std::optional<std::string> description;
  std::optional<std::string> key_id;
  std::optional<std::string> allowed_pattern;
  std::optional<std::string> tier;
  std::optional<std::string> policies;
  std::optional<std::string> data_type;
  bool overwrite = false;
  std::vector<std::pair<std::string, std::string>> tags;
  bool has_tags = false;
};

std::optional<std::string> Optional(const Value& input, std::string_view member) {
  auto v = input.GetString(member);
  return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
}

PutRequest Decode(const Value& input) {
  PutRequest r;
  r.name = std::string(TrimSpaces(StringOf(input, "Name")));
  r.value = StringOf(input, "Value");
  r.type = Optional(input, "Type");
  r.description = Optional(input, "Description");
  r.key_id = Optional(input, "KeyId");
  r.allowed_pattern = Optional(input, "AllowedPattern");
  r.tier = Optional(input, "Tier");
  r.policies = Optional(input, "Policies");
  r.data_type = Optional(input, "DataType");
  if (r.data_type && r.data_type->empty()) r.data_type.reset();
  r.overwrite = input.GetBool("Overwrite").value_or(false);
  if (const Value* tags = input.Get("Tags"); tags != nullptr && tags->is_list()) {
    r.has_tags = !tags->items().empty();
    for (const Value& t : tags->items()) {
      const std::string key = StringOf(t, "Key");
      const std::string value = StringOf(t, "Value");
      auto same = std::find_if(r.tags.begin(), r.tags.end(),
                               [&](const auto& kv) { return kv.first == key; });
      if (same != r.tags.end()) {
        same->second = value;
      } else {
        r.tags.emplace_back(key, value);
      }
    }
  }
  return r;
}

// Standard-tier parameters of the scope, counted only when the scope could have reached `limit`.
Result<std::size_t> StandardCount(const Ssm& ssm, const RequestContext& ctx, std::size_t limit) {
  engine::ResourceStore::ListOptions options;
  options.limit = limit;
  auto records = ssm.platform.resources->List(kParameterKind, ScopeOf(ctx), options);
  if (!records.ok()) return records.status();
  if (records->size() < limit) return records->size();
  auto all = ListParameters(ssm, ctx, "");
  if (!all.ok()) return all.status();
  return static_cast<std::size_t>(std::count_if(
      all->begin(), all->end(), [](const Parameter& p) { return p.Latest().tier == "Standard"; }));
}

// The tier the new version gets: the one asked for (default: the old version's, else Standard),
// with Intelligent-Tiering resolved, and the value's size checked against it.
Result<std::string> ResolveTier(const Ssm& ssm, const RequestContext& ctx, const PutRequest& r,
                                const ParameterVersion* old, const std::string& policies) {
  const std::size_t length = Utf16Length(r.value);
  std::string tier = r.tier ? *r.tier : (old ? old->tier : "Standard");
  const bool was_advanced = old != nullptr && old->tier == "Advanced";
  // A new standard parameter counts against the account's quota.
  const std::size_t limit = ssm.options.standard_parameter_limit;
  bool quota_full = false;
  if (old == nullptr && tier != "Advanced") {
    auto standard = StandardCount(ssm, ctx, limit);
    if (!standard.ok()) return standard.status();
    quota_full = *standard >= limit;
  }
  if (tier == "Intelligent-Tiering") {
    const bool advanced =
        was_advanced || length > kStandardMaxValue || !policies.empty() || quota_full;
    tier = advanced ? "Advanced" : "Standard";
  }
  if (tier == "Standard" && was_advanced) {
    return Invalid(
        "You can't downgrade a parameter from the advanced-parameter tier to the "
        "standard-parameter tier. To create a standard parameter, delete the advanced parameter "
        "and create a new standard parameter with the same name.");
  }
  if (tier == "Standard" && length > kStandardMaxValue) {
    return Invalid(
        "Standard tier parameters support a maximum parameter value of 4096 characters. To "
        "create a larger parameter value, upgrade the parameter to use the advanced-parameter "
        "tier. For more information, see "
        "https://docs.aws.amazon.com/systems-manager/latest/userguide/"
        "parameter-store-advanced-parameters.html");
  }
  if (tier == "Standard" && !policies.empty()) {
    return Invalid(
        "Parameter policies are supported only for advanced-tier parameters. To use parameter "
        "policies, upgrade the parameter to use the advanced-parameter tier.");
  }
  if (tier == "Advanced" && length > kAdvancedMaxValue) {
    return Invalid(
        "The specified parameter value is too large. Advanced-tier parameters support a maximum "
        "parameter value of 8192 characters.");
  }
  if (tier == "Standard" && quota_full) {
    return Status(SsmError::kParameterLimitExceeded,
                  fmt::format("You have reached the maximum number of standard parameters for "
                              "this AWS account and Region ({}). To add more parameters, either "
                              "delete existing parameters or upgrade to the advanced-parameter "
                              "tier (charges apply).",
                              limit));
  }
  return tier;
}

// The next state of the parameter: `current` with the new version, or a new parameter.
Result<std::optional<Parameter>> Apply(const Ssm& ssm, const RequestContext& ctx,
                                       const PutRequest& r, Millis now,
                                       std::optional<Parameter> current) {
  if (current && !r.overwrite) {
    return Status(SsmError::kParameterAlreadyExists,
                  "The parameter already exists. To overwrite this value, set the overwrite "
                  "option in the request to true.");
  }
  const ParameterVersion* old = current ? &current->Latest() : nullptr;
  if (old == nullptr && !r.type) {
    return Invalid("A parameter type is required when you create a parameter.");
  }
  ParameterVersion v;
  v.version = old ? old->version + 1 : 1;
  v.type = r.type ? *r.type : old->type;
  v.data_type = r.data_type ? *r.data_type : (old ? old->data_type : "text");
  if (v.data_type == "aws:ec2:image" && v.type != "String") {
    return Status(SsmError::kUnsupportedParameterType,
                  fmt::format("The parameter type {} isn't supported for the data type "
                              "aws:ec2:image. Use the String parameter type.",
                              v.type));
  }
  v.description = r.description ? *r.description : (old ? old->description : "");
  v.allowed_pattern = r.allowed_pattern ? *r.allowed_pattern : (old ? old->allowed_pattern : "");
  v.policies = r.policies ? *r.policies : (old ? old->policies : "");
  auto tier = ResolveTier(ssm, ctx, r, old, v.policies);
  if (!tier.ok()) return tier.status();
  v.tier = std::move(*tier);
  if (!v.allowed_pattern.empty()) {
    auto matches = MatchesAllowedPattern(v.allowed_pattern, r.value);
    if (!matches.ok()) return matches.status();
    if (!*matches) {
      return Status(SsmError::kParameterPatternMismatch,
                    fmt::format("Parameter value, cannot be validated against allowedPattern: {}",
                                v.allowed_pattern));
    }
  }
  Parameter next;
  if (current) {
    next = std::move(*current);
    if (next.versions.size() >= kMaxVersions) {
      const ParameterVersion& oldest = next.versions.front();
      if (!oldest.labels.empty()) {
        return Status(
            SsmError::kParameterMaxVersionLimitExceeded,
            fmt::format("You attempted to create a new version of {} by calling the PutParameter "
                        "API with the overwrite flag. Version {}, the oldest version, can't be "
                        "deleted because it has a label associated with it. Move the label to "
                        "another version of the parameter, and try again.",
                        next.name, oldest.version));
      }
      next.versions.erase(next.versions.begin());
    }
  } else {
    next.name = r.name;
    next.tags = r.tags;
  }
  v.modified_ms = now;
  v.modified_user = CallerArn(ctx);
  if (v.type == "SecureString") {
    // A new SecureString keeps the key of the one it replaces unless told otherwise.
    v.key_id =
        r.key_id ? *r.key_id : (old && old->type == "SecureString" ? old->key_id : kDefaultKeyId);
    auto sealed =
        EncryptValue(ssm, ctx, v.key_id, r.value,
                     ParameterArn(ctx.region, ctx.account_id, next.name), v.tier == "Advanced");
    if (!sealed.ok()) return sealed.status();
    v.value = std::move(*sealed);
  } else {
    v.value = r.value;  // a KeyId is accepted and ignored, as on AWS
  }
  next.versions.push_back(std::move(v));
  return std::optional<Parameter>(std::move(next));
}

}  // namespace

void PutParameter(const Ssm& ssm, const RequestContext& ctx, Value&& input, Reply reply) {
  const PutRequest r = Decode(input);
  // AWS's own model bounds Value (1..32768); the published one does not. Sensitive: not echoed.
  if (r.value.empty() || Utf16Length(r.value) > kMaxValue) {
    return reply(Invalid(fmt::format(
        "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must "
        "have length {}",
        r.value.empty() ? "greater than or equal to 1" : "less than or equal to 32768")));
  }
  if (r.overwrite && r.has_tags) {
    return reply(Invalid(
        "Invalid request: tags and overwrite can't be used together. To create a parameter with "
        "tags, please remove overwrite flag. To update tags for an existing parameter, please "
        "use AddTagsToResource or RemoveTagsFromResource."));
  }
  if (Status st = CheckNameForWrite(r.name, ctx.region, ctx.account_id); !st.ok()) {
    return reply(st);
  }
  if (Status st = AuthorizeParameter(ssm, ctx, "ssm:PutParameter", r.name); !st.ok()) {
    return reply(st);
  }
  if (r.has_tags) {
    if (Status st = AuthorizeParameter(ssm, ctx, "ssm:AddTagsToResource", r.name); !st.ok()) {
      return reply(st);
    }
  }
  if (r.data_type && !SupportedDataType(*r.data_type)) {
    return reply(Invalid(fmt::format(
        "The following data type is not supported: {} (Data type names are all lowercase.)",
        *r.data_type)));
  }
  if (r.tags.size() > kMaxTags) {
    return reply(Status(SsmError::kTooManyTags,
                        "The Targets parameter includes too many tags. Remove one or more tags "
                        "and try again."));
  }
  if (r.policies) {
    if (Status st = CheckPolicies(*r.policies); !st.ok()) return reply(st);
  }
  const Millis now = ssm.platform.clock->NowMs();
  auto stored = UpdateParameter(ssm, ctx, r.name, [&](std::optional<Parameter> current) {
    return Apply(ssm, ctx, r, now, std::move(current));
  });
  if (!stored.ok()) return reply(stored.status());
  if (!stored->has_value()) return reply(Status(ErrorCode::kInternalError, "Nothing was stored."));
  const ParameterVersion& latest = (*stored)->Latest();
  Value out = Value::Struct();
  out.Set("Version", Value::Int(latest.version));
  out.Set("Tier", Value::String(latest.tier));
  reply(std::move(out));
}

}  // namespace sluice::ssm
