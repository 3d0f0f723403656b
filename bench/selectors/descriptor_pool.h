// Descriptors for the benchmarks: both ends of AF_UNIX socketpairs, so that nearly every
// descriptor RLIMIT_NOFILE allows can be registered. A descriptor is made ready by writing
// one byte into its peer once; level-triggered backends then report it on every round.
#pragma once

#include <vector>

#include "lib/unique_fd.h"

namespace seltool::bench {

// Raises the soft RLIMIT_NOFILE to the hard limit (once) and returns the largest even
// number of descriptors a pool may hold beside what is open now and a small reserve (the
// selector's own descriptors, the benchmark library's files).
int max_pool_size();

class DescriptorPool {
 public:
  // `size` descriptors (even): size / 2 socketpairs, none ready. Throws std::system_error.
  explicit DescriptorPool(int size);

  // The descriptors, in creation order; fds()[i] and fds()[i ^ 1] are a pair.
  const std::vector<int>& fds() const { return fds_; }

  // Makes `active` descriptors readable (call once), spread evenly over fds().
  void activate(int active);

 private:
  std::vector<UniqueFd> owned_;
  std::vector<int> fds_;
};

}  // namespace seltool::bench
