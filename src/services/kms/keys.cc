#include "services/kms/keys.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <set>

#include "auth/auth.h"
#include "auth/policy.h"
#include "common/aead.h"
#include "common/ids.h"
#include "services/kms/errors.h"

namespace sluice::kms {
namespace {

using engine::ResourceRecord;
using engine::ResourceScope;

constexpr Millis kDayMs = 86'400'000;
constexpr char kBlobVersion = 0x01;
constexpr std::size_t kBlobHeader = 1 + 16 + 4;

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool IsHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

Status NotFoundKey(const ResourceScope& scope, std::string_view id) {
  return Status(KmsError::kNotFound,
                fmt::format("Key '{}' does not exist", KeyArn(scope.region, scope.account, id)));
}

Status InvalidKeyId(std::string_view id) {
  return Status(KmsError::kNotFound, fmt::format("Invalid keyId '{}'", id));
}

Status AliasNotFound(const ResourceScope& scope, std::string_view name) {
  return Status(KmsError::kNotFound,
                fmt::format("Alias {} is not found.", AliasArn(scope.region, scope.account, name)));
}

// 16 raw bytes of a UUID "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"; empty when it is not one.
std::string UuidBytes(std::string_view id) {
  std::string out;
  for (std::size_t i = 0; i < id.size(); ++i) {
    if (id[i] == '-') continue;
    if (i + 1 >= id.size()) return {};
    auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
    out.push_back(static_cast<char>(nibble(id[i]) * 16 + nibble(id[i + 1])));
    ++i;
  }
  return out.size() == 16 ? out : std::string();
}

std::string UuidText(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    const auto b = static_cast<unsigned char>(bytes[i]);
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

// AAD of a ciphertext: version, key id, material id and the encryption context, sorted and
// length-prefixed so that no two contexts share an encoding.
std::string BlobAad(std::string_view header, Context context) {
  std::sort(context.begin(), context.end());
  std::string aad = "sluice-kms/";
  aad.append(header);
  auto put = [&aad](std::string_view s) {
    aad += std::to_string(s.size());
    aad.push_back(':');
    aad.append(s);
  };
  for (const auto& [k, v] : context) {
    put(k);
    put(v);
  }
  return aad;
}

std::uint32_t Be32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::size_t MaterialBytes(std::string_view spec) {
  if (spec == "HMAC_224") return 28;
  if (spec == "HMAC_384") return 48;
  if (spec == "HMAC_512") return 64;
  return 32;  // SYMMETRIC_DEFAULT (AES-256), HMAC_256
}

const EVP_MD* MacDigest(std::string_view spec) {
  if (spec == "HMAC_224") return EVP_sha224();
  if (spec == "HMAC_384") return EVP_sha384();
  if (spec == "HMAC_512") return EVP_sha512();
  return EVP_sha256();
}

std::string MacAlgorithmOf(std::string_view spec) {
  return "HMAC_SHA_" + std::string(spec.substr(5));  // HMAC_256 -> HMAC_SHA_256
}

// The AWS managed keys: their services and what their descriptions say they protect. AWS
// predefines the aliases of the first group in every account; sqs and sns appear once used.
struct ManagedService {
  std::string_view service;
  std::string_view protects;
  bool predefined;
};
constexpr ManagedService kManaged[] = {
    {"acm", "ACM data", true},
    {"dynamodb", "DynamoDB data", true},
    {"ebs", "EBS volumes", true},
    {"elasticfilesystem", "EFS data", true},
    {"es", "Elasticsearch data", true},
    {"glue", "Glue data", true},
    {"kinesisvideo", "Kinesis Video data", true},
    {"lambda", "Lambda functions", true},
    {"rds", "RDS database volumes", true},
    {"redshift", "Redshift data", true},
    {"s3", "S3 objects", true},
    {"secretsmanager", "Secrets Manager data", true},
    {"sns", "SNS data", false},
    {"sqs", "SQS messages", false},
    {"ssm", "SSM parameters", true},
    {"xray", "X-Ray data", true},
};

const ManagedService* ManagedByAlias(std::string_view alias) {
  if (!StartsWith(alias, "alias/aws/")) return nullptr;
  const std::string_view service = alias.substr(10);
  for (const ManagedService& m : kManaged) {
    if (m.service == service) return &m;
  }
  return nullptr;
}

// An AWS managed key's policy: its service may use it for the account, the account may read it.
std::string ManagedKeyPolicy(std::string_view service, const ResourceScope& scope) {
  return fmt::format(
      "{{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"auto-{0}-1\",\n  \"Statement\" : [ {{\n"
      "    \"Sid\" : \"Allow access through {0} for all principals in the account that are "
      "authorized to use {0}\",\n"
      "    \"Effect\" : \"Allow\",\n    \"Principal\" : {{\n      \"AWS\" : \"*\"\n    }},\n"
      "    \"Action\" : [ \"kms:Encrypt\", \"kms:Decrypt\", \"kms:ReEncrypt*\", "
      "\"kms:GenerateDataKey*\", \"kms:CreateGrant\", \"kms:DescribeKey\" ],\n"
      "    \"Resource\" : \"*\",\n    \"Condition\" : {{\n      \"StringEquals\" : {{\n"
      "        \"kms:CallerAccount\" : \"{1}\",\n"
      "        \"kms:ViaService\" : \"{0}.{2}.amazonaws.com\"\n      }}\n    }}\n  }}, {{\n"
      "    \"Sid\" : \"Allow direct access to key metadata to the account\",\n"
      "    \"Effect\" : \"Allow\",\n    \"Principal\" : {{\n"
      "      \"AWS\" : \"arn:aws:iam::{1}:root\"\n    }},\n"
      "    \"Action\" : [ \"kms:Describe*\", \"kms:Get*\", \"kms:List*\" ],\n"
      "    \"Resource\" : \"*\"\n  }} ]\n}}",
      service, scope.account, scope.region);
}

}  // namespace

Status AuthorizeKeyUse(const auth::Auth* auth, const RequestContext& ctx, std::string_view action,
                       const Key& key, bool cross_account, std::string_view via_service) {
  if (auth == nullptr) return Status::Ok();
  const std::string arn = key.Arn();
  const std::string via = via_service.empty()
                              ? std::string()
                              : fmt::format("{}.{}.amazonaws.com", via_service, key.region);
  auth::Resource resource{arn, key.account, key.policy, cross_account};
  resource.resource_policy_required = true;
  resource.via_service = via;
  return auth->Authorize(ctx, action, resource);
}

bool IsKeyId(std::string_view id) {
  if (StartsWith(id, "mrk-")) return id.size() == 36 && IsHex(id.substr(4));
  if (id.size() != 36) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (id[i] == '-')) return false;
    if (!dash && !IsHex(id.substr(i, 1))) return false;
  }
  return true;
}

std::string DefaultKeyPolicy(std::string_view account) {
  return fmt::format(
      "{{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n"
      "  \"Statement\" : [ {{\n    \"Sid\" : \"Enable IAM User Permissions\",\n"
      "    \"Effect\" : \"Allow\",\n    \"Principal\" : {{\n"
      "      \"AWS\" : \"arn:aws:iam::{}:root\"\n    }},\n    \"Action\" : \"kms:*\",\n"
      "    \"Resource\" : \"*\"\n  }} ]\n}}",
      account);
}

Status CheckTags(const std::vector<std::pair<std::string, std::string>>& tags) {
  std::set<std::string_view> keys;
  for (const auto& [k, v] : tags) {
    if (!keys.insert(k).second) return Status(KmsError::kTag, "Duplicate tag keys");
  }
  if (tags.size() > 50) return Status(KmsError::kTag, "Too many tags");
  for (const auto& [k, v] : tags) {
    if (k.size() >= 4 && (k[0] | 0x20) == 'a' && (k[1] | 0x20) == 'w' && (k[2] | 0x20) == 's' &&
        k[3] == ':') {
      return Status(KmsError::kTag, "Tags beginning with aws: are reserved");
    }
  }
  return Status::Ok();
}

Status Keys::Usable(const Key& key, std::string_view op, bool mac) {
  if (key.state == "Disabled") {
    return Status(KmsError::kDisabled, fmt::format("{} is disabled.", key.Arn()));
  }
  if (key.state == "PendingDeletion") {
    return Status(KmsError::kInvalidState, fmt::format("{} is pending deletion.", key.Arn()));
  }
  if (key.hmac() != mac) {
    return Status(
        KmsError::kInvalidKeyUsage,
        fmt::format("{} key usage is {} which is not valid for {}.", key.Arn(), key.usage, op));
  }
  return Status::Ok();
}

std::string Keys::Random(std::size_t bytes) {
  std::string out(bytes, '\0');
  if (bytes > 0 &&
      RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(bytes)) != 1) {
    return {};
  }
  return out;
}

// ---- keys ------------------------------------------------------------------------------------

Result<Key> Keys::StoreNewKey(const ResourceScope& scope, Key key) {
  ResourceRecord record = EncodeKey(key);
  auto version =
      store_.Put(kKeyKind, scope, key.id, std::move(record.value), std::move(record.secret), 0);
  if (!version.ok()) return version.status();
  key.version = *version;
  return key;
}

Result<Key> Keys::Create(const ResourceScope& scope, const CreateKeyRequest& request) {
  Key key;
  key.spec = request.spec.empty() ? "SYMMETRIC_DEFAULT" : request.spec;
  const bool hmac = StartsWith(key.spec, "HMAC_");
  if (key.spec != "SYMMETRIC_DEFAULT" && !hmac) {
    return Status(KmsError::kUnsupportedOperation,
                  fmt::format("KeySpec {} is not supported by this KMS (symmetric encryption and "
                              "HMAC keys only).",
                              key.spec));
  }
  if (hmac && request.usage.empty()) {
    return Status(ErrorCode::kValidationError,
                  "You must specify a KeyUsage value for all KMS keys except for symmetric "
                  "encryption keys.");
  }
  key.usage = request.usage.empty() ? "ENCRYPT_DECRYPT" : request.usage;
  if ((hmac && key.usage != "GENERATE_VERIFY_MAC") || (!hmac && key.usage != "ENCRYPT_DECRYPT")) {
    return Status(
        ErrorCode::kValidationError,
        fmt::format("KeyUsage {} is not compatible with KeySpec {}.", key.usage, key.spec));
  }
  if (!request.policy.empty()) {
    auto parsed = auth::ParsePolicy(request.policy, auth::PolicyKind::kResource);
    if (!parsed.ok()) {
      return Status(ErrorCode::kMalformedPolicyDocument, parsed.status().message());
    }
  }
  if (Status tags = CheckTags(request.tags); !tags.ok()) return tags;
  key.id = NewUuid();
  key.account = scope.account;
  key.region = scope.region;
  key.created_ms = clock_.NowMs() / 1000 * 1000;
  key.description = request.description;
  key.policy = request.policy.empty() ? DefaultKeyPolicy(scope.account) : request.policy;
  key.tags = request.tags;
  key.materials.push_back(Material{1, Random(MaterialBytes(key.spec))});
  if (key.materials.back().bytes.empty()) {
    return Status(ErrorCode::kInternalError, "No randomness for key material.");
  }
  return StoreNewKey(scope, std::move(key));
}

Result<Key> Keys::Load(const ResourceScope& scope, std::string_view id) {
  auto record = store_.Get(kKeyKind, scope, id);
  if (!record.ok()) return record.status();
  if (!record->has_value()) return NotFoundKey(scope, id);
  return DecodeKey(scope, **record);
}

Status Keys::Purge(const ResourceScope& scope, const Key& key) {
  auto aliases = store_.List(kAliasKind, scope, {});
  if (!aliases.ok()) return aliases.status();
  for (const ResourceRecord& r : *aliases) {
    auto alias = DecodeAlias(r);
    if (alias.ok() && alias->target_key_id == key.id) {
      NoteIgnoredError("deleting an alias of a deleted KMS key",
                       store_.Delete(kAliasKind, scope, r.name, r.version));
    }
  }
  Status st = store_.Delete(kKeyKind, scope, key.id, engine::kAnyVersion);
  return st.ok() || st.code() == engine::ResourceError::kNotFound ? Status::Ok() : st;
}

Result<Key> Keys::Due(const ResourceScope& scope, Key key) {
  const Millis now = clock_.NowMs();
  if (key.state == "PendingDeletion" && now >= key.deletion_ms) {
    if (Status st = Purge(scope, key); !st.ok()) return st;
    return NotFoundKey(scope, key.id);
  }
  if (key.rotation_enabled && key.state == "Enabled" && key.next_rotation_ms > 0 &&
      now >= key.next_rotation_ms) {
    return UpdateKey(scope, key.id, [this](Key& k) {
      const Millis at = clock_.NowMs();
      if (!k.rotation_enabled || k.next_rotation_ms == 0 || at < k.next_rotation_ms) {
        return Status::Ok();  // someone else rotated it
      }
      const std::uint32_t id = k.materials.back().id + 1;
      k.materials.push_back(Material{id, Random(MaterialBytes(k.spec))});
      k.rotations.push_back(Rotation{id, k.next_rotation_ms, false});
      const Millis period = static_cast<Millis>(k.rotation_period_days) * kDayMs;
      while (k.next_rotation_ms <= at) k.next_rotation_ms += period;
      return Status::Ok();
    });
  }
  return key;
}

Result<Key> Keys::Find(const ResourceScope& scope, std::string_view key_id, bool allow_alias) {
  auto key = Resolve(scope, key_id, allow_alias);
  if (!key.ok()) return key.status();
  const ResourceScope where{key->account, key->region};  // before *key is moved from
  return Due(where, std::move(*key));
}

Result<Key> Keys::Resolve(const ResourceScope& scope, std::string_view key_id, bool allow_alias) {
  ResourceScope where = scope;
  std::string_view rest = key_id;
  if (StartsWith(key_id, "arn:")) {
    // arn:PARTITION:kms:REGION:ACCOUNT:RESOURCE
    std::string_view parts[6];
    std::string_view s = key_id;
    for (int i = 0; i < 5; ++i) {
      const std::size_t colon = s.find(':');
      if (colon == std::string_view::npos) return InvalidKeyId(key_id);
      parts[i] = s.substr(0, colon);
      s.remove_prefix(colon + 1);
    }
    parts[5] = s;
    if (!StartsWith(parts[1], "aws") || parts[2] != "kms") return InvalidKeyId(key_id);
    if (parts[3] != scope.region) {
      return Status(KmsError::kNotFound, fmt::format("Invalid arn {}", parts[3]));
    }
    where.account = std::string(parts[4]);
    rest = parts[5];
    if (StartsWith(rest, "key/")) {
      rest.remove_prefix(4);
      if (!IsKeyId(rest)) return InvalidKeyId(key_id);
    } else if (!StartsWith(rest, "alias/")) {
      return InvalidKeyId(key_id);
    }
  }
  if (StartsWith(rest, "alias/")) {
    if (!allow_alias) return InvalidKeyId(key_id);
    auto record = store_.Get(kAliasKind, where, rest);
    if (!record.ok()) return record.status();
    if (!record->has_value()) {
      const ManagedService* managed = ManagedByAlias(rest);
      if (managed != nullptr && where.account == scope.account) {
        return ManagedKey(where, managed->service);
      }
      return AliasNotFound(where, rest);
    }
    auto alias = DecodeAlias(**record);
    if (!alias.ok()) return alias.status();
    return Load(where, alias->target_key_id);
  }
  if (!IsKeyId(rest)) return InvalidKeyId(key_id);
  return Load(where, rest);
}

Result<Key> Keys::Modify(const ResourceScope& scope, std::string_view key_id,
                         const std::function<Status(Key&)>& change) {
  auto found = Find(scope, key_id, /*allow_alias=*/false);
  if (!found.ok()) return found.status();
  return UpdateKey({found->account, found->region}, found->id, change);
}

Result<Key> Keys::UpdateKey(const ResourceScope& where, const std::string& id,
                            const std::function<Status(Key&)>& change) {
  std::optional<Key> stored;
  auto updated = store_.Update(
      kKeyKind, where, id,
      [&](const std::optional<ResourceRecord>& current) -> Result<std::optional<ResourceRecord>> {
        if (!current) return NotFoundKey(where, id);
        auto key = DecodeKey(where, *current);
        if (!key.ok()) return key.status();
        if (Status st = change(*key); !st.ok()) return st;
        stored = *key;
        return std::optional<ResourceRecord>(EncodeKey(*key));
      });
  if (!updated.ok()) return updated.status();
  if (!stored || !updated->has_value()) return NotFoundKey(where, id);
  stored->version = (*updated)->version;
  return *stored;
}

Result<std::vector<Key>> Keys::List(const ResourceScope& scope) {
  auto records = store_.List(kKeyKind, scope, {});
  if (!records.ok()) return records.status();
  std::vector<Key> keys;
  for (const ResourceRecord& r : *records) {
    auto key = DecodeKey(scope, r);
    if (!key.ok()) return key.status();
    auto live = Due(scope, std::move(*key));
    if (live.ok()) {
      keys.push_back(std::move(*live));
    } else if (live.status().code() != KmsError::kNotFound) {
      return live.status();
    }
  }
  return keys;
}

Result<Key> Keys::ManagedKey(const ResourceScope& scope, std::string_view service) {
  const std::string alias_name = fmt::format("alias/aws/{}", service);
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto record = store_.Get(kAliasKind, scope, alias_name);
    if (!record.ok()) return record.status();
    if (record->has_value()) {
      auto alias = DecodeAlias(**record);
      if (!alias.ok()) return alias.status();
      return Load(scope, alias->target_key_id);
    }
    std::string_view protects = "data";
    for (const ManagedService& m : kManaged) {
      if (m.service == service) protects = m.protects;
    }
    Key key;
    key.id = NewUuid();
    key.account = scope.account;
    key.region = scope.region;
    key.created_ms = clock_.NowMs() / 1000 * 1000;
    key.description =
        fmt::format("Default key that protects my {} when no other key is defined", protects);
    key.aws_managed = true;
    key.policy = ManagedKeyPolicy(service, scope);
    // AWS rotates its managed keys every year.
    key.rotation_enabled = true;
    key.next_rotation_ms = key.created_ms + 365 * kDayMs;
    key.materials.push_back(Material{1, Random(32)});
    auto stored = StoreNewKey(scope, std::move(key));
    if (!stored.ok()) return stored.status();
    Alias alias;
    alias.name = alias_name;
    alias.target_key_id = stored->id;
    alias.created_ms = alias.updated_ms = stored->created_ms;
    ResourceRecord a = EncodeAlias(alias);
    auto put = store_.Put(kAliasKind, scope, alias_name, std::move(a.value), {}, 0);
    if (put.ok()) return stored;
    // Another request created it first: drop ours and use theirs.
    NoteIgnoredError("deleting a redundant AWS managed key",
                     store_.Delete(kKeyKind, scope, stored->id, engine::kAnyVersion));
    if (put.status().code() != engine::ResourceError::kConflict) return put.status();
  }
  return Status(ErrorCode::kInternalError, "The AWS managed key could not be created.");
}

// ---- aliases ---------------------------------------------------------------------------------

namespace {

Status CheckAliasName(std::string_view name) {
  if (!StartsWith(name, "alias/")) {
    return Status(ErrorCode::kValidationError,
                  "Alias must start with the prefix \"alias/\". Please see "
                  "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html");
  }
  if (name.find(':') != std::string_view::npos) {
    return Status(ErrorCode::kValidationError,
                  fmt::format("{} contains invalid characters for an alias", name));
  }
  if (StartsWith(name, "alias/aws/")) {
    return Status(KmsError::kInvalidAliasName,
                  "Alias names that begin with alias/aws/ are reserved for AWS managed keys.");
  }
  return Status::Ok();
}

}  // namespace

Status Keys::CreateAlias(const ResourceScope& scope, std::string_view name,
                         std::string_view target_key_id) {
  if (Status st = CheckAliasName(name); !st.ok()) return st;
  if (StartsWith(target_key_id, "alias/") ||
      target_key_id.find(":alias/") != std::string_view::npos) {
    return Status(ErrorCode::kValidationError, "Aliases must refer to keys. Not aliases");
  }
  auto key = Find(scope, target_key_id, /*allow_alias=*/false);
  if (!key.ok()) return key.status();
  if (key->state == "PendingDeletion") {
    return Status(KmsError::kInvalidState, fmt::format("{} is pending deletion.", key->Arn()));
  }
  Alias alias;
  alias.name = std::string(name);
  alias.target_key_id = key->id;
  alias.created_ms = alias.updated_ms = clock_.NowMs() / 1000 * 1000;
  ResourceRecord record = EncodeAlias(alias);
  auto put = store_.Put(kAliasKind, scope, name, std::move(record.value), {}, 0);
  if (put.status().code() == engine::ResourceError::kConflict) {
    return Status(KmsError::kAlreadyExists,
                  fmt::format("An alias with the name {} already exists",
                              AliasArn(scope.region, scope.account, name)));
  }
  return put.status();
}

Status Keys::UpdateAlias(const ResourceScope& scope, std::string_view name,
                         std::string_view target_key_id) {
  if (Status st = CheckAliasName(name); !st.ok()) return st;
  if (StartsWith(target_key_id, "alias/") ||
      target_key_id.find(":alias/") != std::string_view::npos) {
    return Status(ErrorCode::kValidationError, "Aliases must refer to keys. Not aliases");
  }
  auto key = Find(scope, target_key_id, /*allow_alias=*/false);
  if (!key.ok()) return key.status();
  if (key->state == "PendingDeletion") {
    return Status(KmsError::kInvalidState, fmt::format("{} is pending deletion.", key->Arn()));
  }
  const Millis now = clock_.NowMs() / 1000 * 1000;
  auto updated = store_.Update(
      kAliasKind, scope, name,
      [&](const std::optional<ResourceRecord>& current) -> Result<std::optional<ResourceRecord>> {
        if (!current) return AliasNotFound(scope, name);
        auto alias = DecodeAlias(*current);
        if (!alias.ok()) return alias.status();
        // The new key must be of the same type and usage as the current one.
        auto old_key = Load(scope, alias->target_key_id);
        if (old_key.ok() && (old_key->usage != key->usage || old_key->spec != key->spec)) {
          return Status(ErrorCode::kValidationError,
                        fmt::format("{} and {} are not the same type of key: an alias can only "
                                    "be moved to a key of the same key spec and usage.",
                                    old_key->Arn(), key->Arn()));
        }
        alias->target_key_id = key->id;
        alias->updated_ms = now;
        return std::optional<ResourceRecord>(EncodeAlias(*alias));
      });
  return updated.status();
}

Status Keys::DeleteAlias(const ResourceScope& scope, std::string_view name) {
  if (Status st = CheckAliasName(name); !st.ok()) return st;
  Status st = store_.Delete(kAliasKind, scope, name, engine::kAnyVersion);
  if (st.code() == engine::ResourceError::kNotFound) return AliasNotFound(scope, name);
  return st;
}

Result<std::vector<Alias>> Keys::ListAliases(const ResourceScope& scope) {
  auto records = store_.List(kAliasKind, scope, {});
  if (!records.ok()) return records.status();
  std::vector<Alias> aliases;
  std::set<std::string> live_keys;
  if (auto keys = List(scope); keys.ok()) {  // runs due deletions, which drop their aliases
    for (const Key& k : *keys) live_keys.insert(k.id);
  } else {
    return keys.status();
  }
  records = store_.List(kAliasKind, scope, {});
  if (!records.ok()) return records.status();
  for (const ResourceRecord& r : *records) {
    auto alias = DecodeAlias(r);
    if (!alias.ok()) return alias.status();
    if (live_keys.count(alias->target_key_id)) aliases.push_back(std::move(*alias));
  }
  // The predefined AWS aliases that have no key yet: a name and no target.
  for (const ManagedService& m : kManaged) {
    if (!m.predefined) continue;
    Alias predefined;
    predefined.name = fmt::format("alias/aws/{}", m.service);
    const bool exists = std::any_of(aliases.begin(), aliases.end(),
                                    [&](const Alias& a) { return a.name == predefined.name; });
    if (!exists) aliases.push_back(std::move(predefined));
  }
  std::sort(aliases.begin(), aliases.end(),
            [](const Alias& a, const Alias& b) { return a.name < b.name; });
  return aliases;
}

// ---- cryptography ----------------------------------------------------------------------------

Result<std::string> Keys::Seal(const Key& key, std::string_view plaintext, const Context& context) {
  const Material& m = *key.Current();
  std::string blob;
  blob.reserve(kBlobHeader + plaintext.size() + aead::kAeadOverhead);
  blob.push_back(kBlobVersion);
  blob += UuidBytes(key.id);
  for (int s = 24; s >= 0; s -= 8) blob.push_back(static_cast<char>((m.id >> s) & 0xFF));
  if (blob.size() != kBlobHeader) {
    return Status(ErrorCode::kInternalError, "This key cannot encrypt.");
  }
  if (!aead::Seal(m.bytes, BlobAad(blob, context), plaintext, &blob)) {
    return Status(ErrorCode::kInternalError, "Encryption failed.");
  }
  return blob;
}

Result<Key> Keys::BlobKey(const ResourceScope& scope, std::string_view blob) {
  if (blob.size() < kBlobHeader + aead::kAeadOverhead || blob[0] != kBlobVersion) {
    return Status(KmsError::kInvalidCiphertext, "");
  }
  auto key = Load(scope, UuidText(blob.substr(1, 16)));
  if (key.ok()) key = Due(scope, std::move(*key));
  if (!key.ok() && key.status().code() == KmsError::kNotFound) {
    return Status(ErrorCode::kAccessDenied,
                  "The ciphertext refers to a customer master key that does not exist, does not "
                  "exist in this region, or you are not allowed to access.");
  }
  return key;
}

Result<std::string> Keys::Open(const Key& key, std::string_view blob, const Context& context) {
  if (blob.size() < kBlobHeader + aead::kAeadOverhead) {
    return Status(KmsError::kInvalidCiphertext, "");
  }
  const Material* m = key.FindMaterial(Be32(blob.data() + 17));
  if (m == nullptr) return Status(KmsError::kInvalidCiphertext, "");
  auto plain =
      aead::Open(m->bytes, BlobAad(blob.substr(0, kBlobHeader), context), blob.substr(kBlobHeader));
  if (!plain) return Status(KmsError::kInvalidCiphertext, "");
  return std::move(*plain);
}

Result<Keys::Sealed> Keys::Encrypt(const ResourceScope& scope, std::string_view key_id,
                                   std::string_view plaintext, const Context& context,
                                   std::string_view op) {
  auto key = Find(scope, key_id);
  if (!key.ok()) return key.status();
  if (Status st = Usable(*key, op); !st.ok()) return st;
  auto blob = Seal(*key, plaintext, context);
  if (!blob.ok()) return blob.status();
  return Sealed{std::move(*blob), std::move(*key)};
}

Result<Keys::Opened> Keys::Decrypt(const ResourceScope& scope, std::string_view blob,
                                   const Context& context, std::string_view key_id) {
  auto key = BlobKey(scope, blob);
  if (!key.ok()) return key.status();
  if (!key_id.empty()) {
    auto named = Find(scope, key_id);
    if (!named.ok()) return named.status();
    if (named->id != key->id || named->account != key->account) {
      return Status(KmsError::kIncorrectKey,
                    "The key ID in the request does not identify a CMK that can perform this "
                    "operation.");
    }
  }
  if (Status st = Usable(*key, "Decrypt"); !st.ok()) return st;
  auto plain = Open(*key, blob, context);
  if (!plain.ok()) return plain.status();
  return Opened{std::move(*plain), std::move(*key)};
}

Result<std::string> Keys::Mac(const Key& key, std::string_view algorithm, std::string_view message,
                              std::string_view op) const {
  if (Status st = Usable(key, op, /*mac=*/true); !st.ok()) return st;
  if (algorithm != MacAlgorithmOf(key.spec)) {
    return Status(
        KmsError::kInvalidKeyUsage,
        fmt::format("Algorithm {} is incompatible with key spec {}.", algorithm, key.spec));
  }
  const Material& m = *key.Current();
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(MacDigest(key.spec), m.bytes.data(), static_cast<int>(m.bytes.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), out,
           &len) == nullptr) {
    return Status(ErrorCode::kInternalError, "MAC computation failed.");
  }
  return std::string(reinterpret_cast<char*>(out), len);
}

}  // namespace sluice::kms
