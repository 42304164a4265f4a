// Statistics against a brute-force reference, percentiles, and the chunk/key codecs.
#include "services/monitoring/series.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace sluice::monitoring {
namespace {

// Nearest-rank percentile over a sorted copy.
double BrutePercentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  if (p <= 0) return v.front();
  const auto rank = static_cast<std::size_t>(std::max(1.0, std::ceil(p / 100.0 * v.size() - 1e-9)));
  return v[rank - 1];
}

TEST(Aggregate, MatchesBruteForce) {
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    std::uniform_int_distribution<int> n_dist(1, 400);
    std::uniform_int_distribution<int> v_dist(-50, 500);
    const int n = n_dist(rng);
    std::vector<double> values;
    Aggregate a;
    Aggregate b;  // the same values merged from two halves
    Aggregate half;
    for (int i = 0; i < n; ++i) {
      const double v = v_dist(rng) / 4.0;
      values.push_back(v);
      a.AddValue(v);
      (i % 2 == 0 ? b : half).AddValue(v);
    }
    b.Merge(half);
    double sum = 0;
    for (double v : values) sum += v;
    for (const Aggregate* agg : {&a, &b}) {
      EXPECT_DOUBLE_EQ(agg->sum, sum);
      EXPECT_EQ(agg->count, n);
      EXPECT_EQ(agg->min, *std::min_element(values.begin(), values.end()));
      EXPECT_EQ(agg->max, *std::max_element(values.begin(), values.end()));
      EXPECT_DOUBLE_EQ(agg->Average(), sum / n);
      for (double p : {0.0, 1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
        ASSERT_TRUE(agg->Percentile(p).has_value());
        EXPECT_EQ(*agg->Percentile(p), BrutePercentile(values, p)) << "p" << p << " n=" << n;
      }
    }
  }
}

TEST(Aggregate, CountsWeighValues) {
  Aggregate a;
  a.AddValue(1, 3);
  a.AddValue(10, 1);
  EXPECT_EQ(a.count, 4);
  EXPECT_EQ(a.sum, 13);
  EXPECT_EQ(*a.Percentile(75), 1);
  EXPECT_EQ(*a.Percentile(76), 10);
}

TEST(Aggregate, StatisticSetsHaveNoPercentiles) {
  Aggregate a;
  a.AddSet(4, 10, 1, 4);
  EXPECT_EQ(*StatisticOf(a, "Average"), 2.5);
  EXPECT_EQ(*StatisticOf(a, "SampleCount"), 4);
  EXPECT_FALSE(StatisticOf(a, "p50").has_value());
  a.AddValue(100);
  EXPECT_EQ(*StatisticOf(a, "Maximum"), 100);
  EXPECT_FALSE(a.Percentile(50).has_value());
}

TEST(Aggregate, TooManyDistinctValuesDropPercentilesOnly) {
  Aggregate a;
  for (std::size_t i = 0; i <= kMaxValuesPerPoint; ++i) a.AddValue(static_cast<double>(i));
  EXPECT_FALSE(a.Percentile(50).has_value());
  EXPECT_EQ(a.count, kMaxValuesPerPoint + 1);
  EXPECT_EQ(a.max, kMaxValuesPerPoint);
}

TEST(Statistics, Names) {
  double p = 0;
  EXPECT_TRUE(IsPercentile("p99", &p));
  EXPECT_EQ(p, 99);
  EXPECT_TRUE(IsPercentile("p99.9", &p));
  EXPECT_TRUE(IsPercentile("p0"));
  EXPECT_TRUE(IsPercentile("p100"));
  EXPECT_FALSE(IsPercentile("p101"));
  EXPECT_FALSE(IsPercentile("p99.999"));
  EXPECT_FALSE(IsPercentile("p"));
  EXPECT_FALSE(IsPercentile("p.5"));
  EXPECT_FALSE(IsPercentile("tm99"));
  EXPECT_FALSE(StatisticOf(Aggregate{}, "Median").has_value());
}

TEST(Codec, ChunkRoundTrips) {
  std::map<Millis, Point> points;
  points[60'000].agg.AddValue(0.1, 3);
  points[60'000].agg.AddValue(-2.5e300);
  points[60'000].unit = "Bytes/Second";
  points[120'000].agg.AddSet(2, 3, 1, 2);
  points[120'000].unit = "weird unit:\n 5";
  const std::string text = EncodeChunk(points);
  auto back = DecodeChunk(text);
  ASSERT_TRUE(back.has_value());
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ(back->at(60'000).agg.values, points[60'000].agg.values);
  EXPECT_EQ(back->at(60'000).agg.sum, points[60'000].agg.sum);
  EXPECT_EQ(back->at(120'000).unit, "weird unit:\n 5");
  EXPECT_FALSE(back->at(120'000).agg.values_complete);
  EXPECT_FALSE(DecodeChunk("garbage").has_value());
  EXPECT_FALSE(DecodeChunk(text.substr(0, text.size() / 2)).has_value());
}

TEST(Codec, SeriesKeyRoundTrips) {
  SeriesKey key{"App/x", "Lat:ency", {{"A", "1:2"}, {"B", ""}}};
  auto back = DecodeSeriesKey(EncodeSeriesKey(key));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, key);
  EXPECT_FALSE(DecodeSeriesKey("99:x").has_value());
}

}  // namespace
}  // namespace sluice::monitoring
