// PutParameter's AllowedPattern: a regular expression the whole value must match (PCRE2, which
// reads the Java syntax AWS accepts for the common cases). Thread-safe.
#pragma once

#include <string_view>

#include "common/status.h"

namespace sluice::ssm {

// Whether `value` matches `pattern` as a whole. InvalidAllowedPatternException when the pattern
// does not compile. A match that exceeds the backtracking budget counts as no match.
Result<bool> MatchesAllowedPattern(std::string_view pattern, std::string_view value);

}  // namespace sluice::ssm
