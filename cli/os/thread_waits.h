// What each thread of a running process is blocked in now: `seltool inspect`'s "threads".
//
// Linux (thread_waits_linux.cc) reads /proc/PID/task/TID/{syscall,wchan,stat,status,sched},
// and, for poll/ppoll/select/pselect6, the descriptor set the thread passed, from its memory
// with process_vm_readv: read only, the process is never stopped (no ptrace attach). Reading
// it needs the ptrace access pidfd_getfd needs; where it is refused, `error` says so and
// the rest is still reported. System call numbers are decoded for the ABI seltool is built for
// (x86-64 or aarch64); a process of another ABI (a 32-bit one) shows numbers only. Elsewhere
// (thread_waits_unsupported.cc) there are no threads to report: inspect is refused there.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/base/error_info.h"
#include "lib/selectors.h"

namespace seltool::cli {

// One descriptor of a poll or select set, with the events it was asked for.
struct WatchedDescriptor {
  int fd = -1;
  Events events = 0;
};

struct ThreadWait {
  int tid = 0;
  std::string comm;
  // From stat: "running", "sleeping" (interruptible), "disk_sleep", "stopped", "zombie"...
  std::string state;
  bool in_syscall = false;  // blocked in a system call (the number below)
  long syscall_nr = -1;
  std::string syscall;       // "epoll_wait", "" for a number seltool does not name
  std::string wchan;         // the kernel function it sleeps in, "" when none or hidden
  std::vector<int> fds;      // its descriptor arguments (the epoll descriptor of epoll_wait...)
  bool has_timeout = false;  // the call takes a timeout (epoll_wait, poll, select, futex...)
  std::optional<double> timeout_ms;  // the one it passed; none (with has_timeout): waits forever
  std::vector<WatchedDescriptor> watched;  // poll/ppoll/select/pselect6: the set it passed
  // What could not be read (its call, or the set or timeout it passed): the rest is reported.
  std::optional<ErrorInfo> error;
  std::optional<double> asleep_ms;  // since it last ran, by the scheduler's clock (an estimate)
  std::uint64_t switches = 0;       // context switches so far: unchanged = it did not run

  bool asleep() const { return state == "sleeping" || state == "disk_sleep"; }
  // Asleep in a call seltool knows that will not return by itself: no timeout, or a call
  // without one (read, accept...).
  bool waits_forever() const { return asleep() && !syscall.empty() && !timeout_ms; }
};

// Every thread of process `pid`, by thread id; empty when /proc does not show them.
std::vector<ThreadWait> thread_waits(int pid);

}  // namespace seltool::cli
