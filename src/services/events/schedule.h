// Schedule expressions as EventBridge accepts them, and when they fire next (UTC):
// - rate(N unit): N a positive integer, unit minute|hour|day for 1 and minutes|hours|days
//   otherwise; fires every N units from the rule's creation.
// - cron(minutes hours day-of-month month day-of-week year): six fields; one of day-of-month and
//   day-of-week must be "?"; "*", ",", "-" and "/" everywhere; "L" and "W" in day-of-month,
//   "L" and "#" in day-of-week (1-7 = SUN-SAT, or SUN..SAT), months 1-12 or JAN..DEC, years
//   1970-2199.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "common/clock.h"

namespace sluice::events {

class Schedule {
 public:
  // nullopt when AWS would answer "Parameter ScheduleExpression is not valid.".
  static std::optional<Schedule> Parse(std::string_view expression);

  // The first firing strictly after `after_ms`; `origin_ms` anchors rates (the rule's creation).
  // nullopt when the expression never fires again (a cron whose years are over).
  std::optional<Millis> Next(Millis after_ms, Millis origin_ms) const;

  bool is_rate() const { return rate_ms_ > 0; }
  Millis rate_ms() const { return rate_ms_; }

  struct Field {
    unsigned long long bits = 0;  // allowed values
    bool any = false;             // "*" or "?"
  };

 private:
  Millis rate_ms_ = 0;
  // cron
  Field minutes_, hours_, dom_, months_, dow_;
  bool dom_last_ = false;          // L
  int dom_last_offset_ = 0;        // L-n
  int dom_weekday_ = 0;            // nW (1-31), 0 none
  bool dom_last_weekday_ = false;  // LW
  int dow_last_ = 0;               // nL (1-7), 0 none
  int dow_nth_day_ = 0;            // d#n: day 1-7
  int dow_nth_ = 0;                //      n 1-5
  std::vector<bool> years_;        // index year - 1970
  bool years_any_ = false;
  bool dom_question_ = false;
  bool dow_question_ = false;

  bool DayMatches(int y, int m, int d) const;
  friend struct CronParser;
};

}  // namespace sluice::events
