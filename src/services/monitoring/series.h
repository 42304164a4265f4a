// Metric series and their per-period aggregates: the statistics CloudWatch answers (Sum, Average,
// Minimum, Maximum, SampleCount, percentiles pNN) over datapoints, and the compact text codec
// the metric store writes through to the resource store.
//
// Percentiles are computed from the raw values kept per point (value, count), nearest rank as
// CloudWatch does; a point keeps at most kMaxValuesPerPoint distinct values (the rest still
// count in Sum/Min/Max/SampleCount). Points rolled up to 5-minute and 1-hour resolution keep no
// raw values: percentiles over them are absent.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"

namespace sluice::monitoring {

using Dimensions = std::vector<std::pair<std::string, std::string>>;  // sorted by name, unique

struct SeriesKey {
  std::string ns;
  std::string name;
  Dimensions dims;
  auto operator<=>(const SeriesKey&) const = default;
  bool operator==(const SeriesKey&) const = default;
};

// Scope of a series: account and region.
struct Scope {
  std::string account;
  std::string region;
  auto operator<=>(const Scope&) const = default;
  bool operator==(const Scope&) const = default;
};

inline constexpr std::size_t kMaxValuesPerPoint = 1000;

struct Aggregate {
  double sum = 0;
  double count = 0;  // SampleCount
  double min = 0;
  double max = 0;
  std::map<double, double> values;  // raw value -> count, for percentiles
  bool values_complete = true;      // false: a statistic set or a rollup contributed

  bool empty() const { return count <= 0; }
  void AddValue(double v, double n = 1);
  void AddSet(double sample_count, double sum, double min, double max);
  void Merge(const Aggregate& other);
  double Average() const { return count > 0 ? sum / count : 0; }
  // pNN (0 < p <= 100), nearest rank over the raw values; nullopt without complete values.
  std::optional<double> Percentile(double p) const;
};

// One stored point: its aggregate and its unit ("" = none given).
struct Point {
  Aggregate agg;
  std::string unit;
};

// Statistic names: "Sum", "Average", "Minimum", "Maximum", "SampleCount", or "pNN[.N]".
// Returns the value of `stat` over `agg`, nullopt when it cannot be computed (percentile without
// raw values) or the name is not a statistic.
std::optional<double> StatisticOf(const Aggregate& agg, std::string_view stat);
// True for "p0".."p100" with up to two decimals (AWS's percentile syntax).
bool IsPercentile(std::string_view stat, double* p = nullptr);

// Encoding of a chunk (the points of one series in one hour) for the resource store.
std::string EncodeChunk(const std::map<Millis, Point>& points);
std::optional<std::map<Millis, Point>> DecodeChunk(std::string_view text);
std::string EncodeSeriesKey(const SeriesKey& key);
std::optional<SeriesKey> DecodeSeriesKey(std::string_view text);

}  // namespace sluice::monitoring
