// The AlarmRule language of composite alarms (PutCompositeAlarm):
//   rule    := or
//   or      := and ("OR" and)*
//   and     := unary ("AND" unary)*
//   unary   := "NOT" unary | primary
//   primary := "TRUE" | "FALSE" | "(" rule ")" | STATE "(" alarm ")"
//            | "AT_LEAST" "(" (count | percent "%") "," ["NOT"] STATE "," "(" alarm ("," alarm)*
//            ")" ")"
//   STATE   := "ALARM" | "OK" | "INSUFFICIENT_DATA"
//   alarm   := a name or ARN, in double quotes or bare (letters, digits and - _ . : / without
//              spaces)
// Keywords are upper case. A rule is at most 10,240 characters; an ARN names the alarm after
// its last ":alarm:".
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sluice::monitoring {

inline constexpr std::size_t kMaxAlarmRuleLength = 10'240;

struct RuleNode {
  enum class Kind { kTrue, kFalse, kState, kAnd, kOr, kNot, kAtLeast };
  Kind kind = Kind::kTrue;
  std::string state;  // kState, kAtLeast: ALARM, OK or INSUFFICIENT_DATA
  std::string alarm;  // kState: the alarm's name (an ARN reduced to its name)
  // kAtLeast: true when at least `threshold` of `alarms` (a percentage of them when `percent`)
  // are in `state` (not in it when `negate`).
  std::vector<std::string> alarms;
  int threshold = 0;
  bool percent = false;
  bool negate = false;
  std::vector<std::unique_ptr<RuleNode>> args;
};

// Parses a rule. Errors: kValidationError with the problem's text.
Result<std::unique_ptr<RuleNode>> ParseAlarmRule(std::string_view rule);
// The alarm names the rule refers to.
void RuleAlarms(const RuleNode& node, std::set<std::string>& names);
// The rule's value given each alarm's state.
bool EvaluateRule(const RuleNode& node,
                  const std::function<std::string(const std::string& alarm)>& state_of);

}  // namespace sluice::monitoring
