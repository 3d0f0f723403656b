// Linux: /proc/PID/task/TID and process_vm_readv (see thread_waits.h). Nothing here stops the
// process or writes to it.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "cli/os/process.h"
#include "cli/os/thread_waits.h"
#include "lib/unique_fd.h"

namespace seltool::cli {
namespace {

// How a call passes its timeout.
enum class Timeout { kNone, kMilliseconds, kTimespec, kTimeval, kFutex, kClockNanosleep };
// Which descriptor set it passes.
enum class Set { kNone, kPollfds, kFdsets };

struct Call {
  long nr;
  const char* name;
  unsigned fd_args;  // bit i: argument i is a descriptor
  Timeout timeout = Timeout::kNone;
  int timeout_arg = -1;
  Set set = Set::kNone;
};

constexpr unsigned kArg0 = 1u << 0;

// The calls a thread is commonly found blocked in, by this ABI's numbers (<sys/syscall.h>:
// x86-64 and aarch64 differ, and aarch64 lacks the old poll, select and epoll_wait).
const Call kCalls[] = {
    {SYS_read, "read", kArg0},
    {SYS_write, "write", kArg0},
    {SYS_readv, "readv", kArg0},
    {SYS_writev, "writev", kArg0},
    {SYS_pread64, "pread64", kArg0},
    {SYS_pwrite64, "pwrite64", kArg0},
    {SYS_recvfrom, "recvfrom", kArg0},
    {SYS_recvmsg, "recvmsg", kArg0},
    {SYS_recvmmsg, "recvmmsg", kArg0},
    {SYS_sendto, "sendto", kArg0},
    {SYS_sendmsg, "sendmsg", kArg0},
    {SYS_sendmmsg, "sendmmsg", kArg0},
    {SYS_accept, "accept", kArg0},
    {SYS_accept4, "accept4", kArg0},
    {SYS_connect, "connect", kArg0},
    {SYS_splice, "splice", kArg0 | 1u << 2},
    {SYS_sendfile, "sendfile", kArg0 | 1u << 1},
    {SYS_ioctl, "ioctl", kArg0},
    {SYS_fcntl, "fcntl", kArg0},
    {SYS_flock, "flock", kArg0},
    {SYS_fsync, "fsync", kArg0},
    {SYS_fdatasync, "fdatasync", kArg0},
    {SYS_close, "close", kArg0},
    {SYS_openat, "openat", 0},
    {SYS_epoll_ctl, "epoll_ctl", kArg0 | 1u << 2},
    {SYS_epoll_pwait, "epoll_pwait", kArg0, Timeout::kMilliseconds, 3},
#ifdef SYS_epoll_wait
    {SYS_epoll_wait, "epoll_wait", kArg0, Timeout::kMilliseconds, 3},
#endif
#ifdef SYS_epoll_pwait2
    {SYS_epoll_pwait2, "epoll_pwait2", kArg0, Timeout::kTimespec, 3},
#endif
#ifdef SYS_poll
    {SYS_poll, "poll", 0, Timeout::kMilliseconds, 2, Set::kPollfds},
#endif
    {SYS_ppoll, "ppoll", 0, Timeout::kTimespec, 2, Set::kPollfds},
#ifdef SYS_select
    {SYS_select, "select", 0, Timeout::kTimeval, 4, Set::kFdsets},
#endif
    {SYS_pselect6, "pselect6", 0, Timeout::kTimespec, 4, Set::kFdsets},
    {SYS_io_uring_enter, "io_uring_enter", kArg0},
    {SYS_futex, "futex", 0, Timeout::kFutex, 3},
    {SYS_nanosleep, "nanosleep", 0, Timeout::kTimespec, 0},
    {SYS_clock_nanosleep, "clock_nanosleep", 0, Timeout::kClockNanosleep, 2},
    {SYS_wait4, "wait4", 0},
    {SYS_waitid, "waitid", 0},
    {SYS_rt_sigsuspend, "rt_sigsuspend", 0},
    {SYS_rt_sigtimedwait, "rt_sigtimedwait", 0, Timeout::kTimespec, 2},
#ifdef SYS_pause
    {SYS_pause, "pause", 0},
#endif
    {SYS_msgrcv, "msgrcv", 0},
    {SYS_semtimedop, "semtimedop", 0, Timeout::kTimespec, 3},
};

const Call* call_of(long nr) {
  for (const Call& call : kCalls) {
    if (call.nr == nr) return &call;
  }
  return nullptr;
}

std::string text_of(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

std::string first_line(const std::string& path) {
  std::ifstream file(path);
  std::string line;
  std::getline(file, line);
  return line;
}

// A field "NAME: value" (status) or "NAME   :   value" (sched) of a /proc file, as a number.
std::optional<double> field_of(const std::string& text, const std::string& name) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(name, 0) != 0) continue;
    const std::size_t colon = line.find(':', name.size());
    if (colon == std::string::npos || line.find_first_not_of(' ', name.size()) != colon) continue;
    return std::strtod(line.c_str() + colon + 1, nullptr);
  }
  return std::nullopt;
}

// Reads `size` bytes at `address` of process `pid` without stopping it.
bool read_memory(int pid, std::uint64_t address, void* into, std::size_t size, int& errnum) {
  iovec local{into, size};
  iovec remote{reinterpret_cast<void*>(address), size};
  const ssize_t n = ::process_vm_readv(pid, &local, 1, &remote, 1, 0);
  if (n == ssize_t(size)) return true;
  errnum = n < 0 ? errno : EFAULT;
  return false;
}

void refused(ThreadWait& thread, int errnum, const std::string& what) {
  if (thread.error) return;
  ErrorInfo error = ErrorInfo::from_errno(errnum);
  error.message = "cannot read " + what + ": " + error.message +
                  (errnum == EPERM || errnum == EACCES ? " (needs ptrace access)" : "");
  thread.error = error;
}

template <typename Time>
bool read_time(int pid, std::uint64_t address, Time& time, ThreadWait& thread) {
  int errnum = 0;
  if (read_memory(pid, address, &time, sizeof time, errnum)) return true;
  refused(thread, errnum, "the timeout from the process's memory");
  return false;
}

double now_ms(clockid_t clock) {
  timespec now{};
  ::clock_gettime(clock, &now);
  return double(now.tv_sec) * 1e3 + double(now.tv_nsec) / 1e6;
}

double ms_of(const timespec& time) {
  return double(time.tv_sec) * 1e3 + double(time.tv_nsec) / 1e6;
}

// The timeout the thread passed (none: it waits forever); a deadline becomes the time left.
void add_timeout(int pid, const Call& call, const std::uint64_t* args, ThreadWait& thread) {
  if (call.timeout == Timeout::kNone) return;
  thread.has_timeout = true;
  const std::uint64_t value = args[call.timeout_arg];
  switch (call.timeout) {
    case Timeout::kMilliseconds:
      if (int(value) >= 0) thread.timeout_ms = double(int(value));
      return;
    case Timeout::kTimespec: {
      timespec time{};
      if (value != 0 && read_time(pid, value, time, thread)) thread.timeout_ms = ms_of(time);
      return;
    }
    case Timeout::kTimeval: {
      timeval time{};
      if (value != 0 && read_time(pid, value, time, thread)) {
        thread.timeout_ms = double(time.tv_sec) * 1e3 + double(time.tv_usec) / 1e3;
      }
      return;
    }
    case Timeout::kFutex: {
      const int op = int(args[1]) & FUTEX_CMD_MASK;
      if (op != FUTEX_WAIT && op != FUTEX_WAIT_BITSET && op != FUTEX_LOCK_PI) {
        thread.has_timeout = false;  // FUTEX_WAKE...: the argument is no timeout
        return;
      }
      timespec time{};
      if (value == 0 || !read_time(pid, value, time, thread)) return;
      if (op == FUTEX_WAIT) {
        thread.timeout_ms = ms_of(time);
      } else {  // a deadline, by CLOCK_REALTIME where asked (always for FUTEX_LOCK_PI)
        const bool realtime = op == FUTEX_LOCK_PI || (int(args[1]) & FUTEX_CLOCK_REALTIME);
        thread.timeout_ms =
            std::max(0.0, ms_of(time) - now_ms(realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC));
      }
      return;
    }
    case Timeout::kClockNanosleep: {
      timespec time{};
      if (!read_time(pid, value, time, thread)) return;
      thread.timeout_ms = (args[1] & TIMER_ABSTIME)
                              ? std::max(0.0, ms_of(time) - now_ms(clockid_t(args[0])))
                              : ms_of(time);
      return;
    }
    case Timeout::kNone:
      return;
  }
}

// The poll or select set the thread passed, from its memory.
void add_set(int pid, const Call& call, const std::uint64_t* args, ThreadWait& thread) {
  constexpr std::uint64_t kMaxDescriptors = 1u << 20;  // the kernel's nr_open limit
  int errnum = 0;
  if (call.set == Set::kPollfds) {
    const std::uint64_t count = std::min<std::uint64_t>(args[1], kMaxDescriptors);
    std::vector<pollfd> set(count);
    if (count && !read_memory(pid, args[0], set.data(), count * sizeof(pollfd), errnum)) {
      return refused(thread, errnum, "the poll set from the process's memory");
    }
    for (const pollfd& entry : set) {
      if (entry.fd < 0) continue;  // ignored by poll()
      Events events = 0;
      if (entry.events & (POLLIN | POLLPRI | POLLRDNORM)) events |= EVENT_READ;
      if (entry.events & (POLLOUT | POLLWRNORM)) events |= EVENT_WRITE;
      thread.watched.push_back({entry.fd, events});
    }
  } else if (call.set == Set::kFdsets) {
    const std::uint64_t count = std::min<std::uint64_t>(args[0], kMaxDescriptors);
    // The kernel reads whole longs of each set.
    const std::size_t bytes = (count + 8 * sizeof(long) - 1) / (8 * sizeof(long)) * sizeof(long);
    std::vector<std::vector<unsigned char>> sets(3);
    for (int which = 0; which < 3; ++which) {
      if (args[1 + which] == 0 || bytes == 0) continue;  // NULL: no set of this kind
      sets[which].resize(bytes);
      if (!read_memory(pid, args[1 + which], sets[which].data(), bytes, errnum)) {
        return refused(thread, errnum, "the select sets from the process's memory");
      }
    }
    const auto has = [&](int which, std::uint64_t fd) {
      return !sets[which].empty() && (sets[which][fd / 8] >> (fd % 8) & 1);
    };
    for (std::uint64_t fd = 0; fd < count; ++fd) {
      Events events = 0;
      if (has(0, fd) || has(2, fd)) events |= EVENT_READ;  // exceptfds: urgent data, as POLLPRI
      if (has(1, fd)) events |= EVENT_WRITE;
      if (events) thread.watched.push_back({int(fd), events});
    }
  }
}

// /proc/.../syscall: "NR ARG1 ... ARG6 SP PC" while blocked in a call, "running", or "-1 SP PC"
// when blocked outside one.
void add_syscall(int pid, const std::string& task, ThreadWait& thread) {
  // Needs ptrace access, unlike stat and wchan: the read (not the open) is refused.
  char text[256] = {};
  const UniqueFd file(::open((task + "/syscall").c_str(), O_RDONLY | O_CLOEXEC));
  const ssize_t n = file ? ::read(file.get(), text, sizeof text - 1) : -1;
  if (n < 0) return refused(thread, errno, task + "/syscall");
  std::istringstream line(std::string(text, std::size_t(n)));
  std::string word;
  if (!(line >> word) || word == "running") return;
  const long nr = std::strtol(word.c_str(), nullptr, 10);
  if (nr < 0) return;
  std::uint64_t args[6] = {};
  for (std::uint64_t& arg : args) {
    if (line >> word) arg = std::strtoull(word.c_str(), nullptr, 16);
  }
  thread.in_syscall = true;
  thread.syscall_nr = nr;
  const Call* call = call_of(nr);
  if (!call) return;
  thread.syscall = call->name;
  for (int i = 0; i < 6; ++i) {
    if (call->fd_args & (1u << i)) thread.fds.push_back(int(args[i]));
  }
  add_timeout(pid, *call, args, thread);
  add_set(pid, *call, args, thread);
}

// When the thread last ran, by the scheduler's clock (se.exec_start, CONFIG_SCHED_DEBUG), against
// seltool's own entry read now: the same clock, give or take the CPUs' differences.
void add_asleep(const std::string& task, ThreadWait& thread) {
  if (!thread.asleep()) return;
  const std::optional<double> then = field_of(text_of(task + "/sched"), "se.exec_start");
  const std::optional<double> now = field_of(text_of("/proc/thread-self/sched"), "se.exec_start");
  if (then && now && *now >= *then) thread.asleep_ms = *now - *then;
}

std::optional<ThreadWait> thread_wait(int pid, int tid) {
  const std::string task = "/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid);
  const std::string stat = first_line(task + "/stat");
  const std::size_t paren = stat.rfind(')');  // the command name may hold spaces and ')'
  if (paren == std::string::npos || paren + 2 >= stat.size()) return std::nullopt;  // gone
  ThreadWait thread;
  thread.tid = tid;
  thread.comm = first_line(task + "/comm");
  thread.state = thread_state_name(stat[paren + 2]);
  thread.wchan = first_line(task + "/wchan");
  if (thread.wchan == "0") thread.wchan.clear();
  const std::string status = text_of(task + "/status");
  thread.switches = std::uint64_t(field_of(status, "voluntary_ctxt_switches").value_or(0) +
                                  field_of(status, "nonvoluntary_ctxt_switches").value_or(0));
  add_syscall(pid, task, thread);
  add_asleep(task, thread);
  return thread;
}

}  // namespace

std::vector<ThreadWait> thread_waits(int pid) {
  std::vector<int> ids;
  if (DIR* listing = ::opendir(("/proc/" + std::to_string(pid) + "/task").c_str())) {
    while (const dirent* entry = ::readdir(listing)) {
      if (entry->d_name[0] >= '0' && entry->d_name[0] <= '9')
        ids.push_back(std::atoi(entry->d_name));
    }
    ::closedir(listing);
  }
  std::sort(ids.begin(), ids.end());
  std::vector<ThreadWait> threads;
  for (int tid : ids) {
    if (std::optional<ThreadWait> thread = thread_wait(pid, tid)) threads.push_back(*thread);
  }
  return threads;
}

}  // namespace seltool::cli
