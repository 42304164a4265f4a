#include "services/monitoring/chunk.h"

#include <algorithm>
#include <limits>

namespace sluice::monitoring {

std::uint16_t UnitTable::IndexOf(std::string_view unit) {
  for (std::size_t i = 0; i < units_.size(); ++i) {
    if (units_[i] == unit) return static_cast<std::uint16_t>(i);
  }
  constexpr std::size_t kMax = std::numeric_limits<std::uint16_t>::max();
  if (units_.size() > kMax) return static_cast<std::uint16_t>(kMax);
  units_.emplace_back(unit);
  return static_cast<std::uint16_t>(units_.size() - 1);
}

const std::string& UnitTable::Name(std::uint16_t index) const {
  static const std::string kNone;
  return index < units_.size() ? units_[index] : kNone;
}

Aggregate StoredPoint::ToAggregate() const {
  Aggregate a;
  a.sum = sum;
  a.count = count;
  a.min = min;
  a.max = max;
  a.values_complete = complete;
  if (values) a.values = *values;
  return a;
}

void StoredPoint::Assign(const Aggregate& agg) {
  sum = agg.sum;
  count = agg.count;
  min = agg.min;
  max = agg.max;
  complete = agg.values_complete;
  if (agg.values.empty()) {
    values.reset();
  } else {
    values = std::make_unique<std::vector<std::pair<double, double>>>(agg.values);
    values->shrink_to_fit();
  }
}

void Chunk::Add(Millis ts, std::uint16_t unit, const Aggregate& agg) {
  auto it = std::lower_bound(points_.begin(), points_.end(), std::make_pair(ts, unit),
                             [](const StoredPoint& p, const std::pair<Millis, std::uint16_t>& k) {
                               return std::make_pair(p.ts, p.unit) < k;
                             });
  if (it == points_.end() || it->ts != ts || it->unit != unit) {
    it = points_.insert(it, StoredPoint{});
    it->ts = ts;
    it->unit = unit;
    it->count = 0;
  }
  Aggregate merged = it->ToAggregate();
  merged.Merge(agg);
  it->Assign(merged);
}

void Chunk::AppendPoints(Millis start, Millis end, const UnitTable& units, PointList& out) const {
  auto it = std::lower_bound(points_.begin(), points_.end(), start,
                             [](const StoredPoint& p, Millis t) { return p.ts < t; });
  for (; it != points_.end() && it->ts < end; ++it) {
    out.emplace_back(it->ts, Point{it->ToAggregate(), units.Name(it->unit)});
  }
}

PointList Chunk::ToList(const UnitTable& units) const {
  PointList out;
  out.reserve(points_.size());
  AppendPoints(std::numeric_limits<Millis>::min(), std::numeric_limits<Millis>::max(), units, out);
  return out;
}

void Chunk::Assign(const PointList& points, UnitTable& units) {
  points_.clear();
  for (const auto& [ts, point] : points) Add(ts, units.IndexOf(point.unit), point.agg);
  points_.shrink_to_fit();
}

bool Chunk::Rollup(Millis resolution) {
  if (resolution <= 0) {
    const bool changed = !points_.empty();
    points_.clear();
    points_.shrink_to_fit();
    return changed;
  }
  std::vector<StoredPoint> rolled;
  bool changed = false;
  for (StoredPoint& p : points_) {
    const Millis ts = p.ts - ((p.ts % resolution) + resolution) % resolution;
    changed = changed || ts != p.ts || p.complete;
    StoredPoint* into = nullptr;
    for (auto r = rolled.rbegin(); r != rolled.rend() && r->ts == ts; ++r) {
      if (r->unit == p.unit) into = &*r;
    }
    if (into == nullptr) {
      p.ts = ts;
      p.complete = false;
      p.values.reset();
      rolled.push_back(std::move(p));
      continue;
    }
    changed = true;
    into->min = std::min(into->min, p.min);
    into->max = std::max(into->max, p.max);
    into->sum += p.sum;
    into->count += p.count;
  }
  std::sort(rolled.begin(), rolled.end(), [](const StoredPoint& a, const StoredPoint& b) {
    return a.ts != b.ts ? a.ts < b.ts : a.unit < b.unit;
  });
  points_ = std::move(rolled);
  points_.shrink_to_fit();
  return changed;
}

}  // namespace sluice::monitoring
