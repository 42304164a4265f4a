#include "app/bench/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace sluice::bench {

std::size_t Histogram::IndexOf(std::uint64_t v) {
  if (v < kSub) return static_cast<std::size_t>(v);
  const int msb = 63 - std::countl_zero(v);  // >= kSubBits
  const int shift =
      msb - (kSubBits - 1);  // keeps the top kSubBits bits: v >> shift in [kHalf, kSub)
  return kSub + static_cast<std::size_t>(shift - 1) * kHalf +
         static_cast<std::size_t>((v >> shift) - kHalf);
}

std::uint64_t Histogram::LowestOf(std::size_t index) {
  if (index < kSub) return index;
  const std::size_t k = index - kSub;
  const int shift = static_cast<int>(k / kHalf) + 1;
  return static_cast<std::uint64_t>(k % kHalf + kHalf) << shift;
}

std::uint64_t Histogram::HighestOf(std::size_t index) {
  if (index < kSub) return index;
  const int shift = static_cast<int>((index - kSub) / kHalf) + 1;
  return LowestOf(index) + ((std::uint64_t{1} << shift) - 1);
}

void Histogram::Merge(const Histogram& other) {
  for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void Histogram::Reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = sum_ = max_ = 0;
  min_ = UINT64_MAX;
}

std::uint64_t Histogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  // The small relative slack keeps decimal percentiles like 99.9 from rounding up a whole rank.
  const double exact = p * static_cast<double>(count_) / 100.0;
  auto rank = static_cast<std::uint64_t>(std::ceil(exact * (1.0 - 1e-12)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(HighestOf(i), min(), max_);
  }
  return max_;
}

}  // namespace sluice::bench
