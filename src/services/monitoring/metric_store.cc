#include "services/monitoring/metric_store.h"

#include <fmt/format.h>

#include "engine/resource_store.h"

namespace sluice::monitoring {
namespace {

constexpr char kChunkKind[] = "monitoring.chunk";

Millis Floor(Millis t, Millis step) { return t >= 0 ? t - t % step : t - (step + t % step) % step; }

std::string ChunkName(Millis hour, const SeriesKey& key) {
  return fmt::format("{:016x}", static_cast<std::uint64_t>(hour)) + EncodeSeriesKey(key);
}

engine::ResourceScope ResourceScopeOf(const Scope& s) { return {s.account, s.region}; }

}  // namespace

Millis ResolutionForAge(Millis age) {
  if (age < 15 * kDay) return kMinute;
  if (age < 63 * kDay) return 5 * kMinute;
  if (age < 455 * kDay) return kHour;
  return 0;
}

Status MetricStore::Load() {
  if (resources_ == nullptr) return Status::Ok();
  const std::uint64_t remote = resources_->RemoteChanges(kChunkKind);
  auto scopes = resources_->Scopes(kChunkKind);
  if (!scopes.ok()) return scopes.status();
  std::lock_guard lock(mu_);
  data_.clear();
  synced_ = remote;
  for (const engine::ResourceScope& rs : *scopes) {
    auto records = resources_->List(kChunkKind, rs, {});
    if (!records.ok()) return records.status();
    for (const engine::ResourceRecord& r : *records) {
      if (r.name.size() < 16) continue;
      const Millis hour = static_cast<Millis>(std::stoull(r.name.substr(0, 16), nullptr, 16));
      auto key = DecodeSeriesKey(std::string_view(r.name).substr(16));
      auto points = DecodeChunk(r.value);
      if (!key || !points) {
        return Status(ErrorCode::kInternalError,
                      fmt::format("unreadable metric chunk {:?}", r.name));
      }
      SeriesData& series = data_[Scope{rs.account, rs.region}][*key];
      Chunk& chunk = series.chunks[hour];
      chunk.Assign(*points, series.units);
      chunk.version = r.version;
    }
  }
  return Status::Ok();
}

Status MetricStore::Write(const Scope& scope, const SeriesKey& key, Millis hour, SeriesData& series,
                          Chunk& chunk) {
  if (resources_ == nullptr) return Status::Ok();
  const std::string name = ChunkName(hour, key);
  if (chunk.empty()) {
    if (chunk.version == 0) return Status::Ok();
    Status st = resources_->Delete(kChunkKind, ResourceScopeOf(scope), name, engine::kAnyVersion);
    chunk.version = 0;
    return st;
  }
  auto version = resources_->Put(kChunkKind, ResourceScopeOf(scope), name,
                                 EncodeChunk(chunk.ToList(series.units)), "", chunk.version);
  if (!version.ok()) return version.status();
  chunk.version = *version;
  return Status::Ok();
}

Status MetricStore::Refresh() {
  if (resources_ == nullptr) return Status::Ok();
  {
    std::lock_guard lock(mu_);
    if (resources_->RemoteChanges(kChunkKind) == synced_) return Status::Ok();
  }
  return Load();
}

Status MetricStore::Reread(const Scope& scope, const SeriesKey& key, Millis hour,
                           SeriesData& series, Chunk& chunk) {
  auto r = resources_->Get(kChunkKind, ResourceScopeOf(scope), ChunkName(hour, key));
  if (!r.ok()) return r.status();
  chunk = Chunk();
  if (!r->has_value()) return Status::Ok();
  auto points = DecodeChunk((*r)->value);
  if (!points) return Status(ErrorCode::kInternalError, "unreadable metric chunk");
  chunk.Assign(*points, series.units);
  chunk.version = (*r)->version;
  return Status::Ok();
}

namespace {
void AddSample(Chunk& chunk, UnitTable& units, const Sample& s) {
  chunk.Add(Floor(s.timestamp, kMinute), units.IndexOf(s.unit), s.agg);
}
}  // namespace

Status MetricStore::Put(const Scope& scope, const std::vector<Sample>& samples) {
  std::lock_guard lock(mu_);
  auto& series_map = data_[scope];
  struct Dirty {
    SeriesData* series = nullptr;
    Chunk* chunk = nullptr;
    std::vector<const Sample*> samples;
  };
  std::map<std::pair<const SeriesKey*, Millis>, Dirty> dirty;
  for (const Sample& s : samples) {
    auto [it, inserted] = series_map.try_emplace(s.key);
    const Millis hour = Floor(Floor(s.timestamp, kMinute), kHour);
    Chunk& chunk = it->second.chunks[hour];
    AddSample(chunk, it->second.units, s);
    Dirty& d = dirty[{&it->first, hour}];
    d.series = &it->second;
    d.chunk = &chunk;
    d.samples.push_back(&s);
  }
  for (auto& [where, d] : dirty) {
    Status st = Write(scope, *where.first, where.second, *d.series, *d.chunk);
    // Another node sharing the store wrote the chunk: its points as stored, plus these samples.
    for (int attempt = 0; st.code() == engine::ResourceError::kConflict && attempt < 20;
         ++attempt) {
      if (Status r = Reread(scope, *where.first, where.second, *d.series, *d.chunk); !r.ok()) {
        return r;
      }
      for (const Sample* s : d.samples) AddSample(*d.chunk, d.series->units, *s);
      st = Write(scope, *where.first, where.second, *d.series, *d.chunk);
    }
    if (!st.ok()) return st;
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
  const auto& chunks = it->second.chunks;
  for (auto c = chunks.lower_bound(Floor(start, kHour)); c != chunks.end() && c->first < end; ++c) {
    c->second.AppendPoints(start, end, it->second.units, out);
  }
  return out;
}

std::vector<MetricStore::SeriesInfo> MetricStore::Series(const Scope& scope) const {
  std::vector<SeriesInfo> out;
  std::lock_guard lock(mu_);
  auto s = data_.find(scope);
  if (s == data_.end()) return out;
  for (const auto& [key, series] : s->second) {
    Millis last = 0;
    for (auto c = series.chunks.rbegin(); c != series.chunks.rend(); ++c) {
      if (!c->second.empty()) {
        last = c->second.Newest();
        break;
      }
    }
    if (last != 0) out.push_back({key, last});
  }
  return out;
}

Status MetricStore::Compact(Millis now) {
  std::lock_guard lock(mu_);
  for (auto& [scope, series_map] : data_) {
    for (auto s = series_map.begin(); s != series_map.end();) {
      auto& chunks = s->second.chunks;
      for (auto c = chunks.begin(); c != chunks.end();) {
        const Millis hour = c->first;
        const Millis resolution = ResolutionForAge(now - (hour + kHour));
        if (resolution == kMinute) break;  // chunks are in time order: the rest are younger
        Chunk& chunk = c->second;
        if (chunk.Rollup(resolution) || resolution == 0) {
          if (Status st = Write(scope, s->first, hour, s->second, chunk); !st.ok()) return st;
        }
        if (chunk.empty()) {
          c = chunks.erase(c);
        } else {
          ++c;
        }
      }
      if (chunks.empty()) {
        s = series_map.erase(s);
      } else {
        ++s;
      }
    }
  }
  return Status::Ok();
}

std::size_t MetricStore::SeriesCount() const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& [scope, m] : data_) n += m.size();
  return n;
}

}  // namespace sluice::monitoring
