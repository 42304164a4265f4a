// Schedule expressions: AWS's validation (rate units and plurals, the six cron fields, exactly one
// "?") and the next firing computed from a fixed time, never from the wall clock.
#include "services/events/schedule.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice::events {
namespace {

// 2024-01-15T10:30:00Z, a Monday.
constexpr Millis kMonday = 1705314600000;

std::string Iso(Millis ms) {
  std::string s;
  AppendIso8601(ms, &s);
  return s;
}

std::string NextOf(const char* expression, Millis after = kMonday, Millis origin = kMonday) {
  auto s = Schedule::Parse(expression);
  if (!s) return "invalid";
  auto next = s->Next(after, origin);
  return next ? Iso(*next) : "never";
}

TEST(Schedule, AcceptsWhatAwsAccepts) {
  for (const char* e : {"rate(1 minute)", "rate(5 minutes)", "rate(1 hour)", "rate(12 hours)",
                        "rate(1 day)", "rate(7 days)", "cron(0 12 * * ? *)",
                        "cron(15 10 ? * 6L 2022-2030)", "cron(0/15 * * * ? *)", "cron(0 8 1 * ? *)",
                        "cron(0 18 ? * MON-FRI *)", "cron(0 9 ? * 2#1 *)", "cron(0 0 L * ? *)",
                        "cron(0 0 15W * ? *)", "cron(5,35 14 * JAN,FEB ? *)"}) {
    EXPECT_TRUE(Schedule::Parse(e).has_value()) << e;
  }
}

TEST(Schedule, RefusesWhatAwsRefuses) {
  for (const char* e :
       {"rate(1 minutes)", "rate(5 minute)", "rate(0 minutes)", "rate(-1 minutes)", "rate(5)",
        "rate(5 weeks)", "rate( 5 minutes)", "cron(0 12 * * * *)", "cron(0 12 ? * ? *)",
        "cron(0 12 * *)", "cron(60 12 * * ? *)", "cron(0 24 * * ? *)", "cron(0 12 32 * ? *)",
        "cron(0 12 ? 13 * *)", "cron(0 12 ? * 8 *)", "cron(0 12 ? * MON#6 *)", "every 5 minutes",
        "cron(0 12 * * ? 1969)", ""}) {
    EXPECT_FALSE(Schedule::Parse(e).has_value()) << e;
  }
}

TEST(Schedule, RatesCountFromTheOrigin) {
  EXPECT_EQ(NextOf("rate(5 minutes)"), "2024-01-15T10:35:00.000Z");
  EXPECT_EQ(NextOf("rate(5 minutes)", kMonday + 4 * 60'000), "2024-01-15T10:35:00.000Z");
  EXPECT_EQ(NextOf("rate(5 minutes)", kMonday + 5 * 60'000), "2024-01-15T10:40:00.000Z");
  EXPECT_EQ(NextOf("rate(1 day)"), "2024-01-16T10:30:00.000Z");
}

TEST(Schedule, CronNextFiring) {
  EXPECT_EQ(NextOf("cron(0 12 * * ? *)"), "2024-01-15T12:00:00.000Z");
  EXPECT_EQ(NextOf("cron(0 9 * * ? *)"), "2024-01-16T09:00:00.000Z");
  EXPECT_EQ(NextOf("cron(0/15 * * * ? *)"), "2024-01-15T10:45:00.000Z");
  EXPECT_EQ(NextOf("cron(0 18 ? * SAT *)"), "2024-01-20T18:00:00.000Z");
  EXPECT_EQ(NextOf("cron(0 18 ? * 1 *)"), "2024-01-21T18:00:00.000Z");  // 1 = Sunday
  EXPECT_EQ(NextOf("cron(0 0 L * ? *)"), "2024-01-31T00:00:00.000Z");
  EXPECT_EQ(NextOf("cron(0 0 L 2 ? *)"), "2024-02-29T00:00:00.000Z");    // leap year
  EXPECT_EQ(NextOf("cron(0 9 ? * 2#1 *)"), "2024-02-05T09:00:00.000Z");  // first Monday
  EXPECT_EQ(NextOf("cron(0 9 ? * 6L *)"), "2024-01-26T09:00:00.000Z");   // last Friday
  EXPECT_EQ(NextOf("cron(0 9 20W * ? *)"), "2024-01-19T09:00:00.000Z");  // Sat 20th -> Fri 19th
  EXPECT_EQ(NextOf("cron(0 0 1 1 ? 2025)"), "2025-01-01T00:00:00.000Z");
  EXPECT_EQ(NextOf("cron(0 0 1 1 ? 2020)"), "never");
  EXPECT_EQ(NextOf("cron(0 0 30 2 ? *)"), "never");
}

}  // namespace
}  // namespace sluice::events
