// Metric series and their per-period aggregates: the statistics CloudWatch answers (Sum, Average,
// Minimum, Maximum, SampleCount, percentiles pNN) over datapoints, and the compact text codec
// the metric store writes through to the resource store.
//
// Percentiles are computed from the raw values kept per point (value, count), nearest rank as
// CloudWatch does; a point keeps at most kMaxValuesPerPoint distinct values (the rest still
// count in Sum/Min/Max/SampleCount). A point whose values are all equal (a single value, the
// common case) keeps no list: its percentiles are its Minimum. A statistic set counts as raw
// values when AWS says it does (Minimum == Maximum and Sum == Minimum x SampleCount); any other
// makes the point's percentiles absent, as on AWS. Points rolled up to 5-minute and 1-hour
// resolution keep no raw values: percentiles over them are absent.
#pragma once

#include <cstdint>
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
  // Raw values for percentiles as (value, count), sorted by value, unique; empty while every
  // value equals min (== max), which needs no list.
  std::vector<std::pair<double, double>> values;
  bool values_complete = true;  // false: a statistic set or a rollup contributed

  bool empty() const { return count <= 0; }
  void AddValue(double v, double n = 1);
  void AddSet(double sample_count, double sum, double min, double max);
  void Merge(const Aggregate& other);
  double Average() const { return count > 0 ? sum / count : 0; }
  // pNN (0 < p <= 100), nearest rank over the raw values; nullopt without complete values.
  std::optional<double> Percentile(double p) const;
  // Restores the invariants of `values` after it was filled from outside (a decoded record):
  // sorted, unique, no list when every value is the same.
  void Normalize();
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

// Encoding of a chunk (the points of one series in one hour) for the resource store: one line
// per point and unit, in time order (a minute holds one point per unit published in it).
using PointList = std::vector<std::pair<Millis, Point>>;
std::string EncodeChunk(const PointList& points);
std::optional<PointList> DecodeChunk(std::string_view text);
std::string EncodeSeriesKey(const SeriesKey& key);
std::optional<SeriesKey> DecodeSeriesKey(std::string_view text);

}  // namespace sluice::monitoring
