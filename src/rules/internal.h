// The compiled form of a pattern, shared by compile.cc (which builds it), match.cc (which
// evaluates it) and rule_set.cc (which indexes it). Not part of the public API.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "rules/pattern.h"

namespace sluice::rules::internal {

// One scalar value of a message: what a pattern's value conditions test.
enum class LeafKind : std::uint8_t { kString, kNumber, kTrue, kFalse, kNull };
struct Leaf {
  LeafKind kind = LeafKind::kNull;
  std::string_view text;  // kString: the string's content
  double number = 0;      // kNumber
};

enum class MatchKind : std::uint8_t {
  kExactString,
  kExactNumber,
  kTrue,
  kFalse,
  kNull,
  kPrefix,
  kPrefixIgnoreCase,  // text is lowercased
  kSuffix,
  kSuffixIgnoreCase,  // text is lowercased
  kEqualsIgnoreCase,  // text is lowercased
  kWildcard,
  kNumeric,
  kCidr,
  kExists,  // {"exists": true}: any value at the path
  kAbsent,  // {"exists": false}: no value at the path anywhere in the message
  kAnythingButStrings,
  kAnythingButNumbers,
  kAnythingButPrefix,
  kAnythingButSuffix,
  kAnythingButIgnoreCase,  // strings lowercased
  kAnythingButWildcard,
};

// A wildcard pattern: literal pieces between '*' (escapes resolved).
struct Wildcard {
  std::vector<std::string> pieces;  // pieces.size() == stars + 1
};

struct Cidr {
  bool v6 = false;
  std::array<std::uint8_t, 16> net{};  // network bits (host bits cleared)
  int bits = 0;
};

struct Matcher {
  MatchKind kind = MatchKind::kNull;
  std::string text;   // exact string, prefix, suffix, equals-ignore-case
  double number = 0;  // exact number
  // kNumeric: lower and upper bounds (an absent bound is -inf/+inf, closed).
  double low = 0, high = 0;
  bool low_open = false, high_open = false;
  Cidr cidr;
  std::vector<std::string> strings;  // anything-but strings / prefixes / suffixes
  std::vector<double> numbers;       // anything-but numbers
  std::vector<Wildcard> wildcards;   // kWildcard (one), kAnythingButWildcard (any)
};

// One key of a pattern: the message value at `path` must satisfy any of the matchers.
struct Field {
  std::string path;  // dotted ("detail.state"); attribute name for kSnsAttributes
  std::vector<Matcher> any_of;
  bool has_absent = false;   // any_of holds kAbsent: satisfied when nothing is at the path
  bool needs_value = false;  // any_of holds something other than kAbsent
  // Index keys: when every matcher is an exact value, their keys (ValueKey), else empty.
  std::vector<std::string> exact_keys;
};

// One alternative: every field must match (and, in JSON, from consistent array elements).
struct Branch {
  std::vector<std::shared_ptr<const Field>> fields;
};

struct CompiledPattern {
  Dialect dialect = Dialect::kEventBridge;
  std::vector<Branch> branches;  // the pattern matches when any branch matches
};

// The index key of a scalar: one byte of type, then the value ('s' text, 'n' canonical number,
// 't', 'f', 'z' for null). Equal keys <=> equal as AWS compares exact values (5 == 5.0).
std::string ValueKey(const Leaf& leaf);

bool MatchLeaf(const Matcher& m, const Leaf& leaf);
bool FieldMatchesLeaf(const Field& f, const Leaf& leaf);

// SNS message attributes turned into leaves once per message (String.Array parsed once).
class AttributeEvent {
 public:
  explicit AttributeEvent(std::span<const MessageAttribute> attributes);
  // Leaves of the attribute named `name`; null when it is absent, Binary, or has no value.
  const std::vector<Leaf>* Find(std::string_view name) const;
  const std::vector<std::pair<std::string_view, std::vector<Leaf>>>& all() const { return attrs_; }

 private:
  std::vector<std::pair<std::string_view, std::vector<Leaf>>> attrs_;
  std::vector<std::unique_ptr<rapidjson::Document>> arrays_;  // owns String.Array strings
};

bool MatchAttributes(const CompiledPattern& p, const AttributeEvent& event);
bool MatchJson(const CompiledPattern& p, const rapidjson::Value& body);

// Leaf of a JSON scalar (false for objects and arrays).
bool JsonLeaf(const rapidjson::Value& v, Leaf* out);

}  // namespace sluice::rules::internal
