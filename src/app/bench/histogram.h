// Log-bucketed latency histogram (HdrHistogram-like): values below 256 are exact, larger values
// fall into buckets whose width is at most 1/128 of their lower bound (< 0.8% relative error).
// Fixed memory (~60 KB), O(1) Record, mergeable; not thread-safe (one per connection, merged).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sluice::bench {

class Histogram {
 public:
  static constexpr int kSubBits = 8;
  static constexpr std::size_t kSub = std::size_t{1} << kSubBits;  // exact range [0, kSub)
  static constexpr std::size_t kHalf = kSub / 2;
  static constexpr std::size_t kBuckets = kSub + (64 - kSubBits) * kHalf;

  Histogram() : counts_(kBuckets, 0) {}

  void Record(std::uint64_t v) {
    ++counts_[IndexOf(v)];
    ++count_;
    sum_ += v;
    if (v < min_) min_ = v;
    if (v > max_) max_ = v;
  }
  void Merge(const Histogram& other);
  void Reset();

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ ? min_ : 0; }
  std::uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / count_ : 0.0; }

  // The value at rank ceil(p/100 * count) (1-based, nearest-rank definition), reported as the
  // highest value of its bucket, clamped to [min, max]. 0 when empty. p in [0, 100].
  std::uint64_t Percentile(double p) const;

  static std::size_t IndexOf(std::uint64_t v);
  static std::uint64_t LowestOf(std::size_t index);
  static std::uint64_t HighestOf(std::size_t index);

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
};

}  // namespace sluice::bench
