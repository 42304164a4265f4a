// Validation of a decoded request against its model's constraints, as AWS's (Coral) services do it
// before any handler runs: required members, string/blob/list/map lengths, number ranges, enums
// and patterns, at every depth. Every violation, in model order, becomes one kValidationError:
//
//   1 validation error detected: Value 'x' at 'aliasName' failed to satisfy constraint: Member
//   must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$
//
// Paths are the member names in lower camel case, list items 1-based ("tags.1.member.tagKey"),
// map values by key ("encryptionContext.k"). Values of `sensitive` shapes are never echoed
// ("Value at 'plaintext' failed to ..."); blobs are described, not printed. Lengths count UTF-16
// code units, as Java's String does.
//
// Patterns are the model's Java regular expressions, matched against the whole value with PCRE2
// (lookahead, \p{L}, \uXXXX and (?i) all occur in AWS models); each is compiled, with JIT, the
// first time a request needs it. A pattern PCRE2 cannot compile is not enforced (logged once).
//
// Thread-safety: Validate may be called concurrently; the lazily compiled patterns are published
// once per shape.
#pragma once

#include <memory>

#include "common/status.h"
#include "protocol/model.h"
#include "protocol/value.h"

namespace sluice::protocol {

class Validator {
 public:
  explicit Validator(const ServiceModel& model);
  ~Validator();
  Validator(const Validator&) = delete;
  Validator& operator=(const Validator&) = delete;

  // Ok, or kValidationError listing every violation of `input` (a Struct of shape `shape`).
  Status Validate(ShapeId shape, const Value& input) const;

  // Whether `value` matches the pattern of `shape` (true when the shape has none, or PCRE2 cannot
  // compile it). For services that apply a model pattern with their own error.
  bool Matches(ShapeId shape, std::string_view value) const;

  // Whether the pattern of `shape` is enforced (PCRE2 compiled it); false without a pattern.
  bool Enforces(ShapeId shape) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::protocol
