#include "app/provision/run.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <functional>

namespace sluice::provision::detail {

Status Run::Keys() {
  std::set<std::pair<Scope, std::string>> seen;
  for (const KeySpec& k : spec_.keys) {
    if (!seen.insert({k.scope, k.alias}).second) {
      return Status(ErrorCode::kInvalidParameterValue,
                    fmt::format("{}: key '{}' ({}) is declared twice", k.at.Text(), k.alias,
                                ScopeText(k.scope)));
    }
    if (Status s = Key(k); !s.ok()) return s;
  }
  return Status::Ok();
}

Result<Value> Run::KeyCall(const KeySpec& k, std::string_view op, const std::string& key_id,
                           std::initializer_list<std::pair<const char*, Value>> members) {
  Value in = Value::Struct();
  in.Set("KeyId", Value::String(key_id));
  for (const auto& [name, v] : members) in.Set(name, v);
  return Call(k.at, fmt::format("key '{}'", k.alias), k.scope, "kms", op, std::move(in));
}

Status Run::Key(const KeySpec& k) {
  const std::string what = fmt::format("key '{}'", k.alias);
  Value describe = Value::Struct();
  describe.Set("KeyId", Value::String(k.alias));
  auto found = invoker_.Call("kms", "DescribeKey", Ctx(k.scope), std::move(describe));
  std::vector<std::string> diff;
  std::string key_id;
  bool created = false;
  if (!found.ok()) {
    if (invoker_.ErrorName("kms", found.status()) != "NotFoundException") {
      return Failure(k.at, what, k.scope, "kms", found.status());
    }
    Value create = Value::Struct();
    if (!k.description.empty()) create.Set("Description", Value::String(k.description));
    create.Set("KeySpec", Value::String(k.key_spec));
    if (!k.key_usage.empty()) create.Set("KeyUsage", Value::String(k.key_usage));
    if (!k.policy.empty()) create.Set("Policy", Value::String(k.policy));
    if (!k.tags.empty()) {
      Value tags = Value::List();
      for (const auto& [name, v] : k.tags) {
        Value tag = Value::Struct();
        tag.Set("TagKey", Value::String(name));
        tag.Set("TagValue", Value::String(v));
        tags.Append(std::move(tag));
      }
      create.Set("Tags", std::move(tags));
    }
    auto made = Call(k.at, what, k.scope, "kms", "CreateKey", std::move(create));
    if (!made.ok()) return made.status();
    key_id = std::string(made->Get("KeyMetadata")->GetString("KeyId").value_or(""));
    Value alias = Value::Struct();
    alias.Set("AliasName", Value::String(k.alias));
    alias.Set("TargetKeyId", Value::String(key_id));
    if (auto r = Call(k.at, what, k.scope, "kms", "CreateAlias", std::move(alias)); !r.ok()) {
      return r.status();
    }
    created = true;
  } else {
    const Value* meta = found->Get("KeyMetadata");
    key_id = std::string(meta->GetString("KeyId").value_or(""));
    const std::string state(meta->GetString("KeyState").value_or(""));
    if (state == "PendingDeletion") {
      return Failure(
          k.at, what, k.scope, "kms",
          Status(ErrorCode::kInvalidParameterValue,
                 fmt::format("{} is pending deletion (cancel the deletion first)", key_id)));
    }
    for (auto [member, wanted] :
         {std::pair{"KeySpec", &k.key_spec}, std::pair{"KeyUsage", &k.key_usage}}) {
      const std::string now(meta->GetString(member).value_or(""));
      if (!wanted->empty() && now != *wanted) {
        return Failure(k.at, what, k.scope, "kms",
                       Status(ErrorCode::kInvalidParameterValue,
                              fmt::format("{} is {} and cannot change to {} (declare a new key)",
                                          member, now, *wanted)));
      }
    }
    const std::string description(meta->GetString("Description").value_or(""));
    if (description != k.description) {
      if (auto r = KeyCall(k, "UpdateKeyDescription", key_id,
                           {{"Description", Value::String(k.description)}});
          !r.ok()) {
        return r.status();
      }
      diff.push_back(
          fmt::format("Description: {} -> {}", Quote(description), Quote(k.description)));
    }
    if (!k.policy.empty()) {
      auto policy = KeyCall(k, "GetKeyPolicy", key_id, {});
      if (!policy.ok()) return policy.status();
      if (!SameJson(std::string(policy->GetString("Policy").value_or("")), k.policy)) {
        if (auto r = KeyCall(k, "PutKeyPolicy", key_id, {{"Policy", Value::String(k.policy)}});
            !r.ok()) {
          return r.status();
        }
        diff.push_back("Policy: changed");
      }
    }
  }
  // Enabled and rotation, on a new key as on an existing one.
  Value again = Value::Struct();
  again.Set("KeyId", Value::String(key_id));
  auto meta = Call(k.at, what, k.scope, "kms", "DescribeKey", std::move(again));
  if (!meta.ok()) return meta.status();
  const bool enabled = meta->Get("KeyMetadata")->GetBool("Enabled").value_or(true);
  if (enabled != k.enabled) {
    if (auto r = KeyCall(k, k.enabled ? "EnableKey" : "DisableKey", key_id, {}); !r.ok()) {
      return r.status();
    }
    if (!created) diff.push_back(fmt::format("Enabled: {} -> {}", enabled, k.enabled));
  }
  if (k.rotation) {
    auto status = KeyCall(k, "GetKeyRotationStatus", key_id, {});
    if (!status.ok()) return status.status();
    const bool rotating = status->GetBool("KeyRotationEnabled").value_or(false);
    if (rotating != *k.rotation) {
      if (auto r = KeyCall(k, *k.rotation ? "EnableKeyRotation" : "DisableKeyRotation", key_id, {});
          !r.ok()) {
        return r.status();
      }
      if (!created) diff.push_back(fmt::format("rotation: {} -> {}", rotating, *k.rotation));
    }
  }
  if (created) {
    Record(Change::Op::kCreate, "key", k.alias, k.scope);
  } else {
    Record(OpOf(diff), "key", k.alias, k.scope, std::move(diff));
  }
  return Status::Ok();
}

}  // namespace sluice::provision::detail
