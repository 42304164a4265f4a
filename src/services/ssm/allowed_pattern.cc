#include "services/ssm/allowed_pattern.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <memory>

#include "services/ssm/errors.h"

namespace sluice::ssm {
namespace {

// Backtracking budget per match: patterns are the caller's own, so a hostile one must not cost
// more than a bounded amount of work.
constexpr std::uint32_t kMatchLimit = 1'000'000;

struct CodeFree {
  void operator()(pcre2_code* c) const { pcre2_code_free(c); }
};
struct DataFree {
  void operator()(pcre2_match_data* d) const { pcre2_match_data_free(d); }
};
struct ContextFree {
  void operator()(pcre2_match_context* c) const { pcre2_match_context_free(c); }
};

}  // namespace

Result<bool> MatchesAllowedPattern(std::string_view pattern, std::string_view value) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  std::unique_ptr<pcre2_code, CodeFree> code(pcre2_compile(
      reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
      PCRE2_UTF | PCRE2_ALT_BSUX | PCRE2_ANCHORED | PCRE2_ENDANCHORED, &error, &offset, nullptr));
  if (!code) {
    return Status(SsmError::kInvalidAllowedPattern,
                  "The request doesn't meet the regular expression requirement.");
  }
  std::unique_ptr<pcre2_match_data, DataFree> data(
      pcre2_match_data_create_from_pattern(code.get(), nullptr));
  std::unique_ptr<pcre2_match_context, ContextFree> context(pcre2_match_context_create(nullptr));
  if (!data || !context) return Status(ErrorCode::kInternalError, "Out of memory.");
  pcre2_set_match_limit(context.get(), kMatchLimit);
  const int rc = pcre2_match(code.get(), reinterpret_cast<PCRE2_SPTR>(value.data()), value.size(),
                             0, 0, data.get(), context.get());
  return rc >= 0;
}

}  // namespace sluice::ssm
