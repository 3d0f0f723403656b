// Latencies of `seltool load`, in a small log-bucketed histogram (HdrHistogram's layout with
// fixed precision): values below 128 ns are exact; above, each power of two is split into 64
// buckets, so a bucket is at most 1/64 of its lowest value wide. A percentile is the highest
// value of its bucket (never under the true value, at most 1/64 = 1.6% over it), clamped to the
// largest value recorded, which is kept exactly. Fixed size (about 30 KiB), no allocation per
// value; histograms of several threads add up with merge().
#pragma once

#include <array>
#include <cstdint>

namespace seltool::cli {

class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 6;  // 64 buckets per power of two
  static constexpr double kRelativeError = 1.0 / (1 << kSubBucketBits);

  void record(std::uint64_t nanoseconds);
  void merge(const LatencyHistogram& other);

  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  // The smallest recorded value v (as above: its bucket's highest value) with at least
  // `fraction` (0 < fraction <= 1) of the values at or below it; 0 when empty.
  std::uint64_t percentile(double fraction) const;

 private:
  static constexpr int kSubBuckets = 1 << kSubBucketBits;
  // Exact below 2 * kSubBuckets; then one run of kSubBuckets per shift of 1..(63 - bits).
  static constexpr int kBuckets = (64 - kSubBucketBits) * kSubBuckets + kSubBuckets;

  static int index_of(std::uint64_t value);
  static std::uint64_t highest_in(int index);

  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace seltool::cli
