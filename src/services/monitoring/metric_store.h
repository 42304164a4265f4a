// MetricStore: the bounded time-series store behind CloudWatch. Every series keeps its points in
// one-hour chunks in memory, written through to the resource store (kind "monitoring.chunk", one
// record per series and hour) before a write returns, and loaded from it at start.
//
// Retention as AWS keeps data: points at 1-minute resolution for 15 days, rolled up to 5 minutes
// until 63 days, to 1 hour until 455 days, then dropped (Compact, run by the owner every hour of
// the clock). Timestamps are aligned down to the minute (high-resolution StorageResolution=1 data
// is stored at 1-minute resolution).
//
// Thread-safety: every method may be called concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "services/monitoring/chunk.h"
#include "services/monitoring/series.h"

namespace sluice::engine {
class ResourceStore;
}  // namespace sluice::engine

namespace sluice::monitoring {

inline constexpr Millis kMinute = 60'000;
inline constexpr Millis kHour = 60 * kMinute;
inline constexpr Millis kDay = 24 * kHour;

struct Sample {
  SeriesKey key;
  Millis timestamp = 0;
  Aggregate agg;
  std::string unit;
};

class MetricStore {
 public:
  // `resources` may be null: memory only.
  explicit MetricStore(engine::ResourceStore* resources) : resources_(resources) {}

  // Loads every stored chunk. Call once before use.
  Status Load();
  // Loads every chunk again when other nodes sharing the store wrote chunks since the last load
  // (engine::ResourceStore::RemoteChanges).
  Status Refresh();
  // Adds the samples, durable when it returns. A chunk another node wrote meanwhile is read
  // again and the samples added to it (the points of every node add up).
  Status Put(const Scope& scope, const std::vector<Sample>& samples);
  // The points of one series with timestamps in [start, end), in time order.
  std::vector<std::pair<Millis, Point>> Points(const Scope& scope, const SeriesKey& key,
                                               Millis start, Millis end) const;
  struct SeriesInfo {
    SeriesKey key;
    Millis last = 0;  // timestamp of its newest point
  };
  // Every series of `scope` with a point, in key order.
  std::vector<SeriesInfo> Series(const Scope& scope) const;
  // Rolls up and drops points by age relative to `now`.
  Status Compact(Millis now);
  // Number of series and points held (for tests and /metrics).
  std::size_t SeriesCount() const;

 private:
  struct SeriesData {
    UnitTable units;
    std::map<Millis, Chunk> chunks;  // by hour
  };
  Status Write(const Scope& scope, const SeriesKey& key, Millis hour, SeriesData& series,
               Chunk& chunk);
  // The chunk as stored (none: empty, version 0).
  Status Reread(const Scope& scope, const SeriesKey& key, Millis hour, SeriesData& series,
                Chunk& chunk);

  engine::ResourceStore* resources_;
  mutable std::mutex mu_;
  std::map<Scope, std::map<SeriesKey, SeriesData>> data_;
  std::uint64_t synced_ = 0;  // the store's RemoteChanges of chunks when loaded
};

// Resolution of stored points of this age (1 minute, 5 minutes, 1 hour), 0 past retention.
Millis ResolutionForAge(Millis age);

}  // namespace sluice::monitoring
