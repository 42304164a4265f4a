#include "services/monitoring/series.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace sluice::monitoring {

void Aggregate::AddValue(double v, double n) {
  if (n <= 0) return;
  if (count <= 0) {
    min = max = v;
  } else {
    min = std::min(min, v);
    max = std::max(max, v);
  }
  sum += v * n;
  count += n;
  if (!values_complete) return;
  auto it = values.find(v);
  if (it != values.end()) {
    it->second += n;
  } else if (values.size() < kMaxValuesPerPoint) {
    values.emplace(v, n);
  } else {
    values_complete = false;
    values.clear();
  }
}

void Aggregate::AddSet(double sample_count, double s, double lo, double hi) {
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
  min = std::min(min, other.min);
  max = std::max(max, other.max);
  sum += other.sum;
  count += other.count;
  if (values_complete && other.values_complete) {
    for (const auto& [v, n] : other.values) values[v] += n;
    if (values.size() > kMaxValuesPerPoint) {
      values_complete = false;
      values.clear();
    }
  } else {
    values_complete = false;
    values.clear();
  }
}

std::optional<double> Aggregate::Percentile(double p) const {
  if (!values_complete || values.empty() || count <= 0) return std::nullopt;
  if (p <= 0) return values.begin()->first;
  // Nearest rank: the smallest value whose cumulative count reaches ceil(p/100 * N).
  double total = 0;
  for (const auto& [v, n] : values) total += n;
  const double rank = std::max(1.0, std::ceil(p / 100.0 * total - 1e-9));
  double seen = 0;
  for (const auto& [v, n] : values) {
    seen += n;
    if (seen >= rank) return v;
  }
  return values.rbegin()->first;
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

std::string EncodeChunk(const std::map<Millis, Point>& points) {
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

std::optional<std::map<Millis, Point>> DecodeChunk(std::string_view text) {
  std::map<Millis, Point> points;
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
      p.agg.values[v] += c;
    }
    if (text.empty() || text.front() != '\n') return std::nullopt;
    text.remove_prefix(1);
    points[static_cast<Millis>(ts)] = std::move(p);
  }
  return points;
}

}  // namespace sluice::monitoring
