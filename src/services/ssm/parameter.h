// A parameter as the resource store keeps it: one record per parameter (kind "ssm.parameter", per
// account and region, named by NameKey: the name without its leading "/"), holding its versions
// (at most 100, oldest first), their labels, and the parameter's tags. The record's value is JSON;
// SecureString values are stored as the base64 of their KMS ciphertext (the KMS key material is
// what the store seals at rest), other values in clear.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "engine/resource_store.h"

namespace sluice::ssm {

inline constexpr char kParameterKind[] = "ssm.parameter";
inline constexpr std::size_t kMaxVersions = 100;
inline constexpr std::size_t kMaxLabelsPerVersion = 10;
inline constexpr std::size_t kMaxTags = 50;
inline constexpr char kDefaultKeyId[] = "alias/aws/ssm";

struct ParameterVersion {
  std::int64_t version = 0;
  std::string type;    // String, StringList, SecureString
  std::string value;   // SecureString: base64 of the KMS ciphertext
  std::string key_id;  // SecureString only: the KeyId as given (default alias/aws/ssm)
  std::string description;
  std::string allowed_pattern;
  std::string tier = "Standard";  // resolved: Standard or Advanced
  std::string policies;           // the Policies JSON as given; "" = none
  std::string data_type = "text";
  Millis modified_ms = 0;
  std::string modified_user;        // the caller's ARN
  std::vector<std::string> labels;  // in the order they were attached
};

struct Parameter {
  std::string name;                                       // as created ("/a/b", "x" or "/x")
  std::vector<ParameterVersion> versions;                 // oldest first; never empty
  std::vector<std::pair<std::string, std::string>> tags;  // in the order they were added
  std::uint64_t record_version = 0;                       // the store record's (compare-and-set)

  const ParameterVersion& Latest() const { return versions.back(); }
  const ParameterVersion* FindVersion(std::int64_t version) const;
  // The version carrying `label` (a label is on one version at most).
  const ParameterVersion* FindLabel(std::string_view label) const;
};

// Store codec. Decode fails (kInternalError) on a record this version cannot read.
engine::ResourceRecord EncodeParameter(const Parameter& parameter);
Result<Parameter> DecodeParameter(const engine::ResourceRecord& record);

}  // namespace sluice::ssm
