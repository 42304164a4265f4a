// The IAM records as the directory keeps them (users, roles and groups, managed policies with
// their versions, access keys) and their codecs for the resource store: JSON text written and read
// back by services/iam only (a member missing or mistyped reads as empty; a record without the
// members the directory cannot do without does not decode). On common/ only, so the fuzz build
// can build fuzz_iam_records on it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::iam {

using Tags = std::vector<std::pair<std::string, std::string>>;

enum class EntityKind { kUser, kRole, kGroup };

// A user, role or group.
struct Entity {
  EntityKind kind = EntityKind::kUser;
  std::string name;  // as created (names are unique ignoring case)
  std::string path = "/";
  std::string id;  // AIDA..., AROA..., AGPA...
  std::int64_t create_ms = 0;
  Tags tags;                                           // users and roles
  std::map<std::string, std::string> inline_policies;  // name -> document
  std::vector<std::string> attached;                   // managed policy ARNs, in order
  std::string boundary;                                // policy ARN; "" = none
  std::vector<std::string> groups;                     // users: their groups' names
  std::string trust;                                   // roles: the trust policy
  std::string description;                             // roles
  std::int64_t max_session = 3600;                     // roles
};

struct PolicyVersion {
  std::string id;  // "v1"
  std::string document;
  std::int64_t create_ms = 0;
};

struct ManagedPolicy {
  std::string name;
  std::string path = "/";
  std::string id;  // ANPA...
  std::string description;
  std::int64_t create_ms = 0;
  std::int64_t update_ms = 0;
  std::string default_version;
  std::int64_t next_version = 1;
  std::vector<PolicyVersion> versions;
  Tags tags;
  bool aws_managed = false;
};

struct KeyRecord {
  std::string id;  // AKIA...
  std::string account;
  std::string user;    // the user's name
  bool active = true;  // "Active" / "Inactive"
  std::int64_t create_ms = 0;
  std::string secret;
};

std::string EncodeEntity(const Entity& e);
std::optional<Entity> DecodeEntity(EntityKind kind, std::string_view text);
std::string EncodePolicy(const ManagedPolicy& p);
std::optional<ManagedPolicy> DecodePolicy(std::string_view text);
// The key's record holds its user, status and date; the id is the record's name and the secret
// its sealed part.
std::string EncodeKey(const KeyRecord& k);
std::optional<KeyRecord> DecodeKey(std::string_view account, std::string_view id,
                                   std::string_view text, std::string_view secret);

}  // namespace sluice::iam
