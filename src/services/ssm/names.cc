#include "services/ssm/names.h"

#include <fmt/format.h>

#include <charconv>

#include "services/ssm/errors.h"

namespace sluice::ssm {
namespace {

// Observed on AWS for bad characters, empty levels and ssm-prefixed paths (no trailing period).
constexpr std::string_view kNameRules =
    "Parameter name: can't be prefixed with \"ssm\" (case-insensitive). If formed as a path, it "
    "can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of "
    "letters, numbers and the following 3 symbols .-_";
constexpr std::string_view kReservedLeaf =
    "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).";
constexpr std::string_view kFullyQualified = "Parameter name must be a fully qualified name.";
// GetParametersByPath's text: the backslashes before the inner quotes are AWS's.
constexpr std::string_view kPathRules =
    "The parameter doesn't meet the parameter name requirements. The parameter name must begin "
    "with a forward slash \"/\". It can't be prefixed with \\\"aws\\\" or \\\"ssm\\\" "
    "(case-insensitive). It must use only letters, numbers, or the following symbols: . (period), "
    "- (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, "
    "must use the forward slash symbol \"/\". Valid example: /get/parameters2-/by1./path0_.";
constexpr std::string_view kCommonPathFilter =
    "Filters for common parameters can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). "
    "When using global parameters, please specify within a global namespace.";

bool NameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const char c = s[i] >= 'A' && s[i] <= 'Z' ? static_cast<char>(s[i] - 'A' + 'a') : s[i];
    if (c != prefix[i]) return false;
  }
  return true;
}

// Levels separated by single slashes, each of name characters; after an optional leading "/".
bool WellFormedLevels(std::string_view key, bool allow_trailing_slash) {
  if (key.empty()) return false;
  std::size_t start = 0;
  while (start <= key.size()) {
    const std::size_t slash = key.find('/', start);
    const std::size_t end = slash == std::string_view::npos ? key.size() : slash;
    if (end == start) {
      return allow_trailing_slash && end == key.size() && start > 0;
    }
    for (std::size_t i = start; i < end; ++i) {
      if (!NameChar(key[i])) return false;
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

std::string_view FirstLevel(std::string_view key) { return key.substr(0, key.find('/')); }

Status Invalid(std::string_view text) {
  return Status(ErrorCode::kValidationError, std::string(text));
}

}  // namespace

std::string_view TrimSpaces(std::string_view name) {
  while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  return name;
}

std::string_view NameKey(std::string_view name) {
  if (!name.empty() && name.front() == '/') name.remove_prefix(1);
  return name;
}

std::string ParameterArn(std::string_view region, std::string_view account, std::string_view name) {
  return fmt::format("arn:aws:ssm:{}:{}:parameter/{}", region, account, NameKey(name));
}

int Levels(std::string_view name) {
  const std::string_view key = NameKey(name);
  int levels = 1;
  for (char c : key) levels += c == '/';
  return levels;
}

Status CheckNameForRead(std::string_view name) {
  if (name.find('/') != std::string_view::npos && name.front() != '/') return Invalid(kNameRules);
  if (!WellFormedLevels(NameKey(name), false)) return Invalid(kNameRules);
  return Status::Ok();
}

Status CheckNameForWrite(std::string_view name, std::string_view region, std::string_view account) {
  if (name.find('/') != std::string_view::npos && name.front() != '/') {
    return Invalid(kFullyQualified);
  }
  const std::string_view key = NameKey(name);
  if (!WellFormedLevels(key, false)) return Invalid(kNameRules);
  const std::string_view first = FirstLevel(key);
  const bool aws = StartsWithNoCase(first, "aws");
  if (aws || StartsWithNoCase(first, "ssm")) {
    if (first.size() == key.size()) return Invalid(kReservedLeaf);
    if (!aws) return Invalid(kNameRules);
    return Status(ErrorCode::kAccessDenied,
                  fmt::format("No access to reserved parameter name: {}.", key));
  }
  if (Levels(name) > kMaxLevels) {
    return Status(SsmError::kHierarchyLevelLimitExceeded,
                  "A hierarchy can have a maximum of 15 levels. For more information, see "
                  "Requirements and constraints for parameter names in the AWS Systems Manager "
                  "User Guide.");
  }
  if (ParameterArn(region, account, name).size() > kMaxArnLength) {
    return Invalid(
        fmt::format("Parameter name: can't be longer than {} characters, including the ARN "
                    "prefix arn:aws:ssm:{}:{}:parameter/.",
                    kMaxArnLength, region, account));
  }
  return Status::Ok();
}

Result<ParsedReference> ParseReference(std::string_view text, bool allow_selector,
                                       std::string_view region, std::string_view account) {
  ParsedReference out;
  std::string_view s = TrimSpaces(text);
  std::string name;
  if (s.substr(0, 4) == "arn:") {
    // arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME[:SELECTOR]
    std::string_view parts[5];
    std::string_view rest = s;
    for (auto& part : parts) {
      const std::size_t colon = rest.find(':');
      if (colon == std::string_view::npos) return Invalid(kNameRules);
      part = rest.substr(0, colon);
      rest.remove_prefix(colon + 1);
    }
    if (parts[1].substr(0, 3) != "aws" || parts[2] != "ssm" || rest.substr(0, 10) != "parameter/") {
      return Invalid(kNameRules);
    }
    rest.remove_prefix(10);
    out.ref.by_arn = true;
    out.ref.foreign = parts[3] != region || parts[4] != account;
    s = rest;
  }
  if (allow_selector) {
    const std::size_t colon = s.find(':');
    if (colon != std::string_view::npos) {
      out.ref.selector = std::string(s.substr(colon + 1));
      s = s.substr(0, colon);
      const std::string_view sel = out.ref.selector;
      if (sel.empty() || sel.find(':') != std::string_view::npos) out.malformed = true;
      if (!sel.empty() && sel.find_first_not_of("0123456789") == std::string_view::npos) {
        std::int64_t v = 0;
        const auto [end, ec] = std::from_chars(sel.data(), sel.data() + sel.size(), v);
        out.ref.version = ec == std::errc() && end == sel.data() + sel.size() ? v : -1;
      }
    }
  }
  if (out.ref.by_arn && s.find('/') != std::string_view::npos) {
    name = "/" + std::string(s);
  } else {
    name = std::string(s);
  }
  if (Status st = CheckNameForRead(name); !st.ok()) return st;
  out.ref.name = std::move(name);
  return out;
}

Status CheckPath(std::string_view path, bool describe) {
  if (describe && (StartsWithNoCase(path, "/aws") || StartsWithNoCase(path, "/ssm"))) {
    return Invalid(kCommonPathFilter);
  }
  if (path.empty() || path.front() != '/') return Invalid(kPathRules);
  if (path == "/") return Status::Ok();
  const std::string_view key = path.substr(1);
  if (!WellFormedLevels(key, true)) return Invalid(kPathRules);
  if (StartsWithNoCase(FirstLevel(key), "ssm")) return Invalid(kPathRules);
  return Status::Ok();
}

std::string PathPrefix(std::string_view path) {
  std::string_view key = NameKey(path);
  while (!key.empty() && key.back() == '/') key.remove_suffix(1);
  return key.empty() ? std::string() : std::string(key) + "/";
}

bool IsValidLabel(std::string_view label) {
  if (label.empty() || label.size() > 100) return false;
  if (label.front() >= '0' && label.front() <= '9') return false;
  if (StartsWithNoCase(label, "aws") || StartsWithNoCase(label, "ssm")) return false;
  for (char c : label) {
    if (!NameChar(c)) return false;
  }
  return true;
}

std::size_t Utf16Length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) n += c >= 0xF0 ? 2 : 1;
  }
  return n;
}

}  // namespace sluice::ssm
