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

TEST(Aggregate, EqualValuesKeepNoList) {
  Aggregate a;
  a.AddValue(7, 2);
  a.AddValue(7);
  EXPECT_TRUE(a.values.empty());  // implied by min == max
  EXPECT_EQ(*a.Percentile(50), 7);
  a.AddValue(1);
  EXPECT_EQ(a.values.size(), 2u);
  EXPECT_EQ(*a.Percentile(25), 1);
  EXPECT_EQ(*a.Percentile(26), 7);
  Aggregate b;
  b.AddValue(7);
  Aggregate c;
  c.AddValue(7);
  b.Merge(c);
  EXPECT_TRUE(b.values.empty());
  EXPECT_EQ(b.count, 2);
}

// AWS: a statistic set gives percentiles when it stands for equal values.
TEST(Aggregate, StatisticSetsOfEqualValuesHavePercentiles) {
  Aggregate a;
  a.AddSet(3, 15, 5, 5);
  EXPECT_EQ(*a.Percentile(99), 5);
  a.AddValue(9);
  EXPECT_EQ(*a.Percentile(75), 5);
  EXPECT_EQ(*a.Percentile(100), 9);
  Aggregate b;
  b.AddSet(1, 4, 4, 4);
  EXPECT_EQ(*b.Percentile(50), 4);
}

TEST(Codec, ChunkRoundTrips) {
  PointList points(2);
  points[0].first = 60'000;
  points[0].second.agg.AddValue(0.1, 3);
  points[0].second.agg.AddValue(-2.5e300);
  points[0].second.unit = "Bytes/Second";
  points[1].first = 120'000;
  points[1].second.agg.AddSet(2, 3, 1, 2);
  points[1].second.unit = "weird unit:\n 5";
  const std::string text = EncodeChunk(points);
  auto back = DecodeChunk(text);
  ASSERT_TRUE(back.has_value());
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ(back->at(0).second.agg.values, points[0].second.agg.values);
  EXPECT_EQ(back->at(0).second.agg.sum, points[0].second.agg.sum);
  EXPECT_EQ(back->at(1).second.unit, "weird unit:\n 5");
  EXPECT_FALSE(back->at(1).second.agg.values_complete);
  EXPECT_FALSE(DecodeChunk("garbage").has_value());
  EXPECT_FALSE(DecodeChunk(text.substr(0, text.size() / 2)).has_value());
}

// A chunk as the previous binary wrote it (one point a minute, the raw values of every point
// listed, a single value included) reads the same.
TEST(Codec, PreviousFormatReads) {
  const std::string old =
      "60000 3 1 3 3 1 12:Milliseconds 1 3 1\n"
      "120000 10 3 1 5 1 12:Milliseconds 3 1 1 4 1 5 1\n"
      "180000 8 2 1 7 0 4:None 0\n";
  auto back = DecodeChunk(old);
  ASSERT_TRUE(back.has_value());
  ASSERT_EQ(back->size(), 3u);
  EXPECT_EQ(back->at(0).first, 60'000);
  EXPECT_TRUE(back->at(0).second.agg.values.empty());
  EXPECT_EQ(*back->at(0).second.agg.Percentile(50), 3);
  EXPECT_EQ(back->at(0).second.unit, "Milliseconds");
  EXPECT_EQ(*back->at(1).second.agg.Percentile(50), 4);
  EXPECT_EQ(back->at(1).second.agg.count, 3);
  EXPECT_FALSE(back->at(2).second.agg.Percentile(50).has_value());
  EXPECT_EQ(back->at(2).second.agg.max, 7);
  // Written again in version 2: a run of equal values takes a value and a count.
  EXPECT_EQ(EncodeChunk(*back),
            "v2 2 12:Milliseconds 4:None\n"
            "1 0 r 3 1\n"
            "1 0 f 10 3 1 5 1 3 1 1 4 1 5 1\n"
            "1 1 f 8 2 1 7 0 0\n");
}

TEST(Codec, Version2RejectsMalformedRecords) {
  // Before 1970 (version 1 allowed it): a negative first step.
  auto early = DecodeChunk(EncodeChunk(*DecodeChunk("-60000 1 1 1 1 1 1:x 0\n")));
  ASSERT_TRUE(early.has_value());
  EXPECT_EQ(early->at(0).first, -60'000);
  EXPECT_TRUE(DecodeChunk("v2 0\n").has_value());
  EXPECT_TRUE(DecodeChunk("v2 1 1:x\n@1500 0 r 2 3\n").has_value());
  EXPECT_EQ(DecodeChunk("v2 1 1:x\n@1500 0 r 2 3\n")->at(0).first, 1500);
  for (const char* bad :
       {"v2 1 1:x\n1 1 r 2 3\n", "v2 1 1:x\n-1x 0 r 2 3\n", "v2 1 1:x\n1 0 q 2 3\n",
        "v2 1 1:x\n1 0 r 2\n", "v2 1 1:x\n1 0 f 1 1 1 1 1 2 1 1\n", "v2 2 1:x\n",
        "v2 1 1:x\n999999999999999999 0 r 2 3\n", "v2 1 1:x\n1 0 r 1e308 10\n"}) {
    EXPECT_FALSE(DecodeChunk(bad).has_value()) << bad;
  }
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
