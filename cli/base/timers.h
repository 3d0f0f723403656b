// Time in seltool's two event loops (the target loop, cli/targets/target_set.h, and the echo
// server, cli/echo/echo_server.h): the limits given on the command line, and the earliest of
// the times a loop must wake at, which bounds its next select().
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>

#include "cli/base/duration.h"

namespace seltool::cli {

using Clock = std::chrono::steady_clock;

// A time limit from the command line (-t, --idle-timeout): `given`, else `fallback`. 0, and
// durations of Selector::max_timeout or more (what parse_duration() makes of "forever"), mean
// no limit: nullopt.
std::optional<Duration> time_limit(std::optional<Duration> given,
                                   std::optional<Duration> fallback = std::nullopt);

// The earliest of the times offered: a loop offers each of its timers before a select().
class NextWake {
 public:
  void offer(std::optional<Clock::time_point> when) {
    if (when && (!earliest_ || *when < *earliest_)) earliest_ = when;
  }
  // How long the select() from `now` may sleep: never negative; nullopt when no time was
  // offered (sleep until an event).
  std::optional<Duration> time_left(Clock::time_point now) const {
    if (!earliest_) return std::nullopt;
    return std::max(Duration::zero(), std::chrono::duration_cast<Duration>(*earliest_ - now));
  }

 private:
  std::optional<Clock::time_point> earliest_;
};

}  // namespace seltool::cli
