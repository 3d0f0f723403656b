// Linux: a process is a pidfd (pidfd_open, readable once the process exits); its descriptors
// are borrowed with pidfd_getfd and listed from /proc/PID/fd. The syscalls go through
// syscall(), so that a C library older than the kernel does not matter.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>
#include <unordered_map>

#include "cli/base/usage_error.h"
#include "cli/os/kernel_sockets_linux.h"
#include "cli/os/process.h"
#include "cli/os/socket_address.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434  // the same number on every architecture
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

namespace seltool::cli {
namespace {

std::string first_line_of(const std::string& path) {
  std::ifstream file(path);
  std::string line;
  std::getline(file, line);
  return line;
}

std::string link_of(const std::string& path) {
  char target[4096];
  const ssize_t n = ::readlink(path.c_str(), target, sizeof target);
  return n > 0 ? std::string(target, std::size_t(n)) : std::string();
}

bool starts_with(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

// "anon_inode:[eventfd]" -> "eventfd": descriptors without a file of their own.
std::string anonymous_kind(const std::string& link) {
  std::string name = link.substr(std::strlen("anon_inode:"));
  name.erase(std::remove(name.begin(), name.end(), '['), name.end());
  name.erase(std::remove(name.begin(), name.end(), ']'), name.end());
  if (name == "eventpoll") return "epoll";
  for (const char* known : {"eventfd", "signalfd", "timerfd", "inotify", "fanotify", "pidfd",
                            "io_uring", "userfaultfd", "perf_event"}) {
    if (name == known) return name;
  }
  return "anon";
}

int socket_option(int fd, int name) {
  int value = -1;
  socklen_t length = sizeof value;
  if (::getsockopt(fd, SOL_SOCKET, name, &value, &length) == -1) return -1;
  return value;
}

// The kind of socket `fd`, whose family its own address (getsockname) gave (-1: unknown).
std::string socket_kind(int fd, int family) {
  if (family < 0) family = socket_option(fd, SO_DOMAIN);
  const int type = socket_option(fd, SO_TYPE);
  if (family == AF_INET || family == AF_INET6) {
    const int protocol = socket_option(fd, SO_PROTOCOL);
    const char* suffix = family == AF_INET6 ? "6" : "";
    if (type == SOCK_STREAM && protocol == IPPROTO_TCP) return std::string("tcp") + suffix;
    if (type == SOCK_DGRAM && protocol == IPPROTO_UDP) return std::string("udp") + suffix;
    if (type == SOCK_RAW) return std::string("raw") + suffix;
  } else if (family == AF_UNIX) {
    if (type == SOCK_STREAM) return "unix_stream";
    if (type == SOCK_DGRAM) return "unix_dgram";
    if (type == SOCK_SEQPACKET) return "unix_seqpacket";
  } else if (family == AF_NETLINK) {
    return "netlink";
  } else if (family == AF_PACKET) {
    return "packet";
  }
  return "socket";
}

// The kind of a descriptor from /proc's link and the file's mode; `copy` (-1 when the
// descriptor could not be borrowed) tells sockets and terminals apart, and `family` is a
// socket's (-1: unknown).
std::string kind_of(const std::string& link, mode_t mode, int copy, int family = -1) {
  if (starts_with(link, "anon_inode:")) return anonymous_kind(link);
  if (S_ISSOCK(mode)) return copy >= 0 ? socket_kind(copy, family) : "socket";
  if (S_ISFIFO(mode)) return starts_with(link, "pipe:") ? "pipe" : "fifo";
  if (S_ISCHR(mode)) return copy >= 0 && ::isatty(copy) ? "tty" : "device";
  if (S_ISBLK(mode)) return "device";
  if (S_ISDIR(mode)) return "dir";
  if (S_ISREG(mode)) return "file";
  return "other";
}

void add_readiness(int copy, DescriptorSnapshot& seen) {
  const int access = ::fcntl(copy, F_GETFL);
  if (access != -1) {
    seen.access = (access & O_ACCMODE) == O_RDONLY   ? "read"
                  : (access & O_ACCMODE) == O_WRONLY ? "write"
                                                     : "read,write";
    seen.nonblocking = (access & O_NONBLOCK) != 0;
  }
  pollfd probe{copy, POLLIN | POLLOUT, 0};
  if (::poll(&probe, 1, 0) != 1) return;
  if ((probe.revents & POLLIN) && seen.access != "write") seen.events |= EVENT_READ;
  if ((probe.revents & POLLOUT) && seen.access != "read") seen.events |= EVENT_WRITE;
  seen.hup = (probe.revents & POLLHUP) != 0;
  seen.error = (probe.revents & POLLERR) != 0;
}

// The sockets of the kernel's tables by inode, for descriptors that cannot be borrowed.
struct SocketTables {
  std::vector<KernelSocket> inet = inet_sockets(true);
  std::unordered_map<std::uint64_t, const KernelSocket*> inet_by_inode = [this] {
    std::unordered_map<std::uint64_t, const KernelSocket*> index;
    for (const KernelSocket& socket : inet) {
      if (socket.inode != 0) index[socket.inode] = &socket;
    }
    return index;
  }();
  std::unordered_map<std::uint64_t, UnixSocket> unix = unix_sockets();
};

// A socket's kind, addresses and TCP state from the kernel's tables (`ino`: its inode).
void add_from_tables(ino_t ino, const SocketTables& tables, DescriptorSnapshot& seen) {
  const auto inet = tables.inet_by_inode.find(ino);
  if (inet != tables.inet_by_inode.end()) {
    const KernelSocket& socket = *inet->second;
    const bool tcp = socket.protocol == IPPROTO_TCP;
    seen.kind = std::string(tcp ? "tcp" : "udp") + (socket.family == AF_INET6 ? "6" : "");
    seen.local = format_address(inet_address(socket.family, socket.local, socket.local_port));
    // getpeername() names no peer before the connection is made (or after it failed).
    const bool connected = !tcp || (socket.state != TCP_SYN_SENT && socket.state != TCP_CLOSE);
    if (socket.peer_port != 0 && connected) {
      seen.peer = format_address(inet_address(socket.family, socket.peer, socket.peer_port));
    }
    if (tcp) seen.diagnostics.tcp_state = tcp_state_name(socket.state);
    return;
  }
  const auto unix = tables.unix.find(ino);
  if (unix == tables.unix.end()) return;
  switch (unix->second.type) {
    case SOCK_STREAM:
      seen.kind = "unix_stream";
      break;
    case SOCK_DGRAM:
      seen.kind = "unix_dgram";
      break;
    case SOCK_SEQPACKET:
      seen.kind = "unix_seqpacket";
      break;
  }
  if (!unix->second.path.empty()) seen.local = "unix:" + unix->second.path;
}

class LinuxProcess : public Process {
 public:
  LinuxProcess(int pid, UniqueFd pidfd)
      : pid_(pid),
        pidfd_(std::move(pidfd)),
        command_(first_line_of("/proc/" + std::to_string(pid) + "/comm")) {}

  int pid() const override { return pid_; }
  const std::string& command() const override { return command_; }
  int exit_fd() const override { return pidfd_.get(); }
  bool exited() const override {
    if (!pidfd_) return ::kill(pid_, 0) != 0 && errno == ESRCH;
    pollfd exit{pidfd_.get(), POLLIN, 0};
    return ::poll(&exit, 1, 0) == 1;
  }
  // An exiting process releases its descriptor table (exit_files(): /proc shows "FDSize: 0"
  // from then on) before its pidfd becomes readable (exit_notify()); releasing it ends the
  // pipes it wrote and makes kcmp() fail as for a closed descriptor.
  bool exiting() const override {
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    for (std::string line; std::getline(status, line);) {
      if (starts_with(line, "FDSize:")) return std::atol(line.c_str() + 7) == 0;
    }
    return exited();  // no status to read: reaped meanwhile (or hidden from us)
  }

  UniqueFd borrow(int fd) const override {
    if (!pidfd_) throw std::system_error(ENOSYS, std::generic_category(), "pidfd_open");
    UniqueFd copy(int(::syscall(SYS_pidfd_getfd, pidfd_.get(), fd, 0)));  // close-on-exec
    if (!copy) throw std::system_error(errno, std::generic_category(), "pidfd_getfd");
    return copy;
  }

  bool still_holds(int fd, int copy) const override {
    const long same = ::syscall(SYS_kcmp, ::getpid(), pid_, KCMP_FILE, copy, fd);
    if (same != -1) return same == 0;
    if (errno != ENOSYS) return false;  // EBADF: closed
    // A kernel without kcmp: the same inode is the same socket or pipe.
    struct stat theirs {
    }, ours{};
    return ::stat(fd_path(fd).c_str(), &theirs) == 0 && ::fstat(copy, &ours) == 0 &&
           theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino;
  }

  std::vector<DescriptorSnapshot> snapshot(const std::vector<int>& only) const override {
    const std::vector<int> open = open_descriptors();
    std::vector<DescriptorSnapshot> found;
    found.reserve(only.empty() ? open.size() : only.size());
    std::optional<SocketTables> tables;  // read when a socket first needs them
    for (int fd : open) {
      if (!only.empty() && std::find(only.begin(), only.end(), fd) == only.end()) continue;
      DescriptorSnapshot seen;
      seen.fd = fd;
      if (proc_only_.empty()) {
        try {
          look_through_copy(fd, tables, seen);
          found.push_back(std::move(seen));
          continue;
        } catch (const std::system_error& error) {
          const int errnum = error.code().value();
          if (errnum == EBADF) continue;  // closed since it was listed
          if (errnum == EMFILE || errnum == ENFILE) throw;
          if (errnum != ENOSYS) {
            struct stat status {};
            seen.path = link_of(fd_path(fd));
            if (::stat(fd_path(fd).c_str(), &status) != 0 && errno == ENOENT) continue;  // closed
            seen.kind = kind_of(seen.path, status.st_mode, -1);
            seen.inaccessible = ErrorInfo{errnum, errno_name(errnum), advice(fd, errnum)};
            found.push_back(std::move(seen));
            continue;
          }
          proc_only_ = "readiness and queue sizes unknown: " + advice(fd, ENOSYS) +
                       "; kinds, addresses and access are from /proc";
        }
      }
      if (look_in_proc(fd, tables, seen)) found.push_back(std::move(seen));
    }
    return found;
  }

  std::string proc_only() const override { return proc_only_; }

  ProcessStatus status() const override {
    ProcessStatus found;
    std::ifstream file("/proc/" + std::to_string(pid_) + "/status");
    for (std::string line; std::getline(file, line);) {
      if (starts_with(line, "State:")) {
        // "State:\tS (sleeping)": the word in parentheses.
        const std::size_t open = line.find('('), close = line.find(')');
        if (open != std::string::npos && close > open) {
          found.state = line.substr(open + 1, close - open - 1);
        }
      } else if (starts_with(line, "Uid:")) {
        std::istringstream ids(line.substr(4));
        long real = -1;
        ids >> real >> found.uid;
      } else if (starts_with(line, "Threads:")) {
        found.threads = std::atol(line.c_str() + 8);
      }
    }
    return found;
  }

  std::vector<ThreadState> thread_states() const override {
    std::vector<ThreadState> threads;
    const std::string tasks = "/proc/" + std::to_string(pid_) + "/task";
    DIR* listing = ::opendir(tasks.c_str());
    if (!listing) return threads;
    while (const dirent* entry = ::readdir(listing)) {
      if (entry->d_name[0] < '1' || entry->d_name[0] > '9') continue;
      const std::string stat = first_line_of(tasks + "/" + entry->d_name + "/stat");
      const std::size_t after_command = stat.rfind(") ");
      if (after_command == std::string::npos || after_command + 2 >= stat.size()) continue;
      threads.push_back({std::atoi(entry->d_name), thread_state_name(stat[after_command + 2])});
    }
    ::closedir(listing);
    std::sort(threads.begin(), threads.end(),
              [](const ThreadState& a, const ThreadState& b) { return a.tid < b.tid; });
    return threads;
  }

  std::string advice(int fd, int errnum) const override {
    const std::string process =
        "process " + std::to_string(pid_) + (command_.empty() ? "" : " (" + command_ + ")");
    const std::string descriptor = fd < 0 ? "the descriptors" : "descriptor " + std::to_string(fd);
    switch (errnum) {
      case EPERM:
      case EACCES:
        return "not permitted to borrow " + descriptor + " of " + process + owner() +
               ": that needs ptrace access, " + missing_access();
      case EBADF:
        return process + " has no open descriptor " + std::to_string(fd) + " (ls -l /proc/" +
               std::to_string(pid_) + "/fd lists them)";
      case ESRCH:
        return process + " has exited";
      case ENOSYS:
        return "this kernel cannot borrow descriptors of other processes (pidfd_getfd needs "
               "Linux 5.6 or later)";
      default:
        return "cannot borrow " + descriptor + " of " + process + ": " + std::strerror(errnum);
    }
  }

 private:
  // What a borrowed copy of descriptor `fd` tells: everything. Throws as borrow().
  void look_through_copy(int fd, std::optional<SocketTables>& tables,
                         DescriptorSnapshot& seen) const {
    const UniqueFd copy = borrow(fd);
    struct stat status {};
    ::fstat(copy.get(), &status);
    seen.path = path_of(fd, status);
    if (S_ISSOCK(status.st_mode)) {
      // A TCP socket in sock_diag's table: its kind, addresses and figures from there, in one
      // dump for all of them rather than six questions each.
      if (!tables) tables.emplace();
      const auto known = tables->inet_by_inode.find(status.st_ino);
      if (known != tables->inet_by_inode.end() && known->second->has_tcp_info) {
        const KernelSocket& socket = *known->second;
        add_from_tables(status.st_ino, *tables, seen);
        add_readiness(copy.get(), seen);
        seen.diagnostics = diagnose_tcp(copy.get(),
                                        {socket.state, socket.receive_queue, socket.send_queue,
                                         socket.rtt_us, socket.rttvar_us},
                                        seen.error);
        return;
      }
    }
    // Addresses only of sockets: each call is a system call, and there are thousands.
    int family = -1;
    if (S_ISSOCK(status.st_mode)) {
      if (const std::optional<SocketAddress> local = local_socket_address(copy.get())) {
        family = local->family();
        seen.local = format_address(*local);
      }
      seen.peer = peer_address(copy.get());
    }
    seen.kind = kind_of(seen.path, status.st_mode, copy.get(), family);
    add_readiness(copy.get(), seen);
    seen.diagnostics = diagnose(copy.get(), status.st_mode, seen.error);
  }

  // What /proc tells of descriptor `fd` without a copy: its link and mode, the flags of its
  // fdinfo, a socket's entry in the kernel's tables. False when it is closed.
  bool look_in_proc(int fd, std::optional<SocketTables>& tables, DescriptorSnapshot& seen) const {
    struct stat status {};
    if (::stat(fd_path(fd).c_str(), &status) != 0 && errno == ENOENT) return false;
    seen.proc_only = true;
    seen.path = link_of(fd_path(fd));
    seen.kind = kind_of(seen.path, status.st_mode, -1);
    // "flags:\t0100002": the open file's flags in octal (proc_pid_fdinfo(5)).
    std::ifstream fdinfo("/proc/" + std::to_string(pid_) + "/fdinfo/" + std::to_string(fd));
    for (std::string line; std::getline(fdinfo, line);) {
      if (!starts_with(line, "flags:")) continue;
      const unsigned long flags = std::strtoul(line.c_str() + 6, nullptr, 8);
      seen.access = (flags & O_ACCMODE) == O_RDONLY   ? "read"
                    : (flags & O_ACCMODE) == O_WRONLY ? "write"
                                                      : "read,write";
      seen.nonblocking = (flags & O_NONBLOCK) != 0;
    }
    if (S_ISSOCK(status.st_mode)) {
      if (!tables) tables.emplace();
      add_from_tables(status.st_ino, *tables, seen);
    }
    return true;
  }

  std::string fd_path(int fd) const {
    return "/proc/" + std::to_string(pid_) + "/fd/" + std::to_string(fd);
  }

  // What /proc/PID/fd/N names, for the file `status` describes: sockets and pipes are named
  // from their inode, as the kernel names them, which spares a readlink() in /proc (the
  // costliest call per descriptor) for the descriptors a server has most.
  std::string path_of(int fd, const struct stat& status) const {
    if (S_ISSOCK(status.st_mode)) return "socket:[" + std::to_string(status.st_ino) + "]";
    if (S_ISFIFO(status.st_mode) && status.st_dev == pipe_device()) {
      return "pipe:[" + std::to_string(status.st_ino) + "]";
    }
    return link_of(fd_path(fd));
  }

  // The device of pipefs, which every anonymous pipe is on (a FIFO is on its file system).
  static dev_t pipe_device() {
    static const dev_t device = [] {
      int ends[2];
      if (::pipe2(ends, O_CLOEXEC) != 0) return dev_t(-1);
      struct stat status {};
      ::fstat(ends[0], &status);
      ::close(ends[0]);
      ::close(ends[1]);
      return status.st_dev;
    }();
    return device;
  }

  // ", owned by uid N" when /proc says so.
  std::string owner() const {
    const long uid = status().uid;
    return uid < 0 ? "" : ", owned by uid " + std::to_string(uid);
  }

  // What seltool lacks for ptrace access to the process, and what to do: another user's
  // process needs CAP_SYS_PTRACE; Yama's ptrace_scope (1: ancestors only, 2: CAP_SYS_PTRACE
  // only, 3: nobody) and a process that is not dumpable refuse even the same user.
  std::string missing_access() const {
    const std::string scope = first_line_of("/proc/sys/kernel/yama/ptrace_scope");
    const long uid = status().uid;
    const long ours = long(::geteuid());
    if (scope == "3") {
      return "which kernel.yama.ptrace_scope=3 refuses to everyone (until the next boot)";
    }
    if (!has_ptrace_capability()) {
      if (uid >= 0 && uid != ours) {
        return "and seltool runs as uid " + std::to_string(ours) +
               " without CAP_SYS_PTRACE (run it as uid " + std::to_string(uid) + ", or with sudo)";
      }
      if (scope == "1" || scope == "2") {
        return "which kernel.yama.ptrace_scope=" + scope +
               (scope == "1" ? " gives only to its ancestors" : "") +
               " and CAP_SYS_PTRACE (run seltool with sudo, or set the sysctl to 0)";
      }
      struct stat directory {};
      if (::stat(("/proc/" + std::to_string(pid_)).c_str(), &directory) == 0 &&
          long(directory.st_uid) != uid) {
        return "which a process that is not dumpable (it changed its user, or set "
               "PR_SET_DUMPABLE 0) gives only to CAP_SYS_PTRACE (run seltool with sudo)";
      }
    }
    return "which it refused (run seltool as the same user, or with sudo or CAP_SYS_PTRACE)";
  }

  static bool has_ptrace_capability() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);) {
      if (starts_with(line, "CapEff:")) {
        return (std::strtoull(line.c_str() + 7, nullptr, 16) >> 19 & 1) != 0;  // CAP_SYS_PTRACE
      }
    }
    return false;
  }

  std::vector<int> open_descriptors() const {
    const std::string directory = "/proc/" + std::to_string(pid_) + "/fd";
    DIR* listing = ::opendir(directory.c_str());
    if (!listing) {
      const int errnum = errno;
      if (errnum == EMFILE || errnum == ENFILE || errnum == ENOMEM) {
        throw std::system_error(errnum, std::generic_category(), "cannot list " + directory);
      }
      if (errnum == ENOENT) throw UsageError(advice(-1, ESRCH));
      throw DescriptorsHidden(errnum, advice(-1, errnum));
    }
    std::vector<int> numbers;
    while (const dirent* entry = ::readdir(listing)) {
      if (entry->d_name[0] >= '0' && entry->d_name[0] <= '9') {
        numbers.push_back(std::atoi(entry->d_name));
      }
    }
    ::closedir(listing);
    std::sort(numbers.begin(), numbers.end());
    return numbers;
  }

  int pid_;
  UniqueFd pidfd_;  // none on a kernel without pidfd_open (open_process's proc_only_allowed)
  std::string command_;
  mutable std::string proc_only_;  // set by the first borrow that fails with ENOSYS
};

// The thread group (process) a thread id belongs to, from /proc/ID/status; 0 if unknown.
// /proc/TID is not listed but can be opened for any thread.
int thread_group_of(int id) {
  std::ifstream status("/proc/" + std::to_string(id) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (starts_with(line, "Tgid:")) return std::atoi(line.c_str() + std::strlen("Tgid:"));
  }
  return 0;
}

}  // namespace

std::string thread_state_name(char letter) {
  switch (letter) {
    case 'R':
      return "running";
    case 'S':
      return "sleeping";
    case 'D':
      return "disk_sleep";
    case 'I':
      return "idle";
    case 'T':
      return "stopped";
    case 't':
      return "tracing_stop";
    case 'Z':
      return "zombie";
    case 'X':
      return "dead";
    default:
      return std::string(1, letter);
  }
}

const std::vector<std::string>& descriptor_kinds() {
  static const std::vector<std::string> kinds = {
      "tcp",     "tcp6",     "udp",         "udp6",       "raw",
      "raw6",    "unix",     "unix_stream", "unix_dgram", "unix_seqpacket",
      "netlink", "packet",   "socket",      "pipe",       "fifo",
      "tty",     "device",   "file",        "dir",        "eventfd",
      "epoll",   "signalfd", "timerfd",     "inotify",    "fanotify",
      "pidfd",   "io_uring", "userfaultfd", "perf_event", "anon",
      "other"};
  return kinds;
}

std::unique_ptr<Process> open_process(int pid, bool proc_only_allowed) {
  UniqueFd pidfd(int(::syscall(SYS_pidfd_open, pid, 0)));  // always close-on-exec
  if (pidfd) return std::make_unique<LinuxProcess>(pid, std::move(pidfd));
  int errnum = errno;
  if (errnum == ENOSYS && proc_only_allowed) {
    // A kernel before 5.3: the process as /proc shows it, checked to exist (and be a process).
    errnum = ::kill(pid, 0) == 0 || errno == EPERM ? EINVAL : ESRCH;
    if (errnum == EINVAL && thread_group_of(pid) == pid) {
      return std::make_unique<LinuxProcess>(pid, UniqueFd());
    }
  }
  const std::string which = "process " + std::to_string(pid);
  // A thread id is refused with EINVAL (Linux 5.3-6.8) or ENOENT (later kernels).
  const int group = errnum == EINVAL || errnum == ENOENT ? thread_group_of(pid) : 0;
  if (group != 0 && group != pid) {
    throw UsageError(std::to_string(pid) + " is a thread of process " + std::to_string(group) +
                     ", not a process: use " + std::to_string(group));
  }
  switch (errnum) {
    case ESRCH:
    case ENOENT:
      throw UsageError("no " + which + " (is it still running? ps -p " + std::to_string(pid) + ")");
    case EINVAL:
      throw UsageError(std::to_string(pid) +
                       " is not a process id (a thread id? use its process, the Tgid in "
                       "/proc/" +
                       std::to_string(pid) + "/status)");
    case ENOSYS:
      throw UsageError(
          "this kernel cannot observe other processes (pidfd_open needs Linux 5.3, "
          "pidfd_getfd 5.6)");
    default:
      throw std::system_error(errnum, std::generic_category(), "pidfd_open " + which);
  }
}

}  // namespace seltool::cli
