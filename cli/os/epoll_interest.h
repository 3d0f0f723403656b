// The interest list of another process's epoll descriptor, from /proc/PID/fdinfo/EPFD
// (proc_pid_fdinfo(5)): each registration's descriptor number, the events asked for and the
// user data, and whether that number still names the registered file. Linux:
// epoll_interest_linux.cc; elsewhere (epoll_interest_unsupported.cc) none is known.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lib/selectors.h"

namespace seltool::cli {

struct EpollRegistration {
  int fd = -1;             // the number it was registered under ("tfd")
  std::uint32_t mask = 0;  // the EPOLL* bits asked for
  std::uint64_t data = 0;  // the user data (epoll_event.data)
  // Whether process's descriptor `fd` is still the registered file: "open", "not_open" (closed:
  // the registration lives on while a duplicate of the file does) or "reused" (the number now
  // names another file). Compared by inode, as fdinfo gives it.
  std::string status;

  Events events() const;  // the read/write interest
  bool edge_triggered() const;
};

// The registrations of epoll descriptor `epfd` of process `pid`, by descriptor number; empty
// when there are none or fdinfo cannot be read.
std::vector<EpollRegistration> interest_list(int pid, int epfd);

// The names of `mask`'s bits, for people and JSON: "read", "write", "priority", "read_hangup",
// "edge", "oneshot", "exclusive", "wakeup" (EPOLLERR and EPOLLHUP are always reported).
std::vector<std::string> interest_event_names(std::uint32_t mask);

}  // namespace seltool::cli
