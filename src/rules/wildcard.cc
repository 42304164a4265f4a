#include "rules/wildcard.h"

namespace sluice::rules::internal {

namespace {
// AWS refuses wildcard patterns its matcher would find too non-deterministic; its exact measure
// (event-ruler's MachineComplexityEvaluator over the rule's machine) is not reproduced: more than
// this many stars in one value is refused, which AWS was recorded refusing ("*:*:*:*:*:..."),
// while patterns with a few stars are accepted.
constexpr int kMaxStars = 5;
}  // namespace

bool ParseWildcard(std::string_view text, Wildcard* out, std::string* error) {
  out->pieces.assign(1, std::string());
  int stars = 0;
  bool last_was_star = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\') {
      if (i + 1 >= text.size() || (text[i + 1] != '*' && text[i + 1] != '\\')) {
        *error = "Invalid escape character at pos " + std::to_string(i + 1);
        return false;
      }
      out->pieces.back() += text[++i];
      last_was_star = false;
      continue;
    }
    if (c == '*') {
      if (last_was_star) {
        *error = "Consecutive wildcard characters at pos " + std::to_string(i);
        return false;
      }
      ++stars;
      out->pieces.emplace_back();
      last_was_star = true;
      continue;
    }
    out->pieces.back() += c;
    last_was_star = false;
  }
  if (stars > kMaxStars) {
    *error =
        "Rule is too complex - try using fewer wildcard characters or fewer repeating character "
        "sequences after a wildcard character";
    return false;
  }
  return true;
}

bool WildcardMatches(const Wildcard& w, std::string_view value) {
  const auto& p = w.pieces;
  if (p.size() == 1) return value == p[0];
  // First piece anchors at the start, last at the end; the middle ones are found leftmost-first,
  // which is optimal for '*'-only globs.
  if (value.size() < p.front().size() || value.substr(0, p.front().size()) != p.front()) {
    return false;
  }
  if (value.size() - p.front().size() < p.back().size() ||
      value.substr(value.size() - p.back().size()) != p.back()) {
    return false;
  }
  std::size_t pos = p.front().size();
  const std::size_t end = value.size() - p.back().size();
  for (std::size_t i = 1; i + 1 < p.size(); ++i) {
    if (p[i].empty()) continue;
    const std::size_t found = value.substr(0, end).find(p[i], pos);
    if (found == std::string_view::npos) return false;
    pos = found + p[i].size();
  }
  return pos <= end;
}

}  // namespace sluice::rules::internal
