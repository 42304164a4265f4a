// MetricStore: the bounded time-series store behind CloudWatch. Every series keeps its points in
// one-hour chunks, written through to the resource store (kind "monitoring.chunk", one record per
// series and hour) before a write returns.
//
// Memory: with a clock and a resource store, only the chunks of the last `resident` hours of the
// clock stay in memory (what dashboards, recent queries and most alarms read), beside an index of
// every series (its key, units, newest timestamp and which hours are stored: 4 bytes an hour).
// A query or a write that reaches an older hour reads its chunk from the resource store through
// a small LRU cache. Start-up loads the index and the resident chunks only; the hourly Compact
// reads the chunks it rolls up one at a time. Without a clock or a resource store every chunk
// stays in memory.
//
// Retention as AWS keeps data: points at 1-minute resolution for 15 days, rolled up to 5 minutes
// until 63 days, to 1 hour until 455 days, then dropped (Compact, run by the owner every hour of
// the clock). Timestamps are aligned down to the minute (high-resolution StorageResolution=1 data
// is stored at 1-minute resolution).
//
// Thread-safety: every method may be called concurrently.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "services/monitoring/chunk.h"
#include "services/monitoring/series.h"

namespace sluice::engine {
class ResourceStore;
}  // namespace sluice::engine

namespace sluice::monitoring {

// The resource-store kind of the chunks: a "cold" kind on the embedded store (the application
// opens the resource store with it, engine/resource_store.h), whose values stay on disk.
inline constexpr char kChunkKind[] = "monitoring.chunk";

inline constexpr Millis kMinute = 60'000;
inline constexpr Millis kHour = 60 * kMinute;
inline constexpr Millis kDay = 24 * kHour;

struct Sample {
  SeriesKey key;
  Millis timestamp = 0;
  Aggregate agg;
  std::string unit;
};

struct MetricStoreOptions {
  Millis resident = 3 * kHour;      // chunks of hours this recent stay in memory
  std::size_t cache_chunks = 4096;  // older chunks kept after a read (LRU)
};

class MetricStore {
 public:
  // `resources` may be null: memory only. `clock` null: every chunk stays in memory.
  explicit MetricStore(engine::ResourceStore* resources, const Clock* clock = nullptr,
                       MetricStoreOptions options = {})
      : resources_(resources), clock_(clock), options_(options) {}

  // Loads the index of every stored series and the resident chunks. Call once before use.
  Status Load();
  // Loads again when other nodes sharing the store wrote chunks since the last load
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
  // Rolls up and drops points by age relative to `now`, reading and writing one chunk at a time,
  // only the hours whose resolution changed since the previous call (kept in the resource store:
  // the first call on a store the previous binary wrote reads every hour older than 15 days).
  Status Compact(Millis now);
  // Lets go of the chunks older than the resident window of `now` (they stay stored).
  void Evict(Millis now);
  // Number of series held, and of chunks in memory (resident and cached), for tests and /metrics.
  std::size_t SeriesCount() const;
  std::size_t ChunksInMemory() const;

 private:
  struct SeriesData {
    mutable UnitTable units;            // grows when a chunk read from the store names a new unit
    Millis last = 0;                    // newest point
    std::vector<std::uint32_t> stored;  // hours (epoch hours) with a stored record, sorted
    std::map<Millis, Chunk> chunks;     // resident chunks by hour
  };
  using SeriesMap = std::map<SeriesKey, SeriesData>;
  struct CacheKey {
    const SeriesData* series;
    Millis hour;
    auto operator<=>(const CacheKey&) const = default;
  };

  bool Evicting() const { return resources_ != nullptr && clock_ != nullptr; }
  bool Resident(Millis hour) const { return !Evicting() || hour >= resident_from_; }
  // The chunk of a hour that is not resident: cached, or read from the store into the cache
  // (empty when none is stored). Valid until the next call.
  Result<Chunk*> Cached(const Scope& scope, const SeriesKey& key, const SeriesData& series,
                        Millis hour) const;
  void Forget(const SeriesData& series) const;  // its cached chunks
  Status Write(const Scope& scope, const SeriesKey& key, Millis hour, SeriesData& series,
               Chunk& chunk);
  // The chunk as stored (none: empty, version 0).
  Status Reread(const Scope& scope, const SeriesKey& key, Millis hour, const SeriesData& series,
                Chunk& chunk) const;
  Status LoadLocked();
  Status CompactSeries(const Scope& scope, const SeriesKey& key, SeriesData& series, Millis now);

  engine::ResourceStore* resources_;
  const Clock* clock_;
  MetricStoreOptions options_;
  mutable std::mutex mu_;
  std::map<Scope, SeriesMap> data_;
  Millis resident_from_ = 0;  // hours from it on are resident (when evicting)
  Millis compacted_at_ = 0;   // `now` of the last Compact (0: none since the load)
  std::uint64_t synced_ = 0;  // the store's RemoteChanges of chunks when loaded
  // Older chunks read lately, most recent first.
  mutable std::list<std::pair<CacheKey, Chunk>> cache_;
  mutable std::map<CacheKey, std::list<std::pair<CacheKey, Chunk>>::iterator> cache_index_;
};

// Resolution of stored points of this age (1 minute, 5 minutes, 1 hour), 0 past retention.
Millis ResolutionForAge(Millis age);

}  // namespace sluice::monitoring
