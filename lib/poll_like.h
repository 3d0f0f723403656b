// What poll, epoll and /dev/poll share (Python's _PollLikeSelector): how a timeout becomes
// milliseconds, and how returned flags become EVENT_READ/EVENT_WRITE.
#pragma once

#include <fcntl.h>
#include <sys/resource.h>

#include <array>
#include <chrono>
#include <climits>
#include <optional>
#include <string>

#include "lib/os_error.h"
#include "lib/selectors.h"

namespace seltool::poll_like {

// Milliseconds for the system call: -1 blocks, a timeout is rounded up so that the wait is
// at least as long as asked, and anything beyond INT_MAX ms is cut (select() waits again).
inline int timeout_ms(std::optional<std::chrono::nanoseconds> timeout) {
  if (!timeout) return -1;
  if (timeout->count() == 0) return 0;  // select(0), the hot case: no division
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*timeout).count();
  return ms > INT_MAX ? INT_MAX : int(ms);
}

// Python's rule: any flag but the read flag means writable (so hangup and error wake
// writers), any flag but the write flag means readable (so they wake readers too).
constexpr Events fold(unsigned revents, unsigned read_flag, unsigned write_flag) {
  return ((revents & ~write_flag) != 0 ? EVENT_READ : 0) |
         ((revents & ~read_flag) != 0 ? EVENT_WRITE : 0);
}

// The conditions in returned flags, given the backend's flags for each.
constexpr Conditions conditions(unsigned revents, unsigned hangup, unsigned error,
                                unsigned priority) {
  return ((revents & hangup) ? CONDITION_HANGUP : 0) | ((revents & error) ? CONDITION_ERROR : 0) |
         ((revents & priority) ? CONDITION_PRIORITY : 0);
}

// fold() and conditions() of one backend's flags, looked up in a table built at compile time:
// one load per reported descriptor instead of their tests. The table covers every flag below
// 64 (in, pri, out, err, hup and poll's nval on Linux); a report with a higher bit (which
// none of them asks for) is folded by the functions themselves.
template <unsigned Read, unsigned Write, unsigned Hangup, unsigned Error, unsigned Priority>
struct FlagTable {
  struct Converted {
    Events events;
    Conditions conditions;
  };
  static constexpr unsigned kSize = 64;
  static constexpr std::array<Converted, kSize> kTable = [] {
    std::array<Converted, kSize> table{};
    for (unsigned flags = 0; flags < kSize; ++flags) {
      table[flags] = {fold(flags, Read, Write), conditions(flags, Hangup, Error, Priority)};
    }
    return table;
  }();
  static Converted convert(unsigned revents) {
    if (revents < kSize) return kTable[revents];
    return {fold(revents, Read, Write), conditions(revents, Hangup, Error, Priority)};
  }
};

// poll and /dev/poll accept closed descriptors (as Python does) and report them at select(),
// but not a number this process cannot open (at or above RLIMIT_NOFILE): the tables indexed
// by descriptor would have to grow to its size. Throws std::system_error (EBADF) for one.
inline void refuse_impossible_descriptor(int fd) {
  rlimit limit{};
  if (::fcntl(fd, F_GETFD) == -1 && ::getrlimit(RLIMIT_NOFILE, &limit) == 0 &&
      limit.rlim_cur != RLIM_INFINITY && rlim_t(fd) >= limit.rlim_cur) {
    throw_os_error(
        EBADF,
        "register: not open and at or above RLIMIT_NOFILE (" + std::to_string(limit.rlim_cur) + ")",
        fd);
  }
}

// The kernel flags to ask for, from the events asked for.
inline unsigned flags_for(Events events, unsigned read_flag, unsigned write_flag) {
  return ((events & EVENT_READ) ? read_flag : 0) | ((events & EVENT_WRITE) ? write_flag : 0);
}

}  // namespace seltool::poll_like
