// The one clock of the tests: the monotonic clock, deadlines and the time left to them, and
// waiting for a condition instead of sleeping for a guessed time. Header-only and portable
// (the Windows tests use it too).
#pragma once

#include <algorithm>
#include <chrono>
#include <thread>

#if !defined(_WIN32)
#include <time.h>
#endif

namespace seltool::testing {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Seconds from `start` to now.
inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The time from now to `deadline`, never negative (a poll() timeout).
inline std::chrono::milliseconds time_left(Clock::time_point deadline) {
  return std::max(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()),
                  std::chrono::milliseconds(0));
}

// Seconds since construction on the monotonic clock.
class Stopwatch {
 public:
  double seconds() const { return seconds_since(start_); }

 private:
  Clock::time_point start_ = Clock::now();
};

// Checks `condition` every `interval` until it holds (true) or `timeout` passed (false; the
// condition is checked once more at the deadline). The timeout is a bound for a machine that
// is slow, never the expected wait: it should be generous.
template <typename Condition>
bool wait_until(Condition condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval = 10ms) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (!condition()) {
    if (Clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(std::min(interval, time_left(deadline)));
  }
  return true;
}

#if !defined(_WIN32)
// CPU time consumed by the calling thread so far, in seconds.
inline double thread_cpu_seconds() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return double(now.tv_sec) + double(now.tv_nsec) * 1e-9;
}
#endif

}  // namespace seltool::testing
