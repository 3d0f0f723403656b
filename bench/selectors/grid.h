// The benchmark grid: which backends, how many registered descriptors (N) and how many of
// them ready (A). Every binary in this package measures the same points.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "bench/selectors/descriptor_pool.h"
#include "lib/selectors.h"

namespace seltool::bench {

// io_uring is measured against the raw epoll round: the question is whether it could replace
// epoll as the default.
inline const std::vector<std::string> kBackends = {"select", "poll", "epoll", "io_uring"};

// N in {10, 100, 1000, 10000, max}; select stops below FD_SETSIZE (every registered
// descriptor, and the selector's own, must be below it).
inline std::vector<int> descriptor_counts(const std::string& backend) {
  const int limit = backend == "select" ? select_fd_setsize() - 24 : max_pool_size();
  std::vector<int> counts;
  for (int n : {10, 100, 1000, 10000}) {
    if (n <= limit) counts.push_back(n);
  }
  if (backend != "select" && limit > counts.back()) counts.push_back(limit);
  return counts;
}

// A in {1, 10, N/10, N}, without repeats.
inline std::vector<int> active_counts(int n) {
  std::vector<int> counts = {1, 10, n / 10, n};
  counts.erase(std::remove_if(counts.begin(), counts.end(), [n](int a) { return a < 1 || a > n; }),
               counts.end());
  std::sort(counts.begin(), counts.end());
  counts.erase(std::unique(counts.begin(), counts.end()), counts.end());
  return counts;
}

}  // namespace seltool::bench
