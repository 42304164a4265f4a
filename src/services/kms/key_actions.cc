// KMS keys, their lifecycle, policies, tags and aliases.
#include <fmt/format.h>

#include <algorithm>

#include "auth/policy.h"
#include "services/kms/handlers.h"

namespace sluice::kms {
namespace {

constexpr Millis kDayMs = 86'400'000;
constexpr int kOnDemandRotationLimit = 10;

// A key the caller may act on with `action`: found (no aliases unless `allow_alias`), and
// authorized by its key policy.
Result<Key> Authorized(const Kms& kms, const RequestContext& ctx, const Value& input,
                       std::string_view action, bool allow_alias = false,
                       bool cross_account = false) {
  auto key = kms.keys.Find(ScopeOf(ctx), StringOf(input, "KeyId"), allow_alias);
  if (!key.ok()) return key.status();
  if (Status st = AuthorizeKey(kms, ctx, action, *key, cross_account); !st.ok()) return st;
  return key;
}

// A change to a key the caller manages (not an AWS managed key), refused while it is pending
// deletion unless `pending_ok`.
void Change(const Kms& kms, const RequestContext& ctx, const Value& input, std::string_view action,
            const std::function<Status(Key&)>& change, const Reply& reply,
            bool pending_ok = false) {
  auto key = Authorized(kms, ctx, input, action);
  if (!key.ok()) return reply(key.status());
  if (Status st = RefuseManaged(ctx, action, *key); !st.ok()) return reply(st);
  auto changed = kms.keys.Modify(ScopeOf(ctx), key->Arn(), [&](Key& k) {
    if (!pending_ok && k.state == "PendingDeletion") {
      return Status(KmsError::kInvalidState, fmt::format("{} is pending deletion.", k.Arn()));
    }
    return change(k);
  });
  if (!changed.ok()) return reply(changed.status());
  reply(Value::Struct());
}

std::vector<std::pair<std::string, std::string>> TagsOf(const Value& input) {
  std::vector<std::pair<std::string, std::string>> tags;
  if (const Value* list = input.Get("Tags"); list != nullptr && list->is_list()) {
    for (const Value& t : list->items()) {
      tags.emplace_back(StringOf(t, "TagKey"), StringOf(t, "TagValue"));
    }
  }
  return tags;
}

// Rotation is for symmetric encryption keys only.
Status RotatableKey(const Key& key) {
  if (key.hmac()) {
    return Status(KmsError::kUnsupportedOperation,
                  fmt::format("{} is not a symmetric encryption KMS key.", key.Arn()));
  }
  if (key.state == "Disabled") {
    return Status(KmsError::kDisabled, fmt::format("{} is disabled.", key.Arn()));
  }
  return Status::Ok();
}

}  // namespace

void CreateKey(const Kms& kms, const RequestContext& ctx, Value&& input, Reply reply) {
  if (Status st = AuthorizeAccount(kms, ctx, "kms:CreateKey"); !st.ok()) return reply(st);
  if (auto origin = input.GetString("Origin"); origin && *origin != "AWS_KMS") {
    return reply(Status(KmsError::kUnsupportedOperation,
                        fmt::format("Origin {} is not supported by this KMS.", *origin)));
  }
  if (input.GetBool("MultiRegion").value_or(false)) {
    return reply(Status(KmsError::kUnsupportedOperation,
                        "Multi-Region keys are not supported by this KMS."));
  }
  if (input.GetString("CustomKeyStoreId")) {
    return reply(Status(ErrorCode::kInvalidParameterValue,
                        "Custom key stores are not supported by this KMS."));
  }
  CreateKeyRequest request;
  request.description = StringOf(input, "Description");
  request.usage = StringOf(input, "KeyUsage");
  request.spec = StringOf(input, "KeySpec");
  if (request.spec.empty()) request.spec = StringOf(input, "CustomerMasterKeySpec");
  request.policy = StringOf(input, "Policy");
  request.tags = TagsOf(input);
  auto key = kms.keys.Create(ScopeOf(ctx), request);
  if (!key.ok()) return reply(key.status());
  Value out = Value::Struct();
  out.Set("KeyMetadata", KeyMetadata(*key));
  reply(std::move(out));
}

void DescribeKey(const Kms& kms, const RequestContext& ctx, Value&& input, Reply reply) {
  auto key = Authorized(kms, ctx, input, "kms:DescribeKey", /*allow_alias=*/true,
                        /*cross_account=*/true);
  if (!key.ok()) return reply(key.status());
  Value out = Value::Struct();
  out.Set("KeyMetadata", KeyMetadata(*key));
  reply(std::move(out));
}

void ListKeys(const Kms& kms, const RequestContext& ctx, Value&& input, Reply reply) {
  if (Status st = AuthorizeAccount(kms, ctx, "kms:ListKeys"); !st.ok()) return reply(st);
  auto keys = kms.keys.List(ScopeOf(ctx));
  if (!keys.ok()) return reply(keys.status());
  std::vector<std::string> ids;
  for (const Key& k : *keys) ids.push_back(k.id);
  auto page = PageOf(ids, input, 100, 1000);
  if (!page.ok()) return reply(page.status());
  Value out = Value::Struct();
  Value& list = out.Set("Keys", Value::List());
  for (std::size_t i = page->begin; i < page->end; ++i) {
    Value entry = Value::Struct();
    entry.Set("KeyId", Value::String((*keys)[i].id));
    entry.Set("KeyArn", Value::String((*keys)[i].Arn()));
    list.Append(std::move(entry));
  }
  SetPage(out, *page);
  reply(std::move(out));
}

void EnableKey(const Kms& kms, const RequestContext& ctx, Value&& input, Reply reply) {
  Change(
      kms, ctx, input, "kms:EnableKey",
      [](Key& k) {
        k.state = "Enabled";
        return Status::Ok();
      },
      reply);
}

void DisableKey(const Kms& kms, const RequestContext& ctx, Value&& input, Reply reply) {
  Change(
      kms, ctx, input, "kms:DisableKey",
      [](Key& k) {
        k.state = "Disabled";
        return Status::Ok();
      },
      reply);
}

void ScheduleKeyDeletion(const Kms& kms, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::int64_t days = input.GetInt("PendingWindowInDays").value_or(30);
  if (days < 7 || days > 30) {
    return reply(
        Status(ErrorCode::kValidationError,
               fmt::format("PendingWindowInDays should be between 7 and 30, but it is {}", days)));
  }
  auto key = Authorized(kms, ctx, input, "kms:ScheduleKeyDeletion");
  if (!key.ok()) return reply(key.status());
  if (Status st = RefuseManaged(ctx, "kms:ScheduleKeyDeletion", *key); !st.ok()) return reply(st);
  const Millis now = kms.platform.clock->NowMs() / 1000 * 1000;
  auto changed = kms.keys.Modify(ScopeOf(ctx), key->Arn(), [&](Key& k) {
    if (k.state == "PendingDeletion") {
      return Status(KmsError::kInvalidState, fmt::format("{} is pending deletion.", k.Arn()));
    }
    k.state = "PendingDeletion";
    k.deletion_ms = now + days * kDayMs;
    k.pending_window_days = static_cast<int>(days);
    return Status::Ok();
  });
  if (!changed.ok()) return reply(changed.status());
  Value out = Value::Struct();
  out.Set("KeyId", Value::String(changed->Arn()));
  out.Set("DeletionDate", Value::Int(changed->deletion_ms));
  out.Set("KeyState", Value::String(changed->state));
  out.Set("PendingWindowInDays", Value::Int(days));
  reply(std::move(out));
}

void CancelKeyDeletion(const Kms& kms, const RequestContext& ctx, Value&& input, Reply reply) {
  auto key = Authorized(kms, ctx, input, "kms:CancelKeyDeletion");
  if (!key.ok()) return reply(key.status());
  if (Status st = RefuseManaged(ctx, "kms:CancelKeyDeletion", *key); !st.ok()) return reply(st);
  auto changed = kms.keys.Modify(ScopeOf(ctx), key->Arn(), [](Key& k) {
    if (k.state != "PendingDeletion") {
      return Status(KmsError::kInvalidState, fmt::format("{} is not pending deletion.", k.Arn()));
    }
    k.state = "Disabled";  // as on AWS: a key whose deletion is cancelled is disabled
    k.deletion_ms = 0;
    k.pending_window_days = 0;
    return Status::Ok();
  });
  if (!changed.ok()) return reply(changed.status());
  Value out = Value::Struct();
  out.Set("KeyId", Value::String(changed->Arn()));
  reply(std::move(out));
}

void EnableKeyRotation(const Kms& kms, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::int64_t days = input.GetInt("RotationPeriodInDays").value_or(365);
  const Millis now = kms.platform.clock->NowMs() / 1000 * 1000;
  Change(
      kms, ctx, input, "kms:EnableKeyRotation",
      [&](Key& k) {
        if (Status st = RotatableKey(k); !st.ok()) return st;
        if (!k.rotation_enabled || k.rotation_period_days != days) {
          k.next_rotation_ms = now + days * kDayMs;
        }
        k.rotation_enabled = true;
        k.rotation_period_days = static_cast<int>(days);
        return Status::Ok();
      },
      reply);
}

void DisableKeyRotation(const Kms& kms, const RequestContext& ctx, Value&& input, Reply reply) {
  Change(
      kms, ctx, input, "kms:DisableKeyRotation",
      [](Key& k) {
        if (Status st = RotatableKey(k); !st.ok()) return st;
        k.rotation_enabled = false;
        k.next_rotation_ms = 0;
        return Status::Ok();
      },
      reply);
}

void GetKeyRotationStatus(const Kms& kms, const RequestContext& ctx, Value&& input, Reply reply) {
  auto key = Authorized(kms, ctx, input, "kms:GetKeyRotationStatus", false, true);
  if (!key.ok()) return reply(key.status());
  // A key pending deletion reads as not rotating; cancelling restores its status.
  const bool enabled = key->rotation_enabled && key->state != "PendingDeletion";
  Value out = Value::Struct();
  out.Set("KeyRotationEnabled", Value::Bool(enabled));
  out.Set("KeyId", Value::String(key->id));
  if (enabled) {
    out.Set("RotationPeriodInDays", Value::Int(key->rotation_period_days));
    out.Set("NextRotationDate", Value::Int(key->next_rotation_ms));
  }
  reply(std::move(out));
}

void RotateKeyOnDemand(const Kms& kms, const RequestContext& ctx, Value&& input, Reply reply) {
  auto key = Authorized(kms, ctx, input, "kms:RotateKeyOnDemand");
  if (!key.ok()) return reply(key.status());
  if (Status st = RefuseManaged(ctx, "kms:RotateKeyOnDemand", *key); !st.ok()) return reply(st);
  const Millis now = kms.platform.clock->NowMs() / 1000 * 1000;
  auto changed = kms.keys.Modify(ScopeOf(ctx), key->Arn(), [&](Key& k) {
    if (k.state == "PendingDeletion") {
      return Status(KmsError::kInvalidState, fmt::format("{} is pending deletion.", k.Arn()));
    }
    if (Status st = RotatableKey(k); !st.ok()) return st;
    const auto on_demand = std::count_if(k.rotations.begin(), k.rotations.end(),
                                         [](const Rotation& r) { return r.on_demand; });
    if (on_demand >= kOnDemandRotationLimit) {
      return Status(KmsError::kLimitExceeded,
                    fmt::format("The on-demand rotations limit has been reached for the given "
                                "keyId. No more on-demand rotations can be performed for this "
                                "key: {}",
                                k.Arn()));
    }
    const std::uint32_t id = k.materials.back().id + 1;
    k.materials.push_back(Material{id, Keys::Random(32)});
    k.rotations.push_back(Rotation{id, now, true});
    return Status::Ok();
  });
  if (!changed.ok()) return reply(changed.status());
  Value out = Value::Struct();
  out.Set("KeyId", Value::String(changed->id));
  reply(std::move(out));
}

void ListKeyRotations(const Kms& kms, const RequestContext& ctx, Value&& input, Reply reply) {
  auto key = Authorized(kms, ctx, input, "kms:ListKeyRotations");
  if (!key.ok()) return reply(key.status());
  if (key->hmac()) {
    return reply(Status(KmsError::kUnsupportedOperation,
                        fmt::format("{} is not a symmetric encryption KMS key.", key->Arn())));
  }
  std::vector<std::string> names;
  for (const Rotation& r : key->rotations) names.push_back(fmt::format("{:010}", r.material));
  auto page = PageOf(names, input, 100, 1000);
  if (!page.ok()) return reply(page.status());
  Value out = Value::Struct();
  Value& list = out.Set("Rotations", Value::List());
  for (std::size_t i = page->begin; i < page->end; ++i) {
    const Rotation& r = key->rotations[i];
    Value entry = Value::Struct();
    entry.Set("KeyId", Value::String(key->id));
    entry.Set("RotationDate", Value::Int(r.date_ms));
    entry.Set("RotationType", Value::String(r.on_demand ? "ON_DEMAND" : "AUTOMATIC"));
    list.Append(std::move(entry));
  }
  SetPage(out, *page);
  reply(std::move(out));
}

void GetKeyPolicy(const Kms& kms, const RequestContext& ctx, Value&& input, Reply reply) {
  auto key = Authorized(kms, ctx, input, "kms:GetKeyPolicy");
  if (!key.ok()) return reply(key.status());
  const std::string name(input.GetString("PolicyName").value_or("default"));
  if (name != "default") return reply(Status(KmsError::kNotFound, "No such policy exists"));
  Value out = Value::Struct();
  out.Set("Policy", Value::String(key->policy));
  out.Set("PolicyName", Value::String("default"));
  reply(std::move(out));
}

void PutKeyPolicy(const Kms& kms, const RequestContext& ctx, Value&& input, Reply reply) {
  if (auto name = input.GetString("PolicyName"); name && *name != "default") {
    return reply(
        Status(KmsError::kUnsupportedOperation, "Only the default key policy is supported."));
  }
  const std::string policy = StringOf(input, "Policy");
  Change(
      kms, ctx, input, "kms:PutKeyPolicy",
      [&](Key& k) {
        auto parsed = auth::ParsePolicy(policy, auth::PolicyKind::kResource);
        if (!parsed.ok()) {
          return Status(ErrorCode::kMalformedPolicyDocument, parsed.status().message());
        }
        k.policy = policy;
        return Status::Ok();
      },
      reply, /*pending_ok=*/true);
}

void ListKeyPolicies(const Kms& kms, const RequestContext& ctx, Value&& input, Reply reply) {
  auto key = Authorized(kms, ctx, input, "kms:ListKeyPolicies");
  if (!key.ok()) return reply(key.status());
  Value out = Value::Struct();
  out.Set("PolicyNames", Value::List()).Append(Value::String("default"));
  out.Set("Truncated", Value::Bool(false));
  reply(std::move(out));
}

void UpdateKeyDescription(const Kms& kms, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string description = StringOf(input, "Description");
  Change(
      kms, ctx, input, "kms:UpdateKeyDescription",
      [&](Key& k) {
        k.description = description;
        return Status::Ok();
      },
      reply);
}

void TagResource(const Kms& kms, const RequestContext& ctx, Value&& input, Reply reply) {
  const auto tags = TagsOf(input);
  if (Status st = CheckTags(tags); !st.ok()) return reply(st);
  Change(
      kms, ctx, input, "kms:TagResource",
      [&](Key& k) {
        for (const auto& [key, value] : tags) {
          auto it = std::find_if(k.tags.begin(), k.tags.end(),
                                 [&](const auto& t) { return t.first == key; });
          if (it != k.tags.end()) {
            it->second = value;
          } else {
            k.tags.emplace_back(key, value);
          }
        }
        if (k.tags.size() > 50) return Status(KmsError::kTag, "Too many tags");
        return Status::Ok();
      },
      reply);
}

void UntagResource(const Kms& kms, const RequestContext& ctx, Value&& input, Reply reply) {
  std::vector<std::string> keys;
  if (const Value* list = input.Get("TagKeys"); list != nullptr && list->is_list()) {
    for (const Value& k : list->items()) keys.push_back(k.as_string());
  }
  Change(
      kms, ctx, input, "kms:UntagResource",
      [&](Key& k) {
        std::erase_if(k.tags, [&](const auto& t) {
          return std::find(keys.begin(), keys.end(), t.first) != keys.end();
        });
        return Status::Ok();
      },
      reply);
}

void ListResourceTags(const Kms& kms, const RequestContext& ctx, Value&& input, Reply reply) {
  auto key = Authorized(kms, ctx, input, "kms:ListResourceTags");
  if (!key.ok()) return reply(key.status());
  auto tags = key->tags;
  std::sort(tags.begin(), tags.end());
  std::vector<std::string> names;
  for (const auto& [k, v] : tags) names.push_back(k);
  auto page = PageOf(names, input, 50, 50);
  if (!page.ok()) return reply(page.status());
  Value out = Value::Struct();
  out.Set("Tags", TagList({tags.begin() + static_cast<std::ptrdiff_t>(page->begin),
                           tags.begin() + static_cast<std::ptrdiff_t>(page->end)}));
  SetPage(out, *page);
  reply(std::move(out));
}

// ---- aliases -----------------------------------------------------------------------------------

void CreateAlias(const Kms& kms, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string target = StringOf(input, "TargetKeyId");
  if (auto key = kms.keys.Find(ScopeOf(ctx), target, /*allow_alias=*/false); key.ok()) {
    if (Status st = AuthorizeKey(kms, ctx, "kms:CreateAlias", *key, false); !st.ok()) {
      return reply(st);
    }
    if (key->aws_managed) return reply(RefuseManaged(ctx, "kms:CreateAlias", *key));
  }
  Status st = kms.keys.CreateAlias(ScopeOf(ctx), StringOf(input, "AliasName"), target);
  if (!st.ok()) return reply(st);
  reply(Value::Struct());
}

void UpdateAlias(const Kms& kms, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string target = StringOf(input, "TargetKeyId");
  if (auto key = kms.keys.Find(ScopeOf(ctx), target, /*allow_alias=*/false); key.ok()) {
    if (Status st = AuthorizeKey(kms, ctx, "kms:UpdateAlias", *key, false); !st.ok()) {
      return reply(st);
    }
    if (key->aws_managed) return reply(RefuseManaged(ctx, "kms:UpdateAlias", *key));
  }
  Status st = kms.keys.UpdateAlias(ScopeOf(ctx), StringOf(input, "AliasName"), target);
  if (!st.ok()) return reply(st);
  reply(Value::Struct());
}

void DeleteAlias(const Kms& kms, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string name = StringOf(input, "AliasName");
  if (auto key = kms.keys.Find(ScopeOf(ctx), name); key.ok()) {
    if (Status st = AuthorizeKey(kms, ctx, "kms:DeleteAlias", *key, false); !st.ok()) {
      return reply(st);
    }
  }
  Status st = kms.keys.DeleteAlias(ScopeOf(ctx), name);
  if (!st.ok()) return reply(st);
  reply(Value::Struct());
}

void ListAliases(const Kms& kms, const RequestContext& ctx, Value&& input, Reply reply) {
  if (Status st = AuthorizeAccount(kms, ctx, "kms:ListAliases"); !st.ok()) return reply(st);
  std::string only_key;
  if (auto key_id = input.GetString("KeyId")) {
    auto key = kms.keys.Find(ScopeOf(ctx), *key_id, /*allow_alias=*/false);
    if (!key.ok()) return reply(key.status());
    only_key = key->id;
  }
  auto aliases = kms.keys.ListAliases(ScopeOf(ctx));
  if (!aliases.ok()) return reply(aliases.status());
  if (!only_key.empty()) {
    std::erase_if(*aliases, [&](const Alias& a) { return a.target_key_id != only_key; });
  }
  std::vector<std::string> names;
  for (const Alias& a : *aliases) names.push_back(a.name);
  auto page = PageOf(names, input, 50, 100);
  if (!page.ok()) return reply(page.status());
  Value out = Value::Struct();
  Value& list = out.Set("Aliases", Value::List());
  for (std::size_t i = page->begin; i < page->end; ++i) {
    const Alias& a = (*aliases)[i];
    Value entry = Value::Struct();
    entry.Set("AliasName", Value::String(a.name));
    entry.Set("AliasArn", Value::String(AliasArn(ctx.region, ctx.account_id, a.name)));
    if (!a.target_key_id.empty()) {
      entry.Set("TargetKeyId", Value::String(a.target_key_id));
      entry.Set("CreationDate", Value::Int(a.created_ms));
      entry.Set("LastUpdatedDate", Value::Int(a.updated_ms));
    }
    list.Append(std::move(entry));
  }
  SetPage(out, *page);
  reply(std::move(out));
}

}  // namespace sluice::kms
