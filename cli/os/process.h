// Another running process whose descriptors seltool observes: `pid:PID:FD` targets and
// `seltool inspect PID`.
//
// On Linux (process_linux.cc) a descriptor is *borrowed*: duplicated into seltool with
// pidfd_getfd (Linux 5.6+), close-on-exec. That needs ptrace access to the process: the same
// user with kernel.yama.ptrace_scope allowing it, or CAP_SYS_PTRACE. The copy shares the
// owner's open file description, so seltool only asks it questions that change nothing the
// owner sees (poll, FIONREAD, SIOCOUTQ, TCP_INFO, getsockname...): it never reads from it,
// never changes its flags, never reads SO_ERROR, and closes it when done. Elsewhere
// (process_unsupported.cc) open_process() is a usage error: not supported on this OS.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/base/error_info.h"
#include "cli/os/diagnostics.h"
#include "lib/selectors.h"
#include "lib/unique_fd.h"

namespace seltool::cli {

// One descriptor of a process as `seltool inspect` reports it.
struct DescriptorSnapshot {
  int fd = -1;
  std::string kind;    // "tcp", "unix_stream", "pipe", "file"... (docs/cli.md lists them)
  std::string path;    // what /proc/PID/fd/N names: a path, "pipe:[123]", "socket:[456]"
  std::string access;  // "read", "write" or "read,write"
  bool nonblocking = false;
  std::string local;  // socket addresses, "" where there are none
  std::string peer;
  // Readiness now (a zero-timeout poll of the borrowed copy): read/write, hangup, error.
  Events events = 0;
  bool hup = false;
  bool error = false;
  Diagnostics diagnostics;
  // Set when the descriptor could not be borrowed: then only fd, kind and path are known.
  std::optional<ErrorInfo> inaccessible;
  // Read from /proc alone (Process::proc_only()): kind, path, access, nonblocking, a TCP or
  // UDP socket's addresses and TCP state, a bound Unix socket's path; readiness and queue
  // sizes unknown (events and the other diagnostics stay empty).
  bool proc_only = false;
};

// What /proc shows of a process to every user (/proc/PID/status, task/TID/stat), also when its
// descriptors are hidden.
struct ProcessStatus {
  std::string state;  // "sleeping", "running"... ("" when unknown)
  long uid = -1;      // effective
  long threads = 0;
};

// A thread's scheduler state (/proc/PID/task/TID/stat): "running", "sleeping", "disk_sleep",
// "idle", "stopped", "tracing_stop", "zombie", "dead".
struct ThreadState {
  int tid = 0;
  std::string state;
};

// The scheduler state letter of /proc/.../stat as such a word (proc(5)); an unknown letter as
// itself. Linux only (process_linux.cc).
std::string thread_state_name(char letter);

// Thrown by Process::snapshot() when the process's descriptors cannot be listed at all (EACCES:
// no ptrace access); what() is advice(-1, errnum).
class DescriptorsHidden : public std::runtime_error {
 public:
  DescriptorsHidden(int errnum, const std::string& message)
      : std::runtime_error(message), errnum_(errnum) {}
  int errnum() const { return errnum_; }

 private:
  int errnum_;
};

class Process {
 public:
  virtual ~Process() = default;

  virtual int pid() const = 0;
  // Its command name (/proc/PID/comm), "" when unknown.
  virtual const std::string& command() const = 0;
  // A descriptor that becomes readable when the process exits (its pidfd).
  virtual int exit_fd() const = 0;
  // Whether it has exited (exit_fd() is readable).
  virtual bool exited() const = 0;
  // Whether it is exiting: its descriptors are closed already, so a pipe it wrote may be at
  // its end, and still_holds() false, before exit_fd() is readable.
  virtual bool exiting() const = 0;
  // A close-on-exec copy of the process's descriptor `fd`. Throws std::system_error with
  // the errno: EPERM (no ptrace access), EBADF (not open), ESRCH (exited), EMFILE...
  virtual UniqueFd borrow(int fd) const = 0;
  // Whether the process's descriptor `fd` is still the file `copy` was borrowed from (false
  // once the owner closed or replaced it: then seltool's copy must not keep it alive).
  virtual bool still_holds(int fd, int copy) const = 0;
  // Every open descriptor, ascending (or only `only`, where open). Throws DescriptorsHidden
  // when the process's descriptors cannot be listed at all, UsageError when it exited. On a
  // kernel that cannot borrow descriptors (pidfd_getfd, pidfd_open: ENOSYS) each is read from
  // /proc alone (DescriptorSnapshot::proc_only), and proc_only() says so.
  virtual std::vector<DescriptorSnapshot> snapshot(const std::vector<int>& only) const = 0;
  // Why snapshot() read the descriptors from /proc alone, one line; "" when it borrowed them.
  virtual std::string proc_only() const = 0;
  // The one-line message for borrowing `fd` (-1: the descriptors as a whole) failing with
  // `errnum`: what failed, and what to do about it.
  virtual std::string advice(int fd, int errnum) const = 0;
  // What /proc shows to everyone.
  virtual ProcessStatus status() const = 0;
  // Each thread's scheduler state, ascending tid (empty once it exited).
  virtual std::vector<ThreadState> thread_states() const = 0;
};

// The kinds snapshot() can name (what `inspect --kind` accepts; "tcp" also matches "tcp6",
// "unix" every "unix_*"): empty where processes cannot be inspected.
const std::vector<std::string>& descriptor_kinds();

// Opens process `pid`. Throws UsageError saying what to do when there is no such process,
// the kernel is too old, or the OS is not Linux. With `proc_only_allowed` (inspect), a kernel
// without pidfd_open (before 5.3) gives a process without exit_fd() (-1), whose snapshot() reads
// /proc alone, rather than the usage error.
std::unique_ptr<Process> open_process(int pid, bool proc_only_allowed = false);

}  // namespace seltool::cli
