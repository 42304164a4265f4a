#include "services/monitoring/metric_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <string_view>

#include "engine/resource_store.h"

namespace sluice::monitoring {
namespace {

// The `now` of the last completed Compact, so that a start does not read every old chunk again.
constexpr char kStoreKind[] = "monitoring.store";
constexpr char kCompactedName[] = "compacted";
const engine::ResourceScope kStoreScope{"", ""};
constexpr std::size_t kLoadPage = 1024;  // records listed at a time at start-up

Millis Floor(Millis t, Millis step) { return t >= 0 ? t - t % step : t - (step + t % step) % step; }

std::string ChunkName(Millis hour, const SeriesKey& key) {
  return fmt::format("{:016x}", static_cast<std::uint64_t>(hour)) + EncodeSeriesKey(key);
}

engine::ResourceScope ResourceScopeOf(const Scope& s) { return {s.account, s.region}; }

std::uint32_t HourIndex(Millis hour) { return static_cast<std::uint32_t>(hour / kHour); }
Millis HourAt(std::uint32_t index) { return static_cast<Millis>(index) * kHour; }

void AddHour(std::vector<std::uint32_t>& hours, Millis hour) {
  const std::uint32_t h = HourIndex(hour);
  auto it = std::lower_bound(hours.begin(), hours.end(), h);
  if (it == hours.end() || *it != h) hours.insert(it, h);
}

void RemoveHour(std::vector<std::uint32_t>& hours, Millis hour) {
  const std::uint32_t h = HourIndex(hour);
  auto it = std::lower_bound(hours.begin(), hours.end(), h);
  if (it != hours.end() && *it == h) hours.erase(it);
}

Status Unreadable(std::string_view name) {
  return Status(ErrorCode::kInternalError, fmt::format("unreadable metric chunk {:?}", name));
}

}  // namespace

Millis ResolutionForAge(Millis age) {
  if (age < 15 * kDay) return kMinute;
  if (age < 63 * kDay) return 5 * kMinute;
  if (age < 455 * kDay) return kHour;
  return 0;
}

Status MetricStore::Load() {
  std::lock_guard lock(mu_);
  return LoadLocked();
}

// Lists every record page by page (names only matter, except for resident hours), so that the
// transient memory stays bounded; decodes the resident chunks, and the newest chunk of every
// series that has none resident (for its newest timestamp).
Status MetricStore::LoadLocked() {
  data_.clear();
  cache_.clear();
  cache_index_.clear();
  compacted_at_ = 0;
  if (clock_ != nullptr) resident_from_ = Floor(clock_->NowMs(), kHour) - options_.resident;
  if (resources_ == nullptr) return Status::Ok();
  synced_ = resources_->RemoteChanges(kChunkKind);
  auto compacted = resources_->Get(kStoreKind, kStoreScope, kCompactedName);
  if (!compacted.ok()) return compacted.status();
  if (compacted->has_value()) {
    const std::string& v = (*compacted)->value;
    std::from_chars(v.data(), v.data() + v.size(), compacted_at_);
  }
  auto scopes = resources_->Scopes(kChunkKind);
  if (!scopes.ok()) return scopes.status();
  for (const engine::ResourceScope& rs : *scopes) {
    const Scope scope{rs.account, rs.region};
    SeriesMap& series_map = data_[scope];
    std::map<std::string, SeriesData*, std::less<>> by_text;  // encoded key -> its series
    std::string after;
    for (;;) {
      engine::ResourceStore::ListOptions options;
      options.start_after = after;
      options.limit = kLoadPage;
      auto records = resources_->List(kChunkKind, rs, options);
      if (!records.ok()) return records.status();
      for (const engine::ResourceRecord& r : *records) {
        if (r.name.size() < 16) continue;
        const std::string_view text = std::string_view(r.name).substr(16);
        std::uint64_t hour_bits = 0;
        auto [end, ec] = std::from_chars(r.name.data(), r.name.data() + 16, hour_bits, 16);
        if (ec != std::errc() || end != r.name.data() + 16) return Unreadable(r.name);
        const auto hour = static_cast<Millis>(hour_bits);
        auto known = by_text.find(text);
        if (known == by_text.end()) {
          auto key = DecodeSeriesKey(text);
          if (!key) return Unreadable(r.name);
          known = by_text.emplace(std::string(text), &series_map[std::move(*key)]).first;
        }
        SeriesData& series = *known->second;
        AddHour(series.stored, hour);
        if (!Resident(hour)) continue;
        auto points = DecodeChunk(r.value);
        if (!points) return Unreadable(r.name);
        Chunk& chunk = series.chunks[hour];
        chunk.Assign(*points, series.units);
        chunk.version = r.version;
        series.last = std::max(series.last, chunk.Newest());
      }
      if (records->size() < kLoadPage) break;
      after = records->back().name;
    }
    for (auto& [key, series] : series_map) {
      if (!series.chunks.empty() || series.stored.empty()) continue;
      Chunk newest;
      if (Status st = Reread(scope, key, HourAt(series.stored.back()), series, newest); !st.ok()) {
        return st;
      }
      series.last = newest.Newest();
    }
  }
  return Status::Ok();
}

Status MetricStore::Refresh() {
  if (resources_ == nullptr) return Status::Ok();
  std::lock_guard lock(mu_);
  if (resources_->RemoteChanges(kChunkKind) == synced_) return Status::Ok();
  return LoadLocked();
}

Status MetricStore::Write(const Scope& scope, const SeriesKey& key, Millis hour, SeriesData& series,
                          Chunk& chunk) {
  if (resources_ == nullptr) return Status::Ok();
  const std::string name = ChunkName(hour, key);
  if (chunk.empty()) {
    if (chunk.version == 0) return Status::Ok();
    Status st = resources_->Delete(kChunkKind, ResourceScopeOf(scope), name, engine::kAnyVersion);
    chunk.version = 0;
    if (st.ok() || st.code() == engine::ResourceError::kNotFound) RemoveHour(series.stored, hour);
    return st;
  }
  auto version = resources_->Put(kChunkKind, ResourceScopeOf(scope), name,
                                 EncodeChunk(chunk.ToList(series.units)), "", chunk.version);
  if (!version.ok()) return version.status();
  chunk.version = *version;
  AddHour(series.stored, hour);
  return Status::Ok();
}

Status MetricStore::Reread(const Scope& scope, const SeriesKey& key, Millis hour,
                           const SeriesData& series, Chunk& chunk) const {
  chunk = Chunk();
  if (resources_ == nullptr) return Status::Ok();
  const std::string name = ChunkName(hour, key);
  auto r = resources_->Get(kChunkKind, ResourceScopeOf(scope), name);
  if (!r.ok()) return r.status();
  if (!r->has_value()) return Status::Ok();
  auto points = DecodeChunk((*r)->value);
  if (!points) return Unreadable(name);
  chunk.Assign(*points, series.units);
  chunk.version = (*r)->version;
  return Status::Ok();
}

Result<Chunk*> MetricStore::Cached(const Scope& scope, const SeriesKey& key,
                                   const SeriesData& series, Millis hour) const {
  const CacheKey where{&series, hour};
  if (auto it = cache_index_.find(where); it != cache_index_.end()) {
    cache_.splice(cache_.begin(), cache_, it->second);
    return &it->second->second;
  }
  while (!cache_.empty() && cache_.size() >= std::max<std::size_t>(options_.cache_chunks, 1)) {
    cache_index_.erase(cache_.back().first);
    cache_.pop_back();
  }
  Chunk chunk;
  if (Status st = Reread(scope, key, hour, series, chunk); !st.ok()) return st;
  cache_.emplace_front(where, std::move(chunk));
  cache_index_[where] = cache_.begin();
  return &cache_.front().second;
}

void MetricStore::Forget(const SeriesData& series) const {
  for (auto it = cache_index_.lower_bound(CacheKey{&series, std::numeric_limits<Millis>::min()});
       it != cache_index_.end() && it->first.series == &series;) {
    cache_.erase(it->second);
    it = cache_index_.erase(it);
  }
}

Status MetricStore::Put(const Scope& scope, const std::vector<Sample>& samples) {
  std::lock_guard lock(mu_);
  auto& series_map = data_[scope];
  // The samples by series and hour: each chunk is changed and written once.
  std::map<std::pair<SeriesData*, Millis>, std::pair<const SeriesKey*, std::vector<const Sample*>>>
      groups;
  for (const Sample& s : samples) {
    auto it = series_map.try_emplace(s.key).first;
    auto& group = groups[{&it->second, Floor(Floor(s.timestamp, kMinute), kHour)}];
    group.first = &it->first;
    group.second.push_back(&s);
  }
  for (auto& [where, group] : groups) {
    auto [series, hour] = where;
    const SeriesKey& key = *group.first;
    Chunk* chunk = nullptr;
    if (Resident(hour)) {
      chunk = &series->chunks[hour];
    } else {
      auto cached = Cached(scope, key, *series, hour);
      if (!cached.ok()) return cached.status();
      chunk = *cached;
    }
    auto add = [&] {
      for (const Sample* s : group.second) {
        chunk->Add(Floor(s->timestamp, kMinute), series->units.IndexOf(s->unit), s->agg);
      }
    };
    add();
    Status st = Write(scope, key, hour, *series, *chunk);
    // Another node sharing the store wrote the chunk: its points as stored, plus these samples.
    for (int attempt = 0; st.code() == engine::ResourceError::kConflict && attempt < 20;
         ++attempt) {
      if (Status r = Reread(scope, key, hour, *series, *chunk); !r.ok()) return r;
      add();
      st = Write(scope, key, hour, *series, *chunk);
    }
    if (!st.ok()) return st;
    series->last = std::max(series->last, chunk->Newest());
  }
  return Status::Ok();
}

std::vector<std::pair<Millis, Point>> MetricStore::Points(const Scope& scope, const SeriesKey& key,
                                                          Millis start, Millis end) const {
  std::vector<std::pair<Millis, Point>> out;
  std::lock_guard lock(mu_);
  auto s = data_.find(scope);
  if (s == data_.end()) return out;
  auto it = s->second.find(key);
  if (it == s->second.end()) return out;
  const SeriesData& series = it->second;
  const Millis first = Floor(start, kHour);
  // Stored hours that are not resident, then the resident chunks (all younger).
  if (Evicting() && first < resident_from_) {
    for (auto h = std::lower_bound(series.stored.begin(), series.stored.end(), HourIndex(first));
         h != series.stored.end() && HourAt(*h) < std::min(end, resident_from_); ++h) {
      auto chunk = Cached(scope, key, series, HourAt(*h));
      if (chunk.ok()) (*chunk)->AppendPoints(start, end, series.units, out);
    }
  }
  for (auto c = series.chunks.lower_bound(first); c != series.chunks.end() && c->first < end; ++c) {
    c->second.AppendPoints(start, end, series.units, out);
  }
  return out;
}

std::vector<MetricStore::SeriesInfo> MetricStore::Series(const Scope& scope) const {
  std::vector<SeriesInfo> out;
  std::lock_guard lock(mu_);
  auto s = data_.find(scope);
  if (s == data_.end()) return out;
  for (const auto& [key, series] : s->second) {
    if (series.last != 0) out.push_back({key, series.last});
  }
  return out;
}

void MetricStore::Evict(Millis now) {
  std::lock_guard lock(mu_);
  if (!Evicting()) return;
  resident_from_ = std::max(resident_from_, Floor(now, kHour) - options_.resident);
  for (auto& [scope, series_map] : data_) {
    for (auto& [key, series] : series_map) {
      auto& chunks = series.chunks;
      chunks.erase(chunks.begin(), chunks.lower_bound(resident_from_));
    }
  }
}

// The hours whose resolution changed since the last compaction (every old hour the first time
// after a load), one chunk at a time.
Status MetricStore::CompactSeries(const Scope& scope, const SeriesKey& key, SeriesData& series,
                                  Millis now) {
  const std::vector<std::uint32_t> hours = series.stored;  // Write changes it
  std::vector<Millis> candidates;
  for (std::uint32_t h : hours) candidates.push_back(HourAt(h));
  if (!Evicting()) {
    for (const auto& [hour, chunk] : series.chunks) candidates.push_back(hour);
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  }
  for (Millis hour : candidates) {
    const Millis resolution = ResolutionForAge(now - (hour + kHour));
    if (resolution == kMinute) break;  // in time order: the rest are younger
    if (compacted_at_ != 0 && resolution != 0 &&
        ResolutionForAge(compacted_at_ - (hour + kHour)) == resolution) {
      continue;  // rolled up to this resolution already
    }
    Chunk* chunk = nullptr;
    Chunk read;
    const bool resident = series.chunks.count(hour) != 0;
    if (resident) {
      chunk = &series.chunks[hour];
    } else {
      if (Status st = Reread(scope, key, hour, series, read); !st.ok()) return st;
      chunk = &read;
    }
    if (chunk->Rollup(resolution) || resolution == 0) {
      if (Status st = Write(scope, key, hour, series, *chunk); !st.ok()) return st;
    }
    if (hour == Floor(series.last, kHour)) series.last = chunk->Newest();
    if (resident && chunk->empty()) series.chunks.erase(hour);  // last: `chunk` goes with it
  }
  return Status::Ok();
}

Status MetricStore::Compact(Millis now) {
  std::lock_guard lock(mu_);
  for (auto& [scope, series_map] : data_) {
    for (auto s = series_map.begin(); s != series_map.end();) {
      Forget(s->second);  // what it rolls up is read again
      if (Status st = CompactSeries(scope, s->first, s->second, now); !st.ok()) return st;
      if (s->second.stored.empty() && s->second.chunks.empty()) {
        s = series_map.erase(s);
      } else {
        ++s;
      }
    }
  }
  compacted_at_ = now;
  if (resources_ == nullptr) return Status::Ok();
  auto stored = resources_->Update(kStoreKind, kStoreScope, kCompactedName,
                                   [&](const std::optional<engine::ResourceRecord>&)
                                       -> Result<std::optional<engine::ResourceRecord>> {
                                     engine::ResourceRecord r;
                                     r.value = std::to_string(now);
                                     return std::optional<engine::ResourceRecord>(std::move(r));
                                   });
  return stored.ok() ? Status::Ok() : stored.status();
}

std::size_t MetricStore::SeriesCount() const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& [scope, m] : data_) n += m.size();
  return n;
}

std::size_t MetricStore::ChunksInMemory() const {
  std::lock_guard lock(mu_);
  std::size_t n = cache_.size();
  for (const auto& [scope, m] : data_) {
    for (const auto& [key, series] : m) n += series.chunks.size();
  }
  return n;
}

}  // namespace sluice::monitoring
