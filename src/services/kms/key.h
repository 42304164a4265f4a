// A KMS key and an alias as the resource store keeps them (kinds "kms.key", by key id, and
// "kms.alias", by alias name, per account and region). The record's value is JSON (metadata, in
// clear); its secret is the key material, every version of it, sealed at rest by the store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "engine/resource_store.h"

namespace sluice::kms {

inline constexpr char kKeyKind[] = "kms.key";
inline constexpr char kAliasKind[] = "kms.alias";

// One version of a key's material: rotations add one; ciphertexts name the version they used.
struct Material {
  std::uint32_t id = 0;
  std::string bytes;  // 32 bytes (AES-256-GCM), or the HMAC key
};

struct Rotation {
  std::uint32_t material = 0;
  Millis date_ms = 0;
  bool on_demand = false;
};

struct Key {
  std::string id;  // UUID
  std::string account;
  std::string region;
  Millis created_ms = 0;
  std::string description;
  std::string usage = "ENCRYPT_DECRYPT";   // or GENERATE_VERIFY_MAC
  std::string spec = "SYMMETRIC_DEFAULT";  // or HMAC_224 / HMAC_256 / HMAC_384 / HMAC_512
  std::string state = "Enabled";           // Enabled, Disabled, PendingDeletion
  Millis deletion_ms = 0;                  // PendingDeletion: when it is deleted
  int pending_window_days = 0;
  bool aws_managed = false;  // KeyManager AWS (alias/aws/<service>)
  std::string policy;
  bool rotation_enabled = false;
  int rotation_period_days = 365;
  Millis next_rotation_ms = 0;  // rotation enabled: when the next automatic rotation is due
  std::vector<Rotation> rotations;
  std::vector<std::pair<std::string, std::string>> tags;  // in the order they were added
  std::vector<Material> materials;                        // oldest first; the last is current
  std::uint64_t version = 0;  // the store record's version (compare-and-set)

  std::string Arn() const;
  bool hmac() const { return usage == "GENERATE_VERIFY_MAC"; }
  const Material* Current() const { return materials.empty() ? nullptr : &materials.back(); }
  const Material* FindMaterial(std::uint32_t material_id) const;
};

struct Alias {
  std::string name;  // "alias/orders"
  std::string target_key_id;
  Millis created_ms = 0;
  Millis updated_ms = 0;
  std::uint64_t version = 0;
};

std::string KeyArn(std::string_view region, std::string_view account, std::string_view key_id);
std::string AliasArn(std::string_view region, std::string_view account, std::string_view name);

// Store codec: the record's value and secret. Decode fails (kInternalError) on a record this
// version cannot read.
engine::ResourceRecord EncodeKey(const Key& key);
Result<Key> DecodeKey(const engine::ResourceScope& scope, const engine::ResourceRecord& record);
engine::ResourceRecord EncodeAlias(const Alias& alias);
Result<Alias> DecodeAlias(const engine::ResourceRecord& record);

}  // namespace sluice::kms
