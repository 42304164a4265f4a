// The metric store: write-through and reload, retention and rollups by age.
#include "services/monitoring/metric_store.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/resource_store.h"

namespace sluice::monitoring {
namespace {

const Scope kScope{"000000000000", "us-east-1"};
const SeriesKey kKey{"App", "Latency", {{"Api", "get"}}};
constexpr Millis kT0 = 1'700'000'040'000;  // a minute boundary

Sample At(Millis ts, double v) {
  Sample s;
  s.key = kKey;
  s.timestamp = ts;
  s.agg.AddValue(v);
  s.unit = "Milliseconds";
  return s;
}

TEST(MetricStore, PointsAreAlignedToTheMinuteAndMerged) {
  MetricStore store(nullptr);
  ASSERT_TRUE(
      store.Put(kScope, {At(kT0 + 1'000, 1), At(kT0 + 59'000, 3), At(kT0 + 60'000, 5)}).ok());
  auto points = store.Points(kScope, kKey, kT0, kT0 + 2 * kMinute);
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].first, kT0);
  EXPECT_EQ(points[0].second.agg.sum, 4);
  EXPECT_EQ(points[0].second.agg.count, 2);
  EXPECT_EQ(points[1].second.agg.sum, 5);
  EXPECT_TRUE(store.Points(kScope, SeriesKey{"App", "Latency", {}}, kT0, kT0 + kHour).empty());
  EXPECT_TRUE(store.Points(Scope{"111111111111", "us-east-1"}, kKey, kT0, kT0 + kHour).empty());
}

// Two nodes sharing one store (as on PostgreSQL): each writes its own samples to the same series
// and hour; a write that finds the chunk changed by the other reads it again and adds to it.
TEST(MetricStore, WritersSharingAStoreAddUp) {
  auto resources = engine::OpenResourceStore().value();
  MetricStore a(resources.get()), b(resources.get());
  ASSERT_TRUE(a.Load().ok() && b.Load().ok());
  ASSERT_TRUE(a.Put(kScope, {At(kT0, 1)}).ok());
  ASSERT_TRUE(b.Put(kScope, {At(kT0, 2), At(kT0 + kMinute, 4)}).ok());
  ASSERT_TRUE(a.Put(kScope, {At(kT0, 8)}).ok());
  MetricStore reader(resources.get());
  ASSERT_TRUE(reader.Load().ok());
  auto points = reader.Points(kScope, kKey, kT0, kT0 + kHour);
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].second.agg.sum, 11);
  EXPECT_EQ(points[0].second.agg.count, 3);
  EXPECT_EQ(points[1].second.agg.sum, 4);
  // The writer that took the last turn holds the sum too.
  EXPECT_EQ(a.Points(kScope, kKey, kT0, kT0 + kMinute)[0].second.agg.sum, 11);
}

TEST(MetricStore, WritesThroughAndReloads) {
  auto resources = engine::OpenResourceStore().value();
  {
    MetricStore store(resources.get());
    ASSERT_TRUE(store.Put(kScope, {At(kT0, 1), At(kT0 + kHour, 2)}).ok());
    ASSERT_TRUE(store.Put(kScope, {At(kT0, 10)}).ok());
  }
  MetricStore again(resources.get());
  ASSERT_TRUE(again.Load().ok());
  auto points = again.Points(kScope, kKey, kT0 - kHour, kT0 + 2 * kHour);
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].second.agg.sum, 11);
  EXPECT_EQ(*points[0].second.agg.Percentile(100), 10);
  EXPECT_EQ(points[0].second.unit, "Milliseconds");
  EXPECT_EQ(again.SeriesCount(), 1u);
}

TEST(MetricStore, RetentionRollsUpThenDrops) {
  auto resources = engine::OpenResourceStore().value();
  MetricStore store(resources.get());
  const Millis hour = kT0 - kT0 % kHour;
  std::vector<Sample> samples;
  for (int m = 0; m < 60; ++m) samples.push_back(At(hour + m * kMinute, m));
  ASSERT_TRUE(store.Put(kScope, samples).ok());

  ASSERT_TRUE(store.Compact(hour + 14 * kDay).ok());  // still 1-minute
  EXPECT_EQ(store.Points(kScope, kKey, hour, hour + kHour).size(), 60u);

  ASSERT_TRUE(store.Compact(hour + 20 * kDay).ok());  // 5-minute points
  auto five = store.Points(kScope, kKey, hour, hour + kHour);
  ASSERT_EQ(five.size(), 12u);
  EXPECT_EQ(five[0].second.agg.sum, 0 + 1 + 2 + 3 + 4);
  EXPECT_EQ(five[0].second.agg.count, 5);
  EXPECT_FALSE(five[0].second.agg.Percentile(50).has_value());

  ASSERT_TRUE(store.Compact(hour + 100 * kDay).ok());  // 1-hour points
  auto hourly = store.Points(kScope, kKey, hour, hour + kHour);
  ASSERT_EQ(hourly.size(), 1u);
  EXPECT_EQ(hourly[0].second.agg.sum, 59 * 60 / 2);
  EXPECT_EQ(hourly[0].second.agg.min, 0);
  EXPECT_EQ(hourly[0].second.agg.max, 59);

  MetricStore reloaded(resources.get());  // the rollups were written through
  ASSERT_TRUE(reloaded.Load().ok());
  EXPECT_EQ(reloaded.Points(kScope, kKey, hour, hour + kHour).size(), 1u);

  ASSERT_TRUE(store.Compact(hour + 456 * kDay).ok());  // past retention
  EXPECT_TRUE(store.Points(kScope, kKey, hour, hour + kHour).empty());
  EXPECT_EQ(store.SeriesCount(), 0u);
  MetricStore empty(resources.get());
  ASSERT_TRUE(empty.Load().ok());
  EXPECT_EQ(empty.SeriesCount(), 0u);
}

// Points of different units in one minute stay apart (a Unit filter selects its own).
TEST(MetricStore, UnitsOfOneMinuteStayApart) {
  MetricStore store(nullptr);
  Sample bytes = At(kT0, 100);
  bytes.unit = "Bytes";
  ASSERT_TRUE(store.Put(kScope, {At(kT0, 1), bytes, At(kT0 + 1'000, 3)}).ok());
  auto points = store.Points(kScope, kKey, kT0, kT0 + kMinute);
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].first, kT0);
  EXPECT_EQ(points[1].first, kT0);
  double ms = 0;
  double b = 0;
  for (const auto& [ts, p] : points) (p.unit == "Bytes" ? b : ms) = p.agg.sum;
  EXPECT_EQ(ms, 4);
  EXPECT_EQ(b, 100);
}

// A store the previous binary wrote (its record format) loads and takes new points.
TEST(MetricStore, PreviousFormatRecordLoads) {
  auto resources = engine::OpenResourceStore().value();
  const Millis hour = kT0 - kT0 % kHour;
  const std::string name =
      fmt::format("{:016x}", static_cast<std::uint64_t>(hour)) + EncodeSeriesKey(kKey);
  const std::string old = fmt::format(
      "{} 3 1 3 3 1 12:Milliseconds 1 3 1\n{} 10 3 1 5 1 12:Milliseconds 3 1 1 4 1 5 1\n", hour,
      hour + kMinute);
  ASSERT_TRUE(
      resources->Put("monitoring.chunk", {kScope.account, kScope.region}, name, old, "", 0).ok());
  MetricStore store(resources.get());
  ASSERT_TRUE(store.Load().ok());
  auto points = store.Points(kScope, kKey, hour, hour + kHour);
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].second.agg.sum, 3);
  EXPECT_EQ(points[0].second.unit, "Milliseconds");
  EXPECT_EQ(*points[1].second.agg.Percentile(50), 4);
  ASSERT_TRUE(store.Put(kScope, {At(hour + kMinute, 9)}).ok());
  MetricStore again(resources.get());
  ASSERT_TRUE(again.Load().ok());
  points = again.Points(kScope, kKey, hour, hour + kHour);
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[1].second.agg.sum, 19);
  EXPECT_EQ(*points[1].second.agg.Percentile(100), 9);
}

// Hours older than the resident window leave memory and are read back on demand: a query that
// reaches them answers the same points as before; writes to them add to what is stored.
TEST(MetricStore, EvictedHoursAnswerTheSame) {
  auto resources = engine::OpenResourceStore().value();
  const Millis hour = kT0 - kT0 % kHour;
  FakeClock clock(hour + 10 * kMinute);
  MetricStoreOptions options;
  options.resident = 2 * kHour;
  options.cache_chunks = 2;
  MetricStore store(resources.get(), &clock, options);
  ASSERT_TRUE(store.Load().ok());
  std::vector<Sample> samples;
  for (int m = 0; m < 6 * 60; m += 7) {
    Sample s = At(hour + m * kMinute, m);
    s.agg.AddValue(m + 1);
    samples.push_back(s);
  }
  ASSERT_TRUE(store.Put(kScope, samples).ok());
  const Millis from = hour + 30 * kMinute;
  const Millis to = hour + 5 * kHour + 20 * kMinute;
  const auto before = store.Points(kScope, kKey, from, to);
  ASSERT_GT(before.size(), 30u);
  const auto same = [&](const std::vector<std::pair<Millis, Point>>& got) {
    ASSERT_EQ(got.size(), before.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].first, before[i].first);
      EXPECT_EQ(got[i].second.agg.sum, before[i].second.agg.sum);
      EXPECT_EQ(got[i].second.agg.count, before[i].second.agg.count);
      EXPECT_EQ(got[i].second.agg.values, before[i].second.agg.values);
      EXPECT_EQ(got[i].second.unit, before[i].second.unit);
      EXPECT_EQ(got[i].second.agg.Percentile(50), before[i].second.agg.Percentile(50));
    }
  };
  EXPECT_EQ(store.ChunksInMemory(), 6u);

  clock.Advance(8 * kHour);
  store.Evict(clock.NowMs());
  EXPECT_EQ(store.ChunksInMemory(), 0u);
  same(store.Points(kScope, kKey, from, to));
  EXPECT_LE(store.ChunksInMemory(), 2u);  // the cache's bound
  same(store.Points(kScope, kKey, from, to));

  // A start-up loads the index, not the chunks; the newest timestamp is known.
  MetricStore again(resources.get(), &clock, options);
  ASSERT_TRUE(again.Load().ok());
  EXPECT_EQ(again.ChunksInMemory(), 0u);
  auto series = again.Series(kScope);
  ASSERT_EQ(series.size(), 1u);
  EXPECT_EQ(series[0].last, samples.back().timestamp);
  same(again.Points(kScope, kKey, from, to));

  // A write to an evicted hour adds to the stored chunk.
  ASSERT_TRUE(again.Put(kScope, {At(hour + 35 * kMinute, 1000)}).ok());
  MetricStore third(resources.get(), &clock, options);
  ASSERT_TRUE(third.Load().ok());
  auto points = third.Points(kScope, kKey, hour + 35 * kMinute, hour + 36 * kMinute);
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].second.agg.sum, 35 + 36 + 1000);
  EXPECT_EQ(*points[0].second.agg.Percentile(100), 1000);
}

// Compaction with evicted hours: it rolls up and drops the stored chunks it reads one at a time.
TEST(MetricStore, CompactsEvictedHours) {
  auto resources = engine::OpenResourceStore().value();
  const Millis hour = kT0 - kT0 % kHour;
  FakeClock clock(hour + 10 * kMinute);
  MetricStore store(resources.get(), &clock);
  ASSERT_TRUE(store.Load().ok());
  std::vector<Sample> samples;
  for (int m = 0; m < 60; ++m) samples.push_back(At(hour + m * kMinute, m));
  ASSERT_TRUE(store.Put(kScope, samples).ok());
  clock.Advance(20 * kDay);
  store.Evict(clock.NowMs());
  ASSERT_TRUE(store.Compact(clock.NowMs()).ok());
  auto five = store.Points(kScope, kKey, hour, hour + kHour);
  ASSERT_EQ(five.size(), 12u);
  EXPECT_EQ(five[0].second.agg.sum, 0 + 1 + 2 + 3 + 4);
  EXPECT_FALSE(five[0].second.agg.Percentile(50).has_value());
  clock.Advance(80 * kDay);
  {
    // A start knows when the last compaction ran: it rolls up what changed since.
    MetricStore reloaded(resources.get(), &clock);
    ASSERT_TRUE(reloaded.Load().ok());
    ASSERT_TRUE(reloaded.Compact(clock.NowMs()).ok());
    EXPECT_EQ(reloaded.Points(kScope, kKey, hour, hour + kHour).size(), 1u);
  }
  ASSERT_TRUE(store.Compact(clock.NowMs()).ok());
  EXPECT_EQ(store.Points(kScope, kKey, hour, hour + kHour).size(), 1u);
  clock.Advance(400 * kDay);
  ASSERT_TRUE(store.Compact(clock.NowMs()).ok());
  EXPECT_TRUE(store.Points(kScope, kKey, hour, hour + kHour).empty());
  EXPECT_EQ(store.SeriesCount(), 0u);
  MetricStore empty(resources.get(), &clock);
  ASSERT_TRUE(empty.Load().ok());
  EXPECT_EQ(empty.SeriesCount(), 0u);
}

TEST(MetricStore, ResolutionByAge) {
  EXPECT_EQ(ResolutionForAge(0), kMinute);
  EXPECT_EQ(ResolutionForAge(15 * kDay - 1), kMinute);
  EXPECT_EQ(ResolutionForAge(15 * kDay), 5 * kMinute);
  EXPECT_EQ(ResolutionForAge(63 * kDay), kHour);
  EXPECT_EQ(ResolutionForAge(455 * kDay), 0);
}

}  // namespace
}  // namespace sluice::monitoring
