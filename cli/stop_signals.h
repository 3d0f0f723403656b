// SIGINT and SIGTERM as a request to stop, for commands that run until interrupted.
#pragma once

#include "lib/selectors.h"

namespace seltool::cli {

// While alive, SIGINT and SIGTERM no longer kill seltool: the handler counts the signal and
// wakes `selector` (Selector::wakeup() is async-signal-safe), so a loop blocked in select()
// returns and sees count() > 0. The previous handlers are restored on destruction. One
// instance at a time.
class StopSignals {
 public:
  explicit StopSignals(Selector& selector);
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Signals received so far: a command may treat a second one as "stop now".
  int count() const noexcept;
  bool requested() const noexcept { return count() > 0; }
  // The number of the last signal received (0: none).
  int last() const noexcept;
};

// Ends seltool as if `number` had killed it (default action, so the parent sees the signal):
// for a command that keeps the default behaviour but has files to remove first.
[[noreturn]] void die_of_signal(int number);

}  // namespace seltool::cli
