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

// AT_LEAST (AWS, November 2025), as the CDK writes it: AT_LEAST(2, ALARM, (a, b, c)).
TEST(AlarmRule, AtLeast) {
  const std::map<std::string, std::string> s = {
      {"a", "ALARM"}, {"b", "ALARM"}, {"c", "OK"}, {"d", "INSUFFICIENT_DATA"}};
  EXPECT_TRUE(Eval("AT_LEAST(2, ALARM, (a, b, c))", s));
  EXPECT_FALSE(Eval("AT_LEAST(3, ALARM, (a, b, c))", s));
  EXPECT_TRUE(Eval("AT_LEAST(66%, ALARM, (a, b, c))", s));
  EXPECT_FALSE(Eval("AT_LEAST(67%, ALARM, (a, b, c))", s));
  EXPECT_TRUE(Eval("AT_LEAST(2, NOT OK, (a, c, d))", s));
  EXPECT_TRUE(
      Eval("AT_LEAST(1, INSUFFICIENT_DATA, (\"arn:aws:cloudwatch:r:1:alarm:d\")) AND "
           "NOT AT_LEAST(50%, OK, (a, b, c))",
           s));
  auto node = ParseAlarmRule("AT_LEAST(1, ALARM, (x, \"y\")) OR OK(z)");
  ASSERT_TRUE(node.ok());
  std::set<std::string> names;
  RuleAlarms(**node, names);
  EXPECT_EQ(names, (std::set<std::string>{"x", "y", "z"}));
  EXPECT_EQ(ErrorOf("AT_LEAST(4, ALARM, (a, b, c))"),
            "Error in AlarmRule [The AT_LEAST count must be between 1 and the number of alarms "
            "(3), not 4]");
  EXPECT_EQ(ErrorOf("AT_LEAST(0%, ALARM, (a))"),
            "Error in AlarmRule [The AT_LEAST percentage must be between 1 and 100, not 0]");
  EXPECT_EQ(ErrorOf("AT_LEAST(1, ALARM, a)"),
            "Error in AlarmRule [Unsupported token 'a' at char 19, must be: '(']");
  EXPECT_EQ(ErrorOf("AT_LEAST(1 ALARM, (a))"),
            "Error in AlarmRule [Unsupported token 'ALARM' at char 11, must be: ',']");
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
  // AWS's form ("Error in AlarmRule [Unsupported token ')' at char 1]" for "()"), positions from 0.
  EXPECT_EQ(ErrorOf("()"), "Error in AlarmRule [Unsupported token ')' at char 1]");
  EXPECT_EQ(ErrorOf("ALARM(SampleQueue Oldest Age)"),
            "Error in AlarmRule [Unsupported token 'Oldest' at char 18, must be: ')']");
  EXPECT_EQ(ErrorOf(""), "Error in AlarmRule [The rule is empty]");
  EXPECT_EQ(ErrorOf("ALARM(cpu"), "Error in AlarmRule [Unexpected end of the rule, must be: ')']");
  EXPECT_EQ(ErrorOf("ALARM(cpu) AND"), "Error in AlarmRule [Unexpected end of the rule]");
  EXPECT_EQ(ErrorOf("ALARM()"), "Error in AlarmRule [ALARM() needs an alarm name]");
  EXPECT_EQ(ErrorOf("alarm(cpu)"), "Error in AlarmRule [Unsupported token 'alarm' at char 0]");
  EXPECT_EQ(ErrorOf("ALARM(cpu) XOR OK(mem)"),
            "Error in AlarmRule [Unsupported token 'XOR' at char 11]");
  EXPECT_EQ(ErrorOf("ALARM(\"cpu)"), "Error in AlarmRule [Unterminated alarm name at char 6]");
  EXPECT_EQ(ErrorOf("ALARMS(cpu)"), "Error in AlarmRule [Unsupported token 'ALARMS' at char 0]");
  EXPECT_EQ(ErrorOf("OK cpu"),
            "Error in AlarmRule [Unsupported token 'cpu' at char 3, must be: '(']");
  EXPECT_EQ(ErrorOf(std::string(10'241, ' ')),
            "Error in AlarmRule [The rule is longer than 10240 characters]");
  EXPECT_EQ(ErrorOf(std::string(100, '(') + "TRUE" + std::string(100, ')')),
            "Error in AlarmRule [The rule is nested too deeply]");
}

}  // namespace
}  // namespace sluice::monitoring
