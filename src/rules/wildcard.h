// EventBridge's wildcard patterns: '*' matches any run of characters (none included), "\*" is a
// literal star and "\\" a literal backslash; nothing else may be escaped.
#pragma once

#include <string>
#include <string_view>

#include "rules/internal.h"

namespace sluice::rules::internal {

// Splits `text` into the literal pieces between stars. On error sets `*error` to AWS's reason
// ("Consecutive wildcard characters at pos N", "Invalid escape character at pos N", or the
// complexity refusal) and returns false.
bool ParseWildcard(std::string_view text, Wildcard* out, std::string* error);

// Whether `value` matches the pattern (linear backtracking over the pieces; no recursion).
bool WildcardMatches(const Wildcard& w, std::string_view value);

}  // namespace sluice::rules::internal
