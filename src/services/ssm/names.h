// Parameter names, hierarchy paths, labels and references, as AWS checks them (texts in
// docs/ssm.md). Pure functions; thread-safe.
//
// A name is "MyParameter", "/MyParameter" or "/a/b/c": letters, digits, "_", ".", "-", and "/" as
// the hierarchy separator; a name with a "/" must start with one. "/x" and "x" are the same
// parameter: records are keyed by the name without its leading "/" (NameKey), which is also what
// the parameter's ARN ends with ("arn:aws:ssm:us-east-1:123456789012:parameter/a/b/c").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sluice::ssm {

inline constexpr int kMaxLevels = 15;
inline constexpr std::size_t kMaxArnLength = 1011;  // AWS's name limit, counting the ARN prefix

// The name without leading and trailing spaces (PutParameter and the reads trim them).
std::string_view TrimSpaces(std::string_view name);

// The store key: the name without its leading "/".
std::string_view NameKey(std::string_view name);

// arn:aws:ssm:REGION:ACCOUNT:parameter/KEY (never "parameter//").
std::string ParameterArn(std::string_view region, std::string_view account, std::string_view name);

// Hierarchy levels: "/a/b/c" has 3, "a" and "/a" have 1.
int Levels(std::string_view name);

// The name PutParameter may create: well-formed, not reserved (aws*, ssm*), at most 15 levels and
// 1011 characters with its ARN. ValidationException, AccessDeniedException or
// HierarchyLevelLimitExceededException with AWS's texts.
Status CheckNameForWrite(std::string_view name, std::string_view region, std::string_view account);

// The name a read, delete, label or tag request may name: well-formed (reserved names may be read:
// they are simply not found). ValidationException with AWS's text.
Status CheckNameForRead(std::string_view name);

// A GetParameter(s) / GetParameterHistory reference: a name or a parameter ARN of the caller's
// account and region, with an optional selector ":<version>" or ":<label>" where allowed.
struct Reference {
  std::string name;      // as the caller wrote it (for the answer), or the ARN's name
  bool by_arn = false;   // the answer then names the parameter as it was created
  std::string selector;  // "" or the text after the colon
  std::optional<std::int64_t> version;  // the selector, when it is all digits
  bool foreign = false;                 // an ARN of another account or region: never found here
};
// ValidationException for a malformed name. A selector where none is allowed, or more than one
// colon, leaves `malformed` set (the parameter is then not found).
struct ParsedReference {
  Reference ref;
  bool malformed = false;
};
Result<ParsedReference> ParseReference(std::string_view text, bool allow_selector,
                                       std::string_view region, std::string_view account);

// GetParametersByPath Path and the Path filter of DescribeParameters: ValidationException with
// AWS's text unless it starts with "/" and is made of well-formed levels (a trailing "/" is
// allowed). `describe` also refuses the aws/ssm prefixes with DescribeParameters' text.
Status CheckPath(std::string_view path, bool describe);
// The store-key prefix under a valid path: "/a/b/" and "/a/b" give "a/b/"; "/" gives "".
std::string PathPrefix(std::string_view path);

// LabelParameterVersion's rules: 1..100 characters of letters, digits, ".", "-", "_", not
// starting with a digit, "aws" or "ssm" (case-insensitive).
bool IsValidLabel(std::string_view label);

// UTF-16 code units, as AWS counts value lengths.
std::size_t Utf16Length(std::string_view s);

}  // namespace sluice::ssm
