#include "cli/base/timers.h"

#include "lib/selectors.h"

namespace seltool::cli {

std::optional<Duration> time_limit(std::optional<Duration> given,
                                   std::optional<Duration> fallback) {
  const std::optional<Duration> limit = given ? given : fallback;
  if (!limit || *limit <= Duration::zero() || *limit >= Selector::max_timeout) return std::nullopt;
  return limit;
}

}  // namespace seltool::cli
