// The KMS registry (one table: action -> handler) and the helpers the handlers share.
#include "services/kms/kms_service.h"

#include <fmt/format.h>

#include <memory>

#include "auth/auth.h"
#include "common/encoding.h"
#include "models/kms_model.h"
#include "services/kms/handlers.h"

namespace sluice::kms {

std::string CallerArn(const RequestContext& ctx) {
  return ctx.principal_arn.empty() ? fmt::format("arn:aws:iam::{}:root", ctx.account_id)
                                   : ctx.principal_arn;
}

Status AuthorizeKey(const Kms& kms, const RequestContext& ctx, std::string_view action,
                    const Key& key, bool cross_account) {
  return AuthorizeKeyUse(kms.platform.auth, ctx, action, key, cross_account);
}

Status AuthorizeAccount(const Kms& kms, const RequestContext& ctx, std::string_view action) {
  return services::Authorize(kms.platform, ctx, action,
                             auth::Resource{"*", ctx.account_id, {}, false});
}

Status RefuseManaged(const RequestContext& ctx, std::string_view action, const Key& key) {
  if (!key.aws_managed) return Status::Ok();
  return Status(ErrorCode::kAccessDenied,
                fmt::format("User: {} is not authorized to perform: {} on resource: {} because no "
                            "resource-based policy allows the {} action",
                            CallerArn(ctx), action, key.Arn(), action));
}

Value KeyMetadata(const Key& key) {
  Value m = Value::Struct();
  m.Set("AWSAccountId", Value::String(key.account));
  m.Set("KeyId", Value::String(key.id));
  m.Set("Arn", Value::String(key.Arn()));
  m.Set("CreationDate", Value::Int(key.created_ms));
  m.Set("Enabled", Value::Bool(key.state == "Enabled"));
  m.Set("Description", Value::String(key.description));
  m.Set("KeyUsage", Value::String(key.usage));
  m.Set("KeyState", Value::String(key.state));
  if (key.state == "PendingDeletion") m.Set("DeletionDate", Value::Int(key.deletion_ms));
  m.Set("Origin", Value::String("AWS_KMS"));
  m.Set("KeyManager", Value::String(key.aws_managed ? "AWS" : "CUSTOMER"));
  m.Set("CustomerMasterKeySpec", Value::String(key.spec));
  m.Set("KeySpec", Value::String(key.spec));
  Value algorithms = Value::List();
  if (key.hmac()) {
    algorithms.Append(Value::String("HMAC_SHA_" + key.spec.substr(5)));
    m.Set("MacAlgorithms", std::move(algorithms));
  } else {
    algorithms.Append(Value::String("SYMMETRIC_DEFAULT"));
    m.Set("EncryptionAlgorithms", std::move(algorithms));
  }
  m.Set("MultiRegion", Value::Bool(false));
  return m;
}

Value TagList(const std::vector<std::pair<std::string, std::string>>& tags) {
  Value list = Value::List();
  for (const auto& [k, v] : tags) {
    Value tag = Value::Struct();
    tag.Set("TagKey", Value::String(k));
    tag.Set("TagValue", Value::String(v));
    list.Append(std::move(tag));
  }
  return list;
}

Context ContextOf(const Value& input, std::string_view name) {
  Context context;
  if (const Value* map = input.Get(name); map != nullptr && map->is_map()) {
    for (const auto& [k, v] : map->entries()) {
      if (v.is_string()) context.emplace_back(k, v.as_string());
    }
  }
  return context;
}

std::string StringOf(const Value& input, std::string_view name) {
  auto v = input.GetString(name);
  return v ? std::string(*v) : std::string();
}

Result<Page> PageOf(const std::vector<std::string>& names, const Value& input,
                    std::int64_t default_limit, std::int64_t max_limit) {
  Page page;
  const std::int64_t limit = std::min(input.GetInt("Limit").value_or(default_limit), max_limit);
  if (auto marker = input.GetString("Marker")) {
    auto after = Base64Decode(*marker);
    if (!after) return Status(KmsError::kInvalidMarker, "Invalid marker.");
    page.begin = static_cast<std::size_t>(std::upper_bound(names.begin(), names.end(), *after) -
                                          names.begin());
  }
  page.end = std::min(names.size(), page.begin + static_cast<std::size_t>(limit));
  if (page.end < names.size() && page.end > page.begin) {
    page.next_marker = Base64Encode(names[page.end - 1]);
  }
  return page;
}

void SetPage(Value& out, const Page& page) {
  if (!page.next_marker.empty()) out.Set("NextMarker", Value::String(page.next_marker));
  out.Set("Truncated", Value::Bool(!page.next_marker.empty()));
}

protocol::ServiceDefinition MakeKmsService(const services::Platform& platform) {
  auto kms = std::make_shared<const Kms>(Kms{platform, *platform.keys});
  static constexpr services::Action<Kms> kActions[] = {
      {"CancelKeyDeletion", &CancelKeyDeletion},
      {"CreateAlias", &CreateAlias},
      {"CreateKey", &CreateKey},
      {"Decrypt", &Decrypt},
      {"DeleteAlias", &DeleteAlias},
      {"DescribeKey", &DescribeKey},
      {"DisableKey", &DisableKey},
      {"DisableKeyRotation", &DisableKeyRotation},
      {"EnableKey", &EnableKey},
      {"EnableKeyRotation", &EnableKeyRotation},
      {"Encrypt", &Encrypt},
      {"GenerateDataKey", &GenerateDataKey},
      {"GenerateDataKeyWithoutPlaintext", &GenerateDataKeyWithoutPlaintext},
      {"GenerateMac", &GenerateMac},
      {"GenerateRandom", &GenerateRandom},
      {"GetKeyPolicy", &GetKeyPolicy},
      {"GetKeyRotationStatus", &GetKeyRotationStatus},
      {"ListAliases", &ListAliases},
      {"ListKeyPolicies", &ListKeyPolicies},
      {"ListKeyRotations", &ListKeyRotations},
      {"ListKeys", &ListKeys},
      {"ListResourceTags", &ListResourceTags},
      {"PutKeyPolicy", &PutKeyPolicy},
      {"ReEncrypt", &ReEncrypt},
      {"RotateKeyOnDemand", &RotateKeyOnDemand},
      {"ScheduleKeyDeletion", &ScheduleKeyDeletion},
      {"TagResource", &TagResource},
      {"UntagResource", &UntagResource},
      {"UpdateAlias", &UpdateAlias},
      {"UpdateKeyDescription", &UpdateKeyDescription},
      {"VerifyMac", &VerifyMac},
  };
  return services::DefineService<Kms>(platform, models::Kms(), KmsErrorTable(), std::move(kms),
                                      kActions);
}

}  // namespace sluice::kms
