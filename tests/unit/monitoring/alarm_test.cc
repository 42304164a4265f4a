// The alarm state machine: every TreatMissingData mode, M out of N, reasons and messages.
#include "services/monitoring/alarm.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>
#include <vector>

namespace sluice::monitoring {
namespace {

constexpr Millis kNow = 1'700'000'040'000;

AlarmConfig Config(std::int64_t n, std::int64_t m, std::string missing) {
  AlarmConfig c;
  c.name = "a";
  c.metric = {"App", "Errors", {}};
  c.statistic = "Sum";
  c.period = 60;
  c.evaluation_periods = n;
  c.datapoints_to_alarm = m;
  c.threshold = 10;
  c.comparison = "GreaterThanThreshold";
  c.treat_missing_data = std::move(missing);
  return c;
}

// "X" breaching (20), "0" not breaching (1), "-" missing; oldest first.
std::vector<PeriodValue> Periods(std::string_view pattern) {
  std::vector<PeriodValue> out;
  Millis t = kNow - static_cast<Millis>(pattern.size()) * 60'000;
  for (char ch : pattern) {
    PeriodValue p;
    p.start = t;
    t += 60'000;
    if (ch == 'X') p.value = 20;
    if (ch == '0') p.value = 1;
    p.sample_count = p.value ? 1 : 0;
    out.push_back(p);
  }
  return out;
}

// The resulting state ("keep" when Evaluate keeps `current`).
std::string StateAfter(const AlarmConfig& c, std::string_view pattern,
                       const std::string& current = kStateInsufficient) {
  auto t = Evaluate(c, current, Periods(pattern), kNow);
  return t ? t->state : "keep";
}

TEST(AlarmEvaluate, Comparisons) {
  AlarmConfig c = Config(1, 1, "missing");
  for (auto [op, v, breach] : std::vector<std::tuple<const char*, double, bool>>{
           {"GreaterThanThreshold", 10, false},
           {"GreaterThanThreshold", 10.5, true},
           {"GreaterThanOrEqualToThreshold", 10, true},
           {"LessThanThreshold", 10, false},
           {"LessThanThreshold", 9, true},
           {"LessThanOrEqualToThreshold", 10, true}}) {
    c.comparison = op;
    EXPECT_EQ(Breaches(c, v), breach) << op << " " << v;
  }
}

TEST(AlarmEvaluate, MissingMode) {
  const AlarmConfig c = Config(3, 3, "missing");
  // Periods are the last 2N = 6; the evaluated datapoints are the most recent 3 that exist.
  EXPECT_EQ(StateAfter(c, "------"), "keep");  // already INSUFFICIENT_DATA
  EXPECT_EQ(StateAfter(c, "------", kStateOk), kStateInsufficient);
  EXPECT_EQ(StateAfter(c, "---XXX"), kStateAlarm);
  EXPECT_EQ(StateAfter(c, "-X-X-X"), kStateAlarm);  // 3 existing, all breaching
  EXPECT_EQ(StateAfter(c, "-0X-X-"), kStateOk);     // 0 X X: 2 of 3
  EXPECT_EQ(StateAfter(c, "----X-"), kStateAlarm);  // fewer than M datapoints, all breaching
  EXPECT_EQ(StateAfter(c, "----0-"), kStateOk);
  EXPECT_EQ(StateAfter(c, "XXX000"), kStateOk);
  EXPECT_EQ(StateAfter(c, "---XXX", kStateAlarm), "keep");  // no change, no transition
}

TEST(AlarmEvaluate, IgnoreMode) {
  const AlarmConfig c = Config(3, 3, "ignore");
  EXPECT_EQ(StateAfter(c, "------"), "keep");
  EXPECT_EQ(StateAfter(c, "------", kStateAlarm), "keep");
  EXPECT_EQ(StateAfter(c, "----X-", kStateOk), "keep");  // too few datapoints: the state is kept
  EXPECT_EQ(StateAfter(c, "X-X--X", kStateOk), kStateAlarm);
  EXPECT_EQ(StateAfter(c, "0-X--X", kStateAlarm), kStateOk);
}

TEST(AlarmEvaluate, BreachingMode) {
  const AlarmConfig c = Config(3, 2, "breaching");
  // Only the last N periods count; missing ones breach.
  EXPECT_EQ(StateAfter(c, "------"), kStateAlarm);
  EXPECT_EQ(StateAfter(c, "XXX0-0"), kStateOk);  // 1 of 3 (the missing one)
  EXPECT_EQ(StateAfter(c, "000--0"), kStateAlarm);
  EXPECT_EQ(StateAfter(c, "0000X0"), kStateOk);
  auto t = Evaluate(c, kStateOk, Periods("------"), kNow);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->reason,
            "Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints "
            "were treated as [Breaching].");
}

TEST(AlarmEvaluate, NotBreachingMode) {
  const AlarmConfig c = Config(3, 2, "notBreaching");
  EXPECT_EQ(StateAfter(c, "------"), kStateOk);
  EXPECT_EQ(StateAfter(c, "------", kStateAlarm), kStateOk);
  EXPECT_EQ(StateAfter(c, "---X-X"), kStateAlarm);
  EXPECT_EQ(StateAfter(c, "XXX--X"), kStateOk);
}

TEST(AlarmEvaluate, MOutOfN) {
  for (std::int64_t n = 1; n <= 5; ++n) {
    for (std::int64_t m = 1; m <= n; ++m) {
      const AlarmConfig c = Config(n, m, "notBreaching");
      for (std::int64_t b = 0; b <= n; ++b) {
        std::string pattern(static_cast<std::size_t>(n), '0');
        for (std::int64_t i = 0; i < b; ++i) pattern[static_cast<std::size_t>(i * 7 % n)] = 'X';
        std::int64_t breaching = 0;
        for (char ch : pattern) breaching += ch == 'X';
        EXPECT_EQ(StateAfter(c, pattern), breaching >= m ? kStateAlarm : kStateOk)
            << n << " " << m << " " << pattern;
      }
    }
  }
}

TEST(AlarmEvaluate, ReasonTextsAndData) {
  const AlarmConfig c = Config(1, 1, "missing");
  auto t = Evaluate(c, kStateOk, Periods("0X"), kNow);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->state, kStateAlarm);
  EXPECT_EQ(t->reason,
            "Threshold Crossed: 1 out of the last 1 datapoints [20.0 (14/11/23 22:13:00)] was "
            "greater than the threshold (10.0) (minimum 1 datapoint for OK -> ALARM transition).");
  rapidjson::Document d;
  d.Parse(t->reason_data.c_str());
  ASSERT_FALSE(d.HasParseError());
  EXPECT_EQ(d["recentDatapoints"][0].GetDouble(), 20);
  EXPECT_EQ(std::string(d["statistic"].GetString()), "Sum");
  t = Evaluate(c, kStateAlarm, Periods("X0"), kNow);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->reason,
            "Threshold Crossed: 1 out of the last 1 datapoints [1.0 (14/11/23 22:13:00)] was not "
            "greater than the threshold (10.0) (minimum 1 datapoint for ALARM -> OK transition).");
  t = Evaluate(c, kStateOk, Periods("--"), kNow);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->reason, "Insufficient Data: 1 datapoint was unknown.");
}

TEST(AlarmMessage, HasAwsShape) {
  Alarm a;
  a.config = Config(2, 1, "missing");
  a.config.metric = {"AWS/SQS", "ApproximateNumberOfMessagesVisible", {{"QueueName", "q"}}};
  a.config.statistic = "Average";
  a.config.alarm_actions = {"arn:aws:sns:us-east-1:000000000000:t"};
  a.state.value = kStateAlarm;
  a.state.reason = "why";
  a.state.updated_ms = kNow;
  const std::string text = NotificationMessage(a, kStateOk, "000000000000", "us-east-1");
  rapidjson::Document d;
  d.Parse(text.c_str());
  ASSERT_FALSE(d.HasParseError()) << text;
  EXPECT_EQ(std::string(d["AlarmName"].GetString()), "a");
  EXPECT_TRUE(d["AlarmDescription"].IsNull());
  EXPECT_EQ(std::string(d["NewStateValue"].GetString()), "ALARM");
  EXPECT_EQ(std::string(d["OldStateValue"].GetString()), "OK");
  EXPECT_EQ(std::string(d["StateChangeTime"].GetString()), "2023-11-14T22:14:00.000+0000");
  EXPECT_EQ(std::string(d["Region"].GetString()), "US East (N. Virginia)");
  EXPECT_EQ(std::string(d["AlarmArn"].GetString()),
            "arn:aws:cloudwatch:us-east-1:000000000000:alarm:a");
  const auto& trigger = d["Trigger"];
  EXPECT_EQ(std::string(trigger["Statistic"].GetString()), "AVERAGE");
  EXPECT_EQ(std::string(trigger["Dimensions"][0]["name"].GetString()), "QueueName");
  EXPECT_EQ(trigger["Threshold"].GetDouble(), 10);
  EXPECT_EQ(NotificationSubject(a, "us-east-1"), "ALARM: \"a\" in US East (N. Virginia)");
}

TEST(AlarmCodec, RoundTrips) {
  Alarm a;
  a.config = Config(3, 2, "ignore");
  a.config.tags = {{"k", "v"}};
  a.config.ok_actions = {"arn:aws:sns:us-east-1:1:t"};
  a.config.actions_enabled = false;
  a.state.value = kStateOk;
  a.state.updated_ms = kNow;
  auto back = DecodeAlarm(EncodeAlarm(a));
  ASSERT_TRUE(back);
  EXPECT_EQ(EncodeAlarm(*back), EncodeAlarm(a));
  EXPECT_FALSE(DecodeAlarm("{").has_value());
}

}  // namespace
}  // namespace sluice::monitoring
