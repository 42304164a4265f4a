#include "services/events/schedule.h"

#include <array>
#include <cctype>
#include <charconv>
#include <string>
#include <vector>

namespace sluice::events {
namespace {

constexpr int kMinYear = 1970;
constexpr int kMaxYear = 2199;

bool Leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int DaysIn(int y, int m) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && Leap(y) ? 29 : kDays[static_cast<std::size_t>(m - 1)];
}
// 1 = Sunday .. 7 = Saturday
int Weekday(int y, int m, int d) {
  const std::int64_t days = DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return static_cast<int>(((days + 4) % 7 + 7) % 7) + 1;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string_view::npos ? s.npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

std::optional<int> Number(std::string_view s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  int v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// A value of a field: a number, or a month / weekday name.
std::optional<int> FieldValue(std::string_view s, const char* const* names, int names_base) {
  if (auto n = Number(s)) return n;
  if (names == nullptr) return std::nullopt;
  const std::string u = Upper(s);
  for (int i = 0; names[i] != nullptr; ++i) {
    if (u == names[i]) return i + names_base;
  }
  return std::nullopt;
}

constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",  "JUL",
                                       "AUG", "SEP", "OCT", "NOV", "DEC", nullptr};
constexpr const char* kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", nullptr};

// Parses a plain list field (",", "-", "/", "*") into bits of [lo, hi].
bool ParseList(std::string_view text, int lo, int hi, const char* const* names, int names_base,
               std::vector<bool>& allowed, bool& any) {
  allowed.assign(static_cast<std::size_t>(hi + 1), false);
  for (std::string_view item : Split(text, ',')) {
    if (item.empty()) return false;
    int step = 1;
    if (auto slash = item.find('/'); slash != std::string_view::npos) {
      auto s = Number(item.substr(slash + 1));
      if (!s || *s <= 0) return false;
      step = *s;
      item = item.substr(0, slash);
    }
    int from = lo, to = hi;
    if (item == "*") {
      if (step == 1) any = true;
    } else if (auto dash = item.find('-'); dash != std::string_view::npos) {
      auto a = FieldValue(item.substr(0, dash), names, names_base);
      auto b = FieldValue(item.substr(dash + 1), names, names_base);
      if (!a || !b || *a < lo || *b > hi || *a > *b) return false;
      from = *a;
      to = *b;
    } else {
      auto a = FieldValue(item, names, names_base);
      if (!a || *a < lo || *a > hi) return false;
      from = *a;
      to = step > 1 ? hi : *a;
    }
    for (int v = from; v <= to; v += step) allowed[static_cast<std::size_t>(v)] = true;
  }
  return true;
}

}  // namespace

struct CronParser {
  static bool SetField(Schedule::Field& f, std::string_view text, int lo, int hi,
                       const char* const* names = nullptr, int names_base = 0) {
    std::vector<bool> allowed;
    if (!ParseList(text, lo, hi, names, names_base, allowed, f.any)) return false;
    for (int v = lo; v <= hi; ++v) {
      if (allowed[static_cast<std::size_t>(v)]) f.bits |= 1ULL << v;
    }
    return true;
  }

  static std::optional<Schedule> Cron(std::string_view body) {
    std::vector<std::string_view> fields;
    for (std::string_view f : Split(body, ' ')) {
      if (!f.empty()) fields.push_back(f);
    }
    if (fields.size() != 6) return std::nullopt;
    Schedule s;
    if (!SetField(s.minutes_, fields[0], 0, 59)) return std::nullopt;
    if (!SetField(s.hours_, fields[1], 0, 23)) return std::nullopt;
    if (!SetField(s.months_, fields[3], 1, 12, kMonthNames, 1)) return std::nullopt;
    // Years.
    std::vector<bool> years;
    if (!ParseList(fields[5], kMinYear, kMaxYear, nullptr, 0, years, s.years_any_)) {
      return std::nullopt;
    }
    s.years_.assign(years.begin() + kMinYear, years.end());
    // Day of month.
    const std::string_view dom = fields[2], dow = fields[4];
    s.dom_question_ = dom == "?";
    s.dow_question_ = dow == "?";
    if (s.dom_question_ == s.dow_question_) return std::nullopt;  // exactly one "?"
    if (!s.dom_question_) {
      if (dom == "L") {
        s.dom_last_ = true;
      } else if (dom == "LW") {
        s.dom_last_weekday_ = true;
      } else if (dom.rfind("L-", 0) == 0) {
        auto n = Number(dom.substr(2));
        if (!n || *n < 0 || *n > 30) return std::nullopt;
        s.dom_last_ = true;
        s.dom_last_offset_ = *n;
      } else if (dom.size() >= 2 && dom.back() == 'W') {
        auto n = Number(dom.substr(0, dom.size() - 1));
        if (!n || *n < 1 || *n > 31) return std::nullopt;
        s.dom_weekday_ = *n;
      } else if (!SetField(s.dom_, dom, 1, 31)) {
        return std::nullopt;
      }
    }
    if (!s.dow_question_) {
      if (dow == "L") {
        s.dow_last_ = 7;
      } else if (auto hash = dow.find('#'); hash != std::string_view::npos) {
        auto d = FieldValue(dow.substr(0, hash), kDayNames, 1);
        auto n = Number(dow.substr(hash + 1));
        if (!d || !n || *d < 1 || *d > 7 || *n < 1 || *n > 5) return std::nullopt;
        s.dow_nth_day_ = *d;
        s.dow_nth_ = *n;
      } else if (dow.size() >= 2 && dow.back() == 'L') {
        auto d = FieldValue(dow.substr(0, dow.size() - 1), kDayNames, 1);
        if (!d || *d < 1 || *d > 7) return std::nullopt;
        s.dow_last_ = *d;
      } else if (!SetField(s.dow_, dow, 1, 7, kDayNames, 1)) {
        return std::nullopt;
      }
    }
    return s;
  }
};

std::optional<Schedule> Schedule::Parse(std::string_view e) {
  if (e.size() > 256) return std::nullopt;
  if (e.rfind("rate(", 0) == 0 && e.back() == ')') {
    const std::string_view body = e.substr(5, e.size() - 6);
    const auto parts = Split(body, ' ');
    if (parts.size() != 2) return std::nullopt;
    auto n = Number(parts[0]);
    if (!n || *n <= 0) return std::nullopt;
    const std::string_view unit = parts[1];
    Millis ms = 0;
    const bool one = *n == 1;
    if (unit == (one ? "minute" : "minutes")) {
      ms = 60'000;
    } else if (unit == (one ? "hour" : "hours")) {
      ms = 3'600'000;
    } else if (unit == (one ? "day" : "days")) {
      ms = 86'400'000;
    } else {
      return std::nullopt;
    }
    Schedule s;
    s.rate_ms_ = ms * *n;
    return s;
  }
  if (e.rfind("cron(", 0) == 0 && e.back() == ')')
    return CronParser::Cron(e.substr(5, e.size() - 6));
  return std::nullopt;
}

bool Schedule::DayMatches(int y, int m, int d) const {
  const int last = DaysIn(y, m);
  if (!dom_question_) {
    if (dom_last_) return d == last - dom_last_offset_;
    if (dom_last_weekday_ || dom_weekday_ > 0) {
      int target = dom_last_weekday_ ? last : std::min(dom_weekday_, last);
      const int w = Weekday(y, m, target);
      if (w == 7)
        target = target == 1 ? 3 : target - 1;  // Saturday
      else if (w == 1)
        target = target == last ? target - 2 : target + 1;  // Sunday
      return d == target;
    }
    return dom_.any || (dom_.bits >> d & 1ULL) != 0;
  }
  const int w = Weekday(y, m, d);
  if (dow_last_ > 0) return w == dow_last_ && d + 7 > last;
  if (dow_nth_ > 0) return w == dow_nth_day_ && (d - 1) / 7 + 1 == dow_nth_;
  return dow_.any || (dow_.bits >> w & 1ULL) != 0;
}

std::optional<Millis> Schedule::Next(Millis after_ms, Millis origin_ms) const {
  if (rate_ms_ > 0) {
    if (after_ms < origin_ms) return origin_ms + rate_ms_;
    return origin_ms + ((after_ms - origin_ms) / rate_ms_ + 1) * rate_ms_;
  }
  // The minute after `after_ms`.
  const Millis start = (after_ms / 60'000 + 1) * 60'000;
  std::int64_t days = start / 86'400'000;
  int minute_of_day = static_cast<int>((start % 86'400'000) / 60'000);
  // Civil date of `days` (Howard Hinnant's civil_from_days).
  auto civil = [](std::int64_t z, int& y, int& m, int& d) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    y = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2));
  };
  int y = 0, m = 0, d = 0;
  civil(days, y, m, d);
  for (; y <= kMaxYear; ++days, minute_of_day = 0, civil(days, y, m, d)) {
    if (y < kMinYear) continue;
    if (!years_any_ && !years_[static_cast<std::size_t>(y - kMinYear)]) continue;
    if ((months_.bits >> m & 1ULL) == 0) continue;
    if (!DayMatches(y, m, d)) continue;
    for (int mod = minute_of_day; mod < 1440; ++mod) {
      const int h = mod / 60, mi = mod % 60;
      if ((hours_.bits >> h & 1ULL) != 0 && (minutes_.bits >> mi & 1ULL) != 0) {
        return days * 86'400'000 + static_cast<Millis>(mod) * 60'000;
      }
    }
  }
  return std::nullopt;
}

}  // namespace sluice::events
