#include "services/monitoring/series.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace sluice::monitoring {

namespace {

using ValueList = std::vector<std::pair<double, double>>;

// The values of a complete aggregate as a list, the implicit single value included.
ValueList ListOf(const Aggregate& a) {
  if (!a.values.empty() || a.count <= 0) return a.values;
  return {{a.min, a.count}};
}

// Adds n occurrences of v to a sorted unique list.
void Insert(ValueList& list, double v, double n) {
  auto it = std::lower_bound(list.begin(), list.end(), v,
                             [](const auto& e, double x) { return e.first < x; });
  if (it != list.end() && it->first == v) {
    it->second += n;
  } else {
    list.insert(it, {v, n});
  }
}

}  // namespace

void Aggregate::AddValue(double v, double n) {
  if (n <= 0) return;
  if (count <= 0) {
    min = max = v;
    sum = v * n;
    count = n;
    values.clear();
    return;
  }
  if (values_complete && (!values.empty() || v != min || v != max)) {
    if (values.empty()) values = ListOf(*this);
    Insert(values, v, n);
    if (values.size() > kMaxValuesPerPoint) {
      values_complete = false;
      values.clear();
    }
  }
  min = std::min(min, v);
  max = std::max(max, v);
  sum += v * n;
  count += n;
}

void Aggregate::AddSet(double sample_count, double s, double lo, double hi) {
  // AWS computes percentiles over a statistic set that stands for equal values.
  if (lo == hi && s == lo * sample_count) return AddValue(lo, sample_count);
  if (count <= 0) {
    min = lo;
    max = hi;
  } else {
    min = std::min(min, lo);
    max = std::max(max, hi);
  }
  sum += s;
  count += sample_count;
  values_complete = false;
  values.clear();
}

void Aggregate::Merge(const Aggregate& other) {
  if (other.empty()) return;
  if (empty()) {
    *this = other;
    return;
  }
  if (values_complete && other.values_complete) {
    if (!values.empty() || !other.values.empty() || min != other.min || max != other.max) {
      if (values.empty()) values = ListOf(*this);
      if (other.values.empty()) {
        Insert(values, other.min, other.count);
      } else if (other.values.size() <= 16) {
        for (const auto& [v, n] : other.values) Insert(values, v, n);
      } else {
        ValueList merged;
        merged.reserve(values.size() + other.values.size());
        auto i = values.begin();
        auto j = other.values.begin();
        while (i != values.end() || j != other.values.end()) {
          if (j == other.values.end() || (i != values.end() && i->first < j->first)) {
            merged.push_back(*i++);
          } else if (i == values.end() || j->first < i->first) {
            merged.push_back(*j++);
          } else {
            merged.emplace_back(i->first, i->second + j->second);
            ++i;
            ++j;
          }
        }
        values = std::move(merged);
      }
      if (values.size() > kMaxValuesPerPoint) {
        values_complete = false;
        values.clear();
      } else if (values.size() == 1) {
        values.clear();
      }
    }
  } else {
    values_complete = false;
    values.clear();
  }
  min = std::min(min, other.min);
  max = std::max(max, other.max);
  sum += other.sum;
  count += other.count;
}

void Aggregate::Normalize() {
  std::sort(values.begin(), values.end());
  ValueList unique;
  for (const auto& [v, n] : values) {
    if (!unique.empty() && unique.back().first == v) {
      unique.back().second += n;
    } else {
      unique.emplace_back(v, n);
    }
  }
  values = std::move(unique);
  if (values.size() == 1 && values[0].first == min && min == max) values.clear();
}

std::optional<double> Aggregate::Percentile(double p) const {
  if (!values_complete || count <= 0) return std::nullopt;
  if (values.empty()) {
    if (min != max) return std::nullopt;
    return min;
  }
  if (p <= 0) return values.front().first;
  // Nearest rank: the smallest value whose cumulative count reaches ceil(p/100 * N).
  double total = 0;
  for (const auto& [v, n] : values) total += n;
  const double rank = std::max(1.0, std::ceil(p / 100.0 * total - 1e-9));
  double seen = 0;
  for (const auto& [v, n] : values) {
    seen += n;
    if (seen >= rank) return v;
  }
  return values.back().first;
}

bool IsPercentile(std::string_view stat, double* p) {
  if (stat.size() < 2 || stat[0] != 'p') return false;
  std::string_view num = stat.substr(1);
  const auto dot = num.find('.');
  if (dot != std::string_view::npos && (num.size() - dot - 1 > 2 || num.size() - dot - 1 == 0)) {
    return false;
  }
  for (char c : num) {
    if (c != '.' && (c < '0' || c > '9')) return false;
  }
  if (num.front() == '.') return false;
  const double v = std::strtod(std::string(num).c_str(), nullptr);
  if (v < 0 || v > 100) return false;
  if (p != nullptr) *p = v;
  return true;
}

std::optional<double> StatisticOf(const Aggregate& agg, std::string_view stat) {
  if (stat == "Sum") return agg.sum;
  if (stat == "Average") return agg.Average();
  if (stat == "Minimum") return agg.min;
  if (stat == "Maximum") return agg.max;
  if (stat == "SampleCount") return agg.count;
  double p = 0;
  if (IsPercentile(stat, &p)) return agg.Percentile(p);
  return std::nullopt;
}

namespace {

void AppendField(std::string& out, std::string_view s) {
  fmt::format_to(std::back_inserter(out), "{}:{}", s.size(), s);
}

bool ReadField(std::string_view& in, std::string& out) {
  const auto colon = in.find(':');
  if (colon == std::string_view::npos) return false;
  std::size_t n = 0;
  auto [ptr, ec] = std::from_chars(in.data(), in.data() + colon, n);
  if (ec != std::errc() || ptr != in.data() + colon || n > in.size() - colon - 1) return false;
  out.assign(in.substr(colon + 1, n));
  in.remove_prefix(colon + 1 + n);
  return true;
}

bool ReadDouble(std::string_view& in, double& out) {
  while (!in.empty() && in.front() == ' ') in.remove_prefix(1);
  std::size_t end = 0;
  while (end < in.size() && in[end] != ' ' && in[end] != '\n') ++end;
  if (end == 0) return false;
  const std::string token(in.substr(0, end));
  char* stop = nullptr;
  out = std::strtod(token.c_str(), &stop);
  if (stop != token.c_str() + token.size() || !std::isfinite(out)) return false;
  in.remove_prefix(end);
  return true;
}

}  // namespace

std::string EncodeSeriesKey(const SeriesKey& key) {
  std::string out;
  AppendField(out, key.ns);
  AppendField(out, key.name);
  for (const auto& [k, v] : key.dims) {
    AppendField(out, k);
    AppendField(out, v);
  }
  return out;
}

std::optional<SeriesKey> DecodeSeriesKey(std::string_view text) {
  SeriesKey key;
  if (!ReadField(text, key.ns) || !ReadField(text, key.name)) return std::nullopt;
  while (!text.empty()) {
    std::string k;
    std::string v;
    if (!ReadField(text, k) || !ReadField(text, v)) return std::nullopt;
    key.dims.emplace_back(std::move(k), std::move(v));
  }
  return key;
}

namespace {

bool ReadInt(std::string_view& in, std::int64_t& out) {
  while (!in.empty() && in.front() == ' ') in.remove_prefix(1);
  auto [ptr, ec] = std::from_chars(in.data(), in.data() + in.size(), out);
  if (ec != std::errc() || ptr == in.data()) return false;
  in.remove_prefix(static_cast<std::size_t>(ptr - in.data()));
  return true;
}

bool ReadChar(std::string_view& in, char c) {
  while (!in.empty() && in.front() == ' ') in.remove_prefix(1);
  if (in.empty() || in.front() != c) return false;
  in.remove_prefix(1);
  return true;
}

// A point of equal values (one value, or several the same) whose Sum is exactly value x count.
bool IsRun(const Aggregate& a) {
  return a.values_complete && a.values.empty() && a.min == a.max && a.sum == a.min * a.count;
}

constexpr std::string_view kV2 = "v2";

}  // namespace

// Version 2 (the previous binary wrote version 1, which DecodeChunk still reads):
//   v2 <number of units> <len:unit>...\n
// then a line per point, in time order:
//   <time> <unit index> r <value> <count>                      (a run of equal values)
//   <time> <unit index> f <sum> <count> <min> <max> <complete> <n> <value count>...
// <time> is the step from the previous point's timestamp (from 0 for the first): <k> for k
// minutes, @<k> for k milliseconds. Numbers are written in their shortest exact form.
std::string EncodeChunk(const PointList& points) {
  std::vector<std::string_view> units;
  for (const auto& [ts, point] : points) {
    if (std::find(units.begin(), units.end(), point.unit) == units.end()) {
      units.push_back(point.unit);
    }
  }
  std::string out(kV2);
  fmt::format_to(std::back_inserter(out), " {}", units.size());
  for (std::string_view u : units) {
    out.push_back(' ');
    AppendField(out, u);
  }
  out.push_back('\n');
  Millis previous = 0;
  for (const auto& [ts, point] : points) {
    const Millis step = ts - previous;
    previous = ts;
    const auto unit = std::find(units.begin(), units.end(), point.unit) - units.begin();
    if (step % 60'000 == 0) {
      fmt::format_to(std::back_inserter(out), "{} {}", step / 60'000, unit);
    } else {
      fmt::format_to(std::back_inserter(out), "@{} {}", step, unit);
    }
    const Aggregate& a = point.agg;
    if (IsRun(a)) {
      fmt::format_to(std::back_inserter(out), " r {} {}\n", a.min, a.count);
      continue;
    }
    fmt::format_to(std::back_inserter(out), " f {} {} {} {} {} {}", a.sum, a.count, a.min, a.max,
                   a.values_complete ? 1 : 0, a.values.size());
    for (const auto& [v, n] : a.values) fmt::format_to(std::back_inserter(out), " {} {}", v, n);
    out.push_back('\n');
  }
  return out;
}

namespace {

std::optional<PointList> DecodeV2(std::string_view text) {
  std::int64_t n_units = 0;
  if (!ReadInt(text, n_units) || n_units < 0 || n_units > 65'536) return std::nullopt;
  std::vector<std::string> units(static_cast<std::size_t>(n_units));
  for (std::string& u : units) {
    if (text.empty() || text.front() != ' ') return std::nullopt;
    text.remove_prefix(1);
    if (!ReadField(text, u)) return std::nullopt;
  }
  if (text.empty() || text.front() != '\n') return std::nullopt;
  text.remove_prefix(1);
  PointList points;
  std::int64_t ts = 0;
  while (!text.empty()) {
    std::int64_t step = 0;
    const bool ms = !text.empty() && text.front() == '@';
    if (ms) text.remove_prefix(1);
    if (!ReadInt(text, step)) return std::nullopt;  // negative: before 1970, the first point
    if (!ms && __builtin_mul_overflow(step, std::int64_t{60'000}, &step)) return std::nullopt;
    if (__builtin_add_overflow(ts, step, &ts) || ts >= 9'000'000'000'000'000'000 ||
        ts <= -9'000'000'000'000'000'000) {
      return std::nullopt;
    }
    std::int64_t unit = 0;
    if (!ReadInt(text, unit) || unit < 0 || unit >= n_units) return std::nullopt;
    Point p;
    p.unit = units[static_cast<std::size_t>(unit)];
    Aggregate& a = p.agg;
    if (ReadChar(text, 'r')) {
      double v = 0;
      if (!ReadDouble(text, v) || !ReadDouble(text, a.count)) return std::nullopt;
      a.min = a.max = v;
      a.sum = v * a.count;
      if (!std::isfinite(a.sum)) return std::nullopt;
    } else if (ReadChar(text, 'f')) {
      double complete = 0;
      std::int64_t n = 0;
      if (!ReadDouble(text, a.sum) || !ReadDouble(text, a.count) || !ReadDouble(text, a.min) ||
          !ReadDouble(text, a.max) || !ReadDouble(text, complete) || !ReadInt(text, n) || n < 0 ||
          n > static_cast<std::int64_t>(kMaxValuesPerPoint)) {
        return std::nullopt;
      }
      a.values_complete = complete != 0;
      for (std::int64_t i = 0; i < n; ++i) {
        double v = 0;
        double c = 0;
        if (!ReadDouble(text, v) || !ReadDouble(text, c)) return std::nullopt;
        a.values.emplace_back(v, c);
      }
      a.Normalize();
    } else {
      return std::nullopt;
    }
    if (text.empty() || text.front() != '\n') return std::nullopt;
    text.remove_prefix(1);
    points.emplace_back(ts, std::move(p));
  }
  std::stable_sort(points.begin(), points.end(), [](const auto& x, const auto& y) {
    return x.first != y.first ? x.first < y.first : x.second.unit < y.second.unit;
  });
  return points;
}

// Version 1, as the previous binary wrote it: a line per point,
//   <ts> <sum> <count> <min> <max> <complete> <len:unit> <n> <value count>...
std::optional<PointList> DecodeV1(std::string_view text) {
  PointList points;
  while (!text.empty()) {
    double ts = 0;
    double complete = 0;
    double n = 0;
    Point p;
    if (!ReadDouble(text, ts) || !ReadDouble(text, p.agg.sum) || !ReadDouble(text, p.agg.count) ||
        !ReadDouble(text, p.agg.min) || !ReadDouble(text, p.agg.max) ||
        !ReadDouble(text, complete)) {
      return std::nullopt;
    }
    if (text.empty() || text.front() != ' ') return std::nullopt;
    text.remove_prefix(1);
    // Every number must be finite, the timestamp an epoch millisecond (casts of others are
    // undefined) and n a count.
    if (!ReadField(text, p.unit) || !ReadDouble(text, n) || !(n >= 0) ||
        n > static_cast<double>(kMaxValuesPerPoint) || !(std::fabs(ts) < 9.0e18) ||
        ts != std::floor(ts)) {
      return std::nullopt;
    }
    p.agg.values_complete = complete != 0;
    for (int i = 0; i < static_cast<int>(n); ++i) {
      double v = 0;
      double c = 0;
      if (!ReadDouble(text, v) || !ReadDouble(text, c) || !std::isfinite(v) || !std::isfinite(c)) {
        return std::nullopt;
      }
      p.agg.values.emplace_back(v, c);
    }
    p.agg.Normalize();
    if (text.empty() || text.front() != '\n') return std::nullopt;
    text.remove_prefix(1);
    points.emplace_back(static_cast<Millis>(ts), std::move(p));
  }
  // Time order, then unit; a record written before points were kept per unit has one a minute.
  std::stable_sort(points.begin(), points.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second.unit < b.second.unit;
  });
  return points;
}

}  // namespace

std::optional<PointList> DecodeChunk(std::string_view text) {
  if (text.substr(0, kV2.size()) == kV2) return DecodeV2(text.substr(kV2.size()));
  return DecodeV1(text);
}

}  // namespace sluice::monitoring
