// The SSM registry (one table: action -> handler) and the helpers the handlers share.
#include "services/ssm/ssm_service.h"

#include <fmt/format.h>

#include <memory>

#include "auth/auth.h"
#include "common/encoding.h"
#include "common/ids.h"
#include "models/ssm_model.h"
#include "protocol/errors.h"
#include "services/kms/keys.h"
#include "services/ssm/handlers.h"
#include "services/ssm/policies.h"

namespace sluice::ssm {
namespace {

constexpr char kEncryptionContextKey[] = "PARAMETER_ARN";

// How SSM reports a KMS failure: KMS's own text and code in the AWS SDK's words.
Status KmsFailure(const Status& kms) {
  if (kms.code() == ErrorCode::kInternalError) return kms;
  const ErrorType& type =
      kms.type() != nullptr ? *kms.type() : protocol::CommonErrorType(kms.code().common());
  const std::string_view code = type.json_name.empty() ? type.code : type.json_name;
  // Every KMS error SSM passes on is a 400 in KMS (its AccessDeniedException too).
  std::string message = fmt::format(
      "{} (Service: AWSKMS; Status Code: 400; Error Code: {}; Request ID: {}; Proxy: null)",
      kms.message(), code, NewUuid());
  if (kms.code() == ErrorCode::kAccessDenied) {
    return Status(ErrorCode::kAccessDenied, std::move(message));
  }
  return Status(SsmError::kInvalidKeyId, std::move(message));
}

kms::Context ContextFor(std::string_view arn) {
  return {{kEncryptionContextKey, std::string(arn)}};
}

}  // namespace

std::string CallerArn(const RequestContext& ctx) {
  return ctx.principal_arn.empty() ? fmt::format("arn:aws:iam::{}:root", ctx.account_id)
                                   : ctx.principal_arn;
}

std::string StringOf(const Value& input, std::string_view name) {
  auto v = input.GetString(name);
  return v ? std::string(*v) : std::string();
}

Status AuthorizeParameter(const Ssm& ssm, const RequestContext& ctx, std::string_view action,
                          std::string_view name) {
  const std::string arn = ParameterArn(ctx.region, ctx.account_id, name);
  return services::Authorize(ssm.platform, ctx, action,
                             auth::Resource{arn, ctx.account_id, {}, false});
}

Status AuthorizeAccount(const Ssm& ssm, const RequestContext& ctx, std::string_view action) {
  return services::Authorize(ssm.platform, ctx, action,
                             auth::Resource{"*", ctx.account_id, {}, false});
}

Status NotFound() { return Status(SsmError::kParameterNotFound, ""); }

Status VersionNotFound(std::string_view version, std::string_view name) {
  return Status(SsmError::kParameterVersionNotFound,
                fmt::format("Systems Manager could not find version {} of {}. Verify the version "
                            "and try again.",
                            version, name));
}

Result<std::optional<Parameter>> LoadParameter(const Ssm& ssm, const RequestContext& ctx,
                                               std::string_view name) {
  auto record = ssm.platform.resources->Get(kParameterKind, ScopeOf(ctx), NameKey(name));
  if (!record.ok()) return record.status();
  if (!record->has_value()) return std::optional<Parameter>();
  auto parameter = DecodeParameter(**record);
  if (!parameter.ok()) return parameter.status();
  return std::optional<Parameter>(std::move(*parameter));
}

Result<std::vector<Parameter>> ListParameters(const Ssm& ssm, const RequestContext& ctx,
                                              std::string_view key_prefix) {
  engine::ResourceStore::ListOptions options;
  options.prefix = key_prefix;
  auto records = ssm.platform.resources->List(kParameterKind, ScopeOf(ctx), options);
  if (!records.ok()) return records.status();
  std::vector<Parameter> out;
  out.reserve(records->size());
  for (const engine::ResourceRecord& r : *records) {
    auto parameter = DecodeParameter(r);
    if (!parameter.ok()) return parameter.status();
    out.push_back(std::move(*parameter));
  }
  return out;
}

Result<std::optional<Parameter>> UpdateParameter(const Ssm& ssm, const RequestContext& ctx,
                                                 std::string_view name,
                                                 const ParameterChange& change) {
  std::optional<Parameter> stored;
  auto updated = ssm.platform.resources->Update(
      kParameterKind, ScopeOf(ctx), NameKey(name),
      [&](const std::optional<engine::ResourceRecord>& current)
          -> Result<std::optional<engine::ResourceRecord>> {
        std::optional<Parameter> parameter;
        if (current) {
          auto decoded = DecodeParameter(*current);
          if (!decoded.ok()) return decoded.status();
          parameter = std::move(*decoded);
        }
        auto next = change(std::move(parameter));
        if (!next.ok()) return next.status();
        stored = std::move(*next);
        if (!stored) return std::optional<engine::ResourceRecord>();
        return std::optional<engine::ResourceRecord>(EncodeParameter(*stored));
      });
  if (!updated.ok()) {
    if (updated.status().code() == engine::ResourceError::kConflict) {
      return Status(SsmError::kTooManyUpdates,
                    "There are concurrent updates for a resource that supports one update at a "
                    "time.");
    }
    return updated.status();
  }
  if (stored && updated->has_value()) stored->record_version = (*updated)->version;
  return stored;
}

Result<std::string> EncryptValue(const Ssm& ssm, const RequestContext& ctx, std::string_view key_id,
                                 std::string_view plaintext, std::string_view arn, bool advanced) {
  kms::Keys& keys = *ssm.platform.keys;
  auto key = keys.Find(ScopeOf(ctx), key_id);
  if (!key.ok()) return KmsFailure(key.status());
  // Standard parameters are encrypted by the key itself, advanced ones under a data key.
  const std::string_view action = advanced ? "kms:GenerateDataKey" : "kms:Encrypt";
  if (Status st = kms::AuthorizeKeyUse(ssm.platform.auth, ctx, action, *key, true, "ssm");
      !st.ok()) {
    return KmsFailure(st);
  }
  if (Status st = kms::Keys::Usable(*key, "Encrypt"); !st.ok()) return KmsFailure(st);
  auto blob = kms::Keys::Seal(*key, plaintext, ContextFor(arn));
  if (!blob.ok()) return KmsFailure(blob.status());
  return Base64Encode(*blob);
}

Result<std::string> DecryptValue(const Ssm& ssm, const RequestContext& ctx,
                                 const ParameterVersion& version, std::string_view arn) {
  auto blob = Base64Decode(version.value);
  if (!blob) return Status(ErrorCode::kInternalError, "a stored SecureString is unreadable");
  kms::Keys& keys = *ssm.platform.keys;
  auto key = keys.BlobKey(ScopeOf(ctx), *blob);
  if (!key.ok()) return KmsFailure(key.status());
  if (Status st = kms::AuthorizeKeyUse(ssm.platform.auth, ctx, "kms:Decrypt", *key, true, "ssm");
      !st.ok()) {
    return KmsFailure(st);
  }
  if (Status st = kms::Keys::Usable(*key, "Decrypt"); !st.ok()) return KmsFailure(st);
  auto plain = kms::Keys::Open(*key, *blob, ContextFor(arn));
  if (!plain.ok()) return KmsFailure(plain.status());
  return std::move(*plain);
}

Result<std::string> ValueOf(const Ssm& ssm, const RequestContext& ctx, const Parameter& p,
                            const ParameterVersion& v, bool decrypt) {
  if (!decrypt || v.type != "SecureString") return v.value;
  return DecryptValue(ssm, ctx, v, ParameterArn(ctx.region, ctx.account_id, p.name));
}

Value ParameterOutput(const RequestContext& ctx, const Parameter& p, const ParameterVersion& v,
                      std::string_view name, std::string value) {
  Value out = Value::Struct();
  out.Set("Name", Value::String(std::string(name)));
  out.Set("Type", Value::String(v.type));
  out.Set("Value", Value::String(std::move(value)));
  out.Set("Version", Value::Int(v.version));
  out.Set("LastModifiedDate", Value::Int(v.modified_ms));
  out.Set("ARN", Value::String(ParameterArn(ctx.region, ctx.account_id, p.name)));
  out.Set("DataType", Value::String(v.data_type));
  return out;
}

Value MetadataOutput(const RequestContext& ctx, const Parameter& p) {
  const ParameterVersion& v = p.Latest();
  Value out = Value::Struct();
  out.Set("Name", Value::String(p.name));
  out.Set("ARN", Value::String(ParameterArn(ctx.region, ctx.account_id, p.name)));
  out.Set("Type", Value::String(v.type));
  if (!v.key_id.empty()) out.Set("KeyId", Value::String(v.key_id));
  out.Set("LastModifiedDate", Value::Int(v.modified_ms));
  out.Set("LastModifiedUser", Value::String(v.modified_user));
  if (!v.description.empty()) out.Set("Description", Value::String(v.description));
  if (!v.allowed_pattern.empty()) out.Set("AllowedPattern", Value::String(v.allowed_pattern));
  out.Set("Version", Value::Int(v.version));
  out.Set("Tier", Value::String(v.tier));
  out.Set("Policies", PolicyList(v.policies));
  out.Set("DataType", Value::String(v.data_type));
  return out;
}

Value HistoryOutput(const Parameter& p, const ParameterVersion& v, std::string value) {
  Value out = Value::Struct();
  out.Set("Name", Value::String(p.name));
  out.Set("Type", Value::String(v.type));
  if (!v.key_id.empty()) out.Set("KeyId", Value::String(v.key_id));
  out.Set("LastModifiedDate", Value::Int(v.modified_ms));
  out.Set("LastModifiedUser", Value::String(v.modified_user));
  if (!v.description.empty()) out.Set("Description", Value::String(v.description));
  out.Set("Value", Value::String(std::move(value)));
  if (!v.allowed_pattern.empty()) out.Set("AllowedPattern", Value::String(v.allowed_pattern));
  out.Set("Version", Value::Int(v.version));
  out.Set("Labels", StringListOutput(v.labels));
  out.Set("Tier", Value::String(v.tier));
  out.Set("Policies", PolicyList(v.policies));
  out.Set("DataType", Value::String(v.data_type));
  return out;
}

Value TagListOutput(const std::vector<std::pair<std::string, std::string>>& tags) {
  Value list = Value::List();
  for (const auto& [k, v] : tags) {
    Value tag = Value::Struct();
    tag.Set("Key", Value::String(k));
    tag.Set("Value", Value::String(v));
    list.Append(std::move(tag));
  }
  return list;
}

Value StringListOutput(const std::vector<std::string>& items) {
  Value list = Value::List();
  for (const std::string& s : items) list.Append(Value::String(s));
  return list;
}

std::string PageToken(std::string_view after) { return Base64UrlEncode(after); }

Result<std::string> TokenPosition(const Value& input) {
  auto token = input.GetString("NextToken");
  if (!token) return std::string();
  auto position = Base64UrlDecode(*token);
  if (!position || position->empty()) {
    return Status(SsmError::kInvalidNextToken, "The specified token isn't valid.");
  }
  return std::move(*position);
}

protocol::ServiceDefinition MakeSsmService(const services::Platform& platform, SsmOptions options) {
  auto ssm = std::make_shared<const Ssm>(Ssm{platform, options});
  static constexpr services::Action<Ssm> kActions[] = {
      {"AddTagsToResource", &AddTagsToResource},
      {"DeleteParameter", &DeleteParameter},
      {"DeleteParameters", &DeleteParameters},
      {"DescribeParameters", &DescribeParameters},
      {"GetParameter", &GetParameter},
      {"GetParameterHistory", &GetParameterHistory},
      {"GetParameters", &GetParameters},
      {"GetParametersByPath", &GetParametersByPath},
      {"LabelParameterVersion", &LabelParameterVersion},
      {"ListTagsForResource", &ListTagsForResource},
      {"PutParameter", &PutParameter},
      {"RemoveTagsFromResource", &RemoveTagsFromResource},
      {"UnlabelParameterVersion", &UnlabelParameterVersion},
  };
  return services::DefineService<Ssm>(platform, models::Ssm(), SsmErrorTable(), std::move(ssm),
                                      kActions);
}

}  // namespace sluice::ssm
