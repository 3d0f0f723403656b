// The internal wakeup channel behind Selector::wakeup(): a descriptor that the backends
// watch for reading, and that wakeup() makes readable from any thread or signal handler.
#pragma once

#include "lib/selectors.h"
#include "lib/unique_fd.h"

namespace seltool {

class Selector::Waker {
 public:
  // Throws std::system_error when the channel cannot be created.
  Waker();
  int fd() const noexcept { return read_end_.get(); }
  // Async-signal-safe; preserves errno. A full channel already means "woken".
  void wake() noexcept;
  // Empties the channel so that it stops being readable.
  void drain() noexcept;

 private:
  UniqueFd read_end_;
  UniqueFd write_end_;  // the same descriptor as read_end_ where one object does both
};

}  // namespace seltool
