#include "cli/load/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace seltool::cli {
namespace {

int highest_bit(std::uint64_t value) {  // value > 0
  int bit = 63;
  while (!(value >> bit)) --bit;
  return bit;
}

}  // namespace

// Below 2 * kSubBuckets the index is the value. Above, with shift = highest bit - bits, the
// top bits (value >> shift, in [kSubBuckets, 2 * kSubBuckets)) pick the bucket of run `shift`.
int LatencyHistogram::index_of(std::uint64_t value) {
  if (value < 2 * kSubBuckets) return int(value);
  const int shift = highest_bit(value) - kSubBucketBits;
  return shift * kSubBuckets + int(value >> shift);
}

std::uint64_t LatencyHistogram::highest_in(int index) {
  if (index < 2 * kSubBuckets) return std::uint64_t(index);
  const int shift = index / kSubBuckets - 1;
  const std::uint64_t top = std::uint64_t(index - shift * kSubBuckets);
  return ((top + 1) << shift) - 1;
}

void LatencyHistogram::record(std::uint64_t nanoseconds) {
  ++counts_[std::size_t(index_of(nanoseconds))];
  ++count_;
  max_ = std::max(max_, nanoseconds);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

std::uint64_t LatencyHistogram::percentile(double fraction) const {
  if (count_ == 0) return 0;
  const auto rank = std::max<std::uint64_t>(1, std::uint64_t(std::ceil(fraction * double(count_))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(highest_in(int(i)), max_);
  }
  return max_;
}

}  // namespace seltool::cli
