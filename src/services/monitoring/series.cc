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
      const ValueList a = ListOf(*this);
      const ValueList b = ListOf(other);
      ValueList merged;
      merged.reserve(a.size() + b.size());
      auto i = a.begin();
      auto j = b.begin();
      while (i != a.end() || j != b.end()) {
        if (j == b.end() || (i != a.end() && i->first < j->first)) {
          merged.push_back(*i++);
        } else if (i == a.end() || j->first < i->first) {
          merged.push_back(*j++);
        } else {
          merged.emplace_back(i->first, i->second + j->second);
          ++i;
          ++j;
        }
      }
      values = std::move(merged);
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

std::string EncodeChunk(const PointList& points) {
  std::string out;
  for (const auto& [ts, point] : points) {
    const Aggregate& a = point.agg;
    fmt::format_to(std::back_inserter(out), "{} {:.17g} {:.17g} {:.17g} {:.17g} {} ", ts, a.sum,
                   a.count, a.min, a.max, a.values_complete ? 1 : 0);
    AppendField(out, point.unit);
    fmt::format_to(std::back_inserter(out), " {}", a.values.size());
    for (const auto& [v, n] : a.values)
      fmt::format_to(std::back_inserter(out), " {:.17g} {:.17g}", v, n);
    out.push_back('\n');
  }
  return out;
}

std::optional<PointList> DecodeChunk(std::string_view text) {
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

}  // namespace sluice::monitoring
