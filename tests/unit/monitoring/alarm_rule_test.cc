// The AlarmRule language of composite alarms: parsing, precedence, names and ARNs, errors.
#include "services/monitoring/alarm_rule.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace sluice::monitoring {
namespace {

bool Eval(std::string_view rule, const std::map<std::string, std::string>& states) {
  auto node = ParseAlarmRule(rule);
  EXPECT_TRUE(node.ok()) << rule << ": " << node.status().message();
  if (!node.ok()) return false;
  return EvaluateRule(**node, [&](const std::string& a) {
    auto it = states.find(a);
    return it == states.end() ? std::string() : it->second;
  });
}

std::string ErrorOf(std::string_view rule) {
  auto node = ParseAlarmRule(rule);
  if (node.ok()) return "";
  EXPECT_EQ(node.status().code(), ErrorCode::kValidationError);
  return node.status().message();
}

TEST(AlarmRule, Evaluates) {
  const std::map<std::string, std::string> s = {
      {"cpu", "ALARM"}, {"mem", "OK"}, {"disk", "INSUFFICIENT_DATA"}, {"my alarm", "ALARM"}};
  EXPECT_TRUE(Eval("ALARM(cpu)", s));
  EXPECT_FALSE(Eval("ALARM(mem)", s));
  EXPECT_TRUE(Eval("OK(mem) AND INSUFFICIENT_DATA(disk)", s));
  EXPECT_TRUE(Eval("ALARM(mem) OR ALARM(cpu)", s));
  EXPECT_TRUE(Eval("NOT ALARM(mem)", s));
  EXPECT_TRUE(Eval("TRUE", s));
  EXPECT_FALSE(Eval("FALSE", s));
  // AND binds tighter than OR; NOT tighter than AND.
  EXPECT_TRUE(Eval("ALARM(cpu) OR ALARM(mem) AND FALSE", s));
  EXPECT_FALSE(Eval("(ALARM(cpu) OR ALARM(mem)) AND FALSE", s));
  EXPECT_FALSE(Eval("NOT ALARM(cpu) AND TRUE", s));
  EXPECT_TRUE(Eval("ALARM(\"my alarm\")", s));
  EXPECT_TRUE(Eval("ALARM(arn:aws:cloudwatch:us-east-1:000000000000:alarm:cpu)", s));
  EXPECT_TRUE(Eval("ALARM(\"arn:aws:cloudwatch:us-east-1:000000000000:alarm:my alarm\")", s));
  EXPECT_FALSE(Eval("ALARM(unknown)", s));
  EXPECT_TRUE(Eval("  ( ( OK ( mem ) ) )  ", s));
}

TEST(AlarmRule, Names) {
  auto node =
      ParseAlarmRule("ALARM(a) OR (OK(b) AND NOT ALARM(\"arn:aws:cloudwatch:r:1:alarm:c\"))");
  ASSERT_TRUE(node.ok());
  std::set<std::string> names;
  RuleAlarms(**node, names);
  EXPECT_EQ(names, (std::set<std::string>{"a", "b", "c"}));
}

TEST(AlarmRule, Errors) {
  EXPECT_EQ(ErrorOf(""), "Error in AlarmRule: the rule is empty.");
  EXPECT_EQ(ErrorOf("ALARM(cpu"), "Error in AlarmRule: unexpected end of the rule.");
  EXPECT_EQ(ErrorOf("ALARM(cpu) AND"), "Error in AlarmRule: unexpected end of the rule.");
  EXPECT_EQ(ErrorOf("ALARM()"), "Error in AlarmRule: ALARM() needs an alarm name.");
  EXPECT_EQ(ErrorOf("alarm(cpu)"), "Error in AlarmRule: unexpected \"a\" at position 1.");
  EXPECT_EQ(ErrorOf("ALARM(cpu) XOR OK(mem)"),
            "Error in AlarmRule: unexpected \"X\" at position 12.");
  EXPECT_EQ(ErrorOf("ALARM(\"cpu)"), "Error in AlarmRule: unterminated alarm name at position 7.");
  EXPECT_EQ(ErrorOf("ALARMS(cpu)"), "Error in AlarmRule: unexpected \"A\" at position 1.");
  EXPECT_EQ(ErrorOf(std::string(10'241, ' ')),
            "Error in AlarmRule: the rule is longer than 10240 characters.");
  EXPECT_EQ(ErrorOf(std::string(100, '(') + "TRUE" + std::string(100, ')')),
            "Error in AlarmRule: the rule is nested too deeply.");
}

}  // namespace
}  // namespace sluice::monitoring
