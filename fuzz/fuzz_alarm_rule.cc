// Fuzzes the composite alarms' AlarmRule parser (services/monitoring/alarm_rule.h), which reads
// PutCompositeAlarm's AlarmRule. Input: the rule text.
// Checks: the same verdict and text twice; errors are kValidationError; a rule that parses names
// non-empty alarms and evaluates the same way twice, and NOT of it is its negation.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "fuzz/fuzz_util.h"
#include "services/monitoring/alarm_rule.h"

using namespace sluice::monitoring;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > kMaxAlarmRuleLength + 16) return 0;
  const std::string_view text = sluice::fuzz::AsText(data, size);
  auto a = ParseAlarmRule(text);
  auto b = ParseAlarmRule(text);
  FUZZ_CHECK(a.ok() == b.ok());
  if (!a.ok()) {
    FUZZ_CHECK(a.status().message() == b.status().message());
    FUZZ_CHECK(a.status().code() == sluice::ErrorCode::kValidationError);
    return 0;
  }
  std::set<std::string> names;
  RuleAlarms(**a, names);
  for (const std::string& n : names) FUZZ_CHECK(!n.empty());
  // States by the name's length, so different alarms differ.
  auto state_of = [](const std::string& name) -> std::string {
    static const char* kStates[] = {"OK", "ALARM", "INSUFFICIENT_DATA"};
    return kStates[name.size() % 3];
  };
  const bool x = EvaluateRule(**a, state_of);
  FUZZ_CHECK(x == EvaluateRule(**b, state_of));
  if (size < kMaxAlarmRuleLength - 8) {
    auto negated = ParseAlarmRule("NOT (" + std::string(text) + ")");
    if (negated.ok()) FUZZ_CHECK(EvaluateRule(**negated, state_of) == !x);
  }
  return 0;
}
