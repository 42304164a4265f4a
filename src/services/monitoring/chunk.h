// Chunk: the points of one series in one hour as the metric store keeps them in memory. A point
// is 56 bytes (timestamp, Sum, SampleCount, Minimum, Maximum, a unit index, and a pointer to its
// raw values, set only while the minute holds several distinct values: percentiles need them).
// The unit is stored once per series (UnitTable), a point referring to it by index: a series can
// carry points of different units (AWS keeps them apart: a Unit filter selects its own), so a
// minute holds one point per unit published in it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "services/monitoring/series.h"

namespace sluice::monitoring {

// The units a series was published with, in order of first use.
class UnitTable {
 public:
  // Index of `unit`, added when new (a series with more than 65,535 units reuses the last).
  std::uint16_t IndexOf(std::string_view unit);
  const std::string& Name(std::uint16_t index) const;

 private:
  std::vector<std::string> units_;
};

struct StoredPoint {
  Millis ts = 0;
  double sum = 0;
  double count = 0;
  double min = 0;
  double max = 0;
  std::unique_ptr<std::vector<std::pair<double, double>>> values;  // Aggregate::values
  std::uint16_t unit = 0;
  bool complete = true;  // Aggregate::values_complete

  Aggregate ToAggregate() const;
  void Assign(const Aggregate& agg);
};

class Chunk {
 public:
  // Adds `agg` to the point of (ts, unit).
  void Add(Millis ts, std::uint16_t unit, const Aggregate& agg);
  // Points in [start, end), in time order, appended to `out`.
  void AppendPoints(Millis start, Millis end, const UnitTable& units, PointList& out) const;
  // Every point, for the codec; and back from it.
  PointList ToList(const UnitTable& units) const;
  void Assign(const PointList& points, UnitTable& units);
  bool empty() const { return points_.empty(); }
  std::size_t size() const { return points_.size(); }
  // Timestamp of the newest point (0: none).
  Millis Newest() const { return points_.empty() ? 0 : points_.back().ts; }
  // Merges the points into points at `resolution` (per unit) without raw values; resolution 0
  // drops them all. Returns true when the chunk changed.
  bool Rollup(Millis resolution);

  std::uint64_t version = 0;  // of its record; 0: not stored

 private:
  std::vector<StoredPoint> points_;  // sorted by (ts, unit)
};

}  // namespace sluice::monitoring
