// The search-term language of metric math's SEARCH('query', 'Stat', Period): which stored series
// a query matches.
//
//   query   := or
//   or      := and ("OR" and)*
//   and     := not (["AND"] not)*          (terms side by side are ANDed)
//   not     := "NOT" not | primary
//   primary := "(" query ")" | schema | term
//   schema  := "{" namespace ("," dimension-name)* "}"
//   term    := [property "="] value        (property: MetricName, Namespace or a dimension name)
//   value   := "exact text" | word
//
// A schema matches the series of that namespace with exactly those dimension names. A quoted
// value matches a whole string exactly; a bare word matches whole tokens of it (case-insensitive;
// strings split into tokens at punctuation and at changes of case, so CPU matches
// CPUUtilization). A term without a property looks at the metric name, the namespace and every
// dimension name and value. Keywords are upper case.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "services/monitoring/series.h"

namespace sluice::monitoring {

inline constexpr std::size_t kMaxSearchResults = 500;  // series one SEARCH returns, as on AWS

struct SearchNode {
  enum class Kind { kAnd, kOr, kNot, kSchema, kTerm };
  Kind kind = Kind::kTerm;
  std::vector<std::string> schema;  // kSchema: namespace, then dimension names
  std::string property;             // kTerm: "" (anything), MetricName, Namespace or a dimension
  std::string value;
  bool exact = false;  // quoted
  std::vector<std::unique_ptr<SearchNode>> args;
};

// Parses a search query. Errors: kValidationError with the problem's text.
Result<std::unique_ptr<SearchNode>> ParseSearch(std::string_view query);
bool SearchMatches(const SearchNode& node, const SeriesKey& key);
// The label of a series a SEARCH returns: its dimension values, then its metric name.
std::string SearchLabel(const SeriesKey& key);

}  // namespace sluice::monitoring
